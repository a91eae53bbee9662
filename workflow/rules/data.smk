# Regional trade in: the generated demo world (default) or the user's file, validated into canonical form.


rule generate_demo_world:
    """The demo world: regional trade of 8 countries generated around input links planted from the BEA reference."""
    input:
        world="resources/world2017/exports_country_hs4_2017.parquet",
        names="resources/hs/hs92_atlas_names.csv",
        hs="resources/hs/harmonized-system.csv",
        reference=REFERENCE.out("product_io.parquet"),
    output:
        trade=res("data/demo_trade.parquet"),
        truth=res("data/truth_links.parquet"),
        products=res("data/products.parquet"),
    log:
        logfile("generate_demo_world.log"),
    benchmark:
        bench("generate_demo_world.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        demo=config["demo"],
        hs_digits=config["hs_digits"],
    message:
        "Generating the demo world of regional trade with a planted input-output graph"
    script:
        rule_script("generate_demo_world.py")


rule ingest_trade:
    """Read the trade file(s), check every row, write the canonical long table (nothing on bad input); with BACI,
    its countries follow, but those the regional files give by their regions."""
    input:
        trade=trade_files,
        world=world_file,
        countries=comexstat_countries,
        hs_codes=HS_CODES,
    output:
        trade=res("data/trade.parquet"),
        dropped=res("data/ingest_dropped.parquet"),
    log:
        logfile("ingest_trade.log"),
    benchmark:
        bench("ingest_trade.tsv")
    conda:
        "../envs/base.yaml"
    threads: 2
    resources:
        mem_mb=by_input_size(1500, 8),
        runtime=by_input_size(10, 0.05),
    params:
        format=trade_format,
        duplicates=config["duplicates"],
        ingest=config["ingest"],
    message:
        "Reading and validating regional trade ({params.format})"
    script:
        rule_script("ingest_trade.py")


rule clean_trade:
    """Keep the chosen years, drop pseudo-regions and small regions, bring codes to the HS level; the rows dropped
    here and before (by ingestion, and by the public sources' reader) are recorded together with their reason."""
    input:
        trade=rules.ingest_trade.output.trade,
        dropped=dropped_before_cleaning,
    output:
        trade=res("clean/trade.parquet"),
        dropped_rows=res("clean/dropped_rows.parquet"),
        dropped_regions=res("clean/dropped_regions.parquet"),
    log:
        logfile("clean_trade.log"),
    benchmark:
        bench("clean_trade.tsv")
    conda:
        "../envs/base.yaml"
    threads: 2
    resources:
        mem_mb=by_input_size(1000, 4),
        runtime=by_input_size(10, 0.03),
    params:
        clean=config["clean"],
        hs_digits=config["hs_digits"],
    message:
        "Cleaning trade: years, pseudo-regions, HS level, regional size filter"
    script:
        rule_script("clean_trade.py")
