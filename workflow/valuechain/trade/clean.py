"""Cleaning and the regional filter (paper section 2; docs/method.md section 2).

Steps, each recording what it drops and why (beside the rows ingestion dropped, in one table):
1. keep the configured years (all when none are configured);
2. drop unknown and re-export pseudo-regions (a configurable list per country);
3. map product codes to the configured HS level by their leading digits (HS6 -> HS4 keeps four);
4. sum over years (partners are kept: the allocation needs them);
5. drop regions whose total exports OR total imports over the years are below ``min_region_trade``.

The steps are SQL run by DuckDB (:func:`clean_queries`), over a frame in memory (:func:`clean_trade`) or over the
ingested Parquet file (:func:`clean_trade_file`, which streams: an HS6 table of 100M rows is never loaded).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from valuechain.glue.provenance import TableWriter, encode_codes
from valuechain.glue.threads import duckdb_connect
from valuechain.trade.canonical import CODE_COLUMNS, DROPPED_COLUMNS, KEY_COLUMNS

CLEAN_COLUMNS = ["flow", "country", "region", "partner", "hs", "value"]
PSEUDO_REASON = "unknown or re-export pseudo-region (clean.drop_regions)"
YEAR_REASON = "year not selected (clean.years)"


class CleaningError(ValueError):
    """Cleaning would leave nothing (or too little) to analyse; the message names the config key."""


def _text(values) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


def clean_queries(con: duckdb.DuckDBPyConnection, table: str, drop_regions: dict[str, list[str]],
                  min_region_trade: float, years: list[int] | None = None, hs_digits: int = 4,
                  dropped_before: Sequence[str | Path] = ()) -> dict[str, str]:
    """The SQL of the three tables of :func:`clean_trade` over the canonical relation ``table``, after checking
    that anything is left (raises :class:`CleaningError` naming the config key) and that every kept code has at
    least ``hs_digits`` digits (``ValueError``). The view ``reasons`` and the tables ``summed`` and ``totals`` are
    created on ``con``. The dropped rows include those of the Parquet files ``dropped_before`` (rows an earlier
    stage dropped, :data:`valuechain.trade.canonical.DROPPED_COLUMNS`).
    """
    year_test = f"year NOT IN ({', '.join(str(int(y)) for y in years)})" if years else "false"
    pseudo = " OR ".join(f"(CAST(country AS VARCHAR) = {_text([c])} AND CAST(region AS VARCHAR) IN ({_text(names)}))"
                         for c, names in (drop_regions or {}).items() if names) or "false"
    if years:
        found = con.execute(f"SELECT count(*) FILTER (WHERE NOT ({year_test})) FROM {table}").fetchall()[0][0]
        if not found:
            held = [y for (y,) in con.execute(f"SELECT DISTINCT year FROM {table} ORDER BY 1").fetchall()]
            raise CleaningError(f"clean.years {sorted(years)} match no row; the trade data hold the years {held}")
    con.execute(f"""CREATE OR REPLACE VIEW reasons AS SELECT *, CASE WHEN {year_test} THEN '{YEAR_REASON}'
                    WHEN {pseudo} THEN '{PSEUDO_REASON}' END AS reason FROM {table}""")
    short = con.execute(f"""SELECT DISTINCT CAST(hs AS VARCHAR) AS hs FROM reasons WHERE reason IS NULL
                            AND length(CAST(hs AS VARCHAR)) < {int(hs_digits)} ORDER BY 1 LIMIT 5""").fetchall()
    if short:
        raise ValueError(f"HS codes {[h for (h,) in short]} have fewer than {hs_digits} digits; choose "
                         "hs_digits <= their length")
    # a table, not a view: the region totals and the clean table both read it, and the sum over years is the
    # costly step (it spills to disk beyond the connection's memory limit). Every sum adds its values in a fixed
    # order: a parallel sum adds them in the order its threads meet them, and floating-point addition is not
    # associative, so the last bits would depend on the threads.
    con.execute(f"""CREATE OR REPLACE TABLE summed AS SELECT CAST(flow AS VARCHAR) AS flow,
                    CAST(country AS VARCHAR) AS country, CAST(region AS VARCHAR) AS region,
                    CAST(partner AS VARCHAR) AS partner, left(CAST(hs AS VARCHAR), {int(hs_digits)}) AS hs,
                    sum(value ORDER BY year, CAST(hs AS VARCHAR)) AS value FROM reasons WHERE reason IS NULL
                    GROUP BY ALL""")
    con.execute("""CREATE OR REPLACE TABLE totals AS SELECT country, region,
                   coalesce(sum(value ORDER BY partner, hs) FILTER (WHERE flow = 'export'), 0.0) AS exports,
                   coalesce(sum(value ORDER BY partner, hs) FILTER (WHERE flow = 'import'), 0.0) AS imports
                   FROM summed GROUP BY country, region""")
    small = f"(exports < {float(min_region_trade)!r} OR imports < {float(min_region_trade)!r})"
    n_regions, n_kept = con.execute(f"SELECT count(*), count(*) FILTER (WHERE NOT {small}) FROM totals").fetchall()[0]
    if n_kept == 0:
        raise CleaningError(f"no region left after cleaning: all {n_regions} trade less than clean.min_region_trade = "
                            f"{min_region_trade:g} USD in exports or imports")
    columns = ", ".join(f"CAST({c} AS VARCHAR) AS {c}" if c in CODE_COLUMNS else c for c in DROPPED_COLUMNS)
    earlier = [f"read_parquet('{path}')" for path in dropped_before]
    return {
        "clean": f"""SELECT {', '.join(CLEAN_COLUMNS)} FROM summed SEMI JOIN (SELECT country, region FROM totals
                     WHERE NOT {small}) USING (country, region) ORDER BY {', '.join(CLEAN_COLUMNS[:-1])}""",
        # sorted: a filtered parallel scan need not come out in the file's order, and the same inputs give the same bytes
        "dropped_rows": f"""SELECT * FROM ({' UNION ALL '.join(f"SELECT {columns} FROM {source}" for source in
                                                              [*earlier, "reasons WHERE reason IS NOT NULL"])})
                            ORDER BY {', '.join(KEY_COLUMNS)}, value, reason""",
        "dropped_regions": f"SELECT country, region, exports, imports, 'total exports or imports below "
                           f"{min_region_trade:g} USD' AS reason FROM totals WHERE {small} ORDER BY country, region",
    }


def _categorical(df: pd.DataFrame, columns) -> pd.DataFrame:
    return df.astype({c: "category" for c in columns if c in df.columns})


def clean_trade(
    trade: pd.DataFrame,
    drop_regions: dict[str, list[str]],
    min_region_trade: float,
    years: list[int] | None = None,
    hs_digits: int = 4,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Clean canonical trade held in memory; returns ``(clean, dropped_rows, dropped_regions)``.

    ``clean``: columns :data:`CLEAN_COLUMNS`, summed over the years kept, sorted, codes categorical.
    ``dropped_rows``: the canonical rows removed by steps 1-2 with a ``reason``.
    ``dropped_regions``: ``country, region, exports, imports, reason`` for regions removed by step 5.
    """
    plain = trade.assign(**{c: trade[c].astype(object) for c in CODE_COLUMNS})
    with duckdb_connect() as con:
        con.register("trade", plain)
        queries = clean_queries(con, "trade", drop_regions, min_region_trade, years, hs_digits)
        out = {name: con.execute(sql).df() for name, sql in queries.items()}
    return (_categorical(out["clean"], CODE_COLUMNS), _categorical(out["dropped_rows"], CODE_COLUMNS),
            out["dropped_regions"])


