"""The default demo world: realistic density, planted links co-located as in real exports, and B&F recovers its
planted links far above the baseline."""

import functools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import yaml
from data_files import data_file

from valuechain.links import bf, evaluate
from valuechain.trade import clean, demo, rca

ROOT = Path(__file__).resolve().parents[1]


@functools.cache
def names(digits: int) -> pd.DataFrame:
    return demo.demo_names(pd.read_csv(data_file("hs/hs92_atlas_names.csv"), dtype=str),
                           pd.read_csv(data_file("hs/harmonized-system.csv"), dtype=str), digits)


def world_exports() -> pd.DataFrame:
    return pd.read_parquet(data_file("world2017/exports_country_hs4_2017.parquet"))


@pytest.fixture(scope="module")
def world(hs4_reference):
    cfg = yaml.safe_load((ROOT / "config/config.default.yaml").read_text())
    trade, truth, products = demo.generate(
        world_exports(), names(4), hs4_reference[0],
        demo.DemoSettings.from_config(cfg["demo"]),
    )
    trade = pd.concat(list(trade), ignore_index=True)
    c = cfg["clean"]
    cleaned, _, dropped_regions = clean.clean_trade(trade, c["drop_regions"], c["min_region_trade"], c["years"],
                                                    cfg["hs_digits"])
    return cfg, trade, truth, products, cleaned, dropped_regions, hs4_reference[0]


@pytest.mark.slow
def test_demo_world_is_deterministic_real_and_dense(world):
    cfg, trade, truth, products, cleaned, dropped_regions, reference = world
    assert len(products) == 400 and products["hs"].str.fullmatch(r"\d{4}").all()
    assert products.set_index("hs").loc["8703", "name"] == "Cars"
    assert 200 <= cleaned.groupby(["country", "region"]).ngroups <= 300
    assert len(dropped_regions) > 0 and "Unknown" in set(trade["region"])
    exp, imp = rca.trade_matrices(cleaned)
    assert (exp > 0).to_numpy().mean() > 0.5 and (imp > 0).to_numpy().mean() > 0.7
    again, truth2, _ = demo.generate(
        world_exports(), names(4), reference,
        demo.DemoSettings.from_config(cfg["demo"]),
    )
    pd.testing.assert_frame_equal(truth, truth2)
    # compared as Arrow tables: the same values, categories and codes, in seconds (pandas' own comparison of
    # 2.2 million categorical rows takes over a minute and a half)
    assert pa.Table.from_pandas(pd.concat(list(again), ignore_index=True), preserve_index=False).equals(
        pa.Table.from_pandas(trade, preserve_index=False))
    # In blocks of products (as a large world is made): other draws of the same world, the same trade in total.
    blocks, truth3, _ = demo.generate(
        world_exports(), names(4), reference,
        replace(demo.DemoSettings.from_config(cfg["demo"]), block_cells=500_000),
    )
    blocks = list(blocks)
    assert len(blocks) > 10
    pd.testing.assert_frame_equal(truth3, truth)
    assert abs(sum(b["value"].sum() for b in blocks) / trade["value"].sum() - 1) < 0.01


@pytest.mark.slow
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
    names6 = names(6)
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


def _tiny_world():
    """A self-contained tiny world (no data file, no reference code): 30 products of 6 countries, a random
    reference network, 12 regions."""
    rng = np.random.default_rng(1)
    countries = ["BRA", "USA", "CHN", "DEU", "FRA", "ITA"]
    codes = [f"{8400 + i}" for i in range(30)]
    world = pd.DataFrame({"country": np.repeat(countries, len(codes)), "hs4": np.tile(codes, len(countries)),
                          "value": rng.lognormal(18, 2, len(countries) * len(codes))})
    names = pd.DataFrame({"code": codes, "name": [f"product {c}" for c in codes], "atlas": True})
    pairs = pd.DataFrame({"output": np.repeat(codes, 6), "input": rng.choice(codes, 6 * len(codes))})
    ref = pairs[pairs["output"] != pairs["input"]].drop_duplicates().assign(share=lambda d: rng.random(len(d)))
    settings = demo.DemoSettings(seed=7, n_products=20, years=(2019, 2020), regions={"BRA": 4, "USA": 5, "CHN": 3},
                                 n_other_partners=2, inputs_per_product=(2, 3), reference_pool=5)
    return world, names, ref.reset_index(drop=True), settings


def _digest(*frames: pd.DataFrame) -> str:
    """sha256 of the frames' columns: numbers as their bytes, categoricals as categories and codes, text as text."""
    import hashlib

    h = hashlib.sha256()
    for frame in frames:
        for col in frame.columns:
            v = frame[col]
            if isinstance(v.dtype, pd.CategoricalDtype):
                h.update("|".join(map(str, v.cat.categories)).encode())
                v = v.cat.codes
            h.update(np.ascontiguousarray(v.to_numpy()).tobytes() if pd.api.types.is_numeric_dtype(v)
                     else "|".join(map(str, v)).encode())
    return h.hexdigest()


