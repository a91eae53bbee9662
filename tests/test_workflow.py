"""The workflow end to end through Snakemake: dry run, a full small run, and what reruns after a change."""

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from valuechain.flows.allocation import allocate_chunk, link_matrix, prepare
from valuechain.flows.query import query_flows
from valuechain.glue.provenance import read_metadata
from valuechain.trade.baci import GROUP_REASON, LEGACY_REASON
from valuechain.trade.canonical import AGGREGATE_REASON, NATIONAL_REASON
from valuechain.trade.clean import PSEUDO_REASON
from valuechain.trade.public import CENSUS_TOTAL_REASON

SNAKEMAKE = [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "config/test/small.yaml"]
pytestmark = pytest.mark.workflow


def snakemake(work, *args, check=True, env=None):
    proc = subprocess.run([*SNAKEMAKE, *args], cwd=work, capture_output=True, text=True, timeout=900, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return proc


def planned_jobs(work, *args) -> set[str]:
    """Rules a dry run would execute (from Snakemake's job stats table)."""
    out = snakemake(work, "-n", *args).stdout
    if "Nothing to be done" in out:
        return set()
    stats = out.split("Job stats:")[1].split("Reasons:")[0] if "Reasons:" in out else out.split("Job stats:")[1]
    return {m.group(1) for m in re.finditer(r"^(\w+)\s+\d+$", stats, re.M)} - {"total"}


def test_a_killed_allocation_leaves_no_temporary_behind(small_run, work):
    assert (small_run / "flows" / "dataset").is_dir()
    assert not list((small_run / "flows").glob(".dataset.tmp-*"))


def test_lint_passes_and_every_rule_explains_itself(work):
    lint = snakemake(work, "--lint")
    assert "Congratulations, your workflow is in a good condition!" in lint.stdout + lint.stderr
    rules = [line for line in snakemake(work, "--list-rules").stdout.splitlines() if line and line[0] != " "]
    assert len(rules) > 40 and all(" (" in line for line in rules if not line.startswith("Using ")), rules


def test_dry_run_lists_the_whole_dag(work):
    jobs = planned_jobs(work, "--config", "run=test-dry")
    assert {"generate_demo_world", "ingest_trade", "clean_trade", "compute_rca", "infer_bf_links",
            "random_baseline", "evaluate_links", "allocate_flows", "write_manifest", "all"} <= jobs


SHARED_RULES = {"finetune_prepare", "finetune_grid", "finetune_heldout", "finetune_thresholds", "select_cospec",
                "train_link_model", "reference_network", "icio_decompositions", "icio_perspectives", "world_links"}


def test_a_second_run_reuses_the_shared_stages(small_run, work, tmp_path):
    jobs = planned_jobs(work, "--config", "run=test-other")
    assert {"generate_demo_world", "compute_rca", "infer_links_method", "write_manifest"} <= jobs
    assert not jobs & SHARED_RULES
    # a finetune section of its own: its own shared folder, recomputed, and the ICIO and reference ones reused
    override = tmp_path / "grid.yaml"
    override.write_text("run: test-other\nfinetune:\n  k: 2\n")
    jobs = planned_jobs(work, "--configfile", "config/test/small.yaml", str(override))
    assert {"finetune_grid", "select_cospec", "train_link_model"} <= jobs
    assert not jobs & {"reference_network", "icio_decompositions", "icio_perspectives", "world_links"}
    shared = {p.name.split("-")[0] for p in (work / "results" / "shared").iterdir()}
    assert shared == {"finetune", "learned", "icio", "reference", "world"}


def test_full_run_outputs_manifest_and_provenance(small_run, work):
    manifest = json.loads((small_run / "MANIFEST.json").read_text())
    paths = {a["path"] for a in manifest["artifacts"]}
    assert {"links/outer/links.parquet", "links/inner/links.parquet", "links/outer/candidates.parquet",
            "links/baseline.parquet", "evaluation/links.parquet", "flows/dataset", "clean/dropped_regions.parquet",
            "rca/outer/rca.parquet", "data/truth_links.parquet"} <= paths
    meta = pq.read_schema(small_run / "links/outer/links.parquet").metadata
    for key in ("schema_version", "project_version", "git_commit", "config_sha256", "inputs_sha256"):
        assert f"valuechain.{key}".encode() in meta
    links = pd.read_parquet(small_run / "links/outer/links.parquet")
    assert list(links.columns) == ["output", "input", "rank", "score", "rb", "rf", "cb", "cf"]
    assert links.groupby("output").size().max() == 3
    ev = pd.read_parquet(small_run / "evaluation/links.parquet").set_index("method")
    assert ev.loc["bf_outer", "precision_at_k"] > 3 * ev.loc["random_baseline", "precision_at_k"]
    flows = pd.read_parquet(small_run / "flows/dataset")
    assert len(flows) > 1000
    assert ((flows["lower"] <= flows["value"] * (1 + 1e-12)) & (flows["value"] <= flows["upper"] * (1 + 1e-12))).all()
    assert (flows["country_from"] != flows["country_to"]).all()
    both = pd.read_parquet(small_run / "evaluation/reference.parquet")
    assert set(both["labels"]) == {"all", "cross_commodity"}
    reference = both[both["labels"] == "all"].set_index(["network", "min_share"])
    assert set(reference.index.get_level_values(0)) == {
        "bf_outer", "bf_inner", "cospec", "learned", "regional", "world", "fused", "validated", "baseline",
        "demo_truth", "published_kh2025", "random_expected"}
    final = pd.read_parquet(small_run / "links/final.parquet")
    assert list(final.columns) == ["output", "output_name", "input", "input_name", "rank", "score", "confidence",
                                   "method"]
    assert (final["output_name"] != "").all() and (final["input_name"] != "").all()
    assert set(final["method"]) == {"fused"} and final["confidence"].between(0, 1).all()
    assert final.groupby("output").size().max() == 3
    methods = pd.read_parquet(small_run / "evaluation/methods.parquet")
    assert {"icio_years", "icio_industries", "icio_in_sample", "wiod2016_heldout", "truth", "reference",
            "reference_cross_commodity", "world", "world_cross_commodity"} <= set(methods["yardstick"])
    assert not methods.loc[methods["yardstick"] == "icio_in_sample", "held_out"].any()
    truth_rows = methods[methods["yardstick"] == "truth"].set_index("method")
    assert truth_rows.loc["cospec", "precision"] > truth_rows.loc["bf", "precision"]
    world = methods[methods["yardstick"] == "world"].set_index("method")
    assert world.loc["world", "held_out"] and world.loc["world", "precision"] > 2 * world.loc[
        "published_kh2025", "precision"]
    assert sorted(set(reference.index.get_level_values(1))) == [0.005, 0.01, 0.02]
    assert reference.loc[("published_kh2025", 0.01), "scored_links"] == 3483
    # the planted world is drawn from the reference, so its truth scores near 1 against it
    assert reference.loc[("demo_truth", 0.01), "precision"] > 0.95
    levels = pd.read_parquet(small_run / "evaluation/end_use_levels.parquet")
    assert {"reference_top3", "demo_truth", "bf_outer"} <= set(levels["network"])
    assert set(levels.loc[levels["network"] == "demo_truth", "weight"]) == {"none", "weight"}
    top = query_flows(small_run / "flows/dataset",
                      "SELECT input, output, sum(value) AS usd FROM flows GROUP BY ALL ORDER BY usd DESC LIMIT 1")
    first = flows.groupby(["input", "output"])["value"].sum().sort_values().index[-1]
    assert tuple(top.loc[0, ["input", "output"]]) == first


def test_changing_a_threshold_reruns_only_links_and_what_follows(small_run, tmp_path, work):
    override = tmp_path / "t1.yaml"
    override.write_text("links:\n  thresholds: {t1: 2.5, t2: 1.5, t3: 3.5, t4: 2.0}\n")
    jobs = planned_jobs(work, "--configfile", "config/test/small.yaml", str(override))
    assert {"infer_bf_links", "evaluate_links", "evaluate_methods"} <= jobs
    # the final links are fused's: B&F thresholds do not touch them, nor the flows along them
    assert not jobs & {"generate_demo_world", "ingest_trade", "clean_trade", "compute_rca", "random_baseline",
                       "infer_links_method", "final_links", "allocate_flows"}
    override.write_text("links:\n  method: bf\n  thresholds: {t1: 2.5, t2: 1.5, t3: 3.5, t4: 2.0}\n")
    jobs = planned_jobs(work, "--configfile", "config/test/small.yaml", str(override))
    assert {"infer_bf_links", "final_links", "allocate_flows", "trophic_levels"} <= jobs



def test_a_reported_reference_share_reruns_only_the_reference_scores(small_run, tmp_path, work):
    # report_min_shares adds rows to the reference scores and nothing else: the shared reference, the demo world
    # planted from it, the links and the flows stay
    override = tmp_path / "shares.yaml"
    override.write_text("reference:\n  report_min_shares: [0.005, 0.03]\n")
    jobs = planned_jobs(work, "--configfile", "config/test/small.yaml", str(override))
    assert "evaluate_reference" in jobs
    assert jobs <= {"evaluate_reference", "report_tables", "build_explorer", "write_manifest", "all"}, jobs


SCATTERED = ("flows/dataset", "links/validated/fit.parquet", "links/validated/links.parquet")


def digests(root):
    """sha256 of every file of each artifact (a dataset's files by relative path)."""
    files = {p: sorted(f for f in (root / p).rglob("*") if f.is_file()) or [root / p] for p in SCATTERED}
    return {p: {str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest() for f in fs}
            for p, fs in files.items()}


def test_scattered_jobs_give_the_bytes_of_one_job(small_run, work):
    # the small run made these in one job each; made again in 3 and 4 jobs, every file has the same bytes
    root, one_job = small_run, digests(small_run)
    targets = [f"results/test-small/{p}" for p in SCATTERED]
    proc = snakemake(work, "--set-scatter", "flows=3", "validated=4", "--forcerun", "allocate_flows",
                     "validated_pvalues", "--configfile", "config/test/small.yaml", "--", *targets)
    assert "block 3-of-3" in proc.stderr and "p-values of block 4-of-4" in proc.stderr
    assert digests(root) == one_job
    assert len(one_job["flows/dataset"]) > 5 and not (root / "flows" / "parts").exists()  # parts are temporary
    # and the gathered flows are those of one allocation over every input product at once
    data = prepare(pd.read_parquet(root / "clean/trade.parquet"))
    L = link_matrix(pd.read_parquet(root / "links/final.parquet"), data.products)
    whole = allocate_chunk(data, L, np.flatnonzero(L.any(axis=1)), min_value=1000.0)
    keys = ["input", "output", "region_from", "region_to"]
    got = pd.read_parquet(root / "flows/dataset").drop(columns="chapter")
    got, whole = (f.astype({c: str for c in keys + ["country_from", "country_to"]}).sort_values(keys)
                  .reset_index(drop=True) for f in (got, whole))
    pd.testing.assert_frame_equal(got, whole, check_exact=True)


def test_without_the_flows_dataset_the_flows_are_their_factors_only(small_run, work, tmp_path):
    # a run with flows.dataset: false plans no allocation of every flow, only the factors and what is kept of them
    override = tmp_path / "factors.yaml"
    override.write_text("flows:\n  dataset: false\n")
    jobs = planned_jobs(work, "--forcerun", "flow_factors", "--configfile", "config/test/small.yaml", str(override))
    assert "flow_factors" in jobs and "build_explorer" in jobs
    assert not jobs & {"allocate_flows", "gather_flows"}
    # the explorer cannot show more region pairs per link than the flows keep
    override.write_text("flows:\n  largest: 5\nexplorer:\n  top_flows: 6\n  top_country_flows: 5\n")
    proc = snakemake(work, "-n", "--configfile", "config/test/small.yaml", str(override), check=False)
    assert proc.returncode != 0
    assert "explorer.top_flows (6) is more than the pairs flows.largest keeps of each link (5)" in (
        proc.stdout + proc.stderr)


def test_the_slurm_profile_scatters_the_heavy_stages(small_run, work):
    # a dry run of the small run with the cluster profile: the scattered jobs and what each asks SLURM for (the
    # resources come from the input sizes; some Snakemake versions show them as <TBD> until the job is submitted)
    slurm = {**os.environ, "VALUECHAIN_SLURM_ACCOUNT": "", "VALUECHAIN_SLURM_PARTITION": ""}
    out = snakemake(work, "-n", "--workflow-profile", "profiles/slurm", "--forcerun", "allocate_flows",
                    "validated_pvalues", env=slurm).stdout
    stats = dict(re.findall(r"^(\w+)\s+(\d+)$", out.split("Job stats:")[1].split("Reasons:")[0], re.MULTILINE))
    assert (stats["allocate_flows"], stats["validated_pvalues"], stats["gather_flows"]) == ("8", "8", "1")
    size = r"(\d+|<TBD>)"
    assert re.search(rf"block 8-of-8 \({size} MB, {size} min\)", out)
    assert re.search(rf"p-values of block 8-of-8 \(2 threads, {size} MB, {size} min\)", out)  # 4, capped by --cores 2


def test_a_dry_run_with_the_slurm_profile_names_the_unset_account_and_partition(work):
    env = {k: v for k, v in os.environ.items() if not k.startswith("VALUECHAIN_SLURM_")}
    proc = snakemake(work, "-n", "--workflow-profile", "profiles/slurm", env=env, check=False)
    assert proc.returncode != 0
    assert ("the SLURM profile reads the account and partition from the environment: set VALUECHAIN_SLURM_ACCOUNT "
            "and VALUECHAIN_SLURM_PARTITION") in proc.stdout + proc.stderr


def test_a_new_trade_file_reruns_from_ingestion(small_run, tmp_path, work):
    trade = pd.read_parquet(small_run / "data/trade.parquet")
    path = tmp_path / "my_trade.csv"
    trade.to_csv(path, index=False)
    args = ("--config", "run=test-user", f"trade={path}")
    # no truth for a user's file: no truth-based evaluation, not a fake one; the reference scores it still
    jobs = planned_jobs(work, *args)
    assert "evaluate_reference" in jobs and "evaluate_links" not in jobs and "generate_demo_world" not in jobs
    # the run up to the B&F links (the stages new data go through first), then nothing left to do for them
    target = "results/test-user/links/outer/links.parquet"
    snakemake(work, *args, "--", target)
    assert planned_jobs(work, *args, "--", target) == set()
    trade[trade["region"] != trade["region"].iloc[0]].to_csv(path, index=False)  # new data arrive
    assert {"ingest_trade", "clean_trade", "compute_rca", "infer_bf_links"} <= planned_jobs(work, *args, "--", target)


def test_bad_trade_file_fails_with_location_and_writes_nothing(tmp_path, work):
    path = tmp_path / "bad.csv"
    path.write_text("year,flow,country,region,partner,hs,value\n2019,export,BRA,SP,USA,8703,-4\n")
    proc = snakemake(work, "--config", "run=test-bad", f"trade={path}", check=False)
    assert proc.returncode != 0
    log = (work / "logs" / "test-bad" / "ingest_trade.log").read_text()
    assert "bad.csv: column 'value': negative value at row 1" in log
    assert not (work / "results" / "test-bad" / "data" / "trade.parquet").exists()


def test_without_mirror_and_network_the_first_download_stops_the_run_saying_so(tmp_path):
    """A fresh machine: no data mirror, no network (a proxy that refuses every connection). The default run stops at
    its first download, and the message says what to do; nothing is left half-written under resources/."""
    import os
    import shutil

    from conftest import ROOT, WORKFLOW_FILES

    for name in WORKFLOW_FILES:
        src = ROOT / name
        shutil.copytree(src, tmp_path / name) if src.is_dir() else shutil.copy(src, tmp_path / name)
    (tmp_path / "config" / "config.yaml").write_text("data_mirror: null\n")
    env = {**os.environ, "https_proxy": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "1"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0
    logs = "".join(p.read_text() for p in (tmp_path / "logs").rglob("*.log"))
    assert "download failed after 4 attempt(s)" in logs
    assert "no network? Put the file in the data mirror or under resources/ by hand" in logs
    placed = [p for p in (tmp_path / "resources").rglob("*") if p.is_file()]
    # only the project's own committed table can be had; every download left nothing behind
    assert {p.relative_to(tmp_path).as_posix() for p in placed} <= {
        "resources/wiod2013/industries.csv", "resources/wiod2013/industries.csv.sha256"}


def test_published_network_runs_offline_without_trade_data(work):
    # the README's run (results/published/), shared with test_readme: whichever comes second finds it done
    snakemake(work, "--configfile", "config/published.yaml")
    run = work / "results" / "published"
    manifest = json.loads((run / "MANIFEST.json").read_text())
    paths = {a["path"] for a in manifest["artifacts"]}
    assert {"evaluation/reference.parquet", "evaluation/end_use_levels.parquet", "analysis/trophic_levels.parquet",
            "analysis/sections.parquet", "figures/section_network.png"} <= paths
    # the product reference is shared with the other runs of the same reference section; nothing else is
    shared = {p.split("/")[2].split("-")[0] for p in paths if p.startswith("results/shared/")}
    assert shared == {"reference"}
    assert any(p.endswith("/product_io.parquet") for p in paths)
    assert not any(p.startswith(("flows", "rca", "clean")) for p in paths)
    assert any("trophic position" in stage for stage in manifest["skipped"])
    ev = pd.read_parquet(run / "evaluation/reference.parquet").set_index(["network", "labels", "min_share"])
    for labels in ("all", "cross_commodity"):
        pd.testing.assert_series_equal(ev.loc[("user", labels, 0.01)], ev.loc[("published_kh2025", labels, 0.01)],
                                       check_names=False)
    ev = ev.xs("all", level="labels")
    assert ev.loc[("user", 0.01), "precision"] == pytest.approx(0.306, abs=0.005)
    levels = pd.read_parquet(run / "analysis/trophic_levels.parquet")
    assert len(levels) == 1229 and set(levels["link_method"]) == {"user"}


def test_bad_network_file_fails_with_location_and_writes_nothing(tmp_path, work):
    path = tmp_path / "net.csv"
    path.write_text("output,input\n8703,8708\n8703,99X9\n")
    proc = snakemake(work, "--configfile", "config/published.yaml", "--config", "run=test-badnet", f"links_file={path}",
                     check=False)
    assert proc.returncode != 0
    log = (work / "logs" / "test-badnet" / "ingest_links.log").read_text()
    assert "net.csv: column 'input': not an HS code of 4 digits at row 2 ('99X9')" in log
    assert not (work / "results" / "test-badnet" / "links" / "user").exists()


def test_a_network_file_with_trade_data_drives_flows_and_trophic_position(small_run, tmp_path, work):
    net = tmp_path / "net.csv"
    pd.read_parquet(small_run / "links/outer/links.parquet")[["output", "input"]].head(30).to_csv(net, index=False)
    trade = tmp_path / "trade.parquet"
    pd.read_parquet(small_run / "data/trade.parquet").to_parquet(trade)
    args = ("--config", "run=test-net-trade", f"trade={trade}", f"links_file={net}")
    jobs = planned_jobs(work, *args)
    assert {"ingest_links", "ingest_trade", "allocate_flows", "trophic_position", "evaluate_reference"} <= jobs
    # the flows read the user's network, not the B&F links
    out = snakemake(work, "-n", *args).stdout
    flows_job = out.split("Allocating trade")[1].split("\n[")[0]  # up to the next job's timestamp
    assert "links/user/links.parquet" in flows_job and "links/outer" not in flows_job


def test_published_network_is_skipped_with_a_reason_when_it_cannot_be_had(tmp_path, work):
    override = tmp_path / "nopub.yaml"
    override.write_text("run: test-nopub\nreference:\n  files:\n    published:\n"
                        "      name: not_mirrored.csv\n      url: null\n")
    proc = snakemake(work, "-n", "--configfile", "config/test/small.yaml", str(override))
    assert "skipped: published network (published_kh2025) (not_mirrored.csv is not in the data mirror" in (
        proc.stdout + proc.stderr)
    assert "ingest_published_network" not in planned_jobs(work, "--configfile", "config/test/small.yaml", str(override))


# Every class of bad input, through the workflow: the message in the log (or Snakemake's output), and nothing
# of results/<run>/ written past ingestion. Only the cleaning target is asked for, so each case takes seconds.
HEADER = "year,flow,country,region,partner,hs,value\n"
ROW = "2019,export,BRA,SP,USA,8703,5\n2019,import,BRA,SP,CHN,8708,6\n"
BAD_INPUTS = {
    "header_only": (HEADER, {}, "ingest_trade", "no data rows (only a header)"),
    "all_zero": (HEADER + "2019,export,BRA,SP,USA,8703,0\n", {}, "ingest_trade", "every counted value is 0"),
    "no_year_selected": (HEADER + ROW, {"clean": {"years": [1999]}}, "clean_trade",
                         "clean.years [1999] match no row; the trade data hold the years [2019]"),
    "hs4_and_hs6": (HEADER + ROW + "2019,export,BRA,SP,USA,870323,4\n", {}, "ingest_trade",
                    "column 'hs': code also given at a finer HS level"),
    "nan_partner": (HEADER + ROW + "2019,export,BRA,SP,nan,8703,4\n", {}, "ingest_trade",
                    "column 'partner': not an ISO3 country code"),
    "year_overflow": (HEADER + "3000000000,export,BRA,SP,USA,8703,4\n", {}, "ingest_trade",
                      "column 'year': year outside 1900-2100 at row 1 ('3000000000')"),
    "negative": (HEADER + "2019,export,BRA,SP,USA,8703,-4\n", {}, "ingest_trade",
                 "column 'value': negative value at row 1"),
    "duplicate": (HEADER + ROW + ROW.splitlines()[0] + "\n", {}, "ingest_trade", "duplicate key"),
    "zero_bytes": ("", {}, "ingest_trade", "empty file (0 bytes)"),
    "binary": (b"\x00\x01PAR1", {}, "ingest_trade", "binary content, not a text CSV"),
    "comex_without_pais": ('"CO_ANO";"SH4"\n', {"format": "comexstat"}, "ingest_trade",
                           "format comexstat needs Comex Stat's PAIS table"),
    "all_regions_small": (HEADER + ROW, {"clean": {"min_region_trade": 1e12}}, "clean_trade",
                          "no region left after cleaning"),
    "unknown_key": (HEADER + ROW, {"clean": {"min_regoin_trade": 1}}, None,
                    "config: unknown key clean.min_regoin_trade: did you mean min_region_trade?"),
    "threshold_below_minimum": (HEADER + ROW, {"links": {"k": 0}}, None, "0 is less than the minimum of 1"),
    "run_escapes_results": (HEADER + ROW, {"run": ".."}, None, "does not match"),
    "run_is_the_shared_folder": (HEADER + ROW, {"run": "shared"}, None, "does not match"),
    "run_name_too_long": (HEADER + ROW, {"run": "a" * 300}, None, "aaaa...: it is too long"),
    "full_width_code": (HEADER + ROW + "2019,export,BRA,SP,USA,８７０３,4\n", {}, "ingest_trade",
                        "column 'hs': digits that are not ASCII 0-9 (full-width or of another script)"),
    "code_outside_nomenclature": (HEADER + ROW + "2019,export,BRA,SP,USA,0000,4\n", {}, "ingest_trade",
                                  "column 'hs': not a code of the HS nomenclature"),
    "partner_is_reporter": (HEADER + ROW + "2019,export,BRA,SP,BRA,8703,4\n", {}, "ingest_trade",
                            "column 'partner': partner is the reporting country"),
    "ambiguous_thousands": (HEADER.replace(",", ";") + "2019;export;BRA;SP;USA;8703;1.234\n"
                            "2019;import;BRA;SP;CHN;8708;6\n", {}, "ingest_trade",
                            "column 'value': ambiguous number: a thousands separator or a decimal separator?"),
    "unquoted_thousands_comma": (HEADER + "2019,export,BRA,SP,USA,8703,1,234\n" + ROW, {}, "ingest_trade",
                                 "line 2 has 8 fields, the header 7"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_table(case, tmp_path, work):
    content, extra, rule, message = BAD_INPUTS[case]
    run = extra.get("run", f"test-bad-{case}")
    trade = tmp_path / ("EXP_2019_MUN.csv" if extra.get("format") == "comexstat" else "trade.csv")
    trade.write_bytes(content if isinstance(content, bytes) else content.encode())
    config = tmp_path / "config.yaml"
    config.write_text(json.dumps({"run": run, "trade": str(trade), **extra}))
    results = work / "results" / f"test-bad-{case}"
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "1", "--configfile", "config/test/small.yaml", str(config),
         "--", f"results/{run}/clean/trade.parquet"],
        cwd=work, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    text = (work / "logs" / run / f"{rule}.log").read_text() if rule else proc.stdout + proc.stderr
    assert message in text
    later = ["clean/trade.parquet", "clean/dropped_rows.parquet", "rca"]
    for path in later + ([] if rule == "clean_trade" else ["data/trade.parquet"]):
        assert not (results / path).exists()
    if rule is None:  # rejected before any job ran
        assert not results.exists() and not (work / "trade.parquet").exists()


def test_a_scatter_count_below_one_is_refused_before_any_job(work):
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1", "--set-scatter", "flows=0"],
                          cwd=work, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "--set-scatter flows=0: a stage is split into at least 1 job" in proc.stdout + proc.stderr


def _baci_release(folder):
    """The BACI fixtures as the release archive CEPII publishes."""
    import zipfile

    fix = Path(__file__).parent / "fixtures" / "baci"
    archive = folder / "BACI_HS92_V202501.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for name in ("BACI_HS92_Y2017_V202501.csv", "country_codes_V202501.csv", "product_codes_HS92_V202501.csv"):
            z.write(fix / name, name)
    return archive


def test_baci_alone_is_a_world_run(tmp_path, work):
    """source: baci with a release archive on disk: every country a location, through to the manifest; groups of
    countries and codes outside HS recorded as dropped."""
    run = "test-baci"
    config = tmp_path / "config.yaml"
    config.write_text(json.dumps({"run": run, "source": "baci", "clean": {"min_region_trade": 0},
                                  "baci": {"archive": str(_baci_release(tmp_path)), "years": [2017]}}))
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--configfile",
                           "config/test/small.yaml", str(config)], cwd=work, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert (work / "results" / run / "MANIFEST.json").is_file()
    clean = pd.read_parquet(work / "results" / run / "clean" / "trade.parquet")
    assert (clean["country"].astype(str) == clean["region"].astype(str)).all() and clean["country"].nunique() == 18
    totals = clean.groupby("flow", observed=True)["value"].sum()
    assert totals["export"] == pytest.approx(totals["import"])  # the same reconciled flows
    dropped = pd.read_parquet(work / "results" / run / "clean" / "dropped_rows.parquet")
    assert set(dropped["reason"]) == {GROUP_REASON, LEGACY_REASON}
    assert pd.read_parquet(work / "results" / run / "links" / "final.parquet")["output"].nunique() > 20


def test_baci_beside_public_regional_data(tmp_path, public_server, work):
    """source: [public, baci], the archive downloaded: the US states and Brazilian states replace the USA and
    Brazil, every other country of BACI is a location of its own."""
    run = "test-public-baci"
    public_server["files"]["BACI_HS92_V202501.zip"] = _baci_release(tmp_path).read_bytes()
    config = tmp_path / "config.yaml"
    config.write_text(json.dumps({
        "run": run, "source": ["public", "baci"], "clean": {"min_region_trade": 0},
        "public": {**public_server["config"], "countries": ["USA", "BRA"], "years": [2017],
                   "cache": str(tmp_path / "public"), "sha256": {}},
        "baci": {"url": public_server["base"] + "/baci/BACI_{hs}_{release}.zip", "years": [2017]}}))
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--configfile",
                           "config/test/small.yaml", str(config), "--until", "clean_trade"], cwd=work,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    clean = pd.read_parquet(work / "results" / run / "clean" / "trade.parquet")
    usa, bra = clean[clean["country"] == "USA"], clean[clean["country"] == "BRA"]
    assert {"TX", "CA"} <= set(usa["region"]) and "USA" not in set(usa["region"])
    assert {"SP", "MG"} <= set(bra["region"]) and "BRA" not in set(bra["region"])
    others = clean[~clean["country"].isin(["USA", "BRA"])]
    assert others["country"].nunique() == 16 and (others["country"].astype(str) == others["region"].astype(str)).all()
    assert (work / "resources" / "baci" / "BACI_HS92_V202501.zip").is_file()
    log = (work / "logs" / run / "ingest_trade.log").read_text()
    assert re.search(r"baci_trade.parquet: \d+ rows of BRA, USA left out: their regions replace them", log)


def test_an_incomplete_chain_stops_the_download_until_its_intermediate_is_pinned(tmp_path, incomplete_chain, work):
    """Comex Stat's files from a localhost HTTPS server that sends its leaf without the intermediate: the run stops
    at the download naming a TLS failure and keeps nothing; with the intermediate pinned for that host
    (tls_intermediates), the rerun downloads and combines the files. Verification stays on throughout."""
    import hashlib
    import ssl

    run = "test-tls"
    base = incomplete_chain["base"]
    config = {"run": run, "source": "public", "clean": {"min_region_trade": 0},
              "public": {"countries": ["BRA"], "years": [2017], "cache": str(tmp_path / "cache"), "sha256": {},
                         "comexstat": {"files": base + "/{flow}_{year}_MUN.csv", "tables": base + "/{table}.csv"}}}
    target = f"results/{run}/data/public_trade.parquet"

    def snakemake():
        (tmp_path / "config.yaml").write_text(json.dumps(config))
        return subprocess.run([sys.executable, "-m", "snakemake", target, "--cores", "1", "--configfile",
                               "config/test/small.yaml", str(tmp_path / "config.yaml")], cwd=work,
                              capture_output=True, text=True, timeout=600)

    proc = snakemake()
    assert proc.returncode != 0
    assert "a TLS failure: the certificate of localhost could not be verified" in proc.stderr
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    pem = incomplete_chain["intermediate"]
    fingerprint = hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem.read_text())).hexdigest()
    config["tls_intermediates"] = {"localhost": {"file": str(pem), "sha256": fingerprint}}
    proc = snakemake()
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert set(pd.read_parquet(work / target)["country"]) == {"BRA"}


