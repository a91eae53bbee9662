"""The rule scripts' glue: a rule's script run by hand from the command line, logging (everything in the rule's
log file, one line per progress message on the terminal) and the items of a scattered job."""

import ast
import logging
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from valuechain.glue.smk import rule_from_command_line, rule_io, scatter_part, setup
from valuechain.trade.rca import rca_table

ROOT = Path(__file__).resolve().parents[1]


def test_tables_go_to_the_log_file_and_one_line_to_the_terminal(tmp_path, capsys):
    logfile = tmp_path / "logs" / "rule.log"
    log = setup(SimpleNamespace(log=[str(logfile)], rule="some_rule"))
    log.info("precision by section:\n  I 0.5\n  II 0.25")
    log.warning("2 regions dropped:\n  SP\n  RJ")
    logging.shutdown()
    terminal = capsys.readouterr().err.splitlines()
    assert terminal[0].endswith(f"INFO some_rule: precision by section: [2 more lines in {logfile}]")
    assert terminal[1].endswith("WARNING some_rule: 2 regions dropped:") and terminal[2:] == ["  SP", "  RJ"]
    text = logfile.read_text()
    assert "  I 0.5\n  II 0.25\n" in text and "  SP\n  RJ\n" in text


def test_scatter_parts_are_contiguous_and_cover_every_item_once():
    # 7 items in 3 parts: sizes 3, 2, 2 (numpy's array_split gives the remainder to the first parts)
    assert [scatter_part(f"{i}-of-3", 7).tolist() for i in (1, 2, 3)] == [[0, 1, 2], [3, 4], [5, 6]]
    assert scatter_part("1-of-1", 4).tolist() == [0, 1, 2, 3]
    # more parts than items: the last parts are empty, not an error (a cluster profile may ask for many)
    assert [scatter_part(f"{i}-of-4", 2).tolist() for i in (1, 2, 3, 4)] == [[0], [1], [], []]
    with pytest.raises(ValueError, match="not a scatter item"):
        scatter_part("part2", 5)
    with pytest.raises(ValueError, match="out of range"):
        scatter_part("4-of-3", 5)


def test_the_command_line_gives_what_snakemake_gives_a_script():
    rule = rule_from_command_line(["--input", "trade=a.csv", "--input", "trade=b.csv", "--input", "hs=h.csv",
                                   "--input", "world=,", "--output", "out.parquet", "--params", "k=3",
                                   "--params", 'ingest={"sep": null}', "--params", "method=fused",
                                   "--resources", "mem_mb=4000", "--threads", "2"], "scripts/ingest_trade.py")
    assert list(rule.input) == ["a.csv", "b.csv", "h.csv"] and rule.input.trade == ["a.csv", "b.csv"]
    assert rule.input.hs == "h.csv" and rule.input.world == [] and rule.input.get("countries") is None
    assert rule.output[0] == "out.parquet" and dict(rule.params.items()) == {"k": 3, "ingest": {"sep": None},
                                                                             "method": "fused"}
    assert rule.resources.mem_mb == 4000 and rule.threads == 2 and rule.rule == "ingest_trade"
    assert "links" in rule.config and "ingest" in rule.config  # the workflow's defaults
    assert rule_io(rule) is rule  # under Snakemake, the object it injected


def test_every_rule_script_is_a_main_that_runs_by_hand():
    """Each script of scripts/ defines main(snakemake) and calls it only as a program, with Snakemake's object or
    the command line's; no name is used that the script does not define (no injected global)."""
    for script in sorted((ROOT / "scripts").glob("*.py")):
        tree = ast.parse(script.read_text())
        names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
        assert names == ["main"], script.name
        guard = tree.body[-1]
        assert isinstance(guard, ast.If) and ast.unparse(guard.test) == "__name__ == '__main__'", script.name
        assert ast.unparse(guard.body[0]) == "main(rule_io(globals().get('snakemake')))", script.name


def test_a_rule_script_run_by_hand_gives_the_rules_table(tmp_path):
    trade = pd.DataFrame({"flow": ["export", "export", "import", "import"], "country": "BRA",
                          "region": ["SP", "RJ", "SP", "RJ"], "partner": "USA", "hs": ["8703", "8708", "8708", "8703"],
                          "value": [10.0, 5.0, 3.0, 2.0]})
    trade.to_parquet(tmp_path / "trade.parquet")
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "compute_rca.py"), "--input",
                           f"trade={tmp_path / 'trade.parquet'}", "--output", f"rca={tmp_path / 'rca.parquet'}",
                           "--params", "reconcile=outer"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "rca.parquet"), rca_table(trade, "outer"))
