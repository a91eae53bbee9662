"""The value-chain explorer: its data summaries worked by hand, and the page of the default run driven in a real
headless Chromium (Debian's chromium and chromium-driver, which .ci/run installs). Screenshots are kept in
test-artifacts/explorer/ (or $VALUECHAIN_TEST_ARTIFACTS)."""

import io
import json
import os
import shutil
import subprocess
import sys
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from readme_blocks import ROOT

from valuechain.outputs import explorer
from valuechain.trade.canonical import country_names


# ------------------------------------------------------------------------------------------ the data
def test_top_region_flows_keep_the_first_pairs_of_each_link():
    largest = pd.DataFrame({  # as flows/largest_region_pairs.parquet orders them: by link, then decreasing value
        "input": ["4011"] * 3 + ["8708"] * 2, "output": ["8703"] * 5,
        "region_from": ["RJ", "TX", "SP", "JS", "GD"], "value": [9.0, 9.0, 5.0, 4.0, 3.0]})
    got = explorer.top_region_flows(largest, 2)
    assert got[["input", "region_from", "value"]].values.tolist() == [
        ["4011", "RJ", 9.0], ["4011", "TX", 9.0], ["8708", "JS", 4.0], ["8708", "GD", 3.0]]
    assert explorer.top_region_flows(largest.iloc[:0], 2).empty


def test_region_trade_lists_each_regions_largest_exports_and_imports():
    rca = pd.DataFrame({"country": ["BRA"] * 3 + ["USA"] * 2, "region": ["SP"] * 3 + ["TX"] * 2,
                        "hs": ["0101", "0201", "8703", "0101", "8703"], "export": [5.0, 7.0, 0.0, 2.0, 1.0],
                        "import": [1.0, 0.0, 9.0, 0.0, 3.0], "rca_export": [1.5, 2.0, 0.0, 1.1, 0.9],
                        "rca_import": [0.5, 0.0, 3.0, 0.0, 1.2]})
    got = explorer.region_trade(rca, 1)
    assert got.values.tolist() == [["BRA", "SP", "export", "0201", 7.0, 2.0], ["USA", "TX", "export", "0101", 2.0, 1.1],
                                   ["BRA", "SP", "import", "8703", 9.0, 3.0], ["USA", "TX", "import", "8703", 3.0, 1.2]]


def test_the_page_embeds_the_payload_safely(tmp_path):
    (tmp_path / "index.html").write_text('<meta content="/*CSP*/"><style>/*STYLE*/</style><script>/*LIBRARIES*/'
                                         '</script><script id=d type="application/json">/*DATA*/</script>'
                                         "<script>/*APP*/</script>")
    (tmp_path / "explorer.css").write_text("b{}")
    (tmp_path / "explorer.js").write_text("go()")
    (tmp_path / "lib.js").write_text("var lib = '/*APP*/';")  # a marker inside inserted text is left alone
    page = explorer.render({"name": "</script><b>&", "x": None}, tmp_path, [tmp_path / "lib.js"])
    # the hashes by openssl: printf '%s' 'b{}' | openssl dgst -sha256 -binary | base64, and so on
    assert page == ('<meta content="default-src \'none\'; '
                    "script-src 'sha256-1WKMrGIF8zbusuD0Kn+K3zR52ObddoU+YweY8zfgUlk=' "
                    "'sha256-5KYv+PUboo5h+0+YAtGRPbwv5d/QxzHslP4YGnUaxRw='; "
                    "style-src 'sha256-7yqHVAesot11p6HczDsgKRipvI5UPgs97z80zNXlans='; img-src blob:; base-uri 'none'; "
                    'form-action \'none\'"><style>b{}</style><script>var lib = \'/*APP*/\';</script>'
                    '<script id=d type="application/json">{"name":"\\u003c/script\\u003e\\u003cb\\u003e\\u0026",'
                    '"x":null}</script><script>go()</script>')
    with pytest.raises(ValueError, match="not JSON compliant"):
        explorer.render({"x": float("nan")}, tmp_path, [])
    # a library that would end its element early, or open a comment, cannot be inlined
    (tmp_path / "bad.js").write_text("var s = '</script>';")
    with pytest.raises(ValueError, match=r"bad.js: holds '</script' or '<!--', so it cannot be inlined into a "
                                         r"<script> element"):
        explorer.render({}, tmp_path, [tmp_path / "lib.js", tmp_path / "bad.js"])
    (tmp_path / "explorer.css").write_text("b{}<!--")
    with pytest.raises(ValueError, match=r"explorer.css: holds '</style' or '<!--'"):
        explorer.render({}, tmp_path, [])
    (tmp_path / "explorer.css").write_text("b{}")
    (tmp_path / "index.html").write_text("<style>/*STYLE*/</style><script>/*LIBRARIES*/</script>/*DATA*//*APP*/")
    with pytest.raises(ValueError, match=r"index.html: expected one /\*CSP\*/ marker"):
        explorer.render({}, tmp_path, [])


# Strings that are markup, or close, comment out or escape the element they land in, in every context of the
# page: element text, attribute values (quoted either way), URLs, templates. Numbered to keep names distinct.
MARKUP = ("</script><script>window.__xss=1</script>", "<!--<script>", '"><img src=x onerror=window.__xss=2>',
          "' onmouseover='window.__xss=3", "]]>", "line\u2028sep\u2029para", "<svg onload=window.__xss=4>",
          "javascript:window.__xss=5", '{{constructor.constructor("window.__xss=6")()}}', "&amp;&lt;&#x3C;",
          "<script>alert(7)</script>", "</SCRIPT ><!-- -->", "100%zz/../?#x")


