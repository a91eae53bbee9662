"""Benchmark of the analysis library, printed side by side in one run:

1. trophic levels of a large random digraph: sparse solve (CG, and sparse LU) vs a dense LAPACK solve; and
   the same digraph with weights spread over 12 orders of magnitude (CG and refinement);
2. Poisson-binomial p-values for all ordered product pairs at HS4 scale (1,200 products x 300 regions):
   the vectorised truncated DP vs a naive per-pair loop (scipy.stats.poisson_binom.sf per pair), the naive
   timed on a random sample of pairs and extrapolated;
3. null-model sampling (200 Erdos-Renyi and 200 configuration-model samples): vectorised numpy vs a loop of
   networkx generators.

Run: python scripts/bench/bench_analysis.py [--quick]
"""

import argparse
import time

import networkx as nx
import numpy as np
from scipy.stats import poisson_binom

from valuechain.analyses.trophic import (
    adjacency_from_edges,
    configuration_edges,
    erdos_renyi_edges,
    trophic_levels,
    trophic_levels_dense,
)
from valuechain.analyses.validated import fit_bicm, pairwise_upper_tail


def timed(f, *a, **k):
    t = time.perf_counter()
    out = f(*a, **k)
    return out, time.perf_counter() - t


def bench_levels(n, m):
    src, dst = erdos_renyi_edges(n, m, 1, seed=0)
    W, _ = adjacency_from_edges(src[0], dst[0], nodes=range(n))
    h_cg, t_cg = timed(trophic_levels, W, "cg")
    h_lu, t_lu = timed(trophic_levels, W, "lu")
    h_d, t_d = timed(trophic_levels_dense, W)
    err = max(np.abs(h_cg - h_d).max(), np.abs(h_lu - h_d).max())
    print(f"[trophic levels] random digraph n={n:,} m={m:,}: sparse CG {t_cg:.3f} s | sparse LU {t_lu:.2f} s | "
          f"dense {t_d:.2f} s  (max |diff| {err:.1e}; dense/CG x{t_d / t_cg:.0f})")
    W.data = 10.0 ** np.random.default_rng(0).uniform(-12, 0, W.nnz)
    _, t_w = timed(trophic_levels, W, "cg")
    print(f"[trophic levels] the same with weights log-uniform over 1e12: sparse CG and refinement {t_w:.3f} s "
          f"(x{t_w / t_cg:.0f} the unweighted solve)")


def bench_pvalues(L, P, n_naive, n_jobs):
    rng = np.random.default_rng(1)

    def specialisation():
        x, y = np.exp(rng.normal(0, 1, L)), np.exp(rng.normal(-1.5, 1, P))
        q = x[:, None] * y[None, :]
        return (rng.random((L, P)) < q / (1 + q)).astype(np.int8)

    I, E = specialisation(), specialisation()
    (fi, fe), t_fit = timed(lambda: (fit_bicm(I), fit_bicm(E)))
    V = I.T.astype(np.float32) @ E.astype(np.float32)
    rows, cols = np.nonzero(~np.eye(P, dtype=bool))
    k = np.rint(V[rows, cols]).astype(np.int64)
    PA, PB = fi.probabilities, fe.probabilities
    p, t_dp = timed(pairwise_upper_tail, PA, PB, rows, cols, k, n_jobs=n_jobs)
    sample = rng.choice(rows.size, n_naive, replace=False)
    naive, t_naive = timed(
        lambda: np.array([poisson_binom.sf(k[i] - 1, PA[:, rows[i]] * PB[:, cols[i]]) for i in sample])
    )
    extrapolated = t_naive / n_naive * rows.size
    err = np.abs(naive - p[sample]).max()
    print(f"[p-values] {P:,} products x {L} regions = {rows.size:,} ordered pairs (mean V {k.mean():.1f}, "
          f"max {k.max()}): vectorised DP {t_dp:.1f} s ({n_jobs} threads) | naive per-pair loop "
          f"~{extrapolated:,.0f} s (timed {t_naive:.1f} s on {n_naive:,} random pairs, extrapolated) "
          f"x{extrapolated / t_dp:.0f}; max |diff| on the sample {err:.1e}; two BiCM fits {t_fit:.1f} s")


def bench_nulls(n, m, S):
    src, dst = erdos_renyi_edges(n, m, 1, seed=2)
    out_deg = np.bincount(src[0], minlength=n)
    in_deg = np.bincount(dst[0], minlength=n)
    _, t_er = timed(erdos_renyi_edges, n, m, S, 3)
    _, t_dcm = timed(configuration_edges, out_deg, in_deg, S, 4)
    _, t_er_nx = timed(lambda: [nx.gnm_random_graph(n, m, seed=s, directed=True) for s in range(S)])
    _, t_dcm_nx = timed(
        lambda: [nx.directed_configuration_model(in_deg.tolist(), out_deg.tolist(), seed=s) for s in range(S)]
    )
    print(f"[null samples] {S} samples, n={n:,} m={m:,}: Erdos-Renyi numpy {t_er:.2f} s | networkx loop "
          f"{t_er_nx:.1f} s (x{t_er_nx / t_er:.0f}); configuration model numpy {t_dcm:.2f} s | networkx loop "
          f"{t_dcm_nx:.1f} s (x{t_dcm_nx / t_dcm:.0f})")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    if a.quick:
        bench_levels(1000, 10000)
        bench_pvalues(100, 200, 200, a.threads)
        bench_nulls(300, 3000, 20)
    else:
        bench_levels(5000, 50000)
        bench_pvalues(300, 1200, 3000, a.threads)
        bench_nulls(1200, 55932, 200)
