"""Generated tests of valuechain-icio (valuechain.icio.cli.main): small random ICIO tables in the OECD CSV and
the WIOD Parquet layouts, healthy or damaged, under random command lines.

Properties: ``main`` never raises; it returns 0 or 2, and on 2 prints exactly one ``valuechain-icio: error:``
line and leaves no file at the ``--save`` path; damage the accounting cannot compute right (NaN, text, missing
or repeated labels, one country, industries with inputs and no output) is refused. On a healthy table
(non-negative flows and final demand, input coefficients summing below 1 in every column) the GVC shares lie
in [0, 1], the gross exports of every country and group are the ones worked out from the generated arrays,
the value added of each origin is its output minus its inputs, and the decompositions add up and agree with
each other (Borin-Mancini and KWW domestic value added and VAX, source and sink totals, the 16 WWZ terms).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from valuechain.icio.cli import APPLIES, METHODS, main

pytestmark = pytest.mark.property

#: Producers of the tables: four countries, or OECD's split China (CN1, CN2: one country, CHN) among three.
POOLS = (["AUS", "BRA", "CHN", "DEU"], ["AUS", "CN1", "CN2", "MEX"])
SPLIT = {"CN1": "CHN", "CN2": "CHN"}
SECTORS = ["S1", "S2", "S3"]
CATEGORIES = ["HFCE", "GFCF"]
YEAR = 2015
#: Damage that the command line must refuse whatever it is asked.
REFUSED = {"nan", "inf", "text", "missing_row_label", "missing_column_label", "duplicate_row", "duplicate_column",
           "one_country", "inputs_without_output", "unbalanced"}
DAMAGE = sorted(REFUSED | {"none", "zero_industry", "negative_flow", "negative_final", "heavy_column"})


@dataclass
class Table:
    producers: list[str]
    sectors: list[str]
    Z: np.ndarray
    Y: np.ndarray  # rows x (country, category)

    @property
    def countries(self) -> list[str]:
        """Accounting countries (the parts of a split country are one)."""
        return list(dict.fromkeys(SPLIT.get(p, p) for p in self.producers))

    @property
    def labels(self) -> list[str]:
        return [f"{p}_{s}" for p in self.producers for s in self.sectors]

    @property
    def row_country(self) -> np.ndarray:
        return np.repeat([SPLIT.get(p, p) for p in self.producers], len(self.sectors))

    @property
    def x(self) -> np.ndarray:
        return self.Z.sum(axis=1) + self.Y.sum(axis=1)


@st.composite
def healthy_tables(draw) -> Table:
    """A productive, balanced table: input coefficients ``A`` with column sums below 0.95, final demand >= 0,
    output ``x = (I - A)^-1 Y 1`` and ``Z = A diag(x)``."""
    G, N = draw(st.integers(2, 4)), draw(st.integers(1, 3))
    producers = draw(st.sampled_from(POOLS))[:G]
    columns = len({SPLIT.get(p, p) for p in producers}) * len(CATEGORIES)
    n = G * N
    weights = np.array(draw(st.lists(st.integers(0, 9), min_size=n * n, max_size=n * n)), float).reshape(n, n)
    share = np.array(draw(st.lists(st.floats(0, 0.95), min_size=n, max_size=n)))
    A = weights / np.maximum(weights.sum(axis=0), 1) * share
    Y = np.array(draw(st.lists(st.integers(0, 50), min_size=n * columns, max_size=n * columns)), float)
    Y = Y.reshape(n, columns)
    x = np.linalg.solve(np.eye(n) - A, Y.sum(axis=1))
    return Table(producers, SECTORS[:N], A * x[None, :], Y)


def write(t: Table, folder: Path, layout: str, damage: str, where: int) -> Path:
    """The table in ``layout`` (``oecd``: CSV with an ``OUT`` column; ``wiod``: ``wiot_YYYY.parquet`` with ``GO``),
    with ``damage`` done at row/column ``where`` (modulo the table's size)."""
    total = "OUT" if layout == "oecd" else "GO"
    Z, Y = t.Z.copy(), t.Y.copy()
    n = len(Z)
    i = where % n
    if damage == "zero_industry":  # no output, no inputs: a healthy table still
        Z[i], Z[:, i], Y[i] = 0, 0, 0
    elif damage == "inputs_without_output":
        Z[i], Y[i] = 0, 0
        Z[(i + 1) % n, i] += 5
    elif damage == "negative_flow":
        Z[i, (i + 1) % n] = -5 - Z[i, (i + 1) % n]
    elif damage == "negative_final":
        Y[i, 0] = -40
    elif damage == "heavy_column":  # inputs of a column up to 4 times its output
        Z[:, i] = (Z[:, i] + 1) * (1 + where % 4)
    fd = [f"{c}_{k}" for c in t.countries for k in CATEGORIES]
    frame = pd.DataFrame(np.hstack([Z, Y]), index=pd.Index(t.labels, name="row"), columns=t.labels + fd)
    frame[total] = Z.sum(axis=1) + Y.sum(axis=1)
    if damage == "unbalanced":
        frame.iloc[i, -1] += 10 * frame[total].abs().max() + 1000
    if damage == "one_country":
        keep = [lab for lab in frame.columns if lab.startswith(t.producers[0]) or lab == total]
        frame = frame.loc[[lab for lab in t.labels if lab.startswith(t.producers[0])], keep]
        frame[total] = frame.drop(columns=total).sum(axis=1)
    frame = frame.astype(object)
    if damage in ("nan", "inf", "text"):
        frame.iat[i, where % frame.shape[1]] = {"nan": np.nan, "inf": np.inf, "text": "12a"}[damage]
    labels_r, labels_c = list(frame.index), list(frame.columns)
    if damage == "missing_row_label":
        labels_r[i] = None
    elif damage == "missing_column_label":
        labels_c[i] = ""
    elif damage == "duplicate_row" and n > 1:
        labels_r[i] = labels_r[(i + 1) % n]
    elif damage in ("duplicate_row", "duplicate_column"):  # one industry: repeat a column label
        labels_c[-2] = labels_c[i]
    frame.index, frame.columns = pd.Index(labels_r, name="row"), labels_c
    if layout == "oecd":
        path = folder / f"ICIO_{YEAR}.csv"
        frame.to_csv(path)
    else:
        path = folder / f"wiot_{YEAR}.parquet"
        frame = frame.apply(pd.to_numeric, errors="coerce") if damage != "text" else frame.astype(str)
        names = list(frame.columns)
        if len(set(names)) == len(names):
            frame.to_parquet(path)
        else:  # pandas writes no repeated column label: write unique ones, then rename them in the file
            arrow = pa.Table.from_pandas(frame.set_axis([f"_{k}" for k in range(len(names))], axis=1))
            pq.write_table(arrow.rename_columns(names + arrow.column_names[len(names):]), path)
    return path


def run(argv: list[str], capsys) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("valuechain-icio: error:")]


