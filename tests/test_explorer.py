"""The value-chain explorer: its data summaries worked by hand, and the page of the default run driven in a real
headless Chromium (Debian's chromium and chromium-driver, which .ci/run installs). Screenshots are kept in
test-artifacts/explorer/ (or $VALUECHAIN_TEST_ARTIFACTS)."""

import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from readme_blocks import ROOT
from valuechain import explorer


# ------------------------------------------------------------------------------------------ the data
def test_reference_labels_true_false_and_unscorable():
    links = pd.DataFrame({"output": ["8703", "8703", "8703", "0101"], "input": ["8708", "4011", "9999", "8703"]})
    product_io = pd.DataFrame({"output": ["8703", "8703"], "input": ["8708", "4011"], "share": [0.12, 0.004],
                               "label": [True, False]})
    coverage = pd.DataFrame({"product": ["8703", "8708", "4011", "9999", "0101"],
                             "scorable": [True, True, True, False, True]})
    got = explorer.reference_labels(links, product_io, coverage)
    assert [explorer.REFERENCE_LABELS[r] for r in got["ref"]] == ["true", "false", "unscorable", "false"]
    # 0101 <- 8703 has no row in product_io (no positive share): scorable, share 0
    assert got["ref_share"].tolist()[:2] == [0.12, 0.004] and np.isnan(got["ref_share"][2])
    assert got["ref_share"][3] == 0.0


def test_top_region_flows_keep_the_largest_pairs_of_each_link(tmp_path):
    rows = pd.DataFrame({
        "input": ["4011"] * 4 + ["8708"] * 2, "output": ["8703"] * 6,
        "country_from": ["BRA", "BRA", "USA", "USA", "CHN", "CHN"], "region_from": ["SP", "RJ", "TX", "CA", "GD", "JS"],
        "country_to": ["USA"] * 6, "region_to": ["MI"] * 6,
        "value": [5.0, 9.0, 9.0, 1.0, 3.0, 4.0], "lower": [1.0] * 6, "upper": [10.0] * 6})
    rows["chapter"] = rows["input"].str[:2]
    pq.write_to_dataset(pa.Table.from_pandas(rows), tmp_path / "dataset", partition_cols=["chapter"])
    got = explorer.top_region_flows(tmp_path / "dataset", 2)
    # 4011: the two 9.0 flows (tie broken by country, region); 8708: both
    assert got[["input", "region_from", "value"]].values.tolist() == [
        ["4011", "RJ", 9.0], ["4011", "TX", 9.0], ["8708", "JS", 4.0], ["8708", "GD", 3.0]]
    (tmp_path / "empty").mkdir()
    empty = explorer.top_region_flows(tmp_path / "empty", 2)
    assert empty.empty and list(empty.columns) == list(got.columns)


def test_region_trade_lists_each_regions_largest_exports_and_imports():
    rca = pd.DataFrame({"country": ["BRA"] * 3 + ["USA"] * 2, "region": ["SP"] * 3 + ["TX"] * 2,
                        "hs": ["0101", "0201", "8703", "0101", "8703"], "export": [5.0, 7.0, 0.0, 2.0, 1.0],
                        "import": [1.0, 0.0, 9.0, 0.0, 3.0], "rca_export": [1.5, 2.0, 0.0, 1.1, 0.9],
                        "rca_import": [0.5, 0.0, 3.0, 0.0, 1.2]})
    got = explorer.region_trade(rca, 1)
    assert got.values.tolist() == [["BRA", "SP", "export", "0201", 7.0, 2.0], ["USA", "TX", "export", "0101", 2.0, 1.1],
                                   ["BRA", "SP", "import", "8703", 9.0, 3.0], ["USA", "TX", "import", "8703", 3.0, 1.2]]


def test_the_page_embeds_the_payload_safely(tmp_path):
    (tmp_path / "index.html").write_text("<style>/*STYLE*/</style><script>/*LIBRARIES*/</script>"
                                         "<script id=d>/*DATA*/</script><script>/*APP*/</script>")
    (tmp_path / "explorer.css").write_text("b{}")
    (tmp_path / "explorer.js").write_text("go()")
    (tmp_path / "lib.js").write_text("var lib = '/*APP*/';")  # a marker inside inserted text is left alone
    page = explorer.render({"name": "</script><b>", "x": None}, tmp_path, [tmp_path / "lib.js"])
    assert page == ("<style>b{}</style><script>var lib = '/*APP*/';</script><script id=d>"
                    '{"name":"<\\/script><b>","x":null}</script><script>go()</script>')
    with pytest.raises(ValueError, match="not JSON compliant"):
        explorer.render({"x": float("nan")}, tmp_path, [])


