"""Rule finetune_heldout: precision of thresholds tuned on one part of the data, scored on the rest (docs/method.md section 5)."""

import math

import pandas as pd

from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.links import finetune, yardstick


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params
    inp = snakemake.input


    def arrays(spec_path, labels_path):
        E, I, _, industries = yardstick.rca_arrays(pd.read_parquet(spec_path))
        return E, I, yardstick.label_matrix(pd.read_parquet(labels_path), industries)


    E, I, L = arrays(inp.specialisation, inp.labels)
    n = L.shape[0]
    min_outputs = math.ceil(p.min_output_share * n)
    parts = []
    if "years" in p.schemes:
        parts.append(
            finetune.heldout_years(
                arrays(inp.tune_specialisation, inp.tune_labels),
                arrays(inp.heldout_specialisation, inp.heldout_labels),
                tuned_on=",".join(map(str, p.years["tune"])),
                scored_on=",".join(map(str, p.years["heldout"])),
                values=p.grid, k=p.k, n_candidates=p.n_candidates, min_outputs=min_outputs,
            )
        )
    if "industries" in p.schemes:
        counts = finetune.grid_search(E, I, L, p.grid, p.k, p.n_candidates)
        parts.append(finetune.heldout_industry_folds(counts, L, p.folds, p.seed, min_outputs))
    heldout = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=finetune.HELDOUT_COLUMNS)
    for row in heldout.itertuples():
        log.info("%s fold %s: tuned on %s, scored on %s: precision %.4f (%d/%d; base rate %.4f)", row.scheme, row.fold,
                 row.tuned_on, row.scored_on, row.heldout_precision, row.heldout_true, row.heldout_predicted,
                 row.heldout_base_rate)
    write_table(heldout, snakemake.output.heldout, meta(snakemake, "finetune_heldout/1"))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
