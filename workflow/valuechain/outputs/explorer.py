"""The value-chain explorer: one self-contained HTML page per run (docs/explorer.md).

The page works offline from a double click: the run's outputs are summarised here into one compact JSON
document embedded in the page, and the JavaScript libraries (d3, d3-sankey, installed from the npm registry
by rule install_explorer_libraries) are inlined beside the page's own script. Nothing is loaded from a
server or a CDN.

What is cut to keep the page small (the budget is 15 MB for an HS4 run): region-to-region flows are kept
only for the ``top_flows`` largest pairs of each link, country-to-country flows for the ``top_country_flows``
largest, and each region's trade for its ``top_trade`` largest exports and imports. Trade values are rounded
to whole dollars, levels and shares to 4 decimals. Everything else (products, links, sections, trophic
positions, evaluation tables) is complete.

Nothing in the data is ever markup: the page script builds every element with DOM calls and puts each name in
as text or through an attribute setter, the embedded JSON escapes every character an HTML parser reacts to, and
a Content-Security-Policy lets only the inlined scripts and stylesheet (by their sha256) run and loads nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from valuechain.links.annotate import REFERENCE_LABELS
from valuechain.links.methods import label as method_label
from valuechain.outputs.search import SYNONYMS
from valuechain.trade.canonical import country_names, region_names
from valuechain.trade.hs import load_hs_sections, product_sections


def top_region_flows(largest: pd.DataFrame, n: int) -> pd.DataFrame:
    """The ``n`` largest region-to-region flows of every ``input -> output`` link, from the flows' largest region
    pairs (``flows/largest_region_pairs.parquet``: by link and decreasing value, ties broken by the regions)."""
    return largest.groupby(["input", "output"], sort=False).head(n).reset_index(drop=True)


def top_rows(df: pd.DataFrame, by: list[str], value: str, n: int, ties: list[str]) -> pd.DataFrame:
    """The ``n`` rows with the largest ``value`` in each group of ``by`` (ties by ``ties``), in that order."""
    order = df.sort_values([*by, value, *ties], ascending=[True] * len(by) + [False] + [True] * len(ties),
                           kind="stable")
    return order.groupby(by, sort=False).head(n).reset_index(drop=True)


def largest_trade(rca: pd.DataFrame, by: list[str], n: int, ties: list[str]) -> pd.DataFrame:
    """The ``n`` largest exports of each group of ``by``, then its ``n`` largest imports (ties by ``ties``), from
    the RCA table: ``country, region, hs, value, rca, flow``."""
    parts = []
    for flow, rca_col in (("export", "rca_export"), ("import", "rca_import")):
        t = rca.loc[rca[flow] > 0, ["country", "region", "hs", flow, rca_col]]
        t = t.rename(columns={flow: "value", rca_col: "rca"}).assign(flow=flow)
        parts.append(top_rows(t, by, "value", n, ties))
    return pd.concat(parts, ignore_index=True)


def region_trade(rca: pd.DataFrame, n: int) -> pd.DataFrame:
    """Each region's ``n`` largest exports and ``n`` largest imports: ``country, region, flow, hs, value, rca``."""
    return largest_trade(rca, ["country", "region"], n, ["hs"])[["country", "region", "flow", "hs", "value", "rca"]]


def product_trade(rca: pd.DataFrame, n: int) -> pd.DataFrame:
    """Each product's ``n`` largest exporting and ``n`` largest importing places: ``hs, flow, country, region,
    value, rca``, the exports first, each by product and decreasing value (ties by place)."""
    return largest_trade(rca, ["hs"], n, ["country", "region"])[["hs", "flow", "country", "region", "value", "rca"]]


# Whole numbers beyond 2**53 are no longer exact in JavaScript (and beyond 2**63 overflow an int64): such values
# stay floats, which JSON writes as 1e+20 and JavaScript reads as the same number.
_EXACT_INT = 2.0**53


def _column(values, decimals: int | None = None) -> list:
    """A JSON-ready list: missing values become null, floats rounded to ``decimals`` (0: whole numbers, written
    as integers up to 2**53 and as floats beyond)."""
    col = pd.Series(values)
    if decimals is None or not pd.api.types.is_float_dtype(col):
        return col.astype(object).where(col.notna(), None).tolist()
    values = col.round(decimals).to_numpy(dtype=float, na_value=np.nan)
    out = values.astype(object)
    if decimals == 0:
        whole = np.abs(values) < _EXACT_INT  # False for NaN
        out[whole] = values[whole].astype(np.int64).tolist()
    out[np.isnan(values)] = None
    return out.tolist()


