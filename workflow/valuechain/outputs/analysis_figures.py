"""Figures of the value-chain analyses (matplotlib, Agg backend): trophic-level distribution, a layered value
chain of one product, the HS-section network (Karbevska and Hidalgo 2025, fig. 3B) and the trophic position
of locations against their diversification (Fessina et al., figs. 5-6)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402


def save_figure(fig, path) -> None:
    """Save a figure without a timestamp (same inputs, same bytes), creating its folder, and close it."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)


def short_label(text: str, width: int, lines: int = 1) -> str:
    """``text`` cut at a word boundary to fit ``lines`` lines of ``width`` characters (an ellipsis marks a cut),
    never mid-word."""
    wrapped = textwrap.wrap(str(text), width)
    if len(wrapped) <= lines:
        return "\n".join(wrapped)
    kept = wrapped[:lines]
    kept[-1] = textwrap.shorten(kept[-1] + " " + wrapped[lines], width, placeholder=" …")
    return "\n".join(kept)


def no_links(path, title: str, why: str = "the network has no links") -> None:
    """A figure that says there is nothing to draw, and why, in place of a plot of an empty network."""
    fig, ax = plt.subplots(figsize=(6, 2.5))
    ax.text(0.5, 0.55, "no links", fontsize=16, ha="center", va="center")
    ax.text(0.5, 0.3, why, fontsize=9, ha="center", va="center", color="0.3")
    ax.set_axis_off()
    ax.set_title(title, fontsize=10)
    save_figure(fig, path)


def level_distribution(levels: pd.DataFrame, coherence: pd.DataFrame, path, title: str) -> None:
    """Histogram of the products' trophic levels, with the network's coherence and null z-scores (a network
    without links: :func:`no_links`)."""
    if levels.empty or not (coherence["scope"] == "network").any():
        no_links(path, title, "no product has a trophic level")
        return
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


def choose_product(links: pd.DataFrame, preferred: str) -> str | None:
    """``preferred`` if it has inputs in ``links``, else the product with most inputs (ties: smallest code); None
    when there are no links."""
    if links.empty:
        return None
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


def value_chain(links: pd.DataFrame, levels: pd.Series, product: str | None, depth: int, names: pd.Series,
                path) -> None:
    """Layered drawing of ``product``'s upstream chain, one column of nodes per step (colour: trophic level,
    names cut at word boundaries); with a ``confidence`` column, each link is coloured by it (a colour bar says
    how), else drawn grey. No product (a network without links): :func:`no_links`."""
    if product is None:
        no_links(path, "Value chain", "no product has an input")
        return
    e = upstream(links, product, depth)
    has_conf = "confidence" in links.columns
    if has_conf:
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
    fig, ax = plt.subplots(figsize=(11, max(4, 0.32 * nodes.groupby("step").size().max())))
    edge_cmap = plt.get_cmap("Reds")
    for o, i, c in zip(e["output"], e["input"], e["confidence"] if has_conf else [None] * len(e)):
        (x0, y0), (x1, y1) = pos.loc[i], pos.loc[o]
        colour = "0.6" if c is None or pd.isna(c) else edge_cmap(0.25 + 0.75 * float(c))
        ax.annotate("", (x1, y1), (x0, y0), arrowprops={"arrowstyle": "->", "color": colour, "lw": 1.0,
                                                       "shrinkA": 5, "shrinkB": 5})
    sc = ax.scatter(nodes["x"], nodes["y"], c=nodes["level"], cmap="viridis", s=60, zorder=3)
    for hs, x, y in zip(nodes["hs"], nodes["x"], nodes["y"]):
        ax.text(x + 0.04, y, f"{hs} {short_label(names.get(hs, ''), 30)}".strip(), fontsize=6.5, va="center")
    fig.colorbar(sc, ax=ax, label="trophic level of the product", pad=0.01)
    if has_conf:
        mappable = plt.cm.ScalarMappable(cmap=edge_cmap, norm=Normalize(-1 / 3, 1))
        bar = fig.colorbar(mappable, ax=ax, label="link confidence", pad=0.02)
        bar.set_ticks([0, 0.25, 0.5, 0.75, 1])
        bar.ax.set_ylim(0, 1)
    ax.set_xticks(-np.arange(depth + 1), ["product"] + [f"{s} step{'s' if s > 1 else ''} up" for s in range(1, depth + 1)])
    ax.set_xlim(-depth - 0.15, 0.6)
    ax.set_yticks([])
    ax.set_title(f"Value chain of {product} {names.get(product, '')}: inputs, and their inputs (arrows: goods flow)",
                 fontsize=10)
    save_figure(fig, path)


def section_network(edges: pd.DataFrame, nodes: pd.DataFrame, top: int, path) -> None:
    """HS sections on a circle (size: products), the ``top`` heaviest inter-section edges (width: weight); no
    edge between two sections: :func:`no_links`."""
    e = edges[edges["source"] != edges["target"]].nlargest(top, "weight")
    if e.empty:
        no_links(path, "HS-section network", "no link between two HS sections")
        return
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
        ax.text(1.2 * x, 1.2 * y, f"{sec}\n{short_label(name, 18, lines=2)}", fontsize=6.5, ha="center",
                va="center")
    # legends: node size (products of the section) and edge width (link weight)
    sizes = [n for n in (10, 30, 60) if n <= max(shown["n_products"].max(), 10)]
    nodes_legend = ax.legend(
        [plt.scatter([], [], s=20 + 8 * n, color="#4477aa") for n in sizes], [f"{n} products" for n in sizes],
        loc="upper right", frameon=False, title="section size", labelspacing=1.3, fontsize=7, title_fontsize=7)
    ax.add_artist(nodes_legend)
    widths = [wmax / 4, wmax / 2, wmax]
    ax.legend([Line2D([], [], color="#cc6677", lw=0.5 + 4 * w / wmax) for w in widths],
              [f"{w:.3g}" for w in widths], loc="lower right", frameon=False, title="link weight", fontsize=7,
              title_fontsize=7)
    ax.set_xlim(-1.6, 1.6)
    ax.set_ylim(-1.5, 1.5)
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.set_title(f"HS-section network: the {len(e)} heaviest edges", fontsize=10)
    save_figure(fig, path)


def position_scatter(positions: pd.DataFrame, label: str, path) -> None:
    """NITL and NTJ against export diversification, one point per location (no location, as when the network has
    no links: :func:`no_links`)."""
    if positions.empty:
        no_links(path, f"Trophic position of {label}", "no product has a trophic level")
        return
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.3), layout="constrained")
    names = {"nitl": "NITL, normalised import trophic level", "ntj": "NTJ, normalised trophic jump\n(exports minus imports)"}
    for ax, col in zip(axes, ["nitl", "ntj"]):
        ax.scatter(positions["diversification"], positions[col], s=12, alpha=0.7)
        ax.set_xlabel("export diversification (products with RCA >= 1)")
        ax.set_ylabel(names[col])
    axes[1].axhline(0, color="0.6", lw=0.8)
    fig.suptitle(f"Trophic position of {label}", fontsize=10)
    save_figure(fig, path)
