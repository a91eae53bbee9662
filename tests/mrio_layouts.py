"""Write one small balanced table in the published layouts of WIOD 2013, Eora26, EXIOBASE 3 and GLORIA.

Each writer follows the layout of the real release (file and member names, header rows, label files, what sits
outside the intermediate block), so the readers in :mod:`valuechain.icio.formats` are tested on what users
download. The numbers are made up: ``Z`` (G N x G N) and ``Y`` (G N x G F) from :func:`make_table`.
"""

from __future__ import annotations

import itertools
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass
class Table:
    countries: list[str]
    sectors: list[str]
    categories: list[str]
    Z: np.ndarray
    Y: np.ndarray

    @property
    def x(self) -> np.ndarray:
        return self.Z.sum(axis=1) + self.Y.sum(axis=1)

    def Y_by_country(self) -> np.ndarray:
        return self.Y.reshape(len(self.Y), len(self.countries), len(self.categories)).sum(axis=2)


def make_table(countries, sectors, categories, seed=0) -> Table:
    """A productive table: intermediate sales a third of output at most, final demand the rest."""
    rng = np.random.default_rng(seed)
    n = len(countries) * len(sectors)
    Z = np.round(rng.uniform(0, 10, (n, n)), 3)
    Y = np.round(rng.uniform(20, 60, (n, len(countries) * len(categories))), 3)
    return Table(list(countries), list(sectors), list(categories), Z, Y)


def write_wiod2013_xlsx(t: Table, path: Path, year: int = 2011) -> Path:
    """``wiotYY_row_sep12.xlsx``: title, system and unit in the first column's top cells; four header rows (ISIC
    code, name, country, c-code); the industry block, then final demand (c37..c42), then the total column (c62);
    below the block the r60 (intermediate use), r64 (value added) and r69 (output) rows."""
    G, F = len(t.countries), len(t.categories)
    names = [f"Industry {s}" for s in t.sectors]
    top = [[f"World Input-Output Table {year}"], ["Current prices"], ["(industry-by-industry)"],
           ["(millions of US$)"], [None], [None]]
    head_code = [f"I{s}" for _ in t.countries for s in t.sectors] + [c for _ in t.countries for c in t.categories]
    head_name = names * G + [f"Final use {c}" for c in t.categories] * G + ["Total output"]
    head_region = [c for c in t.countries for _ in t.sectors] + [c for c in t.countries for _ in t.categories]
    head_ccode = list(t.sectors) * G + list(t.categories) * G + ["c62"]
    rows = [top[0] + [None] * 3, top[1] + [None] * 3,
            top[2] + [None] * 3 + head_code + [None],
            top[3] + [None] * 3 + head_name,
            [None] * 4 + head_region + [None],
            [None] * 4 + head_ccode]
    body = np.hstack([t.Z, t.Y, t.x[:, None]])
    for (c, (s, name)), values in zip(itertools.product(t.countries, zip(t.sectors, names)), body):
        rows.append([f"I{s}", name, c, s, *values])
    va = t.x - t.Z.sum(axis=0)
    blank_fd = [0.0] * (G * F)
    rows.append([None, "Total intermediate consumption", None, "r60", *t.Z.sum(axis=0), *blank_fd, None])
    rows.append([None, "Value added at basic prices", None, "r64", *va, *blank_fd, None])
    rows.append([None, "Output at basic prices", None, "r69", *t.x, *blank_fd, None])
    width = max(len(r) for r in rows)
    frame = pd.DataFrame([r + [None] * (width - len(r)) for r in rows])
    frame.to_excel(path, header=False, index=False)
    return path


def write_eora26_zip(t: Table, folder: Path, year: int = 2015, row_flow: float = 0.5) -> Path:
    """``Eora26_YYYY_bp.zip``: tab-separated ``_T``, ``_FD``, ``_VA``, ``_Q``, ``_QY`` without headers and the
    ``labels_*`` files (full name, code, block, item), with Eora's one-sector ``ROW`` (``row_flow`` in each of its
    cells: its statistical discrepancy)."""
    full = {c: f"Country {c}" for c in t.countries}
    labels_T = [(full[c], c, "Industries", s) for c in t.countries for s in t.sectors]
    labels_T.append(("Rest of the World", "ROW", "Industries", "TOTAL"))
    labels_FD = [(full[c], c, "Final Demand", k) for c in t.countries for k in t.categories]
    labels_FD.append(("Rest of the World", "ROW", "Final Demand", "TOTAL"))
    labels_VA = [("Primary Inputs", "Compensation of employees D.1"), ("Primary Inputs", "Operating surplus B.2n")]
    labels_Q = [("I-GHG-CO2 emissions (Gg)", "Total")]
    n = len(t.Z)
    T = np.full((n + 1, n + 1), row_flow)
    T[:n, :n] = t.Z
    FD = np.full((n + 1, t.Y.shape[1] + 1), row_flow)
    FD[:n, :-1] = t.Y
    va = t.x - t.Z.sum(axis=0)
    VA = np.vstack([np.append(0.6 * va, 0.0), np.append(0.4 * va, 0.0)])
    files = {
        f"Eora26_{year}_bp_T.txt": T, f"Eora26_{year}_bp_FD.txt": FD, f"Eora26_{year}_bp_VA.txt": VA,
        f"Eora26_{year}_bp_Q.txt": np.ones((1, n + 1)), f"Eora26_{year}_bp_QY.txt": np.ones((1, FD.shape[1])),
        "labels_T.txt": labels_T, "labels_FD.txt": labels_FD, "labels_VA.txt": labels_VA, "labels_Q.txt": labels_Q,
    }
    path = folder / f"Eora26_{year}_bp.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, content in files.items():
            zf.writestr(name, pd.DataFrame(content).to_csv(sep="\t", header=False, index=False))
    return path


