"""Rule evaluate_reference: every network of the run, the published one and the random expectation scored
against the product reference, overall and by HS section and end-use class of the output."""

import pandas as pd

from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.links.evaluate import read_universe, reference_evaluation, standard_network
from valuechain.links.methods import clipped_k
from valuechain.outputs.figures import reference_evaluation as plot
from valuechain.trade.hs import load_hs_sections, product_sections


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params
    inp = snakemake.input
    ref = pd.read_parquet(inp.reference)
    coverage = pd.read_parquet(inp.coverage)
    scorable = coverage.loc[coverage["scorable"], "product"]
    networks = {name: standard_network(pd.read_parquet(path)) for name, path in zip(p.networks, inp.networks)}
    universe = read_universe(inp.universe)
    for name, links in networks.items():
        products = pd.unique(pd.concat([links["output"], links["input"]]))
        unscorable = ~pd.Index(products).isin(scorable)
        log.info("%s: %d links over %d products, %d of them unscorable (no concordance): %s", name, len(links),
                 len(products), unscorable.sum(), sorted(products[unscorable])[:8])

    chapters, section_names = load_hs_sections(inp.hs, inp.sections)
    groups = {"section": product_sections(pd.unique(pd.concat([ref["output"], pd.Series(universe)])), chapters),
              "end_use": pd.read_parquet(inp.end_use).set_index("product")["end_use"]}
    k = clipped_k(p.k, len(universe))  # a larger k asks for every candidate
    table, by_group = reference_evaluation(networks, ref, scorable, universe, k, p.min_shares, groups)
    log.info("\n%s", table.round(4).to_string(index=False))
    m = meta(snakemake, "evaluation_reference/1")
    write_table(table, snakemake.output.evaluation, m)
    write_table(by_group, snakemake.output.groups, m)
    plot(table, by_group, p.min_share, section_names.index, snakemake.output.figure, section_names.to_dict())


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
