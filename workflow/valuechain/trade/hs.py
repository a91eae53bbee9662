"""The HS nomenclature: product names beside HS codes for the tables and figures people read, goods codes (the
national chapters left out), and the section of every code."""

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


# Chapters 98 and 99 are reserved for national use (US special provisions, Brazil's and the atlases' "not
# specified"): trade statistics fill them with pseudo-products that are no good of the nomenclature.
NATIONAL_CHAPTERS = ("98", "99")


def goods_codes(*codes: pd.Series) -> frozenset[str]:
    """The HS codes of goods at 2, 4 and 6 digits in any of ``codes`` (several HS vintages: HS 2022, the HS92
    names, the HS -> ISIC concordances of every vintage), with the chapter and heading of every listed subheading
    and without the national chapters 98-99. Codes of ASCII digits only (``８７０３`` is not ``8703``)."""
    every = pd.concat([pd.Series(c, dtype=object) for c in codes], ignore_index=True).dropna().astype(str).str.strip()
    six = every[every.str.fullmatch(r"[0-9]{6}")]
    four = every[every.str.fullmatch(r"[0-9]{4}")]
    two = every[every.str.fullmatch(r"[0-9]{2}")]
    known = pd.concat([two, four, six, four.str[:2], six.str[:4], six.str[:2]]).drop_duplicates()
    return frozenset(known[~known.str[:2].isin(NATIONAL_CHAPTERS)])


def read_goods_codes(*paths: str | Path) -> frozenset[str]:
    """:func:`goods_codes` of the files of ``resources/`` that list HS codes: the nomenclature (``hscode``), the
    atlas names (``code``) and the concordances (``HS_6d``); every other column is ignored."""
    lists = []
    for path in paths:
        header = pd.read_csv(path, nrows=0).columns
        columns = [c for c in ("hscode", "code", "HS_6d") if c in header]
        if not columns:
            raise ValueError(f"{path}: no column of HS codes (hscode, code or HS_6d); found {list(header)}")
        lists.extend(pd.read_csv(path, dtype=str, usecols=columns)[c] for c in columns)
    return goods_codes(*lists)


#: Section of a code whose chapter is in none of the 21 HS sections.
UNCLASSIFIED = "unclassified"


def load_hs_sections(hs_csv: str | Path, sections_csv: str | Path) -> tuple[pd.Series, pd.Series]:
    """HS chapter -> section, and section -> name, from the HS nomenclature files in ``resources/hs/``.

    ``hs_csv`` has columns ``section, hscode, description, parent, level`` (chapters are the level-2 rows);
    ``sections_csv`` has ``section, name`` (it may start with a byte-order mark). Chapters outside the 21
    sections (chapter 99, "not specified", sits under ``TOTAL``) are left out, hence unclassified.
    """
    hs = pd.read_csv(hs_csv, dtype=str)
    names = pd.read_csv(sections_csv, dtype=str, encoding="utf-8-sig").set_index("section")["name"]
    chapters = hs[(hs["level"] == "2") & hs["section"].isin(names.index)].set_index("hscode")["section"]
    if chapters.empty or names.empty:
        raise ValueError(f"no HS chapters or sections in {hs_csv} / {sections_csv}")
    return chapters.rename("section"), names.rename("section_name")


def product_sections(products, chapters: pd.Series) -> pd.Series:
    """Section of each HS code by its chapter (first two digits); codes of unknown chapters are
    ``"unclassified"`` (so HS editions whose 4-digit codes were renumbered still map)."""
    products = pd.Index(products)
    sec = chapters.reindex(products.str[:2]).fillna(UNCLASSIFIED).to_numpy()
    return pd.Series(sec, index=products, name="section")
