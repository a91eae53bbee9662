# Export and import RCA of every region and product, for one way of reconciling the two flows.


rule compute_rca:
    """Export and import RCA of every location and product (outer or inner join of the two flows)."""
    input:
        trade=rules.clean_trade.output.trade,
    output:
        rca=res("rca/{reconcile}/rca.parquet"),
    log:
        logfile("compute_rca_{reconcile}.log"),
    benchmark:
        bench("compute_rca_{reconcile}.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=by_input_size(1000, 16),
        runtime=by_input_size(5, 0.02),
    params:
        reconcile="{reconcile}",
    message:
        "RCA of exports and imports ({wildcards.reconcile} join)"
    script:
        rule_script("compute_rca.py")
