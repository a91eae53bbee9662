"""Trophic levels, coherence, null models and trophic position (docs/method.md section 7)."""

import numpy as np
import pandas as pd
import pytest

from valuechain.trophic import (
    NullTest,
    adjacency_from_edges,
    coherence_significance,
    component_coherence,
    configuration_edges,
    erdos_renyi_edges,
    trophic_incoherence,
    trophic_levels,
    trophic_levels_dense,
    trophic_position,
)


def graph(n, edges, weights=None):
    W, _ = adjacency_from_edges([a for a, _ in edges], [b for _, b in edges], nodes=range(n), weights=weights)
    return W


# docs/method.md section 7 oracles: levels with minimum 0 (we add 1) and incoherence F0
ORACLES = [
    ("chain", 3, [(0, 1), (1, 2)], None, [0, 1, 2], 0.0),
    ("feed-forward", 3, [(0, 1), (0, 2), (1, 2)], None, [0, 2 / 3, 4 / 3], 1 / 9),
    ("weighted feed-forward", 3, [(0, 1), (0, 2), (1, 2)], [2, 1, 2], [0, 0.75, 1.5], 0.1),
    ("3-cycle", 3, [(0, 1), (1, 2), (2, 0)], None, [0, 0, 0], 1.0),
    ("tail into a 3-cycle", 4, [(0, 1), (1, 2), (2, 3), (3, 1)], None, [0, 1, 1, 1], 0.75),
]


@pytest.mark.parametrize("solver", ["cg", "lu", "dense"])
@pytest.mark.parametrize("name,n,edges,weights,h0,f0", ORACLES, ids=[o[0] for o in ORACLES])
def test_method_oracles(solver, name, n, edges, weights, h0, f0):
    W = graph(n, edges, weights)
    h = trophic_levels_dense(W) if solver == "dense" else trophic_levels(W, solver=solver)
    np.testing.assert_allclose(h, np.array(h0) + 1.0, atol=1e-10)
    assert trophic_incoherence(W, h) == pytest.approx(f0, abs=1e-12)
    cc = component_coherence(W, h)
    assert len(cc) == 1 and cc.loc[0, "coherence"] == pytest.approx(1 - f0, abs=1e-12)


def test_components_shifted_separately_and_isolated_nodes_at_one():
    # component {0,1,2} chain, component {3,4} edge, isolated node 5
    W = graph(6, [(0, 1), (1, 2), (4, 3)])
    np.testing.assert_allclose(trophic_levels(W), [1, 2, 3, 2, 1, 1], atol=1e-10)
    cc = component_coherence(W)
    assert cc["nodes"].tolist() == [3, 2] and cc["edges"].tolist() == [2, 1]


def test_sparse_solvers_match_dense_on_random_graph():
    src, dst = erdos_renyi_edges(300, 900, 1, seed=3)
    W, _ = adjacency_from_edges(src[0], dst[0], nodes=range(300))
    ref = trophic_levels_dense(W)
    np.testing.assert_allclose(trophic_levels(W, "cg"), ref, atol=1e-8)
    np.testing.assert_allclose(trophic_levels(W, "lu"), ref, atol=1e-8)


def test_long_path_falls_back_or_converges_exactly():
    n = 3000
    W, _ = adjacency_from_edges(np.arange(n - 1), np.arange(1, n), nodes=range(n))
    np.testing.assert_allclose(trophic_levels(W), np.arange(1, n + 1), rtol=1e-9)


def test_invalid_adjacency():
    with pytest.raises(ValueError, match="square"):
        trophic_levels(np.ones((2, 3)))
    with pytest.raises(ValueError, match="non-negative"):
        trophic_levels(np.array([[0, -1.0], [0, 0]]))
    with pytest.raises(ValueError, match="solver"):
        trophic_levels(np.zeros((2, 2)), solver="qr")


def test_erdos_renyi_samples_keep_nodes_and_edge_count():
    n, m, S = 40, 300, 120
    src, dst = erdos_renyi_edges(n, m, S, seed=1)
    assert src.shape == dst.shape == (S, m)
    assert (src != dst).all() and src.min() >= 0 and max(src.max(), dst.max()) < n
    keys = src * n + dst
    assert all(np.unique(row).size == m for row in keys)  # simple digraphs
    # samples differ, and off-diagonal cells are used uniformly: each cell's count over S samples is
    # Binomial(S, p = m / (n (n-1))), so the dispersion statistic is about chi-square with N - 1 dof.
    assert np.unique(keys, axis=0).shape[0] == S
    freq = np.bincount(keys.ravel(), minlength=n * n).reshape(n, n)
    assert np.trace(freq) == 0
    cells = n * (n - 1)
    p = m / cells
    f = freq[~np.eye(n, dtype=bool)]
    dispersion = ((f - S * p) ** 2).sum() / (S * p * (1 - p))
    assert abs(dispersion - (cells - 1)) < 5 * np.sqrt(2 * (cells - 1))


