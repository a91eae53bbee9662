"""Readers of the three trade layouts, and every validation error with its file, row and column."""

import re
from pathlib import Path

import pandas as pd
import pytest
from valuechain.tradeio import (
    TradeDataError,
    detect_separator,
    ingest_canonical,
    read_canonical,
    read_comexstat,
    read_oec,
    read_trade,
)

FIX = Path(__file__).parent / "fixtures"


def test_canonical_csv_keeps_codes_and_types():
    t = read_canonical(FIX / "canonical_small.csv")
    assert list(t.columns) == ["year", "flow", "country", "region", "partner", "hs", "value"]
    assert t["hs"].tolist()[:2] == ["8703", "8708"]
    assert t["value"].sum() == 5230
    assert t["region"].iloc[0] == "São Paulo"


def test_oec_layout():
    t = read_oec(FIX / "oec_small.csv")
    assert set(t["country"]) == {"BRA"}
    assert set(t["partner"]) == {"USA", "CHN", "KOR", "DEU"}
    # product_id 10121 lost its leading zero: padded back to 010121.
    assert sorted(t["hs"]) == ["010121", "260111", "260111", "870323", "870829"]
    assert t.loc[t["flow"] == "import", "value"].sum() == 805000


def test_comexstat_layout_sums_months_and_maps_partners():
    t = read_comexstat(sorted((FIX / "comexstat").glob("*_MUN.csv")), FIX / "comexstat" / "PAIS.csv")
    ores = t[(t["hs"] == "2601") & (t["region"] == "MG")]
    assert ores["value"].tolist() == [4000000.0]  # January + February
    assert set(t["partner"]) == {"CHN", "USA", "DEU"}
    assert t.loc[t["flow"] == "import", "hs"].tolist() == ["8708"]


def _write(tmp_path, rows, name="trade.csv"):
    path = tmp_path / name
    df = pd.DataFrame(rows, columns=["year", "flow", "country", "region", "partner", "hs", "value"])
    df.to_csv(path, index=False)
    return path


GOOD = [2019, "export", "BRA", "SP", "USA", "8703", 10]


@pytest.mark.parametrize(
    "bad_row, column, problem",
    [
        ([2019, "export", "BRA", "SP", "USA", "8703", -5], "value", "negative value"),
        ([2019, "export", "BRA", "SP", "USA", "8703", "ten"], "value", "non-numeric value"),
        ([2019, "re-export", "BRA", "SP", "USA", "8703", 1], "flow", "unknown flow"),
        ([2019, "export", "BRA", "SP", "USA", "87A3", 1], "hs", "malformed HS code"),
        ([2019, "export", "BRA", "SP", "USA", "870", 1], "hs", "malformed HS code"),
        ([2019, "export", "Brasil", "SP", "USA", "8703", 1], "country", "ISO3"),
        ([2019, "export", "BRA", "SP", "U", "8703", 1], "partner", "ISO3"),
        (["19x", "export", "BRA", "SP", "USA", "8703", 1], "year", "integer year"),
        ([2019, "export", "BRA", "", "USA", "8703", 1], "region", "empty region"),
    ],
)
def test_each_bad_value_names_file_row_and_column(tmp_path, bad_row, column, problem):
    path = _write(tmp_path, [GOOD, GOOD[:5] + ["0101", 1], bad_row])
    with pytest.raises(TradeDataError) as err:
        read_canonical(path)
    msg = str(err.value)
    assert str(path) in msg and f"column '{column}'" in msg and problem in msg
    assert "row 3 " in msg  # third data row


