"""Rule retrieve_public: one file of a public regional trade source, downloaded into resources/public/
(valuechain.glue.retrieve: streamed, resumable, retried; sha256 logged, and checked when pinned); its sha256 is recorded
beside it, where the rules reading it check it (valuechain.glue.provenance.check_input)."""

import os
from pathlib import Path

from valuechain.glue.provenance import stamp
from valuechain.glue.retrieve import RetrieveError, pinned_intermediates, retrieve
from valuechain.glue.smk import rule_io, setup
from valuechain.trade.public import census_answer_problem


def main(snakemake) -> None:
    log = setup(snakemake)
    url = snakemake.params.url
    census = snakemake.wildcards.source == "census" and snakemake.wildcards.name.endswith(".json")
    if census:
        in_config = snakemake.config["public"]["census"]["api_key"]
        if in_config:
            log.warning("the Census API key is in a config file (public.census.api_key): prefer the CENSUS_API_KEY "
                        "environment variable; a killed job leaves Snakemake's copy of this script, which holds the "
                        "whole config, under .snakemake/")
        key = in_config or os.environ.get("CENSUS_API_KEY")
        if key:  # added here, not as a rule parameter, so that it is never logged nor stored in provenance
            url += f"&key={key}"
    out = Path(snakemake.output[0])
    digest = retrieve(snakemake.wildcards.name, out, None, url, sha256=snakemake.params.sha256,
                      source=f"{snakemake.wildcards.source} (public regional trade)",
                      intermediates=pinned_intermediates(snakemake.config.get("tls_intermediates")))
    if census:
        # a missing or invalid key gets an HTML page with status 200, a query without data an empty answer: never kept,
        # or every later run would read it from the cache
        with open(out, "rb") as fh:
            problem = census_answer_problem(fh.read(4096), bool(key))
        if problem:
            out.unlink()
            raise RetrieveError(f"{out}: {problem}; nothing kept, the next run asks again")
    stamp(out, digest)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
