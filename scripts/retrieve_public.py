"""Rule retrieve_public: one file of a public regional trade source, downloaded into resources/public/
(valuechain.retrieve: streamed, resumable, retried; sha256 logged, and checked when pinned)."""

import os

from valuechain.retrieve import retrieve
from valuechain.smk import setup

log = setup(snakemake)
url = snakemake.params.url
if snakemake.wildcards.source == "census" and snakemake.wildcards.name.endswith(".json"):
    in_config = snakemake.config["public"]["census"]["api_key"]
    if in_config:
        log.warning("the Census API key is in a config file (public.census.api_key): prefer the CENSUS_API_KEY "
                    "environment variable; a killed job leaves Snakemake's copy of this script, which holds the "
                    "whole config, under .snakemake/")
    key = in_config or os.environ.get("CENSUS_API_KEY")
    if key:  # added here, not as a rule parameter, so that it is never logged nor stored in provenance
        url += f"&key={key}"
retrieve(snakemake.wildcards.name, snakemake.output[0], None, url, sha256=snakemake.params.sha256,
         source=f"{snakemake.wildcards.source} (public regional trade)")