def test_missing_column(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame([GOOD[:6]], columns=["year", "flow", "country", "region", "partner", "hs"]).to_csv(path, index=False)
    with pytest.raises(TradeDataError, match=r"t.csv: missing column\(s\) \['value'\]"):
        read_canonical(path)


def test_duplicate_keys_rejected_or_summed(tmp_path):
    path = _write(tmp_path, [GOOD, GOOD[:6] + [5]])
    with pytest.raises(TradeDataError, match=r"duplicate key .* row 1 .* row 2 "):
        read_canonical(path)
    assert read_canonical(path, duplicates="sum")["value"].tolist() == [15.0]


def test_numeric_hs_in_parquet_is_rejected(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame([GOOD], columns=["year", "flow", "country", "region", "partner", "hs", "value"]).astype(
        {"hs": int}
    ).to_parquet(path)
    with pytest.raises(TradeDataError, match="leading zeros"):
        read_canonical(path)


def test_oec_unknown_partner_and_flow(tmp_path):
    raw = pd.read_csv(FIX / "oec_small.csv", dtype=str)
    raw.loc[2, "country_name"] = "Atlantis"
    raw.to_csv(tmp_path / "oec.csv", index=False)
    with pytest.raises(TradeDataError, match=r"column 'country_name': unknown partner country name at row 3 \('Atlantis'\)"):
        read_oec(tmp_path / "oec.csv")
    raw = pd.read_csv(FIX / "oec_small.csv", dtype=str)
    raw.loc[0, "trade_flow_name"] = "Re-exports"
    raw.to_csv(tmp_path / "oec.csv", index=False)
    with pytest.raises(TradeDataError, match="trade_flow_name.*row 1"):
        read_oec(tmp_path / "oec.csv")


def test_comexstat_unknown_country_code(tmp_path):
    src = (FIX / "comexstat" / "EXP_2019_MUN.csv").read_text().replace('"249"', '"999"')
    (tmp_path / "EXP_2019_MUN.csv").write_text(src)
    with pytest.raises(TradeDataError, match=r"column 'CO_PAIS': country code not in the PAIS table at row 3"):
        read_comexstat(tmp_path / "EXP_2019_MUN.csv", FIX / "comexstat" / "PAIS.csv")


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(TradeDataError, match="file not found"):
        read_trade(tmp_path / "nope.csv")
    with pytest.raises(ValueError, match="unknown trade format"):
        read_trade(FIX / "canonical_small.csv", "xml")


# --- every bad-input class at the library level (the workflow-level table is in test_workflow.py) --------------
HEADER = "year,flow,country,region,partner,hs,value\n"


def _text(tmp_path, text, name="trade.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "content, problem",
    [
        (HEADER, "no data rows"),
        (HEADER + "2019,export,BRA,SP,USA,8703,0\n2019,import,BRA,SP,USA,8708,0\n", "every counted value is 0"),
        (HEADER + "2019,export,BRA,SP,nan,8703,5\n", "column 'partner': not an ISO3 country code"),
        (HEADER + "2019,export,XYZ,SP,USA,8703,5\n", "column 'country': not an ISO3 country code"),
        (HEADER + "3000000000,export,BRA,SP,USA,8703,5\n", "column 'year': year outside 1900-2100 at row 1"),
        (HEADER + "2019,export,BRA,SP,USA,8703,5\n2019,export,BRA,SP,USA,870323,4\n",
         "column 'hs': code also given at a finer HS level for the same flow, region and partner (counted twice"),
        (HEADER + "2019,export,BRA,SP,USA,8703,5\n2019,export,BRA,SP,USA,8703,4\n", "duplicate key"),
    ],
)
def test_bad_content_is_rejected_with_file_row_and_column(tmp_path, content, problem):
    path = _text(tmp_path, content)
    with pytest.raises(TradeDataError) as err:
        read_canonical(path)
    assert str(path) in str(err.value) and problem in str(err.value)


def test_empty_binary_and_unreadable_files_name_the_file(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"PAR1\x00\x01\x02" * 10)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    for path, problem in [(empty, "empty file (0 bytes)"), (binary, "binary content, not a text CSV"),
                          (broken, "not a readable Parquet file")]:
        with pytest.raises(TradeDataError, match=re.escape(f"{path}: {problem}")):
            read_canonical(path)


def test_a_semicolon_inside_a_quoted_name_is_not_the_separator(tmp_path):
    rows = [f'2019,export,BRA,"Região; Norte {i}",USA,8703,{i + 1}' for i in range(3)]
    t = read_canonical(_text(tmp_path, HEADER + "\n".join(rows) + "\n"))
    assert t["region"].tolist() == [f"Região; Norte {i}" for i in range(3)]
    semi = _text(tmp_path, HEADER.replace(",", ";") + "2019;export;BRA;\"A, B\";USA;8703;15\n", "semi.csv")
    assert read_canonical(semi)["region"].tolist() == ["A, B"]
    assert detect_separator('a,b\n"x;y;z",2\n') == ","
    assert detect_separator("a\tb\n1\t2\n") == "\t"


def test_region_names_are_nfc_normalised_and_trimmed(tmp_path):
    composed, decomposed = "S\u00e3o Paulo", "Sa\u0303o Paulo"
    t = read_canonical(_text(tmp_path, HEADER + f"2019,export,BRA, {composed},USA,8703,1\n"
                                                f"2019,export,BRA,{decomposed} ,USA,8708,2\n"))
    assert t["region"].unique().tolist() == [composed]


def test_hs_levels_finest_kept_on_request_and_mixed_levels_warned(tmp_path, caplog):
    overlap = _text(tmp_path, HEADER + "2019,export,BRA,SP,USA,8703,5\n2019,export,BRA,SP,USA,870323,4\n"
                                      "2019,export,BRA,SP,CHN,8703,7\n")
    t = read_canonical(overlap, hs_overlap="finest")
    assert sorted(zip(t["partner"], t["hs"], t["value"])) == [("CHN", "8703", 7.0), ("USA", "870323", 4.0)]
    mixed = _text(tmp_path, HEADER + "2019,export,BRA,SP,USA,8703,5\n2019,export,BRA,SP,USA,870829,4\n", "m.csv")
    with caplog.at_level("WARNING"):
        assert len(read_canonical(mixed)) == 2
    assert "HS levels mixed without overlap ([4, 6] digits)" in caplog.text


def test_partner_aggregates_dropped_or_kept_under_a_user_code(tmp_path, caplog):
    path = _text(tmp_path, HEADER + "2019,export,BRA,SP,World,8703,9\n2019,export,BRA,SP,USA,8703,5\n"
                                   "2019,export,BRA,SP,Other Asia,8703,1\n")
    with pytest.raises(TradeDataError, match="column 'partner': not an ISO3 .* at row 1 \\('World'\\)"):
        read_canonical(path)
    with caplog.at_level("WARNING"):
        t = read_canonical(path, partner_aggregates={"world": "drop", "Other Asia": "XAS"})
    assert sorted(zip(t["partner"], t["value"])) == [("USA", 5.0), ("XAS", 1.0)]
    assert "1 rows of aggregate partners dropped (['World'])" in caplog.text


def test_a_dominant_cell_is_warned_with_its_row(tmp_path, caplog):
    path = _text(tmp_path, HEADER + "2019,export,BRA,SP,USA,8703,5\n2019,export,BRA,RJ,USA,8703,300\n"
                                   "2019,import,BRA,SP,CHN,8708,6\n")
    with caplog.at_level("WARNING"):
        read_canonical(path)
    assert "row 2 holds 96% of all trade (2019/export/BRA/RJ/USA/8703/300.0)" in caplog.text


def test_comexstat_repeated_keys_and_missing_pais(tmp_path):
    src = FIX / "comexstat"
    exp = (src / "EXP_2019_MUN.csv").read_text()
    twice = tmp_path / "EXP_2019_MUN.csv"
    twice.write_text(exp + exp.splitlines()[1] + "\n", encoding="latin-1")
    with pytest.raises(TradeDataError, match="duplicate Comex Stat key"):
        read_comexstat([twice], src / "PAIS.csv")
    assert read_comexstat([twice], src / "PAIS.csv", duplicates="sum")["value"].sum() > 0
    with pytest.raises(TradeDataError, match="needs Comex Stat's PAIS table"):
        read_trade([src / "EXP_2019_MUN.csv"], "comexstat", countries=None)
    municipal = read_comexstat([src / "EXP_2019_MUN.csv"], src / "PAIS.csv", region="municipality")
    assert "3106200" in set(municipal["region"])


def _streamed(tmp_path, path, batch_rows=2, **checks):
    out = tmp_path / "streamed.parquet"
    ingest_canonical([path], out, {"valuechain.schema_version": "trade/1"}, batch_rows=batch_rows, **checks)
    return pd.read_parquet(out)


@pytest.mark.parametrize("rows, checks", [
    (("2019,export,BRA,SP,USA,8703,5\n2019,export,BRA,SP,USA,870323,4\n2019,export,BRA,SP,CHN,8703,7\n"
      "2019,import,BRA,RJ,CHN,8708,2\n"), {"hs_overlap": "finest"}),
    (("2019,export,BRA,SP,World,8703,9\n2019,export,BRA,SP,USA,8703,5\n2019,export,BRA, SP ,USA,8703,5\n"
      "2020,Export,bra,SP,Other Asia,8703,1\n2020,import,BRA,SP,DEU,0101,3\n"),
     {"duplicates": "sum", "partner_aggregates": {"world": "drop", "Other Asia": "XAS"}}),
])
def test_streamed_ingestion_equals_the_in_memory_one(tmp_path, rows, checks):
    path = _text(tmp_path, HEADER + rows)
    expected = read_canonical(path, **checks)
    got = _streamed(tmp_path, path, **checks)
    pd.testing.assert_frame_equal(got, expected, check_categorical=False)
    assert all(isinstance(got[c].dtype, pd.CategoricalDtype) for c in ("flow", "country", "region", "partner", "hs"))
    assert str(got["year"].dtype) == "int32"


def test_streamed_ingestion_names_the_row_in_a_later_batch_and_writes_nothing(tmp_path):
    path = _write(tmp_path, [GOOD, GOOD[:5] + ["0101", 1], GOOD[:5] + ["0102", 1], GOOD[:5] + ["0103", 1],
                             GOOD[:5] + ["87A3", 1]])
    with pytest.raises(TradeDataError, match=r"column 'hs': malformed HS code .* at row 5 \('87A3'\)"):
        _streamed(tmp_path, path)
    dup = _write(tmp_path, [GOOD, GOOD[:5] + ["0101", 1], GOOD[:5] + ["0102", 1], GOOD], "dup.csv")
    with pytest.raises(TradeDataError, match=r"duplicate key .* row 1 .* row 4 "):
        _streamed(tmp_path, dup)
    assert not any(tmp_path.glob("*streamed*")) and not any(tmp_path.glob(".*"))
