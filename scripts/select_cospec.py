"""Rule select_cospec: the co-specialisation variant chosen on the tuning years, held out on the others
(valuechain.links.cospec.select_variant)."""

import json

import pandas as pd

from valuechain.glue.provenance import write_atomic, write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.links import cospec, yardstick


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params
    inp = snakemake.input
    tables, labels = {}, {}
    for sample in ("tune", "heldout", "all"):
        E, I, _, industries = yardstick.rca_arrays(pd.read_parquet(inp[f"specialisation_{sample}"]))
        tables["full" if sample == "all" else sample] = (E, I)
        labels[sample] = yardstick.label_matrix(pd.read_parquet(inp[f"labels_{sample}"]), industries)
    chosen, table = cospec.select_variant(tables, labels["tune"], labels["heldout"], labels["all"], p.k, p.folds, p.seed)
    heldout = table.attrs["heldout"]
    log.info("precision@%d by variant (tune = chosen on, heldout = held-out years, full = all years):\n%s", p.k,
             table.round(4).to_string(index=False))
    log.info("chosen %s; held out: years %.4f, industry folds %.4f", chosen, heldout["years"], heldout["industries"])
    m = meta(snakemake, "cospec_selection/1")
    m["valuechain.heldout"] = json.dumps(heldout)
    write_table(table, snakemake.output.selection, m)
    write_atomic(snakemake.output.variant, json.dumps({"variant": chosen, "heldout": heldout, "chosen_on": "tuning years"},
                                                      indent=2, sort_keys=True))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
