"""Backward & Forward (B&F) input-link inference in matrix form (Karbevska & Hidalgo 2025, Algorithm 1;
docs/method.md section 4).

``E`` and ``I`` are export and import RCA (locations x products, columns in ascending HS-code order).

- Backward counts ``Cb = (E > t1)^T (I > t2)``: ``Cb[p, q]`` = locations specialised in exporting ``p`` that
  also specialise in importing ``q``.
- Forward counts ``Cf = (I > t3)^T (E > t4)``: ``Cf[q, p]`` = locations specialised in importing ``q`` that
  also specialise in exporting ``p``.
- For output ``p``: ``rb`` = dense rank of ``Cb[p, q]`` (descending) over all products; the first
  ``n_candidates`` products in the order (``Cb`` desc, code asc) are the candidates; ``q = p`` is dropped
  afterwards (so an output that ranks itself keeps ``n_candidates - 1``).
- For candidate ``q``: ``rf`` = dense rank of ``Cf[q, p]`` in row ``q`` over all products. A product that no
  location of the forward set exports has count 0 and so sits at the last rank: the paper's
  "worst rank + 1".
- ``score = rb + rf`` (2 is best); order by score, then ``rb``, then ``Cb`` descending, then product code.

Choices left open by the paper, made here (docs/method.md section 4): an output whose whole ``Cb`` row is 0 has no
backward evidence at all (no location over-exports it, or none of those over-imports anything) and gets no
candidates, instead of ``n_candidates`` arbitrary ties; and a candidate with neither a backward nor a forward
count (``cb = cf = 0``) stays in the ranked candidates but is never one of the top-k links (:func:`top_k`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

CANDIDATE_COLUMNS = ["output", "input", "rank", "score", "rb", "rf", "cb", "cf"]


@dataclass(frozen=True)
class Thresholds:
    """RCA thresholds: backward ``t1`` (export) and ``t2`` (import); forward ``t3`` (import), ``t4`` (export)."""

    t1: float
    t2: float
    t3: float
    t4: float

    @classmethod
    def from_mapping(cls, m) -> "Thresholds":
        return cls(*(float(m[k]) for k in ("t1", "t2", "t3", "t4")))


def cooccurrence_counts(A: np.ndarray, B: np.ndarray, ta: float, tb: float) -> np.ndarray:
    """``(A > ta)^T (B > tb)``: for every product pair, how many locations pass both thresholds.

    One BLAS matrix product in float32 (exact for counts below 2**24 locations), returned as int32.
    """
    a = (np.asarray(A) > ta).astype(np.float32)
    b = (np.asarray(B) > tb).astype(np.float32)
    return (a.T @ b).astype(np.int32)


def dense_rank_desc(C: np.ndarray) -> np.ndarray:
    """Row-wise dense rank, largest value = 1, equal values share a rank, next distinct value gets rank+1.

    Vectorised: one row-wise sort, a cumulative count of value changes, and a scatter back.
    """
    C = np.asarray(C)
    order = np.argsort(-C, axis=1, kind="stable")
    sorted_vals = np.take_along_axis(C, order, axis=1)
    change = np.ones_like(sorted_vals, dtype=np.int32)
    change[:, 1:] = (sorted_vals[:, 1:] != sorted_vals[:, :-1]).astype(np.int32)
    ranks_sorted = np.cumsum(change, axis=1, dtype=np.int32)
    ranks = np.empty_like(ranks_sorted)
    np.put_along_axis(ranks, order, ranks_sorted, axis=1)
    return ranks


def rank_candidates(Cb: np.ndarray, Cf: np.ndarray, n_candidates: int) -> dict[str, np.ndarray]:
    """B&F candidates of every output from the count matrices, as flat arrays sorted by (output, rank).

    Returns ``output, input`` (product indices), ``rank`` (1..n within its output), ``score, rb, rf, cb, cf``.
    Shared by link inference on trade data and by the ICIO grid search, which reuses counts across
    threshold combinations.
    """
    Cb = np.asarray(Cb)
    Cf = np.asarray(Cf)
    n_prod = Cb.shape[0]
    n = min(int(n_candidates), n_prod)
    rb_all = dense_rank_desc(Cb)
    rf_all = dense_rank_desc(Cf)
    # First n by (Cb desc, code asc): a stable sort on -Cb keeps code order among ties.
    cand = np.argsort(-Cb, axis=1, kind="stable")[:, :n]
    out = np.repeat(np.arange(n_prod), n)
    inp = cand.ravel()
    has_evidence = Cb.any(axis=1)
    keep = (inp != out) & has_evidence[out]
    out, inp = out[keep], inp[keep]
    rb = rb_all[out, inp]
    rf = rf_all[inp, out]
    cb = Cb[out, inp]
    cf = Cf[inp, out]
    score = rb + rf
    # lexsort: last key is primary. Product index order is code order.
    order = np.lexsort((inp, -cb, rb, score, out))
    out, inp, rb, rf, cb, cf, score = (a[order] for a in (out, inp, rb, rf, cb, cf, score))
    starts = np.flatnonzero(np.r_[True, out[1:] != out[:-1]]) if len(out) else np.array([], int)
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(out)]))
    rank = np.arange(len(out)) - group_start + 1
    return {"output": out, "input": inp, "rank": rank, "score": score, "rb": rb, "rf": rf, "cb": cb, "cf": cf}


def backward_forward(
    rca_exp: pd.DataFrame, rca_imp: pd.DataFrame, thresholds: Thresholds, n_candidates: int = 240
) -> pd.DataFrame:
    """All B&F candidates (columns :data:`CANDIDATE_COLUMNS`) from aligned export/import RCA matrices.

    ``rca_exp`` and ``rca_imp``: locations x products DataFrames with the same index and columns.
    """
    if not rca_exp.index.equals(rca_imp.index) or not rca_exp.columns.equals(rca_imp.columns):
        raise ValueError("export and import RCA matrices must have the same locations and products")
    products = rca_exp.columns.to_numpy()
    if not (products[:-1] < products[1:]).all():
        raise ValueError("products must be sorted by code and unique")
    E = rca_exp.to_numpy()
    I = rca_imp.to_numpy()
    t = thresholds
    Cb = cooccurrence_counts(E, I, t.t1, t.t2)
    Cf = cooccurrence_counts(I, E, t.t3, t.t4)
    r = rank_candidates(Cb, Cf, n_candidates)
    df = pd.DataFrame({k: r[k] for k in CANDIDATE_COLUMNS})
    df["output"] = products[r["output"]]
    df["input"] = products[r["input"]]
    return df


def top_k(candidates: pd.DataFrame, k: int) -> pd.DataFrame:
    """The ``k`` best inputs of every output (candidates are already ranked) that have evidence: a candidate that no
    location counts, backward or forward (``cb = cf = 0``), is not a link, so its output gets fewer inputs (ranks
    keep their place among the candidates)."""
    evidence = (candidates["cb"] > 0) | (candidates["cf"] > 0)
    return candidates[(candidates["rank"] <= k) & evidence].reset_index(drop=True)


def random_baseline(products, k: int, seed: int) -> pd.DataFrame:
    """``k`` inputs per output drawn uniformly without replacement from the other products (seeded).

    Vectorised: one random key per (output, input) pair, the output's own key set to +inf, and the ``k``
    smallest keys per row taken.
    """
    products = np.asarray(sorted(products))
    n = len(products)
    k = min(k, n - 1)
    rng = np.random.default_rng(seed)
    keys = rng.random((n, n), dtype=np.float32)
    np.fill_diagonal(keys, np.inf)
    picks = np.argpartition(keys, k - 1, axis=1)[:, :k] if k > 0 else np.empty((n, 0), int)
    picks = np.take_along_axis(picks, np.argsort(np.take_along_axis(keys, picks, axis=1), axis=1), axis=1)
    return pd.DataFrame(
        {
            "output": np.repeat(products, k),
            "input": products[picks.ravel()],
            "rank": np.tile(np.arange(1, k + 1), n),
        }
    )
