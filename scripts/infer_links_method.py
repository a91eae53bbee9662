"""Rule infer_links_method: every product's top-k inputs by the cospec or learned score, with a confidence, and
no input where none reaches links.min_confidence (valuechain.cospec, valuechain.learned)."""

import json
import pickle

import numpy as np
import pandas as pd

from valuechain import cospec, learned
from valuechain.provenance import write_table
from valuechain.rca import rca_matrices
from valuechain.smk import meta, setup

log = setup(snakemake)
p = snakemake.params
method = snakemake.wildcards.method
rca_exp, rca_imp = rca_matrices(pd.read_parquet(snakemake.input.rca))
products = rca_exp.columns.to_numpy()
E, I = rca_exp.to_numpy(), rca_imp.reindex(index=rca_exp.index, columns=rca_exp.columns).to_numpy()
if method == "cospec":
    with open(snakemake.input.fitted) as fh:
        variant = json.load(fh)["variant"]
    S = cospec.score_matrix(E, I, variant)
    confidence = None  # documented monotone map: the score's percentile among all pairs
    detail = f"variant {variant}, confidence = percentile of the score"
else:
    with open(snakemake.input.fitted, "rb") as fh:
        fitted = pickle.load(fh)
    S = learned.predict(fitted["model"], learned.pair_features(E, I)).astype(float)
    confidence = S  # a probability calibrated on ICIO pairs
    detail = f"{fitted['kind']} model, confidence = calibrated probability"
links = cospec.top_links(S, products, p.k, p.min_confidence, confidence).assign(method=method)
log.info("%s (%s): %d locations x %d products; %d links for %d products (min_confidence %g); confidence "
         "quartiles %s", method, detail, E.shape[0], len(products), len(links), links["output"].nunique(),
         p.min_confidence, np.round(links["confidence"].quantile([0.25, 0.5, 0.75]).to_numpy(), 3).tolist())
m = meta(snakemake, f"links_{method}/1")
m["valuechain.method"] = detail
write_table(links, snakemake.output.links, m)
