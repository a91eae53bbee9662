"""Analyses of a product input-output network (docs/method.md section 9; Karbevska and Hidalgo 2025, section 7).

A links table has one row per edge ``input -> output`` (columns ``output, input, ...``: ``input`` is used to
make ``output``). The extended network of the paper is every Backward & Forward candidate with "rank <= 10", where the rank is
the updated rank of its Algorithm 1, ``rb + rf`` (our ``score``): about 45 inputs per product, as the paper's
55,932 links over 1,227 products.

- Weakly connected components and betweenness centrality (Brandes 2001, exact, via igraph, normalised by
  ``(n-1)(n-2)`` for directed graphs as networkx does).
- HS-section network: ``n(S->T)`` = links from a product of section ``S`` to a product of section ``T``;
  weight ``n(S->T) / (out(S) + in(T))`` where ``out(S)`` is the total out-degree of the products of ``S`` and
  ``in(T)`` the total in-degree of those of ``T`` (paper section 7, fig. 3B).
- Complexity along the chain: each product's PCI against the mean PCI of the products it feeds (its
  outputs), summarised by HS section and by trophic level (paper section 7, fig. 3C).
- PCI: the real 2017 values shipped in ``resources/world2017/pci_hs4_2017.csv`` by default, or computed from
  a binary export-specialisation matrix by the eigenvector method of Hidalgo and Hausmann (2009), in the
  form of Hausmann et al. (2014, The Atlas of Economic Complexity, technical box 2.1).
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from valuechain.analyses.trophic import levels_table
from valuechain.trade.hs import UNCLASSIFIED


def _check_links(links: pd.DataFrame) -> None:
    missing = {"output", "input"} - set(links.columns)
    if missing:
        raise ValueError(f"links lack columns {sorted(missing)}")


def network_nodes(links: pd.DataFrame) -> pd.Index:
    """Sorted products appearing in ``links`` as input or output."""
    _check_links(links)
    return pd.Index(np.unique(links[["input", "output"]].to_numpy().ravel()), name="hs")


def node_table(links: pd.DataFrame) -> pd.DataFrame:
    """Per product: ``hs, in_degree, out_degree, component, component_size, trophic_level``.

    In-degree counts a product's inputs, out-degree the products it feeds. Components are the weakly
    connected ones, numbered 0.. by decreasing size (ties by their smallest code), so 0 is the giant one.
    Trophic levels as in :func:`valuechain.analyses.trophic.levels_table`.
    """
    _check_links(links)
    t = levels_table(links)
    sizes = t.groupby("component")["hs"].transform("size").astype(np.int64)
    return t.assign(component_size=sizes)[
        ["hs", "in_degree", "out_degree", "component", "component_size", "trophic_level"]
    ]


def betweenness(links: pd.DataFrame) -> pd.Series:
    """Normalised betweenness centrality of every product in the directed network: exact (Brandes' algorithm in
    igraph's C core, about 100 times faster than networkx's Python one on the extended HS6 network), divided by
    ``(n-1)(n-2)`` as networkx does for directed graphs."""
    import igraph

    nodes = network_nodes(links)
    edges = np.column_stack([nodes.get_indexer(links["input"]), nodes.get_indexer(links["output"])])
    G = igraph.Graph(n=len(nodes), edges=edges, directed=True)
    G.simplify(multiple=True, loops=False)  # a repeated link is one edge, as in a networkx DiGraph
    n = len(nodes)
    raw = np.asarray(G.betweenness(directed=True), dtype=float)
    scale = 1.0 / ((n - 1) * (n - 2)) if n > 2 else 0.0
    return pd.Series(raw * scale, index=nodes, name="betweenness").rename_axis("hs").sort_index()


# ---------------------------------------------------------------------------------------------- HS sections
def section_network(links: pd.DataFrame, section_of: pd.Series) -> pd.DataFrame:
    """Links aggregated by HS section with the paper's weight (section 7, fig. 3B).

    Returns ``source, target, n_links, out_total_source, in_total_target, weight`` with
    ``weight = n(S->T) / (out(S) + in(T))``; ``out(S)`` = links leaving products of ``S`` (any target),
    ``in(T)`` = links entering products of ``T``. Pairs ``S == T`` are kept.
    """
    _check_links(links)
    src = section_of.reindex(links["input"]).to_numpy()
    dst = section_of.reindex(links["output"]).to_numpy()
    if pd.isna(src).any() or pd.isna(dst).any():
        raise ValueError("every linked product needs a section")
    n = pd.DataFrame({"source": src, "target": dst}).value_counts().rename("n_links").reset_index()
    out_total = n.groupby("source")["n_links"].sum()
    in_total = n.groupby("target")["n_links"].sum()
    n["out_total_source"] = out_total.reindex(n["source"]).to_numpy()
    n["in_total_target"] = in_total.reindex(n["target"]).to_numpy()
    n["weight"] = n["n_links"] / (n["out_total_source"] + n["in_total_target"])
    return n.sort_values(["weight", "source", "target"], ascending=[False, True, True]).reset_index(drop=True)


# ----------------------------------------------------------------------------------------------------- PCI
def load_pci(path: str | Path) -> pd.Series:
    """PCI per HS4 code from a CSV with columns ``hs4, pci`` (codes kept as zero-padded strings)."""
    df = pd.read_csv(path, dtype={"hs4": str})
    if not {"hs4", "pci"} <= set(df.columns):
        raise ValueError(f"{path} needs columns hs4, pci")
    df["hs4"] = df["hs4"].str.zfill(4)
    if df["hs4"].duplicated().any():
        raise ValueError(f"{path} has duplicate hs4 codes")
    return df.set_index("hs4")["pci"].astype(float).rename("pci").rename_axis("hs")


def pci_source(requested: str, digits: int) -> str:
    """Where products' PCI comes from: ``real`` (the shipped 2017 values) only when asked for and the products are
    HS4, the level those values exist at; otherwise ``computed`` (:func:`pci_eigenvector` on the run's exports)."""
    if requested not in ("real", "computed"):
        raise ValueError(f"pci must be 'real' or 'computed', got {requested!r}")
    return "real" if requested == "real" and digits == 4 else "computed"


def product_pci(source: str, pci_file: str | Path, rca_file: str | Path, rca_threshold: float) -> pd.Series:
    """Products' PCI from ``source`` (:func:`pci_source`): ``real``, the shipped values (``pci_file``);
    ``computed``, :func:`pci_eigenvector` of the run's export specialisation (RCA >= ``rca_threshold``, read from
    ``rca_file`` only then)."""
    if source == "real":
        return load_pci(pci_file)
    from valuechain.analyses.validated import specialisation_matrices

    E, _ = specialisation_matrices(pd.read_parquet(rca_file), rca_threshold)
    return pci_eigenvector(E)


def pci_eigenvector(M: pd.DataFrame) -> pd.Series:
    """Product Complexity Index from a binary locations x products specialisation matrix.

    ``k_l = M 1`` (diversity), ``k_p = M^T 1`` (ubiquity),
    ``Mt[p,p'] = sum_l M[l,p] M[l,p'] / (k_l k_p)`` (Hausmann et al. 2014, box 2.1); PCI is the eigenvector of
    ``Mt`` for its second-largest eigenvalue, standardised to mean 0 and standard deviation 1 (ddof 0), with
    the sign that makes it negatively correlated with ubiquity. ``Mt`` is similar to the symmetric
    ``D_p^{-1/2} M^T D_l^{-1} M D_p^{-1/2}``, whose eigenvectors ``x`` give ``D_p^{-1/2} x``. Locations and
    products with no specialisation are left out; such products get NaN.
    """
    A = (M.to_numpy(dtype=float) > 0).astype(float)
    kl, kp = A.sum(axis=1), A.sum(axis=0)
    rows, cols = kl > 0, kp > 0
    if cols.sum() < 3:
        raise ValueError("PCI needs at least 3 products with a specialised location")
    A = A[np.ix_(rows, cols)]
    kl, kp = kl[rows], kp[cols]
    inv_sqrt = 1.0 / np.sqrt(kp)
    S = (A * inv_sqrt).T @ ((A * inv_sqrt) / kl[:, None])
    vals, vecs = np.linalg.eigh(S)
    y = vecs[:, -2] * inv_sqrt
    y = (y - y.mean()) / y.std()
    if np.corrcoef(y, kp)[0, 1] > 0:
        y = -y
    out = pd.Series(np.nan, index=pd.Index(M.columns, name="hs"), name="pci")
    out[cols] = y
    return out


# ---------------------------------------------------------------------------- complexity along the chain
def complexity_along_chain(links: pd.DataFrame, pci: pd.Series) -> pd.DataFrame:
    """Per input product: ``hs, pci, n_outputs, mean_pci_outputs, delta_pci`` (``mean - own``).

    ``mean_pci_outputs`` averages the PCI of the products it feeds that have a PCI (``n_outputs`` counts
    those); products with no PCI or no output with a PCI are left out.
    """
    _check_links(links)
    e = pd.DataFrame(
        {"hs": links["input"].to_numpy(), "pci_out": pci.reindex(links["output"]).to_numpy()}
    ).dropna()
    g = e.groupby("hs")["pci_out"].agg(["size", "mean"]).rename(
        columns={"size": "n_outputs", "mean": "mean_pci_outputs"}
    )
    g.insert(0, "pci", pci.reindex(g.index).to_numpy())
    g = g.dropna(subset=["pci"])
    g["delta_pci"] = g["mean_pci_outputs"] - g["pci"]
    return g.reset_index()


def summarise_complexity(chain: pd.DataFrame, by: str) -> pd.DataFrame:
    """Mean own PCI, mean PCI of outputs, mean and share-positive of ``delta_pci``, per value of ``by``."""
    if by not in chain.columns:
        raise ValueError(f"column {by!r} missing from the complexity table")
    g = chain.groupby(by, observed=True)
    out = pd.DataFrame(
        {
            "products": g.size(),
            "mean_pci": g["pci"].mean(),
            "mean_pci_outputs": g["mean_pci_outputs"].mean(),
            "mean_delta_pci": g["delta_pci"].mean(),
            "share_outputs_more_complex": (chain["delta_pci"] > 0).groupby(chain[by], observed=True).mean(),
        }
    )
    return out.reset_index().rename(columns={by: "group"}).assign(by=by)[
        ["by", "group", "products", "mean_pci", "mean_pci_outputs", "mean_delta_pci", "share_outputs_more_complex"]
    ]


def extended_links(candidates: pd.DataFrame, max_score: float) -> pd.DataFrame:
    """The extended network: every B&F candidate whose score ``rb + rf`` is at most ``max_score`` (the paper's
    "rank <= 10" is this updated rank, not a position; docs/method.md section 9)."""
    return candidates[candidates["score"] <= max_score]


def chain_complexity(links: pd.DataFrame, pci: pd.Series, nodes: pd.DataFrame, n_bins: int
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`complexity_along_chain` with each input's section, trophic level and level bin (from ``nodes``:
    ``hs, section, trophic_level``), and its summary by section and by level bin (:func:`summarise_complexity`)."""
    chain = complexity_along_chain(links, pci)
    lv = nodes.set_index("hs")
    chain["section"] = lv["section"].reindex(chain["hs"]).to_numpy()
    chain["trophic_level"] = lv["trophic_level"].reindex(chain["hs"]).to_numpy()
    chain["level_bin"] = level_bins(chain["trophic_level"], n_bins).astype(str).to_numpy()
    summary = pd.concat([summarise_complexity(chain, "section"), summarise_complexity(chain, "level_bin")],
                        ignore_index=True)
    return chain, summary


def level_bins(levels: pd.Series, n_bins: int) -> pd.Series:
    """Trophic levels cut into ``n_bins`` equal-width intervals, labelled ``"[a, b)"`` with 2 decimals (no levels:
    an empty series)."""
    if n_bins < 1:
        raise ValueError("n_bins must be >= 1")
    if len(levels) == 0:
        return pd.Series(pd.Categorical([]), index=levels.index)
    lo, hi = float(levels.min()), float(levels.max())
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, n_bins + 1)
    idx = np.clip(np.searchsorted(edges, levels.to_numpy(), side="right") - 1, 0, n_bins - 1)
    labels = np.array([f"[{a:.2f}, {b:.2f})" for a, b in zip(edges[:-1], edges[1:])])
    return pd.Series(pd.Categorical(labels[idx], categories=labels, ordered=True), index=levels.index)


#: Edge attributes of the GraphML export: numbers, then texts.
GRAPHML_NUMBERS = ("rank", "score", "confidence", "estimated_precision", "reference_share", "weight")
GRAPHML_TEXTS = ("reference", "method")


def to_graphml(links: pd.DataFrame, levels: pd.DataFrame, section_of: pd.Series, path: str | Path) -> nx.DiGraph:
    """Write the product network as GraphML (Gephi, Cytoscape) and return it.

    Nodes are HS codes with ``name``, ``section`` and ``trophic_level`` (from ``levels``: ``hs, name,
    trophic_level``); edges run input -> output (the direction goods flow) with every column of ``links`` among
    :data:`GRAPHML_NUMBERS` (missing values left out) and :data:`GRAPHML_TEXTS` (the reference label of the
    annotated links). Nodes and edges are added in sorted order, so the same network gives the same file.
    """
    _check_links(links)
    nodes = network_nodes(links)
    lv = levels.set_index("hs").reindex(nodes)
    g = nx.DiGraph()
    for hs, name, level in zip(nodes, lv["name"].fillna("").astype(str), lv["trophic_level"].astype(float)):
        g.add_node(str(hs), name=name, section=str(section_of.get(hs, UNCLASSIFIED)), trophic_level=level)
    numbers = [c for c in GRAPHML_NUMBERS if c in links.columns]
    texts = [c for c in GRAPHML_TEXTS if c in links.columns]
    edges = links.sort_values(["input", "output"], kind="stable")
    for row in edges[["input", "output", *numbers, *texts]].itertuples(index=False):
        attrs = {a: float(v) for a, v in zip(numbers, row[2:]) if pd.notna(v)}
        attrs.update({a: str(v) for a, v in zip(texts, row[2 + len(numbers):])})
        g.add_edge(str(row[0]), str(row[1]), **attrs)
    nx.write_graphml(g, path)
    return g
