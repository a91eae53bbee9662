# Region-to-region flows along the inferred links (proportional allocation): always as their three factors, with
# each link's largest country and region pairs (flow_factors); with flows.dataset, also their sums by link and
# country pair and every flow, in scattered blocks of chunks of input products (config scatter.flows) gathered into
# one partitioned dataset.


rule allocate_flows:
    """Trade allocated from region to region along the input links (proportional allocation, bounds), for one
    block of input products (scatter item {scatteritem})."""
    input:
        trade=rules.clean_trade.output.trade,
        # the user's network when one is given, else the final links; the allocation uses the link set, not the
        # confidences (the paper's proportional rule has no link weights)
        links=res("links/user/links.parquet") if LINKS_FILE else res("links/final.parquet"),
    output:
        part=temp(directory(res("flows/parts/{scatteritem}"))),
    log:
        logfile("allocate_flows/{scatteritem}.log"),
    benchmark:
        bench("allocate_flows/{scatteritem}.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=by_input_size(1000, 30),
        runtime=by_input_size(10, 0.1),
    params:
        min_value=config["flows"]["min_value"],
        chunk_products=config["flows"]["chunk_products"],
    message:
        "Allocating trade from region to region along the "
        + ("links_file network" if LINKS_FILE else f"final ({config['links']['method']}) links")
        + ", block {wildcards.scatteritem} ({resources.mem_mb} MB, {resources.runtime} min)"
    script:
        rule_script("allocate_flows.py")


rule flow_factors:
    """The allocation's three factors (exporters' shares, importers' imports, users' output shares), whose join
    is the flows: tables that grow with the regions, not with their pairs; and of the flows, each link's largest
    country and region pairs and, with the flows dataset, their sums by link and every country pair (as many rows as
    the flows when countries are the locations, as in a world run)."""
    input:
        trade=rules.allocate_flows.input.trade,
        links=rules.allocate_flows.input.links,
    output:
        **({"summary": res("flows/summary.parquet")} if config["flows"]["dataset"] else {}),
        exporters=res("flows/factors/exporters.parquet"),
        importers=res("flows/factors/importers.parquet"),
        users=res("flows/factors/users.parquet"),
        largest_country_pairs=res("flows/largest_country_pairs.parquet"),
        largest_region_pairs=res("flows/largest_region_pairs.parquet"),
    log:
        logfile("flow_factors.log"),
    benchmark:
        bench("flow_factors.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=by_input_size(1000, 30),
        runtime=by_input_size(10, 0.1),
    params:
        min_value=config["flows"]["min_value"],
        chunk_products=config["flows"]["chunk_products"],
        largest=config["flows"]["largest"],
    message:
        "The flows' three factors and the {params.largest} largest country and region pairs of each link"
    script:
        rule_script("flow_factors.py")


rule gather_flows:
    """The flows dataset (partitioned by the input's HS2 chapter), from the blocks of allocate_flows: their files
    hard-linked, so the bytes do not depend on the number of blocks."""
    input:
        parts=gather.flows(res("flows/parts/{scatteritem}")),
    output:
        flows=directory(res("flows/dataset")),
    log:
        logfile("gather_flows.log"),
    benchmark:
        bench("gather_flows.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        blocks=lambda wildcards, input: len(input.parts),
    message:
        "Gathering the flows of {params.blocks} block(s) into one dataset"
    script:
        rule_script("gather_flows.py")