def _exio_frame(values, rows, cols, col_names) -> str:
    """EXIOBASE text: two header rows (``region``, then ``sector``/``category``), a ``region sector`` row."""
    frame = pd.DataFrame(values, index=pd.MultiIndex.from_tuples(rows, names=["region", "sector"]),
                         columns=pd.MultiIndex.from_tuples(cols, names=col_names))
    return frame.to_csv(sep="\t")


def write_exiobase3_zip(t: Table, folder: Path, year: int = 2022) -> Path:
    """``IOT_YYYY_ixi.zip`` holding the folder ``IOT_YYYY_ixi/`` with ``A.txt``, ``Y.txt``, ``unit.txt``, the
    ``file_parameters.json`` and ``metadata.json`` that pymrio reads (the coefficient form, as EXIOBASE publishes it)."""
    rows = [(c, s) for c in t.countries for s in t.sectors]
    fd = [(c, k) for c in t.countries for k in t.categories]
    A = t.Z / t.x[None, :]
    params = {"systemtype": "IOSystem", "files": {
        "A": {"name": "A.txt", "nr_index_col": "2", "nr_header": "2"},
        "Y": {"name": "Y.txt", "nr_index_col": "2", "nr_header": "2"},
        "unit": {"name": "unit.txt", "nr_index_col": "2", "nr_header": "1"}}}
    unit = pd.DataFrame({"unit": "M.EUR"}, index=pd.MultiIndex.from_tuples(rows, names=["region", "sector"]))
    root = f"IOT_{year}_ixi"
    path = folder / f"{root}.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{root}/A.txt", _exio_frame(A, rows, rows, ["region", "sector"]))
        zf.writestr(f"{root}/Y.txt", _exio_frame(t.Y, rows, fd, ["region", "category"]))
        zf.writestr(f"{root}/unit.txt", unit.to_csv(sep="\t"))
        zf.writestr(f"{root}/file_parameters.json", json.dumps(params, indent=4))
        zf.writestr(f"{root}/metadata.json", json.dumps(
            {"description": f"EXIOBASE 3 for {year}", "name": "EXIOBASE", "system": "ixi", "version": "3.8.2",
             "history": []}, indent=4))
    return path


def write_gloria(t: Table, folder: Path, year: int = 2022, version: int = 59) -> Path:
    """GLORIA as ``pymrio.download_gloria`` leaves it: ``GLORIA_MRIOs_VV_YYYY/`` with the T, Y and V result CSVs
    (no headers; each region's block is its industries, then its products; the supply part diagonal),
    ``GLORIA_SatelliteAccounts_0VV_YYYY/`` with TQ and YQ, and ``GLORIA_ReadMe_0VV.xlsx`` with the labels."""
    G, N, F = len(t.countries), len(t.sectors), len(t.categories)
    va_names = ["Compensation of employees", "Operating surplus"]
    assert len(va_names) == F, "GLORIA's ReadMe lists as many value-added as final-demand categories"
    ind = np.array([g * 2 * N + i for g in range(G) for i in range(N)])  # industry rows/columns of T
    prod = ind + N
    T = np.zeros((2 * G * N, 2 * G * N))
    T[np.ix_(prod, ind)] = t.Z  # use: products of each region into industries
    T[ind, prod] = t.x  # supply: industry i makes product i only
    Yfull = np.zeros((2 * G * N, G * F))
    Yfull[prod] = t.Y
    va = t.x - t.Z.sum(axis=0)
    V = np.zeros((G * F, 2 * G * N))
    for g in range(G):
        own = ind[g * N:(g + 1) * N]
        V[g * F, own] = 0.6 * va[g * N:(g + 1) * N]
        V[g * F + 1, own] = 0.4 * va[g * N:(g + 1) * N]
    stem = f"_120secMother_AllCountries_002_{{}}-Results_{year}_0{version}_Markup001(full).csv"
    mrio = folder / f"GLORIA_MRIOs_{version}_{year}"
    sat = folder / f"GLORIA_SatelliteAccounts_0{version}_{year}"
    mrio.mkdir(parents=True)
    sat.mkdir(parents=True)
    for name, arr, where in (("T", T, mrio), ("Y", Yfull, mrio), ("V", V, mrio),
                             ("TQ", np.ones((1, 2 * G * N)), sat), ("YQ", np.ones((1, G * F)), sat)):
        pd.DataFrame(arr).to_csv(where / ("0" + stem.format(name)), header=False, index=False)
    with pd.ExcelWriter(folder / f"GLORIA_ReadMe_0{version}.xlsx") as xl:
        pd.DataFrame({"Region_acronyms": t.countries, "Region_names": [f"Country {c}" for c in t.countries]}
                     ).to_excel(xl, sheet_name="Regions", index=False)
        pd.DataFrame({"Sector_names": t.sectors}).to_excel(xl, sheet_name="Sectors", index=False)
        pd.DataFrame({"Final_demand_names": t.categories, "Value_added_names": va_names}
                     ).to_excel(xl, sheet_name="Value added and final demand", index=False)
        pd.DataFrame({"Sat_indicator": ["Emissions"], "Sat_head_indicator": ["GHG"], "Sat_unit": ["kt"]}
                     ).to_excel(xl, sheet_name="Satellites", index=False)
    return mrio
