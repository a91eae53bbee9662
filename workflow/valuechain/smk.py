"""The glue every rule script shares: logging into the rule's log file, and provenance from the rule.

Scripts call ``log = setup(snakemake)`` first and ``meta(snakemake, "links/1")`` when writing a table. Nothing
here imports Snakemake: the ``snakemake`` object is duck-typed (``input``, ``output``, ``params``, ``log``,
``rule``), so tests can pass a ``types.SimpleNamespace``.
"""

from __future__ import annotations

import atexit
import logging
import resource
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .provenance import check_input, provenance


FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class TerminalFormatter(logging.Formatter):
    """One line per progress message on the terminal: a multi-line INFO message (a table) shows its first line and
    where the rest is; warnings and errors are shown whole."""

    def __init__(self, logfile: str | None):
        super().__init__(FORMAT)
        self.logfile = logfile

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.levelno >= logging.WARNING or "\n" not in text:
            return text
        first, rest = text.split("\n", 1)
        where = f" in {self.logfile}" if self.logfile else ""
        return f"{first} [{rest.count(chr(10)) + 1} more lines{where}]"


def setup(snakemake: Any) -> logging.Logger:
    """Log to the rule's ``log:`` file (everything) and to stderr (one line per message, see
    :class:`TerminalFormatter`); uncaught exceptions go to both with a traceback."""
    logs = list(getattr(snakemake, "log", []) or [])
    terminal = logging.StreamHandler()
    terminal.setFormatter(TerminalFormatter(str(logs[0]) if logs else None))
    handlers: list[logging.Handler] = [terminal]
    if logs:
        Path(logs[0]).parent.mkdir(parents=True, exist_ok=True)
        logfile = logging.FileHandler(logs[0], mode="w")
        logfile.setFormatter(logging.Formatter(FORMAT))
        handlers.append(logfile)
    logging.basicConfig(level=logging.INFO, handlers=handlers, force=True)
    logger = logging.getLogger(getattr(snakemake, "rule", None) or "valuechain")

    def excepthook(exc_type, exc, tb):
        logger.error("%s: %s", exc_type.__name__, exc, exc_info=(exc_type, exc, tb))

    sys.excepthook = excepthook
    for path in input_files(snakemake):  # a retrieved file edited since, a Parquet file cut short: refused before use
        check_input(path)
    if logs and sys.stderr is sys.__stderr__:  # a rule's own process (not a test that captures the terminal)
        declared = getattr(getattr(snakemake, "resources", None), "mem_mb", None)
        atexit.register(_log_peak_memory, logger, declared)
    return logger


def peak_memory_mb() -> float:
    """The process's peak resident memory so far, and that of its finished children, in MB: the kernel's high-water
    mark (what ``/usr/bin/time -v`` reports), not a sample."""
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(self_kb, children_kb) / 1024


def _log_peak_memory(logger: logging.Logger, declared_mb: int | None) -> None:
    """One line the benchmark reads (scripts/bench/bench_scale.py): the measured peak beside the rule's mem_mb."""
    logger.info("peak memory %.0f MB (mem_mb %s)", peak_memory_mb(), declared_mb)


def params_dict(snakemake: Any) -> dict[str, Any]:
    params = getattr(snakemake, "params", None)
    if params is None:
        return {}
    if hasattr(params, "items"):
        return dict(params.items())
    return dict(vars(params))


def input_files(snakemake: Any) -> list[str]:
    return [str(f) for f in (getattr(snakemake, "input", []) or [])]


def meta(snakemake: Any, schema: str, inputs: list[str] | None = None) -> dict[str, str]:
    """Provenance metadata for an artifact written by this rule (see :mod:`valuechain.provenance`). ``inputs``: the
    files to name instead of all the rule's inputs (a gather names what its scattered parts were made from, so
    its output does not depend on how many parts there were)."""
    return provenance(
        schema,
        params=params_dict(snakemake),
        inputs=input_files(snakemake) if inputs is None else inputs,
        rule=getattr(snakemake, "rule", None),
    )


def scatter_part(scatteritem: str, n_items: int) -> np.ndarray:
    """The item indices that the scattered job ``scatteritem`` (Snakemake's ``"i-of-n"``) handles: the ``i``-th of
    ``n`` contiguous, near-equal parts of ``range(n_items)`` (empty when ``n > n_items``), so the parts in order
    are the items in order, whatever ``n``."""
    try:
        i, n = (int(x) for x in scatteritem.split("-of-"))
    except ValueError:
        raise ValueError(f"not a scatter item of the form i-of-n: {scatteritem!r}") from None
    if not 1 <= i <= n:
        raise ValueError(f"scatter item {scatteritem!r} out of range")
    return np.array_split(np.arange(n_items), n)[i - 1]
