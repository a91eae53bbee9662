"""WIOD 2016 national input-output tables (valuechain.reference.niot): a hand-made file in the real textual format, errors
that name the file, line and column, the 43 real tables of the data mirror, the ISIC mappings against the
HS -> ISIC concordances, and the config entry that stands for 43 files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from data_files import DATA

from valuechain.glue.retrieve import data_files, retrieve
from valuechain.links import yardstick
from valuechain.reference import niot

ROOT = Path(__file__).resolve().parents[1]
NIOT = DATA / "wiod2016_niot"
CONCORDANCE = DATA / "concordance"

# ------------------------------------------------------------------------------------------- a hand-made table
# Two countries, three industries, one year (2014). Per product: the intermediate use by A01, C29, G46, then
# CONS_h, CONS_np, CONS_g, GFCF, INVEN, EXP; GO is the row sum (0 on Imports rows, as in the WIOD files).
IND = ("A01", "C29", "G46")
HAND = {
    "AAA": {
        "Domestic": {"A01": [10, 20, 0, 30, 0, 0, 0, 0, 40],            # GO 100
                     "C29": [0, 50, 10, 20, 0, 0, 47.5, -2.5, 75],      # GO 200
                     "G46": [5, 10, 5, 60, 0, 0, 0, 0, 20]},            # GO 100
        "Imports": {"A01": [5, 0, 0, 5, 0, 0, 0, 0, 0],                 # imports 10
                    "C29": [0, 40, 0, 10, 0, 0, 20, 0, 0],              # imports 70
                    "G46": [0, 10, 5, 0, 0, 0, 0, 0, 0]},               # imports 15
    },
    "BBB": {
        "Domestic": {"A01": [100, 300, 0, 200, 0, 0, 0, 0, 400],        # GO 1 000
                     "C29": [0, 200, 0, 300, 0, 0, 100, 0, 600],        # GO 1 200
                     "G46": [50, 100, 50, 250, 0, 0, 0, 0, 50]},        # GO 500
        "Imports": {"A01": [20, 0, 0, 10, 0, 0, 0, 0, 0],               # imports 30
                    "C29": [0, 100, 10, 40, 0, 0, 50, 0, 0],            # imports 200
                    "G46": [10, 0, 10, 0, 0, 0, 0, 0, 0]},              # imports 20
    },
}


def number(v: float) -> str:
    """As the WIOD files write numbers: spaces between thousands, decimal comma (1200 -> '1 200', -2.5 -> '-2,5')."""
    text = f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"
    return text.replace(",", " ").replace(".", ",")


def hand_file(tmp_path: Path, country: str, edit=None) -> Path:
    """The country's table of :data:`HAND` in the real textual format; ``edit(lines)`` may damage it."""
    t = HAND[country]
    names = ['"Crop; animal production"', "Motor vehicles", "Wholesale trade"]
    lines = [";".join(["Year", "Code", "Description", "Origin", *niot.number_columns(IND)]),
             ";;;;" + ";".join(names)]
    go = {i: sum(t["Domestic"][i]) for i in IND}  # gross output: the Domestic row's sum (0 on Imports rows)
    for origin in ("Domestic", "Imports"):
        for i, name in zip(IND, names):
            out = go[i] if origin == "Domestic" else 0
            lines.append(";".join(["2014", i, name, origin, *map(number, t[origin][i]), number(out)]))
    use = np.array([t["Domestic"][i][:3] for i in IND]) + np.array([t["Imports"][i][:3] for i in IND])
    ii = use.sum(axis=0)  # total intermediate inputs of each industry
    output = np.array([go[i] for i in IND])
    totals = {"II_fob": ii, "TXSP": 0 * ii, "EXP_adj": 0 * ii, "PURR": 0 * ii, "PURNR": 0 * ii, "VA": output - ii,
              "IntTTM": 0 * ii, "GO": output}
    for code, values in totals.items():
        lines.append(";".join(["2014", code, code, "TOT", *map(number, values), *["0"] * 7]))
    if edit:
        edit(lines)
    path = tmp_path / f"{country}_NIOT_nov16.csv"
    path.write_bytes("\ufeff".encode() + "\n".join(lines).encode() + b"\n")
    return path


@pytest.fixture
def hand(tmp_path) -> dict[str, pd.DataFrame]:
    return niot.read_niot_tables([hand_file(tmp_path, c) for c in HAND], industries=IND)


