"""Rule plot_finetune_parallel: parallel coordinates of the best threshold combinations (preprint figure 4)."""

import json

import matplotlib

from valuechain.smk import rule_io


def main(snakemake) -> None:
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    from matplotlib.collections import LineCollection

    from valuechain.smk import setup

    log = setup(snakemake)
    grid = pd.read_parquet(snakemake.input.grid)
    with open(snakemake.input.thresholds) as fh:
        chosen = json.load(fh)
    axes_cols = ["t1", "t2", "t3", "t4", "precision"]
    top = (
        grid.dropna(subset=["precision"])
        .sort_values(["precision", "n_true"], ascending=False)
        .head(snakemake.params.top)
        .iloc[::-1]  # best drawn last, on top
    )
    lo = np.array([grid[c].min() for c in axes_cols[:4]] + [top["precision"].min()])
    hi = np.array([grid[c].max() for c in axes_cols[:4]] + [top["precision"].max()])
    span = np.where(hi > lo, hi - lo, 1.0)
    y = (top[axes_cols].to_numpy() - lo) / span
    x = np.arange(len(axes_cols))
    fig, ax = plt.subplots(figsize=(9, 5.5))
    segments = np.stack([np.broadcast_to(x, y.shape), y], axis=-1)
    lines = LineCollection(segments, cmap="viridis", linewidths=0.8, alpha=0.6)
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
    ax.set_xticks(x, ["t1 (export, backward)", "t2 (import, backward)", "t3 (import, forward)", "t4 (export, forward)",
                      "precision"], fontsize=8)
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
    fig.savefig(snakemake.output.figure, dpi=150)
    log.info("%d combinations drawn, precision %.3f to %.3f", len(top), lo[-1], hi[-1])


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
