"""Rule train_link_model: link classifiers trained on ICIO industry pairs and measured held out; the winner,
refitted on all years, is the model applied to products (valuechain.links.learned)."""

import pickle

import numpy as np
import pandas as pd

from valuechain.glue.provenance import write_atomic, write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.links import learned, yardstick


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params
    inp = snakemake.input
    T = {}
    for sample in ("tune", "heldout", "all"):
        E, I, _, industries = yardstick.rca_arrays(pd.read_parquet(inp[f"specialisation_{sample}"]))
        T[sample] = learned.Table(E, I, yardstick.label_matrix(pd.read_parquet(inp[f"labels_{sample}"]), industries))

    rows = []
    for kind in p.models:
        h = learned.heldout_learned(kind, T["tune"], T["heldout"], T["all"], p.k, p.folds, p.seed)
        rows.append({"model": kind, "heldout_years": h["years"], "heldout_industries": h["industries"],
                     "heldout_mean": (h["years"] + h["industries"]) / 2})
        log.info("%s: held-out precision@%d years %.4f, industry folds %.4f", kind, p.k, h["years"], h["industries"])
    training = pd.DataFrame(rows)
    winner = training.sort_values(["heldout_mean", "model"], ascending=[False, True])["model"].iloc[0]
    training["chosen"] = training["model"] == winner
    training["features"] = ", ".join(learned.FEATURES)

    # Calibration on held-out pairs: the winner trained on the tuning years, its probabilities on the held-out years.
    m_tune = learned.fit(winner, T["tune"].F, T["tune"].L, p.seed)
    P = learned.predict(m_tune, T["heldout"].F)
    off = ~np.eye(P.shape[0], dtype=bool)
    reliability = learned.reliability(P[off], T["heldout"].L[off]).assign(model=winner)
    log.info("reliability of %s on held-out pairs:\n%s", winner, reliability.round(3).to_string(index=False))

    model = learned.fit(winner, T["all"].F, T["all"].L, p.seed)
    pred, true = yardstick.score_counts(learned.predict(model, T["all"].F), T["all"].L, p.k)
    training["in_sample"] = np.where(training["chosen"], true.sum() / pred.sum(), np.nan)  # fitted and scored on all
    log.info("chosen %s; in-sample precision@%d on all years %.4f", winner, p.k, true.sum() / pred.sum())
    write_atomic(snakemake.output.model, pickle.dumps({"model": model, "kind": winner, "features": learned.FEATURES},
                                                      protocol=5))
    m = meta(snakemake, "learned_training/1")
    write_table(training, snakemake.output.training, m)
    write_table(reliability, snakemake.output.reliability, m)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
