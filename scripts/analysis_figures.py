"""Rule analysis_figures: trophic-level distribution, a product's layered value chain and the HS-section network
(valuechain.analysis_plots)."""

import pandas as pd

from valuechain import analysis_plots as plots
from valuechain.smk import setup

log = setup(snakemake)
p = snakemake.params
levels = pd.read_parquet(snakemake.input.levels)
coherence = pd.read_parquet(snakemake.input.coherence)
links = pd.read_parquet(snakemake.input.links)
names = levels.set_index("hs")["name"]  # rule trophic_levels names every product of the network

plots.level_distribution(levels, coherence, snakemake.output.levels, f"Trophic levels ({p.link_method} links)")
product = plots.choose_product(links, p.product)
log.info("value chain drawn for %s", product)
plots.value_chain(links, levels.set_index("hs")["trophic_level"], product, p.depth, names, snakemake.output.chain)
plots.section_network(pd.read_parquet(snakemake.input.sections), pd.read_parquet(snakemake.input.section_nodes),
                      p.top_section_edges, snakemake.output.sections)
