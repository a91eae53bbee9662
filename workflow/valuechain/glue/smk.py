"""The glue every rule script shares: the rule's inputs and outputs, logging into the rule's log file, and
provenance from the rule.

Each script is ``main(snakemake)`` and ends with ``main(rule_io(globals().get("snakemake")))``: under Snakemake
that is the object Snakemake gives the script; run by hand (``python scripts/<rule>.py --input name=path
--output name=path --params name=JSON ...``, :func:`rule_from_command_line`) it is one built from the command
line, so a rule can be reproduced and debugged without Snakemake. Scripts call ``log = setup(snakemake)`` first and
``meta(snakemake, "links/1")`` when writing a table. Nothing here imports Snakemake: the ``snakemake`` object is
duck-typed (``input``, ``output``, ``params``, ``log``, ``rule``), so tests can pass a ``types.SimpleNamespace``.
"""

from __future__ import annotations

import argparse
import atexit
import json
import logging
import resource
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import yaml

from valuechain.glue.provenance import check_input, provenance
from valuechain.glue.threads import use_threads


class Named(list):
    """Values with names, as Snakemake gives a rule's ``input``, ``output``, ``params``, ``log`` and ``wildcards``:
    the values in order (``input[0]``, ``list(input)``) and each name's value (``input.trade``, ``input.get("x")``,
    ``input.items()``); a name with several values holds their list."""

    def __init__(self, named: list[tuple[str | None, Any]] = ()):
        values, names = [], {}
        for name, value in named:
            values.extend(value if isinstance(value, list) else [value])
            if name is not None:
                names[name] = value
        super().__init__(values)
        self._names = names

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_names"][name]
        except KeyError:
            raise AttributeError(name) from None

    def get(self, name: str, default: Any = None) -> Any:
        return self._names.get(name, default)

    def items(self):
        return self._names.items()

    def keys(self):
        return self._names.keys()


def _pairs(values: list[str] | None, parse=None) -> list[tuple[str | None, Any]]:
    """``name=value`` (a name given again, or a value ending in a comma, gives a list) or a bare value."""
    grouped: dict[str | None, list] = {}
    listed: set[str] = set()
    for item in values or []:
        name, _, value = item.partition("=") if "=" in item else (None, "", item)
        if value.endswith(","):
            listed.add(name)
        parts = [v for v in value.split(",") if v] if value.endswith(",") else [value]
        grouped.setdefault(name, []).extend(parse(v) if parse else v for v in parts)
    out: list[tuple[str | None, Any]] = []
    for name, vals in grouped.items():
        if name is None:
            out.extend((None, v) for v in vals)
        else:
            out.append((name, vals if len(vals) > 1 or name in listed else vals[0]))
    return out


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def rule_from_command_line(argv: list[str], script: str) -> SimpleNamespace:
    """The ``snakemake`` object of a rule script run by hand: ``--input``, ``--output``, ``--log`` and
    ``--wildcards`` take ``name=value`` (a bare value for an unnamed one; a name given twice, or a value ending in a
    comma, a list), ``--params name=JSON`` (plain text when not JSON), ``--resources mem_mb=4000``, ``--threads``,
    and ``--config`` a YAML file (default: config/config.default.yaml, with config/config.yaml over it when present).
    The rule's name is the script's."""
    parser = argparse.ArgumentParser(prog=Path(script).name, description="Run this rule's script by hand (the "
                                     "inputs, outputs and params of its rule; see workflow/rules/).")
    for option in ("input", "output", "params", "log", "wildcards", "resources"):
        parser.add_argument(f"--{option}", action="append", metavar="NAME=VALUE")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--config", help="YAML config (default: the workflow's defaults and config/config.yaml)")
    args = parser.parse_args(argv)
    root = Path(script).resolve().parents[1]
    config: dict = {}
    for path in [args.config] if args.config else [root / "config/config.default.yaml", Path("config/config.yaml")]:
        if Path(path).is_file():
            config.update(yaml.safe_load(Path(path).read_text()) or {})
    return SimpleNamespace(
        input=Named(_pairs(args.input)), output=Named(_pairs(args.output)),
        params=Named(_pairs(args.params, _json_or_text)), log=Named(_pairs(args.log)),
        wildcards=Named(_pairs(args.wildcards)), threads=args.threads,
        resources=SimpleNamespace(**{k: v for k, v in _pairs(args.resources, _json_or_text)}),
        config=config, rule=Path(script).stem, scriptdir=str(Path(script).resolve().parent))


def rule_io(injected: Any = None, argv: list[str] | None = None) -> Any:
    """The rule's ``snakemake`` object: the one Snakemake injected into the script, else one built from the command
    line (:func:`rule_from_command_line`)."""
    if injected is not None:
        return injected
    return rule_from_command_line(sys.argv[1:] if argv is None else argv, sys.argv[0])


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
    use_threads(getattr(snakemake, "threads", None))
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
    """Provenance metadata for an artifact written by this rule (see :mod:`valuechain.glue.provenance`). ``inputs``: the
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
