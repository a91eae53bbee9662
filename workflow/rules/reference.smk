# The product-level reference (docs/reference.md): public tables retrieved, the reference network built, and
# every product network of the run (and the paper's published one) scored against it; the end-use check of
# trophic levels.


REF = config["reference"]


REF_DIR = "resources/product_truth"


REF_BY_NAME = {f["name"]: key for key, f in REF["files"].items()}


rule ingest_published_network:
    """The paper's published HS4 network, validated like any user network."""
    input:
        links=ref_file("published"),
        hs_codes=HS_CODES,
    output:
        links=REFERENCE.out("published_kh2025.parquet"),
    log:
        REFERENCE.log("ingest_published_network.log"),
    benchmark:
        REFERENCE.bench("ingest_published_network.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        digits=4,
    message:
        "Reading the published Karbevska & Hidalgo HS4 network"
    script:
        rule_script("ingest_links.py")


rule reference_network:
    """Reference input shares of every product pair from the BEA Use table, concordance coverage, end use."""
    input:
        use=ref_file("use_table"),
        commodities=ref_file("commodities"),
        crosswalk=ref_file("crosswalk"),
        hs_naics=ref_file("hs_naics"),
        hs_bec=ref_file("hs_bec"),
        hs="resources/hs/harmonized-system.csv",
    output:
        links=REFERENCE.out("product_io.parquet"),
        coverage=REFERENCE.out("coverage.parquet"),
        end_use=REFERENCE.out("end_use.parquet"),
    log:
        REFERENCE.log("reference_network.log"),
    benchmark:
        REFERENCE.bench("reference_network.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc: 2000 if config["hs_digits"] <= 4 else 6000,
        runtime=10,
    params:
        digits=config["hs_digits"],
        naics_match=REF["naics_match"],
        min_share=REF["min_share"],
    message:
        "Reference network: BEA 2017 detailed Use table through HS6 -> NAICS -> BEA ({params.naics_match} match)"
    script:
        rule_script("reference_network.py")


rule evaluate_reference:
    """Precision@k and the at-least-n shares of every network against the reference, overall and by group."""
    input:
        unpack(reference_inputs),
    output:
        evaluation=res("evaluation/reference.parquet"),
        groups=res("evaluation/reference_groups.parquet"),
        figure=report(
            res("figures/reference_evaluation.png"),
            caption="../report/reference_evaluation.rst",
            category="1 Links",
            subcategory="Product reference",
            labels={"figure": "Every network against the product reference"},
        ),
        figure_svg=res("figures/reference_evaluation.svg"),
    log:
        logfile("evaluate_reference.log"),
    benchmark:
        bench("evaluate_reference.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=10,
    params:
        networks=list(scored_networks()),
        k=config["links"]["k"],
        min_shares=sorted({REF["min_share"], *REF["report_min_shares"]}),
        min_share=REF["min_share"],
    message:
        "Scoring {params.networks} against the product reference"
    script:
        rule_script("evaluate_reference.py")


rule end_use_levels:
    """Mean trophic level by end-use class (intermediate, capital, consumption) of every network."""
    input:
        unpack(reference_inputs),
    output:
        levels=res("evaluation/end_use_levels.parquet"),
        figure=report(
            res("figures/end_use_levels.png"),
            caption="../report/end_use_levels.rst",
            category="1 Links",
            subcategory="Product reference",
            labels={"figure": "Trophic level by end use"},
        ),
        figure_svg=res("figures/end_use_levels.svg"),
    log:
        logfile("end_use_levels.log"),
    benchmark:
        bench("end_use_levels.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        networks=list(scored_networks()),
        k=config["links"]["k"],
        min_share=REF["min_share"],
    message:
        "Trophic levels by BEC end-use class, every network"
    script:
        rule_script("end_use_levels.py")


REFERENCE_ARTIFACTS = [
    *([rules.ingest_published_network.output.links] if "published_kh2025" in scored_networks() else []),
    *rules.reference_network.output,
    *rules.evaluate_reference.output,
    *rules.end_use_levels.output,
]
