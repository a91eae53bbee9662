"""Querying the flows without loading them: the flows dataset (a Hive-partitioned Parquet dataset, partition
``chapter`` = input's HS2), of which DuckDB reads only the partitions and row groups a query needs, or the same
flows joined from their three factor tables (:func:`query_factored_flows`).

    from valuechain.flows.query import query_flows
    query_flows("results/demo/flows/dataset",
                "SELECT region_from, region_to, sum(value) AS usd FROM flows "
                "WHERE input = '8708' AND output = '8703' GROUP BY ALL ORDER BY usd DESC LIMIT 10")
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from valuechain.flows.factors import FLOWS_SQL
from valuechain.glue.provenance import read_metadata
from valuechain.glue.threads import duckdb_connect


def query_flows(dataset: str | Path, sql: str) -> pd.DataFrame:
    """Run ``sql`` against the flows dataset, visible in the query as the view ``flows``."""
    con = duckdb_connect()
    try:
        pattern = str(Path(dataset) / "**" / "*.parquet")
        con.execute(
            f"CREATE VIEW flows AS SELECT * FROM read_parquet('{pattern}', hive_partitioning = true)"
        )
        return con.execute(sql).df()
    finally:
        con.close()


def query_factored_flows(factors: str | Path, sql: str) -> pd.DataFrame:
    """Run ``sql`` against the flows computed from the three factor tables in the folder ``factors``
    (``exporters``, ``importers``, ``users``; :mod:`valuechain.flows.factors`), visible in the query as the view
    ``flows`` with the flows dataset's columns and rows (the run's ``flows.min_value``, from the tables'
    provenance)."""
    folder = Path(factors)
    min_value = float(json.loads(read_metadata(folder / "users.parquet")["config"])["min_value"])
    con = duckdb_connect()
    try:
        for name in ("exporters", "importers", "users"):
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{folder / name}.parquet')")
        con.execute(f"CREATE VIEW flows AS {FLOWS_SQL.format(min_value=min_value)}")
        return con.execute(sql).df()
    finally:
        con.close()
