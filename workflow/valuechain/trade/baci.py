"""BACI, CEPII's reconciled bilateral trade (HS6, about 200 countries, every year since 1995), in the canonical
long form, every country a location (docs/trade_data.md, "BACI").

A release is one zip archive, ``BACI_<HS>_V<release>.zip`` (``HS92`` ... ``HS22``; releases V202102 to V202601
read): one CSV per year, ``BACI_<HS>_Y<year>_V<release>.csv``, with the header ``t,i,j,k,v,q`` (year, exporter,
importer, HS6 product as text with its leading zero, value in thousands of current USD, quantity in metric tons),
and the country table ``country_codes_V<release>.csv``: ``country_code, country_name, country_iso2,
country_iso3`` since V202401, ``country_code, country_name_abbreviation, country_name_full, iso_2digit_alpha,
iso_3digit_alpha`` before. Each flow is reconciled once, so it gives the exporter's export row and the importer's
import row: the exports and imports of every country come from the same flows. Its region is the country itself.

Read with DuckDB, every field as text (padded ``NA`` quantities, left as they are), so a year of about ten
million flows is never a pandas frame.
"""

from __future__ import annotations

import logging
import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa

from valuechain.glue.provenance import TableWriter
from valuechain.glue.threads import duckdb_connect
from valuechain.trade.canonical import (
    DROPPED_SCHEMA,
    HISTORIC_ISO3,
    TradeDataError,
    canonical_batch,
    iso3_codes,
)

log = logging.getLogger(__name__)

TRADE_MEMBER = re.compile(r"(?:.*/)?BACI_(HS\d\d)_Y(\d{4})_V(\w+)\.csv$")
COUNTRY_MEMBER = re.compile(r"(?:.*/)?country_codes_V(\w+)\.csv$")
TRADE_COLUMNS = ["t", "i", "j", "k", "v", "q"]
# The country table's ISO3 column under each layout.
ISO3_COLUMNS = ("country_iso3", "iso_3digit_alpha")
# BACI codes without a usable ISO3 code, by BACI code: Taiwan is BACI's "Other Asia, nes" (S19 since V202401,
# N/A before); the Southern African Customs Union reported as a whole until 1999 (ZA1; ZAF before V202401) is
# South Africa's customs territory; the US Miscellaneous Pacific Islands (PUS) are the US Minor Outlying Islands.
# None: a group of countries that cannot be placed, dropped and recorded.
BACI_ISO3 = {490: "TWN", 711: "ZAF", 849: "UMI", 697: None}
GROUP_REASON = "BACI group of countries that is not one country (Europe EFTA, nes)"
LEGACY_REASON = "BACI code outside HS (chapter 99 and legacy non-WCO codes such as 9999AA)"


def archive_members(archive: str | Path) -> tuple[dict[int, str], str]:
    """``({year: trade CSV member}, country table member)`` of a BACI release archive; raises
    :class:`TradeDataError` naming the archive when one is missing."""
    try:
        names = zipfile.ZipFile(archive).namelist()
    except (OSError, zipfile.BadZipFile) as exc:
        raise TradeDataError(f"{archive}: not a readable zip archive ({exc}); a BACI release is one zip, "
                             "BACI_<HS>_V<release>.zip") from None
    years = {int(m.group(2)): name for name in names if (m := TRADE_MEMBER.match(name))}
    countries = [name for name in names if COUNTRY_MEMBER.match(name)]
    if not years or len(countries) != 1:
        raise TradeDataError(f"{archive}: not a BACI release archive: expected BACI_<HS>_Y<year>_V<release>.csv "
                             f"files and one country_codes_V<release>.csv, found {names[:8]}")
    return years, countries[0]


