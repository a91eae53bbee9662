# Fine-tuning the four Backward & Forward thresholds on an inter-country input-output table (docs/method.md section 5):
# ICIO tables -> specialisation and trade-intensity labels -> 10,000-combination grid -> chosen thresholds (read by
# infer_bf_links when links.thresholds is "tuned"), held-out precision, labelled industry network and figures.


FINETUNE = config["finetune"]


FINETUNE_SOURCE = FINETUNE[FINETUNE["source"]]


FINETUNE_HELDOUT = FINETUNE["heldout"]["schemes"]


# Shared by every run with the same finetune section.
FT = Shared("finetune", FINETUNE)


FINETUNE_YEARS = _finetune_year_sets()


rule finetune_prepare:
    """Specialisation (RCA) and true-link labels (trade intensity) of ICIO industries for one sample of years."""
    input:
        tables=finetune_tables,
    output:
        specialisation=FT.out("{sample}/specialisation.parquet"),
        labels=FT.out("{sample}/labels.parquet"),
    log:
        FT.log("prepare_{sample}.log"),
    benchmark:
        FT.bench("prepare_{sample}.tsv")
    wildcard_constraints:
        sample="all|tune|heldout",
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        source=FINETUNE["source"],
        years=lambda w: FINETUNE_YEARS[w.sample],
        household=FINETUNE_SOURCE["household"],
        split_countries=FINETUNE["split_countries"],
        drop_countries=FINETUNE["drop_countries"],
    message:
        "Fine-tuning: specialisation and trade-intensity labels from {params.source} ICIO {params.years} ({wildcards.sample})"
    script:
        rule_script("finetune_prepare.py")


rule finetune_grid:
    """B&F top-k precision on the ICIO industries for every combination of the four thresholds."""
    input:
        specialisation=FT.out("all/specialisation.parquet"),
        labels=FT.out("all/labels.parquet"),
    output:
        grid=FT.out("grid.parquet"),
    log:
        FT.log("grid.log"),
    benchmark:
        FT.bench("grid.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        grid=FINETUNE["grid"],
        k=FINETUNE["k"],
        n_candidates=FINETUNE["n_candidates"],
    message:
        "Fine-tuning: B&F top-{params.k} precision for every threshold combination"
    script:
        rule_script("finetune_grid.py")


rule finetune_heldout:
    """Held-out precision of the threshold choice: tuned on some years or industry folds, scored on the rest."""
    input:
        unpack(finetune_heldout_inputs),
    output:
        heldout=FT.out("heldout.parquet"),
    log:
        FT.log("heldout.log"),
    benchmark:
        FT.bench("heldout.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        schemes=FINETUNE_HELDOUT,
        years=FINETUNE_YEARS,
        grid=FINETUNE["grid"],
        k=FINETUNE["k"],
        n_candidates=FINETUNE["n_candidates"],
        min_output_share=FINETUNE["min_output_share"],
        folds=FINETUNE["heldout"]["folds"],
        seed=FINETUNE["heldout"]["seed"],
    message:
        "Fine-tuning: held-out precision ({params.schemes})"
    script:
        rule_script("finetune_heldout.py")


rule finetune_thresholds:
    """The chosen B&F thresholds (in-sample best under the coverage rule), held-out precision beside them."""
    input:
        grid=rules.finetune_grid.output.grid,
        heldout=rules.finetune_heldout.output.heldout,
        labels=FT.out("all/labels.parquet"),
    output:
        thresholds=FT.out("thresholds.json"),
    log:
        FT.log("thresholds.log"),
    benchmark:
        FT.bench("thresholds.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        source=FINETUNE["source"],
        years=FINETUNE_YEARS["all"],
        k=FINETUNE["k"],
        n_candidates=FINETUNE["n_candidates"],
        min_output_share=FINETUNE["min_output_share"],
    message:
        "Fine-tuning: choosing the thresholds (in-sample best, held-out precision beside it)"
    script:
        rule_script("finetune_thresholds.py")


rule finetune_links:
    """The top-k industry links at the chosen thresholds, each labelled true or false."""
    input:
        specialisation=FT.out("all/specialisation.parquet"),
        labels=FT.out("all/labels.parquet"),
        thresholds=rules.finetune_thresholds.output.thresholds,
    output:
        links=FT.out("industry_links.parquet"),
    log:
        FT.log("industry_links.log"),
    benchmark:
        FT.bench("industry_links.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        k=FINETUNE["k"],
        n_candidates=FINETUNE["n_candidates"],
    message:
        "Fine-tuning: labelled top-{params.k} industry links at the chosen thresholds"
    script:
        rule_script("finetune_links.py")


rule plot_finetune_parallel:
    """Figure: parallel coordinates of the best threshold combinations."""
    input:
        grid=rules.finetune_grid.output.grid,
        thresholds=rules.finetune_thresholds.output.thresholds,
    output:
        figure=report(
            FT.out("parallel_coordinates.png"),
            caption="../report/parallel_coordinates.rst",
            category="2 Fine-tuning on ICIO tables",
            labels={"figure": "The best threshold combinations"},
        ),
        figure_svg=FT.out("parallel_coordinates.svg"),
    log:
        FT.log("parallel_coordinates.log"),
    benchmark:
        FT.bench("parallel_coordinates.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        top=500,
    message:
        "Fine-tuning: parallel coordinates of the best {params.top} combinations"
    script:
        rule_script("plot_finetune_parallel.py")


rule plot_finetune_network:
    """Figure: the industry network of the tuned links, true and false links coloured."""
    input:
        **({"industries": "resources/wiod2013/industries.csv"} if FINETUNE["source"] == "wiod" else {}),
        links=rules.finetune_links.output.links,
        thresholds=rules.finetune_thresholds.output.thresholds,
        # industry names of WIOD's c1..c35 (OECD codes such as C10T12 are drawn as they are)
    output:
        figure=report(
            FT.out("industry_network.png"),
            caption="../report/industry_network.rst",
            category="2 Fine-tuning on ICIO tables",
            labels={"figure": "The chosen network of industries"},
        ),
        figure_svg=FT.out("industry_network.svg"),
    log:
        FT.log("industry_network.log"),
    benchmark:
        FT.bench("industry_network.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    message:
        "Fine-tuning: industry network of the tuned links, true links green, false red"
    script:
        rule_script("plot_finetune_network.py")


FINETUNE_ARTIFACTS = [
    *rules.finetune_grid.output,
    *rules.finetune_heldout.output,
    *rules.finetune_thresholds.output,
    *rules.finetune_links.output,
    *rules.plot_finetune_parallel.output,
    *rules.plot_finetune_network.output,
]
