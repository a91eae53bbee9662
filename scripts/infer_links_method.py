"""Rule infer_links_method: every product's top-k inputs by a scoring method (cospec, learned, regional, world,
fused), with a confidence, and no input where none has evidence or reaches links.min_confidence (valuechain.links.methods);
trade data that cannot identify links are refused."""

import numpy as np
import pandas as pd

from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.links import cospec
from valuechain.links.methods import check_identifiable, clipped_k, fitted_options, load_world, method_score
from valuechain.trade.rca import rca_matrices


def main(snakemake) -> None:
    REMEDY = "the cleaning drops regions below clean.min_region_trade (clean/dropped_regions.parquet lists them)"

    log = setup(snakemake)
    p = snakemake.params
    inp = snakemake.input
    method = snakemake.wildcards.method
    rca_exp, rca_imp = rca_matrices(pd.read_parquet(inp.rca))
    products = rca_exp.columns.to_numpy()
    E, I = rca_exp.to_numpy(), rca_imp.reindex(index=rca_exp.index, columns=rca_exp.columns).to_numpy()
    check_identifiable(E, I, rca_exp.index, products, inp.rca, REMEDY)
    k = clipped_k(p.k, len(products))
    if k < p.k:
        log.info("links.k %d: every candidate, %d (the run has %d products)", p.k, k, len(products))
    options = fitted_options(inp.get("variant"), inp.get("model"))
    if "weights" in inp.keys():
        options["world"], options["weights"] = load_world(products, "resources", inp.weights, p.world, p.countries)
        log.info("world evidence: %d of %d products in the world data; weights by fold %s",
                 (options["world"].headings >= 0).sum(), len(products), options["weights"])
    S, confidence, detail = method_score(method, E, I, products, **options)
    links = cospec.top_links(S, products, k, p.min_confidence, confidence).assign(method=method)
    log.info("%s (%s): %d locations x %d products; %d links for %d products (min_confidence %g); confidence "
             "quartiles %s", method, detail, E.shape[0], len(products), len(links), links["output"].nunique(),
             p.min_confidence, np.round(links["confidence"].quantile([0.25, 0.5, 0.75]).to_numpy(), 3).tolist())
    if links.empty:
        log.warning("no links: no pair with evidence reaches links.min_confidence %g", p.min_confidence)
    m = meta(snakemake, f"links_{method}/1")
    m["valuechain.method"] = detail
    write_table(links, snakemake.output.links, m)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
