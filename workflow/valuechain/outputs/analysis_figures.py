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
from matplotlib.colors import LinearSegmentedColormap, Normalize  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

# SVG element ids from a fixed salt, so that the same figure gives the same vector file.
plt.rcParams["svg.hashsalt"] = "valuechain"


def save_figure(fig, path) -> None:
    """Save a figure as PNG at ``path`` and as SVG beside it (the same name, ``.svg``: vector, for a paper),
    without timestamps (same inputs, same bytes), creating its folder, and close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130, bbox_inches="tight", metadata={"Software": None})
    fig.savefig(path.with_suffix(".svg"), bbox_inches="tight", metadata={"Date": None, "Creator": None})
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


#: Line style of a link by the product reference's label, in the figures as in the explorer.
REFERENCE_STYLES = {"true": ("-", "in the product reference"), "false": ("--", "not in the product reference"),
                    "unscorable": (":", "not scorable")}
#: Colours of the estimated precision, from 0 (red) through grey to 1 (blue), as in the explorer.
PRECISION_CMAP = LinearSegmentedColormap.from_list("precision", ["#c0392b", "#9a9a9a", "#1f4e9e"])


def _barycentre_order(nodes: pd.DataFrame, e: pd.DataFrame) -> pd.DataFrame:
    """Rows of each step ordered by the mean position of the products they feed in the step before (fewer
    crossing arrows), ties by code; ``y`` centred on 0."""
    nodes = nodes.sort_values(["step", "hs"]).reset_index(drop=True)
    nodes["y"] = nodes.groupby("step").cumcount().astype(float)
    for s in sorted(nodes["step"].unique())[1:]:
        y = nodes.set_index("hs")["y"]
        fed = e[e["step"] == s].assign(y=lambda d: d["output"].map(y)).groupby("input")["y"].mean()
        mine = nodes["step"] == s
        order = pd.DataFrame({"hs": nodes.loc[mine, "hs"], "key": nodes.loc[mine, "hs"].map(fed)})
        order = order.sort_values(["key", "hs"]).reset_index(drop=True)
        nodes.loc[mine, "y"] = nodes.loc[mine, "hs"].map(dict(zip(order["hs"], order.index.astype(float))))
    nodes["y"] = nodes["y"] - nodes.groupby("step")["y"].transform("mean")
    # a column with fewer products spreads over most of the tallest one's height (room for labels and arrows)
    count = nodes.groupby("step")["hs"].transform("size")
    spread = np.where(count > 1, 0.8 * (count.max() - 1) / (count - 1).clip(lower=1), 1.0)
    nodes["y"] = nodes["y"] * np.maximum(spread, 1.0)
    return nodes


def value_chain(links: pd.DataFrame, levels: pd.Series, product: str | None, depth: int, names: pd.Series,
                path) -> None:
    """Layered drawing of ``product``'s upstream chain, one column of nodes per step, goods flowing left to right
    (node colour: trophic level; names cut at word boundaries, set beside the nodes away from the arrows). With
    the annotated links' ``estimated_precision`` and ``reference``, each arrow is coloured by the first and styled
    by the second (solid: in the product reference, dashed: not, dotted: not scorable), with a legend; else grey.
    No product (a network without links): :func:`no_links`."""
    if product is None:
        no_links(path, "Value chain", "no product has an input")
        return
    e = upstream(links, product, depth)
    key = pd.MultiIndex.from_frame(e[["output", "input"]])
    by_pair = links.set_index(["output", "input"])
    annotated = {"estimated_precision", "reference"} <= set(links.columns)
    if annotated:
        e = e.assign(precision=by_pair["estimated_precision"].reindex(key).to_numpy(),
                     reference=by_pair["reference"].reindex(key).to_numpy())
    step = {product: 0}
    for s, grp in e.groupby("step"):
        for p in grp["input"]:
            step.setdefault(p, int(s))
    nodes = _barycentre_order(pd.DataFrame({"hs": list(step), "step": list(step.values())}), e)
    nodes["level"] = levels.reindex(nodes["hs"]).to_numpy()
    nodes["x"] = -nodes["step"].astype(float)
    pos = nodes.set_index("hs")[["x", "y"]]
    fig, ax = plt.subplots(figsize=(4.2 * (depth + 1) + 2, max(4, 0.36 * nodes.groupby("step").size().max())))
    for o, i, prec, ref in zip(e["output"], e["input"], e["precision"] if annotated else [np.nan] * len(e),
                               e["reference"] if annotated else ["unscorable"] * len(e)):
        (x0, y0), (x1, y1) = pos.loc[i], pos.loc[o]
        colour = "0.6" if pd.isna(prec) else PRECISION_CMAP(float(prec))
        ax.annotate("", (x1, y1), (x0, y0), arrowprops={"arrowstyle": "->", "color": colour, "lw": 1.2,
                                                       "linestyle": REFERENCE_STYLES.get(ref, ("-",))[0],
                                                       "shrinkA": 5, "shrinkB": 5})
    sc = ax.scatter(nodes["x"], nodes["y"], c=nodes["level"], cmap="viridis", s=60, zorder=3)
    # labels left of the farthest inputs (their arrows leave rightwards), right of the product, above the rest
    for hs, st, x, y in zip(nodes["hs"], nodes["step"], nodes["x"], nodes["y"]):
        text = f"{hs} {short_label(names.get(hs, ''), 34)}".strip()
        if st == depth:
            ax.text(x - 0.05, y, text, fontsize=7, va="center", ha="right")
        elif st == 0:
            ax.text(x + 0.05, y, text, fontsize=8, va="center", ha="left", fontweight="bold")
        else:
            ax.text(x, y + 0.22, text, fontsize=7, va="bottom", ha="center",
                    bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85})
    fig.colorbar(sc, ax=ax, label="trophic level of the product", pad=0.01)
    if annotated:
        bar = fig.colorbar(plt.cm.ScalarMappable(cmap=PRECISION_CMAP, norm=Normalize(0, 1)), ax=ax, pad=0.02,
                           label="estimated precision of the link\n(share the reference confirms, held out)")
        bar.set_ticks([0, 0.25, 0.5, 0.75, 1])
        ax.legend([Line2D([], [], color="0.3", linestyle=style) for style, _ in REFERENCE_STYLES.values()],
                  [label for _, label in REFERENCE_STYLES.values()], loc="lower left", bbox_to_anchor=(0, 1.01),
                  ncols=3, frameon=False, fontsize=7)
    ax.set_xticks(-np.arange(depth + 1), ["product"] + [f"{s} step{'s' if s > 1 else ''} upstream"
                                                        for s in range(1, depth + 1)])
    ax.set_xlim(-depth - 1.1, 1.0)
    ax.set_ylim(nodes["y"].min() - 0.8, nodes["y"].max() + 0.8)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_title(f"Value chain of {product} {names.get(product, '')}: its inputs and theirs (arrows: goods flow)",
                 fontsize=10, pad=22)
    save_figure(fig, path)


def section_network(edges: pd.DataFrame, nodes: pd.DataFrame, top: int, path, network: str = "") -> None:
    """HS sections on a circle (size: products), the ``top`` heaviest inter-section edges (width: the paper's
    weight n(S->T) / (out(S) + in(T)), a share, in per cent in the legend); each section's number and name set
    outside the circle, away from the edges, wrapped at word boundaries. No edge between two sections:
    :func:`no_links`."""
    e = edges[edges["source"] != edges["target"]].nlargest(top, "weight")
    if e.empty:
        no_links(path, "HS-section network", "no link between two HS sections")
        return
    shown = nodes[nodes["section"].isin(set(e["source"]) | set(e["target"]))].reset_index(drop=True)
    angle = np.pi / 2 - 2 * np.pi * np.arange(len(shown)) / max(len(shown), 1)
    pos = pd.DataFrame({"x": np.cos(angle), "y": np.sin(angle)}, index=shown["section"])
    fig, ax = plt.subplots(figsize=(9, 8))
    wmax = e["weight"].max() if len(e) else 1.0
    for s, t, w in zip(e["source"], e["target"], e["weight"]):
        ax.annotate(
            "", pos.loc[t], pos.loc[s],
            arrowprops={"arrowstyle": "-|>", "lw": 0.5 + 4 * w / wmax, "color": "#cc6677", "alpha": 0.55,
                        "connectionstyle": "arc3,rad=0.2", "shrinkA": 9, "shrinkB": 9},
        )
    ax.scatter(pos["x"], pos["y"], s=20 + 8 * shown["n_products"], color="#4477aa", zorder=3)
    for sec, name, a in zip(shown["section"], shown["section_name"], angle):
        x, y = 1.13 * np.cos(a), 1.13 * np.sin(a)
        ha = "left" if np.cos(a) > 0.2 else "right" if np.cos(a) < -0.2 else "center"
        va = "bottom" if np.sin(a) > 0.7 else "top" if np.sin(a) < -0.7 else "center"
        ax.text(x, y, f"{sec} {short_label(name, 26, lines=2)}", fontsize=7, ha=ha, va=va, linespacing=1.1)
    # legends: node size (products of the section) and edge width (the weight, as a share in per cent)
    sizes = [n for n in (10, 30, 60) if n <= max(shown["n_products"].max(), 10)]
    nodes_legend = ax.legend(
        [plt.scatter([], [], s=20 + 8 * n, color="#4477aa") for n in sizes], [f"{n} products" for n in sizes],
        loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, title="section size", labelspacing=1.3,
        fontsize=7, title_fontsize=7)
    ax.add_artist(nodes_legend)
    widths = [wmax / 4, wmax / 2, wmax]
    ax.legend([Line2D([], [], color="#cc6677", lw=0.5 + 4 * w / wmax) for w in widths],
              [f"{100 * w:.1f}%" for w in widths], loc="lower left", bbox_to_anchor=(1.0, 0.0), frameon=False,
              title="link weight: links S→T over\nall links leaving S and\nentering T, n / (out + in)", fontsize=7,
              title_fontsize=7)
    ax.set_xlim(-1.75, 1.75)
    ax.set_ylim(-1.45, 1.45)
    ax.set_axis_off()
    ax.set_aspect("equal")
    source = f" of the {network}" if network else ""
    ax.set_title(f"HS sections{source}: the {len(e)} heaviest links between sections", fontsize=10)
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
