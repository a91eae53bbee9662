"""Trophic levels, trophic coherence and its significance, and the trophic position of locations
(docs/method.md section 7).

Trophic levels follow MacKay, Johnson and Sansom (2020), "How directed is a directed network?", R. Soc. open
sci. 7: 201138, as used by Fessina, Tacchella and Zaccaria (eqs. 12-16). ``W[p, q]`` is the weight of the
edge ``p -> q`` (``p`` is an input of ``q``):

- ``w_in = W^T 1``, ``w_out = W 1``, ``u = w_in + w_out``, ``v = w_in - w_out`` (eqs. 12-13);
- ``Lambda = diag(u) - W - W^T`` (eq. 14), a graph Laplacian, singular once per weakly connected component;
- ``Lambda h = v`` (eq. 15) fixes ``h`` up to one additive constant per component. One node per component is
  pinned to 0 and the pinned system (block-diagonal, one symmetric positive-definite block per component)
  is solved at once, by Jacobi-preconditioned conjugate gradients (sparse LU when CG does not converge, or
  when asked); each component is then shifted so its minimum is 1 (Fessina et al.'s tables), which gives
  isolated nodes level 1. Sparse LU suffers heavy fill-in on random-like graphs (their Laplacians have no
  small separators), CG does not: see ``scripts/bench/bench_analysis.py``. Where link weights span many
  orders of magnitude the solve is refined with accurately summed residuals, or refused with the span (see
  :func:`trophic_levels`).
- Incoherence ``F0 = sum_pq W[p,q] (h_q - h_p - 1)^2 / sum_pq W[p,q]``; coherence ``1 - F0`` (eq. 16).

This is not networkx's ``trophic_levels`` (Levine 1980), which needs a basal node and fails on cycles.

Null models for the coherence (Fessina et al., fig. 3): the Erdos-Renyi digraph G(n, m) with the same nodes
and number of edges, and the directed configuration model with the same in- and out-degree sequences.

The trophic position of a location (Fessina et al. eqs. 17-20, paper 002's normalisation): with binary
``I[l,p] = RCA_imp >= 1`` and ``E[l,p] = RCA_exp >= 1``, ``TL_imp(l)`` is the mean level of the products it
imports, ``TL_exp(l)`` of those it exports, the jump is ``TL_exp - TL_imp``, the diversification is the number
of exports with ``RCA >= 1``, ``NITL = TL_imp / log(diversification)`` and ``NTJ = jump / log(diversification)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import cg, splu

SOLVERS = ("cg", "lu")
# Levels are returned to within LEVEL_ATOL or refused. A component whose link weights span at most FAST_RATIO
# (binary networks, most weighted ones) is accepted after one solve if every equation holds to ROW_RTOL of its
# own scale; wider spans are refined with accurately summed residuals (see trophic_levels).
LEVEL_ATOL = 1e-9
ROW_RTOL = 1e-10
FAST_RATIO = 1e3
MAX_REFINE = 10
MAX_SENSITIVITY = 0.1


def _cells(rows, cols, values, limit: int = 5) -> str:
    """``W[p, q] = value`` for the first ``limit`` cells, and how many there are in all."""
    cells = zip(rows[:limit], cols[:limit], values[:limit].tolist())
    shown = ", ".join(f"W[{r}, {c}] = {v!r}" for r, c, v in cells)
    return shown + (f" ({len(rows)} cells in all)" if len(rows) > limit else "")


def _bad_weights(w: np.ndarray) -> np.ndarray:
    """Mask of weights that are not a finite non-negative number."""
    with np.errstate(invalid="ignore"):
        return ~(np.isfinite(w) & (w >= 0))


def as_adjacency(W) -> sp.csr_matrix:
    """``W`` (dense or sparse, square, finite, non-negative) as a float CSR matrix; zero weights removed.

    Duplicate entries of a sparse input are summed first; a NaN, infinite or negative weight is refused with
    the cells that carry it."""
    W = sp.csr_matrix(W, dtype=float, copy=True)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"adjacency must be a square matrix, got shape {W.shape}")
    W.sum_duplicates()
    bad = _bad_weights(W.data)
    if bad.any():
        rows = np.repeat(np.arange(W.shape[0]), np.diff(W.indptr))[bad]
        raise ValueError(
            "adjacency weights must be finite and non-negative (W[p, q] is the weight of the edge p -> q): "
            f"{_cells(rows, W.indices[bad], W.data[bad])}; fix or drop those edges"
        )
    W.eliminate_zeros()
    return W


def adjacency_from_edges(inputs, outputs, nodes=None, weights=None) -> tuple[sp.csr_matrix, pd.Index]:
    """Sparse adjacency ``W[p, q]`` of edges ``input p -> output q`` over ``nodes`` (default: all endpoints,
    sorted). Duplicate edges add their weights; edges of weight 0 are left out (their nodes stay). A NaN,
    infinite or negative weight is refused with its position in the edge list. Returns ``(W, nodes)``."""
    inputs = np.asarray(inputs)
    outputs = np.asarray(outputs)
    if nodes is None:
        nodes = pd.Index(np.unique(np.concatenate([inputs, outputs])))
    else:
        nodes = pd.Index(nodes)
    if not nodes.is_unique:
        raise ValueError("nodes must be unique")
    i = nodes.get_indexer(inputs)
    j = nodes.get_indexer(outputs)
    if (i < 0).any() or (j < 0).any():
        raise ValueError("edge endpoints missing from nodes")
    w = np.ones(len(i)) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != i.shape:
        raise ValueError(f"{w.size} weights for {i.size} edges")
    bad = np.flatnonzero(_bad_weights(w))
    if bad.size:
        shown = ", ".join(f"edge {k} ({inputs[k]} -> {outputs[k]}): {float(w[k])!r}" for k in bad[:5])
        raise ValueError(f"edge weights must be finite and non-negative: {shown}"
                         + (f" ({bad.size} edges in all)" if bad.size > 5 else "") + "; fix or drop those edges")
    n = len(nodes)
    return as_adjacency(sp.coo_matrix((w, (i, j)), shape=(n, n)).tocsr()), nodes


def _unit_scaled(w: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Weights ``w`` divided, group by group (``group[k]`` of ``w[k]``), by the power of two that puts the
    group's largest weight in [0.5, 1).

    Levels and incoherence do not change when the weights of a component are scaled alike; dividing by a
    power of two is exact (for weights down to 2**-1022 of their group's largest) and keeps sums such as
    ``u`` and ``v`` from overflowing, even for weights near the largest float."""
    top = np.zeros(n_groups)
    np.maximum.at(top, group, w)
    return np.ldexp(w, -np.frexp(top)[1][group])


