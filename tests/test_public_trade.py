"""Public regional trade: the Census API and Comex Stat layouts, and the download logic against a localhost
server (retries, a transfer cut short and resumed, a bad checksum, no network)."""

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

import valuechain.glue.retrieve as r
from valuechain.glue.retrieve import RetrieveError, redact, retrieve
from valuechain.trade.canonical import AGGREGATE_REASON, NATIONAL_REASON, TradeDataError
from valuechain.trade.public import (
    CENSUS_TOTAL_REASON,
    census_url,
    public_trade,
    read_census,
    read_schedule_c,
)

FIX = Path(__file__).parent / "fixtures" / "public"


def test_census_query_asks_for_annual_state_values():
    url = census_url("https://api.census.gov/data/timeseries/intltrade", "import", 2017, "HS6", key="SECRET")
    assert url.startswith("https://api.census.gov/data/timeseries/intltrade/imports/statehs?get=STATE,CTY_CODE,"
                          "GEN_VAL_YR,I_COMMODITY&YEAR=2017&MONTH=12&COMM_LVL=HS6")
    assert "SECRET" not in redact(url) and redact(url).endswith("key=***")


def test_schedule_c_maps_census_codes_to_iso3():
    codes = read_schedule_c(FIX / "country.txt")
    assert codes == {"1000": "USA", "1220": "CAN", "2010": "MEX", "4280": "DEU", "5700": "CHN", "5830": "TWN",
                     "5082": "PSE", "5083": "PSE", "8500": None, "9990": None}  # GZ, WE: not ISO; '-' and blank
    with pytest.raises(TradeDataError, match="not the Census Schedule C country list"):
        read_schedule_c(FIX / "PAIS.csv")


def test_census_response_to_canonical_drops_totals_groupings_and_national_codes():
    """The answer as the API sends it (predicates echoed, no CTY_NAME): totals and groupings (STATE '-', CTY_CODE
    0nnn, nXXX) and national pseudo-products (9880) are dropped and recorded with their reason; the Gaza Strip and
    the West Bank are added up as Palestine; the unidentified state XX is kept for cleaning to drop by name."""
    rows = json.loads((FIX / "census_exports_HS4_2017.json").read_text())
    dropped = []
    t = read_census(FIX / "census_exports_HS4_2017.json", "export", read_schedule_c(FIX / "country.txt"),
                    dropped=dropped)
    totals = [r for r in rows[1:] if r[1] in ("-", "0003", "4XXX") or r[0] == "-"]
    national = [r for r in rows[1:] if r[3].startswith("98")]
    kept = [r for r in rows[1:] if r not in totals and r not in national]
    assert totals and national and len(t) == len(kept) - 1  # 5082 and 5083: one row of PSE
    assert t["value"].sum() == sum(float(r[2]) for r in kept)
    assert set(t["country"]) == {"USA"} and set(t["partner"]) == {"CHN", "CAN", "MEX", "DEU", "PSE"}
    assert t.loc[t["partner"] == "PSE", "value"].tolist() == [410000 + 230000.0]
    assert "XX" in set(t["region"])
    assert set(t["flow"]) == {"export"} and set(t["year"]) == {2017}
    record = pd.concat(dropped, ignore_index=True)
    by_reason = record.groupby("reason")["value"].agg(["size", "sum"])
    assert by_reason.loc[CENSUS_TOTAL_REASON].tolist() == [len(totals), sum(float(r[2]) for r in totals)]
    assert by_reason.loc[NATIONAL_REASON].tolist() == [len(national), sum(float(r[2]) for r in national)]
    assert set(record.loc[record["reason"] == CENSUS_TOTAL_REASON, "partner"]) == {"-", "0003", "4XXX"}


