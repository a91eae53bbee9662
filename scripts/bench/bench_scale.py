"""The whole workflow at three scales, from scratch, with the scale figures printed side by side:

- the demo (400 HS4 products), config/bench/hs4.yaml (1,200 HS4 products) and config/bench/hs6.yaml (5,000 HS6
  products x about 300 regions, 60 partners, 4 years: about 93M trade rows);
- per run: wall time (every rule, shared stages included: --forceall), the largest peak memory of any rule, the rows
  and bytes of the trade tables and of the largest artifacts (MANIFEST.json);
- per rule: its measured peak (the kernel's high-water mark each script logs at exit, what /usr/bin/time -v
  reports, not Snakemake's sampled benchmark TSV) against the mem_mb the rule declares (by_input_size in
  workflow/rules/common.smk); a rule whose peak exceeds its declaration is flagged.

Run: python scripts/bench/bench_scale.py [--runs demo hs4 hs6] [--cores 2] [--scatter flows=8 validated=8]
(--scatter: the heavy stages as that many jobs, as on a cluster; a scattered rule's peak is that of its largest job)
"""

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = {"demo": None, "hs4": "config/bench/hs4.yaml", "hs6": "config/bench/hs6.yaml"}
RUN_NAMES = {"demo": "demo", "hs4": "bench-hs4", "hs6": "bench-hs6"}
PEAK = re.compile(r"INFO (\S+): peak memory (\d+) MB \(mem_mb (\S+)\)")


def run(name: str, cores: int, scatter: list[str]) -> dict:
    cmd = [sys.executable, "-m", "snakemake", "--cores", str(cores), "--forceall", "--quiet"]
    if scatter:
        cmd += ["--set-scatter", *scatter]
    if CONFIGS[name]:
        cmd += ["--configfile", CONFIGS[name]]
    started = time.time()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.time() - started
    if proc.returncode:
        sys.exit(f"{name}: snakemake failed\n{proc.stderr[-3000:]}")
    results = ROOT / "results" / RUN_NAMES[name]
    peaks = {}
    for log in (ROOT / "logs").rglob("*.log"):
        if log.stat().st_mtime < started:  # another run's, or a shared stage of another configuration
            continue
        for rule, mb, declared in PEAK.findall(log.read_text(errors="replace")):
            peak = (int(mb), None if declared == "None" else int(declared))
            peaks[rule] = max(peaks.get(rule, peak), peak, key=lambda t: t[0])
    artifacts = json.loads((results / "MANIFEST.json").read_text())["artifacts"]
    for a in artifacts:  # shared stages are listed from the project root, the run's own artifacts from results/<run>
        path = ROOT / a["path"] if a["path"].startswith("results/") else results / a["path"]
        a["bytes"] = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else \
            path.stat().st_size
    return {"wall": wall, "peaks": peaks, "artifacts": {a["path"]: a for a in artifacts}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--scatter", nargs="+", default=[], metavar="NAME=N", help="passed to snakemake --set-scatter")
    args = ap.parse_args()
    results = {}
    for name in args.runs:
        print(f"running {name} ...", flush=True)
        results[name] = run(name, args.cores, args.scatter)

    print(f"\n{'run':6} {'wall s':>8} {'peak MB':>8}  {'rule at peak':24} {'trade rows':>12} {'flows rows':>12} "
          f"{'flows MB':>9}")
    for name, r in results.items():
        rule, (mb, _) = max(r["peaks"].items(), key=lambda kv: kv[1][0])
        trade_rows = pq.ParquetFile(ROOT / "results" / RUN_NAMES[name] / "data" / "trade.parquet").metadata.num_rows
        flows = r["artifacts"]["flows/dataset"]
        print(f"{name:6} {r['wall']:8.0f} {mb:8d}  {rule:24} {trade_rows:12,d} {flows['rows']:12,d} "
              f"{flows['bytes'] / 1e6:9.0f}")

    for name, r in results.items():
        print(f"\n{name}: peak memory per rule (MB, measured at exit) against the declared mem_mb")
        print(f"  {'rule':28} {'peak':>7} {'mem_mb':>7}")
        for rule, (mb, declared) in sorted(r["peaks"].items(), key=lambda kv: -kv[1][0]):
            flag = "  OVER" if declared is not None and mb > declared else ""
            print(f"  {rule:28} {mb:7d} {declared if declared is not None else '-':>7}{flag}")
        print(f"\n{name}: the largest artifacts")
        print(f"  {'artifact':48} {'rows':>12} {'MB':>9}")
        for a in sorted(r["artifacts"].values(), key=lambda a: -a["bytes"])[:12]:
            print(f"  {a['path'][-48:]:48} {a.get('rows') or 0:12,d} {a['bytes'] / 1e6:9.1f}")


if __name__ == "__main__":
    main()
