"""Rule retrieve_data: one reference data set from the data mirror or its URL, converted when it is R data
(valuechain.retrieve)."""

from pathlib import Path

from valuechain.retrieve import retrieve
from valuechain.smk import setup

log = setup(snakemake)
f = snakemake.params.file
mirror = snakemake.config.get("data_mirror")  # not a param: see the rule
retrieve(f["name"], snakemake.output[0], Path(mirror) / f["folder"] if mirror else None, f["url"], f["sha256"],
         f["source"], f.get("url_sha256"), f.get("convert"))