def markup(i: int) -> str:
    return f"{MARKUP[i % len(MARKUP)]} {i}"


def data_of(page: str) -> str:
    """The text of the page's data element, up to the first end tag an HTML parser would see."""
    return page.split('<script id="explorer-data" type="application/json">', 1)[1].split("</script", 1)[0]


TEMPLATE = ROOT / "workflow" / "explorer"


def test_markup_in_the_data_stays_inside_the_data_element(tmp_path):
    (tmp_path / "lib.js").write_text("var d3;")
    payload = {"meta": {"run": MARKUP[0]}, "names": list(MARKUP), "keys": {m: m for m in MARKUP}, "n": [1e20, -0.5]}
    page = explorer.render(payload, TEMPLATE, [tmp_path / "lib.js"])
    data = data_of(page)
    assert not set("<>&\u2028\u2029") & set(data)
    assert json.loads(data) == payload
    # three script elements, none of them from the data; the data start as the payload's JSON with escapes
    assert page.lower().count("<script") == 3 and page.count("</script>") == 3
    assert data.startswith('{"meta":{"run":"\\u003c/script\\u003e\\u003cscript\\u003ewindow.__xss=1')
    assert explorer.embed_json(["a\u2028b\u2029<!--]]>&"]) == '["a\\u2028b\\u2029\\u003c!--]]\\u003e\\u0026"]'


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.sampled_from("<>&/!-[]\u2028\u2029'\"\\ascript") | st.characters(), max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)


@pytest.mark.property
@given(JSON_VALUES)
def test_any_payload_embeds_as_json_without_a_character_the_html_parser_reads(value):
    data = explorer.embed_json(value)
    assert not set("<>&\u2028\u2029") & set(data)
    assert json.loads(data) == value


def test_whole_dollars_beyond_int64_stay_floats():
    values = pd.Series([1.4, np.nan, 1e20, -2.6, 2.0**53, 9.3e18, 2.0**53 - 1])
    got = explorer._column(values, 0)
    assert got == [1, None, 1e20, -3, 2.0**53, 9.3e18, 9007199254740991]
    assert [type(v) for v in got] == [int, type(None), float, int, float, float, int]
    assert json.dumps(got) == "[1, null, 1e+20, -3, 9007199254740992.0, 9.3e+18, 9007199254740991]"


@pytest.mark.property
@given(st.lists(st.floats(min_value=-1e30, max_value=1e30) | st.none(), max_size=20))
def test_rounded_columns_are_the_numbers_rounded(values):
    got = explorer._column(pd.Series(values, dtype=float), 0)
    expected = np.round(np.array(values, dtype=float))
    assert [v is None for v in got] == np.isnan(expected).tolist()
    assert all(v == e and (type(v) is int) == (abs(e) < 2**53) for v, e in zip(got, expected) if v is not None)
    json.dumps(got, allow_nan=False)


def hand_tables() -> dict:
    """build_payload's tables for three products, two links and one flow, small enough to check by hand."""
    flows = pd.DataFrame({"input": ["4011"], "output": ["8703"], "country_from": ["BRA"], "region_from": ["SP"],
                          "country_to": ["USA"], "region_to": ["MI"], "value": [10.4], "lower": [1.0], "upper": [20.6]})
    position = {"tl_imp": [1.2], "tl_exp": [2.0], "jump": [0.8], "nitl": [0.5], "ntj": [0.3], "diversification": [9]}
    return {
        "products": pd.DataFrame({"hs": ["4011", "8703", "8708"], "name": ["Tyres", "Cars", "Parts"],
                                  "section": ["VII", "XVII", "XVII"], "trophic_level": [1.0, 2.5, 1.5],
                                  "pci": [0.1, np.nan, 1.23456]}),
        "links": pd.DataFrame({"output": ["8703", "8703"], "input": ["8708", "4011"], "rank": [1, 2],
                               "confidence": [0.9, 0.5], "estimated_precision": [0.8123, np.nan],
                               "reference": ["true", "unscorable"], "reference_share": [0.2, np.nan],
                               "rank_bf": pd.array([3, pd.NA], dtype="Int64")}),
        "sections": pd.DataFrame({"section": ["VII", "XVII"], "section_name": ["Plastics", "Vehicles"],
                                  "n_products": [1, 2]}),
        "section_links": pd.DataFrame({"source": ["VII"], "target": ["XVII"], "n_links": [1], "weight": [0.5]}),
        "region_flows": flows, "country_flows": flows.drop(columns=["region_from", "region_to"]),
        "regions": pd.DataFrame({"country": ["USA"], "region": ["MI"], **position}),
        "countries": pd.DataFrame({"country": ["USA"], **position}),
        "trade": pd.DataFrame({"country": ["BRA"], "region": ["SP"], "flow": ["import"], "hs": ["8708"],
                               "value": [3.0], "rca": [1.5]}),
        "product_trade": pd.DataFrame({"hs": ["8708"], "flow": ["import"], "country": ["BRA"], "region": ["SP"],
                                       "value": [3.0], "rca": [1.5]}),
    }


