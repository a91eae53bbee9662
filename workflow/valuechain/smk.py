"""The glue every rule script shares: logging into the rule's log file, and provenance from the rule.

Scripts call ``log = setup(snakemake)`` first and ``meta(snakemake, "links/1")`` when writing a table. Nothing
here imports Snakemake: the ``snakemake`` object is duck-typed (``input``, ``output``, ``params``, ``log``,
``rule``), so tests can pass a ``types.SimpleNamespace``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from .provenance import provenance


def setup(snakemake: Any) -> logging.Logger:
    """Log to the rule's ``log:`` file and to stderr; uncaught exceptions go to the log with a traceback."""
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    logs = list(getattr(snakemake, "log", []) or [])
    if logs:
        Path(logs[0]).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(logs[0], mode="w"))
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    logger = logging.getLogger(getattr(snakemake, "rule", None) or "valuechain")

    def excepthook(exc_type, exc, tb):
        logger.error("%s: %s", exc_type.__name__, exc, exc_info=(exc_type, exc, tb))

    sys.excepthook = excepthook
    return logger


def params_dict(snakemake: Any) -> dict[str, Any]:
    params = getattr(snakemake, "params", None)
    if params is None:
        return {}
    if hasattr(params, "items"):
        return dict(params.items())
    return dict(vars(params))


def input_files(snakemake: Any) -> list[str]:
    return [str(f) for f in (getattr(snakemake, "input", []) or [])]


def meta(snakemake: Any, schema: str) -> dict[str, str]:
    """Provenance metadata for an artifact written by this rule (see :mod:`valuechain.provenance`)."""
    return provenance(
        schema,
        params=params_dict(snakemake),
        inputs=input_files(snakemake),
        rule=getattr(snakemake, "rule", None),
    )
