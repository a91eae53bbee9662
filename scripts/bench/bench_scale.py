"""The whole workflow at every scale, from scratch, with the scale figures printed side by side:

- the demo (400 HS4 products, 278 regions), config/bench/hs4.yaml (1,200 HS4 products), config/bench/hs6.yaml (5,000
  HS6 products x about 300 regions, 60 partners, 4 years: about 93M trade rows), config/bench/municipalities.yaml
  (Brazil's 5,570 municipalities beside seven countries' states, 1,200 HS4 products, 60 partners, one year) and
  config/bench/baci.yaml (a world run on a BACI-shaped release: about 220 countries, HS6, 10 years; the archive is
  generated first by scripts/bench/baci_world.py when missing);
- per run: wall time (every rule, shared stages included: --forceall), the largest peak memory of any rule, the rows
  and bytes of the trade tables and of the largest artifacts (MANIFEST.json);
- per rule: its measured peak (the kernel's high-water mark each script logs at exit, what /usr/bin/time -v
  reports, not Snakemake's sampled benchmark TSV) against the mem_mb the rule declares (by_input_size in
  workflow/rules/common.smk); a rule whose peak exceeds its declaration is flagged;
- the flows both ways: as every region pair (the flows dataset, rules allocate_flows and gather_flows; for a run
  whose config leaves it out, made afterwards with flows.dataset: true) and as the three factor tables (rule
  flow_factors): rows, bytes, the rules' time and peak memory, and the time of the questions a user asks of one link
  and of one region pair (sum, the 20 largest pairs, by country pair), each in a fresh DuckDB connection; with a
  check that both forms give the same numbers on a sample of 25 links.

Run: python scripts/bench/bench_scale.py [--runs demo hs4 hs6 municipalities baci] [--cores 2]
[--scatter flows=8 validated=8] (--scatter: the heavy stages as that many jobs, as on a cluster; a scattered rule's
peak is that of its largest job)
"""

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "workflow"))
from valuechain.flows.allocation import link_matrix, prepare  # noqa: E402
from valuechain.flows.factors import FLOWS_SQL, flow_factors  # noqa: E402
from valuechain.flows.query import query_flows  # noqa: E402
from valuechain.glue.threads import duckdb_connect  # noqa: E402

CONFIGS = {"demo": None, "hs4": "config/bench/hs4.yaml", "hs6": "config/bench/hs6.yaml",
           "municipalities": "config/bench/municipalities.yaml", "baci": "config/bench/baci.yaml"}
RUN_NAMES = {"demo": "demo", "hs4": "bench-hs4", "hs6": "bench-hs6", "municipalities": "bench-municipalities",
             "baci": "bench-baci"}
PEAK = re.compile(r"INFO (\S+): peak memory (\d+) MB \(mem_mb (\S+)\)")
FLOW_RULES = {"dataset": ("allocate_flows", "gather_flows"), "factors": ("flow_factors",)}


def snakemake(name: str, cores: int, *args: str, configs: tuple[str, ...] = (), targets: tuple[str, ...] = ()) -> float:
    """Run the workflow with the run's config (and ``configs`` over it); wall seconds."""
    configs = tuple(filter(None, [CONFIGS[name], *configs]))
    cmd = [sys.executable, "-m", "snakemake", "--cores", str(cores), "--quiet", *args]
    if configs:
        cmd += ["--configfile", *configs, "--"]
    cmd += targets
    started = time.time()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode:
        sys.exit(f"{name}: snakemake failed\n{proc.stderr[-3000:]}")
    return time.time() - started


def peaks_since(started: float) -> dict[str, tuple[int, int | None]]:
    """Each rule's largest logged peak (MB) and declared mem_mb, from the logs written since ``started``."""
    peaks = {}
    for log in (ROOT / "logs").rglob("*.log"):
        if log.stat().st_mtime < started:  # another run's, or a shared stage of another configuration
            continue
        for rule, mb, declared in PEAK.findall(log.read_text(errors="replace")):
            peak = (int(mb), None if declared == "None" else int(declared))
            peaks[rule] = max(peaks.get(rule, peak), peak, key=lambda t: t[0])
    return peaks


def rule_seconds(run: str, rules) -> float:
    """Wall seconds of the rules' jobs (Snakemake's benchmark files; a scattered rule's blocks added up)."""
    files = [f for rule in rules for f in [*(ROOT / "benchmarks" / run).glob(f"{rule}.tsv"),
                                           *(ROOT / "benchmarks" / run / rule).glob("*.tsv")]]
    return sum(float(f.read_text().splitlines()[1].split("\t")[0]) for f in files)


def size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size


def rows(path: Path) -> int:
    files = sorted(path.rglob("*.parquet")) if path.is_dir() else [path]
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files)


