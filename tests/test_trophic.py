"""Trophic levels, coherence, null models and trophic position (docs/method.md section 7)."""

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.sparse.csgraph import connected_components

from valuechain.analyses.trophic import (
    NullTest,
    adjacency_from_edges,
    as_adjacency,
    coherence_significance,
    coherence_table,
    component_coherence,
    configuration_edges,
    erdos_renyi_edges,
    levels_table,
    links_adjacency,
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
    with pytest.raises(ValueError, match=r"non-negative .*W\[0, 1\] = -1\.0; fix or drop"):
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


# ------------------------------------------------------------------ link weights many orders of magnitude apart
def exact_levels(n, edges, weights):
    """The levels by exact rational arithmetic (every float is a fraction): the yardstick where weights are far
    apart, as any double-precision solve without refinement, numpy's dense one included, can be off there
    (by up to 3e-2 for light links between heavy clusters spanning 1e12). Same pinning and shift as the
    library: first node of each weak component at 0, then each component's minimum at 1."""
    W = {}
    for (p, q), w in zip(edges, weights):
        if p != q and w > 0:
            W[p, q] = W.get((p, q), Fraction(0)) + Fraction(float(w))
    adj = np.zeros((n, n), dtype=bool)
    for p, q in W:
        adj[p, q] = True
    _, labels = connected_components(adj, directed=True, connection="weak")
    lap = [[Fraction(0)] * n for _ in range(n)]
    v = [Fraction(0)] * n
    for (p, q), w in W.items():
        lap[p][p] += w
        lap[q][q] += w
        lap[p][q] -= w
        lap[q][p] -= w
        v[q] += w
        v[p] -= w
    free = [i for i in range(n) if labels[i] in labels[:i]]
    M = [[lap[i][j] for j in free] + [v[i]] for i in free]
    for c in range(len(free)):  # Gauss-Jordan; the pinned Laplacian is nonsingular
        pivot = next(r for r in range(c, len(free)) if M[r][c] != 0)
        M[c], M[pivot] = M[pivot], M[c]
        for r in range(len(free)):
            if r != c and M[r][c] != 0:
                f = M[r][c] / M[c][c]
                M[r] = [a - f * b for a, b in zip(M[r], M[c])]
    h = [Fraction(0)] * n
    for k, i in enumerate(free):
        h[i] = M[k][-1] / M[k][k]
    low = {c: min(h[i] for i in range(n) if labels[i] == c) for c in set(labels)}
    return np.array([float(h[i] - low[labels[i]] + 1) for i in range(n)])


# a tree: levels do not depend on the weights (each link p -> q has h_q - h_p = 1 exactly), so node 1 is at
# level 1, its outputs 0 and 3 at 2, and 0's output 2 at 3
TREE = [(1, 0), (0, 2), (1, 3)]


@pytest.mark.parametrize("solver", ["cg", "lu"])
@pytest.mark.parametrize(
    "weights",
    [(1, 1e13, 1), (1.37e13, 1, 1), (1, 1, 1.37e13), (1e-6, 1, 1e7), (1e7, 1e-6, 1), (1e308, 1e308, 1e308),
     (5e-324, 5e-324, 5e-324)],
)
def test_tree_levels_whatever_the_weights(solver, weights):
    # before the fix, (1, 1e13, 1) gave [2, 1, 3, 3] and weights of 1e308 NaN everywhere (u overflowed)
    W = graph(4, TREE, weights)
    h = trophic_levels(W, solver=solver)
    np.testing.assert_allclose(h, [2, 1, 3, 2], rtol=0, atol=1e-9)
    assert trophic_incoherence(W, h) == pytest.approx(0.0, abs=1e-18)
    cc = component_coherence(W, h)
    assert cc["coherence"].tolist() == pytest.approx([1.0], abs=1e-18)


def test_weighted_cycle_by_hand():
    # 0 -> 1 -> 2 -> 3 -> 0 with weights (1, e, 1, e): minimising F0 over the cycle's level differences d_k
    # (summing to 0) gives w_k (d_k - 1) = lam for all k, so d_k = 1 + lam / w_k with lam = -4 / sum(1 / w)
    # = -2e / (1 + e): the heavy links rise by d = (1 - e) / (1 + e), the light ones fall by d. Levels
    # (1, 1 + d, 1, 1 + d); F0 = sum w (d_k - 1)^2 / sum w = lam^2 / e = 4e / (1 + e)^2.
    e = 1e-12
    d = (1 - e) / (1 + e)
    W = graph(4, [(0, 1), (1, 2), (2, 3), (3, 0)], [1, e, 1, e])
    for solver in ("cg", "lu"):
        h = trophic_levels(W, solver=solver)
        np.testing.assert_allclose(h, [1, 1 + d, 1, 1 + d], rtol=0, atol=1e-12)
        assert trophic_incoherence(W, h) == pytest.approx(4 * e / (1 + e) ** 2, rel=1e-6)
    np.testing.assert_allclose(exact_levels(4, [(0, 1), (1, 2), (2, 3), (3, 0)], [1, e, 1, e]),
                               [1, 1 + d, 1, 1 + d], rtol=0, atol=1e-15)


@pytest.mark.parametrize(
    "n,edges,weights,ratio",
    [
        (4, TREE, (1e-300, 1, 1e300), "1.0e+600"),  # beyond the float range once scaled
        (4, [(0, 1), (1, 2), (2, 3), (3, 0)], (1, 1e-16, 1, 1e-16), "1.0e+16"),  # light links rounded away
    ],
)
def test_refused_with_the_ratio(n, edges, weights, ratio):
    for solver in ("cg", "lu"):
        with pytest.raises(ValueError, match=rf"component of 4 nodes containing 0: weights from .* a ratio of "
                                             rf"{ratio.replace('+', '[+]')}\. Keep the ratio"):
            trophic_levels(graph(n, edges, weights), solver=solver)


def test_light_link_lost_next_to_heavy_ones_is_refused_not_wrong():
    # tree 1 -> 0, 2 -> 0, 2 -> 3 (levels 2, 1, 1, 2 whatever the weights): next to 1e30, the light link's
    # weight 10 is rounded away in u_2, so the rounded system couples {2, 3} to the rest by nothing, and
    # refinement alone would settle on levels half a level off; the sensitivity check refuses instead
    W = graph(4, [(1, 0), (2, 0), (2, 3)], [1.000000000000001e27, 10, 1e30])
    for solver in ("cg", "lu"):
        with pytest.raises(ValueError, match=r"component of 4 nodes containing 0: .* a ratio of 1\.0e\+29"):
            trophic_levels(W, solver=solver)


def test_light_links_between_heavy_clusters_summed_accurately():
    # light links (10, 11) between heavy ones (1e14) over 6 nodes (node 0 isolated, a self-loop at 1): a
    # refinement with plainly summed residuals stays 8e-5 off the exact levels, accurate sums reach them
    edges = [(1, 1), (1, 4), (2, 1), (2, 3), (2, 5), (3, 4), (4, 1)]
    weights = [1e14, 1e14, 10, 1e14, 1e14, 11, 2e13]
    exact = exact_levels(6, edges, weights)
    for solver in ("cg", "lu"):
        np.testing.assert_allclose(trophic_levels(graph(6, edges, weights), solver=solver), exact, rtol=0,
                                   atol=1e-12)


def test_cg_solutions_checked_equation_by_equation():
    # weights from 10 to 1e36: CG's overall relative residual of 1e-12 is met while the equations of the
    # light nodes are far off (8e-5 levels here after refinement); checking each equation against its own
    # scale sends those solves to LU, which gets the exact levels
    edges = [(0, 0), (1, 0), (1, 4), (2, 4), (3, 2), (3, 4), (4, 0)]
    weights = [1e27, 1e13, 100, 1e19, 1e36, 1e21, 10]
    np.testing.assert_allclose(trophic_levels(graph(5, edges, weights)), exact_levels(5, edges, weights),
                               rtol=0, atol=1e-9)


def test_heaviest_node_pinned_whatever_the_order():
    # 0 -> 1 -> 2 with weights 1 and 1e14, and the same path numbered backwards: pinning the first node (0 in
    # the one, the end of the heavy link in the other) made the first refused and the second solved; pinning
    # the heaviest node (1, u = 1 + 1e14) solves both
    np.testing.assert_allclose(trophic_levels(graph(3, [(0, 1), (1, 2)], [1, 1e14])), [1, 2, 3], atol=1e-12)
    np.testing.assert_allclose(trophic_levels(graph(3, [(2, 1), (1, 0)], [1, 1e14])), [3, 2, 1], atol=1e-12)


def test_components_scaled_separately():
    # each component has its own scale: 1e300 and 1e-300 in two components is no ratio at all
    W = graph(5, [(0, 1), (1, 2), (3, 4)], [1e300, 2e300, 1e-300])
    h = trophic_levels(W)
    np.testing.assert_allclose(h, [1, 2, 3, 1, 2], atol=1e-12)
    assert trophic_incoherence(W, h) == pytest.approx(0.0, abs=1e-18)
    # the light component's incoherence is 0 (its weights are not lost next to the heavy one's), not 0 / 0
    assert component_coherence(W, h)["incoherence"].tolist() == pytest.approx([0.0, 0.0], abs=1e-18)
    W = graph(5, [(0, 1), (1, 2), (3, 4), (4, 3)], [1e300, 2e300, 1e-300, 1e-300])
    assert component_coherence(W)["incoherence"].tolist() == pytest.approx([0.0, 1.0], abs=1e-15)


def test_levels_table_names_the_product_of_a_refused_component():
    links = pd.DataFrame({"input": ["0101", "0101", "0202"], "output": ["0202", "0303", "0404"],
                          "weight": [1e-300, 1.0, 1e300]})
    with pytest.raises(ValueError, match="component of 4 nodes containing 0101: weights from 1e-300 to 1e"):
        levels_table(links, weight="weight")


def test_self_loops_leave_levels_and_count_in_incoherence():
    # chain 0 -> 1 -> 2 and a self-loop of weight 2 (or 1e300) at 1: levels 1, 2, 3 (the loop adds 2w to
    # u_1 and to (W + W^T)_11, so it cancels in Lambda, and nothing to v); F0 = (0 + 0 + w * 1) / (2 + w)
    for w in (2.0, 1e300):
        W = graph(3, [(0, 1), (1, 2), (1, 1)], [1, 1, w])
        h = trophic_levels(W)
        np.testing.assert_allclose(h, [1, 2, 3], atol=1e-12)
        np.testing.assert_allclose(trophic_levels_dense(W), [1, 2, 3], atol=1e-12)
        assert trophic_incoherence(W, h) == pytest.approx(w / (2 + w), rel=1e-12)
        assert component_coherence(W, h)["incoherence"].tolist() == pytest.approx([w / (2 + w)], rel=1e-12)
    # the significance test works on the network without its self-loops (the Erdos-Renyi null has none)
    t = coherence_significance(graph(3, [(0, 1), (1, 2), (1, 1)]), n_samples=100)["er"]
    assert t.observed == pytest.approx(1.0)


def test_invalid_weights_are_refused_with_their_edges():
    with pytest.raises(ValueError, match=r"W\[0, 1\] = nan, W\[1, 0\] = inf; fix or drop"):
        as_adjacency(np.array([[0, np.nan], [np.inf, 0]]))
    # a negative weight is refused before duplicates are added up (here to 0)
    with pytest.raises(ValueError, match=r"edge 1 \(a -> b\): -1\.0; fix or drop"):
        adjacency_from_edges(["a", "a"], ["b", "b"], weights=[1.0, -1.0])
    with pytest.raises(ValueError, match=r"column 'weight' .*: row 7 \(0101 -> 0202\): nan; fix or drop"):
        links_adjacency(pd.DataFrame({"input": ["0101"], "output": ["0202"], "weight": [np.nan]}, index=[7]),
                        weight="weight")


def test_zero_weights_are_dropped_and_their_nodes_kept():
    W = graph(3, [(0, 1), (1, 2)], [0.0, 1.0])
    assert W.nnz == 1
    np.testing.assert_allclose(trophic_levels(W), [1, 1, 2])
    assert component_coherence(W)["nodes"].tolist() == [2]


@pytest.mark.parametrize(
    "W,levels,f0,components",
    [
        (np.zeros((0, 0)), [], np.nan, []),  # no nodes
        (np.zeros((1, 1)), [1.0], np.nan, []),  # one node: level 1, no edge, no coherence
        (np.ones((1, 1)), [1.0], 1.0, [(1, 1, 1.0)]),  # one self-loop: level 1, F0 = (0 - 1)^2 = 1
        (np.zeros((2, 2)), [1.0, 1.0], np.nan, []),
    ],
    ids=["empty", "one node", "one self-loop", "no edges"],
)
def test_degenerate_networks(W, levels, f0, components):
    h = trophic_levels(W)
    np.testing.assert_array_equal(h, levels)
    np.testing.assert_equal(trophic_incoherence(W, h), f0)
    cc = component_coherence(W, h)
    assert list(cc.columns) == ["component", "nodes", "edges", "incoherence", "coherence"]
    assert list(zip(cc["nodes"], cc["edges"], cc["incoherence"])) == components
    # no edge between distinct nodes: nothing to test against the null models, every statistic NaN
    for t in coherence_significance(W, n_samples=100).values():
        assert t.n_samples == 0 and all(np.isnan([t.observed, t.mean, t.std, t.z, t.p_greater, t.p_less]))
    # trophic position without locations, or without any product with a level: NaN means, no error
    empty = pd.DataFrame(index=pd.Index([], name="region"))
    assert trophic_position(empty, empty, pd.Series(dtype=float)).empty
    one = pd.DataFrame([[2.0]], pd.Index(["r1"], name="region"), ["a"])
    tp = trophic_position(one, one, pd.Series(dtype=float))
    assert np.isnan(tp.loc[0, "tl_imp"]) and tp.loc[0, "diversification"] == 1 and np.isnan(tp.loc[0, "nitl"])


def test_coherence_table_of_a_network_without_links():
    empty = pd.DataFrame({"input": pd.Series([], dtype=str), "output": pd.Series([], dtype=str)})
    table = coherence_table(empty, n_samples=100)
    assert table["scope"].tolist() == ["network"] and table.loc[0, "null_samples"] == 0
    assert table.loc[0, ["nodes", "edges"]].tolist() == [0, 0]
    assert table.loc[0, ["incoherence", "coherence", "er_z", "dcm_p_greater"]].isna().all()
    assert levels_table(empty).empty


@st.composite
def weighted_digraphs(draw, tree=False):
    """Up to 12 nodes, weights log-uniform in [10**-span, 1] for a span of up to 12 decades; as a tree, each
    node after the first linked to an earlier one, in a random direction."""
    n = draw(st.integers(2, 12))
    if tree:
        parents = [draw(st.integers(0, i - 1)) for i in range(1, n)]
        edges = [(p, i) if draw(st.booleans()) else (i, p) for i, p in enumerate(parents, start=1)]
    else:
        node = st.integers(0, n - 1)
        edges = draw(st.lists(st.tuples(node, node), min_size=1, max_size=3 * n))
    span = draw(st.floats(0, 12))
    u = draw(st.lists(st.floats(0, 1), min_size=len(edges), max_size=len(edges)))
    return n, edges, 10 ** (-span * np.array(u))


def levels_or_refusal(n, edges, weights):
    """Levels, or None where refused; a refusal must state the ratio, and levels must be finite."""
    try:
        h = trophic_levels(graph(n, edges, weights))
    except ValueError as err:
        assert "a ratio of" in str(err)
        return None
    assert np.isfinite(h).all()
    return h


@pytest.mark.property
@given(weighted_digraphs(), st.integers(-300, 300), st.randoms(use_true_random=False))
def test_levels_exact_invariant_or_refused(case, power, rnd):
    n, edges, weights = case
    h = levels_or_refusal(n, edges, weights)
    # the same network with every weight times 10**power, and with its nodes relabelled
    scaled = levels_or_refusal(n, edges, weights * 10.0**power)
    perm = list(range(n))
    rnd.shuffle(perm)
    relabelled = levels_or_refusal(n, [(perm[p], perm[q]) for p, q in edges], weights)
    assert (h is None) == (scaled is None) == (relabelled is None)
    if h is None:
        return
    np.testing.assert_allclose(scaled, h, rtol=0, atol=1e-9)
    np.testing.assert_allclose(relabelled[perm], h, rtol=0, atol=1e-9)
    np.testing.assert_allclose(h, exact_levels(n, edges, weights), rtol=0, atol=1e-9)
    # every equation of Lambda h = v holds to 1e-8 of its own scale u_i: the residual at node i is the sum of
    # w (h_q - h_p - 1) over its in-links minus that over its out-links
    W = graph(n, edges, weights).tocoo()
    loop = W.row == W.col
    src, dst, w = W.row[~loop], W.col[~loop], W.data[~loop]
    t = w * (h[dst] - h[src] - 1)
    r, u = np.zeros(n), np.zeros(n)
    np.add.at(r, dst, t)
    np.add.at(r, src, -t)
    np.add.at(u, dst, w)
    np.add.at(u, src, w)
    assert (np.abs(r) <= 1e-8 * u).all()
    if w.size and w.max() <= 1e6 * w.min():  # where the dense yardstick is itself accurate
        np.testing.assert_allclose(h, trophic_levels_dense(graph(n, edges, weights)), rtol=0, atol=1e-6)


@pytest.mark.property
@given(weighted_digraphs(tree=True))
def test_tree_links_rise_by_one(case):
    n, edges, weights = case
    h = levels_or_refusal(n, edges, weights)
    if h is not None:
        src, dst = np.array(edges).T
        np.testing.assert_allclose(h[dst] - h[src], 1.0, rtol=0, atol=1e-9)
