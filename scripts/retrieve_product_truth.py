"""Rule retrieve_product_truth: one product-truth table from the data mirror or its URL (valuechain.glue.retrieve); its
sha256 is recorded beside it, where the rules reading it check it (valuechain.glue.provenance.check_input)."""

from pathlib import Path

from valuechain.glue.provenance import stamp
from valuechain.glue.retrieve import retrieve
from valuechain.glue.smk import rule_io, setup


def main(snakemake) -> None:
    setup(snakemake)
    f = snakemake.params.file
    mirror = snakemake.config.get("data_mirror")  # not a param: see the rule
    mirror = Path(mirror) / "product_truth" if mirror else None
    convert = f.get("convert")
    if convert and convert.get("names"):  # the project's name table, committed in the repository
        convert = {**convert, "names": str(Path(snakemake.scriptdir).parent / convert["names"])}
    digest = retrieve(f["name"], snakemake.output[0], mirror, f.get("url"), f.get("sha256"), f.get("source", ""),
                      f.get("url_sha256"), convert)
    stamp(snakemake.output[0], digest)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
