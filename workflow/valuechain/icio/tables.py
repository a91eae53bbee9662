"""Inter-country input-output (ICIO) tables: a small container, readers and cleaning.

An :class:`IcioTable` holds one table in the usual block layout (``G`` countries x ``N`` industries):

- ``Z``: intermediate flows, rows = supplying (country, industry), columns = using (country, industry), both a
  2-level MultiIndex in the same order;
- ``Y``: final demand, rows (country, industry), columns (country, category) such as ``("DEU", "HFCE")``;
  :func:`final_demand_by_country` sums the categories;
- ``va``: value added per (country, industry), **defined as gross output minus the column sums of Z**, i.e.
  everything in a column that is not an intermediate input from the table (for OECD tables this is ``VA + TLS``,
  net taxes on intermediate products included; for WIOD it is WIOD's value added at basic prices plus taxes and
  international transport margins). This is what makes ``sum(va) = sum(Y)`` and the accounting identities hold;
- ``x``: gross output per (country, industry).

Readers: :func:`read_wiod` (the WIOD 2013 Parquet files, see ``docs/data.md``) and
:func:`read_oecd_icio` (OECD ICIO CSV, 2021 edition and later). Cleaning follows docs/method.md section 5:
:func:`merge_split_countries`, :func:`drop_countries`, :func:`drop_industries`, :func:`zero_domestic_blocks`,
:func:`sum_tables`; :func:`check_balance` refuses unbalanced tables with the rows and gaps named, and
:func:`rebalanced` re-derives ``x`` and ``va`` from the use side for exact accounting identities.

Cleaning that removes rows (ROW, the household industry) or flows (domestic blocks) keeps ``x`` and ``va`` of
the remaining rows as they were, so such a table is no longer balanced; that is what the fine-tuning stage wants
(it reads only ``Z``), while value-added accounting runs on the full, balanced table.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

#: Final-demand categories of the OECD ICIO (2021+) and WIOD 2013 tables. Other ``CCC_XXX`` columns of a known
#: country are read as final demand too (the list only documents what the editions contain).
FINAL_DEMAND_CATEGORIES = ("HFCE", "NPISH", "GGFC", "GFCF", "INVNT", "DPABR", "NONRES", "P33")

#: Split countries of the OECD ICIO: China and Mexico, each split into non-processing (1) and processing (2).
DEFAULT_SPLIT_COUNTRIES: Mapping[str, str] = {"CN1": "CHN", "CN2": "CHN", "MX1": "MEX", "MX2": "MEX"}

#: Rest-of-world codes (OECD ``ROW``, WIOD ``RoW``).
DEFAULT_ROW_COUNTRIES = ("ROW", "RoW")

#: Household industry: "activities of households as employers" (OECD 2021 ``D97T98``, OECD 2023 ``T``, older
#: ``97T98``), WIOD 2013 ``c35`` (private households with employed persons).
DEFAULT_HOUSEHOLD_INDUSTRIES = ("T", "D97T98", "97T98", "c35")

# Row and column labels of the OECD layout outside the country-industry block (2021+ first, older editions after).
_OECD_TAX_ROWS = ("TLS", "TAXSUB")
_OECD_VA_ROWS = ("VA", "VALU")
_OECD_OUTPUT = ("OUT", "OUTPUT", "TOTAL")

#: Default tolerances of :func:`check_balance`: a row passes when ``|Z 1 + Y 1 - x| <= atol + rtol * |x|``.
#: WIOD 2013 cells are rounded to whole millions of USD and its rows miss balance by up to 108 (NLD_c23, 2011,
#: output 29,022); OECD ICIO tables balance to rounding of their decimals.
BALANCE_RTOL = 1e-3
BALANCE_ATOL = 150.0


@dataclass(frozen=True)
class IcioTable:
    """One ICIO table: intermediate flows ``Z``, final demand ``Y``, value added ``va`` and gross output ``x``.

    All four share the row index, a 2-level MultiIndex ``(country, industry)``; ``Z``'s columns equal its rows.
    """

    Z: pd.DataFrame
    Y: pd.DataFrame
    va: pd.Series
    x: pd.Series

    def __post_init__(self) -> None:
        idx = self.Z.index
        if not isinstance(idx, pd.MultiIndex) or idx.nlevels != 2:
            raise ValueError("IcioTable: Z.index must be a 2-level MultiIndex (country, industry)")
        if not idx.equals(self.Z.columns):
            raise ValueError("IcioTable: Z must have the same (country, industry) labels on rows and columns")
        if idx.has_duplicates:
            dup = idx[idx.duplicated()].unique().tolist()[:5]
            raise ValueError(f"IcioTable: duplicate (country, industry) labels {dup}")
        for name in ("Y", "va", "x"):
            other = getattr(self, name).index
            if not other.equals(idx):
                raise ValueError(f"IcioTable: {name} rows differ from Z rows")

    @property
    def countries(self) -> list[str]:
        """Countries in table order."""
        return list(dict.fromkeys(self.Z.index.get_level_values(0)))

    @property
    def industries(self) -> list[str]:
        """Industries in table order (the first country's order)."""
        return list(dict.fromkeys(self.Z.index.get_level_values(1)))

    @property
    def is_square_block(self) -> bool:
        """True when every country has the same industries in the same order (needed for accounting)."""
        G, N = len(self.countries), len(self.industries)
        if G * N != len(self.Z):
            return False
        expected = pd.MultiIndex.from_product([self.countries, self.industries])
        return self.Z.index.equals(expected)


def final_demand_by_country(table: IcioTable) -> pd.DataFrame:
    """Final demand summed over categories: rows (country, industry), one column per demanding country."""
    if table.Y.shape[1] == 0:
        return pd.DataFrame(index=table.Z.index)
    Y = table.Y.T.groupby(level=0, sort=False).sum().T
    return Y


def _split_label(label: str, where: str) -> tuple[str, str]:
    """``"AUS_D01T02"`` -> ``("AUS", "D01T02")`` (split at the first underscore)."""
    if not isinstance(label, str) or "_" not in label:
        raise ValueError(f"{where}: label {label!r} is not of the form COUNTRY_CODE")
    country, code = label.split("_", 1)
    if not country or not code:
        raise ValueError(f"{where}: label {label!r} is not of the form COUNTRY_CODE")
    return country, code


def _block_labels(df: pd.DataFrame) -> list[str]:
    """Row labels of the intermediate block: ``CCC_IND`` labels that are also column labels (not totals)."""
    cols = set(df.columns)
    return [r for r in df.index if r in cols and r not in _OECD_OUTPUT and r != "GO"]


def _numeric(df: pd.DataFrame, where: str) -> pd.DataFrame:
    """``df`` as numbers; a cell holding text is refused with its row and column."""
    if all(pd.api.types.is_numeric_dtype(t) for t in df.dtypes):
        return df
    numbers = df.apply(pd.to_numeric, errors="coerce")
    text = (numbers.isna() & df.notna()).to_numpy()
    if text.any():
        rows, cols = np.nonzero(text)
        cells = [f"{df.index[i]} / {df.columns[j]}: {df.iat[i, j]!r}" for i, j in zip(rows[:5], cols[:5])]
        raise ValueError(f"{where}: cells that are not numbers: {len(rows)}, {'; '.join(cells)} (row / column: value); "
                         "every cell of the table must be a number")
    return numbers


def _from_labelled_frame(df: pd.DataFrame, where: str) -> IcioTable:
    """Build a table from a frame with ``CCC_IND`` rows and ``CCC_IND`` / ``CCC_CAT`` / total columns.

    The intermediate block is the set of labels present both as a row and as a column; other columns are final
    demand (``CCC_CAT`` of a country with industry rows, or of a known category: the OECD tables have final
    demand of ``CHN``/``MEX`` but production rows of ``CN1``/``CN2``/``MX1``/``MX2``); ``x`` is the total
    column (``OUT``/``GO``/...) when present, else the row sums. ``va = x - Z^T 1`` (see the module docstring).
    """
    df = _numeric(df, where)
    if df.index.has_duplicates:
        raise ValueError(f"{where}: duplicate row labels {df.index[df.index.duplicated()].tolist()[:5]}")
    if df.columns.has_duplicates:
        raise ValueError(f"{where}: duplicate column labels {df.columns[df.columns.duplicated()].tolist()[:5]}")
    block = _block_labels(df)
    if not block:
        raise ValueError(f"{where}: no country-industry label appears both as a row and as a column")
    alone = [r for r in df.index if r not in set(block)]
    if alone:
        raise ValueError(f"{where}: rows without a column of the same label: {alone[:5]}; every industry needs "
                         "its row and its column")
    mi = pd.MultiIndex.from_tuples([_split_label(r, where) for r in block], names=["country", "industry"])
    countries = set(mi.get_level_values(0))
    industries = set(mi.get_level_values(1))
    total_cols = [c for c in df.columns if c in _OECD_OUTPUT or c == "GO"]
    fd_cols = []
    for c in df.columns:
        if c in block or c in total_cols:
            continue
        cc, cat = _split_label(c, where)
        if cat in industries:  # not final demand: the column of an industry whose row is missing
            raise ValueError(f"{where}: column {c!r} is an industry without a row of the same label; every "
                             "industry needs its row and its column")
        if cc not in countries and cat not in FINAL_DEMAND_CATEGORIES:
            raise ValueError(
                f"{where}: column {c!r} is neither an industry, a final-demand category "
                f"{FINAL_DEMAND_CATEGORIES} nor an output total"
            )
        fd_cols.append((c, (cc, cat)))
    if len(total_cols) > 1:
        raise ValueError(f"{where}: several total-output columns {total_cols}")
    Z = df.loc[block, block].astype(float)
    Z.index, Z.columns = mi, mi
    Y = df.loc[block, [c for c, _ in fd_cols]].astype(float)
    Y.index = mi
    Y.columns = pd.MultiIndex.from_tuples([t for _, t in fd_cols], names=["country", "category"])
    if total_cols:
        x = df.loc[block, total_cols[0]].to_numpy(dtype=float)
    else:
        x = Z.to_numpy().sum(axis=1) + Y.to_numpy().sum(axis=1)
    x = pd.Series(x, index=mi, name="x")
    va = pd.Series(x.to_numpy() - Z.sum(axis=0).to_numpy(), index=mi, name="va")
    return IcioTable(Z=Z, Y=Y, va=va, x=x)


def read_wiod(path: str | Path) -> IcioTable:
    """Read one WIOD 2013 table in the data mirror's Parquet layout (``resources/wiod2013/wiot_YYYY.parquet``).

    Layout: index ``row`` = ``CCC_cN``; columns the same ``CCC_cN`` (intermediate use), then
    ``CCC_{HFCE,NPISH,GGFC,GFCF,INVNT}`` (final demand by economy) and ``GO`` (gross output). Millions of USD.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"WIOD table {path} not found")
    df = pd.read_parquet(path)
    if df.index.dtype != object and not pd.api.types.is_string_dtype(df.index):
        raise ValueError(f"{path}: expected the CCC_cN row labels as the index")
    df.index = df.index.astype(str)
    df.columns = df.columns.astype(str)
    if "GO" not in df.columns:
        raise ValueError(f"{path}: no GO (gross output) column; is this a WIOD table?")
    return _from_labelled_frame(df, str(path))


def read_oecd_icio(path: str | Path) -> IcioTable:
    """Read an OECD ICIO CSV (2021 edition and later; older ``TAXSUB``/``VALU``/``OUTPUT`` labels accepted).

    Layout: the first column holds row labels; rows ``CCC_IND`` (``AUS_D01T02``; China and Mexico split into
    ``CN1/CN2``, ``MX1/MX2``), then ``TLS`` (taxes less subsidies), ``VA`` and ``OUT``; columns the same
    ``CCC_IND``, then final demand ``CCC_{HFCE,NPISH,GGFC,GFCF,INVNT,DPABR}`` and ``OUT``. Other non-block rows
    (per-country tax rows of old editions) are ignored: ``va`` is re-derived as ``OUT - Z^T 1`` so it includes
    every primary input. The ``OUT`` row, when present, must agree with the ``OUT`` column.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"OECD ICIO table {path} not found")
    df = pd.read_csv(path, index_col=0)
    # pandas renames a repeated column label (AUS_D01T02.1), which would then pass for a final-demand column
    header = pd.read_csv(path, header=None, nrows=1).iloc[0, 1:].astype(str).str.strip()
    if header.duplicated().any():
        raise ValueError(f"{path}: duplicate column labels {header[header.duplicated()].unique().tolist()[:5]} "
                         "in the header; every column label must appear once")
    unlabelled = df.index.isna()
    if unlabelled.any():
        lines = (np.flatnonzero(unlabelled) + 2).tolist()[:5]
        raise ValueError(f"{path}: rows without a label on lines {lines}; every row needs its CCC_IND label")
    df.index = df.index.astype(str).str.strip()
    df.columns = df.columns.astype(str).str.strip()
    block_like = _block_labels(df)
    other_rows = [r for r in df.index if r not in set(block_like)]
    unknown = [r for r in other_rows if r not in _OECD_TAX_ROWS + _OECD_VA_ROWS + _OECD_OUTPUT and "_" not in r]
    if unknown:
        raise ValueError(f"{path}: unexpected rows {unknown[:5]} (expected CCC_IND, TLS, VA, OUT)")
    industries = {r.split("_", 1)[1] for r in block_like}
    alone = [r for r in other_rows if "_" in r and r.split("_", 1)[1] in industries]
    if alone:
        raise ValueError(f"{path}: rows without a column of the same label: {alone[:5]}; every industry needs "
                         "its row and its column")
    out_rows = [r for r in other_rows if r in _OECD_OUTPUT]
    # Non-block columns of the non-block rows (final demand, OUT) are empty or totals; keep only block rows.
    table = _from_labelled_frame(df.loc[block_like], str(path))
    if out_rows:
        labels = ["_".join(t) for t in table.Z.index]
        out_row = _numeric(df.loc[out_rows[:1], labels], str(path)).iloc[0].to_numpy(dtype=float)
        gap = np.abs(out_row - table.x.to_numpy())
        bad = gap > BALANCE_ATOL + BALANCE_RTOL * np.abs(table.x.to_numpy())
        if bad.any():
            worst = [f"{labels[i]} (OUT row {out_row[i]:g}, OUT column {table.x.iloc[i]:g})" for i in np.flatnonzero(bad)[:5]]
            raise ValueError(f"{path}: OUT row and OUT column disagree for {int(bad.sum())} labels: {worst}")
    return table


