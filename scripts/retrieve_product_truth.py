"""Rule retrieve_product_truth: one product-truth table from the data mirror or its URL (valuechain.retrieve)."""

from valuechain.retrieve import retrieve
from valuechain.smk import setup

log = setup(snakemake)
f = snakemake.params.file
retrieve(f["name"], snakemake.output[0], snakemake.params.mirror, f.get("url"), f.get("sha256"), f.get("source", ""),
         f.get("url_sha256"), f.get("convert"))