def test_the_payload_codes_products_places_and_links():
    t = hand_tables()
    p = explorer.build_payload(meta={"run": "t"}, **t)
    assert p["links"] == {"out": [1, 1], "in": [2, 0], "rank": [1, 2], "conf": [0.9, 0.5], "prec": [0.81, None],
                          "ref": [0, 2], "share": [0.2, None], "method_ranks": {"bf": [3, None]}}
    assert p["country_names"] == ["Brazil", "United States"]
    assert p["product_trade"] == {"product": [2], "flow": [1], "place": [0], "value": [3], "rca": [1.5]}
    assert p["products"]["pci"] == [0.1, None, 1.2346]
    assert p["countries"] == ["BRA", "USA"] and p["places"] == {"country": [0, 1], "region": ["SP", "MI"],
                                                                 "name": ["São Paulo", "Michigan"]}
    assert p["region_flows"] == {"link": [1], "from": [0], "to": [1], "value": [10], "lower": [1], "upper": [21]}
    assert p["regions"]["place"] == [1] and p["trade"] == {"place": [0], "flow": [1], "product": [2], "value": [3],
                                                            "rca": [1.5]}
    json.dumps(p, allow_nan=False)
    with pytest.raises(ValueError, match="not among the explorer's products"):
        explorer.build_payload(t["products"], t["links"].assign(input=["8708", "0000"]), t["sections"],
                               t["section_links"], {})


def test_flows_beyond_int64_reach_the_page_and_an_infinite_one_is_named():
    t = hand_tables()
    t["region_flows"] = t["region_flows"].assign(value=[1e20], lower=[9.3e18], upper=[2.5e20])
    p = explorer.build_payload(meta={}, **t)
    assert p["region_flows"]["value"] == [1e20] and p["region_flows"]["lower"] == [9.3e18]
    assert '"value":[1e+20],"lower":[9.3e+18],"upper":[2.5e+20]' in explorer.embed_json(p)
    t["country_flows"] = t["country_flows"].assign(upper=[np.inf])
    with pytest.raises(ValueError, match=r"explorer: table country_flows, column 'upper': 1 infinite value\(s\), "
                                         r"the first at row 1 of 1; JSON has none, .* check the trade file's "
                                         r"'value' column"):
        explorer.build_payload(meta={}, **t)


def empty_run(t: dict, products: list[str]) -> dict:
    """``t`` as a run where no link passed: no links, no flows, every product at level 1, places without
    trophic position; only ``products`` kept."""
    keep = t["products"]["hs"].isin(products)
    none = {name: t[name].iloc[:0] for name in ("links", "section_links", "region_flows", "country_flows", "regions")}
    return {**t, **none, "products": t["products"][keep].assign(trophic_level=1.0),
            "trade": t["trade"][t["trade"]["hs"].isin(products)],
            "product_trade": t["product_trade"][t["product_trade"]["hs"].isin(products)]}


@pytest.mark.parametrize("products", [["4011", "8703", "8708"], ["8708"]], ids=["no_links", "one_product"])
def test_a_run_without_links_gives_a_page(products, tmp_path):
    t = empty_run(hand_tables(), products)
    p = explorer.build_payload(meta={"run": "empty"}, **t)
    assert p["links"] == {"out": [], "in": [], "rank": [], "conf": [], "prec": [], "ref": [], "share": [],
                          "method_ranks": {"bf": []}}
    assert p["products"]["hs"] == products and p["products"]["level"] == [1.0] * len(products)
    assert p["region_flows"] == {"link": [], "from": [], "to": [], "value": [], "lower": [], "upper": []}
    assert p["regions"]["place"] == [] and p["places"] == {"country": [0], "region": ["SP"], "name": ["São Paulo"]}
    assert p["trade"]["product"] == [products.index("8708")]
    (tmp_path / "lib.js").write_text("var d3;")
    assert json.loads(data_of(explorer.render(p, TEMPLATE, [tmp_path / "lib.js"]))) == p


