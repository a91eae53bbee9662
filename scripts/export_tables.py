"""Rule export_tables: the annotated links as CSV and GraphML (valuechain.analyses.network.to_graphml) and, with
trade data, each link's largest country-to-country flows as CSV with the products' and countries' names. A
network without links gives the CSV header alone and a graph without nodes; the log says "no links"."""

import pandas as pd

from valuechain.analyses.network import to_graphml
from valuechain.glue.smk import rule_io, setup
from valuechain.outputs.exports import flows_table, write_csv
from valuechain.trade.hs import load_hs_sections, product_sections


def main(snakemake) -> None:
    log = setup(snakemake)
    inputs, out = snakemake.input, snakemake.output
    links = pd.read_parquet(inputs.links)
    write_csv(links, out.links_csv)
    chapters, _ = load_hs_sections(inputs.hs, inputs.sections)
    products = pd.Index(sorted(set(links["output"]) | set(links["input"])), dtype="str")
    graph = to_graphml(links, pd.read_parquet(inputs.levels), product_sections(products, chapters), out.graphml)
    if links.empty:
        log.warning("no links: the %s network is empty; the exports have no rows", snakemake.params.network)
    log.info("%s network: %d links (CSV), GraphML of %d nodes and %d edges", snakemake.params.network, len(links),
             graph.number_of_nodes(), graph.number_of_edges())
    if "flows" in inputs.keys():
        flows = flows_table(pd.read_parquet(inputs.flows), links)
        write_csv(flows, out.flows_csv)
        log.info("largest country flows: %d rows for %d links", len(flows), len(flows.groupby(["input", "output"])))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
