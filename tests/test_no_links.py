"""No links without evidence, and "no links" as a result: trade data that cannot identify links are refused with a
message; a method writes only the pairs it has evidence for, never ties or confidence 0; a run whose thresholds
link nothing completes, says "no links", and writes empty, well-formed tables."""

import json
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from valuechain.links import cospec
from valuechain.links.bf import top_k
from valuechain.links.methods import NoLinkEvidence, clipped_k, infer, links_from_rca

PRODUCTS = np.array(["0101", "4011", "8407", "8703"])


def _frame(values, regions, products=PRODUCTS):
    return pd.DataFrame(np.asarray(values, dtype=float), index=pd.Index(regions, name="region"), columns=products)


# --------------------------------------------------------------------------------- data that identify nothing
@pytest.mark.parametrize("method", ["bf", "cospec", "regional", "colocation"])
def test_one_region_is_refused_with_what_is_missing(method):
    exports = _frame([[1, 2, 3, 4]], ["SP"])
    with pytest.raises(NoLinkEvidence, match=r"^links\.infer: link inference needs at least 2 regions whose export "
                                             r"baskets differ; the trade data have 1 region \(SP\); give trade data "
                                             r"of at least 2 regions$"):
        infer(exports, None if method == "colocation" else exports, method, k=3)


def test_regions_with_identical_baskets_are_refused():
    # three regions of different sizes exporting the same products in the same proportions: every RCA is 1
    exports = _frame([[1, 2, 3, 4], [10, 20, 30, 40], [0.5, 1, 1.5, 2]], ["SP", "RJ", "MG"])
    imports = _frame([[4, 1, 1, 1], [1, 4, 1, 1], [1, 1, 4, 1]], ["SP", "RJ", "MG"])
    message = ("links.infer: link inference needs at least 2 regions whose export baskets differ; the trade data "
               "have 3 regions, and all of them export the same products in the same proportions; give trade data "
               "of regions that differ")
    with pytest.raises(NoLinkEvidence) as err:
        infer(exports, imports, "cospec")
    assert str(err.value) == message
    # the imports are checked as well
    with pytest.raises(NoLinkEvidence, match="3 regions, and all of them import the same products"):
        infer(imports, exports, "bf")
    # a region that trades nothing has no basket: two regions, one of them empty, is one region
    with pytest.raises(NoLinkEvidence, match=r"have 1 region \(RJ\)"):
        infer(_frame([[0, 0, 0, 0], [1, 2, 3, 4]], ["SP", "RJ"]), None, "colocation")


def test_a_single_product_is_refused_and_the_world_needs_products_only():
    exports = _frame([[1], [2]], ["SP", "RJ"], ["8703"])
    with pytest.raises(NoLinkEvidence, match=r"needs at least 2 products; the trade data have 1 \(8703\)"):
        infer(exports, exports, "cospec")
    with pytest.raises(NoLinkEvidence, match="needs at least 2 products"):
        infer(exports, exports, "world")


# ------------------------------------------------------------------------- evidence for a few pairs only
def test_cospec_writes_only_the_pairs_it_has_evidence_for():
    # RCA of three locations: only 0101's imports vary, so 0101 is the only input with evidence; its imports
    # [0, 1, 2] correlate (log1p) with the exports of 4011 (+1), 8407 (-0.15) and 8703 (-0.96)
    I = np.array([[0, 1, 1, 1], [1, 1, 1, 1], [2, 1, 1, 1]], dtype=float)
    E = np.array([[1, 0, 1, 2], [1, 1, 0, 1], [1, 2, 1, 0]], dtype=float)
    links = links_from_rca("cospec", E, I, PRODUCTS, 3, variant="log1p")
    # 3 pairs have evidence, their confidences the share of the 3 scoring lower: 2/3, 1/3 and 0; 0101 -> 8703
    # scores lowest of all (confidence 0) and is no link; 0101 itself has no input with evidence
    assert links[["output", "input", "rank"]].values.tolist() == [["4011", "0101", 1], ["8407", "0101", 1]]
    assert links["confidence"].tolist() == pytest.approx([2 / 3, 1 / 3])
    assert links["score"].iloc[0] == pytest.approx(1.0)


