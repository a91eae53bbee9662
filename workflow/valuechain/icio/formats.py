"""ICIO tables in their published layouts, read through pymrio where it has a parser.

:data:`FORMATS` lists what the accounting stage and ``valuechain-icio --format`` accept. Four formats go through
the field's reader, ``pymrio`` (0.7), and :func:`from_pymrio` turns its ``IOSystem`` into an
:class:`~valuechain.icio.tables.IcioTable`:

========== ============================ ============================================================= ==========
format     reader                       file or folder                                                unit
========== ============================ ============================================================= ==========
wiod2013   ``pymrio.parse_wiod``        ``wiotYY_row_sep12.xlsx`` (WIOD 2013 release)                 M USD
eora26     ``pymrio.parse_eora26``      ``Eora26_YYYY_bp.zip`` (or its unpacked folder)               k USD
exiobase3  ``pymrio.parse_exiobase3``   ``IOT_YYYY_ixi.zip`` / ``IOT_YYYY_pxp.zip`` (or the folder)   M EUR
gloria     ``pymrio.parse_gloria``      ``GLORIA_MRIOs_VV_YYYY`` zip/folder, beside its satellite      k USD
                                        accounts and ``GLORIA_ReadMe_0VV.xlsx``
oecd       own (:func:`read_oecd_icio`) ``ICIO20EE_YYYY.csv`` (2016 to 2023 editions)                  M USD
wiod       own (:func:`read_wiod`)      ``wiot_YYYY.parquet``, the data mirror's conversion            M USD
========== ============================ ============================================================= ==========

Two readers stay the project's own, for these reasons:

- ``oecd``: ``pymrio.parse_oecd`` sums the split parts (``CN1/CN2 -> CHN``, ``MX1/MX2 -> MEX``) into one row
  and column before anything is computed whenever the file also has ``CHN``/``MEX`` rows (2016 and 2018
  editions, exvatools' test table). Accounting keeps the parts as separate producers and adds results afterwards
  (:func:`valuechain.icio.accounting.build_model`); merging first changes China's domestic value added by more than
  0.1 %, so it may only be an option. pymrio also drops the ``OUT`` row and column unchecked, and does not take
  final-demand labels outside its list (``CONS``). Where pymrio keeps the parts (2021 layout) the two readers
  give the same table; a test checks that.
- ``wiod``: the data mirror holds WIOD 2013 as Parquet converted from the R package ``wiod``; pymrio reads only
  the release's xlsx files (format ``wiod2013``). Both give the same table (``ROM`` is ``ROU`` through pymrio).

Whatever the reader, ``va`` is output minus the intermediate inputs from the table (see :mod:`valuechain.icio.tables`)
and, for pymrio tables, ``x`` is the row sum ``Z 1 + Y 1`` (pymrio drops the published total column). pymrio
drops Eora's single-sector ``ROW`` (its statistical discrepancy) and, for GLORIA, empty countries; GLORIA's
supply table is diagonal, so its product-by-product ``Z`` is its use table. pymrio is imported only when one of
its formats is read.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import pandas as pd

from valuechain.glue.optional import require
from valuechain.icio.tables import IcioTable, read_oecd_icio, read_wiod

#: WIOD 2013 final-demand codes -> the category names the Parquet layout uses (so both WIOD readers agree).
WIOD_FINAL_DEMAND = {"c37": "HFCE", "c38": "NPISH", "c39": "GGFC", "c41": "GFCF", "c42": "INVNT"}


def from_pymrio(io, where: str) -> IcioTable:
    """An :class:`IcioTable` from a ``pymrio.IOSystem`` (its ``Z`` and ``Y``; ``Z = A diag(x)`` when only ``A``
    was parsed, with ``x = (I - A)^-1 Y 1`` from pymrio's own ``calc_system``)."""
    if io.Z is None:
        io.calc_system()
    Z, Y = io.Z.astype(float), io.Y.astype(float)
    if not Z.index.equals(Z.columns):
        raise ValueError(f"{where}: Z rows and columns differ")
    mi = pd.MultiIndex.from_arrays(
        [Z.index.get_level_values(0).astype(str), Z.index.get_level_values(-1).astype(str)],
        names=["country", "industry"])
    fd = pd.MultiIndex.from_arrays(
        [Y.columns.get_level_values(0).astype(str), Y.columns.get_level_values(-1).astype(str)],
        names=["country", "category"])
    Zv, Yv = Z.to_numpy(), Y.loc[Z.index].to_numpy()
    x = Zv.sum(axis=1) + Yv.sum(axis=1)
    return IcioTable(
        Z=pd.DataFrame(Zv, index=mi, columns=mi),
        Y=pd.DataFrame(Yv, index=mi, columns=fd),
        va=pd.Series(x - Zv.sum(axis=0), index=mi, name="va"),
        x=pd.Series(x, index=mi, name="x"),
    )


@contextmanager
def _pymrio():
    """pymrio, with the warnings about its own pandas calls and its notes on satellite accounts not read silenced."""
    pymrio = require("pymrio")
    from pymrio.tools.ioparser import ParserWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", ParserWarning)
        warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
        yield pymrio


def read_wiod2013_xlsx(path: str | Path) -> IcioTable:
    """WIOD 2013 release workbook (``wiot11_row_sep12.xlsx``) through ``pymrio.parse_wiod``, sectors as ``c1..c35``
    and final demand named as in :data:`WIOD_FINAL_DEMAND`."""
    with _pymrio() as pymrio:
        io = pymrio.parse_wiod(Path(path), names=("c_codes", "c_codes"))
    io.Y = io.Y.rename(columns=WIOD_FINAL_DEMAND, level=1)
    return from_pymrio(io, str(path))


def read_eora26(path: str | Path) -> IcioTable:
    """Eora26 basic-price table (``Eora26_2015_bp.zip`` or its unpacked folder) through ``pymrio.parse_eora26``."""
    path = Path(path)
    with _pymrio() as pymrio:
        return from_pymrio(pymrio.parse_eora26(path, year=FORMATS["eora26"].year_of(path)), str(path))


def read_exiobase3(path: str | Path) -> IcioTable:
    """EXIOBASE 3 monetary table (``IOT_2022_ixi.zip``, ``pxp`` too, or its folder) through
    ``pymrio.parse_exiobase3`` (regions as EXIOBASE's two-letter codes, ``WA..WM`` the rest of the world)."""
    with _pymrio() as pymrio:
        return from_pymrio(pymrio.parse_exiobase3(Path(path)), str(path))


def read_gloria(path: str | Path) -> IcioTable:
    """GLORIA basic-price MRIO through ``pymrio.parse_gloria``: ``path`` is the ``GLORIA_MRIOs_VV_YYYY`` zip or
    folder (version and year are read from its name), whose folder also holds ``GLORIA_SatelliteAccounts_0VV_YYYY``
    and ``GLORIA_ReadMe_0VV.xlsx``, as ``pymrio.download_gloria`` leaves them."""
    path = Path(path)
    found = re.fullmatch(r"GLORIA_MRIOs_(\d+)_(\d{4})(\.zip)?", path.name)
    if not found:
        raise ValueError(f"{path}: expected a GLORIA_MRIOs_<version>_<year> zip or folder")
    version, year = found.group(1), found.group(2)
    with _pymrio() as pymrio:
        return from_pymrio(pymrio.parse_gloria(path.parent, year=year, version=version), str(path))


@dataclass(frozen=True)
class TableFormat:
    """One accepted layout: its reader, the name of one year's file (a glob; the same name without ``.zip`` is its
    unpacked folder), unit and layout. ``two_digit_year``: the name has ``YY`` after its first letters (WIOD's
    ``wiot11``), not a four-digit year."""

    reader: Callable[[Path], IcioTable]
    pattern: str
    unit: str
    layout: str
    two_digit_year: bool = False

    def matches(self, path: Path) -> bool:
        """Whether ``path`` is named as one year's table (file, or unpacked folder of a zip); never the sha256 stamp
        a retrieval writes beside a table (``<table>.sha256``)."""
        unpacked = self.pattern.removesuffix(".zip")
        if path.name.endswith(".sha256"):
            return False
        return fnmatch(path.name, self.pattern) or (path.is_dir() and fnmatch(path.name, unpacked))

    def year_of(self, path: Path) -> int | None:
        """The year in a table's name (None when there is none)."""
        if self.two_digit_year:
            found = re.match(r"[A-Za-z]+(\d{2})(?!\d)", path.name)
            return None if not found else (2000 if int(found.group(1)) < 50 else 1900) + int(found.group(1))
        found = re.findall(r"(?<!\d)(\d{4})(?!\d)", path.name)
        return int(found[-1]) if found else None


FORMATS: dict[str, TableFormat] = {
    "wiod": TableFormat(read_wiod, "wiot_*.parquet", "million USD",
                        "WIOD 2013 Parquet: index CCC_cN, columns CCC_cN, CCC_{HFCE,NPISH,GGFC,GFCF,INVNT}, GO"),
    "oecd": TableFormat(read_oecd_icio, "*.csv", "million USD",
                        "OECD ICIO CSV: first column CCC_IND row labels, columns CCC_IND, CCC_{HFCE,...}, OUT"),
    "wiod2013": TableFormat(read_wiod2013_xlsx, "wiot*.xlsx", "million USD",
                            "WIOD 2013 release xlsx (wiotYY_row_sep12.xlsx): four header rows (codes, names, "
                            "country, c-code), industries c1..c35 per country, then final demand, totals last",
                            two_digit_year=True),
    "eora26": TableFormat(read_eora26, "Eora26_*_bp.zip", "thousand USD",
                          "Eora26 zip or folder: Eora26_YYYY_bp_{T,FD,VA,Q,QY}.txt and labels_{T,FD,VA,Q}.txt"),
    "exiobase3": TableFormat(read_exiobase3, "IOT_*_[ip]x[ip].zip", "million EUR",
                             "EXIOBASE 3 IOT_YYYY_ixi zip or folder: A.txt, Y.txt, unit.txt, file_parameters.json"),
    "gloria": TableFormat(read_gloria, "GLORIA_MRIOs_*", "thousand USD",
                          "GLORIA_MRIOs_VV_YYYY zip or folder (T, Y, V result CSVs) beside "
                          "GLORIA_SatelliteAccounts_0VV_YYYY and GLORIA_ReadMe_0VV.xlsx"),
}


def table_files(path: str | Path, fmt: str, years=None) -> list[tuple[int | None, Path]]:
    """(year, table) pairs to read: ``path`` itself when it is one table (a file, or a folder named as one
    year's table), else the tables of the ``years`` asked for (default: the latest; a year asked twice is
    read once) among the folder's entries named as :data:`FORMATS` ``[fmt].pattern`` says.

    A year asked of one table must be the year in its name: a table named for another year, or with no year
    in its name, is refused rather than labelled with a year it may not be. So are two tables of a folder
    named for the same year asked for (two editions of a table): which one is meant is the user's choice.
    """
    spec = FORMATS[fmt]
    path = Path(path)
    years = list(dict.fromkeys(years or []))
    if path.is_file() or spec.matches(path):
        if len(years) > 1:
            raise ValueError(f"{path} is one table; give a directory to compute several years")
        if years:
            named = spec.year_of(path)
            if named is None:
                raise ValueError(f"--year {years[0]}: the year of {path} is unknown (its name has none); give the "
                                 f"directory of tables named with their years ({spec.pattern}), or leave out --year")
            if named != years[0]:
                raise ValueError(f"--year {years[0]}: {path} is the table of {named} (by its name); give the "
                                 f"{years[0]} table or the directory of tables")
        return [(years[0] if years else None, path)]
    if not path.is_dir():
        raise FileNotFoundError(f"table {path} not found")
    found: dict[int, list[Path]] = {}
    for f in sorted(path.iterdir()):
        year = spec.year_of(f) if spec.matches(f) else None
        if year is not None:
            found.setdefault(year, []).append(f)
    if not found:
        raise ValueError(f"{path}: no {spec.pattern} table with a year in its name (format {fmt})")
    wanted = years or [max(found)]
    missing = [y for y in wanted if y not in found]
    if missing:
        raise ValueError(f"{path}: no table for years {missing} (found {sorted(found)})")
    twice = {y: [f.name for f in found[y]] for y in wanted if len(found[y]) > 1}
    if twice:
        raise ValueError(f"{path}: several tables for the same year {twice}; give the file of the one meant")
    return [(y, found[y][0]) for y in wanted]


def read_table(path: str | Path, fmt: str) -> IcioTable:
    """Read one table in layout ``fmt`` (:data:`FORMATS`). A file that cannot be read as ``fmt`` raises
    ``ValueError`` naming the layout ``fmt`` expects, not only the parser's own message. NaN, infinite or
    unbalanced cells are refused when the model is built (:func:`valuechain.icio.tables.check_balance`)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown table format {fmt!r}; known: {', '.join(FORMATS)}")
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{fmt} table {path} not found")
    try:
        return FORMATS[fmt].reader(path)
    except Exception as exc:  # a parser's own error (decoding, Parquet magic bytes, labels) says little alone
        raise ValueError(f"{path}: not a {fmt} table ({type(exc).__name__}: {exc}); format {fmt} expects "
                         f"{FORMATS[fmt].layout}") from exc
