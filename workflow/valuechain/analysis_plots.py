"""Figures of the value-chain analyses (matplotlib, Agg backend): trophic-level distribution, a layered value
chain of one product, the HS-section network (Karbevska and Hidalgo 2025, fig. 3B) and the trophic position
of locations against their diversification (Fessina et al., figs. 5-6)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def save_figure(fig, path) -> None:
    """Save a figure without a timestamp (same inputs, same bytes), creating its folder, and close it."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)


def level_distribution(levels: pd.DataFrame, coherence: pd.DataFrame, path, title: str) -> None:
    """Histogram of the products' trophic levels, with the network's coherence and null z-scores."""
    net = coherence[coherence["scope"] == "network"].iloc[0]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist(levels["trophic_level"], bins=40, color="#4477aa")
    ax.set_xlabel("trophic level")
    ax.set_ylabel("products")
    ax.set_title(
        f"{title}\ncoherence {net['coherence']:.3f}; z vs ER {net['er_z']:.1f}, vs DCM {net['dcm_z']:.1f}",
        fontsize=9,
    )
    save_figure(fig, path)


def choose_product(links: pd.DataFrame, preferred: str) -> str:
    """``preferred`` if it has inputs in ``links``, else the product with most inputs (ties: smallest code)."""
    if (links["output"] == preferred).any():
        return preferred
    counts = links.groupby("output").size()
    return str(counts[counts == counts.max()].index.min())


def upstream(links: pd.DataFrame, product: str, depth: int) -> pd.DataFrame:
    """Links within ``depth`` steps upstream of ``product`` (breadth-first over inputs), with their step."""
    frontier, seen, parts = {product}, {product}, []
    for step in range(1, depth + 1):
        e = links[links["output"].isin(frontier)]
        parts.append(e[["output", "input"]].assign(step=step))
        frontier = set(e["input"]) - seen
        seen |= frontier
        if not frontier:
            break
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["output", "input", "step"])


def value_chain(links: pd.DataFrame, levels: pd.Series, product: str, depth: int, names: pd.Series, path) -> None:
    """Layered drawing of ``product``'s upstream chain, one column of nodes per step (colour: trophic level); with
    a ``confidence`` column, each link is labelled with it and drawn darker the more confident it is."""
    e = upstream(links, product, depth)
    if "confidence" in links.columns:
        conf = links.set_index(["output", "input"])["confidence"]
        e = e.assign(confidence=conf.reindex(pd.MultiIndex.from_frame(e[["output", "input"]])).to_numpy())
    step = {product: 0}
    for s, grp in e.groupby("step"):
        for p in grp["input"]:
            step.setdefault(p, int(s))
    nodes = pd.DataFrame({"hs": list(step), "step": list(step.values())})
    nodes["level"] = levels.reindex(nodes["hs"]).to_numpy()
    nodes["y"] = nodes.groupby("step").cumcount()
    nodes["y"] = nodes["y"] - nodes.groupby("step")["y"].transform("mean")
    nodes["x"] = -nodes["step"]
    pos = nodes.set_index("hs")[["x", "y"]]
    fig, ax = plt.subplots(figsize=(10, max(4, 0.28 * nodes.groupby("step").size().max())))
    for o, i, c in zip(e["output"], e["input"], e["confidence"] if "confidence" in e else [None] * len(e)):
        (x0, y0), (x1, y1) = pos.loc[i], pos.loc[o]
        shade = "0.7" if c is None else str(round(0.85 - 0.7 * float(c), 2))
        ax.annotate("", (x1, y1), (x0, y0), arrowprops={"arrowstyle": "->", "color": shade, "lw": 0.6})
        if c is not None and step[o] == 0:  # the product's own inputs: print the confidence on the link
            ax.text(x0 + 0.7 * (x1 - x0), y0 + 0.7 * (y1 - y0), f"{c:.3f}", fontsize=6, color="C3", ha="center")
    sc = ax.scatter(nodes["x"], nodes["y"], c=nodes["level"], cmap="viridis", s=60, zorder=3)
    for hs, x, y in zip(nodes["hs"], nodes["x"], nodes["y"]):
        label = f"{hs} {names.get(hs, '')}".strip()
        ax.text(x + 0.04, y, label[:28], fontsize=6, va="center")
    fig.colorbar(sc, ax=ax, label="trophic level")
    ax.set_xticks(-np.arange(depth + 1), ["product"] + [f"{s} step{'s' if s > 1 else ''} up" for s in range(1, depth + 1)])
    ax.set_yticks([])
    ax.set_title(f"Value chain of {product} {names.get(product, '')}", fontsize=10)
    save_figure(fig, path)


def section_network(edges: pd.DataFrame, nodes: pd.DataFrame, top: int, path) -> None:
    """HS sections on a circle (size: products), the ``top`` heaviest inter-section edges (width: weight)."""
    e = edges[edges["source"] != edges["target"]].nlargest(top, "weight")
    shown = nodes[nodes["section"].isin(set(e["source"]) | set(e["target"]))].reset_index(drop=True)
    angle = 2 * np.pi * np.arange(len(shown)) / max(len(shown), 1)
    pos = pd.DataFrame({"x": np.cos(angle), "y": np.sin(angle)}, index=shown["section"])
    fig, ax = plt.subplots(figsize=(7, 7))
    wmax = e["weight"].max() if len(e) else 1.0
    for s, t, w in zip(e["source"], e["target"], e["weight"]):
        ax.annotate(
            "", pos.loc[t], pos.loc[s],
            arrowprops={"arrowstyle": "-|>", "lw": 0.5 + 4 * w / wmax, "color": "#cc6677", "alpha": 0.6,
                        "connectionstyle": "arc3,rad=0.15", "shrinkA": 10, "shrinkB": 10},
        )
    ax.scatter(pos["x"], pos["y"], s=20 + 8 * shown["n_products"], color="#4477aa", zorder=3)
    for sec, name, x, y in zip(shown["section"], shown["section_name"], pos["x"], pos["y"]):
        ax.text(1.12 * x, 1.12 * y, f"{sec} {str(name)[:22]}", fontsize=7, ha="center", va="center")
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.set_title(f"HS-section network: the {len(e)} heaviest edges", fontsize=10)
    save_figure(fig, path)


def position_scatter(positions: pd.DataFrame, label: str, path) -> None:
    """NITL and NTJ against export diversification, one point per location."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, col in zip(axes, ["nitl", "ntj"]):
        ax.scatter(positions["diversification"], positions[col], s=12, alpha=0.7)
        ax.set_xlabel("export diversification (products with RCA >= 1)")
        ax.set_ylabel(col.upper())
    fig.suptitle(f"Trophic position of {label}", fontsize=10)
    save_figure(fig, path)
