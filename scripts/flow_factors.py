"""Rule flow_factors: the flows as the allocation's three factors (valuechain.flows.factors), tables that grow with the
regions, not with their pairs (``flows/factors/{exporters,importers,users}.parquet``), and what is kept of the flows
themselves at any scale: each link's largest country pairs and region pairs (``flows/largest_country_pairs.parquet``,
``flows/largest_region_pairs.parquet``) and, with the flows dataset, their sums by link and every country pair
(``flows/summary.parquet``: as many rows as the flows when every country is one location). Any other flow query runs
on the factors' join (``valuechain.flows.query.query_flows``), row for row the flows dataset.

The work goes by the allocation's chunks of input products: a chunk's flows are allocated, summed and ranked, and
let go, so memory follows one chunk, not the run.
"""

from contextlib import ExitStack

import numpy as np
import pandas as pd
import pyarrow as pa

from valuechain.flows.allocation import (
    FLOW_COLUMNS,
    SUMMARY_COLUMNS,
    allocate_chunk,
    input_chunks,
    link_flows,
    link_matrix,
    prepare,
)
from valuechain.flows.factors import flow_factors
from valuechain.glue.provenance import TableWriter
from valuechain.glue.smk import meta, rule_io, setup

CODE = pa.string()
SCHEMAS = {
    "summary": pa.schema([*((c, CODE) for c in SUMMARY_COLUMNS[:4]), *((c, pa.float64()) for c in SUMMARY_COLUMNS[4:7]),
                          ("pairs", pa.int64())]),
    "largest_region_pairs": pa.schema([*((c, CODE) for c in FLOW_COLUMNS[:6]),
                                       *((c, pa.float64()) for c in FLOW_COLUMNS[6:])]),
}
SCHEMAS["largest_country_pairs"] = SCHEMAS["summary"]


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params
    data = prepare(pd.read_parquet(snakemake.input.trade))
    L = link_matrix(pd.read_parquet(snakemake.input.links), data.products)
    chunks = input_chunks(L, p.chunk_products)
    log.info("%d regions in %d countries, %d links: %d chunks of input products", len(data.regions),
             len(data.countries), int(L.sum()), len(chunks))
    names = [name for name in ("exporters", "importers", "users", "summary", "largest_country_pairs",
                               "largest_region_pairs") if name in snakemake.output.keys()]
    rows = dict.fromkeys(names, 0)
    with ExitStack() as files:  # every file appears whole when all chunks are done, or none
        writers = {name: files.enter_context(TableWriter(snakemake.output[name], meta(snakemake, f"flow_{name}/1")))
                   for name in names}
        for n, chunk in enumerate(chunks or [np.array([], dtype=np.int64)], 1):
            kept = link_flows(allocate_chunk(data, L, chunk, p.min_value), p.largest)
            parts = {**flow_factors(data, L, chunk),
                     **{name: pa.Table.from_pandas(table, schema=SCHEMAS[name], preserve_index=False)
                        for name, table in zip(("summary", "largest_country_pairs", "largest_region_pairs"), kept)}}
            for name in names:
                writers[name].write(parts[name])
                rows[name] += len(parts[name])
            if n % 25 == 0 or n == len(chunks):
                log.info("chunk %d/%d: %s rows so far", n, len(chunks), ", ".join(f"{k} {v}" for k, v in rows.items()))
    if not chunks:
        log.warning("no links: no flows; the factor tables are empty, with their columns")
    log.info("kept: %s (at most %d pairs per link)", ", ".join(f"{k} {v} rows" for k, v in rows.items()), p.largest)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
