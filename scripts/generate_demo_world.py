"""Rule generate_demo_world: the deterministic demo world (valuechain.demo) and its planted truth."""

import pandas as pd

from valuechain.demo import DemoSettings, generate
from valuechain.provenance import write_table
from valuechain.smk import meta, setup

log = setup(snakemake)
world = pd.read_parquet(snakemake.input.world)
names = pd.read_csv(snakemake.input.names, dtype=str)
names = names[names["level"] == "4digit"]
reference = pd.read_parquet(snakemake.input.reference, columns=["output", "input", "share"])
trade, truth, products = generate(world, names, reference, DemoSettings.from_config(snakemake.params.demo))
log.info("demo world: %d trade rows, %d products, %d planted links", len(trade), len(products), len(truth))
write_table(trade, snakemake.output.trade, meta(snakemake, "trade/1"))
write_table(truth, snakemake.output.truth, meta(snakemake, "truth_links/1"))
write_table(products, snakemake.output.products, meta(snakemake, "products/1"))
