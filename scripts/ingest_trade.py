"""Rule ingest_trade: read the trade file(s) in their format and validate them into the canonical form; files
already in the canonical form are streamed (valuechain.trade.canonical.ingest_canonical), never held in memory at once.
The rows dropped (partners that are not countries, national pseudo-products, ...) are recorded with their reason."""

from pathlib import Path

import pandas as pd

from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.trade.canonical import ingest_canonical, read_trade, summary, write_dropped
from valuechain.trade.hs import read_goods_codes


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params
    checks = {"hs_overlap": p.ingest["hs_overlap"], "partner_aggregates": p.ingest["partner_aggregates"],
              "known_hs": read_goods_codes(*snakemake.input.hs_codes), "unknown_hs": p.ingest["unknown_hs"],
              "national_hs": p.ingest["national_hs"],
              "own_partner": p.ingest["own_partner"], "decimal": p.ingest["decimal"]}
    out = snakemake.output
    world = snakemake.input.world[0] if snakemake.input.world else None
    regional, dropped = list(snakemake.input.trade), []
    if p.format != "canonical":
        # read whole in its layout, then streamed on in the canonical form like any file (beside BACI's countries)
        trade = read_trade(regional, p.format, p.duplicates, snakemake.input.countries or None, p.ingest["sep"],
                           p.ingest["comexstat_region"], dropped=dropped, **checks)
        regional = [Path(out.trade).with_name(f".{Path(out.trade).name}.{p.format}.parquet")]
        write_table(trade, regional[0], {})
    try:
        ingest_canonical(regional, out.trade, meta(snakemake, "trade/1"), p.duplicates, p.ingest["sep"],
                         memory_mb=snakemake.resources.mem_mb // 2, dropped_dest=out.dropped, world=world, **checks)
    finally:
        if p.format != "canonical":
            regional[0].unlink(missing_ok=True)
    if dropped:
        write_dropped([*dropped, pd.read_parquet(out.dropped)], out.dropped, meta(snakemake, "dropped_rows/1"))
    log.info("valid: %s", summary(out.trade))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
