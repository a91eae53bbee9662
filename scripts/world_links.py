"""Rule world_links: the world yardstick. The 2017 exports of every country, the industry prior of two
input-output tables and export size, combined with weights chosen cross-fitted on folds of output products and
scored against the product reference at HS4 in both labellings (valuechain.links.evidence), beside each evidence alone,
the paper's published network and random inputs; the end-use check of the networks."""

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from valuechain.glue.provenance import write_atomic, write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.links import evidence as ev
from valuechain.links.cospec import top_links
from valuechain.links.evaluate import reference_evaluation
from valuechain.links.methods import WORLD_FILES, world_priors
from valuechain.reference import product as ref
from valuechain.reference.links_file import read_links_file
from valuechain.trade.hs import goods_codes, name_columns, read_product_names


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params
    inp = snakemake.input
    cfg = p.world
    k = cfg["k"]
    data = Path("resources")

    # The reference at HS4, both labellings.
    shares = ref.read_use_shares(inp.use, pd.read_csv(inp.commodities, dtype=str).iloc[:, 0])
    hs_naics = pd.read_csv(inp.hs_naics, dtype=str)
    pairs = ref.product_bea(ref.hs6_to_bea(hs_naics, pd.read_csv(inp.crosswalk, dtype=str), p.naics_match), 4)
    reference, scorable_products = ref.reference_network(shares, pairs, p.min_share)

    # The world's evidence on its own HS4 products.
    exports = pd.read_parquet(data / WORLD_FILES["exports"])
    products = np.array(sorted(exports["hs4"].astype(str).unique()))
    grid = ev.world_grid(*(cfg["grid"][key] for key in ("prior", "size", "large_share", "direction")))
    priors = world_priors(data, cfg["wiod2013_years"], cfg["wiod2016_years"], p.countries)
    world = ev.world_evidence(products, exports, priors, {w.large_share for w in grid})
    log.info("world: %d countries x %d HS4 products; %d of them scorable; industry shares for %d (ISIC rev. 3) and "
             "%d (ISIC rev. 4)", exports["country"].nunique(), len(products),
             np.isin(products, scorable_products).sum(),
             *(int((ev.industry_shares(products, c).sum(axis=1) > 0).sum()) for c, _ in priors))

    scorable = pd.Index(products).isin(scorable_products)
    labels = ev.reference_labels(reference, products, p.min_share, ref.LABELLINGS)
    fold = ev.product_folds(products, cfg["folds"])
    weights, table = ev.crossfit_weights(world, labels, scorable, fold, k, grid)
    log.info("weights chosen on the other folds: %s", {f: asdict(w) for f, w in weights.items()})
    links = top_links(ev.crossfit_score(world, fold, weights), products, k).assign(method="world")

    # Each evidence alone, and in sample (labelled) the grid point best on every output at once.
    best = ev.in_sample_weights(table, grid, labels)
    networks = {"world": links, **{name: top_links(M, products, k)
                                   for name, M in ev.single_evidence_scores(world, best).items()}}
    if "published" in inp.keys():
        hs = pd.read_csv(inp.hs, dtype=str)["hscode"]
        atlas = pd.read_csv(inp.names, dtype=str)["code"]
        networks["published_kh2025"] = read_links_file(inp.published, goods_codes(hs, atlas), 4)
    evaluation, _ = reference_evaluation(networks, reference, scorable_products, products, k, [p.min_share])
    evaluation = ev.label_world_evaluation(evaluation)
    log.info("\n%s", evaluation[["network", "labels", "held_out", "precision", "at_least_1", "scored_links"]]
             .round(3).to_string(index=False))

    # The end-use check: mean trophic level by BEC class, against the reference's own top k on the same products.
    end_use = ref.end_use_classes(pd.read_csv(inp.hs_bec, dtype=str), 4).set_index("product")["end_use"]
    levels = ref.end_use_check({"world": links, "published_kh2025": networks.get("published_kh2025")}, reference,
                               products, end_use, k, p.min_share)
    log.info("\n%s", levels.round(3).to_string(index=False))

    names = read_product_names(inp.names, inp.hs)
    links = name_columns(links, names, {"output": "output_name", "input": "input_name"})
    m = meta(snakemake, "world/1")
    write_table(links, snakemake.output.links, m)
    write_table(table, snakemake.output.grid, m)
    write_table(evaluation, snakemake.output.evaluation, m)
    write_table(levels, snakemake.output.end_use, m)
    heldout = evaluation[evaluation["network"] == "world"].set_index("labels")["precision"]
    write_atomic(snakemake.output.weights, json.dumps(
        {"folds": {str(f): asdict(w) for f, w in sorted(weights.items())}, "in_sample": asdict(best),
         "held_out_precision": {n: round(float(v), 6) for n, v in heldout.items()}}, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