def test_public_sources_run_the_workflow(tmp_path, public_server, work):
    """source: public on the published layouts served from localhost: downloaded (through a 503 and a cut
    transfer), combined, ingested, cleaned (Comex Stat's pseudo-state ND dropped by its code), and run on US and
    Brazilian states together through the stages that read their trade: every link method, the flows, trophic
    positions and the exports. (The stages after those read tables of the same columns, which the whole runs of
    the Census source in test_secrets, of BACI and of the small world cover.)"""
    run = "test-public"
    cache = tmp_path / "public"
    config = tmp_path / "config.yaml"
    config.write_text(json.dumps({"run": run, "source": "public", "clean": {"min_region_trade": 0},
                                  "public": {**public_server["config"], "countries": ["USA", "BRA"],
                                             "years": [2017], "cache": str(cache), "sha256": {}}}))
    targets = [f"results/{run}/{path}" for path in ("flows/largest_country_pairs.parquet", "exports/links.csv",
                                                     "analysis/trophic_position_regions.parquet")]
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "config/test/small.yaml",
         str(config), "--", *targets],
        cwd=work, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert all((work / target).is_file() for target in targets)
    assert (cache / "census" / "exports_HS4_2017.json").is_file() and (cache / "comexstat" / "UF.csv").is_file()
    trade = pd.read_parquet(work / "results" / run / "data" / "public_trade.parquet")
    assert set(trade["country"]) == {"USA", "BRA"}
    clean = pd.read_parquet(work / "results" / run / "clean" / "trade.parquet")
    assert "ND" not in set(clean["region"]) and {"TX", "SP"} <= set(clean["region"])
    assert "XX" not in set(clean["region"]) and not {"ZZZ", "ANT", "SCG"} & set(clean["partner"])
    assert not clean["hs"].str.startswith(("98", "99")).any() and "PSE" in set(clean["partner"])
    # every row dropped on the way, from the public files to cleaning, is recorded with its reason
    dropped = pd.read_parquet(work / "results" / run / "clean" / "dropped_rows.parquet")
    reasons = dropped.groupby("reason", observed=True)
    assert set(reasons.groups) == {CENSUS_TOTAL_REASON, AGGREGATE_REASON, NATIONAL_REASON, PSEUDO_REASON}
    assert set(reasons.get_group(AGGREGATE_REASON)["partner"]) == {"ZZZ"}
    assert set(reasons.get_group(NATIONAL_REASON)["hs"]) == {"9880", "9801", "9999"}
    assert {"XX", "ND"} == set(reasons.get_group(PSEUDO_REASON)["region"])
    links = pd.read_parquet(work / "results" / run / "links" / "final.parquet")
    assert links["output"].nunique() == clean["hs"].nunique()
    log = (work / "logs" / "retrieve_public_comexstat_EXP_2017_MUN.csv.log").read_text()
    assert "sha256" in log and "retrying" in log


