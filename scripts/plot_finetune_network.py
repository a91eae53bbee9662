"""Rule plot_finetune_network: the tuned industry links, correct ones green and wrong ones red (preprint figure 5),
industries labelled with their names when the table's classification has a names file (WIOD)."""

import json

import matplotlib

from valuechain.smk import rule_io


def main(snakemake) -> None:
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx
    import pandas as pd
    from matplotlib.lines import Line2D

    from valuechain.analysis_plots import short_label
    from valuechain.smk import setup

    log = setup(snakemake)
    links = pd.read_parquet(snakemake.input.links)
    with open(snakemake.input.thresholds) as fh:
        chosen = json.load(fh)
    G = nx.DiGraph()
    G.add_nodes_from(sorted(set(links["input"]) | set(links["output"]), key=lambda s: (len(s), s)))
    G.add_edges_from((r.input, r.output, {"label": bool(r.label)}) for r in links.itertuples())
    pos = nx.spring_layout(G, seed=snakemake.params.layout_seed, k=1.5 / max(len(G), 1) ** 0.5)
    colors = ["tab:green" if d["label"] else "tab:red" for _, _, d in G.edges(data=True)]
    fig, ax = plt.subplots(figsize=(10, 9))
    nx.draw_networkx_nodes(G, pos, ax=ax, node_size=900, node_color="#dddddd", edgecolors="#555555")
    names = {}
    if hasattr(snakemake.input, "industries"):
        names = pd.read_csv(snakemake.input.industries, dtype=str).set_index("industry")["name"].to_dict()
    labels = {n: short_label(names[n], 16, lines=2) if n in names else n for n in G}
    nx.draw_networkx_labels(G, pos, labels=labels, ax=ax, font_size=5.5)
    nx.draw_networkx_edges(G, pos, ax=ax, edge_color=colors, arrows=True, arrowsize=10, width=1.2, alpha=0.8,
                           connectionstyle="arc3,rad=0.1", node_size=900)
    n_true = int(links["label"].sum())
    t = chosen["thresholds"]
    ax.legend(
        handles=[Line2D([], [], color="tab:green", label=f"true (TI >= 1): {n_true}"),
                 Line2D([], [], color="tab:red", label=f"false: {len(links) - n_true}")],
        loc="lower left", frameon=False,
    )
    ax.set_title(f"Top-{chosen['in_sample']['k']} B&F input links at t = ({t['t1']:g}, {t['t2']:g}, {t['t3']:g}, "
                 f"{t['t4']:g}), arrows input -> output; precision {chosen['precision']:.2f}", fontsize=10)
    ax.axis("off")
    fig.tight_layout()
    fig.savefig(snakemake.output.figure, dpi=150)
    log.info("%d nodes, %d edges (%d true)", G.number_of_nodes(), G.number_of_edges(), n_true)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
