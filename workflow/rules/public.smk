# Free official regional trade (source: public): the US Census Bureau's state trade and Brazil's Comex Stat,
# downloaded once into public.cache (resources/public/) and combined into one canonical file that ingestion reads.


PUBLIC = config["public"]


PUBLIC_DIR = PUBLIC["cache"]


def baci_archive():
    """The BACI release archive: the configured one, or where rule retrieve_baci puts it."""
    return config["baci"]["archive"] or "resources/baci/BACI_{hs}_{release}.zip".format(**config["baci"])


def public_files():
    """Every public file the chosen countries and years need: ``{input group: [(<source>/<name>, URL)]}`` (the
    Census API key is not in the URL; rule retrieve_public adds it)."""
    from valuechain.trade.public import census_url

    pub = config["public"]
    census, comex = pub["census"], pub["comexstat"]
    files = {"census_exports": [], "census_imports": [], "comexstat": []}
    if "USA" in pub["countries"]:
        files["schedule_c"] = [("census/country.txt", census["countries_url"])]
        for flow in ("export", "import"):
            files[f"census_{flow}s"] = [
                (f"census/{flow}s_{census['level']}_{y}.json", census_url(census["api"], flow, y, census["level"]))
                for y in pub["years"]
            ]
    if "BRA" in pub["countries"]:
        for table in ("PAIS", "UF"):
            files[table.lower()] = [(f"comexstat/{table}.csv", comex["tables"].format(table=table))]
        files["comexstat"] = [
            (f"comexstat/{f}_{y}_MUN.csv", comex["files"].format(flow=f, year=y))
            for y in pub["years"]
            for f in ("EXP", "IMP")
        ]
    return files


def public_url(source, name):
    """The URL of ``<public.cache>/<source>/<name>`` (rule retrieve_public)."""
    urls = dict(pair for pairs in public_files().values() for pair in pairs)
    if f"{source}/{name}" not in urls:
        raise ValueError(f"{source}/{name} is not a file of the chosen public sources ({sorted(urls)})")
    return urls[f"{source}/{name}"]


def public_inputs(wildcards):
    """The cached paths of the public files, grouped as rule build_public_trade reads them (single files for
    the tables, lists for the trade files)."""
    d = config["public"]["cache"]
    lists = ("census_exports", "census_imports", "comexstat")
    return {
        group: [f"{d}/{name}" for name, _ in pairs] if group in lists else f"{d}/{pairs[0][0]}"
        for group, pairs in public_files().items()
    }


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