def _row_sums(rows: np.ndarray, terms: np.ndarray, n: int) -> np.ndarray:
    """``sum of terms[k] over rows[k] == i`` for every ``i``, accurate to about one rounding of the result even
    when the terms cancel (a plain sum is only accurate to a rounding of the largest term).

    Error-free splitting (Rump, Ogita and Oishi 2008, "Accurate floating-point summation part I", SIAM J. Sci.
    Comput. 31(1), ExtractVector): with ``sigma`` a power of two at least twice the row's count times its
    largest term, ``q = (sigma + t) - sigma`` and ``t - q`` are exact, every ``q`` is a multiple of
    ``sigma * 2**-53`` and their partial sums stay below ``sigma``, so any summation order adds them exactly.
    Two splits leave remainders about ``2**-100`` of the largest term, summed plainly."""
    count = np.bincount(rows, minlength=n)
    grow = np.ceil(np.log2(np.maximum(count, 1))).astype(np.int64) + 1
    exact = []
    for _ in range(2):
        top = np.zeros(n)
        np.maximum.at(top, rows, np.abs(terms))
        sigma = np.ldexp(1.0, np.frexp(top)[1] + grow)[rows]
        q = (sigma + terms) - sigma
        exact.append(np.bincount(rows, weights=q, minlength=n))
        terms = terms - q
    return exact[0] + (exact[1] + np.bincount(rows, weights=terms, minlength=n))