def _check_finite(tables: dict[str, pd.DataFrame | None]) -> None:
    """Refuse an infinite number in any numeric column of the page's tables: JSON has no infinity, and upstream
    outputs only hold one when a sum overflowed (trade values near 1e308 USD)."""
    for name, df in tables.items():
        numbers = pd.DataFrame() if df is None else df.select_dtypes("number")
        infinite = np.isinf(numbers.to_numpy(dtype=float, na_value=np.nan))
        if infinite.any():
            row, col = np.argwhere(infinite)[0]
            raise ValueError(
                f"explorer: table {name}, column {numbers.columns[col]!r}: {int(infinite[:, col].sum())} infinite "
                f"value(s), the first at row {row + 1} of {len(df)}; JSON has none, and a sum overflowed upstream: "
                f"check the trade file's 'value' column for impossible values (above 1e15 USD in one row)")


def _codes(values: pd.Series, categories: list[str]) -> list[int]:
    """Positions of ``values`` in ``categories`` (every value must be one)."""
    pos = pd.Index(categories).get_indexer(values)
    if (pos < 0).any():
        missing = sorted(set(values[pos < 0]))[:5]
        raise ValueError(f"codes not among the explorer's products or places: {missing}")
    return pos.tolist()


def table_json(df: pd.DataFrame, decimals: int = 4) -> dict:
    """A small table as ``{"columns": [...], "rows": [[...], ...]}``, floats rounded."""
    cols = [_column(df[c], decimals if pd.api.types.is_float_dtype(df[c]) else None) for c in df.columns]
    return {"columns": list(map(str, df.columns)), "rows": [list(r) for r in zip(*cols)] if cols else []}


def reference_rows(evaluation: pd.DataFrame, min_share: float) -> pd.DataFrame:
    """The rows of the reference evaluation (``evaluation/reference.parquet``, one block per reported share) at the
    run's own rule ``reference.min_share``; a table without them is an error, never an empty table on the page."""
    rows = evaluation[np.isclose(evaluation["min_share"], min_share)]
    if rows.empty:
        raise ValueError(f"the reference evaluation has no rows at reference.min_share = {min_share} (it has "
                         f"{sorted(evaluation['min_share'].unique().tolist())})")
    return rows


def read_run(inputs: dict[str, str | Path], top_flows: int, top_country_flows: int, top_trade: int,
             min_share: float) -> dict:
    """The run's outputs as :func:`build_payload`'s tables (every argument but ``meta``).

    ``inputs`` names the files as rule build_explorer does: ``links`` (the annotated links), ``levels, hs,
    sections, reference_evaluation, section_nodes, section_links`` and, for a run with trade data, ``nodes, methods, rca,
    flows, country_flows, regions, countries``; without ``flows`` the trade-data parts are left out. The reference
    table shows the scores at ``min_share`` (the config's ``reference.min_share``).
    """
    links = pd.read_parquet(inputs["links"])
    chapters, _ = load_hs_sections(inputs["hs"], inputs["sections"])
    products = pd.read_parquet(inputs["levels"], columns=["hs", "name", "trophic_level"])
    products = products.sort_values("hs").reset_index(drop=True)
    products["section"] = product_sections(pd.Index(products["hs"]), chapters).to_numpy()
    products["pci"] = float("nan")
    reference = pd.read_parquet(inputs["reference_evaluation"])
    tables = {"reference": reference_rows(reference, min_share)}
    out = {"products": products, "links": links, "sections": pd.read_parquet(inputs["section_nodes"]),
           "section_links": pd.read_parquet(inputs["section_links"]), "tables": tables}
    if "flows" not in inputs:
        return out
    products["pci"] = products["hs"].map(pd.read_parquet(inputs["nodes"]).set_index("hs")["pci"]).astype(float)
    tables["methods"] = pd.read_parquet(inputs["methods"])
    rca = pd.read_parquet(inputs["rca"])
    rca = rca[rca["hs"].isin(set(products["hs"]))]
    return {**out,
            "region_flows": top_region_flows(pd.read_parquet(inputs["flows"]), top_flows),
            "country_flows": top_rows(pd.read_parquet(inputs["country_flows"]), ["input", "output"], "value",
                                      top_country_flows, ["country_from", "country_to"]),
            "regions": pd.read_parquet(inputs["regions"]),
            "countries": pd.read_parquet(inputs["countries"]),
            "trade": region_trade(rca, top_trade),
            "product_trade": product_trade(rca, top_trade)}


