# The run's manifest: every artifact with its sha256, rows and schema version.


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
