"""Rule infer_links: Backward & Forward candidates and top-k input links (valuechain.bf)."""

import json

import pandas as pd

from valuechain.bf import Thresholds, backward_forward, top_k
from valuechain.provenance import write_table
from valuechain.rca import rca_matrices
from valuechain.smk import meta, setup

log = setup(snakemake)
p = snakemake.params
if p.thresholds == "tuned":
    with open(snakemake.input.thresholds) as fh:
        thresholds = Thresholds.from_mapping(json.load(fh)["thresholds"])
else:
    thresholds = Thresholds.from_mapping(p.thresholds)
log.info("thresholds %s, %d candidates, top %d", thresholds, p.n_candidates, p.k)
rca_exp, rca_imp = rca_matrices(pd.read_parquet(snakemake.input.rca))
candidates = backward_forward(rca_exp, rca_imp, thresholds, p.n_candidates)
links = top_k(candidates, p.k)
log.info("%d candidates; %d links for %d of %d products", len(candidates), len(links), links["output"].nunique(),
         rca_exp.shape[1])
m = meta(snakemake, "links/1")
m["valuechain.thresholds"] = json.dumps(vars(thresholds))
write_table(candidates, snakemake.output.candidates, m)
write_table(links, snakemake.output.links, m)
