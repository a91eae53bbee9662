"""The product reference: concordance join, labelling rule, scoring, random expectation, end-use check, the
published network's figures from the real files, user network files, retrieval."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from data_files import MIRROR, data_file
from scipy.stats import hypergeom

import valuechain.glue.retrieve as r
from valuechain.glue.retrieve import RetrieveError, data_files, retrieve
from valuechain.links.evaluate import (
    random_per_output,
    ranked,
    reference_evaluation,
    reference_per_output,
    summarise_per_output,
)
from valuechain.reference import product as ref
from valuechain.reference.links_file import LinksDataError, read_links_file
from valuechain.trade.demo import plant_links
from valuechain.trade.hs import goods_codes

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------- hand-made concordance
def _concordance():
    hs_naics = pd.DataFrame({
        "HS_6d": ["870310", "870321", "870390", "010121", "999999"],
        "NAICS_6d": ["336111", "336112", "336111", "11211X", None],
    })
    crosswalk = pd.DataFrame({
        "BEA_2017_Detail_Code": ["336111", "336112", "336111", "336112", "1121A0"],
        "NAICS_2012_Code": ["336111", "336112", "3361", "3361", "112"],
    })
    return hs_naics, crosswalk


def test_concordance_join_one_product_two_bea_codes_one_unmapped():
    hs_naics, crosswalk = _concordance()
    exact = ref.product_bea(ref.hs6_to_bea(hs_naics, crosswalk, "exact"), 4)
    # 8703: three HS6 codes, two NAICS codes, two BEA codes. 0101: only Census's aggregated 11211X: unmapped.
    # 9999: no NAICS code at all.
    assert exact.values.tolist() == [["8703", "336111"], ["8703", "336112"]]
    prefix = ref.product_bea(ref.hs6_to_bea(hs_naics, crosswalk, "prefix"), 4)
    # prefix: 11211X -> 11211 -> ... the longest crosswalk code that is a prefix is 112 -> 1121A0.
    assert prefix.values.tolist() == [["0101", "1121A0"], ["8703", "336111"], ["8703", "336112"]]
    cov = ref.coverage_table(["0101", "8703", "9999"], exact, pd.Index(["8703"]),
                             ref.product_codes(hs_naics["HS_6d"], 4))
    assert cov.values.tolist() == [["0101", 1, 0, False], ["8703", 3, 2, True], ["9999", 1, 0, False]]
    with pytest.raises(ValueError, match="naics_match"):
        ref.hs6_to_bea(hs_naics, crosswalk, "fuzzy")


# ---------------------------------------------------------------------------- labelling, by hand
def _use_table(tmp_path):
    """Three commodities A, B, C used by three industries; each industry buys 100 of intermediate inputs."""
    use = pd.DataFrame({
        "row": ["A", "B", "C", "T005", "V00100"],
        "A": [0.0, 20.0, 80.0, 100.0, 50.0],
        "B": [10.0, 0.0, 90.0, 100.0, 50.0],
        "C": [30.0, 60.0, 10.0, 100.0, 50.0],
        "F01000": [5.0, 5.0, 5.0, 0.0, 0.0],  # final demand: never an input
    })
    path = tmp_path / "use.parquet"
    use.to_parquet(path)
    return path


def test_labelling_rule_on_a_three_commodity_example(tmp_path):
    shares = ref.read_use_shares(_use_table(tmp_path), ["A", "B", "C"])
    assert shares.loc["C", "A"] == pytest.approx(0.8) and list(shares.columns) == ["A", "B", "C"]
    # products: p1 = {A}, p2 = {B}, p3 = {C}, p4 = {A, B} (commodities and industries share codes)
    pairs = pd.DataFrame({"product": ["p1", "p2", "p3", "p4", "p4"], "bea": ["A", "B", "C", "A", "B"]})
    R, products = ref.reference_shares(pairs, shares)
    assert list(products) == ["p1", "p2", "p3", "p4"]
    share = pd.DataFrame(R, index=products, columns=products)  # share.loc[q, p] = share(q -> p)
    assert share.loc["p3", "p1"] == pytest.approx(0.8)  # S[C, A]
    assert share.loc["p1", "p2"] == pytest.approx(0.1)  # S[A, B]
    assert share.loc["p4", "p3"] == pytest.approx(0.6)  # max(S[A, C], S[B, C]) = max(0.3, 0.6)
    assert share.loc["p3", "p4"] == pytest.approx(0.9)  # max(S[C, A], S[C, B]) = max(0.8, 0.9)
    assert share.loc["p1", "p4"] == pytest.approx(0.1)  # max(S[A, A], S[A, B]) = max(0, 0.1)
    assert share.loc["p4", "p1"] == pytest.approx(0.2)  # max(S[A, A], S[B, A]) = max(0, 0.2)
    assert np.diag(R).tolist() == [0, 0, 0, 0]
    links = ref.reference_links(R, products, min_share=0.25).set_index(["output", "input"])["label"]
    # (output, input): p1 -> p3 is 0.3, p3 -> p1 0.8 (true); p1 -> p2 is 0.1, p4 -> p1 0.2 (false)
    assert links[("p3", "p1")] and links[("p1", "p3")]
    assert not links[("p2", "p1")] and not links[("p1", "p4")]
    assert ref.reference_links(R, products, min_share=0.1).set_index(["output", "input"]).loc[("p2", "p1"), "label"]
    assert ("p2", "p2") not in links.index and len(links) == 12  # every off-diagonal pair has a positive share


def test_use_table_with_a_bad_total_is_refused(tmp_path):
    use = pd.read_parquet(_use_table(tmp_path))
    use.loc[use["row"] == "T005", "B"] = 500.0
    use.to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(ref.ReferenceDataError, match=r"bad.parquet: column 'B': commodity rows sum to 100"):
        ref.read_use_shares(tmp_path / "bad.parquet", ["A", "B", "C"])


# --------------------------------------------------------------------------------------- scoring
def test_scoring_counts_unscorable_links_apart():
    reference = pd.DataFrame({"output": ["X", "X", "Y"], "input": ["a", "b", "a"], "share": [0.5, 0.004, 0.02]})
    scorable = ["X", "Y", "a", "b", "c"]
    links = pd.DataFrame({"output": ["X", "X", "X", "Y", "Y", "Z"], "input": ["a", "b", "u", "a", "c", "a"],
                          "rank": [1, 2, 3, 1, 2, 1]})
    per = reference_per_output(links, reference, scorable, k=3, min_share=0.01).set_index("output")
    # X: a right, b below 1%, u unscorable (no concordance). Y: a right, c not in the reference. Z unscorable.
    assert per.loc["X"].tolist() == [3, 2, 1] and per.loc["Y"].tolist() == [2, 2, 1] and per.loc["Z", "scored"] == 0
    s = summarise_per_output(per.reset_index(), k=3)
    assert s == {"precision": 0.5, "at_least_1": 1.0, "at_least_2": 0.0, "all_k": 0.0, "scored_links": 4,
                 "scored_outputs": 2}
    at_half_percent = summarise_per_output(reference_per_output(links, reference, scorable, 3, 0.004), 3)
    assert at_half_percent["precision"] == 0.75 and at_half_percent["at_least_2"] == 0.5


def test_random_expectation_is_hypergeometric():
    # universe of 5 scorable products; output X has 2 true inputs among its 4 candidates, Y none
    reference = pd.DataFrame({"output": ["X", "X", "X", "Y"], "input": ["a", "b", "c", "X"],
                              "share": [0.5, 0.2, 0.001, 0.001]})
    per = random_per_output(["X", "Y", "a", "b", "c"], reference, ["X", "Y", "a", "b", "c"], k=2, min_share=0.01)
    x = per.set_index("output").loc["X"]
    assert x["candidates"] == 4 and x["true"] == 2 and x["precision"] == 0.5
    assert x["p_at_least_1"] == pytest.approx(1 - 1 / 6)  # both drawn wrong: C(2,2)/C(4,2) = 1/6
    assert x["p_at_least_2"] == pytest.approx(1 / 6)
    assert per.set_index("output").loc["Y", "p_at_least_1"] == 0
    assert x["p_at_least_1"] == pytest.approx(hypergeom.sf(0, 4, 2, 2))


def test_ranked_orders_by_weight_then_pvalue_else_unordered():
    w = ranked(pd.DataFrame({"output": ["X", "X", "X"], "input": ["a", "b", "c"], "weight": [0.1, 0.7, 0.1]}))
    assert w["rank"].tolist() == [2, 1, 3]
    p = ranked(pd.DataFrame({"output": ["X", "X"], "input": ["a", "b"], "pvalue": [0.2, 0.01]}))
    assert p["rank"].tolist() == [2, 1]
    assert ranked(pd.DataFrame({"output": ["X"], "input": ["a"]}))["rank"].tolist() == [1]


# -------------------------------------------------------------------------------------------- end use
def test_end_use_classes_majority_and_ties():
    bec = pd.DataFrame({"HS_6d": ["870310", "870321", "870390", "840710", "840790", "720110"],
                        "BEC4_3d": ["510", "510", "522", "420", "410", "220"]})
    classes = ref.end_use_classes(bec, 4).set_index("product")["end_use"]
    # 8703: two passenger-car codes (mixed) beat one non-industrial vehicle (consumption); 8407: a tie.
    assert classes.to_dict() == {"7201": "intermediate", "8407": "mixed", "8703": "mixed"}


def test_end_use_levels_on_a_chain():
    # ore -> steel -> car: levels 1, 2, 3; the gap consumption - intermediate is 3 - 1.5
    links = pd.DataFrame({"output": ["steel", "car"], "input": ["ore", "steel"], "weight": [1.0, 2.0]})
    classes = pd.Series({"ore": "intermediate", "steel": "intermediate", "car": "consumption"})
    table = ref.end_use_levels(links, classes).set_index("end_use")
    assert table["mean_level"].to_dict() == pytest.approx({"intermediate": 1.5, "consumption": 3.0})
    assert table["gap"].iloc[0] == pytest.approx(1.5) and table["coherence"].iloc[0] == pytest.approx(1.0)
    weighted = ref.end_use_levels(links, classes, weight="weight").set_index("end_use")
    assert weighted["mean_level"].to_dict() == pytest.approx({"intermediate": 1.5, "consumption": 3.0})


def test_cross_commodity_labels_leave_the_own_commodity_cell_out():
    # Industries A, B, C buy 100 each: S[., A] = (0.70, 0.30, 0), S[., B] = (0.05, 0.90, 0.05),
    # S[., C] = (0.02, 0.50, 0.48). s1 and s2 are two products of commodity A (two steel products); s3 = {B};
    # s4 = {B, C}.
    shares = pd.DataFrame({"A": [0.70, 0.30, 0.0], "B": [0.05, 0.90, 0.05], "C": [0.02, 0.50, 0.48]},
                          index=["A", "B", "C"])
    pairs = pd.DataFrame({"product": ["s1", "s2", "s3", "s4", "s4"], "bea": ["A", "A", "B", "B", "C"]})
    R, products = ref.reference_shares(pairs, shares)
    R_cross, same = ref.reference_shares(pairs, shares, own_commodity=False)
    assert list(same) == list(products) == ["s1", "s2", "s3", "s4"]
    share = pd.DataFrame(R, index=products, columns=products)  # share.loc[q, p] = share(q -> p)
    cross = pd.DataFrame(R_cross, index=products, columns=products)
    assert share.loc["s1", "s2"] == pytest.approx(0.70) and cross.loc["s1", "s2"] == 0  # only S[A, A]
    assert share.loc["s3", "s4"] == pytest.approx(0.90)  # max(S[B, B], S[B, C])
    assert cross.loc["s3", "s4"] == pytest.approx(0.50)  # S[B, C] without S[B, B]
    assert share.loc["s4", "s3"] == pytest.approx(0.90)  # max(S[B, B], S[C, B])
    assert cross.loc["s4", "s3"] == pytest.approx(0.05)  # S[C, B]
    assert share.loc["s3", "s1"] == cross.loc["s3", "s1"] == pytest.approx(0.30)  # S[B, A]: another industry
    assert (R_cross <= R).all()
    links = ref.reference_links(R, products, 0.1, R_cross)
    for labels, expected in (("all", {("s2", "s1"), ("s4", "s3"), ("s3", "s4"), ("s1", "s3"), ("s2", "s3"),
                                      ("s1", "s4"), ("s2", "s4"), ("s1", "s2")}),
                             ("cross_commodity", {("s4", "s3"), ("s1", "s3"), ("s2", "s3"), ("s1", "s4"),
                                                  ("s2", "s4")})):
        view = ref.labelled(links, labels)
        true = set(map(tuple, view.loc[view["share"] >= 0.1, ["output", "input"]].to_numpy()))
        assert true == expected, labels
    with pytest.raises(ValueError, match="labelling"):
        ref.labelled(links, "own")


# --------------------------------------------------------------------- the published network, real files
def test_published_network_scores_as_its_readme_states(product_truth, hs4_reference):
    d = product_truth
    reference, products = hs4_reference
    hs = pd.read_csv(data_file("hs/harmonized-system.csv"), dtype=str)["hscode"]
    atlas = pd.read_csv(data_file("hs/hs92_atlas_names.csv"), dtype=str)["code"]
    published = read_links_file(d / "kh2025_published_hs4_links.csv", goods_codes(hs, atlas), 4)
    universe = pd.unique(pd.concat([published["output"], published["input"]]))
    table, _ = reference_evaluation({"published_kh2025": published}, reference, products, universe, 3,
                                    [0.005, 0.01, 0.02])
    t = table[table["labels"] == "all"].set_index(["network", "min_share"])
    pub = t.loc[("published_kh2025", 0.01)]
    # product_truth/README.md: 0.306 over 3,483 scorable links; >= 1 correct 0.588, >= 2 0.244, all 0.064;
    # three random inputs 0.148; at 0.5% 0.364, at 2% 0.255.
    assert pub["scored_links"] == 3483
    assert pub["precision"] == pytest.approx(0.306, abs=0.005)
    assert pub["at_least_1"] == pytest.approx(0.588, abs=0.005)
    assert pub["at_least_2"] == pytest.approx(0.244, abs=0.005)
    assert pub["all_k"] == pytest.approx(0.064, abs=0.005)
    assert t.loc[("random_expected", 0.01), "precision"] == pytest.approx(0.148, abs=0.005)
    assert t.loc[("published_kh2025", 0.005), "precision"] == pytest.approx(0.364, abs=0.005)
    assert t.loc[("published_kh2025", 0.02), "precision"] == pytest.approx(0.255, abs=0.005)
    # Without the own-commodity cells of the Use table the published network scores 0.248.
    cross = table[table["labels"] == "cross_commodity"].set_index(["network", "min_share"])
    assert cross.loc[("published_kh2025", 0.01), "precision"] == pytest.approx(0.248, abs=0.005)
    assert cross.loc[("published_kh2025", 0.01), "scored_links"] == 3483


# ------------------------------------------------------------------------------- user network files
KNOWN = {"8703", "8708", "8407", "4011", "0101"}


@pytest.mark.parametrize("text, message", [
    ("output,source\n8703,8708\n", r"net.csv: missing column\(s\) \['input'\]"),
    ("output,input\n", "net.csv: no links"),
    ("output,input\n8703,8708\n8703,9999\n", r"net.csv: column 'input': unknown HS code at row 2 \('9999'\)"),
    ("output,input\n8703,8708\n870321,8708\n", r"column 'output': not an HS code of 4 digits at row 2 \('870321'\)"),
    ("output,input\n8703,8708\n101,8708\n", r"column 'output': not an HS code of 4 digits at row 2 \('101'\)"),
    ("output,input,weight\n8703,8708,0.5\n8703,8407,-1\n", r"column 'weight': not a finite number >= 0 at row 2"),
    ("output,input,rank\n8703,8708,1\n8703,8407,1.5\n", r"column 'rank': not an integer >= 1 at row 2"),
    ("output,input\n8703,8708\n8703,8407\n8703,8708\n", r"column 'output/input': duplicate link at row 3"),
])
def test_bad_network_files_name_file_row_and_column(tmp_path, text, message):
    path = tmp_path / "net.csv"
    path.write_text(text)
    with pytest.raises(LinksDataError, match=message):
        read_links_file(path, KNOWN, 4)


def test_network_file_canonical_form(tmp_path):
    path = tmp_path / "net.csv"
    path.write_text("output,input,weight,comment\n8703,8708,0.2,x\n8703,8407,0.5,y\n0101,4011,1,z\n")
    links = read_links_file(path, KNOWN, 4)
    assert links.values.tolist() == [["0101", "4011", 1, 1.0], ["8703", "8407", 1, 0.5], ["8703", "8708", 2, 0.2]]
    pq = tmp_path / "net.parquet"
    pd.DataFrame({"output": [8703], "input": [8708]}).to_parquet(pq)
    with pytest.raises(LinksDataError, match="HS codes must be text"):
        read_links_file(pq, KNOWN, 4)


# ------------------------------------------------------------------------------------------- retrieval
def test_retrieve_copies_from_mirror_checks_sha_and_explains_absence(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "t.csv").write_text("a\n1\n")
    sha = retrieve("t.csv", tmp_path / "out" / "t.csv", mirror, None)
    assert (tmp_path / "out" / "t.csv").read_text() == "a\n1\n" and len(sha) == 64
    with pytest.raises(RetrieveError, match="does not match the pinned"):
        retrieve("t.csv", tmp_path / "out2" / "t.csv", mirror, None, sha256="0" * 64)
    assert not (tmp_path / "out2" / "t.csv").exists() and list((tmp_path / "out2").iterdir()) == []
    with pytest.raises(RetrieveError, match="not in the data mirror .* no URL configured. Source: somewhere"):
        retrieve("u.csv", tmp_path / "out" / "u.csv", mirror, None, source="somewhere")
    url = (mirror / "t.csv").as_uri()  # a URL download (file://), as from a server
    assert retrieve("t.csv", tmp_path / "out3" / "t.csv", None, url, sha256=sha) == sha


def test_every_configured_data_set_is_pinned_to_the_mirror_bytes(tmp_path):
    """The default config's data sets (rule retrieve_data) come out of the mirror with their pinned sha256."""
    import yaml

    if not MIRROR.is_dir():
        pytest.skip(f"no data mirror at {MIRROR}")

    files = data_files(yaml.safe_load((ROOT / "config" / "config.default.yaml").read_text())["data"])
    assert set(files) >= {
        "hs/harmonized-system.csv", "hs/sections.csv", "hs/hs92_atlas_names.csv", "world2017/pci_hs4_2017.csv",
        "world2017/exports_country_hs4_2017.parquet", "wiod2013/wiot_2011.parquet", "concordance/hs_isic3.csv",
        "concordance/hs_isic4.csv", "wiod2016_niot/USA_NIOT_nov16.csv"}
    for path, d in files.items():
        got = retrieve(d["name"], tmp_path / path, MIRROR / d["folder"], None, sha256=d["sha256"])
        assert got == d["sha256"]