def _regroup_countries(table: IcioTable, mapping: Mapping[str, str]) -> IcioTable:
    """Rename countries by ``mapping`` and sum rows and columns that then share a label (order of first use)."""
    def rename(idx: pd.MultiIndex) -> pd.MultiIndex:
        return pd.MultiIndex.from_arrays(
            [[mapping.get(c, c) for c in idx.get_level_values(0)], idx.get_level_values(1)], names=idx.names
        )

    new = rename(table.Z.index)
    order = pd.MultiIndex.from_tuples(list(dict.fromkeys(new)), names=new.names)
    Z = table.Z.set_axis(new, axis=0).groupby(level=[0, 1], sort=False).sum()
    Z = Z.set_axis(new, axis=1).T.groupby(level=[0, 1], sort=False).sum().T
    Y = table.Y.set_axis(new, axis=0).groupby(level=[0, 1], sort=False).sum()
    if Y.shape[1]:
        Y = Y.set_axis(rename(Y.columns), axis=1).T.groupby(level=[0, 1], sort=False).sum().T
    va = table.va.set_axis(new).groupby(level=[0, 1], sort=False).sum()
    x = table.x.set_axis(new).groupby(level=[0, 1], sort=False).sum()
    return IcioTable(Z=Z.loc[order, order], Y=Y.loc[order], va=va.loc[order], x=x.loc[order])


