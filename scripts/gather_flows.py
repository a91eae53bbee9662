"""Rule gather_flows: the blocks of allocate_flows put together into the Hive-partitioned flows dataset (partition
``chapter``, the input's HS2 chapter). Query it with DuckDB or pyarrow.dataset (README).

The blocks' files are hard-linked, never rewritten, so the dataset is the same bytes whatever the number of blocks,
and it appears whole or not at all (valuechain.flows.allocation.gather_dataset).
"""

from pathlib import Path

from valuechain.flows.allocation import gather_dataset
from valuechain.glue.smk import rule_io, setup


def main(snakemake) -> None:
    log = setup(snakemake)
    parts = [Path(p) for p in snakemake.input.parts]
    files = gather_dataset(parts, snakemake.output.flows)
    log.info("%d blocks: %d files", len(parts), files)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
