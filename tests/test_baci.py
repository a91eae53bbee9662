"""BACI in the canonical form: the release layouts (country tables before and since V202401, missing quantities
as padded NA or empty), its special country codes, and BACI beside regional data (regions replace their country)."""

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from valuechain.trade.baci import GROUP_REASON, LEGACY_REASON, baci_to_canonical, read_country_codes
from valuechain.trade.canonical import TradeDataError, ingest_canonical

FIX = Path(__file__).parent / "fixtures" / "baci"
FLOWS = pd.read_csv(FIX / "BACI_HS92_Y2017_V202501.csv", dtype=str, keep_default_na=False)


def release(tmp_path, trade="BACI_HS92_Y2017_V202501.csv", countries="country_codes_V202501.csv", name=None,
            extra=()):
    """A release archive as CEPII publishes it: the yearly CSVs, the country and product tables, a readme."""
    archive = tmp_path / (name or "BACI_HS92_V202501.zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(FIX / trade, trade)
        z.write(FIX / countries, countries)
        z.write(FIX / "product_codes_HS92_V202501.csv", "product_codes_HS92_V202501.csv")
        z.writestr("Readme.txt", "Version : 202501\n")
        for member, text in extra:
            z.writestr(member, text)
    return archive


def convert(tmp_path, archive, years=(2017,)):
    out, dropped = tmp_path / "baci.parquet", tmp_path / "dropped.parquet"
    baci_to_canonical(archive, list(years), out, dropped, {"valuechain.schema_version": "trade/1"},
                      tmp_path / "staging")
    assert not (tmp_path / "staging").exists()
    return pd.read_parquet(out), pd.read_parquet(dropped)


def test_country_tables_of_both_layouts():
    new, old = read_country_codes(FIX / "country_codes_V202501.csv"), read_country_codes(FIX / "country_codes_V202301.csv")
    assert new == old
    # Taiwan is BACI's "Other Asia, nes" (S19, N/A before V202401); Europe EFTA nes is a group; Namibia's ISO2
    # "NA" is not a missing value; historic ANT is mapped to its successor
    assert new[490] == "TWN" and new[697] is None and new[516] == "NAM" and new[530] == "CUW" and new[842] == "USA"


def test_every_flow_gives_the_exporters_export_and_the_importers_import(tmp_path):
    trade, dropped = convert(tmp_path, release(tmp_path))
    kept = FLOWS[~FLOWS["i"].isin(["697"]) & ~FLOWS["j"].isin(["697"]) & FLOWS["k"].str.fullmatch(r"\d{6}")
                  & ~FLOWS["k"].str.startswith("99")]
    assert len(trade) == 2 * len(kept)
    exports, imports = trade[trade["flow"] == "export"], trade[trade["flow"] == "import"]
    total = kept["v"].astype(float).sum() * 1000  # thousands of USD
    assert exports["value"].sum() == pytest.approx(total, rel=1e-12)
    assert imports["value"].sum() == pytest.approx(total, rel=1e-12)
    assert (trade["country"] == trade["region"]).all()  # every country is its own location
    row = FLOWS[(FLOWS["i"] == "76") & (FLOWS["j"] == "124") & (FLOWS["k"] == "020230")].iloc[0]
    e = exports[(exports["country"] == "BRA") & (exports["partner"] == "CAN") & (exports["hs"] == "020230")]
    m = imports[(imports["country"] == "CAN") & (imports["partner"] == "BRA") & (imports["hs"] == "020230")]
    assert e["value"].tolist() == m["value"].tolist() == [pytest.approx(float(row["v"]) * 1000)]
    assert "TWN" in set(trade["country"]) and trade["hs"].str.len().eq(6).all()
    assert str(trade["year"].dtype) == "int32" and set(trade["year"]) == {2017}
    reasons = dropped.groupby("reason")["hs"].apply(set).to_dict()
    assert reasons == {GROUP_REASON: {"870323", "300490"}, LEGACY_REASON: {"999999", "9999AA"}}
    assert set(dropped.loc[dropped["reason"] == GROUP_REASON, "partner"]) | set(
        dropped.loc[dropped["reason"] == GROUP_REASON, "country"]) >= {"BACI 697"}


def test_the_older_layout_reads_the_same_flows(tmp_path):
    """V202301: the five-column country table with N/A codes, missing quantities written as NA padded to 13."""
    old, _ = convert(tmp_path / "old", release(tmp_path, "BACI_HS92_Y2017_V202301.csv", "country_codes_V202301.csv",
                                               "BACI_HS92_V202301.zip"))
    new, _ = convert(tmp_path / "new", release(tmp_path))
    key = ["flow", "country", "partner", "hs"]
    merged = old.merge(new, on=key, suffixes=("_old", "_new"), how="left", validate="one_to_one")
    assert len(old) and merged["value_old"].equals(merged["value_new"])


@pytest.mark.parametrize("line, problem", [
    ("2017,76,999,870323,5.000,", "column 'j': importer code not in the release's country table at row 2 ('999')"),
    ("2017,76,124,870323,five,", "column 'v': not a non-negative number (thousands of USD) at row 2 ('five')"),
    ("2017,76,124,870323,-5.000,", "column 'v': not a non-negative number"),
    ("2016,76,124,870323,5.000,", "column 't': not the file's year 2017 at row 2 ('2016')"),
])
def test_a_bad_flow_is_named_by_member_row_and_column(tmp_path, line, problem):
    bad = tmp_path / "BACI_HS92_Y2017_V202501.csv"
    bad.write_text("t,i,j,k,v,q\n2017,76,124,870323,1.000,\n" + line + "\n")
    archive = tmp_path / "BACI_HS92_V202501.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(bad, bad.name)
        z.write(FIX / "country_codes_V202501.csv", "country_codes_V202501.csv")
    with pytest.raises(TradeDataError, match=f"BACI_HS92_Y2017_V202501.csv: {problem}".replace("(", r"\(")
                       .replace(")", r"\)")):
        convert(tmp_path, archive)
    assert not (tmp_path / "baci.parquet").exists()


def test_archives_that_are_not_a_release(tmp_path):
    (tmp_path / "page.zip").write_text("<html>")
    with pytest.raises(TradeDataError, match="page.zip: not a readable zip archive"):
        convert(tmp_path, tmp_path / "page.zip")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as z:
        z.writestr("data.csv", "a,b\n")
    with pytest.raises(TradeDataError, match="not a BACI release archive"):
        convert(tmp_path, tmp_path / "other.zip")
    with pytest.raises(TradeDataError, match=r"no BACI file for the years \[2018\]; the release holds 2017-2017"):
        convert(tmp_path, release(tmp_path), years=(2017, 2018))


def test_regions_replace_their_country_beside_baci(tmp_path):
    """Regional data of the USA with BACI: BACI's rows of the USA as reporter are left out, the US regions come in,
    and every other country keeps its BACI rows (with the USA as a partner)."""
    world, _ = convert(tmp_path, release(tmp_path))
    regional = tmp_path / "usa.csv"
    regional.write_text("year,flow,country,region,partner,hs,value\n2017,export,USA,TX,CHN,870323,5000\n"
                        "2017,import,USA,CA,CHN,870323,7000\n")
    out = tmp_path / "combined.parquet"
    ingest_canonical([regional], out, {}, world=tmp_path / "baci.parquet", dropped_dest=tmp_path / "d.parquet")
    combined = pd.read_parquet(out)
    usa = combined[combined["country"] == "USA"]
    assert sorted(usa["region"]) == ["CA", "TX"] and usa["value"].sum() == 12000
    others = world[world["country"] != "USA"]
    assert len(combined) == len(others) + 2
    assert combined.loc[combined["country"] != "USA", "value"].sum() == pytest.approx(others["value"].sum())
    assert "USA" in set(combined.loc[combined["country"] == "CHN", "partner"])