def test_hand_table_is_read_as_written(tmp_path, hand):
    text = hand_file(tmp_path, "BBB").read_text(encoding="utf-8-sig")
    assert ";1 000\n" in text and "-2,5" in hand_file(tmp_path, "AAA").read_text(encoding="utf-8-sig")
    t = hand["AAA"]
    assert list(t.columns) == [*IND, *niot.FINAL_USES, "GO"] and t.index.names == ["year", "origin", "code"]
    assert len(t) == 2 * 3 + 8
    assert t.loc[(2014, "Domestic", "C29")].tolist() == [0, 50, 10, 20, 0, 0, 47.5, -2.5, 75, 200]
    assert hand["BBB"].loc[(2014, "TOT", "GO"), "C29"] == 1200


def test_hand_exports_imports_and_specialisation(hand):
    exports, imports = niot.niot_trade(hand, [2014])
    # exports: the EXP cell of the Domestic rows; imports: the Imports rows over every use
    # AAA: A01 5 + 5, C29 40 + 10 + 20, G46 10 + 5; BBB: A01 20 + 10, C29 100 + 10 + 40 + 50, G46 10 + 10
    assert exports.to_numpy().tolist() == [[40, 75, 20], [400, 600, 50]]
    assert imports.to_numpy().tolist() == [[10, 70, 15], [30, 200, 20]]
    assert list(exports.index) == ["AAA", "BBB"] and list(exports.columns) == list(IND)
    spec = niot.niot_specialisation(hand, [2014])
    # exports: country totals 135, 1050; product totals 440, 675, 70; world 1185
    # RCA[AAA, A01] = (40 / 135) / (440 / 1185) = 0.798; RCA[BBB, C29] = (600 / 1050) / (675 / 1185) = 1.003
    s = spec.set_index(["country", "industry"])
    assert s.loc[("AAA", "A01"), "rca_export"] == pytest.approx((40 / 135) / (440 / 1185))
    assert s.loc[("BBB", "C29"), "rca_export"] == pytest.approx((600 / 1050) / (675 / 1185))
    # imports: country totals 95, 250; product totals 40, 270, 35; world 345
    assert s.loc[("AAA", "G46"), "rca_import"] == pytest.approx((15 / 95) / (35 / 345))
    # the layout of yardstick.specialisation, which yardstick.rca_arrays reads
    Z = pd.DataFrame(np.ones((6, 6)), index=pd.MultiIndex.from_product([["AAA", "BBB"], IND]),
                     columns=pd.MultiIndex.from_product([["AAA", "BBB"], IND]))
    reference = yardstick.specialisation(Z)
    assert list(spec.columns) == list(reference.columns) and (spec.dtypes == reference.dtypes).all()
    assert spec[["country", "industry"]].equals(reference[["country", "industry"]])
    E, I, countries, industries = yardstick.rca_arrays(spec)
    assert countries == ["AAA", "BBB"] and industries == list(IND) and E.shape == I.shape == (2, 3)


def test_hand_labels(hand):
    labels = niot.niot_labels(hand, [2014])
    # X = imported intermediates summed over the countries (rows: imported product, columns: user):
    #   A01 [5 + 20, 0, 0] = [25, 0, 0]; C29 [0, 40 + 100, 0 + 10] = [0, 140, 10]; G46 [0 + 10, 10 + 0, 5 + 10]
    # row totals 25, 150, 35; column totals 35, 150, 25; total 210. TI = X * 210 / (row * column):
    #   G46 -> A01: 10 * 210 / (35 * 35) = 1.714 (label), C29 -> G46: 10 * 210 / (150 * 25) = 0.56,
    #   G46 -> C29: 10 * 210 / (35 * 150) = 0.4; diagonal A01 6.0, C29 1.307, G46 3.6 (never labels).
    wide = labels.pivot(index="input", columns="output", values="flow").loc[list(IND), list(IND)]
    assert wide.to_numpy().tolist() == [[25, 0, 0], [0, 140, 10], [10, 10, 15]]
    ti = labels.set_index(["input", "output"])["ti"]
    assert ti[("G46", "A01")] == pytest.approx(10 * 210 / (35 * 35))
    assert ti[("C29", "G46")] == pytest.approx(0.56) and ti[("G46", "C29")] == pytest.approx(0.4)
    assert ti[("A01", "A01")] == pytest.approx(6.0)
    assert set(map(tuple, labels.loc[labels["label"], ["input", "output"]].to_numpy())) == {("G46", "A01")}
    Z = pd.DataFrame(np.ones((6, 6)), index=pd.MultiIndex.from_product([["AAA", "BBB"], IND]),
                     columns=pd.MultiIndex.from_product([["AAA", "BBB"], IND]))
    reference = yardstick.trade_intensity_labels(Z)
    assert list(labels.columns) == list(reference.columns) and (labels.dtypes == reference.dtypes).all()
    assert labels[["input", "output"]].equals(reference[["input", "output"]])
    L = yardstick.label_matrix(labels, list(IND))
    assert L.tolist() == [[False] * 3, [False] * 3, [True, False, False]]


