"""Statistically validated co-specialisation network (docs/method.md section 8)."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom, poisson_binom

from valuechain.analyses.validated import (
    SpecialisationFit,
    benjamini_hochberg,
    block_pvalues,
    fit_bicm,
    gather_network,
    giant_weak_component,
    pairwise_upper_tail,
    poisson_binomial_sf,
    specialisation_matrices,
    surely_above,
    validated_network,
)
from valuechain.glue.smk import scatter_part


def test_poisson_binomial_sf_equals_scipy():
    rng = np.random.default_rng(0)
    for n_trials in (1, 2, 7, 40):
        pi = rng.random((60, n_trials)) ** rng.uniform(0.3, 3, (60, 1))
        pi[:5, : max(1, n_trials // 2)] = 0.0
        pi[5:8, :1] = 1.0
        k = rng.integers(-1, n_trials + 2, 60)
        ours = poisson_binomial_sf(pi, k)
        ref = np.array([poisson_binom.sf(kk - 1, p) for kk, p in zip(k, pi)])
        np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-13)


def test_tiny_tails_are_exact_where_one_minus_cdf_underflows():
    pi = np.full((3, 30), 0.1)
    k = np.array([25, 29, 30])
    np.testing.assert_allclose(poisson_binomial_sf(pi, k), binom.sf(k - 1, 30, 0.1), rtol=1e-10)
    assert poisson_binomial_sf(pi, 30)[0] == pytest.approx(1e-30, rel=1e-10)


def test_pairwise_tails_equal_scipy_across_chunks_and_threads():
    rng = np.random.default_rng(1)
    L, P = 35, 12
    PA, PB = rng.random((L, P)) * 0.8, rng.random((L, P)) * 0.8
    PA[3] = 0.0  # a location that can never contribute
    rows, cols = np.nonzero(~np.eye(P, dtype=bool))
    k = rng.integers(0, 16, rows.size)
    ref = np.array([poisson_binom.sf(x - 1, PA[:, i] * PB[:, j]) for i, j, x in zip(rows, cols, k)])
    for chunk_cells, n_jobs in [(1 << 17, 1), (40, 1), (40, 2)]:
        ours = pairwise_upper_tail(PA, PB, rows, cols, k, chunk_cells=chunk_cells, n_jobs=n_jobs)
        np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-13)


def test_benjamini_hochberg_by_hand():
    # m = 5, alpha = 0.05: thresholds 0.01, 0.02, 0.03, 0.04, 0.05 for ranks 1..5.
    # sorted p: 0.001 (<= .01 yes), 0.025 (<= .02 no), 0.03 (<= .03 yes), 0.04 (<= .04 yes), 0.3 (no)
    # -> k* = 4 (step-up: rank 2 failing does not stop it), reject every p <= 0.04.
    p = np.array([0.03, 0.3, 0.001, 0.04, 0.025])
    mask, thr = benjamini_hochberg(p, 0.05)
    assert thr == 0.04
    assert mask.tolist() == [True, False, True, True, True]
    mask, thr = benjamini_hochberg(np.array([0.02, 0.5, 0.9]), 0.05)  # 0.02 > 0.05/3
    assert not mask.any() and thr == 0.0
    with pytest.raises(ValueError):
        benjamini_hochberg([0.1, np.nan])


def test_bicm_fit_matches_degrees():
    rng = np.random.default_rng(2)
    M = (rng.random((30, 20)) < rng.uniform(0.05, 0.6, 20)).astype(np.int8)
    M[0] = 0  # an empty location
    fit = fit_bicm(M)
    np.testing.assert_allclose(fit.probabilities.sum(axis=1), M.sum(axis=1), atol=1e-6)
    np.testing.assert_allclose(fit.probabilities.sum(axis=0), M.sum(axis=0), atol=1e-6)
    assert fit.max_error < 1e-6 and (fit.probabilities[0] == 0).all()
    with pytest.raises(ValueError, match="binary"):
        fit_bicm(M * 2)


def planted_world(seed=0, L=200, P=40, block_regions=30):
    """Background specialisation at 10%; the first ``block_regions`` regions all import products 0-3 and
    export products 4-7, so the true links are exactly 0-3 -> 4-7 (16 links)."""
    rng = np.random.default_rng(seed)
    I = (rng.random((L, P)) < 0.1).astype(np.int8)
    E = (rng.random((L, P)) < 0.1).astype(np.int8)
    I[:block_regions, 0:4] = 1
    E[:block_regions, 4:8] = 1
    products = [f"{8000 + i:04d}" for i in range(P)]
    idx = pd.MultiIndex.from_arrays([["AAA"] * L, [f"r{i:03d}" for i in range(L)]], names=["country", "region"])
    return pd.DataFrame(I, idx, products), pd.DataFrame(E, idx, products)


TRUTH = {(f"{8000 + a:04d}", f"{8000 + b:04d}") for a in range(4) for b in range(4, 8)}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recovers_planted_block_and_nothing_else(seed):
    I, E = planted_world(seed)
    res = validated_network(I, E, alpha=0.05)
    links = res.links
    assert set(zip(links["input"], links["output"])) == TRUTH
    assert list(links.columns[:3]) == ["output", "input", "rank"]
    assert (links.groupby("output")["rank"].apply(sorted).map(list) == [[1, 2, 3, 4]] * 4).all()
    assert (links["v"] > links["expected"]).all() and (links["pvalue"] <= res.summary["bh_threshold"]).all()
    assert res.summary["pairs_tested"] == 40 * 39 and res.summary["nodes_giant_component"] == 8


def test_invariant_to_relabelling():
    I, E = planted_world(3)
    base = validated_network(I, E).links.set_index(["output", "input"]).sort_index()
    rng = np.random.default_rng(5)
    rows, cols = rng.permutation(I.shape[0]), rng.permutation(I.shape[1])
    Ip, Ep = I.iloc[rows, cols], E.iloc[rows, cols]
    perm = validated_network(Ip, Ep).links.set_index(["output", "input"]).sort_index()
    assert perm.index.equals(base.index)
    np.testing.assert_array_equal(perm["rank"], base["rank"])
    np.testing.assert_allclose(perm["pvalue"], base["pvalue"], rtol=1e-6)
    np.testing.assert_allclose(perm["expected"], base["expected"], rtol=1e-6)


def test_giant_component_ties_broken_by_smallest_code():
    nodes = pd.Index(["c", "d", "a", "b"])
    mask = giant_weak_component(np.array(["c", "a"]), np.array(["d", "b"]), nodes)
    assert mask.tolist() == [False, True]


def test_specialisation_matrices_from_long_rca():
    rca = pd.DataFrame(
        {
            "country": ["X", "X", "X"],
            "region": ["a", "a", "b"],
            "hs": ["0101", "0202", "0202"],
            "rca_export": [1.0, 0.5, 3.0],
            "rca_import": [0.0, 1.2, 0.9],
        }
    )
    E, I = specialisation_matrices(rca)
    assert I.to_numpy().tolist() == [[0, 1], [0, 0]] and E.to_numpy().tolist() == [[1, 0], [0, 1]]
    with pytest.raises(ValueError, match="duplicate"):
        specialisation_matrices(pd.concat([rca, rca]))


def test_the_network_in_scattered_blocks_equals_the_network_in_one_job(tmp_path):
    """What the workflow's three rules do (fit; p-values per scatter item, in sub-blocks; gather), through a Parquet
    round trip of the fit, gives exactly the network of the one-call function, whatever the number of blocks."""
    I, E = planted_world(4)
    whole = validated_network(I, E, alpha=0.05)
    fit = SpecialisationFit.fit(I, E)
    fit.to_frame().to_parquet(tmp_path / "fit.parquet")
    back = SpecialisationFit.from_frame(pd.read_parquet(tmp_path / "fit.parquet"), fit.max_error_import,
                                        fit.max_error_export)
    np.testing.assert_array_equal(back.P_import, fit.P_import)
    assert back.products.equals(fit.products) and back.locations.equals(fit.locations)
    for n, sub in ((1, 500), (1, 7), (3, 5), (7, 500), (50, 500)):  # 50 jobs for 40 products: some are empty
        parts = [back.block(scatter_part(f"{i}-of-{n}", len(back.products)), 0.05, block_products=sub)
                 for i in range(1, n + 1)]
        got = gather_network(back, pd.concat([c for c, _ in parts], ignore_index=True), sum(c for _, c in parts))
        pd.testing.assert_frame_equal(got.links, whole.links, check_exact=True)
        assert got.summary == whole.summary


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("alpha", [0.05, 0.3])
def test_pairs_left_untested_are_surely_above_alpha_and_change_no_candidate(seed, alpha):
    """The pairs whose count is far enough below its expectation are not computed: each of them has an exact
    p-value above alpha, and the block's candidates are those of every pair computed."""
    rng = np.random.default_rng(seed)
    L, P = 400, 30
    PA, PB = rng.beta(0.5, 3.0, (L, P)), rng.beta(0.5, 3.0, (L, P))
    Ib, Eb = (rng.random((L, P)) < PA).astype(np.int8), (rng.random((L, P)) < PB).astype(np.int8)
    inputs = np.arange(P)
    V = Ib.T.astype(float) @ Eb
    V[inputs, inputs] = -1
    local, cols = np.nonzero(V >= 0)
    k = V[local, cols].astype(np.int64)
    skipped = surely_above(PA, PB, inputs, local, cols, k, alpha)
    exact = pairwise_upper_tail(PA, PB, inputs[local], cols, k)
    assert skipped.sum() > 0.2 * len(k)  # the bound prunes a good share
    assert (exact[skipped] > alpha).all()
    got, cooccurring = block_pvalues(PA, PB, Ib, Eb, inputs, alpha)
    keep = exact <= alpha
    assert got["pvalue"].tolist() == exact[keep].tolist() and got["input"].tolist() == local[keep].tolist()
    assert got["output"].tolist() == cols[keep].tolist() and cooccurring == int((k > 0).sum())