@pytest.fixture
def flaky_server(tmp_path):
    """A localhost HTTP server over ``tmp_path/www`` that answers 503 to the first request of each file."""
    import functools
    import http.server
    import threading

    root = tmp_path / "www"
    root.mkdir()
    seen = set()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            if self.path not in seen:
                seen.add(self.path)
                self.send_error(503, "try again")
                return
            super().do_GET()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_download_retries_converts_r_data_and_checks_the_download(tmp_path, flaky_server, monkeypatch):
    import hashlib

    import rdata

    import valuechain.glue.retrieve as r

    monkeypatch.setattr(r.time, "sleep", lambda s: None)  # no real back-off in a test
    root, base = flaky_server
    table = pd.DataFrame({"A": [1.0, 2.0], "NA": [3.0, 4.0]}, index=pd.Index(["A", "T005"], dtype=object))
    rdata.write_rda(root / "use.rda", {"Use": table})
    raw_sha = hashlib.sha256((root / "use.rda").read_bytes()).hexdigest()
    convert = {"from": "rdata", "object": "Use", "rownames": "row", "rename": {"NA": "T004_total_final_uses"}}
    dest = tmp_path / "out" / "use.parquet"
    retrieve("use.parquet", dest, None, f"{base}/use.rda", url_sha256=raw_sha, convert=convert)
    got = pd.read_parquet(dest)
    assert list(got.columns) == ["row", "A", "T004_total_final_uses"] and got["row"].tolist() == ["A", "T005"]
    assert got["A"].tolist() == [1.0, 2.0]
    with pytest.raises(RetrieveError, match="does not match the pinned url_sha256"):
        retrieve("use2.parquet", tmp_path / "out" / "use2.parquet", None, f"{base}/use.rda", url_sha256="0" * 64,
                 convert=convert)
    with pytest.raises(RetrieveError, match="download failed after 2 attempt\\(s\\) \\(File not found\\); check the URL"):
        retrieve("gone.csv", tmp_path / "out" / "gone.csv", None, f"{base}/gone.csv")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["use.parquet"]  # nothing half-written


