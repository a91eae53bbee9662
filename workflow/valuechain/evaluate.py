"""Scoring predicted input links against a known input-output graph (the demo world's planted truth).

Only outputs that have at least one true input are scored (a product with no inputs in the truth cannot be
right or wrong). Measures, per method: precision@k (true predicted links / predicted links), recall (true
predicted links / true links of the scored outputs), and the paper's Fig. 2(C) shares of outputs with at
least one, at least two, and all ``k`` of their predicted inputs correct.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def read_truth(path) -> pd.DataFrame:
    """Known links ``output, input`` from a Parquet or CSV file (codes kept as text)."""
    path = str(path)
    truth = pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path, dtype=str)
    missing = {"output", "input"} - set(truth.columns)
    if missing:
        raise ValueError(f"{path}: truth file lacks column(s) {sorted(missing)}")
    return truth[["output", "input"]]


def label_predictions(pred: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """``pred`` (``output, input, ...``) with a boolean ``correct`` column, restricted to scored outputs."""
    scored = truth["output"].unique()
    true_pairs = pd.MultiIndex.from_frame(truth[["output", "input"]])
    pred = pred[pred["output"].isin(scored)]
    correct = pd.MultiIndex.from_frame(pred[["output", "input"]]).isin(true_pairs)
    return pred.assign(correct=correct)


def score_links(pred: pd.DataFrame, truth: pd.DataFrame, k: int) -> dict[str, float]:
    """Precision@k, recall and the at-least-n-correct shares of the top ``k`` predictions per output."""
    top = pred[pred["rank"] <= k]
    labelled = label_predictions(top, truth)
    scored = truth["output"].unique()
    per_output = labelled.groupby("output")["correct"].sum().reindex(scored, fill_value=0)
    n_true = len(truth[truth["output"].isin(scored)])
    out = {
        "outputs_scored": int(len(scored)),
        "outputs_predicted": int(labelled["output"].nunique()),
        "predicted_links": int(len(labelled)),
        "true_predicted_links": int(labelled["correct"].sum()),
        "precision_at_k": float(labelled["correct"].mean()) if len(labelled) else np.nan,
        "recall": float(labelled["correct"].sum() / n_true) if n_true else np.nan,
    }
    for n in range(1, k + 1):
        label = f"share_at_least_{n}_correct" if n < k else f"share_all_{k}_correct"
        out[label] = float((per_output >= n).mean())
    return out


def evaluation_table(methods: dict[str, pd.DataFrame], truth: pd.DataFrame, k: int) -> pd.DataFrame:
    """One row per method (e.g. ``{"bf_outer": links, "baseline": random}``) with :func:`score_links`."""
    rows = [{"method": name, "k": k, **score_links(pred, truth, k)} for name, pred in methods.items()]
    return pd.DataFrame(rows)
