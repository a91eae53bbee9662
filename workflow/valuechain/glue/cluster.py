"""Checks of the SLURM profile before anything is submitted: the account and partition it reads from the
environment, and threads capped at what a node of the cluster has (docs/cluster.md)."""

from __future__ import annotations

import re
from typing import Iterable, Mapping

#: The profile's SLURM settings read from the environment (empty: the cluster's default).
VARIABLES = ("VALUECHAIN_SLURM_ACCOUNT", "VALUECHAIN_SLURM_PARTITION")
_REFERENCE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


def slurm_resources(args: Iterable[str]) -> dict[str, str]:
    """The ``slurm_*`` default resources among Snakemake's ``name=value`` resource arguments, unevaluated."""
    pairs = (arg.split("=", 1) for arg in args if "=" in arg)
    return {name.strip(): value.strip() for name, value in pairs if name.strip().startswith("slurm_")}


def unset_variables(resources: Mapping[str, str], environ: Mapping[str, str]) -> list[str]:
    """The environment variables the resources name (``$NAME`` or ``${NAME}``) that are not set, in order."""
    names = [name for value in resources.values() for name in _REFERENCE.findall(value)]
    return [name for name in dict.fromkeys(names) if name not in environ]


def largest_node_cpus(sinfo: str) -> int | None:
    """The most CPUs of one node in ``sinfo -h -o %c`` output (one count per line or node group, ``8+`` where a
    group's nodes differ); None when it lists none."""
    counts = [int(m) for m in re.findall(r"^\s*(\d+)\+?\s*$", sinfo, flags=re.M)]
    return max(counts) if counts else None


def capped_threads(max_threads: int | None, node_cpus: int | None) -> int | None:
    """The ``max-threads`` to run with: at most a node's CPUs, since a job asking for more stays pending for ever."""
    if node_cpus is None:
        return max_threads
    return node_cpus if max_threads is None else min(max_threads, node_cpus)
