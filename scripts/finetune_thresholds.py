"""Rule finetune_thresholds: the chosen thresholds as JSON, with in-sample and held-out precision beside them.

``thresholds`` (t1..t4) is what infer_links reads when ``links.thresholds`` is ``tuned``.
"""

import json
import math
from pathlib import Path

import pandas as pd

from valuechain import finetune
from valuechain.smk import meta, rule_io, setup


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params
    grid = pd.read_parquet(snakemake.input.grid)
    heldout = pd.read_parquet(snakemake.input.heldout)
    labels = pd.read_parquet(snakemake.input.labels)
    industries = list(dict.fromkeys(labels["input"]))
    L = finetune.label_matrix(labels, industries)
    n = len(industries)
    best = finetune.best_combination(grid, math.ceil(p.min_output_share * n))
    unconstrained = finetune.best_combination(grid)
    keys = ("t1", "t2", "t3", "t4")


    def summary(row):
        return {
            "thresholds": {t: float(row[t]) for t in keys},
            "precision": float(row["precision"]),
            "recall": float(row["recall"]),
            "n_predicted": int(row["n_predicted"]),
            "n_true": int(row["n_true"]),
            "n_outputs": int(row["n_outputs"]),
        }


    # One figure per scheme: the years split, and the pooled industry folds.
    summaries = heldout[(heldout["scheme"] == "years") | (heldout["fold"] == "pooled")]
    out = {
        **summary(best),
        "in_sample": {
            "source": p.source, "years": list(p.years), "n_industries": n, "k": p.k, "n_candidates": p.n_candidates,
            "combinations": len(grid), "min_output_share": p.min_output_share, "base_rate": finetune.base_rate(L),
        },
        "unconstrained_best": summary(unconstrained),
        "heldout": [
            {
                "scheme": r.scheme, "tuned_on": r.tuned_on, "scored_on": r.scored_on,
                "precision": float(r.heldout_precision), "n_true": int(r.heldout_true),
                "n_predicted": int(r.heldout_predicted), "base_rate": float(r.heldout_base_rate),
            }
            for r in summaries.itertuples()
        ],
        "provenance": meta(snakemake, "finetune_thresholds/1"),
    }
    log.info("chosen %s: in-sample precision %.4f (%d/%d), base rate %.4f; unconstrained best %s at %.4f",
             out["thresholds"], out["precision"], out["n_true"], out["n_predicted"], out["in_sample"]["base_rate"],
             out["unconstrained_best"]["thresholds"], out["unconstrained_best"]["precision"])
    for h in out["heldout"]:
        log.info("held out (%s): precision %.4f on %s", h["scheme"], h["precision"], h["scored_on"])
    path = Path(snakemake.output.thresholds)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
