"""Continuous co-specialisation scores of product pairs, confidences and abstention (docs/links.md).

Backward & Forward binarises RCA at four thresholds and keeps dense ranks of counts. The scores here keep the
whole distribution. For locations ``l`` (regions, or countries of an ICIO table), export RCA ``E[l, p]`` and
import RCA ``I[l, q]``, the score of ``q -> p`` ("``q`` is an input of ``p``") is an association across
locations between importing ``q`` and exporting ``p``. Every score is an ``n x n`` matrix ``S[q, p]`` (input
rows, output columns, as the fine-tuning labels ``L[q, p]``), computed with matrix products over locations:

- ``log1p``: Pearson correlation of ``log(1 + I[:, q])`` with ``log(1 + E[:, p])``;
- ``rank``: Pearson correlation of the column ranks (Spearman);
- ``bicm``: the co-specialisation count ``V[q, p] = sum_l [I >= 1][l, q] [E >= 1][l, p]`` against its
  expectation under the two Bipartite Configuration Models the validated network fits:
  ``(V - sum_l PI PE) / sqrt(sum_l PI PE (1 - PI PE))``.

A variant may then standardise the matrix ``within`` each input's row (``input``: how strongly ``p`` stands
out among everything that ``q``'s importers export, B&F's forward step made continuous) or within each output's
column and each input's row (``output_input``, the sum of the two z-scores). Which variant the workflow uses is
chosen by rule ``select_cospec`` on the fine-tuning years only and scored on held-out years and folds.

Confidence: a documented monotone map of the score, its percentile among all ordered off-diagonal pairs of the
run (``confidence = share of pairs scoring lower``), so ``min_confidence = 0.99`` keeps links only from the top
1% of all pairs and an output whose best candidate is below that gets no input (abstention). The confidence stays
below 1, so ``min_confidence = 1`` keeps none. A pair at the bottom (confidence 0), a pair without evidence and a
tie at an output's ``k``-th place are never links (:func:`top_links`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata

BASES = ("log1p", "rank", "bicm")
WITHIN = ("none", "input", "output_input")


def parse_variant(variant: str) -> tuple[str, str]:
    """``"log1p+input"`` -> ``("log1p", "input")``; a bare base means no standardisation."""
    base, _, within = variant.partition("+")
    within = within or "none"
    if base not in BASES or within not in WITHIN:
        raise ValueError(f"unknown co-specialisation variant {variant!r}: bases {BASES}, within {WITHIN}")
    return base, within


def variants() -> list[str]:
    """Every base with every standardisation: the candidates ``select_cospec`` chooses among."""
    return [b if w == "none" else f"{b}+{w}" for b in BASES for w in WITHIN]


def standardise_columns(X: np.ndarray) -> np.ndarray:
    """Columns centred and divided by their (population) standard deviation; constant columns become 0."""
    X = np.asarray(X, dtype=float)
    Xc = X - X.mean(axis=0)
    sd = Xc.std(axis=0)
    return Xc / np.where(sd > 0, sd, 1.0)


def correlation(E: np.ndarray, I: np.ndarray) -> np.ndarray:
    """``C[q, p]`` = Pearson correlation across locations of ``I[:, q]`` and ``E[:, p]``: one matrix product."""
    n_loc = E.shape[0]
    return standardise_columns(I).T @ standardise_columns(E) / n_loc


def transformed(X: np.ndarray, base: str) -> np.ndarray:
    """The RCA transform of a base: ``log(1 + RCA)`` or column ranks (average ties)."""
    if base == "log1p":
        return np.log1p(np.asarray(X, dtype=float))
    if base == "rank":
        return rankdata(X, axis=0)
    raise ValueError(f"no transform for base {base!r}")


def bicm_zscores(E: np.ndarray, I: np.ndarray, threshold: float = 1.0) -> np.ndarray:
    """``(V - mean) / sd`` of the co-specialisation count under the export and import BiCMs (see module doc)."""
    from valuechain.analyses.validated import fit_bicm

    Eb = (np.asarray(E) >= threshold).astype(float)
    Ib = (np.asarray(I) >= threshold).astype(float)
    PE, PI = fit_bicm(Eb).probabilities, fit_bicm(Ib).probabilities
    mean = PI.T @ PE
    var = mean - (PI**2).T @ (PE**2)  # sum_l pi (1 - pi) with pi = PI[l, q] PE[l, p]
    return (Ib.T @ Eb - mean) / np.sqrt(np.maximum(var, 1e-12))


def zscore(S: np.ndarray, axis: int) -> np.ndarray:
    """``S`` standardised along ``axis`` (1: within each input's row, 0: within each output's column), the
    diagonal left out of the means and standard deviations."""
    M = np.where(np.eye(S.shape[0], dtype=bool), np.nan, S)
    mean = np.nanmean(M, axis=axis, keepdims=True)
    sd = np.nanstd(M, axis=axis, keepdims=True)
    return (S - mean) / np.where(sd > 0, sd, 1.0)


def within(S: np.ndarray, how: str) -> np.ndarray:
    """Standardise ``S[q, p]`` within each input's row (``input``), or add the within-output-column z-score
    to it (``output_input``); ``none`` returns ``S``."""
    if how == "none":
        return S
    return zscore(S, 1) if how == "input" else zscore(S, 1) + zscore(S, 0)


def base_scores(E: np.ndarray, I: np.ndarray, base: str) -> np.ndarray:
    """The unstandardised score ``S[q, p]`` of a base (:data:`BASES`) for export and import RCA ``E``, ``I``
    (locations x products, the same products in the same order)."""
    E, I = np.asarray(E, dtype=float), np.asarray(I, dtype=float)
    if E.shape != I.shape:
        raise ValueError(f"export and import RCA differ in shape: {E.shape} vs {I.shape}")
    return bicm_zscores(E, I) if base == "bicm" else correlation(transformed(E, base), transformed(I, base))


def score_matrix(E: np.ndarray, I: np.ndarray, variant: str) -> np.ndarray:
    """The co-specialisation score ``S[q, p]`` of every ordered pair for a variant such as ``"log1p+input"``."""
    base, how = parse_variant(variant)
    return within(base_scores(E, I, base), how)


def percentile_confidence(S: np.ndarray, q=None, p=None) -> np.ndarray:
    """Confidence of the pairs ``(q[i], p[i])`` (every pair, as a matrix, when ``q`` and ``p`` are None): the
    share of ordered off-diagonal pairs with evidence (a finite score) with a strictly lower score, in [0, 1)
    (ties share the lower value); the diagonal and pairs without evidence are 0. One sort of all scores, then a
    binary search per asked pair only."""
    n = S.shape[0]
    off = ~np.eye(n, dtype=bool)
    order = np.sort(S[off])
    order = order[np.isfinite(order)]
    if q is None:
        conf = np.zeros(S.shape)
        conf[off] = np.searchsorted(order, S[off], side="left") / max(len(order), 1)
        return conf
    q, p = np.asarray(q), np.asarray(p)
    return np.where(q == p, 0.0, np.searchsorted(order, S[q, p], side="left") / max(len(order), 1))


def top_links(S: np.ndarray, products, k: int, min_confidence: float = 0.0,
              confidence: np.ndarray | None = None) -> pd.DataFrame:
    """Each output's up to ``k`` best inputs with evidence, a confidence above 0 and at least ``min_confidence``.

    ``S[q, p]``: the scores, ``-inf`` (or NaN) where there is no evidence for the pair; ``confidence``: a matrix
    like ``S`` (a calibrated probability), or None for :func:`percentile_confidence` of the score, computed for the
    selected pairs only. Columns ``output, input, rank, score, confidence``; an input is never its own output.
    Ties are never ranked into links: candidates tied with the best one left out of an output's top ``k`` are left
    out too (the output gets fewer inputs), so a score that is the same for every candidate gives no link, and
    results depend on nothing but the scores. Ranks are renumbered 1..m after abstention.
    """
    products = np.asarray(products).astype(str)  # text codes, so that an empty table keeps its column types
    n = len(products)
    S = np.where(np.eye(n, dtype=bool) | np.isnan(S), -np.inf, S)
    m = max(0, min(int(k), n - 1))  # k beyond the candidates means every candidate
    order = np.argsort(-S, axis=0, kind="stable")[: m + 1]  # [rank, output] -> input, one more than kept
    cut = S[order[m], np.arange(n)] if len(order) > m else np.full(n, -np.inf)  # the best score left out
    order = order[:m]
    out = np.broadcast_to(np.arange(n), order.shape)
    rank = np.broadcast_to(np.arange(1, len(order) + 1)[:, None], order.shape)
    score = S[order, out]
    conf = (percentile_confidence(S, order.ravel(), out.ravel()).reshape(order.shape) if confidence is None
            else confidence[order, out])
    keep = np.isfinite(score) & (score > cut) & (conf > 0) & (conf >= min_confidence)
    links = pd.DataFrame({
        "output": products[out[keep]], "input": products[order[keep]], "rank": rank[keep].astype("int64"),
        "score": score[keep], "confidence": conf[keep],
    })
    links = links.sort_values(["output", "rank"]).reset_index(drop=True)
    links["rank"] = links.groupby("output").cumcount().astype("int64") + 1
    return links


def bf_confidence(score) -> np.ndarray:
    """B&F's documented monotone confidence: ``2 / (rb + rf)`` (1 for the best possible score, 2)."""
    return 2.0 / np.asarray(score, dtype=float)


