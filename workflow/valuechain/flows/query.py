"""Querying the flows dataset (a Hive-partitioned Parquet dataset, partition ``chapter`` = input's HS2)
without loading it: DuckDB reads only the partitions and row groups a query needs.

    from valuechain.flows.query import query_flows
    query_flows("results/demo/flows/dataset",
                "SELECT region_from, region_to, sum(value) AS usd FROM flows "
                "WHERE input = '8708' AND output = '8703' GROUP BY ALL ORDER BY usd DESC LIMIT 10")
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

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
