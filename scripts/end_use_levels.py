"""Rule end_use_levels: mean trophic level by BEC end-use class for every network of the run, the published
one and a top-k network read off the reference (valuechain.reference.product.end_use_levels)."""

import pandas as pd

from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.links.evaluate import read_universe, standard_network
from valuechain.links.methods import clipped_k
from valuechain.outputs.figures import end_use_levels as plot
from valuechain.reference.product import end_use_levels, top_reference_links


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params
    inp = snakemake.input
    end_use = pd.read_parquet(inp.end_use).set_index("product")["end_use"]
    universe = read_universe(inp.universe)
    ref = pd.read_parquet(inp.reference)
    ref = ref[ref["output"].isin(universe) & ref["input"].isin(universe)]
    networks = {name: standard_network(pd.read_parquet(path)) for name, path in zip(p.networks, inp.networks)}
    k = clipped_k(p.k, len(universe))  # a larger k asks for every candidate
    networks[f"reference_top{p.k}"] = top_reference_links(ref, k, p.min_share)

    rows = []
    for name, links in networks.items():
        top = links[links["rank"] <= k]  # the same top k the evaluation scores
        if top.empty:  # e.g. the reference has no link among a handful of products
            log.info("%s: no links among the run's products; no levels", name)
            continue
        # Binary levels for every network, so all are comparable; weighted ones too where every link has a weight.
        for weight in [None] + (["weight"] if top["weight"].notna().all() else []):
            table = end_use_levels(top, end_use, weight)
            rows.append(table.assign(network=name, weight=weight or "none", links=len(top)))
            log.info("%s (%s weights): gap %.3f, coherence %.3f", name, weight or "no", table["gap"].iloc[0],
                     table["coherence"].iloc[0])
    levels = pd.concat(rows, ignore_index=True)[
        ["network", "weight", "links", "end_use", "products", "mean_level", "gap", "coherence"]]
    log.info("\n%s", levels.round(3).to_string(index=False))
    write_table(levels, snakemake.output.levels, meta(snakemake, "end_use_levels/1"))
    plot(levels, snakemake.output.figure)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
