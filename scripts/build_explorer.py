"""Rule build_explorer: the run's value-chain explorer page (valuechain.explorer)."""

import os
from pathlib import Path

import pandas as pd

from valuechain import explorer
from valuechain.network import load_hs_sections, product_sections
from valuechain.provenance import project_version
from valuechain.smk import setup

log = setup(snakemake)
inp, p = snakemake.input, snakemake.params
cfg = p.explorer

links = pd.read_parquet(inp.links)
if "confidence" not in links.columns:  # the validated network and user networks carry none
    links["confidence"] = float("nan")
levels = pd.read_parquet(inp.levels)
chapters, _ = load_hs_sections(inp.hs, inp.sections)
products = levels[["hs", "name", "trophic_level"]].sort_values("hs").reset_index(drop=True)
products["section"] = product_sections(pd.Index(products["hs"]), chapters).to_numpy()
products["pci"] = float("nan")
links = pd.concat([links, explorer.reference_labels(links, pd.read_parquet(inp.reference),
                                                    pd.read_parquet(inp.coverage))], axis=1)
reference = pd.read_parquet(inp.reference_evaluation)
tables = {"reference": reference[reference["min_share"] == reference["min_share"].median()]}
trade_parts = {}
if hasattr(inp, "flows"):  # the run has trade data
    nodes = pd.read_parquet(inp.nodes).set_index("hs")["pci"]
    products["pci"] = products["hs"].map(nodes).astype(float)
    tables["methods"] = pd.read_parquet(inp.methods)
    known = set(products["hs"])
    rca = pd.read_parquet(inp.rca)
    trade = explorer.region_trade(rca[rca["hs"].isin(known)], cfg["top_trade"])
    summary = pd.read_parquet(inp.country_flows)
    trade_parts = {
        "region_flows": explorer.top_region_flows(inp.flows, cfg["top_flows"], snakemake.resources.mem_mb // 2),
        "country_flows": explorer.top_rows(summary, ["input", "output"], "value", cfg["top_country_flows"],
                                           ["country_from", "country_to"]),
        "regions": pd.read_parquet(inp.regions),
        "countries": pd.read_parquet(inp.countries),
        "trade": trade,
    }
    log.info("flows kept: %d region pairs (top %d per link) and %d country pairs (top %d) of %d",
             len(trade_parts["region_flows"]), cfg["top_flows"], len(trade_parts["country_flows"]),
             cfg["top_country_flows"], len(summary))

cut = (f"Kept per link: the {cfg['top_flows']} largest region-to-region flows and the {cfg['top_country_flows']} "
       f"largest country-to-country flows; per region its {cfg['top_trade']} largest exports and imports."
       if trade_parts else "No trade data in this run: no flows or regions.")
meta = {"run": p.run, "link_method": p.link_method, "method": p.method, "k": p.k, "depth": cfg["depth"],
        "product": p.product, "top_flows": cfg["top_flows"], "top_country_flows": cfg["top_country_flows"],
        "top_section_edges": p.top_section_edges, "project_version": project_version(), "cut": cut,
        "sources": f"results/{p.run}/ (links, analysis, evaluation, flows)"}
payload = explorer.build_payload(products, links, pd.read_parquet(inp.section_nodes),
                                 pd.read_parquet(inp.section_links), meta, tables=tables, **trade_parts)
page = explorer.render(payload, Path(inp.page).parent, [inp.d3, inp.sankey])
out = Path(snakemake.output.page)
tmp = out.with_name(f".{out.name}.part")
tmp.write_text(page, encoding="utf-8")
os.replace(tmp, out)
log.info("explorer: %d products, %d links, %.2f MB (%s)", len(products), len(links), out.stat().st_size / 1e6, out)