def test_bf_drops_candidates_no_location_counts():
    # location 0 over-exports 0101 and over-imports 4011: one backward and one forward count, nothing else
    E = np.array([[2, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5]])
    I = np.array([[0.5, 2, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5]])
    t = {"t1": 1, "t2": 1, "t3": 1, "t4": 1}
    links = links_from_rca("bf", E, I, PRODUCTS, 3, thresholds=t)
    # 0101's candidates are 4011 (cb 1), 8407 and 8703 (cb = cf = 0: no evidence); the others have no candidates
    assert links[["output", "input", "rank", "score", "confidence"]].values.tolist() == [["0101", "4011", 1, 2, 1.0]]
    candidates = pd.DataFrame({"output": ["a", "a", "a"], "input": ["b", "c", "d"], "rank": [1, 2, 3],
                               "cb": [0, 0, 2], "cf": [1, 0, 0]})
    assert top_k(candidates, 3)["input"].tolist() == ["b", "d"]  # ranks keep their place: 1 and 3


def test_ties_and_constant_scores_are_never_ranked_into_links():
    products = ["a", "b", "c", "d", "e"]
    assert cospec.top_links(np.zeros((5, 5)), products, 3).empty  # the same score for every candidate
    S = np.full((5, 5), np.nan)
    S[1:, 0] = [5, 3, 3, 1]  # output a: b best, c and d tied for 2nd and 3rd, e last
    # k = 2: c and d tie at the cut, so a gets b only; k = 3: the tie is inside, e is below: b, c, d
    assert cospec.top_links(S, products, 2)["input"].tolist() == ["b"]
    assert cospec.top_links(S, products, 3)["input"].tolist() == ["b", "c", "d"]
    # pairs without evidence (NaN here) count for neither the cut nor the confidence: 4 pairs, e lowest
    assert cospec.top_links(S, products, 4)["confidence"].tolist() == [0.75, 0.25, 0.25]


def test_min_confidence_one_keeps_only_confidence_one():
    rng = np.random.default_rng(1)
    S = rng.normal(size=(6, 6))
    assert cospec.top_links(S, list("abcdef"), 3, min_confidence=1.0).empty  # percentiles stay below 1
    E = np.array([[2, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5]])
    I = np.array([[0.5, 2, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5]])
    bf = links_from_rca("bf", E, I, PRODUCTS, 3, min_confidence=1.0, thresholds={"t1": 1, "t2": 1, "t3": 1, "t4": 1})
    assert bf["confidence"].tolist() == [1.0]  # B&F's best score, rb = rf = 1


def test_a_huge_k_means_every_candidate_and_stays_fast():
    assert clipped_k(10_000, 80) == 79 and clipped_k(3, 80) == 3 and clipped_k(3, 1) == 0
    rng = np.random.default_rng(0)
    n = 300
    S = rng.normal(size=(n, n))
    start = time.perf_counter()
    links = cospec.top_links(S, [f"{i:04d}" for i in range(n)], 10_000)
    assert time.perf_counter() - start < 5
    assert len(links) == n * (n - 1) - 1  # every pair but the diagonal and the lowest (confidence 0)


# ---------------------------------------------------------------------------------------------- end to end
def _snakemake(work, *args):
    return subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "config/test/small.yaml",
                           *args], cwd=work, capture_output=True, text=True, timeout=900)


@pytest.mark.workflow
def test_one_region_stops_link_inference_with_the_message(tmp_path, work):
    rows = [(2019, flow, "BRA", "SP", partner, hs, 2e9 + i * 1e8)
            for flow in ("export", "import") for partner in ("USA", "CHN") for i, hs in enumerate(PRODUCTS)]
    trade = tmp_path / "one_region.csv"
    pd.DataFrame(rows, columns=["year", "flow", "country", "region", "partner", "hs", "value"]).to_csv(trade,
                                                                                                        index=False)
    config = tmp_path / "config.yaml"
    config.write_text(json.dumps({"run": "test-one-region", "trade": str(trade)}))
    proc = _snakemake(work, str(config), "--", "results/test-one-region/links/outer/links.parquet")
    assert proc.returncode != 0
    log = (work / "logs" / "test-one-region" / "infer_links_outer.log").read_text()
    assert ("rca/outer/rca.parquet: link inference needs at least 2 regions whose export baskets differ; the trade "
            "data have 1 region (BRA SP); give trade data of at least 2 regions; the cleaning drops regions below "
            "clean.min_region_trade (clean/dropped_regions.parquet lists them)") in log
    assert not (work / "results" / "test-one-region" / "links" / "outer").exists()


