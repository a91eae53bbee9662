"""WIOD 2016 national input-output tables (NIOT) as a held-out ICIO yardstick, world input coefficients for the
industry prior, and the industry classifications that give HS products an industry.

Why: every choice of the link methods is made on WIOD 2013 (35 industries, 2009-2011; :mod:`valuechain.links.finetune`).
The WIOD 2016 release has 56 industries (ISIC rev. 4) and the years 2000-2014, so its later years check those
choices out of sample; its national tables are one file per country, in a spreadsheet export (``;``, decimal
comma, spaces between thousands; docs/data.md). This module reads them strictly (:func:`read_niot`) and builds
what the fine-tuning stage builds from WIOD 2013, in the same layouts, so the same code scores either:

- :func:`niot_specialisation` is :func:`valuechain.links.yardstick.specialisation`'s table: a country's exports of
  product ``i`` are the ``EXP`` column of its Domestic row ``i``; its imports the Imports row ``i`` summed over
  every use (56 industries and the six final uses), then Balassa RCA of each.
- :func:`niot_labels` is :func:`valuechain.links.yardstick.trade_intensity_labels`'s table: the international industry
  flows ``X[i, j] = sum_c Imports_c[i, j]`` (industry ``j`` of country ``c`` using imported ``i``), trade
  intensity, ``label = TI >= 1`` off the diagonal.
- :func:`input_coefficients` and :func:`wiod2013_input_coefficients`: world technical coefficients
  ``A[i, j] = (world intermediate use of i by industry j) / (world output of j)`` from either release.
- :func:`industry_isic4` and :func:`industry_isic3`: the ISIC 2-digit divisions of each WIOD 2016 and WIOD 2013
  industry, which, joined to the HS -> ISIC concordances (``concordance/hs_isic4.csv``, ``hs_isic3.csv``), give a
  product its industry.

A table (:func:`read_niot`) is one DataFrame per country: rows indexed ``(year, origin, code)`` in the file's order
(:func:`year_layout`: per year 56 ``Domestic`` rows, 56 ``Imports`` rows, then the eight ``TOT`` rows of
:data:`TOTAL_ROWS`), columns :func:`number_columns` (the 56 industries, the six final uses, ``GO``), millions of
USD. The functions taking ``tables`` want ``{country: table}``; countries keep that mapping's order, industries
the files' order, and every flow is summed over the chosen years.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from valuechain.icio import tables as icio
from valuechain.links.yardstick import intensity_labels
from valuechain.trade.rca import balassa_rca

#: The 56 WIOD 2016 industries (ISIC rev. 4 / CPA 2008 groups), in the files' order.
INDUSTRIES: tuple[str, ...] = (
    "A01", "A02", "A03", "B", "C10-C12", "C13-C15", "C16", "C17", "C18", "C19", "C20", "C21", "C22", "C23", "C24",
    "C25", "C26", "C27", "C28", "C29", "C30", "C31_C32", "C33", "D35", "E36", "E37-E39", "F", "G45", "G46", "G47",
    "H49", "H50", "H51", "H52", "H53", "I", "J58", "J59_J60", "J61", "J62_J63", "K64", "K65", "K66", "L68",
    "M69_M70", "M71", "M72", "M73", "M74_M75", "N", "O84", "P85", "Q", "R_S", "T", "U",
)

#: Final uses of a row: household, non-profit and government consumption, capital formation, inventories, exports.
FINAL_USES: tuple[str, ...] = ("CONS_h", "CONS_np", "CONS_g", "GFCF", "INVEN", "EXP")

#: The text columns before the numbers.
LABEL_COLUMNS: tuple[str, ...] = ("Year", "Code", "Description", "Origin")

#: The rows closing each year (``Origin`` ``TOT``): total intermediate inputs, net product taxes, cif/fob
#: adjustment, purchases abroad by residents and at home by non-residents, value added, international transport
#: margins, gross output.
TOTAL_ROWS: tuple[str, ...] = ("II_fob", "TXSP", "EXP_adj", "PURR", "PURNR", "VA", "IntTTM", "GO")

#: A cell: optional minus, digits grouped by single spaces in threes (or not grouped), optional decimal comma.
_NUMBER = r"-?(?:\d{1,3}(?: \d{3})+|\d+)(?:,\d+)?"

#: How far GO (column) and GO (row) of an industry may differ, in table units, before a table is refused.
GO_ATOL = 1.0


def number_columns(industries: Sequence[str] = INDUSTRIES) -> list[str]:
    """The numeric columns of a table, in the files' order: every use of a product (the industries, then
    :data:`FINAL_USES`), then its gross output ``GO``."""
    return [*industries, *FINAL_USES, "GO"]


def year_layout(industries: Sequence[str] = INDUSTRIES) -> list[tuple[str, str]]:
    """``(origin, code)`` of the rows of one year, in order: a ``Domestic`` and an ``Imports`` row per industry,
    then the :data:`TOTAL_ROWS`."""
    return [*(("Domestic", i) for i in industries), *(("Imports", i) for i in industries),
            *(("TOT", t) for t in TOTAL_ROWS)]


# ---------------------------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------------------------


def _fail(path: Path, line: int, column: str, problem: str) -> ValueError:
    return ValueError(f"{path}, line {line}, column {column}: {problem}")


def _check_header(path: Path, header: list[str], expected: list[str]) -> None:
    """Line 1 must name ``expected``, in that order."""
    missing = [c for c in expected if c not in header]
    if missing:
        raise _fail(path, 1, missing[0], f"missing from the header ({len(missing)} of the expected columns are: "
                                         f"{missing[:5]})")
    if header != expected:  # every expected column is there: some are repeated, misplaced or extra
        k = next(k for k, name in enumerate(header) if k >= len(expected) or name != expected[k])
        raise _fail(path, 1, header[k], f"in field {k + 1}, where the header should have "
                                        f"{expected[k] if k < len(expected) else 'nothing'!r}")


def _check_layout(path: Path, cells: pd.DataFrame, industries: Sequence[str]) -> np.ndarray:
    """The years of the rows, after checking that each year is the rows of :func:`year_layout`, in order."""
    lines = np.arange(len(cells)) + 3  # line 1 header, line 2 industry names
    year_text, origin, code = (cells[c].to_numpy(dtype=object) for c in ("Year", "Origin", "Code"))
    bad = ~cells["Year"].str.fullmatch(r"\d{4}").to_numpy(dtype=bool)
    if bad.any():
        k = int(np.argmax(bad))
        raise _fail(path, lines[k], "Year", f"{year_text[k]!r} is not a year")
    origins = ("Domestic", "Imports", "TOT")
    bad = ~np.isin(origin, origins)
    if bad.any():
        k = int(np.argmax(bad))
        raise _fail(path, lines[k], "Origin", f"{origin[k]!r} is not Domestic, Imports or TOT")
    years = year_text.astype(int)
    expected = np.array([len(industries), len(industries), len(TOTAL_ROWS)])
    distinct, year_of_row = np.unique(years, return_inverse=True)
    kind = pd.Categorical(origin, categories=origins).codes
    counts = np.bincount(year_of_row * 3 + kind, minlength=3 * len(distinct)).reshape(-1, 3)
    wrong = counts != expected
    if wrong.any():
        y, o = np.argwhere(wrong)[0]
        raise _fail(path, lines[np.argmax(years == distinct[y])], "Origin",
                    f"year {distinct[y]} has {counts[y, o]} {origins[o]} rows, expected {expected[o]}")
    order = pd.unique(years)
    layout = np.array(year_layout(industries), dtype=object)
    expected_year = np.repeat(order, len(layout))
    expected_origin, expected_code = np.tile(layout[:, 0], len(order)), np.tile(layout[:, 1], len(order))
    bad = (years != expected_year) | (origin != expected_origin) | (code != expected_code)
    if bad.any():
        k = int(np.argmax(bad))
        column = "Year" if years[k] != expected_year[k] else "Origin" if origin[k] != expected_origin[k] else "Code"
        raise _fail(path, lines[k], column, f"found year {years[k]}, {origin[k]} row {code[k]!r}; expected year "
                                            f"{expected_year[k]}, {expected_origin[k]} row {expected_code[k]!r}")
    return years


def read_niot(path: str | Path, industries: Sequence[str] = INDUSTRIES) -> pd.DataFrame:
    """One country's WIOD 2016 national input-output tables, every year of the file (layout: module docstring).

    Strict, so that a damaged or differently exported file cannot pass as data: UTF-8 (with or without BOM),
    ``;``-separated, line 1 the header of :data:`LABEL_COLUMNS` and :func:`number_columns`, line 2 the industry
    names (skipped), then per year exactly the rows of :func:`year_layout`. Every number cell is a number with
    spaces between thousands and an optional decimal comma (``-1 502``, ``0,5``). Anything else raises
    ``ValueError`` naming the file, the line and the column. Numbers are parsed for all cells at once.
    ``industries``: the industry columns and rows expected (the 56 of WIOD 2016 unless a test's small table).
    """
    path = Path(path)
    columns = number_columns(industries)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(path, raw[: exc.start].count(b"\n") + 1, "?", f"not UTF-8 ({exc.reason})") from None
    lines = text.split("\n", 2)
    if len(lines) < 3:
        raise ValueError(f"{path}: {len(lines)} lines; expected a header, the industry names and the rows")
    _check_header(path, lines[0].rstrip("\r").split(";"), [*LABEL_COLUMNS, *columns])
    if not lines[1].startswith(";" * len(LABEL_COLUMNS)):
        raise _fail(path, 2, LABEL_COLUMNS[0], "expected the industry names (four empty cells, then the names)")
    extra = "(after GO)"
    try:
        cells = pd.read_csv(io.StringIO(text), sep=";", skiprows=2, header=None, index_col=False,
                            names=[*LABEL_COLUMNS, *columns, extra], dtype=object, na_filter=False)
    except pd.errors.ParserError as exc:  # more than one extra field: pandas names the line
        raise ValueError(f"{path}: {exc}") from None
    n_lines = text.count("\n") + (not text.endswith("\n"))
    if n_lines != len(cells) + 2:
        raise ValueError(f"{path}: {n_lines} lines hold {len(cells)} rows after the two header lines; blank lines "
                         f"or line breaks inside quotes are not allowed")
    over = cells[extra].to_numpy(dtype=object) != ""
    if over.any():
        raise _fail(path, int(np.argmax(over)) + 3, extra, f"more fields than the {len(columns) + 4} of the header")
    years = _check_layout(path, cells, industries)
    shape = (len(cells), len(columns))
    flat = pd.Series(cells[columns].to_numpy(dtype=object).ravel(), dtype=pd.StringDtype("pyarrow"))
    bad = ~flat.str.fullmatch(_NUMBER).to_numpy(dtype=bool)
    if bad.any():
        row, col = divmod(int(np.argmax(bad)), shape[1])
        raise _fail(path, row + 3, columns[col], f"{flat.iloc[row * shape[1] + col]!r} is not a number")
    # cast by Arrow: numpy's string-to-float conversion of the same cells takes ten times longer
    values = flat.str.replace(" ", "", regex=False).str.replace(",", ".", regex=False).astype("float64[pyarrow]")
    index = pd.MultiIndex.from_arrays([years, cells["Origin"].to_numpy(dtype=object),
                                       cells["Code"].to_numpy(dtype=object)], names=["year", "origin", "code"])
    return pd.DataFrame(values.to_numpy(dtype=float).reshape(shape), index=index, columns=columns)


def read_niot_tables(paths: Iterable[str | Path], industries: Sequence[str] = INDUSTRIES) -> dict[str, pd.DataFrame]:
    """``{country: read_niot(path)}`` for files named ``{ISO3}_NIOT...`` (``USA_NIOT_nov16.csv``), in the order
    given."""
    tables = {}
    for path in paths:
        match = re.match(r"([A-Z]{3})_NIOT", Path(path).name)
        if not match:
            raise ValueError(f"{path}: cannot tell the country; expected a name like USA_NIOT_nov16.csv")
        if match[1] in tables:
            raise ValueError(f"{path}: a second table of {match[1]}")
        tables[match[1]] = read_niot(path, industries)
    return tables


# ---------------------------------------------------------------------------------------------------------------
# Tables of chosen years
# ---------------------------------------------------------------------------------------------------------------


class _Blocks:
    """The chosen years of every table as one array ``values[country, year, row, column]``: each year the rows of
    :func:`year_layout`, the columns of :func:`number_columns`; with named parts of it."""

    def __init__(self, tables: Mapping[str, pd.DataFrame], years: Iterable[int]):
        self.years = sorted({int(y) for y in years})
        if not tables:
            raise ValueError("no NIOT tables")
        if not self.years:
            raise ValueError("no years chosen")
        self.countries = list(tables)
        first = next(iter(tables.values()))
        self.industries = list(first.columns[: -len(FINAL_USES) - 1])
        columns = number_columns(self.industries)
        layout = np.array(year_layout(self.industries), dtype=object)
        blocks = []
        for country, table in tables.items():
            if list(table.columns) != columns or list(table.index.names) != ["year", "origin", "code"]:
                raise ValueError(f"{country}: not a table of read_niot with the columns of {self.countries[0]}")
            have = table.index.get_level_values("year").to_numpy()
            missing = sorted(set(self.years) - set(have.tolist()))
            if missing:
                raise ValueError(f"{country}: no rows for the years {missing} (the table has "
                                 f"{sorted(set(have.tolist()))})")
            rows = np.flatnonzero(np.isin(have, self.years))
            rows = rows[np.argsort(have[rows], kind="stable")]
            keys = np.column_stack([table.index.get_level_values(k).to_numpy(dtype=object)[rows]
                                    for k in ("origin", "code")])
            if len(rows) != len(self.years) * len(layout) or (keys != np.tile(layout, (len(self.years), 1))).any():
                raise ValueError(f"{country}: the rows of the years {self.years} are not in the layout of read_niot")
            blocks.append(table.to_numpy(dtype=float)[rows].reshape(len(self.years), len(layout), len(columns)))
        self.values = np.stack(blocks)
        n = len(self.industries)
        v = self.values
        #: Domestic and Imports rows x the industries' columns: intermediate use of domestic and imported products.
        self.domestic, self.imports = v[:, :, :n, :n], v[:, :, n : 2 * n, :n]
        #: Exports (EXP of the Domestic rows) and imports over every use (the Imports rows without GO).
        self.exports, self.imports_all_uses = v[:, :, :n, columns.index("EXP")], v[:, :, n : 2 * n, :-1].sum(axis=3)
        #: Gross output from the GO column of the Domestic rows and from the GO row.
        self.go_column, self.go_row = v[:, :, :n, -1], v[:, :, -1, :n]

    def frame(self, values: np.ndarray) -> pd.DataFrame:
        """A countries x industries frame."""
        return pd.DataFrame(values, index=pd.Index(self.countries, name="country"),
                            columns=pd.Index(self.industries, name="industry"))

    def square(self, values: np.ndarray) -> pd.DataFrame:
        """An industries x industries frame, index ``input``, columns ``output``."""
        index = pd.Index(self.industries)
        return pd.DataFrame(values, index=index.rename("input"), columns=index.rename("output"))


def niot_trade(tables: Mapping[str, pd.DataFrame], years: Iterable[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Exports and imports of every country and product, summed over ``years`` (two countries x industries frames).

    Exports of ``i``: the ``EXP`` cell of the Domestic row ``i`` (domestic output sold abroad). Imports of ``i``: the
    Imports row ``i`` summed over every use, the industries and the six final uses (``GO`` excluded: it is
    domestic output, 0 on Imports rows), so imported intermediates and imported consumer and capital goods both
    count, as in customs trade. The ``EXP`` of Imports rows (re-exports) is included; it is 0 in the WIOD 2016
    files. Values are as in the files: a few are negative (FIN L68 exports 2011-2014, -5 to -7; inventory
    changes), see :func:`niot_specialisation`.
    """
    b = _Blocks(tables, years)
    return b.frame(b.exports.sum(axis=1)), b.frame(b.imports_all_uses.sum(axis=1))


def niot_specialisation(tables: Mapping[str, pd.DataFrame], years: Iterable[int]) -> pd.DataFrame:
    """The long table of :func:`valuechain.links.yardstick.specialisation` (``country, industry, export, import,
    rca_export, rca_import``; rows in (country, industry) order) from :func:`niot_trade`.

    Balassa RCA (:func:`valuechain.trade.rca.balassa_rca`) needs non-negative values, so a negative total over the years
    (a data artefact, see :func:`niot_trade`) counts as 0; ``export`` and ``import`` hold the values the RCA is of.
    """
    exports, imports = niot_trade(tables, years)
    E, I = np.clip(exports.to_numpy(), 0.0, None), np.clip(imports.to_numpy(), 0.0, None)
    n_c, n_i = E.shape
    return pd.DataFrame(
        {
            "country": np.repeat(exports.index.to_numpy(), n_i),
            "industry": np.tile(exports.columns.to_numpy(), n_c),
            "export": E.ravel(),
            "import": I.ravel(),
            "rca_export": balassa_rca(E).ravel(),
            "rca_import": balassa_rca(I).ravel(),
        }
    )


def niot_industry_flows(tables: Mapping[str, pd.DataFrame], years: Iterable[int]) -> pd.DataFrame:
    """International flows between industries, ``X[i, j] = sum_c Imports_c[i, j]`` summed over ``years``
    (industries x industries, index ``input``, columns ``output``).

    Imported ``i`` used by industry ``j`` is what crosses a border from an ``i`` producer to a ``j`` user: the
    counterpart in national tables, which do not say where imports come from, of
    :func:`valuechain.links.yardstick.industry_flows` (``sum_{c != c'} Z[(c, i), (c', j)]``). Negative cells are refused,
    naming the countries.
    """
    b = _Blocks(tables, years)
    negative = (b.imports < 0).any(axis=(1, 2, 3))
    if negative.any():
        raise ValueError(f"negative intermediate use of imports in {list(np.asarray(b.countries)[negative][:5])}")
    return b.square(b.imports.sum(axis=(0, 1)))


def niot_labels(tables: Mapping[str, pd.DataFrame], years: Iterable[int]) -> pd.DataFrame:
    """The long label table of :func:`valuechain.links.yardstick.trade_intensity_labels` (``input, output, flow, ti,
    label``; input-major, industries in the files' order) from :func:`niot_industry_flows`.

    ``ti`` is :func:`valuechain.links.yardstick.trade_intensity` of the flows; ``label`` is ``TI >= 1`` off the diagonal,
    False on it (B&F never proposes an industry as its own input).
    """
    return intensity_labels(niot_industry_flows(tables, years))


def _coefficients(Z: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``A[i, j] = Z[i, j] / x[j]``, 0 where ``x[j]`` is 0 (an industry without output has no inputs either)."""
    return np.divide(Z, x[None, :], out=np.zeros(Z.shape), where=x[None, :] > 0)


def input_coefficients(tables: Mapping[str, pd.DataFrame], years: Iterable[int]) -> pd.DataFrame:
    """World technical coefficients of the WIOD 2016 industries, summed over the countries and ``years``:
    ``A[i, j] = sum (Domestic + Imports)[i, j] / sum GO[j]`` (index ``input``, columns ``output``, the industries).

    ``A[i, j]`` is the share of product ``i``, wherever made, in the output of industry ``j`` over the countries
    given (the world but the rest of it, for the 43 WIOD 2016 countries). ``GO[j]`` is the output of ``j``: the
    ``GO`` column of the Domestic row ``j``, which must equal the ``GO`` row of column ``j`` within
    :data:`GO_ATOL` in every country and year (the worst gap is named otherwise; in the WIOD 2016 files they are
    equal). 0 for an industry without output (``U``, extraterritorial organisations, has output only in Mexico).
    """
    b = _Blocks(tables, years)
    gap = np.abs(b.go_column - b.go_row)
    if (gap > GO_ATOL).any():
        c, y, j = np.unravel_index(np.argmax(gap), gap.shape)
        raise ValueError(
            f"{b.countries[c]} {b.years[y]} {b.industries[j]}: gross output {b.go_column[c, y, j]:g} (GO column) "
            f"but {b.go_row[c, y, j]:g} (GO row); {int((gap > GO_ATOL).sum())} such industries"
        )
    Z = (b.domestic + b.imports).sum(axis=(0, 1))
    return b.square(_coefficients(Z, b.go_column.sum(axis=(0, 1))))


def wiod2013_input_coefficients(paths: Iterable[str | Path]) -> pd.DataFrame:
    """World technical coefficients of the WIOD 2013 industries (``c1``..``c35``), summed over the tables at
    ``paths`` (years; read with :func:`valuechain.icio.tables.read_wiod`):
    ``A[i, j] = sum_{c, c'} Z[(c, i), (c', j)] / sum_c' x[(c', j)]`` over all 41 economies, rest of world
    included, domestic and international flows alike (index ``input``, columns ``output``).

    The counterpart of :func:`input_coefficients` for the world table, to compare the two releases.
    """
    tables = [icio.read_wiod(p) for p in paths]
    if not tables:
        raise ValueError("no WIOD 2013 tables")
    table = icio.sum_tables(tables)
    industry = table.Z.index.get_level_values("industry").to_numpy()
    Z = table.Z.groupby(industry, sort=False).sum().T.groupby(industry, sort=False).sum().T
    x = table.x.groupby(industry, sort=False).sum()
    index = x.index
    A = _coefficients(Z.loc[index, index].to_numpy(dtype=float), x.to_numpy(dtype=float))
    return pd.DataFrame(A, index=index.rename("input"), columns=index.rename("output"))


# ---------------------------------------------------------------------------------------------------------------
# Industries to ISIC divisions
# ---------------------------------------------------------------------------------------------------------------

#: ISIC rev. 4 sections and their 2-digit divisions (first, last; every division in between exists).
ISIC4_SECTIONS: Mapping[str, tuple[int, int]] = {
    "A": (1, 3), "B": (5, 9), "C": (10, 33), "D": (35, 35), "E": (36, 39), "F": (41, 43), "G": (45, 47),
    "H": (49, 53), "I": (55, 56), "J": (58, 63), "K": (64, 66), "L": (68, 68), "M": (69, 75), "N": (77, 82),
    "O": (84, 84), "P": (85, 85), "Q": (86, 88), "R": (90, 93), "S": (94, 96), "T": (97, 98), "U": (99, 99),
}

#: ISIC rev. 3 sections and their 2-digit divisions (first, last; every division in between exists).
ISIC3_SECTIONS: Mapping[str, tuple[int, int]] = {
    "A": (1, 2), "B": (5, 5), "C": (10, 14), "D": (15, 37), "E": (40, 41), "F": (45, 45), "G": (50, 52),
    "H": (55, 55), "I": (60, 64), "J": (65, 67), "K": (70, 74), "L": (75, 75), "M": (80, 80), "N": (85, 85),
    "O": (90, 93), "P": (95, 95), "Q": (99, 99),
}

# Industry codes as ranges of sections or divisions: WIOD 2016 "C10-C12", "C31_C32", "R_S", "B", "A01";
# WIOD 2013 (isic_rev3 column) "15t16", "AtB", "C", "50".
_ISIC4_CODE = r"^(?P<s1>[A-Z])(?P<d1>\d{2})?(?:[-_](?P<s2>[A-Z])(?P<d2>\d{2})?)?$"
_ISIC3_CODE = r"^(?:(?P<s1>[A-Z])|(?P<d1>\d{2}))(?:t(?:(?P<s2>[A-Z])|(?P<d2>\d{2})))?$"


def _divisions(industry: pd.Series, code: pd.Series, pattern: str, sections: Mapping[str, tuple[int, int]],
               column: str) -> pd.DataFrame:
    """``industry, <column>``: each industry with every ISIC division its ``code`` covers.

    A code is a range from its first part (a division, or the first division of a section) to its second part
    (a division, or the last division of a section; the first part when there is none); the range keeps the
    divisions that exist (``AtB`` in ISIC rev. 3 is 01, 02, 05). Refuses unreadable codes, a division outside the
    section its code names (``C45``), and divisions claimed by two industries.
    """
    parts = code.str.extract(pattern)
    unread = parts["s1"].isna() & parts["d1"].isna()
    if unread.any():
        raise ValueError(f"industry codes {code[unread].tolist()[:5]} are not sections or divisions")
    first = pd.Series({s: lo for s, (lo, _) in sections.items()})
    last = pd.Series({s: hi for s, (_, hi) in sections.items()})
    lo = parts["d1"].astype(float).fillna(parts["s1"].map(first))
    hi = parts["d2"].astype(float).fillna(parts["s2"].map(last)).fillna(parts["d1"].astype(float))
    hi = hi.fillna(parts["s1"].map(last))
    valid = np.concatenate([np.arange(a, b + 1) for a, b in sections.values()])
    section_of = pd.Series(np.repeat(list(sections), [b - a + 1 for a, b in sections.values()]), index=valid)
    for s, d in (("s1", "d1"), ("s2", "d2")):  # a division must lie in the section its code names
        named = parts[d].notna() & parts[s].notna()
        wrong = named & (parts[d].astype(float).map(section_of) != parts[s])
        if wrong.any():
            raise ValueError(f"industry codes {code[wrong].tolist()[:5]} name a division outside their section")
    if lo.isna().any() or hi.isna().any() or (lo > hi).any():
        bad = lo.isna() | hi.isna() | (lo > hi)
        raise ValueError(f"industry codes {code[bad].tolist()[:5]} are not ranges of ISIC sections or divisions")
    inside = (valid[None, :] >= lo.to_numpy()[:, None]) & (valid[None, :] <= hi.to_numpy()[:, None])
    rows, cols = np.nonzero(inside)
    out = pd.DataFrame({"industry": industry.to_numpy()[rows], column: np.char.zfill(valid[cols].astype(str), 2)})
    twice = out[column].duplicated(keep=False)
    if twice.any():
        shared = out[twice].groupby(column)["industry"].agg(list).head(5).to_dict()
        raise ValueError(f"ISIC divisions claimed by several industries: {shared}")
    return out


def industry_isic4(codes: Sequence[str] = INDUSTRIES) -> pd.DataFrame:
    """The ISIC rev. 4 divisions of the 56 WIOD 2016 industries (or of other ``codes`` written alike):
    ``industry, isic4_2d`` (2-digit strings as in ``concordance/hs_isic4.csv`` column ``ISIC4_2d``), in their order.

    ``C10-C12`` -> 10, 11, 12; ``C31_C32`` -> 31, 32; ``B`` -> 05..09; ``R_S`` -> 90..96. Every division is one
    industry's, so a product's ISIC division gives it one WIOD 2016 industry.
    """
    codes = pd.Series(list(codes), dtype=object)
    return _divisions(codes, codes, _ISIC4_CODE, ISIC4_SECTIONS, "isic4_2d")


def industry_isic3(industries: pd.DataFrame | str | Path) -> pd.DataFrame:
    """The ISIC rev. 3 divisions of the 35 WIOD 2013 industries: ``industry, isic3_2d`` (2-digit strings as in
    ``concordance/hs_isic3.csv`` column ``ISIC3_2d``), in the table's order.

    ``industries``: ``wiod2013/industries.csv`` (or that frame), columns ``industry`` (``c1``..``c35``) and
    ``isic_rev3`` (``AtB`` -> 01, 02, 05; ``15t16`` -> 15, 16; ``C`` -> 10..14; ``E`` -> 40, 41; ``P`` -> 95).
    """
    if not isinstance(industries, pd.DataFrame):
        industries = pd.read_csv(industries, dtype=str)
    missing = {"industry", "isic_rev3"} - set(industries.columns)
    if missing:
        raise ValueError(f"the WIOD 2013 industry table lacks the columns {sorted(missing)}")
    return _divisions(industries["industry"], industries["isic_rev3"].astype(str).str.strip(), _ISIC3_CODE,
                      ISIC3_SECTIONS, "isic3_2d")