def build_payload(
    products: pd.DataFrame,
    links: pd.DataFrame,
    sections: pd.DataFrame,
    section_links: pd.DataFrame,
    meta: dict,
    region_flows: pd.DataFrame | None = None,
    country_flows: pd.DataFrame | None = None,
    regions: pd.DataFrame | None = None,
    countries: pd.DataFrame | None = None,
    trade: pd.DataFrame | None = None,
    product_trade: pd.DataFrame | None = None,
    tables: dict[str, pd.DataFrame] | None = None,
) -> dict:
    """The page's data, column-wise with products, places and links as integer codes.

    ``products``: ``hs, name, section, trophic_level, pci``; ``links``: the annotated links (``output, input,
    rank, confidence, estimated_precision, reference, reference_share`` and ``rank_<method>`` columns);
    ``sections``: ``section, section_name, n_products``; ``section_links``: ``source, target, n_links,
    weight``; ``region_flows``: :func:`top_region_flows`; ``country_flows``: ``input, output, country_from,
    country_to, value, lower, upper``; ``regions`` and ``countries``: trophic positions; ``trade``:
    :func:`region_trade`; ``product_trade``: :func:`product_trade`; ``tables``: small tables shown as they
    are. The trade-data parts are None
    for a run on a given network without trade data.
    """
    _check_finite({"products": products, "links": links, "sections": sections, "section_links": section_links,
                   "region_flows": region_flows, "country_flows": country_flows, "regions": regions,
                   "countries": countries, "trade": trade, "product_trade": product_trade, **(tables or {})})
    hs = products["hs"].tolist()
    links = links.sort_values(["output", "rank", "input"], kind="stable").reset_index(drop=True)
    ranks = [c for c in links.columns if c.startswith("rank_")]
    payload = {
        "meta": meta,
        "products": {"hs": hs, "name": _column(products["name"]), "section": _column(products["section"]),
                     "level": _column(products["trophic_level"], 4), "pci": _column(products["pci"], 4)},
        "sections": {"id": _column(sections["section"]), "name": _column(sections["section_name"]),
                     "n": _column(sections["n_products"])},
        "section_links": {"source": _column(section_links["source"]), "target": _column(section_links["target"]),
                          "n": _column(section_links["n_links"]), "weight": _column(section_links["weight"], 4)},
        "links": {"out": _codes(links["output"], hs), "in": _codes(links["input"], hs),
                  "rank": _column(links["rank"]), "conf": _column(links["confidence"], 4),
                  "prec": _column(links["estimated_precision"], 2),
                  "ref": _codes(links["reference"], list(REFERENCE_LABELS)),
                  "share": _column(links["reference_share"], 4),
                  "method_ranks": {c.removeprefix("rank_"): _column(links[c]) for c in ranks}},
        "reference_labels": list(REFERENCE_LABELS),
        "method_labels": {c.removeprefix("rank_"): method_label(c.removeprefix("rank_")) for c in ranks},
        "synonyms": SYNONYMS,
        "tables": {name: table_json(t) for name, t in (tables or {}).items()},
    }
    if region_flows is None:
        return payload
    places = pd.concat([regions[["country", "region"]],
                        region_flows[["country_from", "region_from"]].set_axis(["country", "region"], axis=1),
                        region_flows[["country_to", "region_to"]].set_axis(["country", "region"], axis=1),
                        trade[["country", "region"]], product_trade[["country", "region"]]])
    places = places.drop_duplicates().sort_values(["country", "region"])
    keys = (places["country"] + "\t" + places["region"]).tolist()
    country_list = sorted(set(places["country"]) | set(country_flows["country_from"]) |
                          set(country_flows["country_to"]) | set(countries["country"]))
    link_key = pd.MultiIndex.from_frame(links[["output", "input"]])

    def link_codes(df: pd.DataFrame) -> list[int]:
        pos = link_key.get_indexer(pd.MultiIndex.from_frame(df[["output", "input"]]))
        if (pos < 0).any():
            raise ValueError("flows of a pair that is not a link of the explorer's network")
        return pos.tolist()

    def place_codes(country: pd.Series, region: pd.Series) -> list[int]:
        return _codes(country + "\t" + region, keys)

    payload["places"] = {"country": _codes(places["country"], country_list), "region": places["region"].tolist(),
                         "name": region_names(places["country"], places["region"]).tolist()}
    payload["countries"] = country_list
    payload["country_names"] = country_names(country_list).reindex(country_list).tolist()
    payload["region_flows"] = {
        "link": link_codes(region_flows), "from": place_codes(region_flows["country_from"], region_flows["region_from"]),
        "to": place_codes(region_flows["country_to"], region_flows["region_to"]),
        "value": _column(region_flows["value"], 0), "lower": _column(region_flows["lower"], 0),
        "upper": _column(region_flows["upper"], 0)}
    payload["country_flows"] = {
        "link": link_codes(country_flows), "from": _codes(country_flows["country_from"], country_list),
        "to": _codes(country_flows["country_to"], country_list), "value": _column(country_flows["value"], 0),
        "lower": _column(country_flows["lower"], 0), "upper": _column(country_flows["upper"], 0)}
    position = ["tl_imp", "tl_exp", "jump", "nitl", "ntj"]
    payload["regions"] = {"place": place_codes(regions["country"], regions["region"]),
                          **{c: _column(regions[c], 4) for c in position},
                          "diversification": _column(regions["diversification"])}
    payload["country_positions"] = {"country": _codes(countries["country"], country_list),
                                    **{c: _column(countries[c], 4) for c in position},
                                    "diversification": _column(countries["diversification"])}
    payload["trade"] = {"place": place_codes(trade["country"], trade["region"]),
                        "flow": (trade["flow"] != "export").astype(int).tolist(),
                        "product": _codes(trade["hs"], hs), "value": _column(trade["value"], 0),
                        "rca": _column(trade["rca"], 4)}
    payload["product_trade"] = {"product": _codes(product_trade["hs"], hs),
                                "flow": (product_trade["flow"] != "export").astype(int).tolist(),
                                "place": place_codes(product_trade["country"], product_trade["region"]),
                                "value": _column(product_trade["value"], 0), "rca": _column(product_trade["rca"], 4)}
    return payload


