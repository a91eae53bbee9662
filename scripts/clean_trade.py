"""Rule clean_trade: years, pseudo-regions, HS level, regional size filter (valuechain.trade.clean), streamed through
DuckDB from the ingested table."""

from valuechain.glue.smk import meta, rule_io, setup
from valuechain.trade.canonical import summary
from valuechain.trade.clean import clean_trade_file


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params.clean
    out = snakemake.output
    rows = clean_trade_file(snakemake.input.trade, {"clean": out.trade, "dropped_rows": out.dropped_rows,
                                                    "dropped_regions": out.dropped_regions},
                            meta(snakemake, "clean_trade/1"), p["drop_regions"], p["min_region_trade"], p["years"],
                            snakemake.params.hs_digits, memory_mb=snakemake.resources.mem_mb // 2,
                            dropped_before=list(snakemake.input.dropped))
    log.info("kept %s; dropped %d rows (before cleaning and here: pseudo-regions, years) and %d small regions",
             summary(out.trade),
             rows["dropped_rows"], rows["dropped_regions"])


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