def one_in(k: int) -> st.SearchStrategy[bool]:
    """True once in ``k`` draws (False first, so that examples shrink towards the common case)."""
    return st.sampled_from([False] * (k - 1) + [True])


@st.composite
def command_lines(draw, countries: list[str], sectors: list[str]) -> tuple[list[str], str]:
    """Random options (method, countries, groups, level, shares, year), mostly ones that apply to the method,
    now and then a wrong one (an option of another method, an unknown code, a group named as a country or
    twice, a member listed twice, an empty group, a year of another table), and where ``--save`` points:
    ``ok``, ``under_file`` (a path below a file), ``directory`` (an existing folder named like a table file) or
    ``none``."""
    method = draw(st.sampled_from(METHODS))
    argv = ["--method", method]
    names = draw(st.lists(st.sampled_from(["BLOC", "EU"]), max_size=2, unique=True))
    if names and draw(one_in(8)):
        names[-1] = draw(st.sampled_from([countries[0], names[0].lower()]))
    for name in names:
        members = draw(st.lists(st.sampled_from(countries), min_size=1, max_size=len(countries), unique=True))
        if draw(one_in(8)):
            members.append(draw(st.sampled_from(["XXX", members[0].lower()])))
        argv += ["--group", f"{name}={','.join(members) if not draw(one_in(20)) else ''}"]
    for option in ("exporter", "importer", "origin", "destination", "sector"):
        if draw(one_in(3 if method in APPLIES[option] else 40)):
            pool = sectors if option == "sector" else countries + names
            codes = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3))
            argv += [f"--{option}", *(codes + ["XXX"] if draw(one_in(20)) else codes)]
    levels = ["total", "bilateral", "sectoral", "detail"] if method in APPLIES["level"] else ["total"]
    argv += ["--level", "detail" if draw(one_in(40)) else draw(st.sampled_from(levels))]
    if draw(one_in(3 if method in APPLIES["shares"] else 40)):
        argv.append("--shares")
    if method in ("bm", "origin"):
        argv += ["--perspective", draw(st.sampled_from(["exporter", "bilateral", "sectexp", "importer", "world"]))]
    if method == "bm":
        argv += ["--approach", "sink" if draw(one_in(5)) else "source"]
    if draw(one_in(4)):
        argv.append("--merge-split")
    year = draw(st.sampled_from([None, None, None, YEAR, YEAR - 2]))
    if year is not None:
        argv += ["--year", str(year)]
    return argv, draw(st.sampled_from(["ok", "ok", "ok", "none", "under_file", "directory"]))


