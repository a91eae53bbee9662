"""The workflow on a real SLURM cluster (tests/slurm_cluster.py): the small configuration through the shipped
profile, as a user runs it, gives the same bytes as the local run. Every job runs on 1 thread (--max-threads 1)
where the local run gives ingestion, cleaning, the link models and the p-values 2: the same comparison checks a
cluster against a laptop and 1 thread against 2. The node has 2 CPUs, so that two jobs run at once, and a dry
run asking for more threads than that shows the profile capping them at the node's CPUs."""

import json
import subprocess
import sys
import time

import pytest
from conftest import manifest_sha256, workflow_copy
from slurm_cluster import missing_reason, slurm_cluster

pytestmark = pytest.mark.slurm


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if missing_reason():
        pytest.skip(missing_reason())
    with slurm_cluster(tmp_path_factory.mktemp("slurm"), cpus=2) as env:
        yield env


def test_the_small_run_through_the_slurm_profile_gives_the_local_bytes(cluster, small_run, tmp_path_factory):
    work = workflow_copy(tmp_path_factory, "slurm-run")
    env = {**cluster, "VALUECHAIN_SLURM_ACCOUNT": "", "VALUECHAIN_SLURM_PARTITION": ""}
    start = time.monotonic()
    command = [sys.executable, "-m", "snakemake", "--workflow-profile", "profiles/slurm", "--configfile",
               "config/test/small.yaml", "--jobs", "4",
               # the test cluster answers at once: poll every 5 s, not the executor's 40 s and more
               "--slurm-init-seconds-before-status-checks", "5"]
    dry = subprocess.run([*command, "--max-threads", "8", "-n"], cwd=work, env=env, capture_output=True, text=True,
                         timeout=300)
    assert "threads capped at 2, the CPUs of the largest node of the partition" in dry.stdout + dry.stderr
    proc = subprocess.run([*command, "--max-threads", "1"], cwd=work, env=env, capture_output=True, text=True,
                          timeout=3600)
    seconds = time.monotonic() - start
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    log = proc.stdout + proc.stderr
    submitted = log.count("has been submitted with SLURM jobid")
    assert submitted > 50, log[-3000:]
    local, slurm = manifest_sha256(small_run), manifest_sha256(work / "results" / "test-small")
    assert [path for path in local if slurm.get(path) != local[path]] == [] and slurm.keys() == local.keys()
    # measured for docs/cluster.md: jobs through sbatch and the wall time of the run
    (work / "slurm_run.json").write_text(json.dumps({"jobs": submitted, "seconds": round(seconds, 1)}))
    print(f"\nSLURM run: {submitted} jobs through sbatch in {seconds:.0f} s")