# ----------------------------------------------------------------------------------- in a real browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(os.environ.get("VALUECHAIN_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "explorer"


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("no Chromium here: install Debian's chromium and chromium-driver (.ci/run does)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # headless as root, and no background connections (this machine's network is closed to them)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def wait_for(driver, script: str, timeout: float = 20.0):
    """Poll ``script`` (a JavaScript expression) until it is truthy; its value."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = driver.execute_script(f"return {script}")
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {script}")


def downloaded(browser, folder: Path, button, name: str) -> bytes:
    """Click a download ``button`` with downloads going to ``folder``; the bytes of the file ``name`` saved."""
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)})
    target = folder / name
    target.unlink(missing_ok=True)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)  # clear of the sticky header
    button.click()
    end = time.monotonic() + 20
    while time.monotonic() < end:
        if target.is_file() and target.stat().st_size and not list(folder.glob("*.crdownload")):
            return target.read_bytes()
        time.sleep(0.05)
    raise AssertionError(f"{name} was not downloaded")


def chain(links: pd.DataFrame, root: str, depth: int, downstream: bool) -> set[str]:
    """The products within ``depth`` links of ``root``, upstream (inputs) or downstream (products fed)."""
    seen, frontier = {root}, {root}
    near, far = ("input", "output") if downstream else ("output", "input")
    for _ in range(depth):
        frontier = set(links.loc[links[near].isin(frontier), far]) - seen
        seen |= frontier
    return seen


@pytest.mark.workflow
def test_the_explorer_of_the_default_run_in_chromium(demo, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    from valuechain.outputs.search import find_products

    run = demo / "results" / "demo"
    page = run / "explorer" / "index.html"
    size_mb = page.stat().st_size / 1e6
    start = time.monotonic()
    browser.get(page.as_uri())  # from disk, as a double click opens it
    wait_for(browser, "window.explorerReady === true")
    load = time.monotonic() - start
    print(f"explorer: {size_mb:.2f} MB, ready {load:.2f} s after the page was asked for")
    assert wait_for(browser, "document.body.dataset.page") == "overview"
    sections = pd.read_parquet(run / "analysis" / "section_nodes.parquet")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#sections circle")) == len(sections)
    labels = texts(browser, "#sections g > g > text")
    assert all(label.split(" ", 1)[0] in set(sections["section"]) and " " in label for label in labels)
    assert all(not label.endswith("…") or label[:-1] == label[:-1].rstrip() for label in labels)  # whole words
    methods = pd.read_parquet(run / "evaluation" / "methods.parquet")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#methods-table tbody tr")) == len(methods)
    # a table sorts by a click on its header, and saves as CSV what it shows
    levels = pd.read_parquet(run / "analysis" / "trophic_levels.parquet").sort_values(["trophic_level", "hs"])
    header = browser.find_elements(By.CSS_SELECTOR, "#upstream-table th")[1]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", header)
    header.click()  # a number column sorts from the largest
    shown = [float(v) for v in texts(browser, "#upstream-table tbody td:nth-child(2)")]
    assert shown == sorted(shown, reverse=True) and header.get_attribute("aria-sort") == "descending"
    csv = downloaded(browser, tmp_path, browser.find_element(By.CSS_SELECTOR, "button[data-table='upstream-table']"),
                     "upstream-table.csv")
    table = pd.read_csv(io.BytesIO(csv))
    assert list(table.columns) == ["product", "level"] and len(table) == 8
    assert table["level"].tolist() == pytest.approx(sorted(levels["trophic_level"].head(8), reverse=True), abs=5e-5)
    svg = downloaded(browser, tmp_path, browser.find_elements(By.CSS_SELECTOR, "button[data-drawing='sections']")[0],
                     "sections.svg")
    assert svg.startswith(b"<svg") and svg.count(b"<circle") == len(sections)
    png = downloaded(browser, tmp_path, browser.find_elements(By.CSS_SELECTOR, "button[data-drawing='sections']")[1],
                     "sections.png")
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    browser.get(page.as_uri())
    wait_for(browser, "window.explorerReady === true && document.body.dataset.page === 'overview'")
    browser.save_screenshot(str(ARTIFACTS / "overview.png"))

    # search finds what people type, ranked as valuechain.outputs.search ranks it
    names = levels.set_index("hs")["name"].sort_index()
    for query in ("tyres", "vehicle parts", "chips", "copper unrefined", "cars", "phones", "iron flat rolled"):
        expected = find_products(query, names)
        got = browser.execute_script("return window.explorerSearch(arguments[0])", query)
        assert [hs for hs, _ in got] == expected["hs"].tolist(), query
        assert [score for _, score in got] == pytest.approx(expected["score"].tolist()), query
    search = browser.find_element(By.ID, "search")
    search.send_keys("tyres")
    assert texts(browser, "#suggestions li")[:len(find_products("tyres", names))] == [
        f"{hs} {name}" for hs, name in find_products("tyres", names)[["hs", "name"]].values]
    search.clear()

    # Search 8703: its inputs are the run's links, in rank order, each with its evidence
    search.send_keys("8703")
    search.send_keys(Keys.ENTER)
    wait_for(browser, "document.body.dataset.page === 'product'")
    assert browser.find_element(By.ID, "product-title").text.startswith("8703")
    links = pd.read_parquet(run / "links" / "annotated.parquet")
    mine = links[links["output"] == "8703"].sort_values("rank")
    shown = [row.get_attribute("data-hs") for row in
             browser.find_elements(By.CSS_SELECTOR, "#inputs-table tbody tr")]
    assert shown == mine["input"].tolist() and len(shown) == 3
    assert texts(browser, "#inputs-table tbody td:nth-child(3)") == [f"{v:.2f}" for v in mine["estimated_precision"].round(2)]
    assert [e.get_attribute("data-ref") for e in browser.find_elements(
        By.CSS_SELECTOR, "#inputs-table tbody [data-ref]")] == mine["reference"].tolist()
    fed = links[links["input"] == "8703"]
    assert sorted(r.get_attribute("data-hs") for r in browser.find_elements(
        By.CSS_SELECTOR, "#uses-table tbody tr")) == sorted(fed["output"])
    # the link methods side by side: each compared method's rank of each input
    side = browser.find_elements(By.CSS_SELECTOR, "#methods-side-table th")
    ranks = [c for c in links.columns if c.startswith("rank_")]
    assert len(side) == 2 + len(ranks) and side[2].text == "Backward & Forward"
    first = texts(browser, "#methods-side-table tbody tr:first-child td")[2:]
    assert first == ["–" if pd.isna(mine[c].iloc[0]) else str(mine[c].iloc[0]) for c in ranks]
    # the layered graph holds the product, its inputs and theirs (depth 2); downstream, what it feeds and theirs
    nodes = len(browser.find_elements(By.CSS_SELECTOR, "#layers .node"))
    assert nodes == len(chain(links, "8703", 2, downstream=False))
    Select(browser.find_element(By.ID, "direction")).select_by_value("downstream")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#layers .node")) == len(chain(links, "8703", 2, True))
    Select(browser.find_element(By.ID, "direction")).select_by_value("upstream")
    # who trades it: its largest exporters, from the run's RCA table
    rca = pd.read_parquet(run / "rca" / "outer" / "rca.parquet")
    top = rca[(rca["hs"] == "8703") & (rca["export"] > 0)].sort_values(["export", "country", "region"],
                                                                       ascending=[False, True, True])
    exporters = texts(browser, "#product-exporters-table tbody td:first-child")
    assert exporters[0].endswith(f" {top['region'].iloc[0]}") and len(exporters) == min(8, len(top))
    # the flows say how sure the links are
    assert texts(browser, "#link-evidence")[0].startswith("3 input links: ")
    Select(browser.find_element(By.ID, "flow-link")).select_by_index(1)
    first = mine.iloc[0]
    assert texts(browser, "#link-evidence")[0].startswith(
        f"Link {first['input']} → 8703: estimated precision {round(first['estimated_precision'], 2):.2f}")
    assert browser.find_elements(By.CSS_SELECTOR, "#sankey path") and set(
        texts(browser, "#flows-table tbody td:nth-child(8)")) <= {"✓ in the reference", "✗ not in the reference",
                                                                 "– not scorable"}
    Select(browser.find_element(By.ID, "flow-link")).select_by_index(0)
    browser.execute_script("window.scrollTo(0, 0)")  # the page's top, as docs/explorer.md shows it
    browser.save_screenshot(str(ARTIFACTS / "product_8703.png"))

    # a product with an input the reference rejects says so above its tables and marks the row
    rejected = links[links["reference"] == "false"].iloc[0]
    browser.execute_script("location.hash = '#/product/' + arguments[0]", rejected["output"])
    wait_for(browser, f"document.getElementById('product-title').textContent.startsWith('{rejected['output']}')")
    assert "not links of the product reference" in texts(browser, "#rejected-inputs")[0]
    assert browser.find_elements(By.CSS_SELECTOR, f"#inputs-table tr.link-false[data-hs='{rejected['input']}']")

    # an address the page cannot show says so
    for address, why in (("#/product/0000", "this run has no product 0000"), ("#/nowhere", "no such page"),
                         ("#/region/XXX/YY", "this run has no region YY of XXX")):
        browser.execute_script("location.hash = arguments[0]", address)
        wait_for(browser, "document.body.dataset.page === 'not-found'")
        assert why in texts(browser, "#main p")[0]
        browser.execute_script("location.hash = '#/'")
        wait_for(browser, "document.body.dataset.page === 'overview'")

    # A region's page: its trophic position as the run computed it, its country by name
    regions = pd.read_parquet(run / "analysis" / "trophic_position_regions.parquet")
    first = regions.sort_values(["country", "region"]).iloc[0]
    browser.get(page.as_uri() + "#/regions")
    wait_for(browser, "document.body.dataset.page === 'regions'")
    assert "Brazil" in texts(browser, "#countries-table tbody td:first-child")
    browser.find_element(By.CSS_SELECTOR, "#regions-table tbody tr").click()
    wait_for(browser, "document.body.dataset.page === 'region'")
    assert browser.find_element(By.ID, "region-title").text == f"Brazil {first['region']}" and first["country"] == "BRA"
    cells = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "#position-table tbody td")]
    assert cells[3] == f"{first['nitl']:.3f}" and cells[5] == str(first["diversification"])
    assert len(browser.find_elements(By.CSS_SELECTOR, "#scatter circle")) == regions[["nitl", "ntj"]].notna().all(
        axis=1).sum()
    browser.save_screenshot(str(ARTIFACTS / "region.png"))
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


# ------------------------------------------------------------------- markup in the data, in a real browser
SMALL = [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "config/test/small.yaml"]
LIBRARIES = ("d3/dist/d3.min.js", "d3-sankey/dist/d3-sankey.min.js")
# Run before any page script: a payload that runs sets window.__xss or calls alert; a CSP violation is recorded.
HOOK = """window.__alerts = []; window.__csp = [];
for (const f of ["alert", "confirm", "prompt"]) window[f] = m => { window.__alerts.push(String(m)); };
document.addEventListener("securitypolicyviolation",
  e => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));"""


def snakemake(work, *args):
    proc = subprocess.run([*SMALL, *args], cwd=work, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"snakemake {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"


@pytest.fixture(scope="module")
def markup_run(work, tmp_path_factory) -> Path:
    """A run through the workflow (rule build_explorer included) of a trade CSV whose every region is named with
    markup: the small test world with B&F links only, so that beyond the shared stages only the run's own
    stages are computed."""
    snakemake(work, "--config", "run=test-markup-source", "--", "results/test-markup-source/data/trade.parquet")
    trade = pd.read_parquet(work / "results/test-markup-source/data/trade.parquet")
    place, n = pd.factorize(pd.MultiIndex.from_frame(trade[["country", "region"]].astype(str)))
    trade["region"] = np.array([markup(i) for i in range(len(n))], dtype=object)[place]
    folder = tmp_path_factory.mktemp("markup")
    trade.to_csv(folder / "trade.csv", index=False)
    override = folder / "markup.yaml"
    override.write_text(json.dumps({"run": "test-markup", "trade": str(folder / "trade.csv"),
                                    "rca": {"reconcile": "outer", "compare_reconcile": False},
                                    "links": {"method": "bf", "compare": ["bf"]}}))
    snakemake(work, "--configfile", "config/test/small.yaml", str(override), "--",
              "results/test-markup/explorer/index.html")
    return work / "results" / "test-markup"


@pytest.fixture(scope="module")
def markup_tables(markup_run) -> dict:
    """The markup run's tables as rule build_explorer reads them."""
    run, work = markup_run, markup_run.parents[1]
    inputs = {"links": run / "links/annotated.parquet", "levels": run / "analysis/trophic_levels.parquet",
              "hs": work / "resources/hs/harmonized-system.csv", "sections": work / "resources/hs/sections.csv",
              "reference_evaluation": run / "evaluation/reference.parquet",
              "section_nodes": run / "analysis/extended_section_nodes.parquet",
              "section_links": run / "analysis/extended_sections.parquet",
              "nodes": run / "analysis/extended_nodes.parquet", "methods": run / "evaluation/methods.parquet",
              "rca": run / "rca/outer/rca.parquet", "flows": run / "flows/largest_region_pairs.parquet",
              "country_flows": run / "flows/largest_country_pairs.parquet",
              "regions": run / "analysis/trophic_position_regions.parquet",
              "countries": run / "analysis/trophic_position_countries.parquet"}
    return explorer.read_run(inputs, top_flows=3, top_country_flows=5, top_trade=3, min_share=0.01)


