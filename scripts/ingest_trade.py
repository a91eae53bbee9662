"""Rule ingest_trade: read the trade file(s) in their format and validate them into the canonical form."""

from valuechain.provenance import write_table
from valuechain.smk import meta, setup
from valuechain.tradeio import read_trade

log = setup(snakemake)
p = snakemake.params
countries = snakemake.input.countries or None
trade = read_trade(list(snakemake.input.trade), p.format, p.duplicates, countries, p.ingest["sep"],
                   p.ingest["comexstat_region"], hs_overlap=p.ingest["hs_overlap"],
                   partner_aggregates=p.ingest["partner_aggregates"])
log.info("%d valid rows: %d countries, %d regions, %d products, years %s", len(trade), trade["country"].nunique(),
         trade.groupby(["country", "region"]).ngroups, trade["hs"].nunique(), sorted(trade["year"].unique().tolist()))
write_table(trade, snakemake.output.trade, meta(snakemake, "trade/1"))