def test_erdos_renyi_complete_graph():
    src, dst = erdos_renyi_edges(5, 20, 3, seed=0)
    assert all(np.unique(s * 5 + d).size == 20 for s, d in zip(src, dst))


def test_configuration_samples_keep_degree_sequences():
    rng = np.random.default_rng(0)
    out_deg = rng.integers(0, 6, 50)
    in_deg = rng.permutation(out_deg)
    src, dst = configuration_edges(out_deg, in_deg, 150, seed=2)
    for s, d in zip(src, dst):
        np.testing.assert_array_equal(np.bincount(s, minlength=50), out_deg)
        np.testing.assert_array_equal(np.bincount(d, minlength=50), in_deg)
    assert np.unique(dst, axis=0).shape[0] > 140
    with pytest.raises(ValueError, match="sum alike"):
        configuration_edges([1, 1], [1, 0], 2)


def test_null_test_statistics_by_hand():
    t = NullTest.from_samples(3.0, np.array([1.0, 2.0, 3.0, 2.0]))
    assert t.mean == 2.0 and t.std == pytest.approx(np.sqrt(2 / 3))
    assert t.z == pytest.approx(1 / np.sqrt(2 / 3))
    assert t.p_greater == pytest.approx(2 / 5) and t.p_less == pytest.approx(5 / 5)


def layered_dag(layers=5, width=12, p=0.3, seed=0):
    rng = np.random.default_rng(seed)
    edges = [
        (a * width + i, (a + 1) * width + j)
        for a in range(layers - 1)
        for i in range(width)
        for j in range(width)
        if rng.random() < p
    ]
    return graph(layers * width, edges)


def test_coherent_network_is_significant_and_random_one_is_not():
    res = coherence_significance(layered_dag(), n_samples=100, seed=0)
    for t in res.values():
        assert t.observed == pytest.approx(1.0)
        assert t.z > 3 and t.p_greater == pytest.approx(1 / 101) and t.n_samples == 100
    src, dst = erdos_renyi_edges(60, 200, 1, seed=9)
    W, _ = adjacency_from_edges(src[0], dst[0], nodes=range(60))
    er = coherence_significance(W, n_samples=100, seed=1)["er"]
    assert abs(er.z) < 3.5 and 0.02 < er.p_greater < 1
    with pytest.raises(ValueError, match=">= 100"):
        coherence_significance(W, n_samples=50)


def test_trophic_position_by_hand():
    idx = pd.Index(["r1", "r2", "r3"], name="region")
    cols = ["a", "b", "c", "d"]  # d has no level
    imp = pd.DataFrame([[2, 0, 0, 5], [1, 1, 0, 0], [0, 0, 0, 0]], idx, cols, dtype=float)
    exp = pd.DataFrame([[0, 1, 3, 1], [0, 0, 1, 0], [1, 0, 0, 0]], idx, cols, dtype=float)
    levels = pd.Series({"a": 1.0, "b": 2.0, "c": 3.0})
    tp = trophic_position(imp, exp, levels).set_index("region")
    assert tp.loc["r1", "tl_imp"] == 1.0 and tp.loc["r1", "tl_exp"] == 2.5 and tp.loc["r1", "jump"] == 1.5
    assert tp.loc["r1", "diversification"] == 3  # d counts for diversification, not for the mean
    assert tp.loc["r1", "nitl"] == pytest.approx(1 / np.log(3))
    assert tp.loc["r1", "ntj"] == pytest.approx(1.5 / np.log(3))
    assert tp.loc["r2", "tl_imp"] == 1.5 and tp.loc["r2", "tl_exp"] == 3.0
    assert np.isnan(tp.loc["r2", "nitl"])  # diversification 1: log 0
    assert np.isnan(tp.loc["r3", "tl_imp"]) and tp.loc["r3", "tl_exp"] == 1.0


def test_levels_invariant_to_relabelling():
    src, dst = erdos_renyi_edges(80, 200, 1, seed=4)
    W, _ = adjacency_from_edges(src[0], dst[0], nodes=range(80))
    perm = np.random.default_rng(1).permutation(80)
    inv = np.argsort(perm)
    Wp, _ = adjacency_from_edges(inv[src[0]], inv[dst[0]], nodes=range(80))
    np.testing.assert_allclose(trophic_levels(Wp)[inv], trophic_levels(W), atol=1e-9)
