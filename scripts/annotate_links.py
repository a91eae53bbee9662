"""Rule annotate_links: the analysed network's links with the reference label, the held-out estimated precision
and every compared method's rank (valuechain.links.annotate); a network without links gives an empty table of
the same columns, and the log says "no links"."""

import pandas as pd

from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.links.annotate import annotate_links
from valuechain.trade.hs import read_product_names


def main(snakemake) -> None:
    log = setup(snakemake)
    inputs, p = snakemake.input, snakemake.params
    methods = {key.removeprefix("method_"): pd.read_parquet(path, columns=["output", "input", "rank"])
               for key, path in inputs.items() if key.startswith("method_")}
    links = annotate_links(pd.read_parquet(inputs.links), read_product_names(inputs.names, inputs.hs),
                           pd.read_parquet(inputs.reference), pd.read_parquet(inputs.coverage), methods, p.network)
    if links.empty:
        log.warning("no links: the %s network is empty; the annotated table has no rows", p.network)
    else:
        counts = links["reference"].value_counts()
        log.info("%d links: the reference confirms %d, rejects %d, cannot score %d; estimated precision from "
                 "%.2f to %.2f (median %.2f; missing for %d)", len(links), counts.get("true", 0),
                 counts.get("false", 0), counts.get("unscorable", 0), links["estimated_precision"].min(),
                 links["estimated_precision"].max(), links["estimated_precision"].median(), links["estimated_precision"].isna().sum())
    write_table(links, snakemake.output.links, meta(snakemake, "links_annotated/1"))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