def test_census_unknown_country_code_and_malformed_response(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('[["STATE","CTY_CODE","ALL_VAL_YR","E_COMMODITY","YEAR"],["TX","9999","5","8703","2017"]]')
    with pytest.raises(TradeDataError, match="column 'CTY_CODE': Census country code not in Schedule C at row 1"):
        read_census(bad, "export", {"5700": "CHN"})
    bad.write_text('{"error": "unknown variable"}')
    with pytest.raises(TradeDataError, match="not a Census API response"):
        read_census(bad, "export", {})


def test_public_trade_combines_both_countries():
    """Both sources in their published layouts: Comex Stat's codes quoted and numbers not, its PAIS table with ZZZ
    for partners that are not countries, historic codes (ANT, SCG) and several codes of one country."""
    dropped = []
    t = public_trade({"export": [FIX / "census_exports_HS4_2017.json"],
                      "import": [FIX / "census_imports_HS4_2017.json"]}, FIX / "country.txt",
                     [FIX / "EXP_2017_MUN.csv", FIX / "IMP_2017_MUN.csv"], FIX / "PAIS.csv", FIX / "UF.csv",
                     partner_aggregates={"World": "drop", "ZZZ": "drop"}, dropped=dropped)
    assert set(t["country"]) == {"USA", "BRA"} and set(t["flow"]) == {"export", "import"}
    exp = pd.read_csv(FIX / "EXP_2017_MUN.csv", sep=";", dtype=str, encoding="latin-1")
    bra = t[(t["country"] == "BRA") & (t["flow"] == "export")]
    zzz = exp["CO_PAIS"].isin(["994", "995", "999"])
    special = exp["SH4"] == "9999"
    assert zzz.sum() == 2 and special.sum() == 1
    # months summed; nothing lost but the rows of ZZZ partners and the special transactions
    assert bra["value"].sum() == exp.loc[~zzz & ~special, "VL_FOB"].astype(float).sum()
    assert {"ANT", "SCG"}.isdisjoint(bra["partner"]) and {"CUW", "SRB"} <= set(bra["partner"])
    assert "ND" in set(bra["region"])  # a pseudo-state: dropped by cleaning (clean.drop_regions), by its code
    record = pd.concat(dropped, ignore_index=True)
    comex = record[(record["country"] == "BRA") & (record["flow"] == "export")]
    assert comex.groupby("reason")["value"].sum().to_dict() == {
        AGGREGATE_REASON: exp.loc[zzz, "VL_FOB"].astype(float).sum(),
        NATIONAL_REASON: exp.loc[special, "VL_FOB"].astype(float).sum()}
    assert set(comex.loc[comex["reason"] == AGGREGATE_REASON, "partner"]) == {"ZZZ"}


def test_download_retries_resumes_a_cut_transfer_and_checks(tmp_path, public_server, monkeypatch):
    monkeypatch.setattr(r.time, "sleep", lambda s: None)
    base, requests = public_server["base"], public_server["requests"]
    body = (FIX / "EXP_2017_MUN.csv").read_bytes()
    digest = retrieve("EXP_2017_MUN.csv", tmp_path / "EXP_2017_MUN.csv", None, f"{base}/comex/EXP_2017_MUN.csv",
                      sha256=hashlib.sha256(body).hexdigest())
    assert (tmp_path / "EXP_2017_MUN.csv").read_bytes() == body and digest == hashlib.sha256(body).hexdigest()
    # 503, then half the file and a dropped connection, then the rest asked for from where it stopped
    assert [rng for _, rng in requests] == [None, None, f"bytes={len(body) // 2}-"]
    with pytest.raises(RetrieveError, match="does not match the pinned"):
        retrieve("IMP_2017_MUN.csv", tmp_path / "IMP_2017_MUN.csv", None, f"{base}/comex/IMP_2017_MUN.csv",
                 sha256="0" * 64)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["EXP_2017_MUN.csv"]  # nothing half-written


def test_a_partial_download_is_resumed_by_the_next_run(tmp_path, public_server, monkeypatch):
    monkeypatch.setattr(r.time, "sleep", lambda s: None)
    body = (FIX / "PAIS.csv").read_bytes()
    (tmp_path / ".PAIS.csv.download").write_bytes(body[:100])  # what an interrupted run left
    retrieve("PAIS.csv", tmp_path / "PAIS.csv", None, f"{public_server['base']}/tables/PAIS.csv")
    assert (tmp_path / "PAIS.csv").read_bytes() == body
    assert public_server["requests"][-1] == ("/tables/PAIS.csv", "bytes=100-")


def test_no_network_gets_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setattr(r.time, "sleep", lambda s: None)
    with pytest.raises(RetrieveError, match=r"download failed after 4 attempt\(s\) .*no network\?"):
        retrieve("x.csv", tmp_path / "x.csv", None, "http://127.0.0.1:9/x.csv?key=SECRET")
    with pytest.raises(RetrieveError) as err:
        retrieve("x.csv", tmp_path / "x.csv", None, "http://127.0.0.1:9/x.csv?key=SECRET")
    assert "SECRET" not in str(err.value)


@pytest.mark.parametrize("key", ["SE CRET", "SE\nCRET", "S%20E CRET", "SECRET\u00e9"])
def test_a_key_the_http_library_rejects_appears_in_no_message(tmp_path, monkeypatch, caplog, key):
    """A key that makes the URL invalid (a space, a newline) is quoted by the HTTP library's own message; that text,
    the retry warnings and the traceback (nothing chained) must not carry it."""
    import traceback

    monkeypatch.setattr(r.time, "sleep", lambda s: None)
    with caplog.at_level("INFO"), pytest.raises(RetrieveError) as err:
        retrieve("x.json", tmp_path / "x.json", None, f"http://127.0.0.1:9/data?get=A&key={key}")
    shown = "".join(traceback.format_exception(err.value)) + caplog.text
    for secret in {key, *key.split()}:
        assert secret not in shown or len(secret) < 3, secret
    assert "***" in str(err.value) and err.value.__cause__ is None and err.value.__suppress_context__
    assert "after 1 attempt(s)" in str(err.value) and "malformed" in str(err.value)  # nothing to retry
    assert r.scrub("bad URL '/data?key=ab c' here", "http://h/data?key=ab c") == "bad URL '/data?key=***' here"


def test_schedule_c_entries_without_an_iso_code(tmp_path):
    listing = tmp_path / "country.txt"
    listing.write_text("Code | Name | ISO Code\n-----|------|---------\n1000 | United States | US\n"
                       "5082 | Gaza Strip administered by Israel | GZ\n5083 | West Bank administered by Israel | WE\n"
                       "4280 | Germany | DE\n7777 | A territory with no code | -\n", encoding="latin-1")
    codes = read_schedule_c(listing)
    assert codes == {"1000": "USA", "5082": "PSE", "5083": "PSE", "4280": "DEU", "7777": None}
    answer = tmp_path / "exports.json"
    rows = [["STATE", "CTY_CODE", "ALL_VAL_YR", "E_COMMODITY", "YEAR", "MONTH", "COMM_LVL"],
            ["TX", "5082", "10", "8703", "2017", "12", "HS4"], ["TX", "5083", "5", "8703", "2017", "12", "HS4"]]
    answer.write_text(json.dumps(rows))
    t = read_census(answer, "export", codes)
    assert t["partner"].tolist() == ["PSE"] and t["value"].tolist() == [15.0]
    rows.append(["TX", "7777", "1", "8703", "2017", "12", "HS4"])
    answer.write_text(json.dumps(rows))
    with pytest.raises(TradeDataError, match="Census country code that Schedule C lists without an ISO country code"):
        read_census(answer, "export", codes)


@pytest.mark.parametrize("head, key_given, problem", [
    (b' [["STATE"', True, None),
    (b"", True, "the Census API sent an empty answer (HTTP 204"),
    (b"<html>Missing Key", False, "the Census API answered with its missing-key page"),
    (b"\n<!DOCTYPE html>", True, "as it does for an invalid or expired API key"),
    (b"error: unknown variable", True, "the Census API sent no JSON array but text starting b'error: unknown"),
])
def test_what_a_census_answer_shows_is_named(head, key_given, problem):
    from valuechain.trade.public import census_answer_problem

    got = census_answer_problem(head, key_given)
    assert got is None if problem is None else problem in got


def _fingerprint(pem):
    import ssl

    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(Path(pem).read_text())).hexdigest()