def test_hand_input_coefficients(hand, tmp_path):
    A = niot.input_coefficients(hand, [2014])
    # Domestic + Imports intermediates summed over the countries:
    #   A01 [10 + 5 + 100 + 20, 20 + 300, 0] = [135, 320, 0]; C29 [0, 50 + 40 + 200 + 100, 10 + 10] = [0, 390, 20];
    #   G46 [5 + 50 + 10, 10 + 10 + 100, 5 + 5 + 50 + 10] = [65, 120, 70]
    # world output: A01 100 + 1000 = 1100, C29 200 + 1200 = 1400, G46 100 + 500 = 600
    expected = np.array([[135 / 1100, 320 / 1400, 0], [0, 390 / 1400, 20 / 600], [65 / 1100, 120 / 1400, 70 / 600]])
    assert A.to_numpy() == pytest.approx(expected)
    assert list(A.index) == list(A.columns) == list(IND) and (A.index.name, A.columns.name) == ("input", "output")

    def wrong_go_row(lines):  # the GO row of C29 no longer equals the GO column (200)
        lines[-1] = lines[-1].replace(";200;", ";210;")

    tables = {"AAA": niot.read_niot(hand_file(tmp_path, "AAA", wrong_go_row), IND)}
    with pytest.raises(ValueError, match=r"AAA 2014 C29: gross output 200 \(GO column\) but 210 \(GO row\)"):
        niot.input_coefficients(tables, [2014])
    with pytest.raises(ValueError, match=r"AAA: no rows for the years \[2013\]"):
        niot.niot_trade(hand, [2013, 2014])


def set_cell(k: int, column: str, value: str):
    """An edit of :func:`hand_file`: cell ``column`` of ``lines[k]`` (a row without a quoted description)."""
    def edit(lines):
        fields = lines[k].split(";")
        fields[[*niot.LABEL_COLUMNS, *niot.number_columns(IND)].index(column)] = value
        lines[k] = ";".join(fields)
    return edit


# lines[0] is line 1 (the header), lines[1] line 2 (the names), lines[2..4] the Domestic rows A01, C29, G46,
# lines[5..7] the Imports rows, lines[8..15] the total rows II_fob .. GO.
@pytest.mark.parametrize(
    "edit, line, column, what",
    [
        (set_cell(3, "C29", "5O"), 4, "C29", "'5O' is not a number"),
        (set_cell(4, "CONS_h", "1.000"), 5, "CONS_h", "'1.000' is not a number"),
        (set_cell(4, "A01", "1 00"), 5, "A01", "'1 00' is not a number"),
        (set_cell(7, "GFCF", ""), 8, "GFCF", "'' is not a number"),
        (set_cell(6, "Year", "14"), 7, "Year", "'14' is not a year"),
        (lambda lines: lines.__setitem__(0, lines[0].replace(";C29;", ";")), 1, "C29", "missing from the header"),
        (lambda lines: lines.pop(6), 3, "Origin", "year 2014 has 2 Imports rows, expected 3"),
        (set_cell(4, "Code", "C29"), 5, "Code", "Domestic row 'C29'; expected year 2014, Domestic row 'G46'"),
        (lambda lines: lines.__setitem__(9, lines[9] + ";7"), 10, "(after GO)", "more fields"),
    ],
)
def test_bad_input_names_file_line_and_column(tmp_path, edit, line, column, what):
    path = hand_file(tmp_path, "AAA", edit)
    with pytest.raises(ValueError) as err:
        niot.read_niot(path, IND)
    message = str(err.value)
    assert message.startswith(f"{path}, line {line}, column {column}: ") and what in message, message


