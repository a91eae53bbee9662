"""Rule report_tables: the key tables of the report as small HTML pages (valuechain.outputs.report)."""

import pandas as pd

from valuechain.glue.smk import rule_io, setup
from valuechain.outputs import report


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params
    i, o = snakemake.input, snakemake.output
    tables = {
        "reference": (report.reference_table(pd.read_parquet(i.reference), p.min_share),
                      f"Product networks against the product reference (input share >= {p.min_share})", i.reference, ""),
        "trophic_levels": (report.level_extremes(pd.read_parquet(i.levels), 10),
                           "The most upstream and most downstream products of the analysed network", i.levels, ""),
    }
    if "methods" in i.keys():
        tables["link_methods"] = (report.methods_table(pd.read_parquet(i.methods)),
                                  "Precision of every link method on every yardstick", i.methods,
                                  "icio_years and icio_industries are held out; the in-sample column is not.")
        tables["trophic_position"] = (pd.read_parquet(i.countries).drop(columns=["link_method"]),
                                      "Trophic position of the countries", i.countries, "")
        gvc = pd.read_parquet(i.gvc).sort_values("gvc", ascending=False)
        tables["icio_gvc"] = (gvc, f"GVC participation by exporter, ICIO {p.icio_year} (Borin-Mancini)", i.gvc,
                              "GEXP, GVC, GVCB, GVCF in the table's unit; gvc = GVC / GEXP.")
    for name, (df, title, source, note) in tables.items():
        with open(o[name], "w") as fh:
            fh.write(report.html_table(df, title, source, note))
        log.info("%s: %d rows", name, len(df))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