class _Solver:
    """Solves the pinned system ``A x = b`` (symmetric positive definite, positive diagonal) by
    Jacobi-preconditioned CG to relative residual ``rtol``, or by sparse LU: when asked for, once CG has not
    converged in ``max(1000, n)`` iterations, or when a CG solution leaves an equation off by more than
    ``ROW_RTOL`` of its own scale (see :meth:`rows_hold`). The factorisation is kept for later solves."""

    def __init__(self, A: sp.csr_matrix, solver: str, rtol: float):
        self.A, self.rtol, self.lu = A, rtol, None
        self.use_cg = solver == "cg"

    def rows_hold(self, x: np.ndarray, b: np.ndarray) -> bool:
        """Every equation holds to ``ROW_RTOL`` of its own scale: ``|A x - b| <= ROW_RTOL (|A| |x| + |b|)``
        row by row (Oettli and Prager's componentwise backward error). CG's relative residual is a norm over
        all rows, dominated by the heaviest links, so a light node's equation can be far off within it."""
        ax = np.abs(x)
        with np.errstate(invalid="ignore", over="ignore"):
            # |A| = 2 diag(A) - A: the off-diagonal entries are negative
            scale = 2 * self.A.diagonal() * ax - self.A @ ax + np.abs(b)
            return bool(np.all(np.abs(self.A @ x - b) <= ROW_RTOL * scale))

    def __call__(self, b: np.ndarray) -> np.ndarray:
        """``A^-1 b``; NaN where the system, as rounded, is singular (weights too far apart)."""
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if self.use_cg:
                x, info = cg(self.A, b, rtol=self.rtol, atol=0.0, M=sp.diags(1.0 / self.A.diagonal()),
                             maxiter=max(1000, self.A.shape[0]))
                if info == 0 and self.rows_hold(x, b):
                    return x
                self.use_cg = False
            if self.lu is None:
                try:
                    self.lu = splu(self.A.tocsc(), permc_spec="MMD_AT_PLUS_A")
                except RuntimeError:  # exactly singular
                    return np.full(b.size, np.nan)
            return self.lu.solve(b)


def _refine(h, pinned, solve, src, dst, w) -> np.ndarray:
    """Iterative refinement of ``h`` (updated in place) with residuals summed accurately.

    The residual of ``Lambda h = v`` at node ``i`` is the sum over its links ``p -> q`` of ``w (h_q - h_p - 1)``
    (in-links) minus the same for out-links: formed link by link and summed by :func:`_row_sums`, it keeps the
    light links that ``u`` and ``v`` round away next to heavy ones. Each correction ``A^-1 r`` is applied while
    it shrinks at least twofold; the last one computed estimates the error left (Demmel et al. 2006, "Error
    bounds from extra-precise iterative refinement", ACM TOMS 32(2)), returned per node (``inf`` if not finite).
    """
    n = h.size
    h[~np.isfinite(h)] = 0.0
    rows = np.concatenate([dst, src])
    last = np.inf
    for _ in range(MAX_REFINE):
        t = w * (h[dst] - h[src] - 1.0)
        r = _row_sums(rows, np.concatenate([t, -t]), n)
        r[pinned] = 0.0
        d = solve(r)
        err = np.where(np.isfinite(d), np.abs(d), np.inf)
        size = err.max()
        if not size < 0.5 * last:
            break
        h -= d
        last = size
        if size <= 1e-14 * max(1.0, np.abs(h).max()):
            break
    return err


def _ratio(log10_ratio: float) -> str:
    """``10 ** log10_ratio`` as ``1.0e+13``, also beyond the float range."""
    e = np.floor(log10_ratio)
    return f"{10 ** (log10_ratio - e):.1f}e{int(e):+03d}"


def _refuse(comps, labels, src, w, names) -> None:
    """ValueError naming the components ``comps`` (widest weight span first) by their first node, their size
    and the span of their link weights ``w`` (the caller's, unscaled)."""
    n_comp = labels.max() + 1
    hi, lo = np.zeros(n_comp), np.full(n_comp, np.inf)
    np.maximum.at(hi, labels[src], w)
    np.minimum.at(lo, labels[src], w)
    span = np.log10(hi[comps]) - np.log10(lo[comps])
    comps = comps[np.argsort(-span, kind="stable")]
    sizes = np.bincount(labels)
    _, first = np.unique(labels, return_index=True)
    parts = [
        f"the weakly connected component of {sizes[c]} nodes containing {names[first[c]]}: weights from "
        f"{lo[c]:.3g} to {hi[c]:.3g}, a ratio of {_ratio(np.log10(hi[c]) - np.log10(lo[c]))}"
        for c in comps[:3]
    ]
    raise ValueError(
        "trophic levels: link weights too far apart to solve to within 1e-9 in double precision in "
        + "; ".join(parts) + (f" ({len(comps)} such components in all)" if len(comps) > 3 else "")
        + ". Keep the ratio of the largest to the smallest weight in a component below about 1e12 (cap the "
        "weights or drop the lightest links), or use binary levels (no weight)"
    )


