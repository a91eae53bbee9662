"""Rule reference_network: reference input shares of every product pair, coverage and end use
(valuechain.reference.product)."""

import pandas as pd

from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.reference import product as ref


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params
    inp = snakemake.input
    codes = pd.read_csv(inp.commodities, dtype=str).iloc[:, 0]
    shares = ref.read_use_shares(inp.use, codes)
    log.info("Use table: %d commodities x %d industries", *shares.shape)
    hs_naics = pd.read_csv(inp.hs_naics, dtype=str)
    hs6_bea = ref.hs6_to_bea(hs_naics, pd.read_csv(inp.crosswalk, dtype=str), p.naics_match)
    pairs = ref.product_bea(hs6_bea, p.digits)
    links, products = ref.reference_network(shares, pairs, p.min_share)
    log.info("%d HS%d products scorable; %d pairs with a positive share, %d at or above %g (%d without the "
             "own-commodity cells)", len(products), p.digits, len(links), links["label"].sum(), p.min_share,
             (links["share_cross"] >= p.min_share).sum())

    # Every HS code of this level we know of: the nomenclature's and the concordance's.
    nomenclature = pd.read_csv(inp.hs, dtype=str)
    universe = pd.concat([nomenclature.loc[nomenclature["level"] == str(p.digits), "hscode"],
                          ref.product_codes(hs_naics["HS_6d"], p.digits)])
    coverage = ref.coverage_table(universe, pairs, products,
                                  ref.product_codes(hs_naics["HS_6d"].drop_duplicates(), p.digits))
    log.info("coverage: %d of %d known HS%d codes scorable; unscorable examples: %s", coverage["scorable"].sum(),
             len(coverage), p.digits, coverage.loc[~coverage["scorable"], "product"].head(10).tolist())
    end_use = ref.end_use_classes(pd.read_csv(inp.hs_bec, dtype=str), p.digits)
    log.info("end use:\n%s", end_use["end_use"].value_counts().to_string())

    m = meta(snakemake, "reference/1")
    write_table(links, snakemake.output.links, m)
    write_table(coverage, snakemake.output.coverage, m)
    write_table(end_use, snakemake.output.end_use, m)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
