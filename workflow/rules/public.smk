# Free official regional trade (source: public): the US Census Bureau's state trade and Brazil's Comex Stat,
# downloaded once into public.cache (resources/public/) and combined into one canonical file that ingestion reads.


rule retrieve_public:
    """Download one public file (cached; sha256 logged and checked when pinned in public.sha256, and recorded in
    <file>.sha256 for the rules that read the file to check it again)."""
    output:
        f"{PUBLIC_DIR}/{{source}}/{{name}}",
    log:
        "logs/retrieve_public_{source}_{name}.log",
    wildcard_constraints:
        source="census|comexstat",
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=120,
    params:
        # the URL without the API key, which the script adds from the config or CENSUS_API_KEY
        url=lambda w: public_url(w.source, w.name),
        sha256=lambda w: PUBLIC["sha256"].get(f"{w.source}/{w.name}"),
    message:
        "Retrieving {wildcards.source}/{wildcards.name}"
    script:
        rule_script("retrieve_public.py")


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


rule retrieve_baci:
    """Download the BACI release archive (or copy it from data_mirror/baci/), sha256 logged and checked when
    pinned in baci.sha256."""
    output:
        "resources/baci/BACI_{hs}_{release}.zip",
    log:
        "logs/retrieve_baci_{hs}_{release}.log",
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=240,
    params:
        url=lambda w: config["baci"]["url"].format(hs=w.hs, release=w.release),
        sha256=config["baci"]["sha256"],
    message:
        "Retrieving BACI {wildcards.hs} {wildcards.release}"
    script:
        rule_script("retrieve_baci.py")


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
