# Retrieval: every file the workflow fetches, one rule per kind, all through valuechain.glue.retrieve (streamed,
# resumed, retried, checked against a pinned sha256 before it is renamed into place, stamped for the rules that
# read it). Run by Snakemake itself, never on a cluster's compute nodes (localrules in the Snakefile).


rule retrieve_data:
    """Copy a reference data set from the data mirror, or download it from its pinned URL (R data converted to the
    mirror's layout); sha256 checked, the converted file's logged, and recorded in <file>.sha256 for the rules that
    read the file to check it again (Snakemake would not rerun this rule if it were edited)."""
    output:
        "resources/{dataset}",
    log:
        "logs/retrieve_data/{dataset}.log",
    wildcard_constraints:
        dataset="|".join(re.escape(path) for path in DATA_FILES),
    conda:
        "../envs/rdata.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=30,
    params:
        # the mirror folder is read by the script: where a file with a pinned sha256 comes from is not a parameter
        # of its content, so moving the mirror reruns nothing
        file=lambda w: DATA_FILES[w.dataset],
    message:
        "Retrieving {wildcards.dataset}"
    script:
        rule_script("retrieve_data.py")


rule retrieve_product_truth:
    """Copy a product-truth table from the data mirror, or download it; sha256 logged and checked."""
    output:
        f"{REF_DIR}/{{name}}",
    log:
        "logs/retrieve_product_truth_{name}.log",
    wildcard_constraints:
        name="|".join(re.escape(n) for n in REF_BY_NAME),
    conda:
        "../envs/rdata.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=30,
    params:
        # where the file is copied from is not a parameter of its content (its sha256 is pinned), so the mirror
        # folder is read from the config by the script and moving it reruns nothing
        file=lambda w: REF["files"][REF_BY_NAME[w.name]],
    message:
        "Retrieving {wildcards.name}"
    script:
        rule_script("retrieve_product_truth.py")


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


rule retrieve_oecd_icio:
    """Download the OECD ICIO tables that fine-tuning reads (only when source is oecd and they are absent)."""
    output:
        [
            ensure(FINETUNE["oecd"]["path"].format(year=y), non_empty=True, sha256=_oecd_sha256(y))
            for y in FINETUNE["oecd"]["years"]
        ],
    log:
        FT.log("retrieve_oecd_icio.log"),
    benchmark:
        FT.bench("retrieve_oecd_icio.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        url=FINETUNE["oecd"]["url"],
        # a function, so that its "{year}" is not taken for a wildcard
        member=lambda w: FINETUNE["oecd"]["member"],
        years=FINETUNE["oecd"]["years"],
        sha256=FINETUNE["oecd"]["sha256"],
    message:
        "Downloading the OECD ICIO tables {params.years} from {params.url}"
    script:
        rule_script("retrieve_oecd_icio.py")


if ICIO["retrieve"]["url"]:

    localrules:
        retrieve_icio_table,

    rule retrieve_icio_table:
        """Download a missing ICIO table (or take it out of its zip archive) from icio.retrieve.url."""
        output:
            table=ensure(ICIO["path"].replace("{year}", "{icio_year}"), non_empty=True),
        log:
            ICIO_SHARED.log("retrieve_{icio_year}.log"),
        wildcard_constraints:
            icio_year=r"\d{4}",
        conda:
            "../envs/icio.yaml"
        threads: 1
        resources:
            mem_mb=1000,
            runtime=60,
        params:
            # functions, so that the {year} and {yy} placeholders are not taken for wildcards
            url=lambda w: ICIO["retrieve"]["url"].format(year=w.icio_year, yy=_two_digit(w.icio_year)),
            member=lambda w: (ICIO["retrieve"]["member"] or "").format(year=w.icio_year, yy=_two_digit(w.icio_year)),
            sha256=lambda w: ICIO["retrieve"]["sha256"].get(str(w.icio_year)),
        message:
            "Downloading the ICIO table of {wildcards.icio_year} from {params.url}"
        script:
            rule_script("retrieve_icio_table.py")
