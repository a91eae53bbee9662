"""Rule final_links: the configured method's links as the run's final link set (output, input, rank, score,
confidence, method, with the products' names beside their codes); B&F gets its documented confidence
2 / (rb + rf)."""

import pandas as pd

from valuechain.cospec import bf_confidence
from valuechain.hsnames import name_columns, read_product_names
from valuechain.provenance import write_table
from valuechain.smk import meta, setup

log = setup(snakemake)
p = snakemake.params
links = pd.read_parquet(snakemake.input.links)
if p.method == "bf":
    links = links.assign(confidence=bf_confidence(links["score"]), method="bf")
    links = links[links["confidence"] >= p.min_confidence]
    links = links.assign(rank=links.groupby("output").cumcount().astype("int64") + 1)
final = links[["output", "input", "rank", "score", "confidence", "method"]].reset_index(drop=True)
names = read_product_names(snakemake.input.names, snakemake.input.hs)
final = name_columns(final, names, {"output": "output_name", "input": "input_name"})
log.info("%s: %d links for %d outputs, median confidence %.3f", p.method, len(final), final["output"].nunique(),
         final["confidence"].median() if len(final) else float("nan"))
write_table(final, snakemake.output.links, meta(snakemake, "links_final/1"))