NO_LINKS = ["links/final.parquet", "links/annotated.parquet", "flows/summary.parquet", "analysis/trophic_levels.parquet",
            "analysis/trophic_position_regions.parquet",
            "analysis/trophic_position_countries.parquet", "analysis/sections.parquet",
            "analysis/section_nodes.parquet"]
FIGURES = ["figures/trophic_levels.png", "figures/value_chain.png", "figures/trophic_position.png",
           "exports/product_network.graphml", "exports/links.csv"]


@pytest.mark.workflow
def test_a_run_that_links_nothing_says_no_links_and_writes_empty_tables(tmp_path, work):
    # cospec's confidence is a percentile, always below 1: min_confidence 1 leaves every product without inputs
    config = tmp_path / "config.yaml"
    config.write_text(json.dumps({"run": "test-no-links", "links": {"method": "cospec", "compare": ["cospec"],
                                                                    "min_confidence": 1.0}}))
    targets = [f"results/test-no-links/{f}" for f in [*NO_LINKS, *FIGURES, "flows/dataset",
                                                       "analysis/trophic_coherence.parquet"]]
    proc = _snakemake(work, str(config), "--", *targets)
    assert proc.returncode == 0, proc.stderr[-5000:]
    run, logs = work / "results" / "test-no-links", work / "logs" / "test-no-links"
    for rule in ("final_links", "trophic_levels", "trophic_position", "section_network", "analysis_figures",
                 "annotate_links", "export_tables", "allocate_flows/1-of-1"):
        assert "no links" in (logs / f"{rule}.log").read_text(), rule
    for f in NO_LINKS:
        table = pq.read_table(run / f)
        assert table.num_rows == 0, f
        assert not any(str(t) == "null" for t in table.schema.types), (f, table.schema)  # every column typed
        assert b"valuechain.rule" in table.schema.metadata, f
    # no coherence: the network's one row says so (no component rows)
    coherence = pd.read_parquet(run / "analysis/trophic_coherence.parquet")
    assert coherence[["scope", "nodes", "edges"]].values.tolist() == [["network", 0, 0]]
    assert coherence["coherence"].isna().all()
    final = pq.read_schema(run / "links/final.parquet")
    assert final.names == ["output", "output_name", "input", "input_name", "rank", "score", "confidence", "method"]
    # the flows dataset: one empty file with the flows' columns, readable as a dataset and by DuckDB
    files = sorted((run / "flows/dataset").rglob("*.parquet"))
    assert [f.relative_to(run / "flows/dataset").as_posix() for f in files] == ["chapter=00/chunk-00000.parquet"]
    assert pq.read_table(files[0]).num_rows == 0
    from valuechain.flows.query import query_flows

    assert query_flows(run / "flows/dataset", "SELECT count(*) AS n, sum(value) AS v FROM flows")["n"].item() == 0
    for f in FIGURES:
        assert (run / f).stat().st_size > 0


def test_figures_of_an_empty_network_say_no_links(tmp_path):
    from valuechain.outputs import analysis_figures as plots

    links = pd.DataFrame({"output": pd.Series([], dtype="str"), "input": pd.Series([], dtype="str"),
                          "confidence": pd.Series([], dtype=float)})
    levels = pd.DataFrame({"hs": pd.Series([], dtype="str"), "trophic_level": pd.Series([], dtype=float)})
    coherence = pd.DataFrame({"scope": pd.Series([], dtype="str")})
    plots.level_distribution(levels, coherence, tmp_path / "levels.png", "Trophic levels")
    assert plots.choose_product(links, "8703") is None
    plots.value_chain(links, levels.set_index("hs")["trophic_level"], None, 2, pd.Series(dtype=str),
                      tmp_path / "chain.png")
    sections = pd.DataFrame({"source": ["I"], "target": ["I"], "weight": [1.0]})  # within one section only
    plots.section_network(sections, pd.DataFrame({"section": ["I"], "n_products": [2], "section_name": ["x"]}), 10,
                          tmp_path / "sections.png")
    plots.position_scatter(pd.DataFrame(columns=["diversification", "nitl", "ntj"]), "regions", tmp_path / "pos.png")
    for name in ("levels", "chain", "sections", "pos"):
        assert (tmp_path / f"{name}.png").stat().st_size > 0