def test_a_wiod_table_in_r_data_becomes_the_mirror_layout(tmp_path):
    """The R package wiod's list (2 countries x 2 industries here) is laid out as the mirror's Parquet: rows and
    intermediate columns CCC_cN country-major, each economy's five final uses in WIOD's order, then GO."""
    import rdata

    from valuechain.icio.tables import read_wiod

    inter = np.array([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]], dtype=np.int32)
    final = np.arange(40, dtype=np.int32).reshape(4, 10) - 3  # a negative inventory change in row 0
    output = inter.sum(axis=1) + final.sum(axis=1)
    wiot = {"year": np.array([2000], dtype=np.int32), "countries": np.array(["AAA", "RoW"]),
            "industries": np.array(["c1", "c2"]), "inter": inter, "final": final, "output": output}
    rdata.write_rda(tmp_path / "wiot_2000.RData", {"wiot_2000": wiot})
    url = (tmp_path / "wiot_2000.RData").as_uri()
    dest = tmp_path / "resources" / "wiot_2000.parquet"
    retrieve(dest.name, dest, None, url, convert={"from": "rdata", "object": "wiot_2000", "layout": "wiod"})
    got = pd.read_parquet(dest)
    assert got.index.name == "row" and got.index.tolist() == ["AAA_c1", "AAA_c2", "RoW_c1", "RoW_c2"]
    assert got.columns.tolist() == ["AAA_c1", "AAA_c2", "RoW_c1", "RoW_c2", "AAA_HFCE", "AAA_NPISH", "AAA_GGFC",
                                    "AAA_GFCF", "AAA_INVNT", "RoW_HFCE", "RoW_NPISH", "RoW_GGFC", "RoW_GFCF",
                                    "RoW_INVNT", "GO"]
    assert got.loc["RoW_c1", "AAA_c2"] == 10 and got.loc["AAA_c1", "AAA_HFCE"] == -3
    assert got.loc["AAA_c2", "RoW_INVNT"] == 16 and got["GO"].tolist() == output.tolist()
    assert (got.dtypes == "int64").all()
    table = read_wiod(dest)  # the reader of the mirror's files takes it as it is
    assert np.allclose(table.x, output)

    wiot["final"] = final[:, :8]  # one economy's final uses missing
    rdata.write_rda(tmp_path / "bad.RData", {"wiot_2000": wiot})
    with pytest.raises(RetrieveError, match=r"wiot_2000: final has shape \(4, 8\), expected \(4, 10\) for 2 countries"):
        retrieve("bad.parquet", tmp_path / "resources" / "bad.parquet", None, (tmp_path / "bad.RData").as_uri(),
                 convert={"from": "rdata", "object": "wiot_2000", "layout": "wiod"})
    assert not (tmp_path / "resources" / "bad.parquet").exists()


