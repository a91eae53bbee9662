"""Reading a user-supplied product network (config ``links_file``) into the canonical links table.

Canonical form: ``output, input`` (HS codes as text, all with the run's number of digits), ``rank`` (int >= 1,
the input's position among the output's inputs; from the file, else from ``weight`` descending, else 1 for
every link) and ``weight`` (float >= 0; missing when the file has none: the network is then unweighted). Any
problem raises :class:`LinksDataError` naming the file, the row(s) and the column, so no analysis ever reads a
bad network.

Self-loops (``output == input``: a product as an input of itself, the own-commodity cells of input-output tables)
are dropped with a warning naming their rows: a link ``p -> p`` says nothing about where ``p`` sits in a value
chain (it leaves trophic levels unchanged and only adds to the incoherence), and the allocation of flows and every
link method already leave them out. A file of self-loops only has no link to analyse and is refused.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from valuechain.links.evaluate import ranked
from valuechain.trade.canonical import TradeDataError, _fail, _rows_text, read_table

LINK_COLUMNS = ["output", "input", "rank", "weight"]
#: The largest rank taken: a rank is an input's position among its output's inputs.
MAX_RANK = 1_000_000_000

log = logging.getLogger(__name__)


class LinksDataError(TradeDataError):
    """A bad links file; the message names the file, the row(s) and the column."""


def read_network_table(path: str | Path) -> pd.DataFrame:
    """A network file as read (:func:`valuechain.trade.canonical.read_table`: every CSV column as text, UTF-8, UTF-16 with its
    byte-order mark or Latin-1, separator detected, a header naming a column twice refused), its errors as
    :class:`LinksDataError`."""
    try:
        return read_table(path)
    except TradeDataError as exc:
        raise LinksDataError(str(exc)) from None


def _is_text(values: pd.Series) -> bool:
    """Whether every value (missing ones aside) is a string; a categorical column by its categories."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = pd.Series(values.cat.categories)
    return pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")


def _code_hint(bad: pd.Series, digits: int) -> str:
    """What is wrong with bad codes, when it can be told: characters other than ASCII digits (full-width or
    Arabic-Indic digits, invisible characters), or leading zeros lost."""
    text = bad.astype(str).fillna("")
    odd = [c for c in dict.fromkeys("".join(text[~text.str.isascii()].head(20))) if not c.isascii()]
    if odd:
        shown = ", ".join(f"U+{ord(c):04X}" for c in odd[:4])
        return f"; codes are the ASCII digits 0-9 only, these hold {shown}"
    if text.str.fullmatch(rf"[0-9]{{1,{digits - 1}}}").any():
        return f"; a leading zero lost? codes are text of {digits} digits (0101, not 101)"
    return ""


def read_links_file(path: str | Path, known: set[str], digits: int) -> pd.DataFrame:
    """Validate a network file (CSV or Parquet with ``output, input`` and optional ``weight``, ``rank``).

    Codes must be text of ``digits`` ASCII digits (``8703``, not ``8703.0``; leading zeros kept; spaces around them
    are removed) and appear in ``known``; weights finite numbers >= 0; ranks integers from 1 to :data:`MAX_RANK`;
    each ``(output, input)`` pair at most once. Self-loops are dropped with a warning (module doc). Extra columns
    are dropped.
    """
    source = str(path)
    df = read_network_table(path)
    missing = [c for c in ("output", "input") if c not in df.columns]
    if missing:
        raise LinksDataError(f"{source}: missing column(s) {missing}; found {list(df.columns)}")
    if df.empty:
        raise LinksDataError(f"{source}: no links (the file has a header and no rows)")
    df = df.reset_index(drop=True)
    out = pd.DataFrame(index=df.index)
    for col in ("output", "input"):
        if not _is_text(df[col]):
            found = pd.api.types.infer_dtype(df[col], skipna=True) if df[col].dtype == object else df[col].dtype
            raise LinksDataError(f"{source}: column '{col}': HS codes must be text (leading zeros), found {found}")
        codes = df[col].astype(str).str.strip()
        bad = ~codes.str.fullmatch(rf"[0-9]{{{digits}}}")
        if bad.any():
            rows = np.flatnonzero(bad)
            raise LinksDataError(f"{source}: column '{col}': not an HS code of {digits} digits at "
                                 f"{_rows_text(rows + 1, df[col].iloc[rows].tolist())}"
                                 f"{_code_hint(df[col][bad], digits)}")
        bad = ~codes.isin(known)
        if bad.any():
            _fail(source, col, "unknown HS code", bad.to_numpy(), df[col], LinksDataError)
        out[col] = codes.astype("str")
    for col in ("weight", "rank"):
        if col in df.columns and pd.api.types.infer_dtype(df[col], skipna=True) == "boolean":
            raise LinksDataError(f"{source}: column '{col}': numbers expected, found true/false values")
    if "weight" in df.columns:
        w = pd.to_numeric(df["weight"], errors="coerce").astype(float)
        bad = w.isna() | ~np.isfinite(w) | (w < 0)
        if bad.any():
            _fail(source, "weight", "not a finite number >= 0", bad.to_numpy(), df["weight"], LinksDataError)
        out["weight"] = w
    if "rank" in df.columns:
        r = pd.to_numeric(df["rank"], errors="coerce").astype(float)
        bad = r.isna() | ~np.isfinite(r) | (r != np.floor(r)) | (r < 1)
        if bad.any():
            _fail(source, "rank", "not an integer >= 1", bad.to_numpy(), df["rank"], LinksDataError)
        bad = r > MAX_RANK
        if bad.any():
            _fail(source, "rank", f"rank above {MAX_RANK:,} (a rank is an input's position among its output's "
                  "inputs)", bad.to_numpy(), df["rank"], LinksDataError)
        out["rank"] = r.astype("int64")
    dup = out.duplicated(["output", "input"], keep="first")
    if dup.any():
        _fail(source, "output/input", "duplicate link", dup.to_numpy(), out["output"] + "<-" + out["input"],
              LinksDataError)
    loop = (out["output"] == out["input"]).to_numpy()
    if loop.all():
        raise LinksDataError(f"{source}: no link between two different products: every row is a self-loop "
                             f"(output = input, {_rows_text(np.flatnonzero(loop) + 1, out['output'][loop].tolist())}),"
                             " which says nothing about a value chain; give links between different products")
    if loop.any():
        log.warning("%s: %d self-loop(s) dropped (output = input at %s): a product as its own input says nothing "
                    "about a value chain", source, loop.sum(),
                    _rows_text(np.flatnonzero(loop) + 1, out["output"][loop].tolist()))
        out = out[~loop]
    out = ranked(out)
    if "weight" not in out.columns:
        out["weight"] = np.nan
    out["rank"] = out["rank"].astype("int64")
    return out[LINK_COLUMNS].sort_values(["output", "rank", "input"]).reset_index(drop=True)
