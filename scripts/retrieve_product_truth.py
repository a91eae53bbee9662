"""Rule retrieve_product_truth: one product-truth table from the data mirror or its URL (valuechain.retrieve)."""

from pathlib import Path

from valuechain.retrieve import retrieve
from valuechain.smk import setup

log = setup(snakemake)
f = snakemake.params.file
mirror = snakemake.config.get("data_mirror")  # not a param: see the rule
mirror = Path(mirror) / "product_truth" if mirror else None
retrieve(f["name"], snakemake.output[0], mirror, f.get("url"), f.get("sha256"), f.get("source", ""),
         f.get("url_sha256"), f.get("convert"))
