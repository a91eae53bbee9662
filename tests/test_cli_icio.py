"""valuechain-icio command line (valuechain.icio.cli.main) on the leather table and the vendored WIOD."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from data_files import data_folder

from valuechain.icio import accounting as ac
from valuechain.icio import perspectives as pv
from valuechain.icio import tables as icio
from valuechain.icio.cli import main

ROOT = Path(__file__).resolve().parents[1]


def wiod():
    """The folder of the WIOD 2013 tables (each year retrieved when not at hand)."""
    return data_folder("wiod2013", "wiot_2009.parquet", "wiot_2010.parquet", "wiot_2011.parquet")
OECD = ROOT / "tests" / "fixtures" / "oecd_icio_small.csv"


@pytest.fixture(scope="module")
def wiod2011() -> ac.Model:
    with pytest.warns(ac.AccountingWarning, match="LUX_c24"):
        return ac.build_model(icio.read_wiod(wiod() / "wiot_2011.parquet"))


def test_va_origin_destination_with_save(tmp_path, capsys, wiod2011):
    out = tmp_path / "va.csv"
    assert main([str(wiod()), "--year", "2011", "--method", "va", "--origin", "DEU", "--destination", "CHN",
                 "--save", str(out)]) == 0
    printed = capsys.readouterr().out
    saved = pd.read_csv(out)
    expected = ac.va_by_destination(wiod2011).loc["DEU", "CHN"].sum()
    assert len(saved) == 1 and saved.va[0] == pytest.approx(expected)
    assert f"{expected:,.1f}" in printed and "DEU" in printed


def test_gvc_every_country_parquet(tmp_path, wiod2011):
    out = tmp_path / "gvc.parquet"
    assert main([str(wiod()), "--year", "2011", "--method", "gvc", "--save", str(out)]) == 0
    df = pd.read_parquet(out)
    assert len(df) == 41 and set(df.columns) >= {"year", "exporter", "gvc", "gvc_backward", "gvc_forward"}
    ref = ac.gvc_participation(wiod2011).set_index("exporter")
    got = df.set_index("exporter")
    np.testing.assert_allclose(got.loc[ref.index, "gvc_backward"], ref.gvc_backward, rtol=1e-12)


def test_filters_groups_and_years(tmp_path, wiod2011):
    out = tmp_path / "bm.csv"
    assert main([str(wiod()), "--year", "2010", "2011", "--method", "bm_source", "--exporter", "DEU",
                 "--importer", "EU3", "--group", "EU3=FRA,ITA,ESP", "--level", "bilateral", "--save", str(out)]) == 0
    df = pd.read_csv(out)
    assert list(df.year) == [2010, 2011] and set(df.importer) == {"EU3"}
    src = ac.bm_source(wiod2011)
    pair = src[(src.exporter == "DEU") & src.importer.isin(["FRA", "ITA", "ESP"])]
    assert df.loc[df.year == 2011, "DVA"].item() == pytest.approx(pair.DVA.sum())
    out2 = tmp_path / "wwz.csv"
    assert main([str(wiod() / "wiot_2011.parquet"), "--method", "wwz", "--exporter", "DEU", "--importer", "CHN",
                 "--sector", "c15", "--level", "detail", "--save", str(out2)]) == 0
    w = pd.read_csv(out2)
    assert len(w) == 1 and w[list(ac.WWZ_TERMS)].sum(axis=1).item() == pytest.approx(w.GEXP.item())


def test_oecd_format_and_errors(tmp_path, capsys):
    assert main([str(OECD), "--format", "oecd", "--method", "position", "--origin", "CHN"]) == 0
    assert "CHN" in capsys.readouterr().out
    assert main([str(wiod()), "--year", "1999"]) == 2
    assert "no table for years [1999]" in capsys.readouterr().err
    assert main([str(wiod()), "--year", "2011", "--exporter", "XXX"]) == 2
    assert "unknown exporter ['XXX']" in capsys.readouterr().err
    assert main([str(wiod()), "--group", "bad"]) == 2
    assert main([str(wiod()), "--method", "nope"]) == 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--method", "wwz", "--origin", "DEU"], "--origin does not apply to --method wwz"),
        (["--method", "bm_source", "--destination", "CHN"], "--destination does not apply to --method bm_source"),
        (["--method", "va", "--exporter", "DEU"], "--exporter does not apply to --method va"),
        (["--method", "kww", "--importer", "CHN"], "--importer does not apply to --method kww"),
        (["--method", "kww", "--level", "sectoral"], "--level does not apply to --method kww"),
        (["--method", "va", "--shares"], "--shares does not apply to --method va"),
        (["--method", "gvc", "--shares"], "--shares does not apply to --method gvc"),
        (["--method", "va", "--perspective", "bilateral"], "--perspective does not apply to --method va"),
        (["--method", "bm_source", "--approach", "sink"], "--approach does not apply to --method bm_source"),
        (["--method", "tiva", "--level", "detail"], "--method tiva is by exporting country"),
        (["--method", "length", "--importer", "CHN"], "--importer does not apply to --method length"),
    ],
)
def test_every_option_applies_or_is_rejected(capsys, args, message):
    assert main([str(OECD), "--format", "oecd", *args]) == 2
    assert message in capsys.readouterr().err


def test_codes_are_case_insensitive_and_groups_checked(tmp_path, capsys):
    lower, upper = tmp_path / "lower.csv", tmp_path / "upper.csv"
    assert main([str(OECD), "--format", "oecd", "--method", "bm_source", "--exporter", "chn", "--save",
                 str(lower)]) == 0
    assert main([str(OECD), "--format", "oecd", "--method", "bm_source", "--exporter", "CHN", "--save",
                 str(upper)]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(lower), pd.read_csv(upper))
    capsys.readouterr()
    assert main([str(OECD), "--format", "oecd", "--group", "BLOC=CHN,XXX", "--exporter", "BLOC"]) == 2
    assert "--group members not in the table: {'BLOC': ['XXX']}" in capsys.readouterr().err


def test_a_member_asked_for_by_name_is_not_labelled_with_its_group(tmp_path):
    out = tmp_path / "out.csv"
    a, b = "AUS", "CHN"  # the fixture's countries after merging the split ones: AUS, CHN, MEX, ROW
    assert main([str(OECD), "--format", "oecd", "--method", "bm_source", "--exporter", a,
                 "--group", f"BLOC={a},{b}", "--save", str(out)]) == 0
    assert pd.read_csv(out)["exporter"].tolist() == [a]


def test_the_wrong_format_names_the_expected_layout(capsys):
    assert main([str(OECD), "--format", "wiod", "--method", "gvc"]) == 2
    err = capsys.readouterr().err
    assert "not a wiod table" in err and "format wiod expects WIOD 2013 Parquet" in err


EXVA = ROOT.parent / "shared" / "oracles" / "exvatools" / "iciotest_data.csv"


@pytest.mark.skipif(not EXVA.exists(), reason="exvatools oracle (../shared) not found")
def test_a_group_is_one_exporter_on_the_command_line(tmp_path):
    out = tmp_path / "nafta.csv"
    assert main([str(EXVA), "--format", "oecd", "--method", "bm_sink", "--exporter", "NAFTA", "usa",
                 "--group", "NAFTA=USA,MEX", "--save", str(out)]) == 0
    df = pd.read_csv(out).set_index("exporter")
    # exvatools 0.9.0 make_exvadec(wio, exporter = "NAFTA", method = "bm_snk") and exporter = "USA"
    assert round(df.loc["NAFTA", "GEXP"], 2) == 10485.40 and round(df.loc["NAFTA", "REF"], 2) == 974.09
    single = ac.aggregate(ac.bm_sink(ac.build_model(icio.read_oecd_icio(EXVA)))).set_index("exporter")
    assert df.loc["USA", "GEXP"] == pytest.approx(single.loc["USA", "GEXP"])
    assert main([str(EXVA), "--format", "oecd", "--method", "bm_source", "--group", "NAFTA=USA,MEX",
                 "--save", str(out)]) == 0
    assert pd.read_csv(out).exporter.tolist() == ["ESP", "FRA", "MEX", "USA", "CHN", "ROW", "NAFTA"]


@pytest.mark.skipif(not EXVA.exists(), reason="exvatools oracle (../shared) not found")
def test_perspectives_and_new_measures_on_the_command_line(tmp_path, capsys):
    m = ac.build_model(icio.read_oecd_icio(EXVA))
    out = tmp_path / "bil.csv"
    assert main([str(EXVA), "--format", "oecd", "--method", "bm", "--perspective", "bilateral", "--exporter",
                 "CHN", "--importer", "USA", "--level", "bilateral", "--save", str(out)]) == 0
    got = pd.read_csv(out)
    d = pv.decompose(m, "bilateral")
    assert got.DVA.item() == pytest.approx(d[(d.exporter == "CHN") & (d.importer == "USA")].DVA.sum())
    for method, cols in [("tripartite", {"pure_backward", "two_sided", "pure_forward"}),
                         ("tiva", {"GVCF"}), ("wwz_summary", {"VAX", "FVA"}), ("length", {"PLv_GVC_S"}),
                         ("origin", {"origin", "va"}), ("destination", {"destination", "DVA"})]:
        assert main([str(EXVA), "--format", "oecd", "--method", method, "--exporter", "ESP", "--save",
                     str(out)]) == 0, method
        assert cols <= set(pd.read_csv(out).columns), method
    capsys.readouterr()
    assert main([str(EXVA), "--format", "oecd", "--method", "bm", "--perspective", "importer",
                 "--approach", "sink"]) == 2
    assert "approach sink applies to the exporter and world perspectives" in capsys.readouterr().err


# --- what the command line refuses ----------------------------------------------------------------------


def _oecd(path: Path, Z, Y, producers=("AAA", "BBB"), out: bool = True) -> Path:
    """A one-industry (``X``) table in the OECD layout: rows and columns ``CCC_X``, final demand ``CCC_HFCE`` of
    each country (the parts of a split country share theirs), then ``OUT`` = the row sums."""
    Z, Y = np.asarray(Z, float), np.asarray(Y, float)
    labels = [f"{p}_X" for p in producers]
    fd = [f"{c}_HFCE" for c in dict.fromkeys({"CN1": "CHN", "CN2": "CHN"}.get(p, p) for p in producers)]
    df = pd.DataFrame(np.hstack([Z, Y]), index=pd.Index(labels, name="V1"), columns=labels + fd)
    if out:
        df["OUT"] = Z.sum(axis=1) + Y.sum(axis=1)
    df.to_csv(path)
    return path


#: Three countries, one industry: AAA exports 3 + 6 = 9 to BBB and 2 + 4 = 6 to CCC.
THREE = ([[5, 3, 2], [1, 4, 2], [2, 1, 6]], [[20, 6, 4], [3, 25, 5], [2, 3, 30]], ("AAA", "BBB", "CCC"))


def _err(capsys) -> str:
    err = capsys.readouterr().err
    assert len([line for line in err.splitlines() if line.startswith("valuechain-icio: error:")]) == 1, err
    return err


def test_the_year_of_one_table_is_checked(tmp_path, capsys):
    assert main([str(wiod() / "wiot_2011.parquet"), "--year", "2009", "--method", "gvc"]) == 2
    assert "--year 2009: " in (err := _err(capsys)) and "wiot_2011.parquet is the table of 2011 (by its name)" in err
    assert main([str(OECD), "--format", "oecd", "--year", "2011"]) == 2
    assert "--year 2011: the year of " in (err := _err(capsys)) and "oecd_icio_small.csv is unknown" in err
    for name in ("ICIO2021_2015.csv", "ICIO2023_2015.csv"):  # two editions of one year in one folder
        (tmp_path / name).write_bytes(OECD.read_bytes())
    assert main([str(tmp_path), "--format", "oecd", "--year", "2015"]) == 2
    assert "several tables for the same year {2015: ['ICIO2021_2015.csv', 'ICIO2023_2015.csv']}" in _err(capsys)
    out = tmp_path / "gvc.csv"
    assert main([str(tmp_path / "ICIO2021_2015.csv"), "--format", "oecd", "--year", "2015", "--method", "gvc",
                 "--save", str(out)]) == 0
    assert pd.read_csv(out).year.unique().tolist() == [2015]
    assert main([str(wiod()), "--year", "2011", "2011", "--method", "gvc", "--save", str(out)]) == 0
    assert len(pd.read_csv(out)) == 41  # a year asked twice is computed once


@pytest.mark.parametrize(
    "groups, message",
    [
        (["AAA=BBB"], "--group AAA: named as a country of the table (AAA), so it would replace that country"),
        (["aaa=BBB,CCC"], "--group aaa: named as a country of the table (AAA)"),
        (["G=AAA", "G=BBB"], "--group G is given twice (G=AAA and G=BBB)"),
        (["G=AAA", "g=BBB"], "--group g is given twice (G=AAA and g=BBB)"),
        (["G=BBB,ccc,CCC"], "--group G=BBB,ccc,CCC: lists CCC twice; list each member once"),
        (["G="], "--group 'G=': expected NAME=CODE,CODE,..."),
        (["G=,"], "--group 'G=,': expected NAME=CODE,CODE,..."),
        (["G=BBB,XXX"], "--group members not in the table: {'G': ['XXX']}"),
    ],
)
def test_groups_that_would_silently_replace_or_double(tmp_path, capsys, groups, message):
    table = _oecd(tmp_path / "t.csv", *THREE)
    args = [x for g in groups for x in ("--group", g)]
    assert main([str(table), "--format", "oecd", "--method", "bm_source", *args]) == 2
    assert message in _err(capsys)


def test_groups_as_importers_origins_and_destinations(tmp_path, capsys):
    table, out = _oecd(tmp_path / "t.csv", *THREE), tmp_path / "out.csv"
    group = ["--group", "G=BBB,CCC"]
    assert main([str(table), "--format", "oecd", "--exporter", "AAA", "--importer", "G", "BBB", "--level",
                 "bilateral", *group, "--save", str(out)]) == 0
    got = pd.read_csv(out).set_index("importer").GEXP
    assert got.to_dict() == {"G": 15.0, "BBB": 9.0}  # a member keeps its own row beside its group's
    assert main([str(table), "--format", "oecd", "--exporter", "AAA", "--importer", "G", "BBB", *group,
                 "--save", str(out)]) == 0
    assert pd.read_csv(out).GEXP.tolist() == [15.0]  # summed over importers: each flow once
    assert main([str(table), "--format", "oecd", "--method", "va", "--origin", "BBB", "CCC", "G",
                 "--destination", "AAA", *group, "--save", str(out)]) == 0
    va = pd.read_csv(out).set_index("origin").va
    assert va["G"] == pytest.approx(va["BBB"] + va["CCC"]) and va["BBB"] > 0
    assert main([str(table), "--format", "oecd", "--method", "destination", "--exporter", "AAA",
                 "--destination", "CCC", "--save", str(out)]) == 0
    one = pd.read_csv(out)
    assert main([str(table), "--format", "oecd", "--method", "destination", "--exporter", "AAA",
                 "--save", str(out)]) == 0
    every = pd.read_csv(out)
    assert one.destination.tolist() == ["CCC"] and one.DVA.item() == every[every.destination == "CCC"].DVA.item()
    capsys.readouterr()
    assert main([str(table), "--format", "oecd", "--method", "origin", "--exporter", "G", "--origin", "BBB",
                 *group]) == 2
    assert "--origin BBB: BBB is inside exporter group G, computed as one country; ask for --origin G" in _err(capsys)
    assert main([str(table), "--format", "oecd", "--method", "position", "--origin", "G", *group]) == 2
    assert "--method position is per country and sector" in _err(capsys)
    assert main([str(table), "--format", "oecd", "--exporter", "W", "--group", "W=AAA,BBB,CCC"]) == 2
    assert "--exporter W: the group has every country of the table" in _err(capsys)
    assert main([str(table), "--format", "oecd", "--exporter", "AAA", "--importer", "AAA"]) == 2
    assert "--method bm_source --exporter AAA --importer AAA: no rows to show" in _err(capsys)


def test_tables_the_accounting_cannot_compute_are_refused(tmp_path, capsys):
    """Hand-made tables (AAA, BBB; one industry X; output = row sums)."""
    cases = {
        # AAA_X sells 30 + 20 to industries and -15 to final demand: output 35, inputs 30 + 20 = 50, so
        # A = [[6/7, 0.4], [4/7, 0.2]] with spectral radius 1.109
        "nonproductive": ([[30, 20], [20, 10]], [[-15, 0], [0, 20]],
                          "not productive (the Leontief inverse (I - A)^-1 has negative entries: no output meets its "
                          "final demand, so value added cannot be traced); columns using 1 or more of inputs per "
                          "unit of output: 1, AAA_X (1.429) (input coefficients summed); rows with no positive final "
                          "demand, all of their output (or more) an input of the table's industries: 1, AAA_X (-15)"),
        # AAA_X's whole output (10) is its own input: A[0, 0] = 1
        "singular": ([[10, 0], [5, 10]], [[0, 0], [0, 20]],
                     "not productive (I - A is singular: no output meets its final demand, so value added cannot be "
                     "traced); columns using 1 or more of inputs per unit of output: 1, AAA_X (1.5)"),
        # AAA_X has no output (row 0) but buys 4 from BBB_X
        "idle": ([[0, 0], [4, 10]], [[0, 0], [0, 20]],
                 "industries with no output that use intermediate inputs (which no product would carry): 1, "
                 "AAA_X (4) (inputs)"),
        "negative_output": ([[-5, 0], [0, 10]], [[0, 0], [0, 20]],
                            "rows with negative gross output: 1, AAA_X (-5); output cannot be negative"),
        # published output 0, within the balance tolerance of the row's sales, -5
        "negative_sales": ([[-5, 0], [0, 10]], [[0, 0], [0, 20]],
                           "rows whose intermediate sales, and so output, are negative: 1, AAA_X (-5)"),
    }
    for name, (Z, Y, message) in cases.items():
        path = _oecd(tmp_path / f"{name}.csv", Z, Y)
        if name == "negative_sales":
            pd.read_csv(path, index_col=0).assign(OUT=[0, 30]).to_csv(path)
        assert main([str(path), "--format", "oecd", "--method", "gvc"]) == 2, name
        err = _err(capsys)
        assert f"{name}.csv: " in err and message in err, err
    one = _oecd(tmp_path / "one.csv", [[5]], [[20]], producers=("AAA",))
    assert main([str(one), "--format", "oecd", "--method", "gvc"]) == 2
    assert "one.csv: value-added trade accounting needs at least two countries; the table has only AAA" in _err(capsys)


def test_negative_value_added_is_computed_with_a_warning(tmp_path, capsys):
    # AAA_X: output 10 + 5 + 10 + 5 = 30, inputs 10 + 30 = 40: value added -10, coefficients summing to 4/3;
    # A = [[1/3, 1/12], [1, 1/6]] has spectral radius 0.55, so the table is productive
    out = tmp_path / "gvc.csv"
    table = _oecd(tmp_path / "loss.csv", [[10, 5], [30, 10]], [[10, 5], [0, 20]])
    assert main([str(table), "--format", "oecd", "--method", "gvc", "--save", str(out)]) == 0
    err = capsys.readouterr().err
    assert ("valuechain-icio: warning: " in err and "columns with negative value added (input coefficients summed "
            "above 1): 1, AAA_X (1.333: value added -10 of output 30)" in err)
    got = pd.read_csv(out).set_index("exporter")
    assert got.loc["AAA", "GEXP"] == 5 + 5 and got.loc["BBB", "GEXP"] == 30  # exports by hand
    assert got.loc["AAA", "gvc_forward"] < 0  # the negative value added AAA exports, as the warning says


def test_damaged_files_name_the_cells(tmp_path, capsys):
    raw = pd.read_csv(OECD, index_col=0)
    text = raw.astype(object)
    text.loc["CN1_D10T12", "AUS_D01T02"] = "1O"
    text.to_csv(tmp_path / "text.csv")
    nan = raw.copy()
    nan.loc["MX2_D01T02", "ROW_HFCE"] = np.nan
    nan.to_csv(tmp_path / "nan.csv")
    header = OECD.read_text().splitlines()
    header[0] = header[0].replace("CN2_D01T02", "CN1_D01T02")
    (tmp_path / "dup.csv").write_text("\n".join(header) + "\n")
    lines = OECD.read_text().splitlines()
    (tmp_path / "blank.csv").write_text("\n".join([*lines[:3], "," + lines[3].split(",", 1)[1], *lines[4:]]) + "\n")
    raw.drop(columns="CN1_D10T12").to_csv(tmp_path / "nocolumn.csv")
    expected = {
        "text": "cells that are not numbers: 1, CN1_D10T12 / AUS_D01T02: '1O' (row / column: value)",
        "nan": "NaN or infinite cells in Y: 1, MX2_D01T02 / ROW_HFCE: nan (row / column: value)",
        "dup": "duplicate column labels ['CN1_D01T02'] in the header",
        "blank": "rows without a label on lines [4]",
        "nocolumn": "rows without a column of the same label: ['CN1_D10T12']",
    }
    for name, message in expected.items():
        assert main([str(tmp_path / f"{name}.csv"), "--format", "oecd"]) == 2, name
        assert message in _err(capsys), name


def test_save_is_checked_before_computing_and_never_half_written(tmp_path, capsys, monkeypatch):
    table = _oecd(tmp_path / "t.csv", *THREE)
    assert main([str(table), "--format", "oecd", "--save", str(table / "out.csv")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # refused before anything was computed
    assert f"--save {table / 'out.csv'}: cannot write in {table} (Not a directory); choose another path" in captured.err
    (tmp_path / "dir.csv").mkdir()
    assert main([str(table), "--format", "oecd", "--save", str(tmp_path / "dir.csv")]) == 2
    assert f"--save {tmp_path / 'dir.csv'}: is a directory" in _err(capsys)
    out = tmp_path / "new" / "out.csv"
    out.parent.mkdir()
    out.write_text("older\n")

    def disk_full(self, path, **kwargs):
        Path(path).write_text("exporter,GE")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    assert main([str(table), "--format", "oecd", "--save", str(out)]) == 2
    assert f"--save {out}: cannot write it (No space left on device); nothing was saved" in _err(capsys)
    assert out.read_text() == "older\n" and [p.name for p in out.parent.iterdir()] == ["out.csv"]
