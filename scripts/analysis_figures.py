"""Rule analysis_figures: trophic-level distribution, a product's layered value chain and the HS-section network
(valuechain.outputs.analysis_figures); for a network without links, figures that say "no links"."""

import pandas as pd

from valuechain.glue.smk import rule_io, setup
from valuechain.links.methods import label
from valuechain.outputs import analysis_figures as plots


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params
    levels = pd.read_parquet(snakemake.input.levels)
    coherence = pd.read_parquet(snakemake.input.coherence)
    links = pd.read_parquet(snakemake.input.links)
    names = levels.set_index("hs")["name"]  # rule trophic_levels names every product of the network

    plots.level_distribution(levels, coherence, snakemake.output.levels,
                             f"Trophic levels of the products ({label(p.link_method)} links)")
    product = plots.choose_product(links, p.product)
    if product is None:
        log.warning("no links: the %s network is empty; the trophic-level and value-chain figures say so",
                    p.link_method)
    else:
        log.info("value chain drawn for %s", product)
    plots.value_chain(links, levels.set_index("hs")["trophic_level"], product, p.depth, names, snakemake.output.chain)
    sections = pd.read_parquet(snakemake.input.sections)
    if sections.empty:
        log.warning("no links between HS sections: the section figure says so")
    plots.section_network(sections, pd.read_parquet(snakemake.input.section_nodes), p.top_section_edges,
                          snakemake.output.sections, label(p.sections_network))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