# The tiny world as the generator made it before co-location was planted (commit 181f32c): change only when the
# world at colocation 0 is meant to change.
TINY_WORLD_SHA256 = "027ecbfcaa834eb5651ee1947d1b0804431ac46f7c655949c8c26338819598ce"  # trade
TINY_PLAN_SHA256 = "62fffd963cb6967fef4c35a7dc98c9720274584dd6089174278ce43776a3354b"  # truth and products


def test_colocation_zero_is_the_world_before_colocation():
    """``demo.colocation: 0`` makes exactly the world of the generator before co-location was planted."""
    world, names, ref, settings = _tiny_world()

    def make(strength):
        trade, truth, products = demo.generate(world, names, ref, replace(settings, colocation=strength))
        return pd.concat(list(trade), ignore_index=True), truth, products

    trade0, truth0, products0 = make(0.0)
    assert _digest(trade0) == TINY_WORLD_SHA256
    assert _digest(truth0, products0) == TINY_PLAN_SHA256
    # The smoothing path makes no draw: at a vanishing strength it gives the same world as the path it skips...
    pd.testing.assert_frame_equal(make(1e-12)[0], trade0)
    # ... and at the default strength other exports, around the same planted graph.
    trade, truth, products = make(demo.DemoSettings.colocation)
    assert demo.DemoSettings.colocation > 0 and _digest(trade) != TINY_WORLD_SHA256
    assert _digest(truth, products) == TINY_PLAN_SHA256


def test_chain_propensity_keeps_unit_variance_and_links_co_located():
    rng = np.random.default_rng(0)
    A = np.zeros((6, 6))
    A[[0, 1], 2] = [0.7, 0.3]  # 0 and 1 are inputs of 2; 3 -> 4; 5 has no link
    A[3, 4] = 1.0
    z = rng.standard_normal((200_000, 6))
    np.testing.assert_array_equal(demo.chain_propensity(z, A, 0.0), z)
    y = demo.chain_propensity(z, A, 0.5)
    np.testing.assert_allclose(y.std(axis=0), 1.0, atol=0.01)  # exact unit variance, up to sampling
    np.testing.assert_array_equal(y[:, 5], z[:, 5])  # no planted link: its own draw
    r = np.corrcoef(y.T)
    assert r[0, 2] > r[1, 2] > 0.1 and r[3, 4] > 0.1  # the larger share, the stronger
    assert abs(r[0, 3]) < 0.01 and 0 < r[0, 1] < r[0, 2]  # other chains independent; 2 steps weaker than 1
    with pytest.raises(ValueError, match="colocation"):
        demo.chain_propensity(z, A, 1.5)
    # the in-place Cholesky inverse, mirrored in blocks (as at HS6, 5,000 products in blocks of 1,024)
    S = rng.random((11, 11))
    B = S @ S.T + np.eye(11)
    np.testing.assert_allclose(demo._spd_inverse(B.copy(), step=3), np.linalg.inv(B), rtol=1e-10, atol=1e-12)


@pytest.mark.slow
def test_default_colocation_co_locates_planted_links(hs4_reference):
    """On a small real-sized world, the regions that export a product export its planted inputs: their
    co-location (valuechain.links.evidence) is clearly above other pairs', as in real data; at 0 it is not."""
    from valuechain.links.evidence import colocation

    settings = replace(
        demo.DemoSettings.from_config(yaml.safe_load((ROOT / "config/config.default.yaml").read_text())["demo"]),
        n_products=150, years=(2019,), regions={"BRA": 27, "CHN": 31, "RUS": 60, "USA": 51}, n_other_partners=4,
    )
    world = world_exports()

    def margin(strength):
        trade, truth, products = demo.generate(world, names(4), hs4_reference[0], replace(settings, colocation=strength))
        trade = pd.concat(list(trade), ignore_index=True)
        X = trade[trade["flow"] == "export"].pivot_table(index="region", columns="hs", values="value", aggfunc="sum",
                                                         fill_value=0.0, observed=True)
        hs = pd.Index(products["hs"])
        C = colocation(rca.balassa_rca(X.reindex(columns=hs, fill_value=0.0).to_numpy()))
        L = np.zeros_like(C, dtype=bool)
        L[hs.get_indexer(truth["input"]), hs.get_indexer(truth["output"])] = True
        other = C[~L & ~np.eye(len(hs), dtype=bool)]
        return C[L].mean() - other.mean(), other.std()

    assert settings.colocation > 0
    (planted, spread), (before, _) = margin(settings.colocation), margin(0.0)
    # about 0.037 (0.45 standard deviations of the other pairs) against -0.002 before
    assert planted > 0.025 and planted > 0.3 * spread and abs(before) < 0.01, (planted, spread, before)