def test_an_element_of_an_r_list_with_missing_values_dropped(tmp_path):
    """economiccomplexity's layouts: a data frame inside a list (PCI), missing export values dropped (exports)."""
    import rdata

    measures = {"product_complexity_index": pd.DataFrame({"product": pd.Categorical(["2812", "0101"]),
                                                          "value": [2.5, -1.25]}, index=pd.RangeIndex(1, 3))}
    trade = pd.DataFrame({"reporter_iso": pd.Categorical(["afg", "afg", "ago"]), "value": [np.nan, 7.0, 3.0]},
                         index=pd.RangeIndex(1, 4))
    rdata.write_rda(tmp_path / "m.rda", {"measures": measures, "trade": trade})
    url = (tmp_path / "m.rda").as_uri()
    pci = {"from": "rdata", "object": "measures", "element": "product_complexity_index",
           "rename": {"product": "hs4", "value": "pci"}}
    retrieve("pci.csv", tmp_path / "pci.csv", None, url, convert=pci)
    assert (tmp_path / "pci.csv").read_text() == "hs4,pci\n2812,2.5\n0101,-1.25\n"
    retrieve("e.parquet", tmp_path / "e.parquet", None, url,
             convert={"from": "rdata", "object": "trade", "rename": {"reporter_iso": "country"}, "dropna": ["value"]})
    got = pd.read_parquet(tmp_path / "e.parquet")
    assert got["country"].astype(str).tolist() == ["afg", "ago"] and got["value"].tolist() == [7.0, 3.0]
    with pytest.raises(RetrieveError, match="measures has no element 'eci'"):
        retrieve("x.csv", tmp_path / "x.csv", None, url, convert={**pci, "element": "eci"})
    with pytest.raises(RetrieveError, match="measures is a dict, not a data frame; give its element or layout"):
        retrieve("x.csv", tmp_path / "x.csv", None, url, convert={"from": "rdata", "object": "measures"})