@pytest.fixture
def hooked(browser):
    """The browser with :data:`HOOK` run first in every page, and its log emptied."""
    hook = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HOOK})["identifier"]
    browser.get_log("browser")
    yield browser
    browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": hook})


def open_page(browser, page: Path) -> None:
    browser.get(page.as_uri())
    wait_for(browser, "window.explorerReady === true")


def assert_nothing_ran(browser):
    """No script from the data ran, no element carries an event handler, no image or frame was made, the
    policy was never violated, and the browser logged no error."""
    state = browser.execute_script("""return {
        xss: window.__xss === undefined ? null : String(window.__xss), alerts: window.__alerts, csp: window.__csp,
        handlers: [...document.querySelectorAll("*")].flatMap(e => [...e.attributes]
          .filter(a => a.name.startsWith("on")).map(a => `${e.tagName} ${a.name}`)),
        embedded: document.querySelectorAll("img, iframe, object, embed, foreignObject").length,
        scripts: document.scripts.length, loading: document.body.dataset.page === "loading"}""")
    assert state == {"xss": None, "alerts": [], "csp": [], "handlers": [], "embedded": 0, "scripts": 3,
                     "loading": False}
    log = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" or "Content Security Policy" in e["message"]]
    assert not log, log


def texts(browser, selector: str) -> list[str]:
    return browser.execute_script("return [...document.querySelectorAll(arguments[0])].map(e => e.textContent)",
                                  selector)


