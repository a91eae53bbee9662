# Region-to-region flows along the inferred links (proportional allocation), chunk by chunk.


rule allocate_flows:
    """Trade allocated from region to region along the input links (proportional allocation, bounds)."""
    input:
        trade=rules.clean_trade.output.trade,
        # the user's network when one is given, else the final links; the allocation uses the link set, not the
        # confidences (the paper's proportional rule has no link weights)
        links=res("links/user/links.parquet") if LINKS_FILE else res("links/final.parquet"),
    output:
        flows=directory(res("flows/dataset")),
        summary=res("flows/summary.parquet"),
    log:
        logfile("allocate_flows.log"),
    benchmark:
        bench("allocate_flows.tsv")
    threads: 1
    resources:
        mem_mb=by_input_size(1000, 20),
        runtime=by_input_size(10, 0.1),
    params:
        min_value=config["flows"]["min_value"],
        chunk_products=config["flows"]["chunk_products"],
    message:
        "Allocating trade from region to region along the "
        + ("links_file network" if LINKS_FILE else f"final ({config['links']['method']}) links")
    conda:
        "../envs/base.yaml"
    script:
        rule_script("allocate_flows.py")
