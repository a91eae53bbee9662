"""Extended-network analyses (docs/method.md section 9)."""

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from data_files import data_file

from valuechain.analyses.network import (
    betweenness,
    chain_complexity,
    complexity_along_chain,
    extended_links,
    level_bins,
    load_pci,
    node_table,
    pci_eigenvector,
    pci_source,
    section_network,
    summarise_complexity,
    to_graphml,
)
from valuechain.trade.hs import load_hs_sections, product_sections

ROOT = Path(__file__).resolve().parents[1]


def test_section_weight_by_hand():
    # sections: a1,a2 in A; b1 in B; c1 in C. Links (input -> output):
    # a1->b1, a2->b1, a1->c1, b1->c1, a1->a2
    sec = pd.Series({"a1": "A", "a2": "A", "b1": "B", "c1": "C"})
    links = pd.DataFrame({"input": ["a1", "a2", "a1", "b1", "a1"], "output": ["b1", "b1", "c1", "c1", "a2"]})
    out = section_network(links, sec).set_index(["source", "target"])
    # out(A) = 4 links leave A's products; in(B) = 2, in(C) = 2, in(A) = 1; out(B) = 1
    assert out.loc[("A", "B"), "n_links"] == 2 and out.loc[("A", "B"), "weight"] == pytest.approx(2 / (4 + 2))
    assert out.loc[("A", "C"), "weight"] == pytest.approx(1 / (4 + 2))
    assert out.loc[("B", "C"), "weight"] == pytest.approx(1 / (1 + 2))
    assert out.loc[("A", "A"), "weight"] == pytest.approx(1 / (4 + 1))
    assert len(out) == 4
    with pytest.raises(ValueError, match="section"):
        section_network(links, sec.drop("c1"))


def test_sections_from_vendored_nomenclature():
    chapters, names = load_hs_sections(data_file("hs/harmonized-system.csv"), data_file("hs/sections.csv"))
    sec = product_sections(["0101", "8703", "2709", "9999"], chapters)
    assert sec.tolist() == ["I", "XVII", "V", "unclassified"]
    assert len(names) == 21 and names["XVII"].lower().startswith("vehicles")


def test_node_table_and_betweenness_on_a_path():
    links = pd.DataFrame({"input": ["a", "b", "x"], "output": ["b", "c", "y"]})
    nt = node_table(links).set_index("hs")
    assert nt["component"].to_dict() == {"a": 0, "b": 0, "c": 0, "x": 1, "y": 1}
    assert nt.loc["b", "in_degree"] == 1 and nt.loc["b", "out_degree"] == 1 and nt.loc["a", "in_degree"] == 0
    b = betweenness(links)
    # only b lies on a shortest path (a -> c); normalised by (n-1)(n-2) = 12
    assert b["b"] == pytest.approx(1 / 12) and b.drop("b").eq(0).all()


def test_pci_eigenvector_matches_direct_eigendecomposition():
    rng = np.random.default_rng(0)
    M = pd.DataFrame((rng.random((40, 25)) < rng.uniform(0.1, 0.8, 25)).astype(int))
    M.iloc[:, 3] = 0  # nobody specialised: NaN
    pci = pci_eigenvector(M)
    assert np.isnan(pci[3])
    A = M.drop(columns=3).to_numpy(float)
    kl, kp = A.sum(1), A.sum(0)
    keep = kl > 0
    A, kl = A[keep], kl[keep]
    Mt = (A / kp).T @ (A / kl[:, None])  # Mt[p, p'] = sum_l M_lp M_lp' / (k_l k_p)
    vals, vecs = np.linalg.eig(Mt)
    v = np.real(vecs[:, np.argsort(-np.real(vals))[1]])
    v = (v - v.mean()) / v.std()
    got = pci.drop(3).to_numpy()
    assert abs(np.corrcoef(got, v)[0, 1]) == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(np.abs(got), np.abs(v), atol=1e-8)
    assert np.corrcoef(got, kp)[0, 1] < 0


def test_real_pci_loads_with_padded_codes():
    pci = load_pci(data_file("world2017/pci_hs4_2017.csv"))
    assert len(pci) == 1222 and (pci.index.str.len() == 4).all() and "0101" in pci.index


def test_complexity_along_chain_by_hand():
    links = pd.DataFrame({"input": ["a", "a", "b", "c"], "output": ["b", "c", "c", "z"]})
    pci = pd.Series({"a": 0.0, "b": 1.0, "c": 3.0})  # z has no PCI
    ch = complexity_along_chain(links, pci).set_index("hs")
    assert ch.loc["a", "mean_pci_outputs"] == 2.0 and ch.loc["a", "n_outputs"] == 2
    assert ch.loc["b", "delta_pci"] == 2.0
    assert "c" not in ch.index  # its only output has no PCI
    ch["section"] = ["S", "S"]
    s = summarise_complexity(ch.reset_index(), "section")
    assert s.loc[0, "mean_delta_pci"] == 2.0 and s.loc[0, "share_outputs_more_complex"] == 1.0