def questions(flows: Path, link: tuple[str, str], pair: tuple[str, str]) -> dict[str, float]:
    """Seconds of each question a user asks, on one link and one region pair, each a fresh query_flows call."""
    (i, o), (a, b) = link, pair
    on_link = f"input = '{i}' AND output = '{o}'"
    on_pair = f"region_from = '{a}' AND region_to = '{b}'"
    sql = {
        "link: sum": f"SELECT sum(value), sum(lower), sum(upper) FROM flows WHERE {on_link}",
        "link: top 20 pairs": f"SELECT region_from, region_to, value FROM flows WHERE {on_link} "
                              "ORDER BY value DESC, region_from, region_to LIMIT 20",
        "link: by country": f"SELECT country_from, country_to, sum(value) FROM flows WHERE {on_link} GROUP BY ALL",
        "pair: sum": f"SELECT sum(value) FROM flows WHERE {on_pair}",
        "pair: top 20 links": f"SELECT input, output, value FROM flows WHERE {on_pair} "
                              "ORDER BY value DESC, input, output LIMIT 20",
    }
    seconds = {}
    for name, q in sql.items():
        started = time.time()
        query_flows(flows, q)
        seconds[name] = time.time() - started
    return seconds


def same_numbers(factors: Path, dataset: Path, links: pd.DataFrame) -> bool:
    """Both forms give the same rows and numbers for each of ``links``."""
    for i, o in links.itertuples(index=False):
        q = ("SELECT country_from, region_from, country_to, region_to, value, lower, upper FROM flows "
             f"WHERE input = '{i}' AND output = '{o}' ORDER BY ALL")
        a, b = query_flows(factors, q), query_flows(dataset, q)
        if not a.astype({c: str for c in a.columns[:4]}).equals(b.astype({c: str for c in b.columns[:4]})):
            return False
    return True


def flows_both_ways(name: str, cores: int, results: Path) -> dict:
    """The flows as their factors and as every region pair: sizes, time, peaks, question times, equality."""
    flows = results / "flows"
    out = {"factors": {"rows": sum(rows(flows / "factors" / f"{t}.parquet") for t in ("exporters", "importers",
                                                                                        "users")),
                       "bytes": size(flows / "factors"),
                       "seconds": rule_seconds(RUN_NAMES[name], FLOW_RULES["factors"])}}
    made = None
    if not (flows / "dataset").exists():  # this run's config leaves it out: make it now, to compare
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write("flows:\n  dataset: true\n")
        made = time.time()
        snakemake(name, cores, configs=(f.name,), targets=(f"results/{RUN_NAMES[name]}/flows/dataset",))
    out["dataset"] = {"rows": rows(flows / "dataset"), "bytes": size(flows / "dataset"),
                      "seconds": rule_seconds(RUN_NAMES[name], FLOW_RULES["dataset"])}
    if made:
        out["dataset"]["peaks"] = peaks_since(made)
    countries = pd.read_parquet(flows / "largest_country_pairs.parquet")
    link = tuple(countries.groupby(["input", "output"])["value"].sum().idxmax())
    top = pd.read_parquet(flows / "largest_region_pairs.parquet").iloc[0]
    pair = (top["region_from"], top["region_to"])
    for form in ("factors", "dataset"):
        out[form]["questions"] = questions(flows / form, link, pair)
    sample = countries[["input", "output"]].drop_duplicates().sample(25, random_state=0, replace=True)
    out["identical"] = same_numbers(flows / "factors", flows / "dataset", sample.drop_duplicates())
    out["link"], out["pair"] = link, pair
    return out


def growth_in_regions(results: Path, country: str = "BRA", shares=(0.125, 0.25, 0.5, 1.0)) -> list[dict]:
    """The flows' sizes as the regions grow: the run's trade with a random share of ``country``'s regions (the
    other countries', the products and the links unchanged), its factor tables' rows and Parquet bytes, and the
    rows of every region pair they give (counted by DuckDB, never written)."""
    trade = pd.read_parquet(results / "clean/trade.parquet")
    links = pd.read_parquet(results / "links/final.parquet")
    regions = np.sort(trade.loc[trade["country"] == country, "region"].unique().astype(str))
    rng = np.random.default_rng(0)
    out = []
    for share in shares:
        kept = set(rng.choice(regions, int(round(share * len(regions))), replace=False))
        sub = trade[(trade["country"] != country) | trade["region"].astype(str).isin(kept)]
        data = prepare(sub)
        L = link_matrix(links, data.products)
        tables = flow_factors(data, L, np.flatnonzero(L.any(axis=1)))
        with tempfile.TemporaryDirectory() as tmp, duckdb_connect() as con:
            nbytes = 0
            for name, table in tables.items():
                table.to_parquet(Path(tmp) / f"{name}.parquet", compression="zstd")
                nbytes += (Path(tmp) / f"{name}.parquet").stat().st_size
                con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{Path(tmp) / name}.parquet')")
            pairs = con.execute(f"SELECT count(*) FROM ({FLOWS_SQL.format(min_value=1000.0)})").fetchall()[0][0]
        out.append({"regions": len(data.regions), "factor_rows": sum(map(len, tables.values())),
                    "factor_bytes": nbytes, "flow_rows": pairs})
    return out


