# Value-added accounting on inter-country input-output tables (docs/method.md section 10): for every configured
# year of the table (default: the WIOD 2013 tables 2009-2011), every measure for every country (and
# sector), as Parquet under results/shared/icio-<key>/<year>/ (shared by runs with the same icio section).
# Each rule runs on 1 thread: the Leontief inverses and matrix products of a multi-threaded BLAS differ in the
# last bits with its thread count (measured: every accounting table differed between 1 and 2 threads, nothing
# else did), and the years' and measures' jobs run side by side anyway.


ICIO = config["icio"]


PERSPECTIVES = ["exporter", "sectexp", "bilateral", "sectbil", "importer", "sectimp", "world"]


ICIO_YEARS = [int(y) for y in ICIO["years"]]


# Shared by every run with the same icio section; the years only say which tables to compute.
ICIO_SHARED = Shared("icio", {k: v for k, v in ICIO.items() if k != "years"})


ICIO_TABLES = {
    "decompositions": ["kww", "wwz", "bm_source", "bm_sink"],
    "participation": ["gvc_total", "gvc_sectoral", "production"],
    "position": ["position"],
    "va": ["va_origin_destination"],
    "perspectives": [f"perspectives/{p}_source" for p in PERSPECTIVES]
    + [
        "perspectives/exporter_sink",
        "perspectives/world_sink",
        "tripartite",
        "tiva_gvc",
        "length",
        "va_origin_exports",
    ],
}


# Outputs of icio_perspectives, named as the script reads them (perspectives/exporter_source -> perspectives_...).
ICIO_PERSPECTIVE_OUTPUTS = {
    "_".join(PurePosixPath(name).parts): ICIO_SHARED.out(f"{{icio_year}}/{name}.parquet")
    for name in ICIO_TABLES["perspectives"]
}
ICIO_ARTIFACTS = [
    ICIO_SHARED.out(f"{year}/{name}.parquet") for year in ICIO_YEARS for names in ICIO_TABLES.values() for name in names
]


wildcard_constraints:
    icio_year=r"\d{4}",


rule icio_decompositions:
    """Gross-export decompositions of one ICIO year: KWW, WWZ (16 terms), Borin-Mancini source and sink."""
    input:
        table=icio_table,
    output:
        kww=ICIO_SHARED.out("{icio_year}/kww.parquet"),
        wwz=ICIO_SHARED.out("{icio_year}/wwz.parquet"),
        bm_source=ICIO_SHARED.out("{icio_year}/bm_source.parquet"),
        bm_sink=ICIO_SHARED.out("{icio_year}/bm_sink.parquet"),
    log:
        ICIO_SHARED.log("{icio_year}/decompositions.log"),
    benchmark:
        ICIO_SHARED.bench("{icio_year}/decompositions.tsv")
    conda:
        "../envs/icio.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=15,
    params:
        table=icio_params(),
    message:
        "ICIO {wildcards.icio_year}: gross-export decompositions (KWW, WWZ 16 terms, Borin-Mancini source and sink)"
    script:
        rule_script("icio_decompositions.py")


rule icio_participation:
    """GVC participation (Borin-Mancini) and the UIBE production decomposition of one ICIO year."""
    input:
        table=icio_table,
    output:
        gvc_total=ICIO_SHARED.out("{icio_year}/gvc_total.parquet"),
        gvc_sectoral=ICIO_SHARED.out("{icio_year}/gvc_sectoral.parquet"),
        production=ICIO_SHARED.out("{icio_year}/production.parquet"),
    log:
        ICIO_SHARED.log("{icio_year}/participation.log"),
    benchmark:
        ICIO_SHARED.bench("{icio_year}/participation.tsv")
    conda:
        "../envs/icio.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        table=icio_params(),
    message:
        "ICIO {wildcards.icio_year}: GVC participation (Borin-Mancini) and UIBE production decomposition"
    script:
        rule_script("icio_participation.py")


rule icio_position:
    """Upstreamness, downstreamness and GVC production length of one ICIO year."""
    input:
        table=icio_table,
    output:
        position=ICIO_SHARED.out("{icio_year}/position.parquet"),
    log:
        ICIO_SHARED.log("{icio_year}/position.log"),
    benchmark:
        ICIO_SHARED.bench("{icio_year}/position.tsv")
    conda:
        "../envs/icio.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        table=icio_params(),
    message:
        "ICIO {wildcards.icio_year}: upstreamness, downstreamness and GVC production length"
    script:
        rule_script("icio_position.py")


rule icio_va:
    """Value added by country-sector of origin and country of final absorption, one ICIO year."""
    input:
        table=icio_table,
    output:
        va=ICIO_SHARED.out("{icio_year}/va_origin_destination.parquet"),
    log:
        ICIO_SHARED.log("{icio_year}/va.log"),
    benchmark:
        ICIO_SHARED.bench("{icio_year}/va.tsv")
    conda:
        "../envs/icio.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        table=icio_params(),
        groups=ICIO["groups"],
    message:
        "ICIO {wildcards.icio_year}: value added by country-sector of origin and country of final absorption"
    script:
        rule_script("icio_va.py")


rule icio_perspectives:
    """Borin-Mancini decompositions in every perspective (source; exporter and world also sink), the
    tripartite GVC split, TiVA GVC participation, UIBE production lengths and foreign value added by origin;
    every country, plus each configured group as one exporter."""
    input:
        table=icio_table,
    output:
        **ICIO_PERSPECTIVE_OUTPUTS,
    log:
        ICIO_SHARED.log("{icio_year}/perspectives.log"),
    benchmark:
        ICIO_SHARED.bench("{icio_year}/perspectives.tsv")
    conda:
        "../envs/icio.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=15,
    params:
        table=icio_params(),
        groups=ICIO["groups"],
    message:
        "ICIO {wildcards.icio_year}: perspectives, tripartite GVC, TiVA GVC, production length, FVA by origin"
    script:
        rule_script("icio_perspectives.py")
