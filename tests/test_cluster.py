"""The SLURM profile's checks (valuechain.glue.cluster) and the profile as shipped."""

from pathlib import Path

import yaml

from valuechain.glue.cluster import VARIABLES, capped_threads, largest_node_cpus, slurm_resources, unset_variables

ROOT = Path(__file__).resolve().parents[1]


def test_the_account_and_partition_come_from_the_environment_and_an_unset_one_is_named():
    args = ["mem_mb=4000", "slurm_account='$VALUECHAIN_SLURM_ACCOUNT'", "slurm_partition='${VALUECHAIN_SLURM_PARTITION}'"]
    resources = slurm_resources(args)
    assert resources == {"slurm_account": "'$VALUECHAIN_SLURM_ACCOUNT'",
                         "slurm_partition": "'${VALUECHAIN_SLURM_PARTITION}'"}
    assert unset_variables(resources, {}) == list(VARIABLES)
    assert unset_variables(resources, {"VALUECHAIN_SLURM_ACCOUNT": "proj1"}) == ["VALUECHAIN_SLURM_PARTITION"]
    assert unset_variables(resources, dict.fromkeys(VARIABLES, "")) == []  # empty: the cluster's default
    assert slurm_resources(["mem_mb=1000", "runtime=60"]) == {}


def test_threads_never_exceed_the_largest_node():
    assert largest_node_cpus("2\n") == 2
    assert largest_node_cpus("  16\n48+\n8\n") == 48
    assert largest_node_cpus("") is None
    assert capped_threads(None, 2) == 2 and capped_threads(8, 2) == 2 and capped_threads(1, 2) == 1
    assert capped_threads(4, None) == 4


def test_the_shipped_profile_reads_the_account_and_partition_and_retries_no_data_error():
    profile = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    resources = profile["default-resources"]
    assert unset_variables(slurm_resources(f"{k}={v}" for k, v in resources.items()), {}) == list(VARIABLES)
    assert profile["retries"] == 0 and profile["slurm-requeue"] is True
    assert profile["slurm-status-command"] == "squeue"
