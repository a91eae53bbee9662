"""Rule flow_factors: the allocation's three factors (valuechain.flows.factors), the flows in a form that grows
with the regions, not with their pairs: ``flows/factors/{exporters,importers,users}.parquet``. The flows themselves
are their join (``valuechain.flows.query.query_factored_flows``), row for row those of the flows dataset."""

import numpy as np
import pandas as pd

from valuechain.flows.allocation import link_matrix, prepare
from valuechain.flows.factors import flow_factors
from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup


def main(snakemake) -> None:
    log = setup(snakemake)
    data = prepare(pd.read_parquet(snakemake.input.trade))
    L = link_matrix(pd.read_parquet(snakemake.input.links), data.products)
    tables = flow_factors(data, L, np.flatnonzero(L.any(axis=1)))
    for name, table in tables.items():
        write_table(table, snakemake.output[name], meta(snakemake, f"flow_factors_{name}/1"))
    log.info("flow factors of %d regions, %d links: %s rows", len(data.regions), int(L.sum()),
             ", ".join(f"{name} {len(table)}" for name, table in tables.items()))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
