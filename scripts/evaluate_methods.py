"""Rule evaluate_methods: every link method on every yardstick (evaluation/methods.parquet): the world yardstick
(every country's exports against the product reference, held out), the ICIO tables held out (and in sample,
labelled), the known truth, the product reference in both labellings; with precision at matched coverage, and the
precision-coverage figure (valuechain.links.comparison)."""

import pandas as pd

from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.links import comparison as cmp
from valuechain.links.evaluate import read_truth, read_universe
from valuechain.links.methods import clipped_k
from valuechain.outputs.figures import precision_coverage


def main(snakemake) -> None:
    log = setup(snakemake)
    p, inp = snakemake.params, snakemake.input
    universe = read_universe(inp.universe)
    k = clipped_k(p.k, len(universe))  # a larger k asks for every candidate
    links = cmp.read_links(p.methods, inp.links)
    icio = cmp.icio_precisions(p.methods, dict(inp.items()), k, p.folds, p.seed, p.wiod2016_years, p.thresholds)
    coverage, product_io = pd.read_parquet(inp.coverage), pd.read_parquet(inp.reference)
    yardsticks = cmp.product_yardsticks(links, universe, coverage, product_io, p.min_share,
                                        read_truth(inp.truth) if "truth" in inp.keys() else None)
    rows = cmp.icio_rows(icio, p.methods) + cmp.yardstick_rows(yardsticks, k)
    if "published" in inp.keys():  # the paper's network, on its own products
        rows += cmp.published_rows(pd.read_parquet(inp.published), product_io, coverage, p.min_share, k)
    if "world" in inp.keys():  # the world yardstick: every country's exports, all HS4 products, held out
        rows += cmp.world_rows(pd.read_parquet(inp.world), p.min_share)
    table = cmp.methods_table(rows, yardsticks, k)
    log.info("\n%s", table.round(4).to_string(index=False))
    write_table(table, snakemake.output.evaluation, meta(snakemake, "evaluation_methods/1"))
    precision_coverage(cmp.coverage_curves(yardsticks, k), snakemake.output.figure)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