# Characters that mean something to an HTML parser inside a script element (<!--, <script, </script, ]]>, &)
# or end a line in older JavaScript: written as JSON escapes, which JSON.parse reads back as the same string.
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_ELEMENT = re.compile(r"<(script|style)\b([^>]*)>(.*?)</\1\s*>", re.S | re.I)


def embed_json(payload) -> str:
    """``payload`` as JSON that holds no ``<``, ``>`` or ``&`` (and no U+2028, U+2029): safe in every state of
    the HTML parser inside a script element, and still valid JSON and JavaScript."""
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group(0)], data)


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def render(payload: dict, template_dir: str | Path, libraries: list[str | Path]) -> str:
    """The page: ``index.html`` of ``template_dir`` with its stylesheet, the ``libraries`` and its script
    inlined, ``payload`` embedded as JSON (:func:`embed_json`) and the ``/*CSP*/`` marker replaced by a
    Content-Security-Policy that allows exactly the page's scripts and stylesheets, by their sha256, and no
    load from anywhere."""
    template_dir = Path(template_dir)
    template = template_dir / "index.html"
    files = {"/*STYLE*/": [template_dir / "explorer.css"], "/*LIBRARIES*/": [Path(p) for p in libraries],
             "/*APP*/": [template_dir / "explorer.js"]}
    parts = {"/*DATA*/": embed_json(payload)}
    for marker, paths in files.items():
        texts = [path.read_text() for path in paths]
        tag = "style" if marker == "/*STYLE*/" else "script"
        for path, text in zip(paths, texts):  # an end tag or a comment opener would end or break its element
            if re.search(rf"</{tag}|<!--", text, re.I):
                raise ValueError(f"{path}: holds '</{tag}' or '<!--', so it cannot be inlined into a <{tag}> "
                                 "element (use a build without them)")
        parts[marker] = "\n".join(texts)
    page = template.read_text()
    for marker in [*parts, "/*CSP*/"]:
        if page.count(marker) != 1:
            raise ValueError(f"{template}: expected one {marker} marker")
    markers = re.compile("|".join(map(re.escape, parts)))

    def fill(text: str) -> str:  # one pass, so nothing inserted is searched for markers again
        return markers.sub(lambda m: parts[m.group(0)], text)

    # the policy allows each script and style element of the page by the sha256 of its text; the data element
    # is never run, so it needs none
    hashes = {"script": [], "style": []}
    for tag, attributes, body in _ELEMENT.findall(page):
        if "application/json" not in attributes:
            hashes[tag.lower()].append(_sha256(fill(body)))
    allowed = {tag: " ".join(h) or "'none'" for tag, h in hashes.items()}
    # blob: images only: the page draws its own SVG into a canvas to save it as PNG
    policy = (f"default-src 'none'; script-src {allowed['script']}; style-src {allowed['style']}; "
              "img-src blob:; base-uri 'none'; form-action 'none'")
    head, _, tail = page.partition("/*CSP*/")
    return fill(head) + policy + fill(tail)
