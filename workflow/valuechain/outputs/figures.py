"""Figures of the core stages (matplotlib, Agg backend: no screen needed)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import PercentFormatter  # noqa: E402

from valuechain.links.methods import label as method_label  # noqa: E402
from valuechain.outputs.analysis_figures import save_figure, short_label  # noqa: E402

#: Yardsticks as a title names them.
YARDSTICKS = {"truth": "the planted links", "reference": "the product reference (BEA 2017 Use table)",
              "reference_cross_commodity": "the product reference, cross-commodity links",
              "world": "the world yardstick (reference links among 2017 exports)",
              "world_cross_commodity": "the world yardstick, cross-commodity links",
              "icio_years": "WIOD industry pairs, held-out years", "icio_industries": "WIOD industry pairs, held-out industries",
              "icio_in_sample": "WIOD industry pairs, in sample", "wiod2016_heldout": "WIOD 2016 national tables, held out"}


def link_recovery(evaluation: pd.DataFrame, path, default: str | None = None) -> None:
    """The paper's Fig. 2(C) against the known (planted) links: share of outputs with at least 1, 2 and all k
    inputs correct, per method, in per cent; methods by their readers' names, ``default`` (the run's method)
    marked."""
    share_cols = [c for c in evaluation.columns if c.startswith("share_")]
    k = int(evaluation["k"].iloc[0])
    labels = [c.replace("share_", "").replace("_correct", "").replace("_", " ") for c in share_cols]
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.6 * len(evaluation)))
    height = 0.8 / len(share_cols)
    y = np.arange(len(evaluation))
    for i, (col, label) in enumerate(zip(share_cols, labels)):
        ax.barh(y + i * height, 100 * evaluation[col], height, label=label)
    own = " (the run's method)"
    names = [method_label(m) + (own if m == default else "") for m in evaluation["method"]]
    ax.set_yticks(y + height * (len(share_cols) - 1) / 2, names)
    ax.invert_yaxis()
    ax.set_xlabel("outputs with that many of their inputs correct (%)")
    ax.set_xlim(0, 100)
    ax.legend(loc="lower right", fontsize=8, title="inputs correct", title_fontsize=8)
    ax.set_title(f"Inputs recovered against {YARDSTICKS['truth']} (top {k} per output)", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)


def reference_evaluation(table: pd.DataFrame, by_group: pd.DataFrame, min_share: float, sections, path,
                         section_names: dict | None = None) -> None:
    """Networks against the product reference at ``min_share``: (A) shares of outputs with at least 1, 2 and
    all k inputs correct (all labels), with the precision in both labellings; (B) share with at least one correct
    by HS section of the output (``section_names``: section -> name), in the order of ``sections`` (unknown groups
    last)."""
    at = table[table["min_share"] == min_share]
    cross = at[at["labels"] == "cross_commodity"].set_index("network")["precision"]
    t = at[at["labels"] == "all"].reset_index(drop=True)
    k = int(t["k"].iloc[0])
    cols = [c for c in t.columns if c.startswith("at_least_")] + ["all_k"]
    labels = [c.replace("at_least_", "at least ").replace("all_k", f"all {k}") for c in cols]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(15, 2.2 + 0.5 * len(t)), gridspec_kw={"width_ratios": [1, 1.3]},
                                  layout="constrained")
    height = 0.8 / len(cols)
    y = np.arange(len(t))
    for i, (col, label) in enumerate(zip(cols, labels)):
        ax.barh(y + i * height, t[col], height, label=label)
    ax.set_yticks(y + height * (len(cols) - 1) / 2,
                  [f"{method_label(n)}\nprecision {100 * p:.0f}%, cross-commodity {100 * cross.get(n, np.nan):.0f}%, "
                   f"{s:,} links" for n, p, s in zip(t["network"], t["precision"], t["scored_links"])], fontsize=7.5)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("scored outputs with that many inputs correct")
    ax.legend(loc="lower right", fontsize=8, title="inputs correct", title_fontsize=8)
    ax.set_title(f"(A) Inputs correct against the product reference (BEA 2017 Use table; an input is a link when\n"
                 f"it is at least {100 * min_share:g}% of the output industry's intermediate inputs; top {k})", fontsize=9)

    g = by_group[(by_group["min_share"] == min_share) & (by_group["grouping"] == "section")
                 & (by_group["labels"] == "all")]
    pivot = g.pivot_table(index="group", columns="network", values="at_least_1")
    pivot = pivot[[n for n in t["network"] if n in pivot.columns]]
    order = {section: i for i, section in enumerate(sections)}
    pivot = pivot.loc[sorted(pivot.index, key=lambda g: (order.get(g, len(order)), g))]
    im = ax2.imshow(pivot.to_numpy(), aspect="auto", cmap="viridis", vmin=0, vmax=1)
    names = section_names if section_names is not None else {}
    ax2.set_yticks(range(len(pivot)), [f"{g} {short_label(names.get(g, ''), 34)}".strip() for g in pivot.index],
                   fontsize=7)
    ax2.set_xticks(range(pivot.shape[1]), [method_label(n) for n in pivot.columns], rotation=40, ha="right",
                   fontsize=7)
    bar = fig.colorbar(im, ax=ax2, label="outputs with at least one input correct")
    bar.ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax2.set_title("(B) By HS section of the output", fontsize=9)
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
        f"{method_label(n)}{' (weighted)' if w != 'none' else ''}: gap {g:+.2f}, coherence {c:.2f}"
        for n, w, g, c in zip(rows["network"], rows["weight"], rows["gap"], rows["coherence"])], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("mean trophic level of the class's products (levels: 1 = most upstream)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="end use (UN BEC)", title_fontsize=8)
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
                ax.plot(c, prec, marker=".", label=method_label(method))
        ax.set_xlabel("coverage: outputs kept, most confident first")
        ax.set_ylabel("precision of their top links")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_title(f"against {short_label(YARDSTICKS.get(y, y), 46, lines=2)}", fontsize=9)
        ax.legend(fontsize=8)
    save_figure(fig, path)


# ------------------------------------------------------------------------------------------------ fine-tuning
FINETUNE_AXES = {"t1": "t1 (export, backward)", "t2": "t2 (import, backward)", "t3": "t3 (import, forward)",
                 "t4": "t4 (export, forward)", "precision": "precision"}


def finetune_parallel(grid: pd.DataFrame, chosen: dict, top_n: int, path) -> tuple[int, float, float]:
    """The preprint's parallel-coordinates figure of the fine-tuning grid: the ``top_n`` best threshold
    combinations (t1..t4 and their precision), coloured by precision, the chosen one in red (``chosen``: the
    fine-tuning stage's thresholds.json). Returns ``(combinations drawn, lowest, highest precision)``."""
    from matplotlib.collections import LineCollection

    axes_cols = list(FINETUNE_AXES)
    top = (grid.dropna(subset=["precision"]).sort_values(["precision", "n_true"], ascending=False).head(top_n)
           .iloc[::-1])  # best drawn last, on top
    lo = np.array([grid[c].min() for c in axes_cols[:4]] + [top["precision"].min()])
    hi = np.array([grid[c].max() for c in axes_cols[:4]] + [top["precision"].max()])
    span = np.where(hi > lo, hi - lo, 1.0)
    y = (top[axes_cols].to_numpy() - lo) / span
    x = np.arange(len(axes_cols))
    fig, ax = plt.subplots(figsize=(9, 5.5))
    lines = LineCollection(np.stack([np.broadcast_to(x, y.shape), y], axis=-1), cmap="viridis", linewidths=0.8,
                           alpha=0.6)
    lines.set_array(top["precision"].to_numpy())
    ax.add_collection(lines)
    t = chosen["thresholds"]
    best = (np.array([t["t1"], t["t2"], t["t3"], t["t4"], chosen["precision"]]) - lo) / span
    ax.plot(x, best, color="crimson", linewidth=2.5, label=f"chosen: {t['t1']:g}, {t['t2']:g}, {t['t3']:g}, {t['t4']:g} "
            f"(precision {chosen['precision']:.2f})")
    for i, col in enumerate(axes_cols):
        ax.axvline(i, color="black", linewidth=0.8)
        ticks = np.linspace(lo[i], hi[i], 5) if col == "precision" else np.unique(grid[col])
        for v in ticks:
            ax.text(i + 0.03, (v - lo[i]) / span[i], f"{v:.2f}" if col == "precision" else f"{v:g}", fontsize=7,
                    va="center")
    ax.set_xticks(x, list(FINETUNE_AXES.values()), fontsize=8)
    ax.set_yticks([])
    ax.set_xlim(-0.1, len(axes_cols) - 0.6)
    ax.set_ylim(-0.05, 1.05)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    fig.colorbar(lines, ax=ax, label="precision", pad=0.02)
    ins = chosen["in_sample"]
    ax.set_title(f"Best {len(top)} of {len(grid)} threshold combinations, top-{ins['k']} links, "
                 f"{ins['source'].upper()} {', '.join(map(str, ins['years']))}", fontsize=10)
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    fig.tight_layout()
    save_figure(fig, path)
    return len(top), float(lo[-1]), float(hi[-1])


def finetune_network(links: pd.DataFrame, chosen: dict, names: dict, path) -> tuple[int, int]:
    """The preprint's figure 5 as a matrix rather than a hairball: the tuned industry links (``links``: ``input,
    output, label``), one row per input industry and one column per output industry (in the table's order of
    codes), a link's cell green when the input-output table confirms it and red when it does not; industries by
    ``names`` where given. Returns ``(nodes, edges)``."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    nodes = sorted(set(links["input"]) | set(links["output"]), key=lambda c: (len(c), c))
    at = {c: i for i, c in enumerate(nodes)}
    grid = np.full((len(nodes), len(nodes)), np.nan)
    grid[links["input"].map(at).to_numpy(), links["output"].map(at).to_numpy()] = links["label"].astype(float)
    size = 2.5 + 0.22 * len(nodes)
    fig, ax = plt.subplots(figsize=(size + 2.5, size + 1.5))
    ax.imshow(np.ma.masked_invalid(grid), cmap=ListedColormap(["#c0392b", "#2e8b57"]), vmin=0, vmax=1,
              aspect="equal", interpolation="none")
    labels = [f"{c} {short_label(names.get(c, ''), 30)}".strip() for c in nodes]
    ax.set_xticks(range(len(nodes)), labels, rotation=90, fontsize=6.5)
    ax.set_yticks(range(len(nodes)), labels, fontsize=6.5)
    ax.set_xticks(np.arange(len(nodes)) - 0.5, minor=True)
    ax.set_yticks(np.arange(len(nodes)) - 0.5, minor=True)
    ax.grid(which="minor", color="0.92", lw=0.5)
    ax.tick_params(which="minor", length=0)
    ax.set_xlabel("output industry (the one that uses the input)")
    ax.set_ylabel("input industry")
    n_true = int(links["label"].sum())
    ax.legend(handles=[Patch(color="#2e8b57", label=f"in the table (trade intensity >= 1): {n_true}"),
                       Patch(color="#c0392b", label=f"not in the table: {len(links) - n_true}")],
              loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
    t = chosen["thresholds"]
    ins = chosen["in_sample"]
    ax.set_title(f"Top-{ins['k']} Backward & Forward input links between industries at the tuned thresholds\n"
                 f"t = ({t['t1']:g}, {t['t2']:g}, {t['t3']:g}, {t['t4']:g}): precision {100 * chosen['precision']:.0f}% "
                 f"against {ins['source'].upper()} {', '.join(map(str, ins['years']))}", fontsize=10)
    save_figure(fig, path)
    return len(nodes), len(links)
