"""Rule retrieve_oecd_icio: download the OECD ICIO archive once and extract the configured years' CSVs
(valuechain.glue.retrieve.retrieve_members: streamed, resumable, retried; each CSV checked against its pinned sha256 and
renamed into place only then).

Runs only when the configured CSVs are absent; Snakemake's ensure() checks each CSV again. The sha256 found is
logged so it can be pinned, and recorded beside each CSV, where the rules reading it check it
(valuechain.glue.provenance.check_input).
"""

from valuechain.glue.provenance import stamp
from valuechain.glue.retrieve import retrieve_members
from valuechain.glue.smk import rule_io, setup


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params
    members = {p.member.format(year=year): target for year, target in zip(p.years, snakemake.output)}
    pins = {p.member.format(year=year): p.sha256.get(str(year), p.sha256.get(year)) for year in p.years}
    digests = retrieve_members(p.url, members, pins)
    for member, target in members.items():
        stamp(target, digests[member])
        log.info("%s -> %s, sha256 %s", member, target, digests[member])


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
