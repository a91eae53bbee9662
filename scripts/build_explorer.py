"""Rule build_explorer: the run's value-chain explorer page (valuechain.outputs.explorer)."""

from pathlib import Path

from valuechain.glue.provenance import project_version, write_atomic
from valuechain.glue.smk import rule_io, setup
from valuechain.outputs import explorer


def main(snakemake) -> None:
    log = setup(snakemake)
    inp, p = snakemake.input, snakemake.params
    cfg = p.explorer

    tables = explorer.read_run(dict(inp.items()), cfg["top_flows"], cfg["top_country_flows"], cfg["top_trade"],
                               p.min_share)
    has_trade = "region_flows" in tables
    if has_trade:
        log.info("flows kept: %d region pairs (top %d per link) and %d country pairs (top %d per link)",
                 len(tables["region_flows"]), cfg["top_flows"], len(tables["country_flows"]), cfg["top_country_flows"])
    cut = (f"Kept per link: the {cfg['top_flows']} largest region-to-region flows and the {cfg['top_country_flows']} "
           f"largest country-to-country flows; per region its {cfg['top_trade']} largest exports and imports."
           if has_trade else "No trade data in this run: no flows or regions.")
    meta = {"run": p.run, "link_method": p.link_method, "method": p.method, "k": p.k, "depth": cfg["depth"],
            "product": p.product, "top_flows": cfg["top_flows"], "top_country_flows": cfg["top_country_flows"],
            "top_section_edges": p.top_section_edges, "project_version": project_version(), "cut": cut,
            "sources": f"results/{p.run}/ (links, analysis, evaluation, flows)"}
    payload = explorer.build_payload(meta=meta, **tables)
    page = explorer.render(payload, Path(inp.page).parent, [inp.d3, inp.sankey])
    out = write_atomic(snakemake.output.page, page)
    log.info("explorer: %d products, %d links, %.2f MB (%s)", len(tables["products"]), len(tables["links"]),
             out.stat().st_size / 1e6, out)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
