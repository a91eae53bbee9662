"""Rule build_baci_trade: BACI's flows in the canonical form, every country a location (valuechain.trade.baci)."""

from pathlib import Path

from valuechain.glue.smk import meta, rule_io, setup
from valuechain.trade.baci import baci_to_canonical
from valuechain.trade.canonical import summary


def main(snakemake) -> None:
    log = setup(snakemake)
    out = snakemake.output
    staging = Path(out.trade).with_name(".baci_trade.staging")
    baci_to_canonical(snakemake.input.archive, list(snakemake.params.years), out.trade, out.dropped,
                      meta(snakemake, "trade/1"), staging, memory_mb=snakemake.resources.mem_mb // 2)
    log.info("BACI in the canonical form: %s", summary(out.trade))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
