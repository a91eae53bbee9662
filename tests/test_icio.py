"""ICIO readers and cleaning (valuechain.icio.tables): OECD layout fixture, vendored WIOD, a hand-made table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from data_files import data_file

from valuechain.icio import tables as icio

ROOT = Path(__file__).resolve().parents[1]
OECD = ROOT / "tests" / "fixtures" / "oecd_icio_small.csv"


def tiny() -> icio.IcioTable:
    """2 countries (A, B) + ROW, industries x and h (household); numbers chosen by hand, rows balanced."""
    idx = pd.MultiIndex.from_product([["A", "B", "ROW"], ["x", "h"]], names=["country", "industry"])
    Z = pd.DataFrame(
        [
            [1, 0, 2, 0, 3, 0],
            [0, 0, 0, 0, 0, 0],
            [4, 0, 5, 0, 6, 0],
            [0, 0, 0, 0, 0, 0],
            [7, 0, 8, 0, 9, 0],
            [0, 0, 0, 0, 0, 0],
        ],
        index=idx,
        columns=idx,
        dtype=float,
    )
    cols = pd.MultiIndex.from_tuples([("A", "HFCE"), ("B", "HFCE"), ("ROW", "HFCE")], names=["country", "category"])
    Y = pd.DataFrame([[10, 1, 1], [2, 0, 0], [1, 10, 1], [0, 3, 0], [1, 1, 10], [0, 0, 4]], index=idx, columns=cols, dtype=float)
    x = Z.sum(axis=1) + Y.sum(axis=1)
    return icio.IcioTable(Z=Z, Y=Y, va=x - Z.sum(axis=0), x=x)


def test_read_oecd_layout():
    t = icio.read_oecd_icio(OECD)
    assert t.countries == ["AUS", "CN1", "CN2", "MX1", "MX2", "ROW"]
    assert t.industries == ["D01T02", "D10T12", "D97T98"]
    assert t.Z.shape == (18, 18)
    # final demand of CHN and MEX (no production rows of their own), six categories each
    assert sorted(set(t.Y.columns.get_level_values(0))) == ["AUS", "CHN", "MEX", "ROW"]
    assert list(t.Y.columns.get_level_values(1)[:6]) == ["HFCE", "NPISH", "GGFC", "GFCF", "INVNT", "DPABR"]
    # numbers straight from the CSV's first data row
    assert t.Z.loc[("AUS", "D01T02"), ("AUS", "D10T12")] == 64
    assert t.Y.loc[("AUS", "D10T12"), ("AUS", "INVNT")] == -2
    assert t.x[("AUS", "D01T02")] == 400
    # va = OUT - column sums of Z = VA + TLS rows of the file
    raw = pd.read_csv(OECD, index_col=0)
    assert t.va[("AUS", "D01T02")] == raw.loc["VA", "AUS_D01T02"] + raw.loc["TLS", "AUS_D01T02"] == 243
    icio.check_balance(t, rtol=0, atol=1e-9)


def test_read_oecd_refuses_bad_labels(tmp_path):
    raw = pd.read_csv(OECD, index_col=0)
    bad = raw.rename(index={"TLS": "TAXES"})
    bad.to_csv(tmp_path / "bad.csv")
    with pytest.raises(ValueError, match="unexpected rows.*TAXES"):
        icio.read_oecd_icio(tmp_path / "bad.csv")
    bad = raw.rename(columns={"AUS_HFCE": "AUS_XYZ", "CHN_HFCE": "CHN_XYZ"})
    bad.to_csv(tmp_path / "bad2.csv")
    with pytest.raises(ValueError, match="CHN_XYZ"):
        icio.read_oecd_icio(tmp_path / "bad2.csv")
    bad = raw.copy()
    bad.loc["OUT", "AUS_D01T02"] = 9999
    bad.to_csv(tmp_path / "bad3.csv")
    with pytest.raises(ValueError, match="OUT row and OUT column disagree.*AUS_D01T02"):
        icio.read_oecd_icio(tmp_path / "bad3.csv")


def test_merge_split_countries_oecd():
    t = icio.read_oecd_icio(OECD)
    m = icio.merge_split_countries(t)
    assert m.countries == ["AUS", "CHN", "MEX", "ROW"]
    raw = pd.read_csv(OECD, index_col=0)
    # CHN agriculture -> MEX food: the four cells CN1/CN2 x MX1/MX2 summed
    cells = [raw.loc[f"{a}_D01T02", f"{b}_D10T12"] for a in ("CN1", "CN2") for b in ("MX1", "MX2")]
    assert m.Z.loc[("CHN", "D01T02"), ("MEX", "D10T12")] == sum(cells)
    assert m.x[("MEX", "D10T12")] == raw.loc["MX1_D10T12", "OUT"] + raw.loc["MX2_D10T12", "OUT"]
    assert m.Y.loc[("CHN", "D10T12"), ("ROW", "HFCE")] == raw.loc["CN1_D10T12", "ROW_HFCE"] + 25
    # totals preserved, balance preserved
    assert m.Z.to_numpy().sum() == t.Z.to_numpy().sum()
    assert m.va.sum() == t.va.sum()
    icio.check_balance(m, rtol=0, atol=1e-9)
    c = icio.drop_industries(icio.drop_countries(m))
    assert c.countries == ["AUS", "CHN", "MEX"] and c.industries == ["D01T02", "D10T12"]


def test_cleaning_on_hand_made_table():
    t = tiny()
    m = icio.merge_split_countries(t, {"B": "A"})
    assert m.countries == ["A", "ROW"]
    assert m.Z.loc[("A", "x"), ("A", "x")] == 1 + 2 + 4 + 5
    assert m.Y.loc[("A", "x"), ("A", "HFCE")] == 10 + 1 + 1 + 10
    d = icio.drop_countries(t)
    assert d.countries == ["A", "B"] and list(d.Y.columns.get_level_values(0)) == ["A", "B"]
    assert d.x[("A", "x")] == t.x[("A", "x")] == 18  # output kept: the dropped table is not balanced
    with pytest.raises(ValueError, match=r"A_x: uses 14 vs output 18 \(gap -4\)"):
        icio.check_balance(d, rtol=0, atol=0)
    h = icio.drop_industries(t, ["h"])
    assert h.industries == ["x"] and h.Z.shape == (3, 3)
    assert icio.drop_industries(t).industries == ["x", "h"]  # "h" is not a default household code
    h2 = icio.drop_industries(t, ["x"])
    assert h2.industries == ["h"]
    zd = icio.zero_domestic_blocks(t)
    assert zd.Z.to_numpy().diagonal().tolist() == [0] * 6
    assert zd.Z.loc[("A", "x"), ("B", "x")] == 2 and zd.Z.loc[("ROW", "x"), ("A", "x")] == 7
    s = icio.sum_tables([t, t, zd])
    assert s.Z.loc[("A", "x"), ("A", "x")] == 2 and s.Z.loc[("A", "x"), ("B", "x")] == 6
    assert s.x[("B", "x")] == 3 * t.x[("B", "x")]
    with pytest.raises(ValueError, match="other .country, industry. labels"):
        icio.sum_tables([t, h])


def test_check_balance_and_rebalanced():
    t = tiny()
    icio.check_balance(t, rtol=0, atol=0)
    off = icio.IcioTable(Z=t.Z, Y=t.Y, va=t.va, x=t.x + np.array([0, 0, 0.5, 0, 0, 0]))
    icio.check_balance(off, rtol=0, atol=0.5)
    with pytest.raises(ValueError, match=r"1 rows are unbalanced.*B_x.*gap -0.5"):
        icio.check_balance(off, rtol=0, atol=0.1)
    r = icio.rebalanced(off, rtol=0, atol=1)
    assert r.x[("B", "x")] == t.x[("B", "x")] and r.va.sum() == pytest.approx(r.Y.to_numpy().sum())
    nan = icio.IcioTable(Z=t.Z.mask(t.Z == 9), Y=t.Y, va=t.va, x=t.x)
    with pytest.raises(ValueError, match=r"NaN or infinite cells in Z: 1, ROW_x / ROW_x: nan \(row / column"):
        icio.check_balance(nan)


def test_table_validation():
    t = tiny()
    with pytest.raises(ValueError, match="same .country, industry. labels"):
        icio.IcioTable(Z=t.Z.iloc[:, ::-1], Y=t.Y, va=t.va, x=t.x)
    with pytest.raises(ValueError, match="x rows differ"):
        icio.IcioTable(Z=t.Z, Y=t.Y, va=t.va, x=t.x.iloc[::-1])


def test_read_wiod_vendored():
    t = icio.read_wiod(data_file("wiod2013/wiot_2011.parquet"))
    assert len(t.countries) == 41 and len(t.industries) == 35 and t.is_square_block
    assert t.Y.shape == (1435, 41 * 5)
    raw = pd.read_parquet(data_file("wiod2013/wiot_2011.parquet"))
    assert t.Z.loc[("AUS", "c1"), ("AUS", "c1")] == raw.loc["AUS_c1", "AUS_c1"] == 8732
    assert t.x[("DEU", "c15")] == raw.loc["DEU_c15", "GO"]
    assert (t.x == 0).sum() == 22
    icio.check_balance(t)  # default tolerances accept WIOD's rounding ...
    with pytest.raises(ValueError, match="NLD_c23.*gap -108"):  # ... and they are needed
        icio.check_balance(t, rtol=1e-3, atol=1)
    clean = icio.zero_domestic_blocks(icio.drop_industries(icio.drop_countries(t)))
    assert clean.countries[-1] == "USA" and "c35" not in clean.industries and clean.Z.shape == (1360, 1360)


def test_wiod_layout_refuses_a_row_or_column_alone(tmp_path):
    """A WIOD Parquet table whose industry has lost its column (or its row) would otherwise read its row as
    nothing and its column as final demand."""
    t = tiny()
    labels = [f"{c}_{i}" for c, i in t.Z.index]
    frame = pd.DataFrame(np.hstack([t.Z, t.Y, t.x.to_numpy()[:, None]]), index=pd.Index(labels, name="row"),
                         columns=labels + ["A_HFCE", "B_HFCE", "ROW_HFCE", "GO"])
    frame.drop(columns="B_h").to_parquet(tmp_path / "wiot_2011.parquet")
    with pytest.raises(ValueError, match=r"rows without a column of the same label: \['B_h'\]"):
        icio.read_wiod(tmp_path / "wiot_2011.parquet")
    frame.drop(index="B_h").to_parquet(tmp_path / "wiot_2011.parquet")
    with pytest.raises(ValueError, match=r"column 'B_h' is an industry without a row of the same label"):
        icio.read_wiod(tmp_path / "wiot_2011.parquet")


def test_merging_split_countries_refuses_nan_cells():
    """pandas' group sums count a NaN as 0: A_x -> B_x missing would merge into A_x -> A_x = 1 + 4 + 5."""
    t = tiny()
    Z = t.Z.copy()
    Z.loc[("A", "x"), ("B", "x")] = np.nan
    with pytest.raises(ValueError, match=r"t.csv: NaN or infinite cells in Z: 1, A_x / B_x: nan"):
        icio.merge_split_countries(icio.IcioTable(Z=Z, Y=t.Y, va=t.va, x=t.x), {"B": "A"}, where="t.csv")
