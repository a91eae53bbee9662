"""Rule trophic_levels: trophic levels and coherence with null-model z-scores (valuechain.trophic)."""

import pandas as pd

from valuechain.provenance import write_table
from valuechain.smk import meta, setup
from valuechain.trophic import coherence_table, levels_table

log = setup(snakemake)
p = snakemake.params
links = pd.read_parquet(snakemake.input.links)
log.info("%s network: %d links", p.link_method, len(links))
levels = levels_table(links)
coherence = coherence_table(links, n_samples=p.null_samples, seed=p.seed)
log.info("\n%s", coherence.head(5).to_string(index=False))
write_table(levels.assign(link_method=p.link_method), snakemake.output.levels, meta(snakemake, "trophic_levels/1"))
write_table(coherence.assign(link_method=p.link_method), snakemake.output.coherence,
            meta(snakemake, "trophic_coherence/1"))