def test_the_flow_factors_give_the_flows_dataset_row_for_row(small_run):
    """The flows computed from the three factor tables equal the materialised dataset: every row, value and bound;
    a query by link, by region pair and by country pair gives the same numbers from either; and the sums by link and
    country pair and each link's largest country and region pairs, kept by flow_factors, are the dataset's."""
    keys = ["input", "output", "country_from", "region_from", "country_to", "region_to"]
    factors, dataset = small_run / "flows" / "factors", small_run / "flows" / "dataset"
    every = "SELECT input, output, country_from, region_from, country_to, region_to, value, lower, upper FROM flows"
    got, want = (f.astype({c: str for c in keys}).sort_values(keys).reset_index(drop=True)
                 for f in (query_flows(factors, every), query_flows(dataset, every)))
    assert len(want) > 1000
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    link = want.iloc[0]
    for sql in (f"SELECT region_from, region_to, value FROM flows WHERE input = '{link.input}' AND "
                f"output = '{link.output}' ORDER BY value DESC, region_from, region_to LIMIT 20",
                f"SELECT input, output, value FROM flows WHERE region_from = '{link.region_from}' AND "
                f"region_to = '{link.region_to}' ORDER BY value DESC, input, output LIMIT 20",
                "SELECT country_from, country_to, count(*) AS pairs FROM flows GROUP BY ALL ORDER BY ALL"):
        pd.testing.assert_frame_equal(query_flows(factors, sql), query_flows(dataset, sql), check_dtype=False)

    pair = ["input", "output", "country_from", "country_to"]
    summary = pd.read_parquet(small_run / "flows" / "summary.parquet")
    sums = want.groupby(pair, as_index=False).agg(value=("value", "sum"), lower=("lower", "sum"),
                                                  upper=("upper", "sum"), pairs=("value", "size"))
    pd.testing.assert_frame_equal(summary, sums, check_exact=False, rtol=1e-12)
    largest = pd.read_parquet(small_run / "flows" / "largest_region_pairs.parquet")
    n = json.loads(read_metadata(small_run / "flows" / "largest_region_pairs.parquet")["config"])["largest"]
    order = want.sort_values(["input", "output", "value", "country_from", "region_from", "country_to", "region_to"],
                             ascending=[True, True, False, True, True, True, True])
    top = order.groupby(["input", "output"]).head(n).reset_index(drop=True)
    assert len(largest) < len(want) and largest.groupby(["input", "output"]).size().max() == n
    pd.testing.assert_frame_equal(largest, top, check_exact=True)
    countries = pd.read_parquet(small_run / "flows" / "largest_country_pairs.parquet")
    order = summary.sort_values(["input", "output", "value", "country_from", "country_to"],
                                ascending=[True, True, False, True, True])
    pd.testing.assert_frame_equal(countries, order.groupby(["input", "output"]).head(n).reset_index(drop=True))


