"""Rule finetune_thresholds: the chosen thresholds as JSON, with in-sample and held-out precision beside them
(valuechain.links.finetune.threshold_choice).

``thresholds`` (t1..t4) is what infer_bf_links reads when ``links.thresholds`` is ``tuned``.
"""

import json

import pandas as pd

from valuechain.glue.provenance import write_atomic
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.links.finetune import threshold_choice


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params
    inp = snakemake.input
    out = threshold_choice(pd.read_parquet(inp.grid), pd.read_parquet(inp.heldout), pd.read_parquet(inp.labels),
                           p.min_output_share, {"source": p.source, "years": list(p.years), "k": p.k,
                                                "n_candidates": p.n_candidates})
    out["provenance"] = meta(snakemake, "finetune_thresholds/1")
    log.info("chosen %s: in-sample precision %.4f (%d/%d), base rate %.4f; unconstrained best %s at %.4f",
             out["thresholds"], out["precision"], out["n_true"], out["n_predicted"], out["in_sample"]["base_rate"],
             out["unconstrained_best"]["thresholds"], out["unconstrained_best"]["precision"])
    for h in out["heldout"]:
        log.info("held out (%s): precision %.4f on %s", h["scheme"], h["precision"], h["scored_on"])
    write_atomic(snakemake.output.thresholds, json.dumps(out, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
