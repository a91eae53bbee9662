"""The methods table (valuechain.links.comparison): rows of every yardstick, held-out flags, matched coverage."""

import pandas as pd
import pytest

from valuechain.links import comparison as cmp


def test_icio_rows_name_the_yardsticks_and_label_in_sample_figures():
    icio = {"bf": {"years": pd.Series([0.5]), "industries": 0.4, "in_sample": 0.6}, "cospec": {"wiod2016": 0.7}}
    rows = cmp.icio_rows(icio, ["cospec", "bf", "learned"])
    assert [(r["method"], r["yardstick"], r["held_out"], r["precision"]) for r in rows] == [
        ("cospec", "wiod2016_heldout", True, 0.7), ("bf", "icio_years", True, 0.5),
        ("bf", "icio_industries", True, 0.4), ("bf", "icio_in_sample", False, 0.6)]


def test_world_rows_at_the_runs_share_in_both_labellings():
    world = pd.DataFrame({"network": ["world", "world", "world"], "labels": ["all", "cross_commodity", "all"],
                          "held_out": [True, True, True], "precision": [0.7, 0.5, 0.6], "at_least_1": [0.9, 0.8, 0.85],
                          "scored_links": [30, 30, 30], "scored_outputs": [10, 10, 10], "min_share": [0.01, 0.01, 0.02]})
    rows = cmp.world_rows(world, 0.01)
    assert [(r["yardstick"], r["precision"], r["links"]) for r in rows] == [("world", 0.7, 30),
                                                                            ("world_cross_commodity", 0.5, 30)]


def test_matched_coverage_is_the_smallest_coverage_on_each_yardstick():
    rows = [{"method": "a", "yardstick": "icio_years", "held_out": True, "precision": 0.5, "coverage": 1.0},
            {"method": "a", "yardstick": "world", "held_out": True, "precision": 0.7, "coverage": 0.6},
            {"method": "b", "yardstick": "world", "held_out": True, "precision": 0.4, "coverage": 0.9}]
    table = cmp.methods_table(rows, {}, k=3)
    assert table["matched_coverage"].tolist() == [1.0, 0.6, 0.6] and table["k"].eq(3).all()
    # without the networks at hand (world yardstick), the precision is copied, not recomputed
    assert table["precision_at_matched_coverage"].tolist() == pytest.approx([0.5, 0.7, 0.4])
    assert list(table.columns[:3]) == ["method", "yardstick", "k"]
