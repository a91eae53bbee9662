"""A real one-node SLURM cluster for the tests, from Debian's packages (slurmctld, slurmd, munge; slurm-client for
sbatch, squeue, sinfo): its daemons run as the current user in a temporary folder, with their own munge socket,
ports, state and logs, and are stopped when the ``with`` block ends. No slurmdbd: accounting is disabled, as on the
smallest clusters, and the profile's status polling must work without it."""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

TOOLS = ("munged", "slurmctld", "slurmd", "sbatch", "srun", "squeue", "sinfo")
PACKAGES = "slurmctld slurmd munge slurm-client"


def missing_reason() -> str | None:
    """Why no cluster can start here (the tools it needs that are not installed), or None."""
    missing = [tool for tool in TOOLS if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists()]
    if missing:
        return f"no SLURM here ({', '.join(missing)} missing; apt-get install {PACKAGES}, as .ci/run does)"
    return None


def _tool(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    raise RuntimeError("no MemTotal in /proc/meminfo")


def _wait(check, what: str, timeout: float = 30.0, logs: list[Path] = ()) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.5)
    tails = "\n".join(f"--- {log}:\n{log.read_text()[-2000:]}" for log in logs if log.exists())
    raise RuntimeError(f"the test cluster did not come up: {what}\n{tails}")


@contextmanager
def slurm_cluster(folder: Path, cpus: int | None = None):
    """Start munged, slurmctld and slurmd in ``folder``; yield the environment that points sbatch, squeue and
    sinfo at them (``SLURM_CONF``). One node with this machine's memory and ``cpus`` of its CPUs (default all),
    one default partition."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "state").mkdir()
    (folder / "spool").mkdir()
    key = folder / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o600)
    user, host = getpass.getuser(), socket.gethostname().split(".")[0]
    ctld_port, slurmd_port = _free_ports(2)
    conf = folder / "slurm.conf"
    conf.write_text(f"""ClusterName=valuechain-test
SlurmctldHost={host}
SlurmUser={user}
SlurmdUser={user}
AuthType=auth/munge
AuthInfo=socket={folder}/munge.sock
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SlurmctldPidFile={folder}/slurmctld.pid
SlurmctldPort={ctld_port}
SlurmdPidFile={folder}/slurmd.pid
SlurmdPort={slurmd_port}
SlurmdSpoolDir={folder}/spool
StateSaveLocation={folder}/state
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SlurmctldLogFile={folder}/slurmctld.log
SlurmdLogFile={folder}/slurmd.log
MinJobAge=600
NodeName={host} CPUs={cpus or os.cpu_count()} RealMemory={_memory_mb() - 512} State=UNKNOWN
PartitionName=test Nodes={host} Default=YES MaxTime=INFINITE State=UP
""")
    # Snakemake's job step runs each job through srun with the job's SLURM_* variables removed, so srun looks for
    # the configuration where a real cluster keeps it (/etc/slurm, or configless); this one names it instead.
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    srun = bin_dir / "srun"
    srun.write_text(f'#!/bin/sh\nSLURM_CONF={conf} exec {shutil.which("srun") or "/usr/bin/srun"} "$@"\n')
    srun.chmod(0o755)
    env = {**os.environ, "SLURM_CONF": str(conf), "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    pids = []
    try:
        subprocess.run([_tool("munged"), f"--key-file={key}", f"--socket={folder}/munge.sock",
                        f"--pid-file={folder}/munged.pid", f"--log-file={folder}/munged.log",
                        f"--seed-file={folder}/munge.seed", "--force"], check=True, capture_output=True, env=env)
        pids.append(folder / "munged.pid")
        subprocess.run([_tool("slurmctld"), "-c"], check=True, capture_output=True, env=env)
        pids.append(folder / "slurmctld.pid")
        subprocess.run([_tool("slurmd"), "-c"], check=True, capture_output=True, env=env)
        pids.append(folder / "slurmd.pid")
        logs = [folder / "slurmctld.log", folder / "slurmd.log"]

        def idle() -> bool:
            out = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, env=env).stdout
            return out.strip() == "idle"

        _wait(idle, "the node is not idle", logs=logs)
        yield env
    finally:
        subprocess.run(["scancel", "--user", user], capture_output=True, env=env)
        for pid_file in reversed(pids):
            if pid_file.exists():
                try:
                    os.kill(int(pid_file.read_text().split()[0]), signal.SIGTERM)
                except (ProcessLookupError, ValueError):
                    pass
        time.sleep(1)
