"""Rule trophic_position: import/export trophic level, jump, NITL and NTJ of regions and countries, and NITL and
NTJ against diversification (figure). A network without links gives no product a level: the tables are written
empty, with their columns, the figure says "no links", and so does the log."""

import pandas as pd

from valuechain.analyses.trophic import trophic_position
from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.outputs.analysis_figures import position_scatter
from valuechain.trade.rca import country_rca_table, rca_matrices


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params
    levels = pd.read_parquet(snakemake.input.levels).set_index("hs")["trophic_level"]

    exp, imp = rca_matrices(pd.read_parquet(snakemake.input.rca))
    regions = trophic_position(imp, exp, levels, p.rca_threshold)

    # Countries: regional trade summed to the country, RCA among the reporting countries.
    trade = pd.read_parquet(snakemake.input.trade, columns=["flow", "country", "hs", "value"])
    exp_c, imp_c = rca_matrices(country_rca_table(trade, p.reconcile))
    countries = trophic_position(imp_c, exp_c, levels, p.rca_threshold).drop(columns="region")

    if levels.empty:
        log.warning("no links: the %s network gives no product a trophic level, so no region or country has a trophic "
                    "position; the tables are empty", p.link_method)
        regions, countries = regions.iloc[:0], countries.iloc[:0]  # the columns and their types, no rows
    for name, df in [("regions", regions), ("countries", countries)]:
        if len(df):
            log.info("%s:\n%s", name, df.describe().T[["mean", "min", "max"]].to_string())
    text = {"country": "str", "link_method": "str"}
    write_table(regions.assign(link_method=p.link_method).astype({**text, "region": "str"}), snakemake.output.regions,
                meta(snakemake, "trophic_position/1"))
    write_table(countries.assign(link_method=p.link_method).astype(text), snakemake.output.countries,
                meta(snakemake, "trophic_position/1"))
    position_scatter(regions, "regions", snakemake.output.figure)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
