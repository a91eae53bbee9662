"""Rule plot_finetune_parallel: the fine-tuning grid's best threshold combinations in parallel coordinates, the
chosen one in red (the preprint's figure; valuechain.outputs.figures.finetune_parallel)."""

import json

import pandas as pd

from valuechain.glue.smk import rule_io, setup
from valuechain.outputs.figures import finetune_parallel


def main(snakemake) -> None:
    log = setup(snakemake)
    with open(snakemake.input.thresholds) as fh:
        chosen = json.load(fh)
    drawn, lowest, highest = finetune_parallel(pd.read_parquet(snakemake.input.grid), chosen, snakemake.params.top,
                                               snakemake.output.figure)
    log.info("%d combinations drawn, precision %.3f to %.3f", drawn, lowest, highest)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
