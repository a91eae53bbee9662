"""A learned combination of link evidence, trained on ICIO industry pairs and applied to products (docs/links.md).

Features of a pair ``q -> p`` are computed identically from any export and import RCA (an ICIO table read as
trade data, or regional trade), and are scale-free so that 34 industries over 40 countries and 400 products over
260 regions give comparable values (:data:`FEATURES`):

- the co-specialisation scores of :mod:`valuechain.links.cospec` (``log1p``, ``rank``, ``bicm``), each standardised
  within the input's row and within the output's column (two features per base);
- B&F backward counts ``(E > t)^T (I > t)`` at ``t = 1`` and ``2``, standardised within the output's column, and
  the backward dense rank at ``t = 2`` as a share of products;
- ubiquities: the percentile of the output's export ubiquity and of the input's import ubiquity.

Labels are the fine-tuning stage's trade-intensity links (``TI >= 1``). Two classifiers compete, a logistic
regression on standardised features and a gradient-boosted tree ensemble, both seeded and wrapped in sigmoid
calibration (5 stratified folds), so ``predict_proba`` is a calibrated probability on ICIO pairs. The one with
the better held-out ICIO precision (mean of the years and industry-folds schemes) is refitted on all years.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from valuechain.glue.optional import require
from valuechain.links.bf import cooccurrence_counts, dense_rank_desc
from valuechain.links.cospec import base_scores, within, zscore
from valuechain.links.yardstick import fold_of_outputs, score_counts

FEATURES = [
    "log1p_in", "log1p_out", "rank_in", "rank_out", "bicm_in", "bicm_out",
    "bf_count_1_out", "bf_count_2_out", "bf_rank_2", "ubiquity_output", "ubiquity_input",
]
MODELS = ("logistic", "boosting")


def pair_features(E: np.ndarray, I: np.ndarray) -> dict[str, np.ndarray]:
    """Every feature of :data:`FEATURES` as an ``n x n`` float32 matrix ``F[q, p]`` (input rows, output columns)."""
    E, I = np.asarray(E, dtype=float), np.asarray(I, dtype=float)
    n = E.shape[1]
    F: dict[str, np.ndarray] = {}
    for base in ("log1p", "rank", "bicm"):
        S = base_scores(E, I, base)
        F[f"{base}_in"] = within(S, "input")
        F[f"{base}_out"] = zscore(S, 0)
    for t in (1, 2):
        F[f"bf_count_{t}_out"] = zscore(cooccurrence_counts(E, I, t, t).T.astype(float), 0)
    F["bf_rank_2"] = dense_rank_desc(cooccurrence_counts(E, I, 2, 2)).T / n
    ubiq_out = rankdata((E >= 1).mean(axis=0)) / n
    ubiq_in = rankdata((I >= 1).mean(axis=0)) / n
    F["ubiquity_output"] = np.broadcast_to(ubiq_out[None, :], (n, n))
    F["ubiquity_input"] = np.broadcast_to(ubiq_in[:, None], (n, n))
    return {k: np.asarray(F[k], dtype=np.float32) for k in FEATURES}


def pair_table(F: dict[str, np.ndarray], outputs: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows of the off-diagonal pairs whose output is in ``outputs`` (all when None), column-major by
    output: ``(X, (q, p) index arrays)``."""
    n = next(iter(F.values())).shape[0]
    outputs = np.arange(n) if outputs is None else np.asarray(outputs)
    q, p = np.meshgrid(np.arange(n), outputs, indexing="ij")
    keep = q != p
    q, p = q[keep], p[keep]
    X = np.column_stack([F[name][q, p] for name in FEATURES])
    return X, (q, p)


def make_model(kind: str, seed: int):
    """A seeded, calibrated classifier: ``logistic`` or ``boosting``."""
    require("sklearn")
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if kind == "logistic":
        base = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=5000))
    elif kind == "boosting":
        base = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, max_depth=3, random_state=seed)
    else:
        raise ValueError(f"model must be one of {MODELS}, got {kind!r}")
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    return CalibratedClassifierCV(base, method="sigmoid", cv=folds)


def fit(kind: str, F: dict[str, np.ndarray], L: np.ndarray, seed: int, outputs=None):
    """Fit a :func:`make_model` on the off-diagonal pairs (of ``outputs``) with labels ``L[q, p]``."""
    X, (q, p) = pair_table(F, outputs)
    return make_model(kind, seed).fit(X, np.asarray(L, dtype=bool)[q, p])


def predict(model, F: dict[str, np.ndarray], block: int = 200) -> np.ndarray:
    """Probability ``P[q, p]`` that ``q`` is an input of ``p`` for every pair (diagonal 0), output columns in
    blocks of ``block`` so memory stays at ``n x block x features``."""
    n = next(iter(F.values())).shape[0]
    P = np.zeros((n, n), dtype=np.float32)
    for start in range(0, n, block):
        cols = np.arange(start, min(start + block, n))
        X, (q, p) = pair_table(F, cols)
        P[q, p] = model.predict_proba(X)[:, 1]
    return P


# ----------------------------------------------------------------------------------------- held out on ICIO
@dataclass
class Table:
    """One ICIO sample read as trade data: export and import RCA (countries x industries), labels, and the pair
    features (computed once, on first use)."""

    E: np.ndarray
    I: np.ndarray
    L: np.ndarray

    @cached_property
    def F(self) -> dict[str, np.ndarray]:
        return pair_features(self.E, self.I)


def heldout_learned(kind: str, tune: Table, heldout: Table, full: Table, k: int, folds: int, seed: int) -> dict:
    """Held-out precision@k of a classifier: trained on the tuning years, scored on the held-out years; and
    trained on the pairs of K-1 folds of output industries, scored on the last (pooled over folds)."""
    model = fit(kind, tune.F, tune.L, seed)
    pred, true = score_counts(predict(model, heldout.F), heldout.L, k)
    out = {"years": true.sum() / pred.sum()}
    fold = fold_of_outputs(full.L.shape[0], folds, seed)
    pooled_pred = pooled_true = 0
    for f in range(folds):
        m = fit(kind, full.F, full.L, seed, outputs=np.flatnonzero(fold != f))
        pred, true = score_counts(predict(m, full.F), full.L, k)
        pooled_pred += pred[fold == f].sum()
        pooled_true += true[fold == f].sum()
    out["industries"] = pooled_true / pooled_pred
    return out


def reliability(prob: np.ndarray, label: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Calibration by decile of predicted probability: ``bin, pairs, mean_predicted, observed``."""
    edges = np.quantile(prob, np.linspace(0, 1, bins + 1))
    b = np.clip(np.searchsorted(edges, prob, side="right") - 1, 0, bins - 1)
    df = pd.DataFrame({"bin": b, "p": prob, "y": np.asarray(label, dtype=float)})
    return (df.groupby("bin").agg(pairs=("y", "size"), mean_predicted=("p", "mean"), observed=("y", "mean"))
            .reset_index())