@pytest.mark.workflow
def test_markup_region_names_run_through_the_workflow_as_text(markup_run, hooked):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    browser, page = hooked, markup_run / "explorer" / "index.html"
    regions = pd.read_parquet(markup_run / "analysis" / "trophic_position_regions.parquet")
    trade = pd.read_parquet(markup_run / "data" / "trade.parquet")
    # a place as the page names it: its country's name, then the region as the data name it
    names = country_names(pd.concat([regions["country"], trade["country"]]).astype(str))
    labels = sorted(regions["country"].astype(str).map(names) + " " + regions["region"].astype(str))
    places = set(trade["country"].astype(str).map(names) + " " + trade["region"].astype(str))
    # one region of each payload (as ingestion normalised it: white space, U+2028 included, is one space)
    kinds = {region.rsplit(" ", 1)[0]: f"{names[country]} {region}"
             for country, region in regions[["country", "region"]].astype(str).values}
    assert set(labels) <= places and len(kinds) == len(MARKUP)
    open_page(browser, page)
    assert browser.execute_script("return document.body.dataset.page") == "overview"
    assert browser.find_elements(By.CSS_SELECTOR, "#sections circle") and browser.find_elements(
        By.CSS_SELECTOR, "#levels rect")
    assert_nothing_ran(browser)

    # every region listed by its name; one region of each payload opened, hovered, and its name its title
    browser.find_element(By.LINK_TEXT, "Regions").click()
    wait_for(browser, "document.body.dataset.page === 'regions'")
    assert texts(browser, "#regions-table tbody a") == labels
    for label in kinds.values():
        link = browser.find_elements(By.CSS_SELECTOR, "#regions-table tbody a")[labels.index(label)]
        ActionChains(browser).move_to_element(link).perform()
        link.click()
        wait_for(browser, "document.body.dataset.page === 'region'")
        assert texts(browser, "#region-title") == [label]
        assert browser.find_elements(By.CSS_SELECTOR, "#scatter circle")
        browser.back()
        wait_for(browser, "document.body.dataset.page === 'regions'")

    # a product's flows name their regions as text, for all inputs and for one, at every depth
    product = pd.read_parquet(markup_run / "links" / "final.parquet")["output"].iloc[0]
    search = browser.find_element(By.ID, "search")
    search.send_keys(product)
    search.send_keys(Keys.ENTER)
    wait_for(browser, "document.body.dataset.page === 'product'")
    Select(browser.find_element(By.ID, "depth")).select_by_visible_text("3")
    shown = texts(browser, "#flows-table tbody a[href^='#/region/']")
    assert shown and set(shown) <= places
    Select(browser.find_element(By.ID, "flow-link")).select_by_index(1)
    one = texts(browser, "#flows-table tbody a[href^='#/region/']")
    assert one and set(one) <= places and browser.find_elements(By.CSS_SELECTOR, "#sankey path")
    for link in browser.find_elements(By.CSS_SELECTOR, "#flows-table tbody a")[:6]:
        ActionChains(browser).move_to_element(link).perform()
    target = next(label for label in one if label in set(labels))
    browser.find_elements(By.CSS_SELECTOR, "#flows-table tbody a[href^='#/region/']")[one.index(target)].click()
    wait_for(browser, "document.body.dataset.page === 'region'")
    assert texts(browser, "#region-title") == [target]
    browser.save_screenshot(str(ARTIFACTS / "markup_region.png"))
    assert_nothing_ran(browser)