def read_country_codes(path: str | Path, source: str | None = None) -> dict[int, str | None]:
    """BACI country code -> ISO3 (None: dropped as a group), from the release's country table in either layout;
    codes of :data:`BACI_ISO3` take its value, historic ISO3 codes (ANT, SCG, SUN, CSK, DDR) their successor
    (:data:`valuechain.trade.canonical.HISTORIC_ISO3`). A code with no ISO3 that the table does not explain is an error."""
    source = source or str(path)
    # Namibia's ISO2 is "NA": nothing is read as missing
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8", encoding_errors="replace")
    iso_col = next((c for c in ISO3_COLUMNS if c in table.columns), None)
    if "country_code" not in table.columns or iso_col is None:
        raise TradeDataError(f"{source}: not a BACI country table: expected country_code and one of {ISO3_COLUMNS}, "
                             f"found {list(table.columns)}")
    code = pd.to_numeric(table["country_code"].str.strip(), errors="coerce")
    if code.isna().any():
        row = int(code.isna().to_numpy().argmax()) + 1
        raise TradeDataError(f"{source}: column 'country_code': not a number at row {row} "
                             f"({table['country_code'].iloc[row - 1]!r})")
    iso = table[iso_col].str.strip().str.upper().replace(HISTORIC_ISO3)
    known = iso3_codes()
    out: dict[int, str | None] = {}
    for c, i in zip(code.astype(int), iso):
        out[c] = BACI_ISO3[c] if c in BACI_ISO3 else (i if i in known else False)
    bad = [c for c, i in out.items() if i is False]
    if bad:
        raise TradeDataError(f"{source}: column '{iso_col}': BACI country codes {bad[:5]} have no ISO3 code "
                             "(add them to valuechain.trade.baci.BACI_ISO3)")
    return out