@given(table=healthy_tables(), layout=st.sampled_from(["oecd", "wiod"]),
       damage=st.sampled_from(DAMAGE + ["none"] * len(DAMAGE)),
       where=st.integers(0, 50), data=st.data())
def test_main_returns_0_or_2_with_one_error_line(table, layout, damage, where, data, capsys):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = write(table, folder, layout, damage, where)
        argv, save = data.draw(command_lines(table.countries, table.sectors))
        target = {"ok": folder / "out" / f"result.{'csv' if where % 2 else 'parquet'}",
                  "under_file": path / "result.csv", "directory": folder / "saved.parquet", "none": None}[save]
        if save == "directory":
            target.mkdir()
        if target is not None:
            argv += ["--save", str(target)]
        code, err = run([str(path if where % 3 else folder), "--format", layout, *argv], capsys)
        event(f"exit {code}")
        assert code in (0, 2)
        assert "Traceback" not in err
        if code == 2:
            assert len(error_lines(err)) == 1, err
            if save == "ok":  # nothing written, not even half
                assert not target.exists() and not list(folder.rglob("*.tmp"))
        else:
            assert damage not in REFUSED, (damage, argv)
            assert save not in ("under_file", "directory")
            if save == "ok":
                saved = pd.read_csv(target) if target.suffix == ".csv" else pd.read_parquet(target)
                assert len(saved) > 0


def _saved(argv: list[str], folder: Path, capsys) -> pd.DataFrame:
    out = folder / "result.parquet"
    code, err = run([*argv, "--save", str(out)], capsys)
    assert code == 0, err
    return pd.read_parquet(out)


def by_hand(t: Table, units: dict[str, list[str]]) -> tuple[dict, dict, dict]:
    """Gross exports, value added and value added absorbed outside (VAX) of each unit (a country, or a group
    as one country), from the generated arrays with numpy alone: ``A = Z diag(x)^-1``, ``v = 1 - 1'A``,
    ``B = (I - A)^-1`` and ``VAX = sum_{j in unit} v_j (B Y)_{j, d}`` over destinations d outside the unit."""
    x = t.x
    A = np.divide(t.Z, x[None, :], out=np.zeros_like(t.Z), where=x[None, :] > 0)
    v = np.where(x > 0, 1 - A.sum(axis=0), 0.0)
    row_of = t.row_country
    col_of = np.repeat(t.countries, len(CATEGORIES))
    BY = np.linalg.solve(np.eye(len(x)) - A, t.Y)
    exports, va, vax = {}, {}, {}
    for name, inside in units.items():
        rows, out_z, out_y = np.isin(row_of, inside), ~np.isin(row_of, inside), ~np.isin(col_of, inside)
        exports[name] = t.Z[np.ix_(rows, out_z)].sum() + t.Y[np.ix_(rows, out_y)].sum()
        va[name] = (x[rows] - t.Z[:, rows].sum(axis=0)).sum()
        vax[name] = (v[rows, None] * BY[np.ix_(rows, out_y)]).sum()
    return exports, va, vax


