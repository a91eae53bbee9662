"""Figures of the core stages (matplotlib, Agg backend: no screen needed)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .analysis_plots import save_figure  # noqa: E402


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


def reference_evaluation(table: pd.DataFrame, by_group: pd.DataFrame, min_share: float, sections, path) -> None:
    """Networks against the product reference at ``min_share``: (C) shares of outputs with at least 1, 2 and
    all k inputs correct (all labels), with the precision in both labellings; (D) share with at least one correct
    by HS section of the output, in the order of ``sections`` (unknown groups last)."""
    at = table[table["min_share"] == min_share]
    cross = at[at["labels"] == "cross_commodity"].set_index("network")["precision"]
    t = at[at["labels"] == "all"].reset_index(drop=True)
    k = int(t["k"].iloc[0])
    cols = [c for c in t.columns if c.startswith("at_least_")] + ["all_k"]
    labels = [c.replace("at_least_", "at least ").replace("all_k", f"all {k}") for c in cols]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(13, 1.6 + 0.45 * len(t)), gridspec_kw={"width_ratios": [1, 1.3]})
    height = 0.8 / len(cols)
    y = np.arange(len(t))
    for i, (col, label) in enumerate(zip(cols, labels)):
        ax.barh(y + i * height, t[col], height, label=label)
    ax.set_yticks(y + height * (len(cols) - 1) / 2,
                  [f"{n}  (precision {p:.2f}, cross-commodity {cross.get(n, np.nan):.2f}, {s} links)"
                   for n, p, s in zip(t["network"], t["precision"], t["scored_links"])], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of scored outputs")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(f"(C) Inputs correct against the BEA reference (share >= {min_share:g}, top {k})", fontsize=9)

    g = by_group[(by_group["min_share"] == min_share) & (by_group["grouping"] == "section")
                 & (by_group["labels"] == "all")]
    pivot = g.pivot_table(index="group", columns="network", values="at_least_1")
    pivot = pivot[[n for n in t["network"] if n in pivot.columns]]
    order = {section: i for i, section in enumerate(sections)}
    pivot = pivot.loc[sorted(pivot.index, key=lambda g: (order.get(g, len(order)), g))]
    im = ax2.imshow(pivot.to_numpy(), aspect="auto", cmap="viridis", vmin=0, vmax=1)
    ax2.set_yticks(range(len(pivot)), pivot.index, fontsize=7)
    ax2.set_xticks(range(pivot.shape[1]), pivot.columns, rotation=40, ha="right", fontsize=7)
    fig.colorbar(im, ax=ax2, label="share with at least one input correct")
    ax2.set_title("(D) By HS section of the output", fontsize=9)
    save_figure(fig, path)


def end_use_levels(levels: pd.DataFrame, path) -> None:
    """Mean trophic level by end-use class, one row of points per network, with the consumption-intermediate
    gap and coherence in the labels."""
    classes = [c for c in ("intermediate", "capital", "consumption") if c in set(levels["end_use"])]
    rows = levels.drop_duplicates(["network", "weight"])[["network", "weight", "gap", "coherence"]]
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.42 * len(rows)))
    markers = {"intermediate": "o", "capital": "s", "consumption": "D"}
    for i, (name, weight) in enumerate(zip(rows["network"], rows["weight"])):
        part = levels[(levels["network"] == name) & (levels["weight"] == weight)].set_index("end_use")
        for c in classes:
            if c in part.index:
                ax.plot(part.loc[c, "mean_level"], i, markers[c], color=f"C{classes.index(c)}",
                        label=c if i == 0 else None)
    ax.set_yticks(range(len(rows)), [
        f"{n}{' (weighted)' if w != 'none' else ''}: gap {g:+.2f}, coherence {c:.2f}"
        for n, w, g, c in zip(rows["network"], rows["weight"], rows["gap"], rows["coherence"])], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("mean trophic level")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title("Mean trophic level by end use (UN BEC): intermediate goods should sit lowest", fontsize=9)
    save_figure(fig, path)


def precision_coverage(curves: dict, path) -> None:
    """Precision against coverage (outputs kept by their best link's confidence), one panel per yardstick, one
    line per method: ``curves[(yardstick, method)] = [(coverage, precision), ...]``."""
    yardsticks = list(dict.fromkeys(y for y, _ in curves))
    fig, axes = plt.subplots(1, len(yardsticks), figsize=(5.2 * len(yardsticks), 4), squeeze=False)
    for ax, y in zip(axes[0], yardsticks):
        for (yy, method), pts in curves.items():
            if yy == y:
                c, prec = zip(*pts)
                ax.plot(c, prec, marker=".", label=method)
        ax.set_xlabel("coverage (share of outputs, most confident first)")
        ax.set_ylabel("precision of their top links")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_title(f"against {y}", fontsize=9)
        ax.legend(fontsize=8)
    save_figure(fig, path)
