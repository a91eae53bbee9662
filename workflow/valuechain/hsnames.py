"""Product names beside HS codes, for the tables and figures people read."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def product_names(atlas: pd.DataFrame, hs: pd.DataFrame) -> pd.Series:
    """Short English name of every HS4 and HS6 code, indexed by code.

    ``atlas``: the trade atlases' HS92 names (``code, level, name_short_en``; levels ``4digit``, ``6digit``), the
    names readers of trade data know; ``hs``: the HS 2022 nomenclature (``hscode, description``), for codes the
    atlas lacks (headings created after 1992).
    """
    # the atlas also lists services ("travel", "ict") at both levels: goods codes only
    goods = atlas["level"].isin(["4digit", "6digit"]) & atlas["code"].str.fullmatch(r"\d{4}|\d{6}")
    short = atlas[goods].set_index("code")["name_short_en"]
    full = hs[hs["hscode"].str.len().isin([4, 6])].set_index("hscode")["description"]
    names = pd.concat([short, full[~full.index.isin(short.index)]]).astype(str).str.strip()
    return names.rename("name").rename_axis("hs").sort_index()


def read_product_names(atlas_csv: str | Path, hs_csv: str | Path) -> pd.Series:
    """:func:`product_names` from the two files of ``resources/hs/`` (codes read as strings)."""
    return product_names(pd.read_csv(atlas_csv, dtype=str), pd.read_csv(hs_csv, dtype=str))


def name_columns(df: pd.DataFrame, names: pd.Series, columns: dict[str, str]) -> pd.DataFrame:
    """``df`` with a name column after each code column (``columns``: code column -> name column); codes
    without a name get an empty string, never a missing value."""
    out = df.copy()
    for code, name in columns.items():
        at = out.columns.get_loc(code) + 1
        out.insert(at, name, out[code].map(names).fillna("").astype(str))
    return out
