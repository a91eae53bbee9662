"""Rule clean_trade: years, pseudo-regions, HS level, regional size filter (valuechain.clean)."""

import pandas as pd

from valuechain.clean import clean_trade
from valuechain.provenance import write_table
from valuechain.smk import meta, setup

log = setup(snakemake)
p = snakemake.params.clean
trade = pd.read_parquet(snakemake.input.trade)
clean, dropped_rows, dropped_regions = clean_trade(
    trade, p["drop_regions"], p["min_region_trade"], p["years"], p["hs_digits"]
)
log.info("kept %d regions and %d products; dropped %d rows (pseudo-regions, years) and %d small regions",
         clean.groupby(["country", "region"]).ngroups, clean["hs"].nunique(), len(dropped_rows), len(dropped_regions))
write_table(clean, snakemake.output.trade, meta(snakemake, "clean_trade/1"))
write_table(dropped_rows, snakemake.output.dropped_rows, meta(snakemake, "dropped_rows/1"))
write_table(dropped_regions, snakemake.output.dropped_regions, meta(snakemake, "dropped_regions/1"))
