"""Figures of the core stages (matplotlib, Agg backend: no screen needed)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def link_recovery(evaluation: pd.DataFrame, path) -> None:
    """The paper's Fig. 2(C): share of outputs with at least 1, 2 and all k inputs correct, per method."""
    share_cols = [c for c in evaluation.columns if c.startswith("share_")]
    labels = [c.replace("share_", "").replace("_correct", "").replace("_", " ") for c in share_cols]
    fig, ax = plt.subplots(figsize=(7, 0.9 + 0.6 * len(evaluation)))
    height = 0.8 / len(share_cols)
    y = np.arange(len(evaluation))
    for i, (col, label) in enumerate(zip(share_cols, labels)):
        ax.barh(y + i * height, evaluation[col], height, label=label)
    ax.set_yticks(y + height * (len(share_cols) - 1) / 2, evaluation["method"])
    ax.set_xlabel("share of outputs")
    ax.set_xlim(0, 1)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(f"Inputs correctly identified (top {int(evaluation['k'].iloc[0])})")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
