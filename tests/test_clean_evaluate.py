import numpy as np
import pandas as pd
import pytest

from valuechain.glue.provenance import build_manifest, read_metadata, write_table
from valuechain.links.evaluate import score_links
from valuechain.trade.canonical import read_canonical
from valuechain.trade.clean import clean_trade


def test_cleaning_drops_pseudo_regions_small_regions_and_years(tmp_path):
    from pathlib import Path

    t = read_canonical(Path(__file__).parent / "fixtures" / "canonical_small.csv")
    clean, rows, regions = clean_trade(t, {"BRA": ["Exterior"]}, min_region_trade=100, years=[2019, 2020],
                                       hs_digits=2)
    assert rows["reason"].tolist() == ["unknown or re-export pseudo-region (clean.drop_regions)"]
    # Minas Gerais imports 20 < 100: dropped with its totals; São Paulo exports 1500, imports 700: kept.
    assert regions[["region", "exports", "imports"]].values.tolist() == [["Minas Gerais", 3000.0, 20.0]]
    assert set(clean["region"]) == {"São Paulo"}
    assert sorted(clean["hs"]) == ["87", "87", "87"]
    only_2020, rows, _ = clean_trade(t, {}, 0, years=[2020], hs_digits=4)
    assert (rows["reason"] == "year not selected (clean.years)").sum() == 4
    # 2020 holds Minas Gerais' ore exports and the Exterior row, which this call does not drop
    assert sorted(only_2020["region"]) == ["Exterior", "Minas Gerais"]
    with pytest.raises(ValueError, match="fewer than 6 digits"):
        clean_trade(t, {}, 0, hs_digits=6)


def test_scores_on_hand_example():
    truth = pd.DataFrame({"output": ["A", "A", "B", "C"], "input": ["x", "y", "x", "z"]})
    pred = pd.DataFrame(
        {"output": ["A", "A", "B", "B", "D"], "input": ["x", "y", "q", "r", "x"], "rank": [1, 2, 1, 2, 1]}
    )
    s = score_links(pred, truth, k=2)
    # D is not in the truth: not scored. A: 2 of 2 right; B: 0 of 2; C: nothing predicted.
    assert s["precision_at_k"] == pytest.approx(2 / 4)
    assert s["recall"] == pytest.approx(2 / 4)
    assert s["share_at_least_1_correct"] == pytest.approx(1 / 3)
    assert s["share_all_2_correct"] == pytest.approx(1 / 3)


def test_parquet_provenance_and_manifest(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("x")
    meta = {"valuechain.schema_version": "t/1", "valuechain.inputs_sha256": "{}"}
    path = write_table(pd.DataFrame({"a": np.arange(3)}), tmp_path / "out" / "t.parquet", meta)
    assert read_metadata(path)["schema_version"] == "t/1"
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["t.parquet"]  # no temporary left behind
    m = build_manifest(tmp_path, [path])
    assert m["artifacts"][0]["path"] == "out/t.parquet" and m["artifacts"][0]["rows"] == 3


def test_at_least_shares_and_a_k_beyond_the_candidates():
    from valuechain.links.evaluate import at_least_shares, random_per_output, summarise_random
    from valuechain.links.methods import clipped_k

    # outputs with 0, 1, 3 and 2 correct inputs: at least 1, 2, 3 correct
    assert at_least_shares(np.array([0, 1, 3, 2]), 3).tolist() == [0.75, 0.5, 0.25]
    assert np.isnan(at_least_shares(np.array([], dtype=int), 2)).all()
    # k = 10,000 among 4 products is every candidate (3); the random expectation draws all 3: precision T / N and
    # P(all 3 correct) = 1 only for the output whose 3 candidates are all true
    k = clipped_k(10_000, 4)
    ref = pd.DataFrame({"output": ["a", "a", "a", "b"], "input": ["b", "c", "d", "a"], "share": [0.5, 0.3, 0.2, 1.0]})
    per = random_per_output(["a", "b", "c", "d"], ref, ["a", "b", "c", "d"], k, 0.01)
    assert k == 3 and per["true"].tolist() == [3, 1, 0, 0]
    summary = summarise_random(per, k)
    assert summary["all_k"] == 0.25 and summary["at_least_1"] == 0.5 and summary["precision"] == (1 + 1 / 3) / 4
