"""Rule allocate_flows: region-to-region flows X[r1, p1, r2, p2] with bounds (valuechain.allocation).

Written chunk by chunk of input products into a Hive-partitioned Parquet dataset (partition ``chapter`` =
the input's HS2 chapter), never as a dense tensor. Query it with DuckDB or pyarrow.dataset (README).
"""

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from valuechain.allocation import allocate_chunk, link_matrix, prepare
from valuechain.provenance import write_table
from valuechain.smk import meta, setup

log = setup(snakemake)
p = snakemake.params
data = prepare(pd.read_parquet(snakemake.input.trade))
L = link_matrix(pd.read_parquet(snakemake.input.links), data.products)
inputs = np.flatnonzero(L.any(axis=1))
chapters, chapter_of = np.unique(data.products.astype("U2"), return_inverse=True)  # the input's HS2, per product
chunks = [inputs[i : i + p.chunk_products] for i in range(0, len(inputs), p.chunk_products)]
log.info("%d regions in %d countries, %d input products with links, %d chunks",
         len(data.regions), len(data.countries), len(inputs), len(chunks))

out = Path(snakemake.output.flows)
for stale in out.parent.glob(f".{out.name}.tmp-*"):  # left by a run that was killed before its clean-up
    log.warning("removing the stale temporary %s", stale)
    shutil.rmtree(stale, ignore_errors=True)
tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
metadata = {k.encode(): v.encode() for k, v in meta(snakemake, "flows/1").items()}
summaries, rows = [], 0
try:
    for i, chunk in enumerate(chunks):
        flows = allocate_chunk(data, L, chunk, p.min_value)
        rows += len(flows)
        summaries.append(
            flows.groupby(["input", "output", "country_from", "country_to"], as_index=False, observed=True)
            .agg(value=("value", "sum"), lower=("lower", "sum"), upper=("upper", "sum"), pairs=("value", "size"))
        )
        chapter = pd.Categorical.from_codes(chapter_of[flows["input"].cat.codes.to_numpy()], categories=chapters)
        table = pa.Table.from_pandas(flows.assign(chapter=chapter), preserve_index=False)
        ds.write_dataset(
            table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata}),
            tmp, format="parquet", partitioning=["chapter"], partitioning_flavor="hive",
            basename_template=f"chunk-{i:05d}-{{i}}.parquet", existing_data_behavior="overwrite_or_ignore",
        )
        log.info("chunk %d/%d: %d rows (total %d)", i + 1, len(chunks), len(flows), rows)
    shutil.rmtree(out, ignore_errors=True)
    tmp.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, out)
finally:
    shutil.rmtree(tmp, ignore_errors=True)
summary = pd.concat(summaries, ignore_index=True) if summaries else pd.DataFrame()
summary = summary.astype({c: str for c in ["input", "output", "country_from", "country_to"] if c in summary})
write_table(summary, snakemake.output.summary, meta(snakemake, "flows_summary/1"))
log.info("%d flow rows; summary by country pair and link: %d rows", rows, len(summary))
