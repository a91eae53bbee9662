"""Fine-tuning the four Backward & Forward thresholds on an inter-country input-output table (docs/method.md section 5;
Karbevska & Hidalgo 2023 preprint, section 5.2 and appendix 8.2).

The ICIO table plays the role of trade data with countries as locations and industries of origin as products; its
specialisation, trade-intensity labels and scoring are :mod:`valuechain.links.yardstick`'s.

- Grid (:func:`grid_search`): every combination of ``t1..t4`` in ``1, 1.5, ..., 5.5`` (10,000); for each, the B&F
  top-``k`` inputs of every output industry, scored for precision (true predicted / predicted) and recall
  (true predicted / true off-diagonal labels).

How the grid stays fast: the backward counts ``Cb`` depend only on ``(t1, t2)`` and the forward counts ``Cf`` only
on ``(t3, t4)``, so both are computed once per pair (100 + 100 matrix products, :func:`pair_counts`). B&F orders
the candidates ``q`` of output ``p`` by ``(score, rb, -Cb, q)`` with ``score = rb + rf``; that order is encoded in one
integer key ``rf * S1 + [rb * (S1 + S2) + (Cmax - Cb) * N + q]`` whose bracket depends only on the backward pair
and whose first term only on the forward pair (:func:`backward_keys`, :func:`forward_keys`). The key of every
combination is then a broadcast sum of two precomputed stacks, and the top ``k`` per output is a partial sort
along the last axis, done in chunks of backward pairs (:func:`grid_top_k`). The result equals
:func:`valuechain.links.bf.rank_candidates` on every combination (tests check it against a brute-force loop).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from valuechain.links import yardstick
from valuechain.links.bf import Thresholds, cooccurrence_counts, dense_rank_desc, rank_candidates

#: The paper's grid: 1, 1.5, ..., 5.5 for each of t1..t4 (preprint section 5.2: "[1, 6[ with step 0.5").
GRID_VALUES: tuple[float, ...] = tuple(float(v) for v in np.arange(1.0, 6.0, 0.5))

#: Default number of elements of the int64 key array built per chunk of :func:`grid_top_k` (about 32 MB).
CHUNK_ELEMENTS = 1 << 22


# ---------------------------------------------------------------------------------------------------------------
# Batched grid
# ---------------------------------------------------------------------------------------------------------------


def threshold_combinations(values: Sequence[float] = GRID_VALUES) -> np.ndarray:
    """All ``(t1, t2, t3, t4)`` as a (len(values)**4, 4) array, ``t1`` slowest, ``t4`` fastest.

    Row ``a * P + b`` pairs backward pair ``a = (t1, t2)`` with forward pair ``b = (t3, t4)``, ``P = len(values)**2``.
    """
    v = np.asarray(values, dtype=float)
    return np.stack(np.meshgrid(v, v, v, v, indexing="ij"), axis=-1).reshape(-1, 4)


def pair_counts(A: np.ndarray, B: np.ndarray, values: Sequence[float] = GRID_VALUES) -> np.ndarray:
    """Stack of :func:`valuechain.links.bf.cooccurrence_counts` ``(A > ta)^T (B > tb)`` for every pair of grid values.

    Shape (len(values)**2, n, n); index ``ia * len(values) + ib`` for ``(values[ia], values[ib])``. Backward
    counts ``Cb`` are ``pair_counts(E, I)`` over ``(t1, t2)``; forward counts ``Cf`` are ``pair_counts(I, E)`` over
    ``(t3, t4)``. One BLAS product per pair (100 for the paper's grid), reusing the core count function.
    """
    return np.stack([cooccurrence_counts(A, B, ta, tb) for ta in values for tb in values])


def _key_scales(n: int, c_max: int) -> tuple[int, int]:
    """Scales of the sort key: ``S2 = (c_max + 1) n`` bounds ``(c_max - Cb) n + q`` and ``S1 = (n + 1) S2`` bounds
    ``rb S2 + (c_max - Cb) n + q``, so the key orders by (score, rb, -Cb, q)."""
    s2 = (c_max + 1) * n
    return (n + 1) * s2, s2


def _no_candidate_key(n: int, c_max: int) -> int:
    """A key larger than any valid key (score <= 2n, so valid keys are below (2n + 1) S1)."""
    s1, _ = _key_scales(n, c_max)
    return (2 * n + 2) * s1


def backward_keys(Cb: np.ndarray, n_candidates: int, c_max: int) -> np.ndarray:
    """Backward part ``rb (S1 + S2) + (c_max - Cb) n + q`` of the sort key, per backward pair (P, n, n), int64.

    Exactly :func:`valuechain.links.bf.rank_candidates`'s candidate set: for output ``p`` the first ``n_candidates``
    inputs by ``(Cb desc, code asc)``, minus ``q = p``, and nothing for an output whose ``Cb`` row is all 0. Other
    cells get a key above every valid one. ``c_max`` bounds every count (the number of locations).
    """
    Cb = np.asarray(Cb)
    P, n, _ = Cb.shape
    n_cand = min(int(n_candidates), n)
    s1, s2 = _key_scales(n, c_max)
    rb = dense_rank_desc(Cb.reshape(P * n, n)).reshape(P, n, n).astype(np.int64)
    q = np.arange(n, dtype=np.int64)
    key = rb * (s1 + s2) + (c_max - Cb.astype(np.int64)) * n + q
    order = np.argsort(-Cb, axis=-1, kind="stable")[..., :n_cand]
    cand = np.zeros(Cb.shape, dtype=bool)
    np.put_along_axis(cand, order, True, axis=-1)
    cand &= ~np.eye(n, dtype=bool)
    cand &= Cb.any(axis=-1, keepdims=True)
    return np.where(cand, key, _no_candidate_key(n, c_max))


def forward_keys(Cf: np.ndarray, c_max: int) -> np.ndarray:
    """Forward part ``rf S1`` of the sort key, per forward pair, indexed ``[pair, output p, input q]``, int64.

    ``rf`` of candidate ``q`` for output ``p`` is the dense rank of ``Cf[q, p]`` in row ``q`` (transposed here).
    """
    Cf = np.asarray(Cf)
    Q, n, _ = Cf.shape
    s1, _ = _key_scales(n, c_max)
    rf = dense_rank_desc(Cf.reshape(Q * n, n)).reshape(Q, n, n).astype(np.int64)
    return rf.transpose(0, 2, 1) * s1


def grid_top_k(
    Cb: np.ndarray, Cf: np.ndarray, k: int, n_candidates: int, chunk_elements: int = CHUNK_ELEMENTS
) -> np.ndarray:
    """Top-``k`` inputs of every output for every (backward pair, forward pair): int array (P * Q, n, k).

    Entry ``[a * Q + b, p, r]`` is the input of rank ``r + 1`` for output ``p`` under ``Cb[a]`` and ``Cf[b]``, or -1
    when ``p`` has fewer than ``r + 1`` candidates. Identical to ``rank_candidates(Cb[a], Cf[b], n_candidates)``
    with ``rank <= k``. Works in chunks of backward pairs holding about ``chunk_elements`` keys each.
    """
    Cb = np.asarray(Cb)
    Cf = np.asarray(Cf)
    P, n, _ = Cb.shape
    Q = Cf.shape[0]
    if Cf.shape[1:] != (n, n):
        raise ValueError(f"backward counts are {Cb.shape[1:]} but forward counts are {Cf.shape[1:]}")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    c_max = int(max(Cb.max(initial=0), Cf.max(initial=0)))
    kb = backward_keys(Cb, n_candidates, c_max)
    kf = forward_keys(Cf, c_max)
    invalid = _no_candidate_key(n, c_max)
    kk = min(k, n)
    out = np.full((P * Q, n, k), -1, dtype=np.int64)
    step = max(1, chunk_elements // (Q * n * n))
    for a0 in range(0, P, step):
        a1 = min(P, a0 + step)
        keys = kb[a0:a1, None] + kf[None]  # (a, Q, n, n)
        best = np.sort(np.partition(keys, kk - 1, axis=-1)[..., :kk], axis=-1)
        top = np.where(best < invalid, best % n, -1)  # q is the last component of the key
        out[a0 * Q : a1 * Q, :, :kk] = top.reshape((a1 - a0) * Q, n, kk)
    return out


@dataclass(frozen=True)
class GridCounts:
    """Grid results per combination and output industry, to be summed over any subset of outputs.

    ``thresholds`` (C, 4); ``n_predicted``, ``n_true`` (C, n); ``n_labels`` (n,) true off-diagonal labels per output.
    """

    thresholds: np.ndarray
    n_predicted: np.ndarray
    n_true: np.ndarray
    n_labels: np.ndarray


def grid_search(
    E: np.ndarray,
    I: np.ndarray,
    L: np.ndarray,
    values: Sequence[float] = GRID_VALUES,
    k: int = 3,
    n_candidates: int = 240,
    chunk_elements: int = CHUNK_ELEMENTS,
) -> GridCounts:
    """Score B&F top-``k`` links for every combination of ``values`` as ``t1..t4`` against labels ``L``.

    ``E``, ``I``: export and import RCA (countries x industries); ``L``: (industries x industries) labels.
    """
    E, I, L = np.asarray(E), np.asarray(I), np.asarray(L, dtype=bool)
    n = E.shape[1]
    if I.shape != E.shape or L.shape != (n, n):
        raise ValueError(f"shapes do not match: E {E.shape}, I {I.shape}, L {L.shape}")
    Cb = pair_counts(E, I, values)
    Cf = pair_counts(I, E, values)
    top = grid_top_k(Cb, Cf, k, n_candidates, chunk_elements)
    n_pred, n_true = yardstick.score_top_k(top, L)
    return GridCounts(
        thresholds=threshold_combinations(values),
        n_predicted=n_pred,
        n_true=n_true,
        n_labels=(L & ~np.eye(n, dtype=bool)).sum(axis=0),
    )


def grid_table(counts: GridCounts, outputs: np.ndarray | None = None) -> pd.DataFrame:
    """One row per combination: ``t1..t4, n_predicted, n_true, n_false, precision, recall, n_outputs``, summed
    over ``outputs`` (a boolean mask; default all).

    ``precision`` = true / predicted (NaN when nothing is predicted); ``recall`` = true / true off-diagonal labels
    of those outputs; ``n_outputs`` = outputs with at least one predicted link.
    """
    mask = np.ones(counts.n_true.shape[1], dtype=bool) if outputs is None else np.asarray(outputs, dtype=bool)
    n_pred = counts.n_predicted[:, mask].sum(axis=1)
    n_true = counts.n_true[:, mask].sum(axis=1)
    n_labels = counts.n_labels[mask].sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(n_pred > 0, n_true / n_pred, np.nan)
        recall = n_true / n_labels if n_labels > 0 else np.full(len(n_true), np.nan)
    t = counts.thresholds
    return pd.DataFrame(
        {
            "t1": t[:, 0],
            "t2": t[:, 1],
            "t3": t[:, 2],
            "t4": t[:, 3],
            "n_predicted": n_pred,
            "n_true": n_true,
            "n_false": n_pred - n_true,
            "precision": precision,
            "recall": recall,
            "n_outputs": (counts.n_predicted[:, mask] > 0).sum(axis=1),
        }
    )


def best_combination(grid: pd.DataFrame, min_outputs: int = 0) -> pd.Series:
    """The row of a :func:`grid_table` with the highest precision among those predicting links for at least
    ``min_outputs`` output industries; ties go to more true links, then to the smallest ``(t1, t2, t3, t4)``."""
    eligible = grid[(grid["n_predicted"] > 0) & (grid["n_outputs"] >= min_outputs)]
    if eligible.empty:
        raise ValueError(
            f"no threshold combination predicts links for at least {min_outputs} output industries "
            f"(most covered: {int(grid['n_outputs'].max())})"
        )
    ranked = eligible.sort_values(
        ["precision", "n_true", "t1", "t2", "t3", "t4"], ascending=[False, False, True, True, True, True]
    )
    return ranked.iloc[0]


def top_links(
    E: np.ndarray, I: np.ndarray, L: np.ndarray, industries: Sequence[str], thresholds: Thresholds, k: int,
    n_candidates: int,
) -> pd.DataFrame:
    """The B&F top-``k`` links at fixed thresholds with their labels (the labelled industry network).

    Columns ``output, input, rank, score, rb, rf, cb, cf, label`` from :func:`valuechain.links.bf.rank_candidates`.
    """
    t = thresholds
    r = rank_candidates(
        cooccurrence_counts(E, I, t.t1, t.t2), cooccurrence_counts(I, E, t.t3, t.t4), n_candidates
    )
    keep = r["rank"] <= k
    names = np.asarray(industries)
    out, inp = r["output"][keep], r["input"][keep]
    df = pd.DataFrame({c: r[c][keep] for c in ("rank", "score", "rb", "rf", "cb", "cf")})
    df.insert(0, "input", names[inp])
    df.insert(0, "output", names[out])
    df["label"] = np.asarray(L, dtype=bool)[inp, out]
    return df


# ---------------------------------------------------------------------------------------------------------------
# Held-out evaluation
# ---------------------------------------------------------------------------------------------------------------

HELDOUT_COLUMNS = [
    "scheme", "fold", "tuned_on", "scored_on", "t1", "t2", "t3", "t4", "tune_precision",
    "heldout_predicted", "heldout_true", "heldout_precision", "heldout_base_rate",
]


def _threshold_index(counts: GridCounts, row: pd.Series) -> int:
    t = counts.thresholds
    hit = np.flatnonzero((t == row[["t1", "t2", "t3", "t4"]].to_numpy(dtype=float)).all(axis=1))
    return int(hit[0])


def heldout_industry_folds(
    counts: GridCounts, L: np.ndarray, folds: int, seed: int, min_outputs: int = 0
) -> pd.DataFrame:
    """K-fold cross-validation over output industries on one grid (:data:`HELDOUT_COLUMNS`, one row per fold).

    Outputs are shuffled with ``seed`` and dealt into ``folds`` groups. For each fold the thresholds are chosen
    by :func:`best_combination` on the other outputs' links only, then scored on the fold's outputs. Specialisation
    is shared (it describes countries, not links); what is held out is which links are judged. ``min_outputs`` is
    scaled to the tuning share of outputs. The pooled held-out precision is the sum of true over the sum of
    predicted links across folds (row ``fold = "pooled"``, thresholds NaN).
    """
    n = counts.n_true.shape[1]
    if not 2 <= folds <= n:
        raise ValueError(f"folds must be between 2 and the number of output industries ({n}), got {folds}")
    fold_of = yardstick.fold_of_outputs(n, folds, seed)
    off_diagonal = ~np.eye(n, dtype=bool)
    rows = []
    for f in range(folds):
        test = fold_of == f
        tune = grid_table(counts, ~test)
        best = best_combination(tune, int(np.floor(min_outputs * (~test).sum() / n)))
        c = _threshold_index(counts, best)
        pred, true = int(counts.n_predicted[c, test].sum()), int(counts.n_true[c, test].sum())
        rows.append(
            {
                "scheme": "industries", "fold": str(f), "tuned_on": f"{int((~test).sum())} outputs",
                "scored_on": f"{int(test.sum())} outputs", **{t: float(best[t]) for t in ("t1", "t2", "t3", "t4")},
                "tune_precision": float(best["precision"]), "heldout_predicted": pred, "heldout_true": true,
                "heldout_precision": true / pred if pred else np.nan,
                "heldout_base_rate": float(L[:, test][off_diagonal[:, test]].mean()),
            }
        )
    df = pd.DataFrame(rows, columns=HELDOUT_COLUMNS)
    pred, true = int(df["heldout_predicted"].sum()), int(df["heldout_true"].sum())
    pooled = {
        "scheme": "industries", "fold": "pooled", "tuned_on": f"{folds} folds", "scored_on": f"{n} outputs",
        "heldout_predicted": pred, "heldout_true": true, "heldout_precision": true / pred if pred else np.nan,
        "heldout_base_rate": yardstick.base_rate(L),
    }
    return pd.concat([df, pd.DataFrame([pooled], columns=HELDOUT_COLUMNS)], ignore_index=True)


def heldout_years(
    tune: tuple[np.ndarray, np.ndarray, np.ndarray],
    heldout: tuple[np.ndarray, np.ndarray, np.ndarray],
    tuned_on: str,
    scored_on: str,
    values: Sequence[float] = GRID_VALUES,
    k: int = 3,
    n_candidates: int = 240,
    min_outputs: int = 0,
) -> pd.DataFrame:
    """Tune on some years, score on others (:data:`HELDOUT_COLUMNS`, one row).

    ``tune`` and ``heldout`` are ``(E, I, L)`` built from their own years (specialisation AND labels), with the same
    countries and industries in the same order. The grid runs on ``tune``; its :func:`best_combination` is scored
    on ``heldout`` with :func:`valuechain.links.bf.rank_candidates`.
    """
    E_t, I_t, L_t = tune
    E_h, I_h, L_h = heldout
    if E_t.shape != E_h.shape or L_t.shape != L_h.shape:
        raise ValueError(
            f"tuning and held-out tables differ in shape: RCA {E_t.shape} vs {E_h.shape}, labels {L_t.shape} vs "
            f"{L_h.shape}"
        )
    best = best_combination(grid_table(grid_search(E_t, I_t, L_t, values, k, n_candidates)), min_outputs)
    t = Thresholds.from_mapping(best)
    n = L_h.shape[0]
    links = top_links(E_h, I_h, L_h, [str(i) for i in range(n)], t, k, n_candidates)
    pred, true = len(links), int(links["label"].sum())
    return pd.DataFrame(
        [
            {
                "scheme": "years", "fold": "0", "tuned_on": tuned_on, "scored_on": scored_on,
                "t1": t.t1, "t2": t.t2, "t3": t.t3, "t4": t.t4, "tune_precision": float(best["precision"]),
                "heldout_predicted": pred, "heldout_true": true, "heldout_precision": true / pred if pred else np.nan,
                "heldout_base_rate": yardstick.base_rate(L_h),
            }
        ],
        columns=HELDOUT_COLUMNS,
    )


def _combination_summary(row: pd.Series) -> dict:
    return {"thresholds": {t: float(row[t]) for t in ("t1", "t2", "t3", "t4")}, "precision": float(row["precision"]),
            "recall": float(row["recall"]), "n_predicted": int(row["n_predicted"]), "n_true": int(row["n_true"]),
            "n_outputs": int(row["n_outputs"])}


def threshold_choice(grid: pd.DataFrame, heldout: pd.DataFrame, labels: pd.DataFrame, min_output_share: float,
                     in_sample: dict) -> dict:
    """The fine-tuning stage's choice (thresholds.json): the best combination of the ``grid`` that links at least
    ``min_output_share`` of the output industries, with its in-sample figures (``in_sample``: the settings to
    record, completed with the industries, the combinations and the base rate of ``labels``), the unconstrained
    best beside it, and the held-out figures of each scheme (``heldout``: the years split and the pooled industry
    folds)."""
    industries = list(dict.fromkeys(labels["input"]))
    n = len(industries)
    best = best_combination(grid, math.ceil(min_output_share * n))
    summaries = heldout[(heldout["scheme"] == "years") | (heldout["fold"] == "pooled")]
    return {
        **_combination_summary(best),
        "in_sample": {**in_sample, "n_industries": n, "combinations": len(grid), "min_output_share": min_output_share,
                      "base_rate": yardstick.base_rate(yardstick.label_matrix(labels, industries))},
        "unconstrained_best": _combination_summary(best_combination(grid)),
        "heldout": [
            {"scheme": r.scheme, "tuned_on": r.tuned_on, "scored_on": r.scored_on,
             "precision": float(r.heldout_precision), "n_true": int(r.heldout_true),
             "n_predicted": int(r.heldout_predicted), "base_rate": float(r.heldout_base_rate)}
            for r in summaries.itertuples()
        ],
    }