def with_markup(t: dict) -> tuple[dict, dict]:
    """``t`` with every product code (its digits kept in front, so that a code search finds it), product,
    section and country name, and every evaluation table's columns and text replaced by markup; and the meta."""
    def recode(values, start):
        return {v: markup(start + i) for i, v in enumerate(sorted(set(values)))}

    hs = {h: f"{h}{markup(i)}" for i, h in enumerate(t["products"]["hs"])}
    countries = recode(pd.concat([t["countries"]["country"], t["regions"]["country"], t["trade"]["country"],
                                  *(t[f][c] for f in ("region_flows", "country_flows")
                                    for c in ("country_from", "country_to"))]).astype(str), 100)
    sections = recode([*t["sections"]["section"], *t["products"]["section"], *t["section_links"]["source"],
                       *t["section_links"]["target"]], 200)

    def mapped(df, mapping, *columns):
        return df.assign(**{c: df[c].astype(str).map(mapping) for c in columns})

    out = {
        "products": mapped(t["products"], hs, "hs").assign(section=t["products"]["section"].map(sections),
                                                           name=[markup(400 + i) for i in range(len(t["products"]))]),
        "links": mapped(t["links"], hs, "output", "input"),
        "sections": mapped(t["sections"], sections, "section").assign(
            section_name=[markup(300 + i) for i in range(len(t["sections"]))]),
        "section_links": mapped(t["section_links"], sections, "source", "target"),
        "region_flows": mapped(mapped(t["region_flows"], hs, "input", "output"), countries, "country_from",
                               "country_to"),
        "country_flows": mapped(mapped(t["country_flows"], hs, "input", "output"), countries, "country_from",
                                "country_to"),
        "regions": mapped(t["regions"], countries, "country"),
        "countries": mapped(t["countries"], countries, "country"),
        "trade": mapped(mapped(t["trade"], hs, "hs"), countries, "country"),
        "product_trade": mapped(mapped(t["product_trade"], hs, "hs"), countries, "country"),
        "tables": {name: table.set_axis([markup(500 + j) for j in range(table.shape[1])], axis=1).assign(
            **{markup(500 + j): markup(600 + j) for j, c in enumerate(table.columns) if table[c].dtype == object})
            for name, table in t["tables"].items()},
    }
    meta = {"run": markup(0), "link_method": markup(1), "method": markup(2), "k": 3, "depth": 2,
            "product": hs[t["links"]["output"].iloc[0]], "top_flows": 3, "top_country_flows": 5,
            "top_section_edges": 41, "project_version": markup(3), "cut": markup(4), "sources": markup(5)}
    return out, meta