def merge_split_countries(table: IcioTable, mapping: Mapping[str, str] | None = None,
                          where: str = "table") -> IcioTable:
    """Merge split countries, rows and columns (default ``CN1, CN2 -> CHN``; ``MX1, MX2 -> MEX``; docs/method.md section 5).

    Flows, final demand, value added and output of the parts are summed. Flows between the parts (CN1 -> CN2)
    become domestic flows of the merged country. NaN or infinite cells are refused first (:func:`check_finite`):
    pandas' sums would count a NaN as 0.
    """
    mapping = dict(DEFAULT_SPLIT_COUNTRIES if mapping is None else mapping)
    present = set(table.countries) | set(table.Y.columns.get_level_values(0))
    if not present & set(mapping):
        return table
    check_finite(table, where)
    return _regroup_countries(table, mapping)


def _keep(table: IcioTable, mask: np.ndarray, fd_mask: np.ndarray | None = None) -> IcioTable:
    idx = table.Z.index[mask]
    Y = table.Y.loc[idx]
    if fd_mask is not None:
        Y = Y.loc[:, fd_mask]
    return IcioTable(Z=table.Z.loc[idx, idx], Y=Y, va=table.va.loc[idx], x=table.x.loc[idx])


def drop_countries(table: IcioTable, countries: Iterable[str] = DEFAULT_ROW_COUNTRIES) -> IcioTable:
    """Drop countries (default rest of world ``ROW``/``RoW``): their rows, columns and final-demand columns.

    ``x`` and ``va`` of the other rows are kept, so the result is not balanced (see the module docstring).
    """
    drop = set(countries)
    mask = ~table.Z.index.get_level_values(0).isin(drop)
    fd_mask = ~table.Y.columns.get_level_values(0).isin(drop)
    return _keep(table, np.asarray(mask), np.asarray(fd_mask))


