"""Rule allocate_flows: region-to-region flows X[r1, p1, r2, p2] with bounds (valuechain.flows.allocation) for one
scattered block of chunks of input products (config scatter.flows).

Each chunk is written as one file per HS2 chapter of its inputs, ``chapter=XX/chunk-NNNNN.parquet`` (chunks are
numbered over all blocks); gather_flows puts the blocks together. With no
links there are no flows: the first block writes one empty file, ``chapter=00/chunk-00000.parquet`` (no HS chapter
is 00), so that the dataset still has its columns and provenance, and the log says "no links".
"""

from pathlib import Path

import numpy as np
import pandas as pd

from valuechain.flows.allocation import allocate_chunk, input_chunks, link_matrix, prepare
from valuechain.glue.provenance import TableWriter
from valuechain.glue.smk import meta, rule_io, scatter_part, setup


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params
    data = prepare(pd.read_parquet(snakemake.input.trade))
    L = link_matrix(pd.read_parquet(snakemake.input.links), data.products)
    chunks = input_chunks(L, p.chunk_products)
    mine = scatter_part(snakemake.wildcards.scatteritem, len(chunks))
    chapter_of = data.products.astype("U2")  # the input's HS2, per product
    log.info("%d regions in %d countries, %d chunks of input products with links; block %s has chunks %s",
             len(data.regions), len(data.countries), len(chunks), snakemake.wildcards.scatteritem,
             f"{mine[0] + 1}-{mine[-1] + 1}" if len(mine) else "none")

    out = Path(snakemake.output.part)
    out.mkdir(parents=True, exist_ok=True)  # the block's folder even when its chunks have no flows
    flows_meta = meta(snakemake, "flows/1")  # the same in every block: trade, links and params, not the block
    rows = 0
    for n, i in enumerate(mine, 1):
        flows = allocate_chunk(data, L, chunks[i], p.min_value)
        rows += len(flows)
        chapter = chapter_of[flows["input"].cat.codes.to_numpy()]
        for ch in np.unique(chapter):  # a few chapters per chunk
            with TableWriter(out / f"chapter={ch}" / f"chunk-{i:05d}.parquet", flows_meta) as f:
                f.write(flows[chapter == ch])
        log.info("chunk %d (%d/%d of this block): %d rows (total %d)", i + 1, n, len(mine), len(flows), rows)
    if not chunks and snakemake.wildcards.scatteritem.startswith("1-of-"):
        log.warning("no links: no flows to allocate; the flows dataset is one empty file with its columns")
        with TableWriter(out / "chapter=00" / "chunk-00000.parquet", flows_meta) as f:
            f.write(allocate_chunk(data, L, np.array([], dtype=np.int64), p.min_value))
    log.info("%d flow rows", rows)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
