"""Rule icio_decompositions: one ICIO table -> KWW, WWZ and Borin-Mancini (source, sink) decompositions."""

from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.icio import accounting as ac


def main(snakemake) -> None:
    log = setup(snakemake)
    t = snakemake.params.table
    m = ac.model_from_file(snakemake.input.table, t["format"], t["split_countries"], merge_split=t["merge_split"],
                           **t["balance"])
    log.info("%s: %d countries x %d sectors, gross exports %.6g", snakemake.input.table, m.G, m.N, m.E.sum())
    write_table(ac.kww(m).reset_index(), snakemake.output.kww, meta(snakemake, "icio_kww/1"))
    write_table(ac.wwz(m), snakemake.output.wwz, meta(snakemake, "icio_wwz/1"))
    write_table(ac.bm_source(m), snakemake.output.bm_source, meta(snakemake, "icio_bm_source/1"))
    write_table(ac.bm_sink(m), snakemake.output.bm_sink, meta(snakemake, "icio_bm_sink/1"))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