def test_the_extended_chain_carries_sections_levels_and_bins():
    candidates = pd.DataFrame({"input": ["a", "a", "b", "c"], "output": ["b", "c", "c", "z"], "score": [2, 10, 4, 11]})
    links = extended_links(candidates, 10)
    assert links["score"].tolist() == [2, 10, 4]  # at most the score: the paper's updated rank
    nodes = pd.DataFrame({"hs": ["a", "b", "c"], "section": ["I", "II", "II"], "trophic_level": [1.0, 2.0, 3.0]})
    chain, summary = chain_complexity(links, pd.Series({"a": 0.0, "b": 1.0, "c": 3.0}), nodes, 2)
    chain = chain.set_index("hs")
    assert chain.loc["a", "delta_pci"] == 2.0 and chain.loc["b", "section"] == "II"
    assert chain["level_bin"].tolist() == ["[1.00, 1.50)", "[1.50, 2.00)"]
    assert summary["by"].tolist() == ["section", "section", "level_bin", "level_bin"]


def test_level_bins():
    b = level_bins(pd.Series([1.0, 1.5, 2.0, 3.0]), 2)
    assert b.astype(str).tolist() == ["[1.00, 2.00)", "[1.00, 2.00)", "[2.00, 3.00)", "[2.00, 3.00)"]
    assert len(level_bins(pd.Series([], dtype=float), 5)) == 0  # no product with a PCI: nothing to bin


def test_betweenness_is_networkx_exact_value_on_a_random_graph():
    rng = np.random.default_rng(3)
    links = pd.DataFrame({"output": rng.integers(0, 60, 400).astype(str), "input": rng.integers(0, 60, 400).astype(str)})
    links = links[links["output"] != links["input"]]
    G = nx.DiGraph(zip(links["input"], links["output"]))
    expected = pd.Series(nx.betweenness_centrality(G, normalized=True))
    got = betweenness(links)
    assert got.index.is_monotonic_increasing and set(got.index) == set(expected.index)
    np.testing.assert_allclose(got.to_numpy(), expected.reindex(got.index).to_numpy(), rtol=1e-12, atol=1e-15)


def test_hs6_pci_is_computed_from_the_run_because_the_real_one_is_hs4():
    assert pci_source("real", 4) == "real"
    assert pci_source("real", 6) == pci_source("computed", 4) == "computed"
    with pytest.raises(ValueError, match="'real' or 'computed'"):
        pci_source("atlas", 4)
    # HS6 products of two headings: the eigenvector PCI ranks the rare, diversified-region products highest.
    M = pd.DataFrame([[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0]], columns=["870321", "870322", "870899",
                                                                                  "870840"])
    pci = pci_eigenvector(M)
    assert list(pci.index) == list(M.columns) and pci.is_monotonic_increasing
    assert np.isclose(pci.mean(), 0) and np.isclose(pci.std(ddof=0), 1)
    chain = complexity_along_chain(pd.DataFrame({"output": ["870321", "870322"], "input": ["870899", "870840"]}), pci)
    assert level_bins(pd.Series([], dtype=float), 3).empty and len(chain) == 2


def test_graphml_holds_names_sections_levels_and_confidences(tmp_path):
    links = pd.DataFrame({"output": ["8703", "8703", "8708"], "input": ["8708", "4011", "7208"],
                          "rank": [1, 2, 1], "confidence": [0.9, 0.4, 0.7]})
    levels = pd.DataFrame({"hs": ["4011", "7208", "8703", "8708"], "name": ["Tyres", "Steel", "Cars", "Parts"],
                           "trophic_level": [1.0, 1.0, 3.0, 2.0]})
    sections = pd.Series({"4011": "VII", "7208": "XV", "8703": "XVII", "8708": "XVII"})
    to_graphml(links, levels, sections, tmp_path / "net.graphml")
    g = nx.read_graphml(tmp_path / "net.graphml")
    assert sorted(g.edges) == [("4011", "8703"), ("7208", "8708"), ("8708", "8703")]  # goods flow input -> output
    assert g.nodes["8708"] == {"name": "Parts", "section": "XVII", "trophic_level": 2.0}
    assert g.edges["4011", "8703"] == {"rank": 2.0, "confidence": 0.4}
    first = (tmp_path / "net.graphml").read_bytes()
    to_graphml(links.iloc[::-1], levels, sections, tmp_path / "again.graphml")
    assert (tmp_path / "again.graphml").read_bytes() == first
