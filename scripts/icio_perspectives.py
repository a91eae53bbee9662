"""Rule icio_perspectives: one ICIO table -> the Borin-Mancini decomposition in every perspective, the
tripartite GVC split, TiVA GVC participation, UIBE production lengths and value added by origin in bilateral
exports; every country, then each configured group as one exporter (its own model, internal trade not counted)."""


from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.icio import accounting as ac
from valuechain.icio import perspectives as pv


def main(snakemake) -> None:
    log = setup(snakemake)
    t = snakemake.params.table
    m = ac.model_from_file(snakemake.input.table, t["format"], t["split_countries"], merge_split=t["merge_split"],
                           **t["balance"])
    units = pv.exporter_units(m, snakemake.params.groups)
    log.info("%d countries (%d producers), %d groups as one exporter", m.G, len(m.producers), len(units) - 1)
    out = snakemake.output
    for p, approach in pv.PERSPECTIVE_APPROACHES:
        df = pv.for_every_exporter(units, lambda mm, p=p, approach=approach: pv.decompose(mm, p, approach))
        tot = df.groupby("exporter", sort=False)[["GEXP", "DVA", "FVA"]].sum()
        log.info("%s/%s: world DVA %.4g, FVA %.4g of %.4g gross exports", p, approach, tot.DVA.sum(), tot.FVA.sum(),
                 tot.GEXP.sum())
        write_table(df, out[f"perspectives_{p}_{approach}"], meta(snakemake, f"icio_bm_{p}_{approach}/1"))
    write_table(pv.for_every_exporter(units, pv.tripartite_gvc), out.tripartite, meta(snakemake, "icio_tripartite/1"))
    write_table(pv.for_every_exporter(units, pv.dva_in_foreign_exports, "country"), out.tiva_gvc,
                meta(snakemake, "icio_tiva_gvc/1"))
    write_table(ac.production_length(m), out.length, meta(snakemake, "icio_length/1"))
    origin = ac.aggregate(pv.for_every_exporter(units, lambda mm: pv.va_by_origin(mm, "exporter")), "bilateral",
                         by=["origin"])
    write_table(origin, out.va_origin_exports, meta(snakemake, "icio_va_origin_exports/1"))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
