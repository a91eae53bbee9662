"""Rule compare_link_methods: B&F and validated links against the known truth (valuechain.links.evaluate)."""

import pandas as pd

from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.links.evaluate import label_predictions, read_truth, score_links
from valuechain.links.methods import clipped_k


def main(snakemake) -> None:
    log = setup(snakemake)
    truth = read_truth(snakemake.input.truth)
    methods = {"bf": pd.read_parquet(snakemake.input.bf), "validated": pd.read_parquet(snakemake.input.validated)}
    products = pd.unique(pd.concat([truth["output"], truth["input"], *(m[c] for m in methods.values() for c in ("output", "input"))]))
    k = clipped_k(snakemake.params.k, len(products))  # a larger k asks for every candidate
    rows = []
    for name, links in methods.items():
        # top k inputs per output, the paper's measure; and every link the method outputs
        rows.append({"method": name, "scope": f"top_{k}", "k": k, **score_links(links, truth, k)})
        lab = label_predictions(links, truth)
        rows.append({"method": name, "scope": "all", "links": len(links), "predicted_links": len(lab),
                     "true_predicted_links": int(lab["correct"].sum()),
                     "precision_at_k": float(lab["correct"].mean()) if len(lab) else float("nan"),
                     "recall": float(lab["correct"].sum() / len(truth))})
    table = pd.DataFrame(rows).rename(columns={"precision_at_k": "precision"})
    log.info("\n%s", table.to_string(index=False))
    write_table(table, snakemake.output.evaluation, meta(snakemake, "link_methods_evaluation/1"))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
