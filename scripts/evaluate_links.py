"""Rule evaluate_links: precision@k and the paper's at-least-n-correct shares of B&F, the run's final links and
the random baseline against the known links."""

import pandas as pd

from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.links.evaluate import evaluation_table, read_truth
from valuechain.links.methods import clipped_k
from valuechain.outputs.figures import link_recovery


def main(snakemake) -> None:
    log = setup(snakemake)
    truth = read_truth(snakemake.input.truth)
    methods = {f"bf_{mode}": pd.read_parquet(path) for mode, path in zip(snakemake.params.reconcile, snakemake.input.links)}
    if snakemake.params.method != "bf":  # the run's own links beside B&F's (with B&F, they are bf_outer)
        methods[snakemake.params.method] = pd.read_parquet(snakemake.input.final)
    methods["random_baseline"] = pd.read_parquet(snakemake.input.baseline)
    products = pd.unique(pd.concat([truth["output"], truth["input"], *(m[c] for m in methods.values() for c in ("output", "input"))]))
    table = evaluation_table(methods, truth, clipped_k(snakemake.params.k, len(products)))
    log.info("\n%s", table.to_string(index=False))
    write_table(table, snakemake.output.evaluation, meta(snakemake, "evaluation/1"))
    link_recovery(table, snakemake.output.figure, default=snakemake.params.method)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