# ------------------------------------------------------------------------------------ demo planting
def test_demo_plants_inputs_from_the_reference_pool():
    products = pd.DataFrame({"hs": ["0001", "0002", "0003", "0004", "0005", "8703"]})
    # 8703's reference inputs: 0001 (0.5), 0002 (0.3), 0003 (0.1), 0004 (0.05); 0005 none.
    reference = pd.DataFrame({"output": ["8703"] * 4 + ["0002"], "input": ["0001", "0002", "0003", "0004", "0001"],
                              "share": [0.5, 0.3, 0.1, 0.05, 0.2]})
    counts = pd.Series(0, index=["0001", "0002", "0003", "0004"])
    for seed in range(200):
        links = plant_links(products, reference, 2, 2, pool=3, rng=np.random.default_rng(seed))
        car = links[links["output"] == "8703"]
        assert len(car) == 2 and set(car["input"]) <= {"0001", "0002", "0003"}  # the 3 largest shares only
        assert car["share"].sum() == pytest.approx(1.0)
        counts[car["input"]] += 1
        # 0002 has one reference input: it gets one; products with none get none
        assert links[links["output"] == "0002"]["input"].tolist() == ["0001"]
        assert set(links["output"]) == {"8703", "0002"}
    assert counts["0001"] > counts["0002"] > counts["0003"] > 0 and counts["0004"] == 0