def trophic_levels(W, solver: str = "cg", rtol: float = 1e-12, names=None) -> np.ndarray:
    """MacKay-Johnson-Sansom trophic levels ``h`` (docs/method.md section 7), minimum 1 in every weak component.

    Solves ``(diag(u) - W - W^T) h = w_in - w_out`` with one node of each weakly connected component pinned
    to 0 (the one with the largest ``u``, the first on ties, so the result does not depend on the node order):
    its row and column replaced by the identity, leaving a block-diagonal symmetric positive-definite system.
    Self-loops are left out: ``w_pp`` adds ``2 w_pp`` to ``u_p`` and to ``(W + W^T)_pp`` alike and nothing to
    ``v_p``, so they do not change the levels. The weights of each component are first scaled by a power of
    two (:func:`_unit_scaled`). ``solver="cg"`` solves by Jacobi-preconditioned conjugate gradients to
    relative residual ``rtol``, with sparse LU as a fallback (:class:`_Solver`); ``solver="lu"`` uses sparse
    LU (SuperLU, minimum-degree ordering on ``A^T + A``). Then ``h -= min(h over the component) - 1``.

    Accuracy: CG's stopping rule and LU's pivots are dominated by the heaviest links, so nodes whose links are
    lighter by more than about 1e6 are solved badly, and beyond about 1e16 light links are rounded away in
    ``u`` and ``v``. So a solve is accepted as it stands only where no component's weights span more than
    about ``FAST_RATIO`` and every equation holds to ``ROW_RTOL`` of its own scale; otherwise it is refined
    (:func:`_refine`), with LU once CG-based corrections stop shrinking. A component is refused with a
    ValueError naming it (``names[i]`` for node ``i``; default the index), its size and the ratio of its
    largest to its smallest weight where the estimated error stays above ``LEVEL_ATOL``, or where the
    rounding of ``u`` and ``W + W^T`` could move a solve by more than ``MAX_SENSITIVITY`` (refinement cannot
    be trusted then; this also catches weights below 2**-1022 of the component's largest, lost to underflow
    once scaled). Measured against exact rational solves: spans up to 1e12 come out within about 1e-13;
    refusals start a little above 1e12 for light links between heavy clusters, and from about 1e15 for random
    or tree-like weights.
    """
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    W = as_adjacency(W)
    n = W.shape[0]
    if n == 0:
        return np.zeros(0)
    names = np.arange(n) if names is None else np.asarray(names)
    coo = W.tocoo()
    if (coo.row == coo.col).any():
        keep = coo.row != coo.col
        W = sp.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=(n, n))
    n_comp, labels = connected_components(W, directed=True, connection="weak")
    coo = W.tocoo()  # in the order of W.data
    src, dst, w0 = coo.row, coo.col, coo.data
    w = _unit_scaled(w0, labels[src], n_comp)
    w_in = np.bincount(dst, weights=w, minlength=n)
    w_out = np.bincount(src, weights=w, minlength=n)
    # pin the heaviest node of every component (largest u; the first one on ties), whatever the node order
    u = w_in + w_out
    top_u = np.zeros(n_comp)
    np.maximum.at(top_u, labels, u)
    heaviest = np.flatnonzero(u == top_u[labels])
    pinned = np.zeros(n, dtype=bool)
    pinned[heaviest[np.unique(labels[heaviest], return_index=True)[1]]] = True
    free_W = sp.csr_matrix((np.where(pinned[src] | pinned[dst], 0.0, w), W.indices, W.indptr), shape=(n, n))
    A = (sp.diags(np.where(pinned, 1.0, u)) - free_W - free_W.T).tocsr()
    b = np.where(pinned, 0.0, w_in - w_out)
    solve = _Solver(A, solver, rtol)
    h = solve(b)
    if w.size and (w.min() * FAST_RATIO < w.max() or not solve.rows_hold(h, b)):
        # Sensitivity to the rounding of u and W + W^T (about (degree + 2) eps u_i in row i): y = A^-1 f >= 0
        # bounds how far a solve with the rounded A can be off, so refinement converges where y is small;
        # where the rounding swamps light links, y is large (or the rounded A singular).
        y = solve(np.where(pinned, 0.0, 2 * np.finfo(float).eps * (np.diff(A.indptr) + 2) * A.diagonal()))
        err = _refine(h, pinned, solve, src, dst, w)
        if solver == "cg" and (err > LEVEL_ATOL).any():
            solve.use_cg = False
            err = _refine(h, pinned, solve, src, dst, w)
        with np.errstate(invalid="ignore"):
            off = ~((np.abs(y) <= MAX_SENSITIVITY) & (err <= LEVEL_ATOL))
        off &= np.bincount(labels[src], minlength=n_comp)[labels] > 0  # a singular LU leaves NaN everywhere
        if off.any():
            _refuse(np.unique(labels[off]), labels, src, w0, names)
    comp_min = np.full(n_comp, np.inf)
    np.minimum.at(comp_min, labels, h)
    return h - comp_min[labels] + 1.0