@given(table=healthy_tables(), layout=st.sampled_from(["oecd", "wiod"]),
       method=st.sampled_from(["bm_source", "bm_sink", "kww", "wwz", "va"]), data=st.data())
def test_healthy_tables_keep_the_identities(table, layout, method, data, capsys):
    G = len(table.countries)
    members = table.countries[:data.draw(st.integers(0, G - 1))]  # no group, or one of some countries
    groups = ["--group", f"BLOC={','.join(members)}"] if members else []
    units = {c: [c] for c in table.countries} | ({"BLOC": members} if members else {})
    exports, va, vax = by_hand(table, units)
    close = {"rtol": 1e-8, "atol": 1e-9 * max(1.0, table.x.max())}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base = [str(write(table, folder, layout, "none", 0)), "--format", layout]
        gvc = _saved([*base, "--method", "gvc", *groups], folder, capsys).set_index("exporter")
        shares = gvc[["gvc", "gvc_backward", "gvc_forward"]].to_numpy()
        assert ((shares >= -1e-9) & (shares <= 1 + 1e-9)).all(), gvc
        np.testing.assert_allclose(gvc.GEXP.loc[list(units)], [exports[u] for u in units], **close)
        if method == "va":  # value added by origin: output minus inputs; absorbed abroad: VAX
            got = _saved([*base, "--method", "va"], folder, capsys)
            np.testing.assert_allclose(got.groupby("origin").va.sum().loc[table.countries],
                                       [va[c] for c in table.countries], **close)
            abroad = got[got.origin != got.destination].groupby("origin").va.sum()
            np.testing.assert_allclose(abroad.loc[table.countries], [vax[c] for c in table.countries], **close)
            return
        got = _saved([*base, "--method", method, *(["--level", "detail"] if method == "wwz" else groups)],
                     folder, capsys)
        if method == "wwz":  # the 16 terms of every flow add up to it
            terms = got.drop(columns=["exporter", "sector", "importer", "GEXP"]).sum(axis=1)
            np.testing.assert_allclose(terms, got.GEXP, **close)
            np.testing.assert_allclose(got.groupby("exporter").GEXP.sum().loc[table.countries],
                                       [exports[c] for c in table.countries], **close)
            return
        got = got.set_index("country" if method == "kww" else "exporter").loc[list(units)]
        if method == "kww":  # decompr's terms, VAX = the value added absorbed outside
            np.testing.assert_allclose(got.DVA_FIN + got.DVA_INT + got.DVA_INTrex, [vax[u] for u in units], **close)
            np.testing.assert_allclose(got.drop(columns="GEXP").sum(axis=1), got.GEXP, **close)
        else:  # Borin-Mancini, source or sink: content adds up to exports, VAX the same as absorbed outside
            np.testing.assert_allclose(got.DC + got.FC, got.GEXP, **close)
            np.testing.assert_allclose(got.DVA + got.DDC + got.FVA + got.FDC, got.GEXP, **close)
            np.testing.assert_allclose(got.VAX, [vax[u] for u in units], **close)
        np.testing.assert_allclose(got.GEXP, [exports[u] for u in units], **close)


def test_a_split_part_using_inputs_with_no_output_is_refused_even_when_merged(tmp_path, capsys):
    """Found by the test above: CN2's third industry buys 5 from MEX and produces nothing; merged with CN1's (final
    demand 1), China's would look like a heavy column. The damage is in the table as published, so it is refused
    before the parts are summed, naming the part."""
    producers, n = ["AUS", "CN1", "CN2", "MEX"], 12
    Y = np.zeros((n, 3 * len(CATEGORIES)))
    Y[5, -1] = 1.0  # CN1_S3's final demand
    path = write(Table(producers, ["S1", "S2", "S3"], np.zeros((n, n)), Y), tmp_path, "oecd",
                 "inputs_without_output", where=8)
    for merge in ([], ["--merge-split"]):
        code, err = run([str(path), "--format", "oecd", "--method", "kww", "--level", "total", *merge], capsys)
        assert code == 2, merge
        assert error_lines(err) == [f"valuechain-icio: error: {path}: industries with no output that use "
                                    "intermediate inputs (which no product would carry): 1, CN2_S3 (5) (inputs); "
                                    "give them their output or remove their inputs"], merge
