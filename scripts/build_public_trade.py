"""Rule build_public_trade: the retrieved US Census and Comex Stat files combined into the canonical long form
(valuechain.trade.public); the rows dropped on the way (totals, partners that are not countries, national
pseudo-products) are recorded with their reason."""

from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.trade.canonical import write_dropped
from valuechain.trade.public import public_trade


def main(snakemake) -> None:
    log = setup(snakemake)
    inp, ingest, out = snakemake.input, snakemake.params.ingest, snakemake.output
    dropped = []
    trade = public_trade(
        {"export": list(inp.census_exports), "import": list(inp.census_imports)}, inp.get("schedule_c"),
        list(inp.comexstat), inp.get("pais"), inp.get("uf"), ingest["comexstat_region"],
        hs_overlap=ingest["hs_overlap"], partner_aggregates=ingest["partner_aggregates"],
        national_hs=ingest["national_hs"], own_partner=ingest["own_partner"], dropped=dropped)
    for country, part in trade.groupby("country"):
        log.info("%s: %d regions, %d products, %d partners, years %s, %.3g USD", country, part["region"].nunique(),
                 part["hs"].nunique(), part["partner"].nunique(), sorted(part["year"].unique().tolist()), part["value"].sum())
    write_table(trade, out.trade, meta(snakemake, "public_trade/1"))
    log.info("%d rows dropped (%s)", write_dropped(dropped, out.dropped, meta(snakemake, "dropped_rows/1")), out.dropped)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
