"""The README's examples, run as a reader would (in a copy of the workflow): the default run, the report, the
published-network run, the flow query and the valuechain-icio calls, whose printed output must be what the
README shows. Not run here: examples that need the network or the reader's own data (public sources, your own
trade files, OECD and EXIOBASE tables, a cluster); test_workflow covers public sources on a local server."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from readme_blocks import BLOCKS, ROOT, command_of, run

pytestmark = pytest.mark.workflow


def test_the_default_run_and_its_report(demo):
    manifest = json.loads((demo / "results" / "demo" / "MANIFEST.json").read_text())
    assert len(manifest["artifacts"]) > 100
    run(demo, command_of("snakemake --report"))
    report = (demo / "report.html").read_text()
    for figure in ("value_chain.png", "section_network.png", "industry_network.png", "precision_coverage.png",
                   "link_methods.html"):
        assert figure in report


def test_the_flow_query_prints_what_the_readme_shows(demo):
    i = next(i for i, (lang, body) in enumerate(BLOCKS) if lang == "python" and "query_flows" in body)
    out = subprocess.run([sys.executable, "-c", BLOCKS[i][1]], cwd=demo, capture_output=True, text=True, check=True)
    assert out.stdout == BLOCKS[i + 1][1] and len(out.stdout.splitlines()) == 4


def test_the_python_api_gives_the_runs_links(demo):
    """valuechain.links.methods.infer on the run's cleaned trade prints what the README shows and returns the run's final
    links, row for row."""
    import pandas as pd

    i = next(i for i, (lang, body) in enumerate(BLOCKS) if lang == "python" and "import infer" in body)
    code = BLOCKS[i][1] + "\nlinks.to_parquet('api_links.parquet')\n"
    out = subprocess.run([sys.executable, "-c", code], cwd=demo, capture_output=True, text=True, check=True)
    assert out.stdout == BLOCKS[i + 1][1]
    api = pd.read_parquet(demo / "api_links.parquet")
    final = pd.read_parquet(demo / "results" / "demo" / "links" / "final.parquet")
    assert len(api) == len(final) == 1200
    pd.testing.assert_frame_equal(api, final[list(api.columns)], check_dtype=False)


def test_the_icio_examples_print_what_the_readme_shows(demo):
    examples = [body for _, body in BLOCKS if body.startswith("$ valuechain-icio")]
    assert len(examples) == 3
    for body in examples:
        command, shown = body.split("\n", 1)
        printed = run(demo, command[2:])
        if " ...\n" not in shown:
            assert printed == shown
        else:  # an abridged listing: the lines shown, in the order printed
            lines = iter(printed.splitlines())
            assert all(line in lines for line in shown.splitlines() if line != " ...")


def test_the_published_network_run(work):
    run(work, command_of("--configfile config/published.yaml"))
    assert (work / "results" / "published" / "MANIFEST.json").is_file()


def test_every_artifact_of_the_default_run_is_in_the_data_dictionary(demo):
    """Every artifact has its row with the file's own columns, and every column its meaning in the glossary."""
    import pyarrow.dataset as ds

    manifest = json.loads((demo / "results" / "demo" / "MANIFEST.json").read_text())
    documented = (ROOT / "docs" / "artifacts.md").read_text()
    table, glossary = documented.split("\n## Columns\n")
    rows = {cells[1].strip(): cells[4] for cells in (line.split("|") for line in table.splitlines())
            if len(cells) == 6 and cells[1].strip().startswith("`")}
    explained = {name for line in glossary.splitlines() if line.startswith("| `")
                 for name in re.findall(r"`([^`]+)`", line.split("|")[1])}
    for artifact in manifest["artifacts"]:
        path = re.sub(r"results/shared/(\w+)-[0-9a-f]{10}/", r"shared \1-<key>/", artifact["path"])
        path = re.sub(r"shared icio-<key>/\d{4}/", "shared icio-<key>/<year>/", path)
        assert f"`{path}`" in rows, path
        shared = artifact["path"].startswith("results/")
        on_disk = demo / (artifact["path"] if shared else f"results/demo/{artifact['path']}")
        if artifact["path"].endswith(".parquet") or on_disk.is_dir():
            columns = ds.dataset(on_disk, format="parquet", partitioning="hive").schema.names
            assert re.findall(r"`([^`]+)` \w+", rows[f"`{path}`"]) == columns, path
            assert set(columns) <= explained, (path, sorted(set(columns) - explained))


# Files of the default run that are not artifacts, with why: anything else a rule writes under results/ must be
# listed in the manifest (a new output forgotten in the *_ARTIFACTS lists of workflow/rules/ fails here).
NOT_ARTIFACTS = {
    r"results/demo/MANIFEST\.json": "the manifest itself",
    r"results/demo/data/demo_trade\.parquet": "the generated world before ingestion; data/trade.parquet is its checked form",
    r"results/demo/data/ingest_dropped\.parquet": "folded into clean/dropped_rows.parquet",
    r"results/shared/finetune-[0-9a-f]{10}/(all|heldout|tune)/(labels|specialisation)\.parquet":
        "the fine-tuning samples, read by the grid and the held-out schemes",
}


def test_every_file_of_the_default_run_is_an_artifact_or_declared_not_one(demo):
    manifest = json.loads((demo / "results" / "demo" / "MANIFEST.json").read_text())
    listed = [a["path"] if a["path"].startswith("results/") else f"results/demo/{a['path']}"
              for a in manifest["artifacts"]]
    shared = {Path(p).parts[2] for p in listed if p.startswith("results/shared/")}
    roots = [demo / "results" / "demo", *(demo / "results" / "shared" / s for s in shared)]
    files = {f.relative_to(demo).as_posix() for root in roots for f in root.rglob("*")
             if f.is_file() and not f.name.startswith(".")}
    covered = {f for f in files if any(f == p or f.startswith(p.rstrip("/") + "/") for p in listed)}
    declared = {f for f in files if any(re.fullmatch(pattern, f) for pattern in NOT_ARTIFACTS)}
    assert files - covered - declared == set()
    assert all(any(re.fullmatch(pattern, f) for f in declared) for pattern in NOT_ARTIFACTS)  # none stale


def test_the_command_line_examples_print_what_the_readme_shows(demo):
    examples = [body for _, body in BLOCKS if body.startswith("$ valuechain ")]
    assert len(examples) == 3
    for body in examples:
        command, shown = body.split("\n", 1)
        assert run(demo, command[2:]) == shown
