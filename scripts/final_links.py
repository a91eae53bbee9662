"""Rule final_links: the configured method's links as the run's final link set (output, input, rank, score,
confidence, method, with the products' names beside their codes); B&F gets its documented confidence
2 / (rb + rf). No link reaching links.min_confidence is a result: an empty table of the same columns, and the log
says "no links"."""

import pandas as pd

from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.links.methods import final_links
from valuechain.trade.hs import name_columns, read_product_names


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params
    final = final_links(pd.read_parquet(snakemake.input.links), p.method, p.min_confidence)
    names = read_product_names(snakemake.input.names, snakemake.input.hs)
    final = name_columns(final, names, {"output": "output_name", "input": "input_name"})
    if final.empty:
        log.warning("no links: the %s method gives no link with evidence and confidence >= links.min_confidence %g; "
                    "the analyses of this run say so and write empty tables", p.method, p.min_confidence)
    else:
        log.info("%s: %d links for %d outputs, median confidence %.3f", p.method, len(final), final["output"].nunique(),
                 final["confidence"].median())
    write_table(final, snakemake.output.links, meta(snakemake, "links_final/1"))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