def drop_industries(table: IcioTable, industries: Iterable[str] = DEFAULT_HOUSEHOLD_INDUSTRIES) -> IcioTable:
    """Drop industries in every country (default the household industry: OECD ``T``/``D97T98``, WIOD ``c35``)."""
    mask = ~table.Z.index.get_level_values(1).isin(set(industries))
    return _keep(table, np.asarray(mask))


def zero_domestic_blocks(table: IcioTable) -> IcioTable:
    """Set the domestic blocks ``Z[(c, i), (c, j)]`` to 0 (docs/method.md section 5: only international flows are labels)."""
    rc = table.Z.index.get_level_values(0).to_numpy()
    same = rc[:, None] == rc[None, :]
    Z = table.Z.mask(same, 0.0)
    return replace(table, Z=Z)


def sum_tables(tables: Sequence[IcioTable]) -> IcioTable:
    """Sum tables (e.g. years) cell by cell; labels must match (after the same cleaning)."""
    if not tables:
        raise ValueError("sum_tables: no tables to sum")
    first = tables[0]
    for k, t in enumerate(tables[1:], start=1):
        if not t.Z.index.equals(first.Z.index):
            diff = first.Z.index.symmetric_difference(t.Z.index).tolist()[:5]
            raise ValueError(f"sum_tables: table {k} has other (country, industry) labels than table 0, e.g. {diff}")
        if not t.Y.columns.equals(first.Y.columns):
            diff = first.Y.columns.symmetric_difference(t.Y.columns).tolist()[:5]
            raise ValueError(f"sum_tables: table {k} has other final-demand columns than table 0, e.g. {diff}")
    return IcioTable(
        Z=sum((t.Z for t in tables[1:]), first.Z.copy()),
        Y=sum((t.Y for t in tables[1:]), first.Y.copy()),
        va=sum((t.va for t in tables[1:]), first.va.copy()),
        x=sum((t.x for t in tables[1:]), first.x.copy()),
    )


