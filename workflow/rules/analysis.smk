# Value-chain analyses (docs/method.md sections 7-9): the statistically validated co-specialisation network, trophic
# levels and coherence, trophic position of regions and countries, the extended B&F network, figures.


# The network the analyses read: the user's (links_file), the validated one, or the final links of links.method.
ANALYSED_NETWORK = (
    "user" if LINKS_FILE else ("validated" if config["link_method"] == "validated" else config["links"]["method"])
)


ANALYSIS = config["analysis"]


# The report's key tables (workflow/report/) and how the report names them.
REPORT_TABLE_LABELS = {
    "reference": "Every network against the product reference",
    "trophic_levels": "The most upstream and downstream products",
    "link_methods": "Every link method on every yardstick",
    "trophic_position": "Trophic position of the countries",
    "icio_gvc": "GVC participation of the countries (ICIO)",
}
REPORT_TABLES = ["reference", "trophic_levels"] + (
    ["link_methods", "trophic_position", "icio_gvc"] if HAS_TRADE else []
)


rule ingest_links:
    """A user-supplied product network (config links_file), validated into the canonical links table."""
    input:
        links=LINKS_FILE or [],
        hs_codes=HS_CODES,
    output:
        links=res("links/user/links.parquet"),
    log:
        logfile("ingest_links.log"),
    benchmark:
        bench("ingest_links.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    params:
        digits=config["hs_digits"],
    message:
        "Reading and validating the product network {input.links}"
    script:
        rule_script("ingest_links.py")


rule validated_fit:
    """The binary import and export specialisation of every location and their two fitted bipartite configuration
    models (BiCM): what every block of p-values reads."""
    input:
        rca=res(f"rca/{RECONCILE}/rca.parquet"),
    output:
        fit=res("links/validated/fit.parquet"),
    log:
        logfile("validated_fit.log"),
    benchmark:
        bench("validated_fit.tsv")
    conda:
        "../envs/links.yaml"
    threads: 1
    resources:
        mem_mb=by_input_size(1000, 20),
        runtime=by_input_size(5, 0.2),
    params:
        rca_threshold=ANALYSIS["validated"]["rca_threshold"],
    message:
        "Validated network: specialisation matrices and their two BiCMs"
    script:
        rule_script("validated_fit.py")


rule validated_pvalues:
    """Exact Poisson-binomial p-values of the pairs whose input is in one block of products (scatter item
    {scatteritem}; config scatter.validated blocks)."""
    input:
        fit=rules.validated_fit.output.fit,
    output:
        pvalues=temp(res("links/validated/pvalues/{scatteritem}.parquet")),
    log:
        logfile("validated_pvalues/{scatteritem}.log"),
    benchmark:
        bench("validated_pvalues/{scatteritem}.tsv")
    conda:
        "../envs/links.yaml"
    threads: 2
    resources:
        mem_mb=by_input_size(1500, 80),
        runtime=by_input_size(5, 2.0),
    params:
        alpha=ANALYSIS["validated"]["alpha"],
    message:
        "Validated network: p-values of block {wildcards.scatteritem} ({threads} threads, {resources.mem_mb} MB, "
        "{resources.runtime} min)"
    script:
        rule_script("validated_pvalues.py")


rule validated_network:
    """The statistically validated co-specialisation network: the blocks' p-values gathered, Benjamini-Hochberg
    over all ordered pairs, the giant weakly connected component."""
    input:
        fit=rules.validated_fit.output.fit,
        pvalues=gather.validated(res("links/validated/pvalues/{scatteritem}.parquet")),
    output:
        links=res("links/validated/links.parquet"),
    log:
        logfile("validated_network.log"),
    benchmark:
        bench("validated_network.tsv")
    conda:
        "../envs/links.yaml"
    threads: 1
    resources:
        mem_mb=by_input_size(1000, 20),
        runtime=by_input_size(5, 0.2),
    params:
        alpha=ANALYSIS["validated"]["alpha"],
    message:
        "Statistically validated co-specialisation network (BH over the blocks' p-values)"
    script:
        rule_script("validated_network.py")


rule trophic_levels:
    """Trophic levels and coherence of the analysed product network, against Erdos-Renyi and degree-preserving
    samples."""
    input:
        **HS_NAMES,
        links=analysed_links,
    output:
        levels=res("analysis/trophic_levels.parquet"),
        coherence=res("analysis/trophic_coherence.parquet"),
    log:
        logfile("trophic_levels.log"),
    benchmark:
        bench("trophic_levels.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        link_method=ANALYSED_NETWORK,
        null_samples=ANALYSIS["trophic"]["null_samples"],
        seed=ANALYSIS["trophic"]["seed"],
    message:
        "Trophic levels and coherence of the {params.link_method} network, against ER and DCM samples"
    script:
        rule_script("trophic_levels.py")


rule trophic_position:
    """Trophic position of every region and country: mean level of imports and exports, the jump, NITL and NTJ."""
    input:
        levels=rules.trophic_levels.output.levels,
        rca=res(f"rca/{RECONCILE}/rca.parquet"),
        trade=res("clean/trade.parquet"),
    output:
        regions=res("analysis/trophic_position_regions.parquet"),
        countries=res("analysis/trophic_position_countries.parquet"),
        figure=report(
            res("figures/trophic_position.png"),
            caption="../report/trophic_position.rst",
            category="3 Value chains",
            subcategory="Trophic position",
            labels={"figure": "Trophic position of the regions"},
        ),
        figure_svg=res("figures/trophic_position.svg"),
    log:
        logfile("trophic_position.log"),
    benchmark:
        bench("trophic_position.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=by_input_size(1000, 10),
        runtime=by_input_size(5, 0.02),
    params:
        link_method=ANALYSED_NETWORK,
        rca_threshold=ANALYSIS["trophic"]["rca_threshold"],
        reconcile=RECONCILE,
    message:
        "Trophic position (TL_imp, TL_exp, jump, NITL, NTJ) of regions and countries"
    script:
        rule_script("trophic_position.py")


rule extended_network:
    """The extended B&F network (candidates up to a score): components, betweenness, HS sections and PCI."""
    input:
        candidates=res(f"links/{RECONCILE}/candidates.parquet"),
        rca=res(f"rca/{RECONCILE}/rca.parquet"),
        hs="resources/hs/harmonized-system.csv",
        sections="resources/hs/sections.csv",
        pci="resources/world2017/pci_hs4_2017.csv",
    output:
        nodes=res("analysis/extended_nodes.parquet"),
        coherence=res("analysis/extended_coherence.parquet"),
        sections=res("analysis/extended_sections.parquet"),
        section_nodes=res("analysis/extended_section_nodes.parquet"),
        complexity=res("analysis/extended_complexity.parquet"),
        complexity_summary=res("analysis/extended_complexity_summary.parquet"),
    log:
        logfile("extended_network.log"),
    benchmark:
        bench("extended_network.tsv")
    conda:
        "../envs/links.yaml"
    threads: 1
    resources:
        mem_mb=by_input_size(1000, 120),
        runtime=by_input_size(5, 0.5),
    params:
        max_score=config["links"]["extended_max_score"],
        pci=ANALYSIS["extended"]["pci"],
        hs_digits=config["hs_digits"],
        rca_threshold=ANALYSIS["trophic"]["rca_threshold"],
        level_bins=ANALYSIS["extended"]["level_bins"],
        null_samples=ANALYSIS["trophic"]["null_samples"],
        seed=ANALYSIS["trophic"]["seed"],
    message:
        "Extended network (B&F candidates with score <= {params.max_score}): components, betweenness, sections, PCI"
    script:
        rule_script("extended_network.py")


rule compare_link_methods:
    """Precision of the B&F and validated links against the known truth, side by side."""
    input:
        bf=res(f"links/{RECONCILE}/links.parquet"),
        validated=rules.validated_network.output.links,
        truth=truth_file,
    output:
        evaluation=res("analysis/link_methods_evaluation.parquet"),
    log:
        logfile("compare_link_methods.log"),
    benchmark:
        bench("compare_link_methods.tsv")
    conda:
        "../envs/links.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        k=config["links"]["k"],
    message:
        "Precision of the B&F and validated links against the known truth"
    script:
        rule_script("compare_link_methods.py")


rule section_network:
    """The analysed network aggregated by HS section with the paper's edge weight (fig. 3B)."""
    input:
        links=analysed_links,
        hs="resources/hs/harmonized-system.csv",
        sections="resources/hs/sections.csv",
    output:
        sections=res("analysis/sections.parquet"),
        section_nodes=res("analysis/section_nodes.parquet"),
    log:
        logfile("section_network.log"),
    benchmark:
        bench("section_network.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        link_method=ANALYSED_NETWORK,
    message:
        "HS-section network of the {params.link_method} network"
    script:
        rule_script("section_network.py")


rule analysis_figures:
    """Figures of the analyses: trophic levels, one value chain drawn, the HS-section network."""
    input:
        unpack(drawn_sections),
        levels=rules.trophic_levels.output.levels,
        coherence=rules.trophic_levels.output.coherence,
        links=res("links/annotated.parquet"),
    output:
        levels=report(
            res("figures/trophic_levels.png"),
            caption="../report/trophic_levels.rst",
            category="3 Value chains",
            subcategory="Trophic levels",
            labels={"figure": "Trophic levels of the products"},
        ),
        levels_svg=res("figures/trophic_levels.svg"),
        chain=report(
            res("figures/value_chain.png"),
            caption="../report/value_chain.rst",
            category="3 Value chains",
            subcategory="Trophic levels",
            labels={"figure": "The value chain of one product"},
        ),
        chain_svg=res("figures/value_chain.svg"),
        sections=report(
            res("figures/section_network.png"),
            caption="../report/section_network.rst",
            category="3 Value chains",
            subcategory="HS sections",
            labels={"figure": "Links between HS sections"},
        ),
        sections_svg=res("figures/section_network.svg"),
    log:
        logfile("analysis_figures.log"),
    benchmark:
        bench("analysis_figures.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        link_method=ANALYSED_NETWORK,
        product=ANALYSIS["figures"]["product"],
        depth=ANALYSIS["figures"]["depth"],
        top_section_edges=ANALYSIS["figures"]["top_section_edges"],
        # the section network drawn: the extended B&F network's with trade data (drawn_sections)
        sections_network="extended_bf" if HAS_TRADE else ANALYSED_NETWORK,
    message:
        "Analysis figures: trophic levels, a value chain, the HS-section network"
    script:
        rule_script("analysis_figures.py")


rule report_tables:
    """The key tables of the report (snakemake --report) as small HTML pages."""
    input:
        unpack(report_table_inputs),
    output:
        **{
            name: report(
                res(f"report/{name}.html"),
                caption="../report/tables.rst",
                category="4 Key tables",
                labels={"table": REPORT_TABLE_LABELS[name]},
            )
            for name in REPORT_TABLES
        },
    log:
        logfile("report_tables.log"),
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        min_share=config["reference"]["min_share"],
        icio_year=ICIO_YEARS[-1],
    message:
        "Key tables of the report"
    script:
        rule_script("report_tables.py")


rule annotate_links:
    """Every link of the analysed network with its evidence: the product reference's label and share, a precision
    estimated held out on folds of output products, and the rank each link method gives it."""
    input:
        unpack(annotate_inputs),
    output:
        links=res("links/annotated.parquet"),
    log:
        logfile("annotate_links.log"),
    benchmark:
        bench("annotate_links.tsv")
    conda:
        "../envs/links.yaml"
    threads: 1
    resources:
        mem_mb=by_input_size(1000, 3),
        runtime=5,
    params:
        network=ANALYSED_NETWORK,
    message:
        "The {params.network} links with their evidence"
    script:
        rule_script("annotate_links.py")


rule export_tables:
    """The analysed network and the largest flows for other tools: CSV for spreadsheets and Stata, GraphML for Gephi
    and Cytoscape (nodes with names, HS sections and trophic levels; edges with rank, confidence, estimated
    precision and the reference label)."""
    input:
        unpack(export_inputs),
    output:
        **({"flows_csv": res("exports/largest_country_flows.csv")} if HAS_TRADE else {}),
        links_csv=res("exports/links.csv"),
        graphml=res("exports/product_network.graphml"),
    log:
        logfile("export_tables.log"),
    benchmark:
        bench("export_tables.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=by_input_size(1000, 5),
        runtime=5,
    params:
        network=ANALYSED_NETWORK,
    message:
        "CSV and GraphML exports of the {params.network} network"
    script:
        rule_script("export_tables.py")


NETWORK_ANALYSIS_ARTIFACTS = [
    *rules.trophic_levels.output,
    *rules.section_network.output,
    *rules.analysis_figures.output,
    *rules.report_tables.output,
    *rules.annotate_links.output,
    *rules.export_tables.output,
]
TRADE_ANALYSIS_ARTIFACTS = [
    res("links/validated/fit.parquet"),
    res("links/validated/links.parquet"),
    *rules.trophic_position.output,
    *rules.extended_network.output,
]
