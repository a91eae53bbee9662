"""Rule retrieve_icio_table: download one year's ICIO table (from its zip archive when a member is configured);
its sha256 is recorded beside it, where the rules reading it check it (valuechain.glue.provenance.check_input)."""

from valuechain.glue.provenance import stamp
from valuechain.glue.retrieve import retrieve_table
from valuechain.glue.smk import rule_io, setup


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params
    digest = retrieve_table(p.url, snakemake.output.table, member=p.member or None, sha256=p.sha256)
    stamp(snakemake.output.table, digest)
    if not p.sha256:
        log.info("%s: sha256 %s not pinned; add it to icio.retrieve.sha256", snakemake.output.table, digest)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