def test_a_misspelt_key_is_named_with_its_likely_meaning_before_anything_runs(tmp_path, work):
    override = tmp_path / "typo.yaml"
    override.write_text("flows:\n  larget: 5\n")
    proc = snakemake(work, "-n", "--configfile", "config/test/small.yaml", str(override), check=False)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "config: unknown key flows.larget: did you mean largest?" in out
    assert len(out.splitlines()) < 15 and "properties" not in out  # neither the schema nor the config


def test_the_exports_carry_names_and_the_reference_label(small_run):
    import networkx as nx

    annotated = pd.read_parquet(small_run / "links/annotated.parquet")
    links = pd.read_csv(small_run / "exports/links.csv", dtype={"output": str, "input": str, "reference": str},
                        keep_default_na=False)
    assert links[["output", "input", "reference"]].values.tolist() == annotated[
        ["output", "input", "reference"]].values.tolist()
    assert set(annotated["reference"]) <= {"true", "false", "unscorable"} and annotated["estimated_precision"].between(0, 1).all()
    assert {"rank_bf", "rank_regional", "rank_world"} <= set(annotated.columns)
    flows = pd.read_csv(small_run / "exports/largest_country_flows.csv", dtype={"output": str, "input": str})
    assert len(flows) == len(pd.read_parquet(small_run / "flows/largest_country_pairs.parquet"))
    assert flows["country_from_name"].notna().all() and (flows["input_name"] != "").all()
    graph = nx.read_graphml(small_run / "exports/product_network.graphml")
    edge = annotated.iloc[0]
    assert graph.edges[edge["input"], edge["output"]]["reference"] == edge["reference"]
    assert graph.number_of_edges() == len(annotated)
