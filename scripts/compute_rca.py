"""Rule compute_rca: export and import RCA of every region and product (valuechain.trade.rca)."""

import pandas as pd

from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.trade.rca import rca_table


def main(snakemake) -> None:
    log = setup(snakemake)
    table = rca_table(pd.read_parquet(snakemake.input.trade), snakemake.params.reconcile)
    log.info("%s join: %d region-product pairs", snakemake.params.reconcile, len(table))
    write_table(table, snakemake.output.rca, meta(snakemake, "rca/1"))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
