"""valuechain-icio command line (valuechain.cli_icio.main) on the leather table and the vendored WIOD."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from data_files import DATA
from valuechain import accounting as ac
from valuechain import icio
from valuechain import perspectives as pv
from valuechain.cli_icio import main

ROOT = Path(__file__).resolve().parents[1]
WIOD = DATA / "wiod2013"
OECD = ROOT / "tests" / "fixtures" / "oecd_icio_small.csv"


@pytest.fixture(scope="module")
def wiod2011() -> ac.Model:
    return ac.build_model(icio.read_wiod(WIOD / "wiot_2011.parquet"))


def test_va_origin_destination_with_save(tmp_path, capsys, wiod2011):
    out = tmp_path / "va.csv"
    assert main([str(WIOD), "--year", "2011", "--method", "va", "--origin", "DEU", "--destination", "CHN",
                 "--save", str(out)]) == 0
    printed = capsys.readouterr().out
    saved = pd.read_csv(out)
    expected = ac.va_by_destination(wiod2011).loc["DEU", "CHN"].sum()
    assert len(saved) == 1 and saved.va[0] == pytest.approx(expected)
    assert f"{expected:,.1f}" in printed and "DEU" in printed


def test_gvc_every_country_parquet(tmp_path, wiod2011):
    out = tmp_path / "gvc.parquet"
    assert main([str(WIOD), "--year", "2011", "--method", "gvc", "--save", str(out)]) == 0
    df = pd.read_parquet(out)
    assert len(df) == 41 and set(df.columns) >= {"year", "exporter", "gvc", "gvc_backward", "gvc_forward"}
    ref = ac.gvc_participation(wiod2011).set_index("exporter")
    got = df.set_index("exporter")
    np.testing.assert_allclose(got.loc[ref.index, "gvc_backward"], ref.gvc_backward, rtol=1e-12)


def test_filters_groups_and_years(tmp_path, wiod2011):
    out = tmp_path / "bm.csv"
    assert main([str(WIOD), "--year", "2010", "2011", "--method", "bm_source", "--exporter", "DEU",
                 "--importer", "EU3", "--group", "EU3=FRA,ITA,ESP", "--level", "bilateral", "--save", str(out)]) == 0
    df = pd.read_csv(out)
    assert list(df.year) == [2010, 2011] and set(df.importer) == {"EU3"}
    src = ac.bm_source(wiod2011)
    pair = src[(src.exporter == "DEU") & src.importer.isin(["FRA", "ITA", "ESP"])]
    assert df.loc[df.year == 2011, "DVA"].item() == pytest.approx(pair.DVA.sum())
    out2 = tmp_path / "wwz.csv"
    assert main([str(WIOD / "wiot_2011.parquet"), "--method", "wwz", "--exporter", "DEU", "--importer", "CHN",
                 "--sector", "c15", "--level", "detail", "--save", str(out2)]) == 0
    w = pd.read_csv(out2)
    assert len(w) == 1 and w[list(ac.WWZ_TERMS)].sum(axis=1).item() == pytest.approx(w.GEXP.item())


def test_oecd_format_and_errors(tmp_path, capsys):
    assert main([str(OECD), "--format", "oecd", "--method", "position", "--origin", "CHN"]) == 0
    assert "CHN" in capsys.readouterr().out
    assert main([str(WIOD), "--year", "1999"]) == 2
    assert "no table for years [1999]" in capsys.readouterr().err
    assert main([str(WIOD), "--year", "2011", "--exporter", "XXX"]) == 2
    assert "unknown exporter ['XXX']" in capsys.readouterr().err
    assert main([str(WIOD), "--group", "bad"]) == 2
    with pytest.raises(SystemExit):
        main([str(WIOD), "--method", "nope"])


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
    with pytest.raises(SystemExit) as exit_:
        main([str(OECD), "--format", "oecd", *args])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


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
