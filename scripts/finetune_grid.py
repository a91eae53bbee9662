"""Rule finetune_grid: B&F top-k precision and recall for every threshold combination (docs/method.md section 5)."""

import time

import pandas as pd

from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.links import finetune, yardstick


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params
    E, I, countries, industries = yardstick.rca_arrays(pd.read_parquet(snakemake.input.specialisation))
    L = yardstick.label_matrix(pd.read_parquet(snakemake.input.labels), industries)
    start = time.perf_counter()
    grid = finetune.grid_table(finetune.grid_search(E, I, L, p.grid, p.k, p.n_candidates))
    log.info("%d combinations over %d countries x %d industries in %.2f s", len(grid), len(countries), len(industries),
             time.perf_counter() - start)
    write_table(grid, snakemake.output.grid, meta(snakemake, "finetune_grid/1"))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
