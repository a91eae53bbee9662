"""Rule random_baseline: k inputs per product drawn uniformly from the other products (seeded)."""

import pandas as pd

from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.links.bf import random_baseline


def main(snakemake) -> None:
    log = setup(snakemake)
    products = pd.read_parquet(snakemake.input.rca, columns=["hs"])["hs"].unique()
    links = random_baseline(products, snakemake.params.k, snakemake.params.seed)
    log.info("%d random links over %d products", len(links), len(products))
    write_table(links, snakemake.output.links, meta(snakemake, "baseline_links/1"))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
