"""Rule validated_network: the statistically validated co-specialisation network (valuechain.validated)."""

import json

import pandas as pd

from valuechain.provenance import write_table
from valuechain.smk import meta, setup
from valuechain.validated import specialisation_matrices, validated_network

log = setup(snakemake)
p = snakemake.params
I, E = specialisation_matrices(pd.read_parquet(snakemake.input.rca), p.rca_threshold)
log.info("%d locations x %d products; %d import and %d export specialisations", *I.shape, I.values.sum(),
         E.values.sum())
result = validated_network(I, E, alpha=p.alpha, n_jobs=snakemake.threads)
log.info("summary %s", json.dumps(result.summary))
m = meta(snakemake, "validated_links/1")
m["valuechain.summary"] = json.dumps(result.summary)
write_table(result.links, snakemake.output.links, m)
