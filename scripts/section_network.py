"""Rule section_network: the analysed network by HS section with the paper's weight (valuechain.analyses.network); a
network without links gives empty tables, with their columns, and the log says "no links"."""

import pandas as pd

from valuechain.analyses import network as net
from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.trade.hs import UNCLASSIFIED, load_hs_sections, product_sections


def main(snakemake) -> None:
    log = setup(snakemake)
    links = pd.read_parquet(snakemake.input.links)
    chapters, names = load_hs_sections(snakemake.input.hs, snakemake.input.sections)
    products = net.network_nodes(links)
    section_of = product_sections(products, chapters)
    sections = net.section_network(links, section_of).astype({"source": "str", "target": "str"})
    section_nodes = (
        section_of.value_counts().rename("n_products").rename_axis("section").reset_index().sort_values("section")
        .assign(section_name=lambda d: names.reindex(d["section"]).fillna(UNCLASSIFIED).to_numpy())
        .astype({"section": "str", "section_name": "str"})
    )
    if links.empty:
        log.warning("no links: the %s network is empty; the section tables are empty", snakemake.params.link_method)
    else:
        log.info("%s network: %d section pairs; heaviest:\n%s", snakemake.params.link_method, len(sections),
                 sections.head(5).to_string(index=False))
    m = meta(snakemake, "sections/1")
    write_table(sections, snakemake.output.sections, m)
    write_table(section_nodes.reset_index(drop=True), snakemake.output.section_nodes, m)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
