"""Rule write_manifest: results/<run>/MANIFEST.json lists every artifact with its sha256 and rows."""

import json

from valuechain.glue.provenance import build_manifest, write_atomic
from valuechain.glue.smk import rule_io, setup


def main(snakemake) -> None:
    log = setup(snakemake)
    manifest = build_manifest(snakemake.params.root, snakemake.input.artifacts)
    manifest["skipped"] = snakemake.params.skipped  # stages this run does not have, and why
    for stage, why in manifest["skipped"].items():
        log.info("skipped: %s (%s)", stage, why)
    write_atomic(snakemake.output.manifest, json.dumps(manifest, indent=2))
    log.info("%d artifacts", len(manifest["artifacts"]))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
