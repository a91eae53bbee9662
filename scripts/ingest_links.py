"""Rules ingest_links and ingest_published_network: a product network file validated into the canonical links
table (valuechain.reference.links_file); a bad file stops here with its file, row and column."""

import pandas as pd

from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.reference.links_file import read_links_file
from valuechain.trade.hs import read_goods_codes


def main(snakemake) -> None:
    log = setup(snakemake)
    links = read_links_file(snakemake.input.links, read_goods_codes(*snakemake.input.hs_codes), snakemake.params.digits)
    weighted = links["weight"].notna().all()
    log.info("%d links, %d outputs, %d products; %s", len(links), links["output"].nunique(),
             pd.concat([links["output"], links["input"]]).nunique(), "weighted" if weighted else "unweighted")
    write_table(links, snakemake.output.links, meta(snakemake, "links_user/1"))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