def trophic_levels_dense(W) -> np.ndarray:
    """Reference implementation: the same pinned system as :func:`trophic_levels` (self-loops left out, ``W``
    scaled by a power of two), solved densely (``numpy.linalg.solve``, LAPACK LU) without refinement. Used by
    the tests and the benchmark as a yardstick; it loses accuracy as weights spread (about 1e-5 at a 1e12 span)."""
    W = as_adjacency(W)
    n = W.shape[0]
    A = W.toarray()
    np.fill_diagonal(A, 0.0)
    if A.any():
        A = np.ldexp(A, -np.frexp(A.max())[1])  # exact, and no overflow in the sums (see _unit_scaled)
    S = A + A.T
    lap = np.diag(S.sum(axis=1)) - S
    v = A.sum(axis=0) - A.sum(axis=1)
    n_comp, labels = connected_components(W, directed=True, connection="weak")
    _, anchors = np.unique(labels, return_index=True)
    free = np.ones(n, dtype=bool)
    free[anchors] = False
    h = np.zeros(n)
    if free.any():
        h[free] = np.linalg.solve(lap[np.ix_(free, free)], v[free])
    comp_min = np.full(n_comp, np.inf)
    np.minimum.at(comp_min, labels, h)
    return h - comp_min[labels] + 1.0


def trophic_incoherence(W, h: np.ndarray) -> float:
    """Incoherence ``F0 = sum W[p,q] (h_q - h_p - 1)^2 / sum W[p,q]`` (MacKay et al. 2020, eq. 2.9).

    A self-loop counts with ``(h_p - h_p - 1)^2 = 1``: it leaves the levels alone but makes the network less
    coherent (a network of self-loops only has ``F0 = 1``). NaN for a network without edges. ``W`` is scaled
    by a power of two first, so weights up to the largest float do not overflow the sums.
    """
    W = as_adjacency(W).tocoo()
    W.data = _unit_scaled(W.data, np.zeros(W.nnz, dtype=np.int64), 1)
    total = W.data.sum()
    if total == 0:
        return float("nan")
    h = np.asarray(h, dtype=float)
    return float(np.sum(W.data * (h[W.col] - h[W.row] - 1.0) ** 2) / total)