# ----------------------------------------------------------------------------- variant choice, held out
def select_variant(tables, L_tune, L_heldout, L_full, k: int, folds: int, seed: int,
                   candidates=None) -> tuple[str, pd.DataFrame]:
    """Choose the variant on the tuning years and measure the choice held out.

    ``tables``: ``{"tune": (E, I), "heldout": (E, I), "full": (E, I)}`` RCA of the tuning years, the held-out
    years and all years; ``L_*`` their labels. Returns the variant with the best precision@k on the tuning
    years (ties: first in :func:`variants` order) and a table with one row per variant (``tune``, ``heldout``
    and ``full`` precision, ``chosen``) plus the held-out rows of the choice procedure: ``years`` (the chosen
    variant on the held-out years) and ``industries`` (for each fold of output industries, the variant best on
    the other folds, scored on the fold; pooled).
    """
    from valuechain.links.yardstick import fold_of_outputs, score_counts

    candidates = list(candidates or variants())
    labels = {"tune": L_tune, "heldout": L_heldout, "full": L_full}
    bases = {(name, b): base_scores(*tables[name], b) for name in labels for b in {parse_variant(v)[0]
                                                                                   for v in candidates}}
    rows, full_counts = [], {}
    for v in candidates:
        base, how = parse_variant(v)
        counts = {name: score_counts(within(bases[(name, base)], how), L, k) for name, L in labels.items()}
        rows.append({"variant": v, **{name: c[1].sum() / c[0].sum() for name, c in counts.items()}})
        full_counts[v] = counts["full"]
    table = pd.DataFrame(rows)
    chosen = table.loc[table["tune"].idxmax(), "variant"]
    table["chosen"] = table["variant"] == chosen
    fold = fold_of_outputs(L_full.shape[0], folds, seed)
    table.attrs["heldout"] = {"years": float(table.loc[table["chosen"], "heldout"].iloc[0]),
                              "industries": heldout_choice(full_counts, fold)}
    return chosen, table


def heldout_choice(counts: dict, fold: np.ndarray) -> float:
    """Precision of choosing among candidates by folds of outputs: for each fold, the candidate with the best
    precision on the other folds (ties: the first in ``counts``), scored on the fold; pooled over folds.
    ``counts``: candidate -> (predicted, true) links per output (:func:`valuechain.links.yardstick.score_counts`)."""
    names = list(counts)
    pooled = np.zeros(2)
    for f in np.unique(fold):
        train = fold != f
        best = max(names, key=lambda v: (counts[v][1][train].sum() / counts[v][0][train].sum(), -names.index(v)))
        pooled += [counts[best][0][~train].sum(), counts[best][1][~train].sum()]
    return float(pooled[1] / pooled[0])
