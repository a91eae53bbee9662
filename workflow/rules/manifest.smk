# The run's manifest: every artifact with its sha256, rows and schema version.


def final_artifacts(wildcards):
    """Every artifact the run produces, for the manifest (and so for rule all)."""
    files = REFERENCE_ARTIFACTS + NETWORK_ANALYSIS_ARTIFACTS + EXPLORER_ARTIFACTS
    if LINKS_FILE:
        files += [res("links/user/links.parquet")]
    if not HAS_TRADE:
        return files
    files += [
        res("data/trade.parquet"),
        res("clean/trade.parquet"),
        res("clean/dropped_rows.parquet"),
        res("clean/dropped_regions.parquet"),
        *expand(res("rca/{reconcile}/rca.parquet"), reconcile=RECONCILE_MODES),
        *expand(res("links/{reconcile}/links.parquet"), reconcile=RECONCILE_MODES),
        *expand(res("links/{reconcile}/candidates.parquet"), reconcile=RECONCILE_MODES),
        res("links/baseline.parquet"),
        res("flows/dataset"),
        res("flows/summary.parquet"),
    ]
    files += FINETUNE_ARTIFACTS + ICIO_ARTIFACTS + TRADE_ANALYSIS_ARTIFACTS + METHOD_ARTIFACTS
    if DEMO:
        files += [res("data/truth_links.parquet"), res("data/products.parquet")]
    if DEMO or config.get("truth"):
        files += [
            res("evaluation/links.parquet"),
            res("figures/link_recovery.png"),
            res("analysis/link_methods_evaluation.parquet"),
        ]
    return files


rule write_manifest:
    """The run's manifest: every artifact with its sha256, rows and schema version, and the skipped stages."""
    input:
        artifacts=final_artifacts,
    output:
        manifest=res("MANIFEST.json"),
    log:
        logfile("write_manifest.log"),
    benchmark:
        bench("write_manifest.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        root=lambda w, output: os.path.dirname(output.manifest),
        skipped=SKIPPED,
    message:
        "Writing the manifest of results/{config[run]}"
    script:
        rule_script("write_manifest.py")
