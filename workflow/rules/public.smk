# Free official regional trade (source: public): the US Census Bureau's state trade and Brazil's Comex Stat,
# downloaded once into public.cache (resources/public/) and combined into one canonical file that ingestion reads.


PUBLIC = config["public"]


PUBLIC_DIR = PUBLIC["cache"]


rule build_public_trade:
    """The chosen countries and years of the public sources in the canonical long form."""
    input:
        unpack(public_inputs),
    output:
        trade=res("data/public_trade.parquet"),
        dropped=res("data/public_dropped.parquet"),
    log:
        logfile("build_public_trade.log"),
    benchmark:
        bench("build_public_trade.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=30,
    params:
        ingest=config["ingest"],
    message:
        "Combining public regional trade of {PUBLIC[countries]} for {PUBLIC[years]}"
    script:
        rule_script("build_public_trade.py")


rule build_baci_trade:
    """BACI's flows of the chosen years in the canonical form, every country a location (its exports and imports
    from the same reconciled flows); groups of countries and codes outside HS recorded as dropped."""
    input:
        archive=baci_archive(),
    output:
        trade=res("data/baci_trade.parquet"),
        dropped=res("data/baci_dropped.parquet"),
    log:
        logfile("build_baci_trade.log"),
    benchmark:
        bench("build_baci_trade.tsv")
    conda:
        "../envs/base.yaml"
    threads: 2
    resources:
        mem_mb=6000,
        runtime=60,
    params:
        years=config["baci"]["years"],
    message:
        "Reading BACI {config[baci][hs]} {config[baci][release]} for {params.years}"
    script:
        rule_script("build_baci_trade.py")
