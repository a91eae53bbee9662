"""Querying the flows without loading them, in either form a run keeps them: the three factor tables
(``flows/factors``, every run), whose join DuckDB computes for the rows a query needs, or the flows dataset
(``flows/dataset``, with ``flows.dataset``; Hive-partitioned Parquet, partition ``chapter`` = the input's HS2). The
same SQL gives the same rows from both.

    from valuechain.flows.query import query_flows
    query_flows("results/demo/flows/factors",
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

FACTORS = ("exporters", "importers", "users")


def query_flows(flows: str | Path, sql: str) -> pd.DataFrame:
    """Run ``sql`` against the flows, visible in the query as the view ``flows`` (columns
    :data:`valuechain.flows.allocation.FLOW_COLUMNS`): ``flows`` is a run's folder of factor tables
    (``flows/factors``; the flows are their join at the run's ``flows.min_value``, read from their provenance) or
    its flows dataset (``flows/dataset``, which adds the column ``chapter``)."""
    folder = Path(flows)
    factored = (folder / "users.parquet").is_file()
    if not factored and not folder.is_dir():
        raise FileNotFoundError(f"{folder}: neither a folder of flow factors (flows/factors) nor a flows dataset")
    con = duckdb_connect()
    try:
        if factored:
            min_value = float(json.loads(read_metadata(folder / "users.parquet")["config"])["min_value"])
            for name in FACTORS:
                con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{folder / name}.parquet')")
            con.execute(f"CREATE VIEW flows AS {FLOWS_SQL.format(min_value=min_value)}")
        else:
            pattern = str(folder / "**" / "*.parquet")
            con.execute(f"CREATE VIEW flows AS SELECT * FROM read_parquet('{pattern}', hive_partitioning = true)")
        return con.execute(sql).df()
    finally:
        con.close()