def shown_cell(value) -> str:
    """A table cell as the page writes it: nothing for null, true/false, whole numbers as they are, others to 3
    decimals as JavaScript's toFixed rounds (half away from zero, from the exact binary value)."""
    if value is None or isinstance(value, (bool, str)):
        return "" if value is None else str(value).lower() if isinstance(value, bool) else value
    if float(value).is_integer():
        return str(int(value))
    return str(Decimal(value).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


@pytest.mark.workflow
def test_markup_in_every_name_field_is_shown_as_text(markup_run, markup_tables, hooked, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    t, meta = with_markup(markup_tables)
    libraries = [markup_run.parents[1] / "resources" / "explorer" / "node_modules" / f for f in LIBRARIES]
    page = tmp_path / "index.html"
    payload = explorer.build_payload(meta=meta, **t)
    page.write_text(explorer.render(payload, TEMPLATE, libraries))
    browser, products = hooked, t["products"].set_index("hs")
    open_page(browser, page)
    assert texts(browser, "h1") == [f"Run {meta['run']}"]
    footer = f"Run {meta['run']} · {meta['link_method']} links ({meta['method']}, k = 3) · "
    assert texts(browser, "#footer")[0].startswith(footer)
    section_labels = texts(browser, "#sections g > g > text")
    assert [label.split(" ", 1)[0] for label in section_labels] == t["sections"]["section"].str.split(" ").str[0].tolist()
    assert all(label.startswith(f"{s} ") for label, s in zip(section_labels, t["sections"]["section"]))
    assert texts(browser, "#sections g > g > title") == [
        f"{s} {name}: {n} products" for s, name, n in t["sections"][["section", "section_name", "n_products"]].values]
    assert texts(browser, "#methods-table th") == t["tables"]["methods"].columns.tolist()
    first = payload["tables"]["methods"]["rows"][0]
    assert texts(browser, "#methods-table tbody tr:first-child td") == [shown_cell(v) for v in first]
    assert {"true", "false"} & set(texts(browser, "#methods-table tbody td"))
    assert_nothing_ran(browser)

    # search a product by its name: offered as text, opened by Enter
    code, name = products.index[2], products["name"].iloc[2]
    search = browser.find_element(By.ID, "search")
    search.send_keys(name)
    assert texts(browser, "#suggestions li") == [f"{code} {name}"]
    search.send_keys(Keys.ENTER)
    wait_for(browser, "document.body.dataset.page === 'product'")
    assert texts(browser, "#product-title") == [f"{code} {name}"]
    section = products.loc[code, "section"]
    section_name = t["sections"].set_index("section")["section_name"].get(section, "")
    assert texts(browser, ".chips span")[0] == f"section {section}: {section_name}"

    # the product of the overview's link: its inputs, its flows' countries in the Sankey diagram
    browser.execute_script("location.hash = '#/product/' + encodeURIComponent(arguments[0])", meta["product"])
    title = f"{meta['product']} {products.loc[meta['product'], 'name']}"
    wait_for(browser, f"document.getElementById('product-title').textContent === {json.dumps(title)}")
    inputs = t["links"][t["links"]["output"] == meta["product"]].sort_values("rank")["input"]
    assert texts(browser, "#inputs-table tbody td:nth-child(2)") == [f"{h} {products.loc[h, 'name']}" for h in inputs]
    countries = set(t["countries"]["country"]) | set(t["country_flows"]["country_from"]) | set(
        t["country_flows"]["country_to"])
    sankey = texts(browser, "#sankey > g > text")
    assert sankey and all(any(label.startswith((f"{c} → ", f"→ {c} ")) for c in countries) for label in sankey)

    # the regions pages: countries by name, a region's page with its exports named
    browser.find_element(By.LINK_TEXT, "Regions").click()
    wait_for(browser, "document.body.dataset.page === 'regions'")
    assert set(texts(browser, "#countries-table tbody td:first-child")) == set(t["countries"]["country"])
    browser.find_element(By.CSS_SELECTOR, "#regions-table tbody tr td:nth-child(2)").click()
    wait_for(browser, "document.body.dataset.page === 'region'")
    exports = texts(browser, "#exports-table tbody td:first-child")
    assert exports and set(exports) <= {f"{h} {name}" for h, name in products["name"].items()}
    browser.save_screenshot(str(ARTIFACTS / "markup_everywhere.png"))
    assert_nothing_ran(browser)
    # the policy is in force: an inline handler put in the page now is refused, and the refusal reported
    browser.execute_script("const b = document.createElement('b'); b.setAttribute('onclick', 'window.__xss = 9'); "
                           "document.body.append(b); b.click();")
    assert browser.execute_script("return [window.__xss, window.__csp]") == [None, ["script-src-attr inline"]]


@pytest.mark.workflow
@pytest.mark.parametrize("one_product", [False, True], ids=["no_links", "one_product"])
def test_a_run_without_links_draws_and_says_so(one_product, markup_run, markup_tables, hooked, tmp_path):
    from selenium.webdriver.common.by import By

    t = markup_tables
    products = t["products"]["hs"].iloc[:1 if one_product else None].tolist()
    libraries = [markup_run.parents[1] / "resources" / "explorer" / "node_modules" / f for f in LIBRARIES]
    page = tmp_path / "index.html"
    meta = {"run": "empty", "link_method": "bf", "method": "bf", "k": 3, "depth": 2, "product": products[0],
            "top_flows": 3, "top_country_flows": 5, "top_section_edges": 41, "project_version": "0", "cut": "",
            "sources": ""}
    page.write_text(explorer.render(explorer.build_payload(meta=meta, **empty_run(t, products)), TEMPLATE, libraries))
    browser = hooked
    open_page(browser, page)
    no_links = "No links: this run's network is empty"
    assert texts(browser, "#no-section-links")[0].startswith(no_links)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#sections circle")) == len(t["sections"])
    bars = browser.find_elements(By.CSS_SELECTOR, "#levels rect")  # every product at level 1: one bar
    assert len(bars) == 1 and float(bars[0].get_attribute("height")) > 0
    assert_nothing_ran(browser)
    browser.find_element(By.CSS_SELECTOR, "#main table a").click()
    wait_for(browser, "document.body.dataset.page === 'product'")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#layers .node")) == 1
    cards = texts(browser, "#links-grid .card p")
    assert len(cards) == 2 and all(c.startswith(no_links) for c in cards)
    assert texts(browser, "#sankey text")[0].startswith(no_links)
    assert texts(browser, "#flow-table p")[0].startswith(no_links)
    browser.save_screenshot(str(ARTIFACTS / f"without_links_{'one_product' if one_product else 'product'}.png"))
    browser.find_element(By.LINK_TEXT, "Regions").click()
    wait_for(browser, "document.body.dataset.page === 'regions'")
    assert texts(browser, "#no-regions")[0].startswith(no_links)
    assert_nothing_ran(browser)


def test_the_reference_table_is_the_runs_own_rule():
    """The page shows the reference scores at reference.min_share, not at the middle of the reported shares (which
    with report_min_shares [0.02] fell between the two and left the table empty)."""
    evaluation = pd.DataFrame({"network": ["bf", "bf", "bf"], "min_share": [0.01, 0.02, 0.005],
                               "precision": [0.3, 0.2, 0.4]})
    assert explorer.reference_rows(evaluation.iloc[:2], 0.01)["precision"].tolist() == [0.3]
    assert explorer.reference_rows(evaluation, 0.02)["precision"].tolist() == [0.2]
    with pytest.raises(ValueError, match=r"no rows at reference.min_share = 0.05 \(it has \[0.005, 0.01, 0.02\]\)"):
        explorer.reference_rows(evaluation, 0.05)
