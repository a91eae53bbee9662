# Backward & Forward link inference, the random baseline, and their evaluation against a known truth.


rule infer_bf_links:
    """Backward & Forward: the top-k inputs of every product from export and import RCA co-occurrence."""
    input:
        unpack(links_inputs),
    output:
        links=res("links/{reconcile}/links.parquet"),
        candidates=res("links/{reconcile}/candidates.parquet"),
    log:
        logfile("infer_links_{reconcile}.log"),
    benchmark:
        bench("infer_links_{reconcile}.tsv")
    conda:
        "../envs/base.yaml"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=20,
    params:
        thresholds=config["links"]["thresholds"],
        n_candidates=config["links"]["n_candidates"],
        k=config["links"]["k"],
    message:
        "Backward & Forward input links ({wildcards.reconcile} RCA)"
    script:
        rule_script("infer_bf_links.py")


rule random_baseline:
    """The random baseline: k inputs per product drawn uniformly (seeded)."""
    input:
        rca=res(f"rca/{RECONCILE}/rca.parquet"),
    output:
        links=res("links/baseline.parquet"),
    log:
        logfile("random_baseline.log"),
    benchmark:
        bench("random_baseline.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    params:
        k=config["links"]["k"],
        seed=config["links"]["baseline_seed"],
    message:
        "Random baseline: k inputs per product drawn uniformly"
    script:
        rule_script("random_baseline.py")


rule evaluate_links:
    """Precision, recall and the paper's at-least shares of B&F, the final links and the baseline against the known
    links."""
    input:
        links=expand(res("links/{reconcile}/links.parquet"), reconcile=RECONCILE_MODES),
        baseline=rules.random_baseline.output.links,
        final=res("links/final.parquet"),
        truth=truth_file,
    output:
        evaluation=res("evaluation/links.parquet"),
        figure=report(
            res("figures/link_recovery.png"),
            caption="../report/link_recovery.rst",
            category="1 Links",
            subcategory="Known truth",
            labels={"figure": "Inputs recovered against the planted links"},
        ),
        figure_svg=res("figures/link_recovery.svg"),
    log:
        logfile("evaluate_links.log"),
    benchmark:
        bench("evaluate_links.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    params:
        k=config["links"]["k"],
        reconcile=RECONCILE_MODES,
        method=LINKS["method"],
    message:
        "Scoring B&F, the final links and the random baseline against the known links"
    script:
        rule_script("evaluate_links.py")