def _label(key) -> str:
    """``("AUS", "D01T02")`` -> ``"AUS_D01T02"``, the tables' own spelling; other labels as they are."""
    return "_".join(map(str, key)) if isinstance(key, tuple) else str(key)


def balance_gaps(table: IcioTable) -> pd.Series:
    """Row gaps ``Z 1 + Y 1 - x`` (uses minus output) per (country, industry)."""
    uses = table.Z.to_numpy().sum(axis=1) + table.Y.to_numpy().sum(axis=1)
    return pd.Series(uses - table.x.to_numpy(), index=table.Z.index, name="gap")


def check_finite(table: IcioTable, where: str = "table") -> None:
    """Raise ``ValueError`` naming the NaN or infinite cells of ``Z``, ``Y`` and ``x`` (row / column: value)."""
    for name, frame in {"Z": table.Z, "Y": table.Y, "x": table.x.to_frame()}.items():
        bad = ~np.isfinite(frame.to_numpy())
        if bad.any():
            rows, cols = np.nonzero(bad)
            cells = [f"{_label(frame.index[i])} / {_label(frame.columns[j])}: {frame.iat[i, j]}"
                     for i, j in zip(rows[:5], cols[:5])]
            raise ValueError(f"{where}: NaN or infinite cells in {name}: {len(rows)}, {'; '.join(cells)} "
                             "(row / column: value); fill them with numbers")