def test_the_published_results_become_codes_ranked_as_published(tmp_path):
    """The authors' file names the three inputs of each product in rank order; the project's name table gives their
    codes (two names of 8428 both 8428, their rows in the published order); a name the table lacks is refused."""
    results = tmp_path / "df_hs4_results.csv"
    results.write_text('export,import 1,import 2,import 3\nCars,Engines,"Tyres, new",Lifting Machinery\n'
                       'Lifting Machinery,Engines,Cars,"Cranes, hoists and lifts"\n'
                       '"Cranes, hoists and lifts",Engines,Cars,"Tyres, new"\n')
    names = tmp_path / "names.csv"
    names.write_text('name,hs4\nCars,8703\nEngines,8407\n"Tyres, new",4011\nLifting Machinery,8428\n'
                     '"Cranes, hoists and lifts",8428\n')
    out = tmp_path / "published.csv"
    r.convert_csv(results, out, {"from": "csv", "layout": "published_network", "names": str(names)})
    assert out.read_text().splitlines() == [
        "output,input,rank,output_name,input_name",
        "8428,8407,1,Lifting Machinery,Engines", "8428,8407,1,\"Cranes, hoists and lifts\",Engines",
        "8428,8703,2,Lifting Machinery,Cars", "8428,8703,2,\"Cranes, hoists and lifts\",Cars",
        "8428,8428,3,Lifting Machinery,\"Cranes, hoists and lifts\"", "8428,4011,3,\"Cranes, hoists and lifts\",\"Tyres, new\"",
        "8703,8407,1,Cars,Engines", "8703,4011,2,Cars,\"Tyres, new\"", "8703,8428,3,Cars,Lifting Machinery"]
    names.write_text("name,hs4\nCars,8703\n")
    with pytest.raises(ValueError, match="published product names without an HS4 code in the name table: "
                                         r"\['Cranes, hoists and lifts', 'Engines'"):
        r.convert_csv(results, out, {"from": "csv", "layout": "published_network", "names": str(names)})


def test_a_csv_download_keeps_the_chosen_columns_cell_for_cell(tmp_path):
    """Every cell copied as text: codes keep their leading zeros, floats their digits, empty cells stay empty."""
    raw = tmp_path / "atlas.csv"
    raw.write_text('"","code","name_en","parent_id","extra"\n"1","0101","Horses","100.0","x"\n"2","XXXX","",,"y"\n')
    out = tmp_path / "names.csv"
    r.convert_csv(raw, out, {"from": "csv", "columns": ["code", "name_en", "parent_id"]})
    assert out.read_text() == "code,name_en,parent_id\n0101,Horses,100.0\nXXXX,,\n"
    with pytest.raises(RetrieveError, match=r"missing column\(s\) \['level'\]"):
        r.convert_csv(raw, out, {"from": "csv", "columns": ["code", "level"]})