def test_an_incomplete_chain_is_a_tls_failure_not_retried_and_nothing_kept(tmp_path, incomplete_chain):
    out = tmp_path / "out.csv"
    with pytest.raises(r.RetrieveError) as err:
        r.download(incomplete_chain["url"], out, backoff=0.0, timeout=10)
    message = str(err.value)
    assert "download failed after 1 attempt(s)" in message
    assert "a TLS failure: the certificate of localhost could not be verified" in message
    assert "no network" not in message


def test_the_pinned_intermediate_completes_the_chain_of_its_host_only(tmp_path, incomplete_chain, monkeypatch):
    """With the intermediate pinned for localhost the download succeeds; pinned for another host it is not used;
    an intermediate that did not sign the server's certificate still fails; a shipped file that is not the pinned
    certificate is refused before any request."""
    pem = incomplete_chain["intermediate"]
    monkeypatch.setitem(r.INTERMEDIATES, "localhost", (pem, _fingerprint(pem)))
    r.download(incomplete_chain["url"], tmp_path / "PAIS.csv", backoff=0.0, timeout=10)
    assert (tmp_path / "PAIS.csv").read_bytes() == (FIX / "PAIS.csv").read_bytes()

    monkeypatch.delitem(r.INTERMEDIATES, "localhost")
    monkeypatch.setitem(r.INTERMEDIATES, "127.0.0.1", (pem, _fingerprint(pem)))
    with pytest.raises(r.RetrieveError, match="a TLS failure: the certificate of localhost"):
        r.download(incomplete_chain["url"], tmp_path / "other_host.csv", backoff=0.0, timeout=10)

    other = incomplete_chain["other"]
    monkeypatch.setitem(r.INTERMEDIATES, "localhost", (other, _fingerprint(other)))
    with pytest.raises(r.RetrieveError, match="its chain completed with the pinned other.pem"):
        r.download(incomplete_chain["url"], tmp_path / "wrong.csv", backoff=0.0, timeout=10)

    monkeypatch.setitem(r.INTERMEDIATES, "localhost", (other, _fingerprint(pem)))
    with pytest.raises(r.RetrieveError, match="has the SHA-256 fingerprint .* not the pinned"):
        r.download(incomplete_chain["url"], tmp_path / "mismatch.csv", backoff=0.0, timeout=10)
    assert not any(tmp_path.glob("wrong.csv*")) and not (tmp_path / "mismatch.csv").exists()


