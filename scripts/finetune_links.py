"""Rule finetune_links: the labelled industry network, B&F top-k links at the chosen thresholds (true/false)."""

import json

import pandas as pd

from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.links import finetune, yardstick
from valuechain.links.bf import Thresholds


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params
    E, I, _, industries = yardstick.rca_arrays(pd.read_parquet(snakemake.input.specialisation))
    L = yardstick.label_matrix(pd.read_parquet(snakemake.input.labels), industries)
    with open(snakemake.input.thresholds) as fh:
        thresholds = Thresholds.from_mapping(json.load(fh)["thresholds"])
    links = finetune.top_links(E, I, L, industries, thresholds, p.k, p.n_candidates)
    log.info("%s: %d links, %d true, %d false", thresholds, len(links), links["label"].sum(), (~links["label"]).sum())
    write_table(links, snakemake.output.links, meta(snakemake, "finetune_links/1"))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