def run(name: str, cores: int, scatter: list[str]) -> dict:
    if name == "baci" and not (ROOT / "resources/bench/BACI_HS92_V202501.zip").exists():
        subprocess.run([sys.executable, "scripts/bench/baci_world.py"], cwd=ROOT, check=True)
    started = time.time()
    wall = snakemake(name, cores, "--forceall", *(["--set-scatter", *scatter] if scatter else []))
    results = ROOT / "results" / RUN_NAMES[name]
    peaks = peaks_since(started)
    artifacts = json.loads((results / "MANIFEST.json").read_text())["artifacts"]
    for a in artifacts:  # shared stages are listed from the project root, the run's own artifacts from results/<run>
        a["bytes"] = size(ROOT / a["path"] if a["path"].startswith("results/") else results / a["path"])
    return {"wall": wall, "peaks": peaks, "artifacts": {a["path"]: a for a in artifacts},
            "regions": pd.read_parquet(results / "clean/trade.parquet", columns=["country", "region"])
            .drop_duplicates().shape[0],
            "flows": flows_both_ways(name, cores, results),
            "growth": growth_in_regions(results) if name == "municipalities" else None}


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

    print(f"\n{'run':15} {'regions':>8} {'wall s':>7} {'peak MB':>8}  {'rule at peak':24} {'trade rows':>12}")
    for name, r in results.items():
        rule, (mb, _) = max(r["peaks"].items(), key=lambda kv: kv[1][0])
        trade_rows = rows(ROOT / "results" / RUN_NAMES[name] / "data" / "trade.parquet")
        print(f"{name:15} {r['regions']:8,d} {r['wall']:7.0f} {mb:8d}  {rule:24} {trade_rows:12,d}")

    print("\nThe flows as every region pair (dataset) and as their three factors; question times in ms")
    names = list(next(iter(results.values()))["flows"]["factors"]["questions"])
    print(f"{'run':15} {'form':8} {'rows':>12} {'MB':>8} {'rule s':>7} " + " ".join(f"{q:>18}" for q in names))
    for name, r in results.items():
        f = r["flows"]
        for form in ("dataset", "factors"):
            x = f[form]
            print(f"{name:15} {form:8} {x['rows']:12,d} {x['bytes'] / 1e6:8.1f} {x['seconds']:7.1f} "
                  + " ".join(f"{x['questions'][q] * 1000:18.0f}" for q in names))
        ratio = f["dataset"]["bytes"] / f["factors"]["bytes"]
        print(f"{'':15} dataset/factors bytes {ratio:.1f}x; the same numbers on 25 links: {f['identical']}; "
              f"link {f['link'][0]} -> {f['link'][1]}, pair {f['pair'][0]} -> {f['pair'][1]}")

    for name, r in results.items():
        if r["growth"]:
            print(f"\n{name}: the flows as Brazil's municipalities grow (a random share of them; the rest unchanged)")
            print(f"{'regions':>8} {'factor rows':>12} {'factor MB':>10} {'rows/region':>12} {'flow rows':>12} "
                  f"{'rows/region':>12}")
            for g in r["growth"]:
                print(f"{g['regions']:8,d} {g['factor_rows']:12,d} {g['factor_bytes'] / 1e6:10.1f} "
                      f"{g['factor_rows'] / g['regions']:12,.0f} {g['flow_rows']:12,d} "
                      f"{g['flow_rows'] / g['regions']:12,.0f}")

    for name, r in results.items():
        print(f"\n{name}: peak memory per rule (MB, measured at exit) against the declared mem_mb")
        print(f"  {'rule':28} {'peak':>7} {'mem_mb':>7}")
        for rule, (mb, declared) in sorted(r["peaks"].items(), key=lambda kv: -kv[1][0]):
            flag = "  OVER" if declared is not None and mb > declared else ""
            print(f"  {rule:28} {mb:7d} {declared if declared is not None else '-':>7}{flag}")
        for rule, (mb, declared) in r["flows"]["dataset"].get("peaks", {}).items():
            flag = "  OVER" if declared is not None and mb > declared else ""
            print(f"  {rule + ' (dataset, after)':28} {mb:7d} {declared if declared is not None else '-':>7}{flag}")
        print(f"\n{name}: the largest artifacts")
        print(f"  {'artifact':48} {'rows':>12} {'MB':>9}")
        for a in sorted(r["artifacts"].values(), key=lambda a: -a["bytes"])[:12]:
            print(f"  {a['path'][-48:]:48} {a.get('rows') or 0:12,d} {a['bytes'] / 1e6:9.1f}")


if __name__ == "__main__":
    main()
