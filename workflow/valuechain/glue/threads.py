"""The threads a stage computes with: DuckDB's and the BLAS libraries' follow the rule's ``threads``.

Left alone, DuckDB takes as many threads as the machine shows (a SLURM job's allocation, a laptop's cores) and
OpenBLAS as many as its build allows, so the same rule would split its work differently on a laptop and on a
cluster node. A rule script calls :func:`use_threads` with its ``threads`` (:func:`valuechain.glue.smk.setup` does),
and every DuckDB connection of the library is opened with :func:`duckdb_connect`.
"""

from __future__ import annotations

from typing import Any

#: Threads of this process's stage; None outside a rule (a library user's own session keeps the defaults).
_threads: int | None = None


def use_threads(n: int | None) -> None:
    """Compute with ``n`` threads from now on: BLAS through threadpoolctl, DuckDB in every :func:`duckdb_connect`."""
    global _threads
    if n is None:
        return
    if int(n) < 1:
        raise ValueError(f"threads must be at least 1, not {n}")
    from threadpoolctl import threadpool_limits

    _threads = int(n)
    threadpool_limits(limits=_threads)


def duckdb_connect(**config: Any):
    """A DuckDB in-memory connection with the stage's threads (:func:`use_threads`) and ``config``."""
    import duckdb

    if _threads is not None:
        config.setdefault("threads", _threads)
    return duckdb.connect(config=config)
