# The value-chain explorer (docs/explorer.md): one offline HTML page per run, built from the run's outputs with
# the JavaScript libraries installed from the npm registry.


rule install_explorer_libraries:
    """d3 and d3-sankey from the npm registry, at the versions and integrity hashes of the explorer's lock file."""
    input:
        package=explorer_file("package.json"),
        lock=explorer_file("package-lock.json"),
    output:
        d3="resources/explorer/node_modules/d3/dist/d3.min.js",
        sankey="resources/explorer/node_modules/d3-sankey/dist/d3-sankey.min.js",
    log:
        "logs/install_explorer_libraries.log",
    conda:
        "../envs/explorer.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    message:
        "Installing the explorer's JavaScript libraries from the npm registry (npm ci)"
    shell:
        "cp {input.package} {input.lock} resources/explorer/ && "
        "{{ npm ci --prefix resources/explorer --ignore-scripts --no-audit --no-fund > {log} 2>&1 || "
        "{{ echo 'npm ci failed (is Node.js with npm installed, and the npm registry reachable?): see {log}' >&2; "
        "exit 1; }}; }}"


rule build_explorer:
    """The run's value-chain explorer: products with their inputs, flows and reference labels; sections, trophic
    levels and method comparison; regions' trophic positions. One HTML file with everything inlined."""
    input:
        unpack(explorer_inputs),
        d3=rules.install_explorer_libraries.output.d3,
        sankey=rules.install_explorer_libraries.output.sankey,
        page=explorer_file("index.html"),
        script=explorer_file("explorer.js"),
        style=explorer_file("explorer.css"),
    output:
        page=res("explorer/index.html"),
    log:
        logfile("build_explorer.log"),
    benchmark:
        bench("build_explorer.tsv")
    conda:
        "../envs/base.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=15,
    params:
        explorer=config["explorer"],
        min_share=config["reference"]["min_share"],
        run=config["run"],
        link_method=ANALYSED_NETWORK,
        method=config["links"]["method"],
        k=config["links"]["k"],
        product=ANALYSIS["figures"]["product"],
        top_section_edges=ANALYSIS["figures"]["top_section_edges"],
    message:
        "Value-chain explorer of run {params.run}"
    script:
        rule_script("build_explorer.py")


EXPLORER_ARTIFACTS = [*rules.build_explorer.output]
