"""Rule validated_network: gathers the blocks of p-values into the statistically validated co-specialisation
network, Benjamini-Hochberg over all ordered pairs (valuechain.analyses.validated.gather_network)."""

import json

import pandas as pd

from valuechain.analyses.validated import SpecialisationFit, gather_network
from valuechain.glue.provenance import read_metadata, write_table
from valuechain.glue.smk import meta, rule_io, setup


def main(snakemake) -> None:
    log = setup(snakemake)
    fit = SpecialisationFit.read(snakemake.input.fit)
    parts = list(snakemake.input.pvalues)
    candidates = pd.concat([pd.read_parquet(f) for f in parts], ignore_index=True)
    cooccurring = sum(int(read_metadata(f)["cooccurring"]) for f in parts)
    candidates = candidates.assign(input=fit.products.get_indexer(candidates["input"]),
                                   output=fit.products.get_indexer(candidates["output"]))
    log.info("%d blocks: %d candidate pairs with p <= %g", len(parts), len(candidates), snakemake.params.alpha)
    result = gather_network(fit, candidates, cooccurring, alpha=snakemake.params.alpha)
    log.info("summary %s", json.dumps(result.summary))
    m = meta(snakemake, "validated_links/1", inputs=[snakemake.input.fit])  # the blocks' count leaves no trace
    m["valuechain.summary"] = json.dumps(result.summary)
    write_table(result.links, snakemake.output.links, m)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
