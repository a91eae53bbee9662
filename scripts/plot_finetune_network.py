"""Rule plot_finetune_network: the tuned industry links as a matrix, correct ones green and wrong ones red (preprint
figure 5), industries labelled with their names when the table's classification has a names file (WIOD;
valuechain.outputs.figures.finetune_network)."""

import json

import pandas as pd

from valuechain.glue.smk import rule_io, setup
from valuechain.outputs.figures import finetune_network


def main(snakemake) -> None:
    log = setup(snakemake)
    links = pd.read_parquet(snakemake.input.links)
    with open(snakemake.input.thresholds) as fh:
        chosen = json.load(fh)
    names = {}
    if hasattr(snakemake.input, "industries"):
        names = pd.read_csv(snakemake.input.industries, dtype=str).set_index("industry")["name"].to_dict()
    nodes, edges = finetune_network(links, chosen, names, snakemake.output.figure)
    log.info("%d nodes, %d edges (%d true)", nodes, edges, int(links["label"].sum()))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
