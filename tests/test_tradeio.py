"""Readers of the three trade layouts, and every validation error with its file, row and column."""

from pathlib import Path

import pandas as pd
import pytest

from valuechain.tradeio import TradeDataError, read_canonical, read_comexstat, read_oec, read_trade

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
