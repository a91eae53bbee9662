"""Rule export_graphml: the analysed product network as GraphML (valuechain.analyses.network.to_graphml); a network
without links is a graph without nodes, and the log says "no links"."""

import pandas as pd

from valuechain.analyses.network import to_graphml
from valuechain.glue.smk import rule_io, setup
from valuechain.trade.hs import load_hs_sections, product_sections


def main(snakemake) -> None:
    log = setup(snakemake)
    links = pd.read_parquet(snakemake.input.links)
    levels = pd.read_parquet(snakemake.input.levels)
    chapters, _ = load_hs_sections(snakemake.input.hs, snakemake.input.sections)
    products = pd.Index(sorted(set(links["output"]) | set(links["input"])), dtype="str")
    graph = to_graphml(links, levels, product_sections(products, chapters), snakemake.output.graphml)
    if links.empty:
        log.warning("no links: the %s network is empty; the GraphML file has no nodes", snakemake.params.link_method)
    log.info("%s network: %d nodes, %d edges", snakemake.params.link_method, graph.number_of_nodes(),
             graph.number_of_edges())


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
