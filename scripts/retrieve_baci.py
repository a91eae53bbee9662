"""Rule retrieve_baci: the BACI release archive, copied from data_mirror/baci/ or downloaded from cepii.fr
(valuechain.glue.retrieve: streamed, resumable, retried; sha256 logged, and checked when pinned)."""

from pathlib import Path

from valuechain.glue.provenance import stamp
from valuechain.glue.retrieve import pinned_intermediates, retrieve
from valuechain.glue.smk import rule_io, setup


def main(snakemake) -> None:
    setup(snakemake)
    out = Path(snakemake.output[0])
    mirror = snakemake.config.get("data_mirror")
    digest = retrieve(out.name, out, Path(mirror) / "baci" if mirror else None, snakemake.params.url,
                      sha256=snakemake.params.sha256, source="CEPII BACI",
                      intermediates=pinned_intermediates(snakemake.config.get("tls_intermediates")))
    stamp(out, digest)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