def test_the_payload_codes_products_places_and_links():
    products = pd.DataFrame({"hs": ["4011", "8703", "8708"], "name": ["Tyres", "Cars", "Parts"],
                             "section": ["VII", "XVII", "XVII"], "trophic_level": [1.0, 2.5, 1.5],
                             "pci": [0.1, np.nan, 1.23456]})
    links = pd.DataFrame({"output": ["8703", "8703"], "input": ["8708", "4011"], "rank": [1, 2],
                          "confidence": [0.9, 0.5], "ref": [0, 2], "ref_share": [0.2, np.nan]})
    sections = pd.DataFrame({"section": ["VII", "XVII"], "section_name": ["Plastics", "Vehicles"], "n_products": [1, 2]})
    section_links = pd.DataFrame({"source": ["VII"], "target": ["XVII"], "n_links": [1], "weight": [0.5]})
    flows = pd.DataFrame({"input": ["4011"], "output": ["8703"], "country_from": ["BRA"], "region_from": ["SP"],
                          "country_to": ["USA"], "region_to": ["MI"], "value": [10.4], "lower": [1.0], "upper": [20.6]})
    country_flows = flows.drop(columns=["region_from", "region_to"])
    position = {"tl_imp": [1.2], "tl_exp": [2.0], "jump": [0.8], "nitl": [0.5], "ntj": [0.3], "diversification": [9]}
    regions = pd.DataFrame({"country": ["USA"], "region": ["MI"], **position})
    countries = pd.DataFrame({"country": ["USA"], **position})
    trade = pd.DataFrame({"country": ["BRA"], "region": ["SP"], "flow": ["import"], "hs": ["8708"], "value": [3.0],
                          "rca": [1.5]})
    p = explorer.build_payload(products, links, sections, section_links, {"run": "t"}, flows, country_flows,
                               regions, countries, trade)
    assert p["links"] == {"out": [1, 1], "in": [2, 0], "rank": [1, 2], "conf": [0.9, 0.5], "ref": [0, 2],
                          "share": [0.2, None]}
    assert p["products"]["pci"] == [0.1, None, 1.2346]
    assert p["countries"] == ["BRA", "USA"] and p["places"] == {"country": [0, 1], "region": ["SP", "MI"]}
    assert p["region_flows"] == {"link": [1], "from": [0], "to": [1], "value": [10], "lower": [1], "upper": [21]}
    assert p["regions"]["place"] == [1] and p["trade"] == {"place": [0], "flow": [1], "product": [2], "value": [3],
                                                            "rca": [1.5]}
    json.dumps(p, allow_nan=False)
    with pytest.raises(ValueError, match="not among the explorer's products"):
        explorer.build_payload(products, links.assign(input=["8708", "0000"]), sections, section_links, {})


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


@pytest.mark.workflow
def test_the_explorer_of_the_default_run_in_chromium(demo, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    run = demo / "results" / "demo"
    page = run / "explorer" / "index.html"
    size_mb = page.stat().st_size / 1e6
    start = time.monotonic()
    browser.get(page.as_uri())  # from disk, as a double click opens it
    wait_for(browser, "window.explorerReady === true")
    load = time.monotonic() - start
    print(f"explorer: {size_mb:.2f} MB, ready {load:.2f} s after the page was asked for")
    assert wait_for(browser, "document.body.dataset.page") == "overview"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#sections circle")) == len(
        pd.read_parquet(run / "analysis" / "section_nodes.parquet"))
    methods = pd.read_parquet(run / "evaluation" / "methods.parquet")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#methods-table tbody tr")) == len(methods)
    browser.save_screenshot(str(ARTIFACTS / "overview.png"))

    # Search 8703: its inputs are the run's links, in rank order, with the reference label where known
    search = browser.find_element(By.ID, "search")
    search.send_keys("8703")
    search.send_keys(Keys.ENTER)
    wait_for(browser, "document.body.dataset.page === 'product'")
    assert browser.find_element(By.ID, "product-title").text.startswith("8703")
    links = pd.read_parquet(run / "links" / "final.parquet")
    expected = links[links["output"] == "8703"].sort_values("rank")["input"].tolist()
    shown = [row.get_attribute("data-hs") for row in
             browser.find_elements(By.CSS_SELECTOR, "#inputs-table tbody tr")]
    assert shown == expected and len(expected) == 3
    labels = [cell.text.split(" ")[0] for cell in
              browser.find_elements(By.CSS_SELECTOR, "#inputs-table tbody tr td:nth-child(4)")]
    assert set(labels) <= {"true", "false", "unscorable"} and len(labels) == 3
    # the layered graph holds the product, its inputs and theirs (depth 2)
    nodes = len(browser.find_elements(By.CSS_SELECTOR, "#layers .node"))
    second = links[links["output"].isin(expected)]["input"]
    assert nodes == len({"8703", *expected, *second})
    assert browser.find_elements(By.CSS_SELECTOR, "#sankey path") and browser.find_elements(
        By.CSS_SELECTOR, "#flows-table tbody tr")
    browser.save_screenshot(str(ARTIFACTS / "product_8703.png"))

    # A region's page: its trophic position as the run computed it
    regions = pd.read_parquet(run / "analysis" / "trophic_position_regions.parquet")
    first = regions.sort_values(["country", "region"]).iloc[0]
    browser.get(page.as_uri() + "#/regions")
    wait_for(browser, "document.body.dataset.page === 'regions'")
    browser.find_element(By.CSS_SELECTOR, "#regions-table tbody tr").click()
    wait_for(browser, "document.body.dataset.page === 'region'")
    assert browser.find_element(By.ID, "region-title").text == f"{first['country']} {first['region']}"
    cells = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "#position-table tbody td")]
    assert cells[3] == f"{first['nitl']:.3f}" and cells[5] == str(first["diversification"])
    assert len(browser.find_elements(By.CSS_SELECTOR, "#scatter circle")) == regions[["nitl", "ntj"]].notna().all(
        axis=1).sum()
    browser.save_screenshot(str(ARTIFACTS / "region.png"))
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
