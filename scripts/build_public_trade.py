"""Rule build_public_trade: the retrieved US Census and Comex Stat files combined into the canonical long form
(valuechain.public_trade)."""

from valuechain.provenance import write_table
from valuechain.public_trade import public_trade
from valuechain.smk import meta, setup

log = setup(snakemake)
inp, ingest = snakemake.input, snakemake.params.ingest
trade = public_trade(
    {"export": list(inp.census_exports), "import": list(inp.census_imports)}, inp.get("schedule_c"),
    list(inp.comexstat), inp.get("pais"), inp.get("uf"), ingest["comexstat_region"],
    hs_overlap=ingest["hs_overlap"], partner_aggregates=ingest["partner_aggregates"])
for country, part in trade.groupby("country"):
    log.info("%s: %d regions, %d products, %d partners, years %s, %.3g USD", country, part["region"].nunique(),
             part["hs"].nunique(), part["partner"].nunique(), sorted(part["year"].unique().tolist()), part["value"].sum())
write_table(trade, snakemake.output.trade, meta(snakemake, "public_trade/1"))