def check_balance(table: IcioTable, rtol: float = BALANCE_RTOL, atol: float = BALANCE_ATOL, where: str = "table") -> None:
    """Raise ``ValueError`` naming the rows (and gaps) where ``|Z 1 + Y 1 - x| > atol + rtol * |x|``.

    Defaults: ``rtol = 1e-3`` and ``atol = 150`` table units. WIOD 2013 rows, summed from cells rounded to whole
    millions, miss by up to 108 (0.4 % of that row's output); tighten both for tables in exact numbers.
    Also refuses NaN/inf cells (:func:`check_finite`) and negative gross output.
    """
    check_finite(table, where)
    if (table.x.to_numpy() < 0).any():
        rows = table.x[table.x < 0]
        raise ValueError(f"{where}: rows with negative gross output: {len(rows)}, "
                         f"{', '.join(f'{_label(k)} ({v:g})' for k, v in rows.head(5).items())}; output "
                         "cannot be negative")
    gap = balance_gaps(table)
    bad = gap.abs() > atol + rtol * table.x.abs()
    if bad.any():
        worst = gap[bad].abs().sort_values(ascending=False).head(10)
        detail = ", ".join(
            f"{c}_{i}: uses {gap[(c, i)] + table.x[(c, i)]:.6g} vs output {table.x[(c, i)]:.6g} (gap {gap[(c, i)]:+.6g})"
            for c, i in worst.index
        )
        raise ValueError(
            f"{where}: {int(bad.sum())} rows are unbalanced (|Z 1 + Y 1 - x| > {atol:g} + {rtol:g} |x|); "
            f"largest: {detail}"
        )


def rebalanced(table: IcioTable, rtol: float = BALANCE_RTOL, atol: float = BALANCE_ATOL,
               where: str = "table") -> IcioTable:
    """Check the balance, then set ``x = Z 1 + Y 1`` and ``va = x - Z^T 1`` so accounting identities are exact.

    Rounding gaps (within the tolerance of :func:`check_balance`) move into value added. A row whose uses sum
    to less than 0 (WIOD 2011 LUX_c5 and LUX_c8: no output, inventory change -1 from rounding) would get a
    negative output; its final demand is set to 0 instead, so its output is its intermediate sales (here 0).
    Intermediate sales below 0 (negative flows in ``Z``) leave a negative output: refused, rows named.
    """
    check_balance(table, rtol=rtol, atol=atol, where=where)
    Z = table.Z.to_numpy()
    Y = table.Y.to_numpy()
    x = Z.sum(axis=1) + Y.sum(axis=1)
    negative = x < 0
    if negative.any():
        Y = np.where(negative[:, None], 0.0, Y)
        x = Z.sum(axis=1) + Y.sum(axis=1)
    if (x < 0).any():
        rows = np.flatnonzero(x < 0)
        named = ", ".join(f"{_label(table.Z.index[i])} ({x[i]:g})" for i in rows[:5])
        raise ValueError(f"{where}: rows whose intermediate sales, and so output, are negative: {len(rows)}, "
                         f"{named}; intermediate flows cannot be negative")
    va = x - Z.sum(axis=0)
    return replace(
        table,
        Y=pd.DataFrame(Y, index=table.Y.index, columns=table.Y.columns),
        x=pd.Series(x, index=table.Z.index, name="x"),
        va=pd.Series(va, index=table.Z.index, name="va"),
    )
