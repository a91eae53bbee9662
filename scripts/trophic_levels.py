"""Rule trophic_levels: trophic levels (with product names) and coherence with null-model z-scores
(valuechain.analyses.trophic). A network without links gives no product a level (an empty table, with its columns) and has
no coherence (its one row says 0 nodes, 0 edges, NaN); the log says "no links"."""

import pandas as pd

from valuechain.analyses.trophic import coherence_table, levels_table
from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.trade.hs import name_columns, read_product_names


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params
    links = pd.read_parquet(snakemake.input.links)
    # A network whose links all carry a weight (the confidence of the final links, a user file's weight column) gets
    # weighted levels; the null models behind the coherence z-scores are binary, so the coherence table is always
    # of the binary network.
    weight = next((c for c in ("confidence", "weight") if c in links.columns and links[c].notna().all()
                   and (links[c] > 0).any()), None)
    log.info("%s network: %d links, levels %s", p.link_method, len(links), f"weighted by {weight}" if weight else "binary")
    if links.empty:
        log.warning("no links: the %s network is empty, so no product has a trophic level and there is no coherence",
                    p.link_method)
    levels = levels_table(links, weight=weight).assign(weight=weight or "none")
    names = read_product_names(snakemake.input.names, snakemake.input.hs)
    levels = name_columns(levels, names, {"hs": "name"})
    coherence = coherence_table(links, n_samples=p.null_samples, seed=p.seed).assign(weight="none")
    log.info("\n%s", coherence.head(5).to_string(index=False))
    text = {"weight": "str", "link_method": "str"}  # so that an empty table keeps its column types
    levels = levels.assign(link_method=p.link_method).astype({"hs": "str", **text})
    coherence = coherence.assign(link_method=p.link_method).astype(text)
    write_table(levels, snakemake.output.levels, meta(snakemake, "trophic_levels/1"))
    write_table(coherence, snakemake.output.coherence, meta(snakemake, "trophic_coherence/1"))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