def ranked_weak_components(W, key: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Weakly connected component of every node and each component's rank: 0 is the largest, ties go to the
    component holding the smallest ``key`` (the node index by default). Returns ``(labels, rank)``."""
    W = as_adjacency(W)
    n = W.shape[0]
    key = np.arange(n) if key is None else np.asarray(key)
    n_comp, labels = connected_components(W, directed=True, connection="weak")
    sizes = np.bincount(labels, minlength=n_comp)
    smallest = np.full(n_comp, n)
    np.minimum.at(smallest, labels, key)
    rank = np.empty(n_comp, dtype=np.int64)
    rank[np.lexsort((smallest, -sizes))] = np.arange(n_comp)
    return labels, rank


def component_coherence(W, h: np.ndarray | None = None) -> pd.DataFrame:
    """Incoherence and coherence of every weakly connected component with at least one edge.

    Columns ``component, nodes, edges, incoherence, coherence``; components numbered 0.. by decreasing size
    (ties by their lowest node index), so the giant component is 0. Self-loops count as in
    :func:`trophic_incoherence` (a lone node with a self-loop is a component with incoherence 1); a network
    without edges gives an empty table.
    """
    W = as_adjacency(W)
    if h is None:
        h = trophic_levels(W)
    labels, rank = ranked_weak_components(W)
    n_comp = len(rank)
    sizes = np.bincount(labels, minlength=n_comp)
    coo = W.tocoo()
    comp_of_edge = labels[coo.row]
    w = _unit_scaled(coo.data, comp_of_edge, n_comp)
    sq = w * (h[coo.col] - h[coo.row] - 1.0) ** 2
    num = np.bincount(comp_of_edge, weights=sq, minlength=n_comp)
    den = np.bincount(comp_of_edge, weights=w, minlength=n_comp)
    edges = np.bincount(comp_of_edge, minlength=n_comp)
    keep = edges > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        f0 = num / den
    out = pd.DataFrame(
        {
            "component": rank[keep],
            "nodes": sizes[keep],
            "edges": edges[keep],
            "incoherence": f0[keep],
            "coherence": 1.0 - f0[keep],
        }
    )
    return out.sort_values("component").reset_index(drop=True)


# ----------------------------------------------------------------------------------------------- null models
def _distinct_per_sample(rng: np.random.Generator, n_slots: int, m: int, n_samples: int) -> np.ndarray:
    """``n_samples`` independent uniform m-subsets of ``range(n_slots)``, as an (n_samples, m) array.

    Vectorised over samples: draw slots with replacement (enough for ``m`` distinct ones in expectation,
    topped up while any sample is short), keep the distinct ones per sample, and pick ``m`` of them by a
    random priority. By exchangeability of the slots every m-subset is equally likely.
    """
    if m > n_slots:
        raise ValueError(f"cannot place {m} edges in {n_slots} slots")
    if m == 0:
        return np.zeros((n_samples, 0), dtype=np.int64)
    frac = m / n_slots
    draws = int(np.ceil(-n_slots * np.log1p(-frac) * 1.05)) + 16 if frac < 1 else 8 * n_slots
    keys = np.zeros(0, dtype=np.int64)
    short = np.arange(n_samples)
    while short.size:
        new = short[:, None].astype(np.int64) * n_slots + rng.integers(0, n_slots, size=(short.size, draws))
        keys = np.concatenate([keys, new.ravel()])
        keys.sort()  # a sort and a neighbour test: much faster than np.unique's hashing here
        keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]
        counts = np.bincount(keys // n_slots, minlength=n_samples)
        short = np.flatnonzero(counts < m)
    sample = keys // n_slots
    # random order within each sample: one int64 sort key, sample in the high bits, 40 random bits below
    order = np.argsort((sample << 40) | rng.integers(0, 1 << 40, keys.size), kind="stable")
    keys, sample = keys[order], sample[order]
    starts = np.searchsorted(sample, np.arange(n_samples))
    pick = (starts[:, None] + np.arange(m)[None, :]).ravel()
    return (keys[pick] % n_slots).reshape(n_samples, m)


def erdos_renyi_edges(n: int, m: int, n_samples: int, seed=None) -> tuple[np.ndarray, np.ndarray]:
    """Edge lists of ``n_samples`` G(n, m) digraphs: ``m`` distinct edges, no self-loops, uniformly at random.

    Returns ``(src, dst)``, each (n_samples, m). Slot ``s`` of the ``n(n-1)`` off-diagonal cells is row
    ``s // (n-1)`` and column ``s % (n-1)``, shifted by one at or after the diagonal.
    """
    rng = np.random.default_rng(seed)
    if n < 2 and m > 0:
        raise ValueError("an Erdos-Renyi digraph with edges needs at least 2 nodes")
    slots = _distinct_per_sample(rng, n * (n - 1), m, n_samples)
    if n < 2:
        return slots, slots
    src = slots // (n - 1)
    dst = slots % (n - 1)
    dst = dst + (dst >= src)
    return src, dst


def configuration_edges(out_deg, in_deg, n_samples: int, seed=None) -> tuple[np.ndarray, np.ndarray]:
    """Edge lists of ``n_samples`` directed configuration-model multigraphs (stub matching).

    Out-stubs in node order are matched to a uniformly random permutation of the in-stubs (Newman,
    "Networks", 2nd ed., sec. 12.1), all samples at once (``Generator.permuted`` along rows). Multi-edges and
    self-loops are kept, as in networkx's ``directed_configuration_model``, so both degree sequences are
    preserved exactly. Returns ``(src, dst)``, each (n_samples, m).
    """
    out_deg = np.asarray(out_deg, dtype=np.int64)
    in_deg = np.asarray(in_deg, dtype=np.int64)
    if out_deg.shape != in_deg.shape or (out_deg < 0).any() or (in_deg < 0).any():
        raise ValueError("degree sequences must be non-negative and of equal length")
    if out_deg.sum() != in_deg.sum():
        raise ValueError(f"in- and out-degrees must sum alike, got {in_deg.sum()} and {out_deg.sum()}")
    rng = np.random.default_rng(seed)
    nodes = np.arange(len(out_deg))
    src_stubs = np.repeat(nodes, out_deg)
    dst_stubs = np.repeat(nodes, in_deg)
    dst = rng.permuted(np.broadcast_to(dst_stubs, (n_samples, dst_stubs.size)), axis=1)
    src = np.broadcast_to(src_stubs, dst.shape).copy()
    return src, dst


def _sample_adjacency(src: np.ndarray, dst: np.ndarray, n: int) -> sp.csr_matrix:
    """One sample's edge list as a sparse adjacency (multi-edges summed into weights)."""
    return sp.csr_matrix((np.ones(src.size), (src, dst)), shape=(n, n))


def null_coherence(edges: tuple[np.ndarray, np.ndarray], n: int) -> np.ndarray:
    """Trophic coherence ``1 - F0`` of every sampled network in ``edges = (src, dst)`` (n_samples, m)."""
    src, dst = edges
    out = np.empty(src.shape[0])
    for s in range(src.shape[0]):
        A = _sample_adjacency(src[s], dst[s], n)
        out[s] = 1.0 - trophic_incoherence(A, trophic_levels(A))
    return out


@dataclass(frozen=True)
class NullTest:
    """Observed statistic against null samples: mean, standard deviation, z-score and empirical p-values."""

    observed: float
    mean: float
    std: float
    z: float
    p_greater: float
    p_less: float
    n_samples: int

    @classmethod
    def from_samples(cls, observed: float, samples: np.ndarray) -> "NullTest":
        """``z = (observed - mean) / std``; ``p_greater = (1 + #{s >= observed}) / (1 + S)`` (Davison and
        Hinkley 1997, eq. 4.11), and ``p_less`` likewise for the lower tail."""
        samples = np.asarray(samples, dtype=float)
        if samples.size == 0:
            raise ValueError("no null samples")
        mean, std = float(samples.mean()), float(samples.std(ddof=1)) if samples.size > 1 else float("nan")
        z = (observed - mean) / std if std > 0 else float("nan")
        n = samples.size
        return cls(
            observed=float(observed),
            mean=mean,
            std=std,
            z=float(z),
            p_greater=float((1 + np.sum(samples >= observed)) / (1 + n)),
            p_less=float((1 + np.sum(samples <= observed)) / (1 + n)),
            n_samples=int(n),
        )


def coherence_significance(W, n_samples: int = 200, seed: int = 0) -> dict[str, NullTest]:
    """Coherence of the binary network ``W > 0`` without its self-loops (the Erdos-Renyi null has none)
    against Erdos-Renyi and configuration-model samples.

    Returns ``{"er": NullTest, "dcm": NullTest}``. Needs ``n_samples >= 100`` (docs/method.md section 7). A
    network without edges between distinct nodes has no coherence to test: every statistic is NaN and
    ``n_samples`` is 0.
    """
    if n_samples < 100:
        raise ValueError(f"n_samples must be >= 100, got {n_samples}")
    coo = as_adjacency(W).tocoo()
    keep = coo.row != coo.col
    n = coo.shape[0]
    A = sp.csr_matrix((np.ones(keep.sum()), (coo.row[keep], coo.col[keep])), shape=(n, n))
    m = A.nnz
    if m == 0:
        nan = float("nan")
        return {name: NullTest(nan, nan, nan, nan, nan, nan, 0) for name in ("er", "dcm")}
    observed = 1.0 - trophic_incoherence(A, trophic_levels(A))
    rng = np.random.default_rng(seed)
    er_seed, dcm_seed = rng.integers(0, 2**63 - 1, size=2)
    out_deg = np.diff(A.indptr)
    in_deg = np.bincount(A.indices, minlength=n)
    return {
        "er": NullTest.from_samples(observed, null_coherence(erdos_renyi_edges(n, m, n_samples, er_seed), n)),
        "dcm": NullTest.from_samples(
            observed, null_coherence(configuration_edges(out_deg, in_deg, n_samples, dcm_seed), n)
        ),
    }


# ------------------------------------------------------------------------------------ trophic position
def trophic_position(
    imports: pd.DataFrame, exports: pd.DataFrame, levels: pd.Series, threshold: float = 1.0
) -> pd.DataFrame:
    """Trophic position of locations (Fessina et al. eqs. 17-20; docs/method.md section 7).

    ``imports`` and ``exports`` are RCA matrices (locations x products, same index and columns); ``levels``
    maps products to trophic levels. With ``I = RCA_imp >= threshold`` and ``E = RCA_exp >= threshold``:
    ``tl_imp = (I h) / (I 1_h)``, ``tl_exp = (E h) / (E 1_h)`` where ``1_h`` marks the products that have a
    level (products outside the network do not count), ``jump = tl_exp - tl_imp``,
    ``diversification = E 1`` (all products), ``nitl = tl_imp / log(diversification)`` and
    ``ntj = jump / log(diversification)``. Means over no product, and NITL/NTJ for a diversification
    below 2 (``log <= 0``), are NaN.
    """
    if not imports.index.equals(exports.index) or not imports.columns.equals(exports.columns):
        raise ValueError("import and export RCA matrices must share index and columns")
    if not levels.index.is_unique:
        raise ValueError("levels must have one value per product")
    h = levels.reindex(imports.columns).to_numpy(dtype=float)
    has = np.isfinite(h)
    h0 = np.where(has, h, 0.0)
    I = imports.to_numpy(dtype=float) >= threshold
    E = exports.to_numpy(dtype=float) >= threshold
    n_imp, n_exp = (I & has).sum(axis=1), (E & has).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        tl_imp = np.where(n_imp > 0, (I @ h0) / n_imp, np.nan)
        tl_exp = np.where(n_exp > 0, (E @ h0) / n_exp, np.nan)
        div = E.sum(axis=1)
        log_div = np.where(div >= 2, np.log(np.maximum(div, 1)), np.nan)
        jump = tl_exp - tl_imp
        out = pd.DataFrame(
            {
                "tl_imp": tl_imp,
                "tl_exp": tl_exp,
                "jump": jump,
                "diversification": div.astype(np.int64),
                "n_imports_with_level": n_imp.astype(np.int64),
                "n_exports_with_level": n_exp.astype(np.int64),
                "nitl": tl_imp / log_div,
                "ntj": jump / log_div,
            },
            index=imports.index,
        )
    return out.reset_index()


# ------------------------------------------------------------------------------------- tables for the workflow
def links_adjacency(links: pd.DataFrame, weight: str | None = None) -> tuple[sp.csr_matrix, pd.Index]:
    """Adjacency of a links table (``input -> output``): binary, or weighted by column ``weight`` (finite and
    non-negative; links of weight 0 are left out, their products stay)."""
    if not {"output", "input"} <= set(links.columns):
        raise ValueError("links need columns output, input")
    w = None if weight is None else pd.to_numeric(links[weight], errors="coerce").to_numpy(dtype=float)
    if w is not None and _bad_weights(w).any():
        bad = links[_bad_weights(w)]
        shown = ", ".join(f"row {r} ({i} -> {o}): {x!r}" for r, i, o, x in
                          zip(bad.index[:5], bad["input"], bad["output"], bad[weight].tolist()))
        raise ValueError(f"links column {weight!r} must hold finite non-negative weights: {shown}"
                         + (f" ({len(bad)} rows in all)" if len(bad) > 5 else "") + "; fix or drop those links")
    W, nodes = adjacency_from_edges(links["input"], links["output"], weights=w)
    if weight is None:
        W.data[:] = 1.0
    return W, nodes


def levels_table(links: pd.DataFrame, solver: str = "cg", weight: str | None = None) -> pd.DataFrame:
    """Trophic level of every product of a links table (``input -> output``; binary edges, or weighted by
    column ``weight``): ``hs, trophic_level, component, in_degree, out_degree``; components numbered as in
    :func:`component_coherence` (0 is the giant one)."""
    W, nodes = links_adjacency(links, weight)
    h = trophic_levels(W, solver=solver, names=nodes)
    labels, rank = ranked_weak_components(W)
    return pd.DataFrame(
        {
            "hs": nodes.to_numpy(),
            "trophic_level": h,
            "component": rank[labels],
            "in_degree": np.diff(W.tocsc().indptr).astype(np.int64),  # counts, whatever the weights
            "out_degree": np.diff(W.indptr).astype(np.int64),
        }
    )


def coherence_table(links: pd.DataFrame, n_samples: int = 200, seed: int = 0) -> pd.DataFrame:
    """Coherence of the whole network (``scope = "network"``, with Erdos-Renyi and configuration-model
    means, standard deviations, z-scores and empirical p-values) and of each weak component
    (``scope = "component"``, null columns empty)."""
    W, _ = adjacency_from_edges(links["input"], links["output"])
    W.data[:] = 1.0
    h = trophic_levels(W)
    f0 = trophic_incoherence(W, h)
    row = {"scope": "network", "component": -1, "nodes": W.shape[0], "edges": W.nnz,
           "incoherence": f0, "coherence": 1.0 - f0}
    for name, t in coherence_significance(W, n_samples, seed).items():
        row.update({f"{name}_mean": t.mean, f"{name}_std": t.std, f"{name}_z": t.z,
                    f"{name}_p_greater": t.p_greater, f"{name}_p_less": t.p_less})
    row["null_samples"] = t.n_samples  # 0 where there was nothing to test
    comps = component_coherence(W, h).assign(scope="component")
    return pd.concat([pd.DataFrame([row]), comps], ignore_index=True)
