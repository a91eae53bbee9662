"""Trophic levels, trophic coherence and its significance, and the trophic position of locations
(docs/method.md section 7).

Trophic levels follow MacKay, Johnson and Sansom (2020), "How directed is a directed network?", R. Soc. open
sci. 7: 201138, as used by Fessina, Tacchella and Zaccaria (eqs. 12-16). ``W[p, q]`` is the weight of the
edge ``p -> q`` (``p`` is an input of ``q``):

- ``w_in = W^T 1``, ``w_out = W 1``, ``u = w_in + w_out``, ``v = w_in - w_out`` (eqs. 12-13);
- ``Lambda = diag(u) - W - W^T`` (eq. 14), a graph Laplacian, singular once per weakly connected component;
- ``Lambda h = v`` (eq. 15) fixes ``h`` up to one additive constant per component. One node per component is
  pinned to 0 and the reduced system (block-diagonal, one symmetric positive-definite block per component)
  is solved at once, by Jacobi-preconditioned conjugate gradients (sparse LU when CG does not converge, or
  when asked); each component is then shifted so its minimum is 1 (Fessina et al.'s tables), which gives
  isolated nodes level 1. Sparse LU suffers heavy fill-in on random-like graphs (their Laplacians have no
  small separators), CG does not: see ``scripts/bench/bench_analysis.py``.
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
from scipy.sparse.linalg import cg, spsolve

SOLVERS = ("cg", "lu")


def as_adjacency(W) -> sp.csr_matrix:
    """``W`` (dense or sparse, square, non-negative) as a float CSR matrix; explicit zeros removed."""
    W = sp.csr_matrix(W, dtype=float)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"adjacency must be a square matrix, got shape {W.shape}")
    if W.nnz and (not np.isfinite(W.data).all() or (W.data < 0).any()):
        raise ValueError("adjacency weights must be finite and non-negative")
    W.eliminate_zeros()
    return W


def adjacency_from_edges(inputs, outputs, nodes=None, weights=None) -> tuple[sp.csr_matrix, pd.Index]:
    """Sparse adjacency ``W[p, q]`` of edges ``input p -> output q`` over ``nodes`` (default: all endpoints,
    sorted). Duplicate edges add their weights. Returns ``(W, nodes)``."""
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
    n = len(nodes)
    return as_adjacency(sp.coo_matrix((w, (i, j)), shape=(n, n)).tocsr()), nodes


def trophic_levels(W, solver: str = "cg", rtol: float = 1e-12) -> np.ndarray:
    """MacKay-Johnson-Sansom trophic levels ``h`` (docs/method.md section 7), minimum 1 in every weak component.

    Solves ``(diag(u) - W - W^T) h = w_in - w_out`` with the first node of each weakly connected component
    pinned to 0: removing those rows and columns leaves a block-diagonal symmetric positive-definite system.
    ``solver="cg"`` solves it by Jacobi-preconditioned conjugate gradients to relative residual ``rtol``,
    falling back to sparse LU if CG has not converged after ``max(1000, n)`` iterations; ``solver="lu"``
    uses sparse LU (``scipy.sparse.linalg.spsolve``, minimum-degree ordering on ``A^T + A``). Then
    ``h -= min(h over the component) - 1``.
    """
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    W = as_adjacency(W)
    n = W.shape[0]
    h = np.zeros(n)
    if n == 0:
        return h
    n_comp, labels = connected_components(W, directed=True, connection="weak")
    w_in = np.asarray(W.sum(axis=0)).ravel()
    w_out = np.asarray(W.sum(axis=1)).ravel()
    S = W + W.T
    lap = (sp.diags(np.asarray(S.sum(axis=1)).ravel()) - S).tocsr()
    v = w_in - w_out
    # the first node of every component (np.unique's return_index gives each label's first position)
    _, anchors = np.unique(labels, return_index=True)
    free = np.ones(n, dtype=bool)
    free[anchors] = False
    if free.any():
        idx = np.flatnonzero(free)
        h[idx] = _solve_spd(lap[idx][:, idx], v[idx], solver, rtol)
    comp_min = np.full(n_comp, np.inf)
    np.minimum.at(comp_min, labels, h)
    return h - comp_min[labels] + 1.0


def _solve_spd(A: sp.csr_matrix, b: np.ndarray, solver: str, rtol: float) -> np.ndarray:
    """Solve the reduced Laplacian system (symmetric positive definite, positive diagonal)."""
    if solver == "cg":
        x, info = cg(A, b, rtol=rtol, atol=0.0, M=sp.diags(1.0 / A.diagonal()), maxiter=max(1000, A.shape[0]))
        if info == 0:
            return x
    return np.atleast_1d(spsolve(A.tocsc(), b, permc_spec="MMD_AT_PLUS_A"))


def trophic_levels_dense(W) -> np.ndarray:
    """Reference implementation: the same pinned system as :func:`trophic_levels`, solved densely
    (``numpy.linalg.solve``, LAPACK LU). Used by the tests and the benchmark as a yardstick."""
    W = as_adjacency(W)
    n = W.shape[0]
    A = W.toarray()
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

    NaN for a network without edges.
    """
    W = as_adjacency(W).tocoo()
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
    (ties by their lowest node index), so the giant component is 0.
    """
    W = as_adjacency(W)
    if h is None:
        h = trophic_levels(W)
    labels, rank = ranked_weak_components(W)
    n_comp = len(rank)
    sizes = np.bincount(labels, minlength=n_comp)
    coo = W.tocoo()
    comp_of_edge = labels[coo.row]
    sq = coo.data * (h[coo.col] - h[coo.row] - 1.0) ** 2
    num = np.bincount(comp_of_edge, weights=sq, minlength=n_comp)
    den = np.bincount(comp_of_edge, weights=coo.data, minlength=n_comp)
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
    """Coherence of the binary network ``W > 0`` against Erdos-Renyi and configuration-model samples.

    Returns ``{"er": NullTest, "dcm": NullTest}``. Needs ``n_samples >= 100`` (docs/method.md section 7).
    """
    if n_samples < 100:
        raise ValueError(f"n_samples must be >= 100, got {n_samples}")
    A = as_adjacency(W)
    A.data[:] = 1.0
    A.setdiag(0)
    A.eliminate_zeros()
    n, m = A.shape[0], A.nnz
    if m == 0:
        raise ValueError("the network has no edges")
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
    """Adjacency of a links table (``input -> output``): binary, or weighted by column ``weight``."""
    if not {"output", "input"} <= set(links.columns):
        raise ValueError("links need columns output, input")
    w = None if weight is None else links[weight].to_numpy(dtype=float)
    W, nodes = adjacency_from_edges(links["input"], links["output"], weights=w)
    if weight is None:
        W.data[:] = 1.0
    return W, nodes


def levels_table(links: pd.DataFrame, solver: str = "cg", weight: str | None = None) -> pd.DataFrame:
    """Trophic level of every product of a links table (``input -> output``; binary edges, or weighted by
    column ``weight``): ``hs, trophic_level, component, in_degree, out_degree``; components numbered as in
    :func:`component_coherence` (0 is the giant one)."""
    W, nodes = links_adjacency(links, weight)
    h = trophic_levels(W, solver=solver)
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
    row["null_samples"] = n_samples
    comps = component_coherence(W, h).assign(scope="component")
    return pd.concat([pd.DataFrame([row]), comps], ignore_index=True)
