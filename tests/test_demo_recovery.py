"""The default demo world: realistic density, and B&F recovers its planted links far above the baseline."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from data_files import DATA
from valuechain import bf, clean, demo, evaluate, rca

ROOT = Path(__file__).resolve().parents[1]
NAMES4 = demo.demo_names(pd.read_csv(DATA / "hs/hs92_atlas_names.csv", dtype=str),
                         pd.read_csv(DATA / "hs/harmonized-system.csv", dtype=str), 4)


@pytest.fixture(scope="module")
def world(hs4_reference):
    cfg = yaml.safe_load((ROOT / "config/config.default.yaml").read_text())
    trade, truth, products = demo.generate(
        pd.read_parquet(DATA / "world2017/exports_country_hs4_2017.parquet"), NAMES4, hs4_reference[0],
        demo.DemoSettings.from_config(cfg["demo"]),
    )
    trade = pd.concat(list(trade), ignore_index=True)
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
        pd.read_parquet(DATA / "world2017/exports_country_hs4_2017.parquet"), NAMES4, reference,
        demo.DemoSettings.from_config(cfg["demo"]),
    )
    pd.testing.assert_frame_equal(truth, truth2)
    pd.testing.assert_frame_equal(pd.concat(list(again), ignore_index=True), trade)
    # In blocks of products (as a large world is made): other draws of the same world, the same trade in total.
    blocks, truth3, _ = demo.generate(
        pd.read_parquet(DATA / "world2017/exports_country_hs4_2017.parquet"), NAMES4, reference,
        replace(demo.DemoSettings.from_config(cfg["demo"]), block_cells=500_000),
    )
    blocks = list(blocks)
    assert len(blocks) > 10
    pd.testing.assert_frame_equal(truth3, truth)
    assert abs(sum(b["value"].sum() for b in blocks) / trade["value"].sum() - 1) < 0.01


def test_bf_recovers_planted_links_far_above_baseline(world):
    cfg, _, truth, products, cleaned, _, _ = world
    exp, imp = rca.rca_matrices(rca.rca_table(cleaned, "outer"))
    t = bf.Thresholds(2.0, 1.5, 3.5, 2.0)  # the paper's thresholds (the default run uses the tuned ones)
    links = bf.backward_forward(exp, imp, t, cfg["links"]["n_candidates"])
    scores = evaluate.score_links(links, truth, 3)
    base = evaluate.score_links(bf.random_baseline(products["hs"], 3, 0), truth, 3)
    assert scores["precision_at_k"] > 0.3 > 0.05 > base["precision_at_k"]
    assert scores["share_at_least_1_correct"] > 0.5


def test_hs6_world_splits_real_hs4_exports_among_real_subheadings():
    world = pd.DataFrame({"country": ["BRA", "BRA", "USA"], "hs": ["8703", "0101", "8703"],
                          "value": [100.0, 7.0, 50.0]})
    names6 = demo.demo_names(pd.read_csv(DATA / "hs/hs92_atlas_names.csv", dtype=str),
                             pd.read_csv(DATA / "hs/harmonized-system.csv", dtype=str), 6)
    assert names6["code"].str.fullmatch(r"\d{6}").all() and len(names6) > 5000
    assert names6.set_index("code").loc["870323", "atlas"]
    split = demo.split_subheadings(world, names6["code"], np.random.default_rng(0))
    assert split["hs"].isin(names6["code"]).all() and (split["value"] > 0).all()
    by_heading = split.groupby(["country", split["hs"].str[:4]])["value"].sum()
    assert np.allclose(by_heading.loc[[("BRA", "8703"), ("BRA", "0101"), ("USA", "8703")]], [100.0, 7.0, 50.0])
    assert split[split["hs"].str[:4] == "8703"]["hs"].nunique() > 3  # cars, by engine size
    # Asked for more products than the reference maps: all of those, then the largest other named exports.
    products = demo.sample_products(split, names6, 5, np.random.default_rng(0), ["870323", "010111"])
    assert {"870323", "010111"} <= set(products["hs"]) and len(products) == 5
    with pytest.raises(ValueError, match="only .* have a name and exports"):
        demo.sample_products(split, names6, 500, np.random.default_rng(0))
