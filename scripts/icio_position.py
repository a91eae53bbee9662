"""Rule icio_position: one ICIO table -> upstreamness, downstreamness, GVC production lengths and position."""

from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.icio import accounting as ac


def main(snakemake) -> None:
    log = setup(snakemake)
    t = snakemake.params.table
    m = ac.model_from_file(snakemake.input.table, t["format"], t["split_countries"], merge_split=t["merge_split"],
                           **t["balance"])
    pos = ac.position(m)
    log.info("upstreamness %.3f-%.3f, downstreamness %.3f-%.3f", pos.upstreamness.min(), pos.upstreamness.max(),
             pos.downstreamness.min(), pos.downstreamness.max())
    write_table(pos, snakemake.output.position, meta(snakemake, "icio_position/1"))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
