"""Rule infer_bf_links: Backward & Forward candidates and top-k input links (valuechain.links.bf); trade data that cannot
identify links are refused (valuechain.links.methods.check_identifiable)."""

import json

import pandas as pd

from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.links.bf import Thresholds, backward_forward, top_k
from valuechain.links.methods import check_identifiable, clipped_k
from valuechain.trade.rca import rca_matrices


def main(snakemake) -> None:
    REMEDY = "the cleaning drops regions below clean.min_region_trade (clean/dropped_regions.parquet lists them)"

    log = setup(snakemake)
    p = snakemake.params
    if p.thresholds == "tuned":
        with open(snakemake.input.thresholds) as fh:
            thresholds = Thresholds.from_mapping(json.load(fh)["thresholds"])
    else:
        thresholds = Thresholds.from_mapping(p.thresholds)
    rca_exp, rca_imp = rca_matrices(pd.read_parquet(snakemake.input.rca))
    check_identifiable(rca_exp.to_numpy(), rca_imp.to_numpy(), rca_exp.index, rca_exp.columns, snakemake.input.rca,
                       REMEDY)
    k = clipped_k(p.k, rca_exp.shape[1])
    if k < p.k:
        log.info("links.k %d: every candidate, %d (the run has %d products)", p.k, k, rca_exp.shape[1])
    log.info("thresholds %s, %d candidates, top %d", thresholds, p.n_candidates, k)
    candidates = backward_forward(rca_exp, rca_imp, thresholds, p.n_candidates)
    links = top_k(candidates, k)
    log.info("%d candidates; %d links for %d of %d products", len(candidates), len(links), links["output"].nunique(),
             rca_exp.shape[1])
    if links.empty:
        log.warning("no links: no candidate has evidence within the top %d at thresholds %s", k, thresholds)
    m = meta(snakemake, "links/1")
    m["valuechain.thresholds"] = json.dumps(vars(thresholds))
    write_table(candidates, snakemake.output.candidates, m)
    write_table(links, snakemake.output.links, m)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
