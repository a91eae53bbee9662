"""Rule retrieve_data: one reference data set from the data mirror or its URL, converted when it is R data
(valuechain.glue.retrieve); its sha256 is recorded beside it, where the rules reading it check it
(valuechain.glue.provenance.check_input)."""

from pathlib import Path

from valuechain.glue.provenance import stamp
from valuechain.glue.retrieve import retrieve
from valuechain.glue.smk import rule_io, setup


def main(snakemake) -> None:
    setup(snakemake)
    f = snakemake.params.file
    mirror = snakemake.config.get("data_mirror")  # not a param: see the rule
    # the project's own tables are committed in the repository, which is their mirror
    folder = (Path(snakemake.scriptdir).parent / f["repository"] if f.get("repository")
              else Path(mirror) / f["folder"] if mirror else None)
    digest = retrieve(f["name"], snakemake.output[0], folder, f["url"], f["sha256"], f["source"], f.get("url_sha256"),
                      f.get("convert"))
    stamp(snakemake.output[0], digest)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
