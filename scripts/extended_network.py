"""Rule extended_network: components, betweenness, HS-section network, complexity along the chain
(valuechain.analyses.network) of the B&F candidates with score rb + rf <= extended_max_score (the paper's "rank <= 10":
the updated rank of its Algorithm 1)."""

import pandas as pd

from valuechain.analyses import network as net
from valuechain.analyses.trophic import coherence_table
from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.trade.hs import UNCLASSIFIED, load_hs_sections, product_sections


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params
    cand = pd.read_parquet(snakemake.input.candidates)
    links = net.extended_links(cand, p.max_score)
    log.info("extended network: %d links (score <= %d) over %d products", len(links), p.max_score,
             net.network_nodes(links).size)

    nodes = net.node_table(links)
    nodes["betweenness"] = net.betweenness(links).reindex(nodes["hs"]).to_numpy()
    chapters, names = load_hs_sections(snakemake.input.hs, snakemake.input.sections)
    section_of = product_sections(nodes["hs"], chapters)
    nodes["section"] = section_of.to_numpy()

    source = net.pci_source(p.pci, p.hs_digits)
    if source != p.pci:
        log.warning("the real PCI is at HS4 only: PCI of these HS%d products computed from this run's exports",
                    p.hs_digits)
    pci = net.product_pci(source, snakemake.input.pci, snakemake.input.rca, p.rca_threshold)
    nodes["pci"] = pci.reindex(nodes["hs"]).to_numpy()
    nodes["pci_source"] = source
    log.info("PCI (%s) known for %d of %d products", source, nodes["pci"].notna().sum(), len(nodes))

    sections = net.section_network(links, section_of)
    section_nodes = (
        nodes.groupby("section").size().rename("n_products").reset_index()
        .assign(section_name=lambda d: names.reindex(d["section"]).fillna(UNCLASSIFIED).to_numpy())
    )
    components = coherence_table(links, n_samples=p.null_samples, seed=p.seed)

    chain, summary = net.chain_complexity(links, pci, nodes, p.level_bins)
    log.info("top betweenness:\n%s", nodes.nlargest(5, "betweenness")[["hs", "betweenness", "section"]].to_string())
    log.info("complexity along the chain:\n%s", summary.to_string(index=False))

    m = meta(snakemake, "extended/1")
    write_table(nodes, snakemake.output.nodes, m)
    write_table(components, snakemake.output.coherence, m)
    write_table(sections, snakemake.output.sections, m)
    write_table(section_nodes, snakemake.output.section_nodes, m)
    write_table(chain, snakemake.output.complexity, m)
    write_table(summary, snakemake.output.complexity_summary, m)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