def test_default_industries_are_the_56_of_wiod_2016(tmp_path):
    path = hand_file(tmp_path, "AAA")
    with pytest.raises(ValueError, match=rf"{path}, line 1, column A02: missing from the header"):
        niot.read_niot(path)


# --------------------------------------------------------------------------------------- the real files
needs_niot = pytest.mark.skipif(not (NIOT / "USA_NIOT_nov16.csv").is_file(),
                                reason="WIOD 2016 national tables (data mirror or resources/) not found")


@pytest.fixture(scope="module")
def real() -> dict[str, pd.DataFrame]:
    return niot.read_niot_tables(sorted(NIOT.glob("*_NIOT_nov16.csv")))


@needs_niot
def test_real_tables_read_for_all_43_countries(real):
    assert len(real) == 43 and list(real)[:2] == ["AUS", "AUT"] and "USA" in real
    for country, t in real.items():  # 15 years of 56 Domestic, 56 Imports and 8 total rows
        assert t.shape == (15 * 120, 63), country
        assert sorted(set(t.index.get_level_values("year"))) == list(range(2000, 2015)), country
    usa = real["USA"].loc[2014]
    # USA 2014 motor vehicles: their inputs (Domestic + Imports column) sum to II_fob within rounding
    inputs = usa.xs("Domestic", level="origin")["C29"].sum() + usa.xs("Imports", level="origin")["C29"].sum()
    assert inputs == pytest.approx(usa.loc[("TOT", "II_fob"), "C29"], abs=5)
    assert inputs == 451025 and usa.loc[("TOT", "II_fob"), "C29"] == 451020


@needs_niot
def test_real_specialisation_labels_and_coefficients(real):
    spec = niot.niot_specialisation(real, [2014])
    E, I, countries, industries = yardstick.rca_arrays(spec)
    assert E.shape == (43, 56) and industries == list(niot.INDUSTRIES) and (spec["export"] >= 0).all()
    assert (spec.set_index(["country", "industry"]).loc[("FIN", "L68"), ["export", "rca_export"]] == 0).all()
    labels = niot.niot_labels(real, [2014])
    assert len(labels) == 56 * 56 and int(labels["label"].sum()) == 974
    assert int(niot.niot_labels(real, range(2000, 2015))["label"].sum()) == 962
    A = niot.input_coefficients(real, [2014])
    assert ((A >= 0) & (A < 1)).all().all() and (A.sum() < 1).all()  # inputs are less than output
    top = A["C29"].sort_values(ascending=False)
    assert list(top.index[:3]) == ["C29", "C24", "G46"] and top["C29"] == pytest.approx(0.3, abs=0.02)


@pytest.mark.skipif(not (DATA / "wiod2013" / "wiot_2011.parquet").is_file(), reason="WIOD 2013 tables not found")
def test_wiod2013_world_coefficients():
    A = niot.wiod2013_input_coefficients([DATA / "wiod2013" / "wiot_2011.parquet"])
    assert list(A.index) == list(A.columns) == [f"c{k}" for k in range(1, 36)]
    assert ((A >= 0) & (A < 1)).all().all()
    # transport equipment (c15) uses itself and basic and fabricated metals (c12) most
    assert list(A["c15"].sort_values(ascending=False).index[:2]) == ["c15", "c12"]


# ------------------------------------------------------------------------------ industries to ISIC divisions
def test_isic_codes_are_ranges_of_divisions():
    m4 = niot.industry_isic4().groupby("industry", sort=False)["isic4_2d"].agg(list)
    assert list(m4.index) == list(niot.INDUSTRIES)
    assert m4["A01"] == ["01"] and m4["B"] == ["05", "06", "07", "08", "09"] and m4["C10-C12"] == ["10", "11", "12"]
    assert m4["C31_C32"] == ["31", "32"] and m4["E37-E39"] == ["37", "38", "39"] and m4["R_S"] == [
        "90", "91", "92", "93", "94", "95", "96"] and m4["U"] == ["99"]
    industries = pd.DataFrame({"industry": ["c1", "c2", "c3", "c17", "c30"],
                               "isic_rev3": ["AtB", "C", "15t16", "E", "71t74"]})
    m3 = niot.industry_isic3(industries).groupby("industry", sort=False)["isic3_2d"].agg(list)
    assert m3.to_dict() == {"c1": ["01", "02", "05"], "c2": ["10", "11", "12", "13", "14"], "c3": ["15", "16"],
                            "c17": ["40", "41"], "c30": ["71", "72", "73", "74"]}
    with pytest.raises(ValueError, match="claimed by several industries"):
        niot.industry_isic3(pd.DataFrame({"industry": ["x", "y"], "isic_rev3": ["15t16", "16"]}))
    with pytest.raises(ValueError, match="outside their section"):
        niot.industry_isic4(["C45"])  # 45 is in G
    with pytest.raises(ValueError, match="not sections or divisions"):
        niot.industry_isic4(["C29", "29"])


