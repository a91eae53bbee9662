"""The ``valuechain`` command on a run's results: products found by code or name, a product's links with their
evidence, flows by country or region pair, trophic positions; every format; the errors it gives."""

import json
import subprocess
import sys
from io import StringIO

import pandas as pd
import pytest

from valuechain.outputs import cli

LINKS = pd.DataFrame({
    "output": ["8703", "8703", "8708"], "output_name": ["Cars", "Cars", "Parts of motor vehicles"],
    "input": ["8708", "4011", "7208"], "input_name": ["Parts of motor vehicles", "New pneumatic tires of rubber",
                                                     "Flat-rolled iron, width > 600mm, hot-rolled, not clad"],
    "rank": [1, 2, 1], "confidence": [0.999, 0.98, 0.97], "estimated_precision": [0.9, 0.6, 0.4],
    "reference": ["true", "false", "unscorable"], "reference_share": [0.2, 0.0, float("nan")],
    "method": ["fused"] * 3, "rank_bf": pd.array([2, pd.NA, 1], dtype="Int64")})


@pytest.fixture
def run(tmp_path):
    (tmp_path / "links").mkdir()
    (tmp_path / "analysis").mkdir()
    LINKS.to_parquet(tmp_path / "links" / "annotated.parquet")
    pd.DataFrame({"country": ["BRA", "BRA", "CHL"], "region": ["BRA-01", "BRA-02", "CHL-01"],
                  "tl_imp": [2.0, 2.5, 3.0], "tl_exp": [2.5, 2.5, 2.0], "jump": [0.5, 0.0, -1.0],
                  "nitl": [0.4, 0.5, 0.6], "ntj": [0.1, 0.0, -0.2], "diversification": [10, 20, 30]}
                 ).to_parquet(tmp_path / "analysis" / "trophic_position_regions.parquet")
    pd.DataFrame({"country": ["BRA", "CHL"], "tl_imp": [2.2, 3.0], "tl_exp": [2.5, 2.0], "jump": [0.3, -1.0],
                  "nitl": [0.45, 0.6], "ntj": [0.05, -0.2], "diversification": [25, 30]}
                 ).to_parquet(tmp_path / "analysis" / "trophic_position_countries.parquet")
    return tmp_path