def clean_trade_file(src: str | Path, outputs: dict[str, str | Path], meta: dict[str, str],
                     drop_regions: dict[str, list[str]], min_region_trade: float, years: list[int] | None = None,
                     hs_digits: int = 4, memory_mb: int | None = None, batch_rows: int = 2_000_000,
                     dropped_before: Sequence[str | Path] = ()) -> dict[str, int]:
    """:func:`clean_trade` from the Parquet file ``src`` to the Parquet files ``outputs`` (keys ``clean``,
    ``dropped_rows``, ``dropped_regions``), streamed through DuckDB within ``memory_mb``; returns their rows.
    ``dropped_rows`` also holds the rows of ``dropped_before`` (see :func:`clean_queries`)."""
    rows = {}
    with duckdb_connect() as con:
        if memory_mb:
            con.execute(f"SET memory_limit = '{int(memory_mb)}MB'")
        con.execute(f"CREATE VIEW trade AS SELECT * FROM read_parquet('{src}')")
        queries = clean_queries(con, "trade", drop_regions, min_region_trade, years, hs_digits, dropped_before)
        for name, sql in queries.items():
            empty = _empty_schema(con, sql)
            with TableWriter(outputs[name], meta) as out:
                for batch in con.cursor().sql(sql).to_arrow_reader(batch_rows):
                    out.write(encode_codes(batch, CODE_COLUMNS))
                if out.rows == 0:
                    out.write(empty)
            rows[name] = out.rows
    return rows


def _empty_schema(con, sql: str) -> pa.Table:
    """The table of ``sql`` with no rows (an empty artifact keeps its columns)."""
    return encode_codes(con.cursor().sql(f"SELECT * FROM ({sql}) LIMIT 0").to_arrow_table(), CODE_COLUMNS)
