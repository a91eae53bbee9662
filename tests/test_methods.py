"""Link methods beyond B&F: co-specialisation scores by hand, relabelling invariance, abstention, the learned
model's calibration on held-out ICIO pairs, and the scoring of abstaining methods."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from data_files import data_file

from valuechain.analyses.validated import fit_bicm
from valuechain.links import cospec, learned, yardstick
from valuechain.links.evaluate import method_scores, precision_at_coverage

ROOT = Path(__file__).resolve().parents[1]

# Four locations, four products, built so that log(1 + RCA) takes simple values: X = log1p(E), Y = log1p(I).
X = np.array([[1, 1, 0, 2], [1, 0, 0, 0], [0, 1, 1, 0], [0, 0, 1, 0]], dtype=float)
Y = np.array([[1, 0, 0, 1], [1, 1, 0, 0], [0, 0, 1, 0], [0, 1, 1, 0]], dtype=float)
E, I = np.expm1(X), np.expm1(Y)


def test_log1p_correlation_by_hand():
    S = cospec.score_matrix(E, I, "log1p")  # S[q, p]: imports of q against exports of p
    # q = 0 imports [1, 1, 0, 0]: output 0 exports [1, 1, 0, 0] (r = 1), output 1 [1, 0, 1, 0] (r = 0),
    # output 2 [0, 0, 1, 1] (r = -1), output 3 [2, 0, 0, 0]: cov 1/4, sd 1/2 and sqrt(3)/2, r = 1/sqrt(3).
    assert S[0] == pytest.approx([1, 0, -1, 1 / np.sqrt(3)])
    # q = 2 imports [0, 0, 1, 1] = 1 - row q = 0: every correlation flips sign
    assert S[2] == pytest.approx(-S[0])


def test_rank_correlation_and_within_standardisation_by_hand():
    # ranks (average ties) of a binary column are an affine map of it: the same correlations
    assert cospec.score_matrix(E, I, "rank")[0] == pytest.approx([1, 0, -1, 1 / np.sqrt(3)])
    # within the input's row, the diagonal left out: q = 0 over p = 1, 2, 3 has values 0, -1, 1/sqrt(3)
    row = np.array([0, -1, 1 / np.sqrt(3)])
    z = (row - row.mean()) / row.std()
    assert cospec.score_matrix(E, I, "log1p+input")[0, 1:] == pytest.approx(z)
    # output_input adds the within-column z-score: column p = 0 over q = 1, 2, 3
    S = cospec.score_matrix(E, I, "log1p")
    col = S[1:, 0]
    both = cospec.score_matrix(E, I, "log1p+output_input")
    assert both[1, 0] == pytest.approx(cospec.within(S, "input")[1, 0] + (col[0] - col.mean()) / col.std())
    with pytest.raises(ValueError, match="unknown co-specialisation variant"):
        cospec.score_matrix(E, I, "log1p+sideways")


def test_bicm_zscore_equals_its_definition_location_by_location():
    Eb, Ib = (E >= 1).astype(float), (I >= 1).astype(float)
    PE, PI = fit_bicm(Eb).probabilities, fit_bicm(Ib).probabilities
    z = cospec.score_matrix(E, I, "bicm")
    for q in range(4):
        for p in range(4):
            pi = PI[:, q] * PE[:, p]
            v = (Ib[:, q] * Eb[:, p]).sum()
            expected = (v - pi.sum()) / np.sqrt(max((pi * (1 - pi)).sum(), 1e-12))
            assert z[q, p] == pytest.approx(expected)


def test_scores_and_links_do_not_depend_on_labels():
    rng = np.random.default_rng(3)
    E, I = rng.lognormal(0, 1, (30, 12)), rng.lognormal(0, 1, (30, 12))
    products = np.array([f"{i:04d}" for i in range(12)])
    loc, prod = rng.permutation(30), rng.permutation(12)
    for variant in ("log1p+input", "rank+output_input", "bicm"):
        S = cospec.score_matrix(E, I, variant)
        S2 = cospec.score_matrix(E[loc][:, prod], I[loc][:, prod], variant)
        np.testing.assert_allclose(S2, S[np.ix_(prod, prod)], atol=1e-10)
        a = cospec.top_links(S, products, 3)
        b = cospec.top_links(S2, products[prod], 3)
        key = ["output", "input", "rank"]
        pd.testing.assert_frame_equal(a.sort_values(key).reset_index(drop=True)[key],
                                      b.sort_values(key).reset_index(drop=True)[key])
    F = learned.pair_features(E, I)
    F2 = learned.pair_features(E[loc][:, prod], I[loc][:, prod])
    for name in learned.FEATURES:
        np.testing.assert_allclose(F2[name], F[name][np.ix_(prod, prod)], atol=1e-5, err_msg=name)


def test_abstention_and_confidence():
    rng = np.random.default_rng(0)
    S = rng.normal(size=(20, 20))
    conf = cospec.percentile_confidence(S)
    off = ~np.eye(20, dtype=bool)
    assert conf[off].min() == 0 and conf[off].max() == pytest.approx(1 - 1 / 380) and (np.diag(conf) == 0).all()
    assert np.all(np.argsort(S[off]) == np.argsort(conf[off]))  # monotone in the score
    products = [f"p{i:02d}" for i in range(20)]
    assert cospec.top_links(S, products, 3, min_confidence=1.0).empty
    every = cospec.top_links(S, products, 3, min_confidence=0.0)
    # the confidence of the selected links equals the full matrix's, and a given matrix is used as it is
    assert every["confidence"].tolist() == conf[np.searchsorted(products, every["input"]),
                                                  np.searchsorted(products, every["output"])].tolist()
    assert cospec.top_links(S, products, 3, confidence=np.ones_like(S), min_confidence=1.0).shape[0] == 60
    assert cospec.top_links(np.zeros((20, 20)), products, 3).empty  # all tied: no evidence, no link
    assert (every.groupby("output").size() == 3).all() and every["output"].nunique() == 20
    some = cospec.top_links(S, products, 3, min_confidence=0.95)
    assert (some["confidence"] >= 0.95).all() and 0 < len(some) < len(every)
    assert (some.groupby("output")["rank"].apply(lambda r: list(r) == list(range(1, len(r) + 1)))).all()
    assert cospec.bf_confidence([2, 4, 10]).tolist() == [1.0, 0.5, 0.2]


def test_abstaining_counts_as_wrong_and_matched_coverage():
    truth = pd.DataFrame({"output": ["A", "A", "B", "C", "D"], "input": ["x", "y", "x", "z", "w"]})
    links = pd.DataFrame({"output": ["A", "A", "B"], "input": ["x", "q", "x"], "rank": [1, 2, 1],
                          "confidence": [0.9, 0.5, 0.6]})
    s = method_scores(links, truth, k=2)
    # 2 of 3 links right; C and D abstain: coverage 1/2, and they count in the at-least shares as 0 correct
    assert s["precision"] == pytest.approx(2 / 3) and s["coverage"] == 0.5
    assert s["at_least_1"] == 0.5 and s["all_k"] == 0.0
    # at coverage 1/4 only A (its best link is the most confident) is kept: 1 of its 2 links right
    assert precision_at_coverage(links, truth, 2, 0.25) == 0.5
    assert np.isnan(precision_at_coverage(links, truth, 2, 0.75))


def _wiod(years):

    tables = [str(data_file(f"wiod2013/wiot_{y}.parquet")) for y in years]
    table = yardstick.prepare_tables(tables, "wiod", {}, ["RoW"], ["c35"])
    E, I_, _, industries = yardstick.rca_arrays(yardstick.specialisation(table.Z))
    return learned.Table(E, I_, yardstick.label_matrix(yardstick.trade_intensity_labels(table.Z), industries))


def test_learned_model_is_calibrated_on_held_out_pairs():
    tune, heldout = _wiod([2009, 2010]), _wiod([2011])
    model = learned.fit("logistic", learned.pair_features(tune.E, tune.I), tune.L, seed=0)
    P = learned.predict(model, learned.pair_features(heldout.E, heldout.I))
    off = ~np.eye(P.shape[0], dtype=bool)
    table = learned.reliability(P[off], heldout.L[off])
    table = table[table["pairs"] >= 30]
    assert len(table) == 10
    assert (table["mean_predicted"] - table["observed"]).abs().max() < 0.1
    # deterministic: the same seed gives the same probabilities
    again = learned.predict(learned.fit("logistic", learned.pair_features(tune.E, tune.I), tune.L, seed=0),
                            learned.pair_features(heldout.E, heldout.I))
    np.testing.assert_array_equal(P, again)


def test_variant_choice_uses_the_tuning_years_only():
    rng = np.random.default_rng(1)
    n_loc, n = 40, 10
    tables = {s: (rng.lognormal(0, 1, (n_loc, n)), rng.lognormal(0, 1, (n_loc, n)))
              for s in ("tune", "heldout", "full")}
    L = rng.random((n, n)) < 0.3
    chosen, table = cospec.select_variant(tables, L, L, L, 3, 5, 0, candidates=["log1p", "rank"])
    assert chosen == table.loc[table["tune"].idxmax(), "variant"]
    assert table["chosen"].sum() == 1 and set(table.attrs["heldout"]) == {"years", "industries"}


def test_final_bf_links_abstain_below_the_confidence_and_rank_again():
    """B&F's final links: confidence 2 / (rb + rf); below links.min_confidence a link is dropped and the output's
    remaining inputs are ranked again from 1."""
    from valuechain.links.methods import FINAL_COLUMNS, final_links

    bf = pd.DataFrame({"output": ["8703", "8703", "8703", "8708"], "input": ["8708", "4011", "7208", "7208"],
                       "rank": [1, 2, 3, 1], "score": [2.0, 8.0, 4.0, 10.0]})
    final = final_links(bf, "bf", 0.3)
    assert final[["output", "input", "rank", "confidence"]].values.tolist() == [["8703", "8708", 1, 1.0],
                                                                               ["8703", "7208", 2, 0.5]]
    assert list(final.columns) == list(FINAL_COLUMNS) and final["rank"].dtype == "int64"
    assert final["method"].eq("bf").all() and len(final_links(bf, "bf", 0.0)) == 4
