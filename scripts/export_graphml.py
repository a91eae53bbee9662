"""Rule export_graphml: the analysed product network as GraphML (valuechain.network.to_graphml)."""

import pandas as pd

from valuechain.network import product_sections, to_graphml
from valuechain.smk import setup

log = setup(snakemake)
links = pd.read_parquet(snakemake.input.links)
levels = pd.read_parquet(snakemake.input.levels)
hs = pd.read_csv(snakemake.input.sections, dtype=str)
chapters = hs[hs["level"] == "2"].set_index("hscode")["section"]
products = pd.Index(sorted(set(links["output"]) | set(links["input"])))
graph = to_graphml(links, levels, product_sections(products, chapters), snakemake.output.graphml)
log.info("%s network: %d nodes, %d edges", snakemake.params.link_method, graph.number_of_nodes(),
         graph.number_of_edges())
