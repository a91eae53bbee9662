"""Reading a user-supplied product network (config ``links_file``) into the canonical links table.

Canonical form: ``output, input`` (HS codes as text, all with the run's number of digits), ``rank`` (int >= 1,
the input's position among the output's inputs; from the file, else from ``weight`` descending, else 1 for
every link) and ``weight`` (float >= 0; missing when the file has none: the network is then unweighted). Any
problem raises :class:`LinksDataError` naming the file, the row(s) and the column, so no analysis ever reads a
bad network.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .evaluate import ranked
from .tradeio import TradeDataError, _fail, read_table

LINK_COLUMNS = ["output", "input", "rank", "weight"]


class LinksDataError(TradeDataError):
    """A bad links file; the message names the file, the row(s) and the column."""


def known_hs_codes(*nomenclatures: pd.Series) -> set[str]:
    """The union of HS codes of several nomenclatures (e.g. HS 2022 and the HS92 names), as text."""
    return set().union(*(set(s.dropna().astype(str)) for s in nomenclatures))


def read_links_file(path: str | Path, known: set[str], digits: int) -> pd.DataFrame:
    """Validate a network file (CSV or Parquet with ``output, input`` and optional ``weight``, ``rank``).

    Codes must be text of ``digits`` digits (``8703``, not ``8703.0``; leading zeros kept) and appear in
    ``known``; weights finite and >= 0; ranks integers >= 1; each ``(output, input)`` pair at most once.
    Extra columns are dropped.
    """
    source = str(path)
    df = read_table(path)
    missing = [c for c in ("output", "input") if c not in df.columns]
    if missing:
        raise LinksDataError(f"{source}: missing column(s) {missing}; found {list(df.columns)}")
    if df.empty:
        raise LinksDataError(f"{source}: no links (the file has a header and no rows)")
    df = df.reset_index(drop=True)
    out = pd.DataFrame(index=df.index)
    for col in ("output", "input"):
        if not (pd.api.types.is_string_dtype(df[col]) or pd.api.types.is_object_dtype(df[col])):
            raise LinksDataError(f"{source}: column '{col}': HS codes must be text (leading zeros), "
                                 f"found {df[col].dtype}")
        codes = df[col].astype(str).str.strip()
        bad = ~codes.str.fullmatch(rf"\d{{{digits}}}")
        if bad.any():
            _fail(source, col, f"not an HS code of {digits} digits", bad.to_numpy(), df[col], LinksDataError)
        bad = ~codes.isin(known)
        if bad.any():
            _fail(source, col, "unknown HS code", bad.to_numpy(), df[col], LinksDataError)
        out[col] = codes
    if "weight" in df.columns:
        w = pd.to_numeric(df["weight"], errors="coerce")
        bad = w.isna() | ~np.isfinite(w) | (w < 0)
        if bad.any():
            _fail(source, "weight", "not a finite number >= 0", bad.to_numpy(), df["weight"], LinksDataError)
        out["weight"] = w.astype(float)
    if "rank" in df.columns:
        r = pd.to_numeric(df["rank"], errors="coerce")
        bad = r.isna() | (r != np.floor(r)) | (r < 1)
        if bad.any():
            _fail(source, "rank", "not an integer >= 1", bad.to_numpy(), df["rank"], LinksDataError)
        out["rank"] = r.astype("int64")
    dup = out.duplicated(["output", "input"], keep="first")
    if dup.any():
        _fail(source, "output/input", "duplicate link", dup.to_numpy(), out["output"] + "<-" + out["input"],
              LinksDataError)
    out = ranked(out)
    if "weight" not in out.columns:
        out["weight"] = np.nan
    out["rank"] = out["rank"].astype("int64")
    return out[LINK_COLUMNS].sort_values(["output", "rank", "input"]).reset_index(drop=True)