@pytest.mark.skipif(not (CONCORDANCE / "hs_isic4.csv").is_file(), reason="HS -> ISIC concordances not found")
@pytest.mark.parametrize("revision", [3, 4])
def test_every_concordance_division_is_one_industrys(revision):
    if revision == 3:
        mapping = niot.industry_isic3(DATA / "wiod2013" / "industries.csv")
        assert mapping["industry"].nunique() == 35
    else:
        mapping = niot.industry_isic4()
        assert mapping["industry"].nunique() == 56
    divisions = pd.read_csv(CONCORDANCE / f"hs_isic{revision}.csv", dtype=str)[f"ISIC{revision}_2d"].dropna()
    counts = mapping[f"isic{revision}_2d"].value_counts()
    assert counts.max() == 1  # a division is one industry's
    assert set(divisions) <= set(counts.index), sorted(set(divisions) - set(counts.index))


# ------------------------------------------------------------------------------------------ data retrieval
def test_the_niot_entry_is_43_pinned_files_and_the_concordances_come_from_the_mirror(tmp_path):
    data = yaml.safe_load((ROOT / "config" / "config.default.yaml").read_text())["data"]
    files = data_files(data)
    niots = {k: f for k, f in files.items() if k.startswith("wiod2016_niot/")}
    assert len(niots) == 43 and "wiod2016_niot/USA_NIOT_nov16.csv" in niots
    usa = niots["wiod2016_niot/USA_NIOT_nov16.csv"]
    assert usa["name"] == "USA_NIOT_nov16.csv" and usa["sha256"] == data["wiod2016_niot"]["sha256"]["USA"]
    assert usa["url"].endswith("/00257917b3cd2e99e468a3ab9c6eca3deb8e9604/Data/NIOT/USA_NIOT_nov16.csv")
    assert "countries" not in usa
    for key, entry in data.items():  # every other entry is itself, unchanged
        if "countries" not in entry:
            assert files[f"{entry['folder']}/{entry['name']}"] is entry
    assert len(files) == len(data) - 1 + 43
    with pytest.raises(ValueError, match=r"sha256 lacks \['USA'\]"):
        data_files({"n": {**data["wiod2016_niot"], "sha256": {c: "0" * 64 for c in data["wiod2016_niot"]["countries"]
                                                              if c != "USA"}}})
    wanted = [*niots, "concordance/hs_isic3.csv", "concordance/hs_isic4.csv"]
    if not all((DATA / k).is_file() for k in wanted):
        pytest.skip("data mirror not found")
    for k in wanted:
        f = files[k]
        assert retrieve(f["name"], tmp_path / k, DATA / f["folder"], None, sha256=f["sha256"]) == f["sha256"]


@pytest.mark.slow
def test_concordances_convert_from_r_data_to_the_mirror_bytes(tmp_path):
    """Downloaded (here from the mirror's copy of the pinned R data files), the concordances are converted
    byte for byte into the mirror's CSV files."""
    pytest.importorskip("rdata")
    files = data_files(yaml.safe_load((ROOT / "config" / "config.default.yaml").read_text())["data"])
    for k in ("concordance/hs_isic3.csv", "concordance/hs_isic4.csv"):
        source = (CONCORDANCE / Path(k).name).with_suffix(".RData")
        if not source.is_file():
            pytest.skip("R data files of the concordances not found")
        f = files[k]
        got = retrieve(f["name"], tmp_path / k, None, source.as_uri(), f["sha256"], f["source"], f["url_sha256"],
                       f["convert"])
        assert got == f["sha256"]
