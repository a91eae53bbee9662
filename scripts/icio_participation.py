"""Rule icio_participation: one ICIO table -> Borin-Mancini GVC participation (per country, per country-sector)
and the UIBE production decomposition (per country-sector)."""

from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.icio import accounting as ac


def main(snakemake) -> None:
    log = setup(snakemake)
    t = snakemake.params.table
    m = ac.model_from_file(snakemake.input.table, t["format"], t["split_countries"], merge_split=t["merge_split"],
                           **t["balance"])
    total = ac.gvc_participation(m, "total")
    log.info("GVC participation: median %.3f, range %.3f-%.3f", total.gvc.median(), total.gvc.min(), total.gvc.max())
    write_table(total, snakemake.output.gvc_total, meta(snakemake, "icio_gvc_total/1"))
    write_table(ac.gvc_participation(m, "sectoral"), snakemake.output.gvc_sectoral, meta(snakemake, "icio_gvc_sectoral/1"))
    write_table(ac.production_decomposition(m), snakemake.output.production, meta(snakemake, "icio_production/1"))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
