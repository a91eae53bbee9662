"""Evidence of product links beyond regional co-specialisation, by hand: co-location, the industry prior, the
cross-fitted choice of weights, and the Python API (valuechain.links.evidence, valuechain.links.methods)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.stats import spearmanr

from valuechain.links import evidence as ev
from valuechain.links import methods as api

ROOT = Path(__file__).resolve().parents[1]


def test_colocation_on_a_hand_made_four_by_four_case():
    # Columns a = (1, 2, 3, 4), b = (4, 3, 2, 1), c = (0, 0, 1, 1) (ties: ranks 1.5, 1.5, 3.5, 3.5), d = (2, 1, 4, 3).
    E = np.array([[1, 4, 0, 2], [2, 3, 0, 1], [3, 2, 1, 4], [4, 1, 1, 3]], dtype=float)
    C = ev.colocation(E)
    # Centred ranks: a (-1.5, -.5, .5, 1.5), b = -a, c (-1, -1, 1, 1), d (-.5, -1.5, 1.5, .5).
    # corr(a, c) = 4 / (sqrt(5) 2); corr(a, d) = 3 / 5; corr(c, d) = 4 / (2 sqrt(5)).
    expected = np.array([
        [1, -1, 2 / np.sqrt(5), 0.6],
        [-1, 1, -2 / np.sqrt(5), -0.6],
        [2 / np.sqrt(5), -2 / np.sqrt(5), 1, 2 / np.sqrt(5)],
        [0.6, -0.6, 2 / np.sqrt(5), 1],
    ])
    np.testing.assert_allclose(C, expected, atol=1e-12)
    np.testing.assert_allclose(C, C.T)
    # With the largest locations: the mean with the correlation over the 3 largest (rows 2, 3, 0 by size).
    sizes = np.array([30.0, 1.0, 50.0, 40.0])
    large = spearmanr(E[[2, 3, 0]]).statistic
    np.testing.assert_allclose(ev.colocation(E, sizes, 0.5), (expected + np.nan_to_num(large)) / 2, atol=1e-12)


def test_industry_prior_on_two_industries_with_a_product_mapped_to_both():
    # A[i, j]: input of industry i per unit of output of j.
    A = pd.DataFrame([[0.1, 0.3], [0.2, 0.0]], index=["X", "Y"], columns=["X", "Y"])
    concordance = pd.DataFrame({"hs6": ["010101", "010102", "020101", "020101", "020102"],
                                "industry": ["X", "Y", "X", "Y", "Y"]})
    M = ev.industry_shares(["0101", "0201", "0301"], concordance)
    # 0101: its HS6 codes go to X and Y (1/2 each); 0201: 020101 split X/Y, 020102 Y: X 1/4, Y 3/4; 0301: unknown.
    np.testing.assert_allclose(M.to_numpy(), [[0.5, 0.5], [0.25, 0.75], [0, 0]])
    P = ev.product_prior(M, A)
    # P[0101, 0201] = .5 (.1 .25 + .3 .75) + .5 (.2 .25 + 0) = .15; P[0201, 0101] = .25 (.05 + .15) + .75 (.1) = .125
    assert P[0, 1] == pytest.approx(0.15) and P[1, 0] == pytest.approx(0.125)
    assert P[0, 0] == pytest.approx(0.15) and (P[2] == 0).all() and (P[:, 2] == 0).all()
    # An HS6 product takes its own code's shares.
    np.testing.assert_allclose(ev.industry_shares(["020101"], concordance).to_numpy(), [[0.5, 0.5]])
    np.testing.assert_allclose(ev.log_prior(P)[2, 2], np.log(ev.PRIOR_FLOOR))


def test_hs_industries_carries_isic_divisions_to_table_industries():
    concordance = pd.DataFrame({"HS_6d": ["010110", "720110", "999999"], "ISIC3_2d": ["01", "27", None]})
    industries = pd.DataFrame({"industry": ["c1", "c1", "c12", "c12"], "isic3_2d": ["01", "02", "27", "28"]})
    got = ev.hs_industries(concordance, "ISIC3_2d", industries)
    assert got.values.tolist() == [["010110", "c1"], ["720110", "c12"]]


def _planted_world(n=60, seed=0):
    """Co-location says input q+1 of p; the prior says input q+2. Outputs of fold 0 (the larger part) follow the
    prior, the others co-location."""
    rng = np.random.default_rng(seed)
    C = rng.uniform(0, 0.5, (n, n))
    P = rng.uniform(0, 0.5, (n, n))
    idx = np.arange(n)
    C[(idx + 1) % n, idx] = 1.0
    P[(idx + 2) % n, idx] = 1.0
    fold = np.where(idx < 36, 0, 1 + idx % 4)  # 36 outputs in fold 0, 6 in each other
    L = np.zeros((n, n), dtype=bool)
    L[np.where(fold == 0, (idx + 2) % n, (idx + 1) % n), idx] = True
    world = ev.WorldEvidence(headings=idx, colocations={None: C}, prior=P, size=np.zeros(n))
    return world, {"all": L}, fold


def test_crossfitting_never_scores_an_output_with_weights_chosen_on_its_fold():
    world, labels, fold = _planted_world()
    grid = [ev.WorldWeights(prior=0.0, size=0.0, large_share=None), ev.WorldWeights(prior=10.0, size=0.0,
                                                                                    large_share=None)]
    weights, table = ev.crossfit_weights(world, labels, np.ones(len(fold), dtype=bool), fold, 1, grid)
    # In sample the prior wins (36 of 60 outputs follow it); fold 0's own signal must not choose its weights.
    assert weights[0].prior == 0.0
    assert all(weights[f].prior == 10.0 for f in (1, 2, 3, 4))
    S = ev.crossfit_score(world, fold, weights)
    scored, correct = ev.correct_counts(S, labels["all"], np.ones(len(fold), dtype=bool), 1)
    assert correct.sum() == 0 and scored.sum() == len(fold)  # every output scored held out, and wrong
    assert table.groupby("fold")["chosen"].sum().eq(1).all()
    assert ev.in_sample_weights(table, grid, labels).prior == 10.0  # the folds' counts summed: the prior wins
    with pytest.raises(ValueError, match="no world weights"):
        ev.crossfit_score(world, fold, {0: weights[0]})


def test_product_folds_follow_the_heading():
    folds = ev.product_folds(["870321", "870322", "8703", "0101"], 5)
    assert folds[0] == folds[1] == folds[2] and 0 <= folds.min() and folds.max() < 5


def test_one_heading_has_no_world_colocation():
    world = ev.WorldEvidence(headings=np.array([0, 0, 1, -1]), colocations={None: np.array([[1, .5], [.5, 1]])},
                             prior=np.zeros((4, 4)), size=np.zeros(4))
    np.testing.assert_allclose(world.colocation(None), [[0, 0, .5, 0], [0, 0, .5, 0], [.5, .5, 0, 0], [0, 0, 0, 0]])


# -------------------------------------------------------------------------------------------------- the API
def _trade(seed=1, locations=30, products=12):
    rng = np.random.default_rng(seed)
    codes = [f"P{i:02d}" for i in range(products)]
    index = pd.Index([f"r{i}" for i in range(locations)], name="region")
    exports = pd.DataFrame(rng.lognormal(0, 1.5, (locations, products)), index=index, columns=codes)
    imports = pd.DataFrame(rng.lognormal(0, 1.5, (locations, products)), index=index, columns=codes)
    return exports, imports


def test_infer_without_hs_codes_skips_world_evidence_and_says_why(caplog):
    exports, imports = _trade()
    with caplog.at_level("INFO"):
        fused = api.infer(exports, imports, method="default", k=2)
    assert "not HS codes" in caplog.text
    regional = api.infer(exports, imports, method="regional", k=2)
    pd.testing.assert_frame_equal(fused.drop(columns="method"), regional.drop(columns="method"))
    assert list(fused.columns) == ["output", "input", "rank", "score", "confidence", "method"]
    assert (fused.groupby("output").size() == 2).all() and (fused["output"] != fused["input"]).all()
    with pytest.raises(ValueError, match="cannot run"):
        api.infer(exports, imports, method="world")
    with pytest.raises(ValueError, match="needs imports"):
        api.infer(exports, None, method="cospec")
    colocation = api.infer(exports, None, method="colocation", k=1)
    assert len(colocation) == 12
    bf = api.infer(exports, imports, method="bf", k=3)
    assert set(bf["method"]) == {"bf"} and (bf["confidence"] <= 1).all()


def test_the_default_method_is_the_workflows():
    cfg = yaml.safe_load((ROOT / "config" / "config.default.yaml").read_text())
    assert cfg["links"]["method"] == api.DEFAULT_METHOD
    assert set(cfg["links"]["compare"]) <= set(api.METHODS)


def test_reference_labels_are_the_pairs_at_or_above_the_share_within_the_products():
    reference = pd.DataFrame({"output": ["8703", "8703", "8708", "9999"], "input": ["8708", "4011", "7208", "8703"],
                              "share": [0.05, 0.005, 0.02, 0.5], "share_cross": [0.05, 0.0, 0.0, 0.5]})
    labels = ev.reference_labels(reference, ["4011", "7208", "8703", "8708"], 0.01,
                                 {"all": "share", "cross_commodity": "share_cross"})
    # input rows, output columns: 8708 -> 8703 and 7208 -> 8708 at 1%; 4011 -> 8703 below; 9999 not a product
    assert np.argwhere(labels["all"]).tolist() == [[1, 3], [3, 2]]
    assert np.argwhere(labels["cross_commodity"]).tolist() == [[3, 2]]


def test_the_world_evaluation_says_how_each_network_was_chosen():
    evaluation = pd.DataFrame({"network": ["world", "world_in_sample", "world_colocation", "published_kh2025"],
                               "precision": [0.7, 0.72, 0.5, 0.3]})
    out = ev.label_world_evaluation(evaluation)
    assert list(out.columns) == ["network", "held_out", "chosen_on", "precision"]
    assert out["held_out"].tolist() == [True, False, True, True]
    assert out["chosen_on"].tolist() == ["other folds of outputs", "all outputs (in sample)", "nothing", "nothing"]
