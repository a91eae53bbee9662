"""Rule icio_va: one ICIO table -> value added by country-sector of origin and country (or group) of absorption."""

from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.icio import accounting as ac


def main(snakemake) -> None:
    log = setup(snakemake)
    t = snakemake.params.table
    m = ac.model_from_file(snakemake.input.table, t["format"], t["split_countries"], merge_split=t["merge_split"],
                           **t["balance"])
    va = ac.va_origin_destination(m, groups=snakemake.params.groups or None)
    log.info("value added %.6g over %d origin-destination cells", va.va.sum(), len(va))
    write_table(va, snakemake.output.va, meta(snakemake, "icio_va_origin_destination/1"))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
