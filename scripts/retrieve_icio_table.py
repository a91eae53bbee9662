"""Rule retrieve_icio_table: download one year's ICIO table (from its zip archive when a member is configured)."""

from valuechain.retrieve import retrieve_table
from valuechain.smk import setup

log = setup(snakemake)
p = snakemake.params
digest = retrieve_table(p.url, snakemake.output.table, member=p.member or None, sha256=p.sha256)
if not p.sha256:
    log.info("%s: sha256 %s not pinned; add it to icio.retrieve.sha256", snakemake.output.table, digest)
