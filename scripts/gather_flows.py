"""Rule gather_flows: the blocks of allocate_flows put together into the Hive-partitioned flows dataset (partition
``chapter``, the input's HS2 chapter) and its summary. Query it with DuckDB or pyarrow.dataset (README).

The blocks' files are hard-linked (copied where the file system cannot link), never rewritten, so the dataset is
the same bytes whatever the number of blocks; it appears whole or not at all (built in a temporary folder).
"""

import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from valuechain.provenance import TableWriter
from valuechain.smk import rule_io, setup


def main(snakemake) -> None:
    log = setup(snakemake)
    parts = [Path(p) for p in snakemake.input.parts]
    out = Path(snakemake.output.flows)
    for stale in out.parent.glob(f".{out.name}.tmp-*"):  # left by a run that was killed before its clean-up
        log.warning("removing the stale temporary %s", stale)
        shutil.rmtree(stale, ignore_errors=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    files = 0
    try:
        tmp.mkdir(parents=True)
        for part in parts:
            for f in sorted(part.glob("chapter=*/*.parquet")):
                dest = tmp / f.relative_to(part)
                dest.parent.mkdir(exist_ok=True)
                try:
                    os.link(f, dest)
                except OSError:
                    shutil.copyfile(f, dest)
                files += 1
        shutil.rmtree(out, ignore_errors=True)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    # The blocks' summaries in order, with their provenance (the same in every block): the trade, links and params.
    summary = pa.concat_tables([pq.read_table(p / "summary.parquet") for p in parts]).combine_chunks()
    with TableWriter(snakemake.output.summary, {}) as f:
        f.write(summary)
    log.info("%d blocks: %d files, %d summary rows", len(parts), files, summary.num_rows)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
