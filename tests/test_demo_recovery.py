"""The default demo world: realistic density, and B&F recovers its planted links far above the baseline."""

from pathlib import Path

import pandas as pd
import pytest
import yaml
from data_files import DATA
from valuechain import bf, clean, demo, evaluate, rca

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def world(hs4_reference):
    cfg = yaml.safe_load((ROOT / "config/config.default.yaml").read_text())
    names = pd.read_csv(DATA / "hs/hs92_atlas_names.csv", dtype=str)
    trade, truth, products = demo.generate(
        pd.read_parquet(DATA / "world2017/exports_country_hs4_2017.parquet"),
        names[names["level"] == "4digit"],
        hs4_reference[0],
        demo.DemoSettings.from_config(cfg["demo"]),
    )
    c = cfg["clean"]
    cleaned, _, dropped_regions = clean.clean_trade(trade, c["drop_regions"], c["min_region_trade"], c["years"],
                                                    c["hs_digits"])
    return cfg, trade, truth, products, cleaned, dropped_regions, hs4_reference[0]


def test_demo_world_is_deterministic_real_and_dense(world):
    cfg, trade, truth, products, cleaned, dropped_regions, reference = world
    assert len(products) == 400 and products["hs"].str.fullmatch(r"\d{4}").all()
    assert products.set_index("hs").loc["8703", "name"] == "Cars"
    assert 200 <= cleaned.groupby(["country", "region"]).ngroups <= 300
    assert len(dropped_regions) > 0 and "Unknown" in set(trade["region"])
    exp, imp = rca.trade_matrices(cleaned)
    assert (exp > 0).to_numpy().mean() > 0.5 and (imp > 0).to_numpy().mean() > 0.7
    again, truth2, _ = demo.generate(
        pd.read_parquet(DATA / "world2017/exports_country_hs4_2017.parquet"),
        pd.read_csv(DATA / "hs/hs92_atlas_names.csv", dtype=str).query("level == '4digit'"),
        reference,
        demo.DemoSettings.from_config(cfg["demo"]),
    )
    pd.testing.assert_frame_equal(truth, truth2)
    assert again["value"].sum() == trade["value"].sum()


def test_bf_recovers_planted_links_far_above_baseline(world):
    cfg, _, truth, products, cleaned, _, _ = world
    exp, imp = rca.rca_matrices(rca.rca_table(cleaned, "outer"))
    t = bf.Thresholds(2.0, 1.5, 3.5, 2.0)  # the paper's thresholds (the default run uses the tuned ones)
    links = bf.backward_forward(exp, imp, t, cfg["links"]["n_candidates"])
    scores = evaluate.score_links(links, truth, 3)
    base = evaluate.score_links(bf.random_baseline(products["hs"], 3, 0), truth, 3)
    assert scores["precision_at_k"] > 0.3 > 0.05 > base["precision_at_k"]
    assert scores["share_at_least_1_correct"] > 0.5