def call(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_products_inputs_and_the_products_it_feeds_with_their_evidence(run, capsys):
    code, out, _ = call(capsys, "links", "8708", "--run", str(run), "--format", "csv")
    assert code == 0
    table = pd.read_csv(StringIO(out), dtype={"product": str})
    assert table[["role", "product", "reference"]].values.tolist() == [["input", "7208", "unscorable"],
                                                                      ["feeds", "8703", "true"]]
    assert table["estimated_precision"].tolist() == [0.4, 0.9] and table["rank_bf"].tolist() == [1, 2]
    code, out, _ = call(capsys, "links", "cars", "--run", str(run), "--format", "json")
    rows = json.loads(out)
    assert [(r["product"], r["reference"], r["rank_bf"]) for r in rows] == [("8708", "true", 2), ("4011", "false", None)]
    code, out, _ = call(capsys, "links", "vehicle parts", "--run", str(run))
    assert out.splitlines()[0] == "8708 Parts of motor vehicles: 1 input, feeds 1 product (fused network)"


@pytest.mark.parametrize("argv, message", [
    (["links", "9999"], "product 9999: not in this run's network"),
    (["links", "rubber bicycle"], "no product name matches"),
    (["links", "of"], "2 products match, the best: 8708 Parts of motor vehicles; 4011 New pneumatic tires of rubber; "
                      "give the HS code"),
    (["positions", "ARG"], "place 'ARG': neither a country nor a region of this run (countries: BRA, CHL)"),
    (["flows", "--input", "8708"], "flow_factors"),
    (["flows"], "flows: give --input, --output or both"),
])
def test_errors_name_what_is_wrong(run, capsys, argv, message):
    code, out, err = call(capsys, *argv, "--run", str(run))
    assert code == 2 and out == ""
    assert err.startswith("valuechain: error: ") and err.count("\n") == 1
    assert message in err or (message == "flow_factors" and "flows need a run with trade data" in err)


def test_a_missing_run_says_how_to_make_one(tmp_path, capsys):
    code, _, err = call(capsys, "links", "8703", "--run", str(tmp_path / "nothing"))
    assert code == 2 and "links/annotated.parquet: not found; valuechain links needs a finished run" in err


def test_positions_of_a_country_and_its_regions_or_of_one_region(run, capsys):
    code, out, _ = call(capsys, "positions", "bra", "--run", str(run), "--format", "csv")
    table = pd.read_csv(StringIO(out), keep_default_na=False)
    assert table[["scope", "country_name", "region"]].values.tolist() == [
        ["country", "Brazil", ""], ["region", "Brazil", "BRA-01"], ["region", "Brazil", "BRA-02"]]
    assert table["nitl"].tolist() == [0.45, 0.4, 0.5]
    code, out, _ = call(capsys, "positions", "CHL-01", "--run", str(run), "--format", "json")
    assert json.loads(out) == [{"scope": "region", "country": "CHL", "country_name": "Chile", "region": "CHL-01",
                                "region_name": "", "tl_imp": 3.0, "tl_exp": 2.0, "jump": -1.0, "nitl": 0.6, "ntj": -0.2,
                                "diversification": 30}]


def test_the_flows_query_sums_by_the_pairs_asked_for():
    sql = cli.flows_sql("8708", "8703", "country", 5)
    assert "WHERE input = '8708' AND output = '8703'" in sql and sql.endswith("LIMIT 5")
    assert "GROUP BY input, output, country_from, country_to" in sql
    assert "LIMIT" not in cli.flows_sql(None, "8703", "region", 0)
    with pytest.raises(cli.RunError, match="HS codes expected"):
        cli.flows_sql("8708' OR 1=1 --", None, "country", 5)


def test_icio_is_a_subcommand_and_keeps_its_old_name(capsys):
    code, out, _ = call(capsys, "icio", "--help")
    assert code == 0 and out.startswith("usage: valuechain icio")
    code, _, err = call(capsys, "icio", "nowhere.parquet", "--method", "gvc")
    assert code == 2 and err.startswith("valuechain icio: error:")


@pytest.mark.workflow
def test_the_commands_on_the_small_run(small_run):
    def command(*argv):
        proc = subprocess.run([sys.executable, "-m", "valuechain.outputs.cli", *argv, "--run", str(small_run)],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    links = pd.read_parquet(small_run / "links/annotated.parquet")
    link = links.iloc[0]
    table = pd.read_csv(StringIO(command("links", link["output"], "--format", "csv")), dtype={"product": str})
    inputs = table[table["role"] == "input"]
    assert inputs["product"].tolist() == links.loc[links["output"] == link["output"], "input"].tolist()
    by_country = pd.read_csv(StringIO(command("flows", "--input", link["input"], "--output", link["output"],
                                              "--top", "0", "--format", "csv")))
    largest = pd.read_parquet(small_run / "flows/largest_country_pairs.parquet")
    largest = largest[(largest["input"] == link["input"]) & (largest["output"] == link["output"])]
    assert len(by_country) == largest["pairs"].size or len(by_country) >= len(largest)
    top = by_country.head(len(largest))
    assert top[["country_from", "country_to"]].values.tolist() == largest[["country_from", "country_to"]].values.tolist()
    assert top["value"].to_numpy() == pytest.approx(largest["value"].to_numpy(), rel=1e-9)
    title = command("flows", "--input", link["input"], "--output", link["output"], "--by", "region", "--top", "3")
    assert title.splitlines()[0].startswith(f"{link['input']} {link['input_name']} -> {link['output']}")
    assert "estimated precision" in title.splitlines()[0] and len(title.splitlines()) == 5
    country = pd.read_parquet(small_run / "analysis/trophic_position_countries.parquet")["country"].iloc[0]
    assert command("positions", country).splitlines()[1].split()[:2] == ["scope", "country"]
