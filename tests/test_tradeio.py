"""Readers of the three trade layouts, and every validation error with its file, row and column."""

import re
from pathlib import Path

import pandas as pd
import pytest

from valuechain.trade.canonical import (
    AGGREGATE_REASON,
    COARSE_REASON,
    DROPPED_COLUMNS,
    NATIONAL_REASON,
    OWN_PARTNER_REASON,
    UNKNOWN_HS_REASON,
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


# --- codes, names and numbers that only look right -------------------------------------------------------------
KNOWN = frozenset({"8703", "8708", "0101", "870323", "87"})


@pytest.mark.parametrize("hs, problem", [
    ("８７０３", "digits that are not ASCII 0-9"),  # full-width
    ("٨٧٠٣", "digits that are not ASCII 0-9"),  # Arabic-Indic
    ("0000", "not a code of the HS nomenclature"),
    ("008703", "not a code of the HS nomenclature"),
])
def test_codes_that_only_look_right_are_refused(tmp_path, hs, problem):
    path = _text(tmp_path, HEADER + f"2019,export,BRA,SP,USA,8703,5\n2019,export,BRA,SP,USA,{hs},4\n")
    with pytest.raises(TradeDataError, match=re.escape(f"column 'hs': {problem}") + r".* at row 2 "):
        read_canonical(path, known_hs=KNOWN)


def test_unknown_codes_dropped_or_kept_on_request(tmp_path, caplog):
    path = _text(tmp_path, HEADER + "2019,export,BRA,SP,USA,8703,5\n2019,export,BRA,SP,USA,0000,4\n")
    assert read_canonical(path, known_hs=KNOWN, unknown_hs="drop")["hs"].tolist() == ["8703"]
    assert "1 rows of codes outside the HS nomenclature dropped (ingest.unknown_hs: drop): 0000 (1)" in caplog.text
    assert read_canonical(path, known_hs=KNOWN, unknown_hs="keep")["hs"].tolist() == ["8703", "0000"]


def test_national_pseudo_products_are_dropped_with_a_count_per_code(tmp_path, caplog):
    rows = ["8703,5", "9880,1", "9999,2", "9880,3", "9801,4"]
    path = _text(tmp_path, HEADER + "".join(f"2019,export,BRA,SP,{p},{r}\n" for p, r in
                                            zip(["USA", "USA", "USA", "CHN", "USA"], rows)))
    assert read_canonical(path, known_hs=KNOWN)["hs"].tolist() == ["8703"]
    assert ("4 rows of national pseudo-products (chapters 98-99) dropped (ingest.national_hs: drop): 9880 (2), "
            "9801 (1), 9999 (1)") in caplog.text
    assert read_canonical(path, known_hs=KNOWN, national_hs="keep")["hs"].tolist() == ["8703", "9880", "9999",
                                                                                       "9880", "9801"]


def test_every_dropped_row_is_recorded_with_its_reason_in_memory_and_streamed(tmp_path):
    """Each rule that drops rows at ingestion leaves them, with the config key that decided, in the record of
    dropped rows: the same record whether the file is read at once or streamed in batches."""
    rows = [("World", "8703", 100), ("BRA", "8703", 7), ("USA", "9880", 3), ("USA", "0000", 2),
            ("USA", "87", 11), ("USA", "8703", 5), ("CHN", "8708", 1), ("zzz", "8708", 6)]
    path = _text(tmp_path, HEADER + "".join(f"2019,export,BRA,SP,{p},{h},{v}\n" for p, h, v in rows))
    checks = {"known_hs": KNOWN, "unknown_hs": "drop", "own_partner": "drop", "hs_overlap": "finest",
              "partner_aggregates": {"World": "drop", "ZZZ": "drop"}}
    dropped = []
    kept = read_canonical(path, dropped=dropped, **checks)
    assert kept[["partner", "hs", "value"]].values.tolist() == [["USA", "8703", 5.0], ["CHN", "8708", 1.0]]
    record = pd.concat(dropped, ignore_index=True)
    assert list(record.columns) == DROPPED_COLUMNS
    expected = {("World", "8703", 100.0, AGGREGATE_REASON), ("zzz", "8708", 6.0, AGGREGATE_REASON),
                ("BRA", "8703", 7.0, OWN_PARTNER_REASON), ("USA", "9880", 3.0, NATIONAL_REASON),
                ("USA", "0000", 2.0, UNKNOWN_HS_REASON), ("USA", "87", 11.0, COARSE_REASON)}
    assert set(map(tuple, record[["partner", "hs", "value", "reason"]].values.tolist())) == expected
    assert len(record) == len(expected) and (record["year"] == 2019).all()
    out, record_path = tmp_path / "streamed.parquet", tmp_path / "dropped.parquet"
    ingest_canonical([path], out, {}, batch_rows=3, dropped_dest=record_path, **checks)
    streamed = pd.read_parquet(record_path)
    assert set(map(tuple, streamed[["partner", "hs", "value", "reason"]].values.tolist())) == expected
    assert len(streamed) == len(expected) and str(streamed["year"].dtype) == "int32"
    clean = tmp_path / "nothing_dropped.csv"
    clean.write_text(HEADER + "2019,export,BRA,SP,USA,8703,5\n")
    ingest_canonical([clean], out, {}, dropped_dest=record_path)
    assert len(pd.read_parquet(record_path)) == 0 and list(pd.read_parquet(record_path).columns) == DROPPED_COLUMNS


def test_goods_codes_of_every_vintage_without_national_chapters():
    from valuechain.trade.hs import goods_codes

    known = goods_codes(pd.Series(["01", "0101", "010121", "9999", "999999", "9801", "9999AA"]),
                        pd.Series(["870323", None]))
    # the chapter and heading of every subheading are codes too; chapters 98-99 and non-digit codes are not
    assert known == {"01", "0101", "010121", "87", "8703", "870323"}


def test_a_name_differing_by_an_invisible_character_is_one_region(tmp_path):
    names = ["Bahia", "Bah\u200bia", "\ufeffBahia", "Ba\u00adhia", "Bahia\u00a0", "Ｂａｈｉａ", "Ba  hia"]
    text = HEADER + "".join(f"2019,export,BRA,{n},USA,{hs},1\n" for n, hs in zip(names, ["8703"] * 6 + ["8708"]))
    t = read_canonical(_text(tmp_path, text), duplicates="sum")
    # the first six are "Bahia"; a space inside a name is kept (one space), it is a different name
    assert t.groupby("region", observed=True)["value"].sum().to_dict() == {"Bahia": 6.0, "Ba hia": 1.0}
    with pytest.raises(TradeDataError, match=r"column 'region': control character in a region name at row 1"):
        read_canonical(_text(tmp_path, HEADER + "2019,export,BRA,Ba\x1bhia,USA,8703,1\n", "ctl.csv"))


def test_booleans_and_numbers_where_text_or_numbers_belong(tmp_path):
    base = pd.DataFrame([GOOD, GOOD[:5] + ["8708", 3]], columns=HEADER.strip().split(","))
    cases = [
        (base.assign(value=[True, False]), "column 'value': boolean values where numbers are expected at row 1"),
        (base.assign(year=[True, True]), "column 'year': boolean values where years are expected"),
        (base.assign(region=[True, False]), "column 'region': boolean values where text is expected"),
        (base.assign(region=[35.5, 33.0]), "column 'region': numbers where text is expected"),
        (base.assign(partner=[840, 840]), "column 'partner': not an ISO3 country code"),
    ]
    for i, (df, problem) in enumerate(cases):
        path = tmp_path / f"case{i}.parquet"
        df.to_parquet(path)
        with pytest.raises(TradeDataError, match=re.escape(f"{path}: {problem}")):
            read_canonical(path)
    # whole numbers in a region column are codes (municipalities) and read as their text
    path = tmp_path / "municipalities.parquet"
    base.assign(region=[3550308, 3304557]).to_parquet(path)
    assert read_canonical(path)["region"].tolist() == ["3550308", "3304557"]


def test_partner_equal_to_reporter_is_refused_or_dropped(tmp_path, caplog):
    path = _text(tmp_path, HEADER + "2019,export,BRA,SP,USA,8703,5\n2019,export,BRA,SP,bra,8703,4\n")
    with pytest.raises(TradeDataError, match=r"column 'partner': partner is the reporting country .* at row 2 "):
        read_canonical(path)
    assert read_canonical(path, own_partner="drop")["partner"].tolist() == ["USA"]
    assert "1 rows whose partner is the reporting country dropped" in caplog.text


@pytest.mark.parametrize("values, decimal, expected", [
    (["1.234", "12,5"], "auto", [1234.0, 12.5]),  # a decimal comma shown: the dot groups thousands
    (["1.234", "12.5"], "auto", [1.234, 12.5]),  # a decimal point shown
    (["1.234.567", "5"], "auto", [1234567.0, 5.0]),  # two dots can only group thousands
    (["1,234,567", "1,234.5"], "auto", [1234567.0, 1234.5]),
    (["1.234", "5"], ",", [1234.0, 5.0]),
    (["1.234", "5"], ".", [1.234, 5.0]),
    (["2e3", "7"], "auto", [2000.0, 7.0]),
])
def test_thousands_and_decimal_separators_resolved_from_the_file(tmp_path, values, decimal, expected):
    rows = "".join(f'2019;export;BRA;SP;USA;{hs};"{v}"\n' for hs, v in zip(["8703", "8708"], values))
    t = read_canonical(_text(tmp_path, HEADER.replace(",", ";") + rows), decimal=decimal)
    assert t["value"].tolist() == expected


@pytest.mark.parametrize("values, problem", [
    (["1.234", "5"], "ambiguous number: a thousands separator or a decimal separator? (a factor of 1000"),
    (["1,234", "5"], "ambiguous number"),
    (["12.5", "12,5"], "numbers written with '.' and with ',' as the decimal separator"),
])
def test_ambiguous_numbers_are_refused_with_the_row(tmp_path, values, problem):
    rows = "".join(f'2019;export;BRA;SP;USA;{hs};"{v}"\n' for hs, v in zip(["8703", "8708"], values))
    path = _text(tmp_path, HEADER.replace(",", ";") + rows)
    with pytest.raises(TradeDataError, match=re.escape(f"{path}: column 'value': {problem}") + r".* row 1 "):
        read_canonical(path)


def test_a_later_batch_is_read_with_the_separator_the_first_showed(tmp_path):
    rows = "".join(f'2019;export;BRA;SP;USA;{hs};"{v}"\n' for hs, v in [("8703", "12,5"), ("8708", "1.234")])
    got = _streamed(tmp_path, _text(tmp_path, HEADER.replace(",", ";") + rows), batch_rows=1)
    assert got["value"].tolist() == [12.5, 1234.0]


def test_a_wide_first_row_is_named_not_taken_for_a_bad_year(tmp_path):
    path = _text(tmp_path, HEADER + "2019,export,BRA,SP,USA,8703,1,234\n2019,export,BRA,SP,USA,8708,5\n")
    with pytest.raises(TradeDataError, match=re.escape(f"{path}: line 2 has 8 fields, the header 7")
                       + r".*thousands separator \('1,234'\)"):
        read_canonical(path)


@pytest.mark.parametrize("suffix, encode", [
    (".csv.gz", lambda b: __import__("gzip").compress(b)),
    (".csv.bz2", lambda b: __import__("bz2").compress(b)),
    (".csv.xz", lambda b: __import__("lzma").compress(b)),
    (".csv", lambda b: b.decode().encode("utf-16")),  # with its byte-order mark
    (".csv", lambda b: b"\xef\xbb\xbf" + b),  # UTF-8 with a byte-order mark
])
def test_compressed_and_utf16_files_read_like_the_plain_one(tmp_path, suffix, encode):
    plain = _text(tmp_path, HEADER + "2019,export,BRA,São Paulo,USA,8703,5\n2019,import,BRA,SP,CHN,0101,2\n")
    other = tmp_path / f"other{suffix}"
    other.write_bytes(encode(plain.read_bytes()))
    pd.testing.assert_frame_equal(read_canonical(other), read_canonical(plain))
    pd.testing.assert_frame_equal(_streamed(tmp_path, other, batch_rows=1), read_canonical(plain),
                                  check_categorical=False)


def test_damaged_compressed_files_and_archives_name_the_file(tmp_path):
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(__import__("gzip").compress((HEADER + "2019,export,BRA,SP,USA,8703,5\n" * 50).encode())[:40])
    with pytest.raises(TradeDataError, match=re.escape(f"{cut}: not a readable gzip file")):
        read_canonical(cut)
    import zipfile

    two = tmp_path / "two.csv.zip"
    with zipfile.ZipFile(two, "w") as z:
        z.writestr("a.csv", HEADER)
        z.writestr("b.csv", HEADER)
    with pytest.raises(TradeDataError, match=re.escape(f"{two}: a zip archive of trade data must hold one file")):
        read_canonical(two)


def test_a_duplicate_across_two_files_names_each_file_and_its_row(tmp_path):
    a = _write(tmp_path, [GOOD, GOOD[:5] + ["0101", 1]], "a.csv")
    b = _write(tmp_path, [GOOD[:5] + ["8708", 1], GOOD], "b.csv")
    expected = re.escape(f"duplicate key (set duplicates: sum to add them up) at {a} row 1 (") + r".*" + re.escape(
        f"{b} row 2 (")
    with pytest.raises(TradeDataError, match=expected):
        read_trade([a, b])
    with pytest.raises(TradeDataError, match=expected):
        ingest_canonical([a, b], tmp_path / "out.parquet", {})


def test_a_killed_ingestion_leaves_nothing_the_next_one_keeps(tmp_path):
    path = _write(tmp_path, [GOOD])
    stale = tmp_path / ".streamed.parquet.staging-999999"
    stale.mkdir()
    (stale / "checked.parquet").write_bytes(b"x" * 1000)
    _streamed(tmp_path, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["streamed.parquet", "trade.csv"]


def test_a_wide_line_past_the_sample_is_refused_not_cut(tmp_path):
    # the header alone fills the separator sample, so only pandas sees the wide first line: it would cut its last
    # field (index_col=False) and warn; that warning is a refusal
    path = _text(tmp_path, HEADER.replace("value", "value" + "_" * 70_000) + "2019,export,BRA,SP,USA,8703,1,234\n")
    with pytest.raises(TradeDataError, match=re.escape(f"{path}: a line has more fields than the header (','-separated)")):
        read_canonical(path)
    with pytest.raises(TradeDataError, match="a line has more fields than the header"):
        _streamed(tmp_path, path, batch_rows=1)


def test_partners_of_countries_that_no_longer_exist_are_mapped_to_todays(tmp_path, caplog):
    path = _text(tmp_path, HEADER + "2019,export,BRA,SP,ANT,8703,5\n2019,export,BRA,SP,scg,8708,4\n"
                                    "2019,import,BRA,SP,ANT,0101,1\n2019,import,BRA,SP,USA,0101,2\n")
    t = read_canonical(path)
    assert t["partner"].tolist() == ["CUW", "SRB", "CUW", "USA"]
    assert ("3 rows of partners with codes of countries that no longer exist mapped to today's "
            "(valuechain.trade.canonical.HISTORIC_ISO3): ANT -> CUW (2), SCG -> SRB (1)") in caplog.text