def test_the_shipped_intermediate_is_the_pinned_certificate():
    """Comex Stat's server's missing intermediate, as shipped, matches its pin and is a CA certificate valid now."""
    import subprocess

    path, fingerprint = r.INTERMEDIATES["balanca.economia.gov.br"]
    assert r.tls_context("balanca.economia.gov.br") is not None and r.tls_context("example.org") is None
    text = subprocess.run(["openssl", "x509", "-in", str(path), "-noout", "-subject", "-issuer", "-checkend", "0",
                           "-ext", "basicConstraints"], capture_output=True, text=True, check=True).stdout
    assert "CN = Sectigo Public Server Authentication CA OV R36" in text and "CA:TRUE" in text
    assert "Root R46" in text and "will not expire" in text




def test_states_of_the_public_sources_are_named_and_other_regions_keep_their_codes():
    from valuechain.trade.canonical import country_names, region_names

    names = region_names(pd.Series(["USA", "USA", "BRA", "BRA", "BRA", "CHN"]),
                         pd.Series(["TX", "DC", "SP", "3550308", "BRA-01", "CHN"]))
    assert names.tolist() == ["Texas", "District of Columbia", "São Paulo", "", "", ""]
    assert country_names(["USA", "KOR", "XKX", "AAA"]).tolist() == ["United States", "South Korea", "Kosovo", "AAA"]
