"""Rule generate_demo_world: the deterministic demo world (valuechain.trade.demo) and its planted truth, written block by
block (an HS6 world has about 100M trade rows)."""

import pandas as pd

from valuechain.glue.provenance import TableWriter, write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.trade.demo import DemoSettings, demo_names, generate


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params
    world = pd.read_parquet(snakemake.input.world)
    names = demo_names(pd.read_csv(snakemake.input.names, dtype=str), pd.read_csv(snakemake.input.hs, dtype=str),
                       p.hs_digits)
    reference = pd.read_parquet(snakemake.input.reference, columns=["output", "input", "share"])
    trade, truth, products = generate(world, names, reference, DemoSettings.from_config(p.demo, p.hs_digits))
    log.info("demo world: %d HS%d products, %d planted links", len(products), p.hs_digits, len(truth))
    with TableWriter(snakemake.output.trade, meta(snakemake, "trade/1")) as out:
        for block in trade:
            out.write(block)
            log.info("%d trade rows written", out.rows)
    write_table(truth, snakemake.output.truth, meta(snakemake, "truth_links/1"))
    write_table(products, snakemake.output.products, meta(snakemake, "products/1"))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