def _extract(archive: Path, member: str, dest: Path) -> Path:
    with zipfile.ZipFile(archive) as z, z.open(member) as src, open(dest, "wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
    return dest


def baci_to_canonical(archive: str | Path, years: list[int], dest: str | Path, dropped_dest: str | Path,
                      meta: dict[str, str], staging: str | Path, memory_mb: int = 2000,
                      batch_rows: int = 2_000_000) -> int:
    """The flows of ``years`` in the BACI release ``archive`` as one canonical Parquet table at ``dest``, two rows
    per flow (the exporter's export, the importer's import; value in USD), sorted; returns its rows. Flows of a
    group of countries (:data:`BACI_ISO3`) and products outside HS are written to ``dropped_dest`` with their
    reason. ``staging``: a folder for the extracted CSVs and DuckDB's spill files (emptied afterwards)."""
    archive, staging = Path(archive), Path(staging)
    members, country_member = archive_members(archive)
    missing = sorted(set(years) - set(members))
    if missing:
        raise TradeDataError(f"{archive}: no BACI file for the years {missing}; the release holds "
                             f"{min(members)}-{max(members)}")
    staging.mkdir(parents=True, exist_ok=True)
    try:
        countries = read_country_codes(_extract(archive, country_member, staging / "countries.csv"),
                                       f"{archive}:{country_member}")
        codes = pd.DataFrame({"code": list(countries), "iso3": list(countries.values())})
        with duckdb_connect() as con:
            con.execute(f"SET memory_limit = '{int(memory_mb)}MB'")
            con.execute(f"SET temp_directory = '{staging}'")
            # a table, not a registered frame: the queries below run on cursors, which see the connection's tables
            con.register("codes_frame", codes)
            con.execute("CREATE TABLE codes AS SELECT * FROM codes_frame")
            con.unregister("codes_frame")
            legacy = "NOT regexp_full_match(hs, '[0-9]{6}') OR hs LIKE '99%'"
            reason = f"CASE WHEN grouped THEN '{GROUP_REASON}' ELSE '{LEGACY_REASON}' END"
            counts: dict[str, int] = {}
            # One year at a time: the tables are sorted by year first, so the rows come out as one ORDER BY over
            # every year would give them, while DuckDB holds and sorts one year's flows, not all of them.
            with TableWriter(dest, meta) as out, TableWriter(dropped_dest, meta) as dropped_out:
                dropped_out.write(DROPPED_SCHEMA.empty_table())
                for year in sorted(years):
                    member = members[year]
                    csv = _extract(archive, member, staging / f"{year}.csv")
                    source = f"{archive}:{member}"
                    view = f"y{year}"
                    con.execute(f"CREATE TABLE {view} AS SELECT row_number() OVER () AS row, * FROM read_csv('{csv}', "
                                "header = true, all_varchar = true, delim = ',', quote = '\"')")
                    columns = [d[0] for d in con.execute(f"SELECT * FROM {view} LIMIT 0").description][1:]
                    if columns[:5] != TRADE_COLUMNS[:5]:
                        raise TradeDataError(f"{source}: not a BACI trade file: header {columns}, expected "
                                             f"{','.join(TRADE_COLUMNS)}")
                    _check_flows(con, view, source, year)
                    csv.unlink()
                    log.info("%s: %d flows read", source, con.execute(f"SELECT count(*) FROM {view}").fetchall()[0][0])
                    con.execute(f"""CREATE OR REPLACE VIEW flows AS
                        SELECT row, CAST(trim(t) AS INTEGER) AS year, trim(k) AS hs, CAST(trim(v) AS DOUBLE) * 1000 AS value,
                        trim(i) AS i, trim(j) AS j, e.iso3 AS exporter, m.iso3 AS importer,
                        e.iso3 IS NULL OR m.iso3 IS NULL AS grouped
                        FROM {view} JOIN codes e ON e.code = CAST(trim(i) AS INTEGER)
                        JOIN codes m ON m.code = CAST(trim(j) AS INTEGER)""")
                    canonical = f"""SELECT year, flow, country, region, partner, hs, value FROM (
                        SELECT year, 'export' AS flow, exporter AS country, exporter AS region, importer AS partner, hs, value
                        FROM flows WHERE NOT grouped AND NOT ({legacy})
                        UNION ALL
                        SELECT year, 'import', importer, importer, exporter, hs, value
                        FROM flows WHERE NOT grouped AND NOT ({legacy}))
                        ORDER BY year, flow, country, partner, hs"""
                    for batch in con.cursor().sql(canonical).to_arrow_reader(batch_rows):
                        out.write(canonical_batch(batch))
                    dropped = f"""SELECT year, 'export' AS flow, coalesce(exporter, 'BACI ' || i) AS country,
                        coalesce(exporter, 'BACI ' || i) AS region, coalesce(importer, 'BACI ' || j) AS partner, hs, value,
                        {reason} AS reason FROM flows WHERE grouped OR {legacy} ORDER BY year, country, partner, hs"""
                    for batch in con.cursor().sql(dropped).to_arrow_reader(batch_rows):
                        dropped_out.write(pa.Table.from_batches([batch]).cast(DROPPED_SCHEMA))
                    for reason_text, n in con.execute(f"SELECT {reason}, count(*) FROM flows WHERE grouped OR {legacy} "
                                                      "GROUP BY ALL").fetchall():
                        counts[reason_text] = counts.get(reason_text, 0) + n
                    con.execute(f"DROP VIEW flows; DROP TABLE {view}")
            for reason_text in sorted(counts):
                log.warning("%s: %d flows dropped: %s", archive, counts[reason_text], reason_text)
        return out.rows
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _check_flows(con, view: str, source: str, year: int) -> None:
    """Every flow of a yearly file: its year, known country codes, a number for the value."""
    checks = [
        ("t", f"TRY_CAST(trim(t) AS INTEGER) IS DISTINCT FROM {int(year)}", f"not the file's year {year}"),
        ("i", "TRY_CAST(trim(i) AS INTEGER) NOT IN (SELECT code FROM codes) OR i IS NULL",
         "exporter code not in the release's country table"),
        ("j", "TRY_CAST(trim(j) AS INTEGER) NOT IN (SELECT code FROM codes) OR j IS NULL",
         "importer code not in the release's country table"),
        ("v", "TRY_CAST(trim(v) AS DOUBLE) IS NULL OR NOT isfinite(TRY_CAST(trim(v) AS DOUBLE)) "
              "OR TRY_CAST(trim(v) AS DOUBLE) < 0", "not a non-negative number (thousands of USD)"),
        ("k", "k IS NULL OR trim(k) = ''", "empty product code"),
    ]
    for column, bad, problem in checks:
        found = con.execute(f"SELECT row, {column} FROM {view} WHERE {bad} ORDER BY row LIMIT 5").fetchall()
        if found:
            where = ", ".join(f"row {r} ({v!r})" for r, v in found)
            raise TradeDataError(f"{source}: column '{column}': {problem} at {where}")
