# Link methods beyond Backward & Forward (docs/links.md): continuous co-specialisation scores (cospec) and a
# classifier trained on ICIO industry pairs (learned), each chosen and measured held out on the fine-tuning
# tables; the run's final link set; every method scored on every yardstick.


# The cospec variant is chosen on the fine-tuning tables (under FT); the learned model also depends on its own
# section, so it is shared by runs with the same finetune and links.learned sections.
LEARNED = Shared("learned", FINETUNE, LINKS["learned"])


# The world yardstick and evidence (world_links): shared by runs with the same world and reference sections.
WORLD = Shared("world", config["world"], REFERENCE_SECTION)
# Methods that read the world evidence, and those that read the chosen cospec variant.
WORLD_METHODS = ("world", "fused")
# The countries of the WIOD 2016 national tables (their world input coefficients are the ISIC rev. 4 prior).
WORLD_COUNTRIES = config["data"]["wiod2016_niot"]["countries"]
VARIANT_METHODS = ("cospec", "regional", "fused")


wildcard_constraints:
    method="cospec|learned|regional|world|fused",


rule select_cospec:
    """Choose the co-specialisation variant on the tuning years; measure the choice on held-out years and folds."""
    input:
        **finetune_samples(),
    output:
        selection=FT.out("cospec/selection.parquet"),
        variant=FT.out("cospec/variant.json"),
    log:
        FT.log("select_cospec.log"),
    benchmark:
        FT.bench("select_cospec.tsv")
    conda:
        "../envs/links.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        k=config["finetune"]["k"],
        folds=config["finetune"]["heldout"]["folds"],
        seed=config["finetune"]["heldout"]["seed"],
    message:
        "Co-specialisation: choosing the score variant on the tuning years, held out on the rest"
    script:
        rule_script("select_cospec.py")


rule train_link_model:
    """Train the link classifiers on ICIO industry pairs, keep the one with the better held-out precision."""
    input:
        **finetune_samples(),
    output:
        model=LEARNED.out("model.pkl"),
        training=LEARNED.out("training.parquet"),
        reliability=LEARNED.out("reliability.parquet"),
    log:
        LEARNED.log("train_link_model.log"),
    benchmark:
        LEARNED.bench("train_link_model.tsv")
    conda:
        "../envs/links.yaml"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        k=config["finetune"]["k"],
        folds=config["finetune"]["heldout"]["folds"],
        seed=LINKS["learned"]["seed"],
        models=LINKS["learned"]["models"],
    message:
        "Training the learned link model on ICIO pairs ({params.models})"
    script:
        rule_script("train_link_model.py")


rule world_links:
    """The world yardstick: the 2017 exports of every country, with the industry prior and export size, scored
    against the product reference at HS4 (both labellings); weights chosen cross-fitted on folds of outputs."""
    input:
        unpack(lambda w: {"published": ref_file("published")} if PUBLISHED_FILE else {}),
        world=world_data(),
        use=ref_file("use_table"),
        commodities=ref_file("commodities"),
        crosswalk=ref_file("crosswalk"),
        hs_naics=ref_file("hs_naics"),
        hs_bec=ref_file("hs_bec"),
        hs="resources/hs/harmonized-system.csv",
        names="resources/hs/hs92_atlas_names.csv",
    output:
        links=WORLD.out("links.parquet"),
        weights=WORLD.out("weights.json"),
        grid=WORLD.out("grid.parquet"),
        evaluation=WORLD.out("evaluation.parquet"),
        end_use=WORLD.out("end_use_levels.parquet"),
    log:
        WORLD.log("world_links.log"),
    benchmark:
        WORLD.bench("world_links.tsv")
    conda:
        "../envs/links.yaml"
    threads: 2
    resources:
        mem_mb=3000,
        runtime=15,
    params:
        world=config["world"],
        countries=WORLD_COUNTRIES,
        min_share=REF["min_share"],
        naics_match=REF["naics_match"],
    message:
        "World yardstick: every country's exports, the industry prior and export size against the product reference"
    script:
        rule_script("world_links.py")


rule infer_links_method:
    """Top-k inputs of every product by a scoring method (cospec, learned, regional, world, fused), with
    confidences and abstention."""
    input:
        unpack(method_inputs),
        rca=res(f"rca/{RECONCILE}/rca.parquet"),
    output:
        links=res("links/{method}/links.parquet"),
    log:
        logfile("infer_links_{method}.log"),
    benchmark:
        bench("infer_links_{method}.tsv")
    conda:
        "../envs/links.yaml"
    threads: 2
    resources:
        mem_mb=by_file_size("rca", 1000, 250),
        runtime=by_file_size("rca", 5, 0.5),
    params:
        k=LINKS["k"],
        min_confidence=LINKS["min_confidence"],
        world=config["world"],
        countries=WORLD_COUNTRIES,
    message:
        "{wildcards.method} input links"
    script:
        rule_script("infer_links_method.py")


rule final_links:
    """The link set flows and analyses read: the configured links.method, with confidences and abstention."""
    input:
        **HS_NAMES,
        links=method_links(LINKS["method"]),
    output:
        links=res("links/final.parquet"),
    log:
        logfile("final_links.log"),
    benchmark:
        bench("final_links.tsv")
    conda:
        "../envs/links.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        method=LINKS["method"],
        min_confidence=LINKS["min_confidence"],
    message:
        "Final links: {params.method}"
    script:
        rule_script("final_links.py")


rule evaluate_methods:
    """Every link method on every yardstick: ICIO held out (and in sample, labelled), the known truth, the
    product reference; precision, coverage, at-least shares and precision at matched coverage."""
    input:
        unpack(methods_inputs),
    output:
        evaluation=res("evaluation/methods.parquet"),
        figure=report(
            res("figures/precision_coverage.png"),
            caption="../report/precision_coverage.rst",
            category="1 Links",
            subcategory="Every method, every yardstick",
            labels={"figure": "Precision against coverage, every method and yardstick"},
        ),
        figure_svg=res("figures/precision_coverage.svg"),
    log:
        logfile("evaluate_methods.log"),
    benchmark:
        bench("evaluate_methods.tsv")
    conda:
        "../envs/links.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=10,
    params:
        methods=COMPARED,
        k=LINKS["k"],
        min_share=REF["min_share"],
        wiod2016_years=LINKS["wiod2016_years"],
        thresholds=LINKS["thresholds"],
        folds=config["finetune"]["heldout"]["folds"],
        seed=config["finetune"]["heldout"]["seed"],
    message:
        "Scoring the link methods {params.methods} on every yardstick"
    script:
        rule_script("evaluate_methods.py")


METHOD_ARTIFACTS = [
    res("links/final.parquet"),
    *rules.evaluate_methods.output,
    *([res("links/cospec/links.parquet"), *rules.select_cospec.output] if "cospec" in COMPARED else []),
    *([res("links/learned/links.parquet"), *rules.train_link_model.output] if "learned" in COMPARED else []),
    *(res(f"links/{m}/links.parquet") for m in ("regional", "world", "fused") if m in COMPARED),
    *(rules.world_links.output if set(WORLD_METHODS) & set(COMPARED) else []),
]
