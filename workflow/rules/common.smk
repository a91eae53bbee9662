# What every stage shares: the config loaded and validated, path helpers, the shared-stage folders, resources by
# input size, and the run-level choices (sources, link methods compared, stages skipped and why); then the input
# functions of the stages, one section per stage file (each stage file holds its own constants and rules).
# Snakemake's linter keeps functions apart from rules.
import os
import re
import shutil
import subprocess
from pathlib import Path, PurePosixPath

import yaml
from snakemake.exceptions import WorkflowError
from snakemake.logging import logger
from valuechain.glue.cluster import capped_threads, largest_node_cpus, slurm_resources, unset_variables
from valuechain.glue.config import config_errors, move_renamed_keys
from valuechain.glue.provenance import config_hash
from valuechain.glue.retrieve import data_files

if os.path.exists("config/config.yaml"):

    configfile: "config/config.yaml"


# A key read at its old place (valuechain.glue.config.MOVED) is moved to its new one, with a warning; then the
# config is checked against its schema, each problem one line naming the key.
for _warning in move_renamed_keys(config):
    logger.warning(f"config: {_warning}")
_SCHEMA = Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml"
_config_errors = config_errors(config, yaml.safe_load(_SCHEMA.read_text()))
if _config_errors:
    raise WorkflowError("\n".join(_config_errors))

RESULTS = f"results/{config['run']}"

# The SLURM profile (profiles/slurm) reads the account and partition from the environment: checked here, before
# anything is submitted, so that a dry run names what is missing. Threads are capped at the largest node of the
# cluster (sinfo), since a job asking for more CPUs than any node has would stay pending for ever.
_SLURM = slurm_resources(getattr(workflow.resource_settings.default_resources, "args", None) or [])
if _SLURM:
    _unset = unset_variables(_SLURM, os.environ)
    if _unset:
        raise WorkflowError(
            f"the SLURM profile reads the account and partition from the environment: set {' and '.join(_unset)} "
            "(export NAME=value; an empty value uses the cluster's default; docs/cluster.md)"
        )
    if shutil.which("sinfo"):
        _partition = os.environ.get("VALUECHAIN_SLURM_PARTITION")
        _sinfo = subprocess.run(
            ["sinfo", "-h", "-o", "%c", *(["-p", _partition] if _partition else [])],
            capture_output=True,
            text=True,
        )
        _max = capped_threads(workflow.resource_settings.max_threads, largest_node_cpus(_sinfo.stdout))
        if _max != workflow.resource_settings.max_threads:
            logger.info(f"threads capped at {_max}, the CPUs of the largest node of the partition")
            workflow.resource_settings.max_threads = _max
LOGS = f"logs/{config['run']}"
BENCHMARKS = f"benchmarks/{config['run']}"


# The heavy stages as scattered jobs (docs/cluster.md); --set-scatter overrides the config's counts, past the
# schema, so the counts are checked here.
scattergather:
    flows=config["scatter"]["flows"],
    validated=config["scatter"]["validated"],


for _name, _count in workflow._scatter.items():
    if not isinstance(_count, int) or _count < 1:
        raise WorkflowError(f"--set-scatter {_name}={_count}: a stage is split into at least 1 job")

# The explorer shows the pairs flow_factors keeps of each link, so it cannot show more than that keeps.
for _key in ("top_flows", "top_country_flows"):
    if config["explorer"][_key] > config["flows"]["largest"]:
        raise WorkflowError(
            f"config: explorer.{_key} ({config['explorer'][_key]}) is more than the pairs flows.largest keeps "
            f"of each link ({config['flows']['largest']}): raise flows.largest"
        )


wildcard_constraints:
    reconcile="outer|inner",


def res(path):
    """A path under results/<run>/."""
    return f"{RESULTS}/{path}"


def logfile(path):
    return f"{LOGS}/{path}"


def bench(path):
    return f"{BENCHMARKS}/{path}"


class Shared:
    """A run-independent stage (PyPSA-Eur's shared_resources): its artifacts, logs and benchmarks go under
    results/shared/<stage>-<key>/ (logs/shared/..., benchmarks/shared/...), where key is the first 10 hex digits of
    the sha256 of the config sections that determine them. Runs with the same sections reuse them; changing a
    section gives a new folder instead of overwriting what another run reads."""

    def __init__(self, stage, *sections):
        self.name = f"{stage}-{config_hash(list(sections))[:10]}"

    def out(self, path):
        return f"results/shared/{self.name}/{path}"

    def log(self, path):
        return f"logs/shared/{self.name}/{path}"

    def bench(self, path):
        return f"benchmarks/shared/{self.name}/{path}"


def by_input_size(base, per_mb):
    """A resource (mem_mb, or runtime in minutes) of a job growing with the size of its inputs: base + per_mb x their
    MB. The factors are set from the peaks measured on the HS6 benchmark world (about 100M trade rows), which
    scripts/bench/bench_scale.py checks against each rule's measured peak."""
    return lambda wildcards, input: int(base + per_mb * input.size_mb)


def by_file_size(name, base, per_mb):
    """As by_input_size, from the size of one named input only (a rule that also reads fixed reference data)."""
    return lambda wildcards, input: int(base + per_mb * os.path.getsize(input[name]) / 2**20)


def rule_script(name):
    """Absolute path of a script of scripts/ (a script directive is otherwise relative to the .smk file)."""
    return str(Path(workflow.basedir) / "scripts" / name)


RECONCILE = config["rca"]["reconcile"]
RECONCILE_MODES = ["outer", "inner"] if config["rca"]["compare_reconcile"] else [RECONCILE]
LINKS = config["links"]
# Every link method the workflow offers, in the order tables list them.
ALL_LINK_METHODS = ("bf", "cospec", "learned", "regional", "world", "fused")
# Link methods inferred and scored side by side (links.compare plus links.method).
COMPARED = sorted(set(LINKS["compare"]) | {LINKS["method"]}, key=ALL_LINK_METHODS.index)
LINKS_FILE = config.get("links_file")
# No trade file and no network file: the demo world. A network file alone: no trade data at all.
_SOURCES = config.get("source") or []
SOURCES = {_SOURCES} if isinstance(_SOURCES, str) else set(_SOURCES)
PUBLIC_SOURCE = "public" in SOURCES
# BACI: every country a location, alone or beside regional data (whose regions replace their country)
BACI_SOURCE = "baci" in SOURCES
DEMO = config["trade"] is None and LINKS_FILE is None and not SOURCES
HAS_TRADE = DEMO or bool(SOURCES) or config["trade"] is not None
if PUBLIC_SOURCE and config["trade"] is not None:
    raise ValueError("config: set either trade (your files) or source: public, not both")
SKIPPED = (
    {}
    if HAS_TRADE
    else {
        "ingestion, cleaning, RCA, B&F, baseline, validated network": "no trade data: the run analyses links_file",
        "trophic position, extended network, flows": "no trade data: these stages read regional trade",
        "fine-tuning, ICIO accounting": "not needed to analyse a given network",
    }
)
# The paper's published network is a comparison row, not an input: it is scored when it can be had (HS4 runs; in
# the data mirror, at its configured URL, or already retrieved) and skipped with a reason otherwise.
_PUBLISHED = config["reference"]["files"]["published"]
_MIRROR = config.get("data_mirror")
PUBLISHED_FILE = bool(
    _PUBLISHED.get("url")
    or (_MIRROR and (Path(_MIRROR) / "product_truth" / _PUBLISHED["name"]).is_file())
    or (Path("resources/product_truth") / _PUBLISHED["name"]).is_file()
)
PUBLISHED = config["hs_digits"] == 4 and PUBLISHED_FILE
if not PUBLISHED:
    SKIPPED["published network (published_kh2025)"] = (
        "HS6 run: the published network is HS4"
        if config["hs_digits"] != 4
        else f"{_PUBLISHED['name']} is not in the data mirror and has no URL"
    )
# The product reference depends on the reference section and the product level only: shared by runs. The other
# shares it is reported at only add rows to evaluate_reference's tables, so they are not part of its key (nor of
# anything built on it: changing them reruns that one rule).
REFERENCE_SECTION = {k: v for k, v in config["reference"].items() if k != "report_min_shares"}
REFERENCE = Shared("reference", REFERENCE_SECTION, config["hs_digits"])
for _stage, _why in SKIPPED.items():
    logger.info(f"skipped: {_stage} ({_why})")


# Product names beside HS codes (valuechain.trade.hs): the atlas's short names, the HS 2022 nomenclature's beside.
HS_NAMES = {"names": "resources/hs/hs92_atlas_names.csv", "hs": "resources/hs/harmonized-system.csv"}
# Every HS code of goods of any vintage (valuechain.trade.hs.goods_codes): the names, HS 2022 and the HS -> ISIC
# concordances, which list the subheadings of HS 1992 to 2017.
HS_CODES = [*HS_NAMES.values(), "resources/concordance/hs_isic3.csv", "resources/concordance/hs_isic4.csv"]
# The reference data sets under resources/, one entry per file; an entry with countries is one file per country
# (rule retrieve_data; several stages read them).
DATA_FILES = data_files(config["data"])


# Input functions of data.smk ------------------------------------------------------------------------------------------------


def trade_files(wildcards):
    """The regional trade file(s) to ingest: the generated demo world, the public sources combined, the user's, or
    none (a world run of BACI alone)."""
    if DEMO:
        return [rules.generate_demo_world.output.trade]
    if PUBLIC_SOURCE:
        return [res("data/public_trade.parquet")]
    trade = config["trade"] or []
    return trade if isinstance(trade, list) else [trade]


def world_file(wildcards):
    """BACI's countries in the canonical form, read after the regional files (source: baci), or none."""
    return [res("data/baci_trade.parquet")] if BACI_SOURCE else []


def dropped_before_cleaning(wildcards):
    """The records of rows dropped before cleaning, in the order of the stages that dropped them."""
    before = [res("data/public_dropped.parquet")] if PUBLIC_SOURCE else []
    before += [res("data/baci_dropped.parquet")] if BACI_SOURCE else []
    return before + [res("data/ingest_dropped.parquet")]


def trade_format(wildcards):
    return config["format"] if config["trade"] is not None else "canonical"


def comexstat_countries(wildcards):
    # Without a PAIS table the ingestion stops with the library's message saying how to get one.
    if config["trade"] is None or config["format"] != "comexstat":
        return []
    return config["comexstat_countries"] or []


# Input functions of public.smk ----------------------------------------------------------------------------------------------


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


# Input functions of links.smk -----------------------------------------------------------------------------------------------


def truth_file(wildcards):
    """Known input links to score against: the demo world's planted graph, or config `truth`."""
    if config.get("truth"):
        return config["truth"]
    return rules.generate_demo_world.output.truth if DEMO else []


def links_inputs(wildcards):
    inputs = {"rca": res(f"rca/{wildcards.reconcile}/rca.parquet")}
    if config["links"]["thresholds"] == "tuned":
        inputs["thresholds"] = FT.out("thresholds.json")
    return inputs


# Input functions of reference.smk -------------------------------------------------------------------------------------------


def ref_file(key):
    return f"{REF_DIR}/{REF['files'][key]['name']}"


def scored_networks():
    """The product networks of the run scored against the reference, by name (their link files)."""
    nets = {}
    if HAS_TRADE:
        nets.update({f"bf_{m}": res(f"links/{m}/links.parquet") for m in RECONCILE_MODES})
        nets.update({m: res(f"links/{m}/links.parquet") for m in COMPARED if m != "bf"})
        nets["validated"] = res("links/validated/links.parquet")
        nets["baseline"] = res("links/baseline.parquet")
    if LINKS_FILE:
        nets["user"] = res("links/user/links.parquet")
    if DEMO:
        nets["demo_truth"] = res("data/truth_links.parquet")
    elif config.get("truth"):
        nets["truth"] = config["truth"]
    if PUBLISHED:
        nets["published_kh2025"] = REFERENCE.out("published_kh2025.parquet")
    return nets


def product_universe():
    """The run's products (where random inputs are drawn from): the RCA table's, or the given network's."""
    return res(f"rca/{RECONCILE}/rca.parquet") if HAS_TRADE else res("links/user/links.parquet")


def reference_inputs(wildcards):
    return {
        "reference": REFERENCE.out("product_io.parquet"),
        "coverage": REFERENCE.out("coverage.parquet"),
        "end_use": REFERENCE.out("end_use.parquet"),
        "hs": "resources/hs/harmonized-system.csv",
        "sections": "resources/hs/sections.csv",
        "universe": product_universe(),
        "networks": list(scored_networks().values()),
    }


# Input functions of finetune.smk --------------------------------------------------------------------------------------------


def _finetune_year_sets():
    """Years of each sample: all (in-sample grid), tune and heldout (the `years` held-out scheme)."""
    years = list(FINETUNE_SOURCE["years"])
    held = list(FINETUNE_SOURCE["heldout_years"])
    tune = [y for y in years if y not in held]
    if "years" in FINETUNE_HELDOUT and (not tune or not set(held) <= set(years)):
        raise ValueError(
            f"finetune.{FINETUNE['source']}: heldout_years {held} must be a strict subset of years {years} "
            "for the `years` held-out scheme"
        )
    return {"all": years, "tune": tune, "heldout": held}


def finetune_tables(wildcards):
    return [FINETUNE_SOURCE["path"].format(year=y) for y in FINETUNE_YEARS[wildcards.sample]]


def finetune_heldout_inputs(wildcards):
    inputs = {
        "specialisation": FT.out("all/specialisation.parquet"),
        "labels": FT.out("all/labels.parquet"),
    }
    if "years" in FINETUNE_HELDOUT:
        for sample in ("tune", "heldout"):
            inputs[f"{sample}_specialisation"] = FT.out(f"{sample}/specialisation.parquet")
            inputs[f"{sample}_labels"] = FT.out(f"{sample}/labels.parquet")
    return inputs


def _oecd_sha256(year):
    sums = FINETUNE["oecd"]["sha256"]
    return sums.get(str(year), sums.get(year))


# Input functions of icio.smk ------------------------------------------------------------------------------------------------


def icio_table(wildcards):
    return ICIO["path"].format(year=wildcards.icio_year)


def icio_params():
    """The config subset every accounting rule uses to read the table."""
    return {
        "format": ICIO["format"],
        "split_countries": ICIO["split_countries"],
        "merge_split": ICIO["merge_split"],
        "balance": ICIO["balance"],
    }


def _two_digit(year):
    return f"{int(year) % 100:02d}"


# Input functions of methods.smk ---------------------------------------------------------------------------------------------


def finetune_samples():
    """Specialisation and labels of the tuning years, the held-out years and all years."""
    return {
        f"{kind}_{sample}": FT.out(f"{sample}/{kind}.parquet")
        for sample in ("tune", "heldout", "all")
        for kind in ("specialisation", "labels")
    }


def world_data():
    """The data sets of the world evidence under resources/: the 2017 exports, the HS -> ISIC concordances, the
    WIOD 2013 tables of the configured years with their industries, and the WIOD 2016 national tables."""
    years = {f"wiod2013/wiot_{y}.parquet" for y in config["world"]["wiod2013_years"]}
    keep = [
        path
        for path in DATA_FILES
        if path.startswith(("concordance/", "wiod2016_niot/"))
        or path in years
        or path in ("world2017/exports_country_hs4_2017.parquet", "wiod2013/industries.csv")
    ]
    return [f"resources/{path}" for path in sorted(keep)]


def method_inputs(wildcards):
    """What infer_links_method reads for a method besides the RCA table."""
    inputs = {}
    if wildcards.method in VARIANT_METHODS:
        inputs["variant"] = FT.out("cospec/variant.json")
    if wildcards.method == "learned":
        inputs["model"] = LEARNED.out("model.pkl")
    if wildcards.method in WORLD_METHODS:
        inputs["weights"] = WORLD.out("weights.json")
        inputs["world"] = world_data()
    return inputs


def method_links(method):
    return res(f"links/{RECONCILE}/links.parquet") if method == "bf" else res(f"links/{method}/links.parquet")


def methods_inputs(wildcards):
    inputs = {
        "bf_heldout": FT.out("heldout.parquet"),
        "bf_grid": FT.out("grid.parquet"),
        "bf_thresholds": FT.out("thresholds.json"),
        "reference": REFERENCE.out("product_io.parquet"),
        "coverage": REFERENCE.out("coverage.parquet"),
        "universe": product_universe(),
        "links": [method_links(m) for m in COMPARED],
    }
    if "cospec" in COMPARED:
        inputs["cospec_selection"] = rules.select_cospec.output.selection
    if "learned" in COMPARED:
        inputs["learned_training"] = rules.train_link_model.output.training
    if "regional" in COMPARED:
        inputs["cospec_variant"] = FT.out("cospec/variant.json")
        inputs.update(
            {
                f"{sample}_{kind}": FT.out(f"{sample}/{kind}.parquet")
                for sample in ("heldout", "all")
                for kind in ("specialisation", "labels")
            }
        )
    if set(WORLD_METHODS) & set(COMPARED):
        inputs["world"] = WORLD.out("evaluation.parquet")
    inputs["niot"] = [f"resources/{path}" for path in DATA_FILES if path.startswith("wiod2016_niot/")]
    if "cospec" in COMPARED or "regional" in COMPARED:
        inputs["cospec_variant"] = FT.out("cospec/variant.json")
    if "learned" in COMPARED:
        inputs["learned_model"] = LEARNED.out("model.pkl")
    if PUBLISHED:
        inputs["published"] = REFERENCE.out("published_kh2025.parquet")
    truth = truth_file(wildcards)
    if truth:
        inputs["truth"] = truth
    return inputs


# Input functions of analysis.smk --------------------------------------------------------------------------------------------


def analysed_links(wildcards):
    """The product network the analyses read: the user's links_file, else the final links (links.method) or
    the validated network (config link_method)."""
    if LINKS_FILE:
        return res("links/user/links.parquet")
    if ANALYSED_NETWORK == "validated":
        return res("links/validated/links.parquet")
    return res("links/final.parquet")


def annotate_inputs(wildcards):
    """The analysed links, the names and the reference; with trade data, every compared method's links."""
    inputs = {
        **HS_NAMES,
        "links": analysed_links(wildcards),
        "reference": REFERENCE.out("product_io.parquet"),
        "coverage": REFERENCE.out("coverage.parquet"),
    }
    if HAS_TRADE and not LINKS_FILE:
        inputs.update({f"method_{m}": method_links(m) for m in COMPARED if m != LINKS["method"]})
    return inputs


def export_inputs(wildcards):
    """The annotated links, the trophic levels, the HS sections; with trade data, the largest country flows."""
    inputs = {
        "links": res("links/annotated.parquet"),
        "levels": res("analysis/trophic_levels.parquet"),
        "hs": "resources/hs/harmonized-system.csv",
        "sections": "resources/hs/sections.csv",
    }
    if HAS_TRADE:
        inputs["flows"] = res("flows/largest_country_pairs.parquet")
    return inputs


def drawn_sections(wildcards):
    """The HS-section network drawn: the extended B&F network's (the paper's fig. 3B) when there is trade data,
    else the analysed network's."""
    if HAS_TRADE:
        return {
            "sections": rules.extended_network.output.sections,
            "section_nodes": rules.extended_network.output.section_nodes,
        }
    return {
        "sections": rules.section_network.output.sections,
        "section_nodes": rules.section_network.output.section_nodes,
    }


def report_table_inputs(wildcards):
    inputs = {"reference": res("evaluation/reference.parquet"), "levels": res("analysis/trophic_levels.parquet")}
    if HAS_TRADE:
        inputs.update(
            methods=res("evaluation/methods.parquet"),
            countries=res("analysis/trophic_position_countries.parquet"),
            gvc=ICIO_SHARED.out(f"{ICIO_YEARS[-1]}/gvc_total.parquet"),
        )
    return inputs


# Input functions of explorer.smk --------------------------------------------------------------------------------------------


def explorer_file(name):
    """A file of the explorer's page template (workflow/explorer/)."""
    return str(Path(workflow.basedir) / "workflow" / "explorer" / name)


def explorer_inputs(wildcards):
    """The run's outputs the explorer summarises; the trade-data parts only when the run has trade data."""
    inputs = {
        "links": res("links/annotated.parquet"),
        "levels": res("analysis/trophic_levels.parquet"),
        "section_nodes": res("analysis/section_nodes.parquet"),
        "section_links": res("analysis/sections.parquet"),
        "reference_evaluation": res("evaluation/reference.parquet"),
        "hs": "resources/hs/harmonized-system.csv",
        "sections": "resources/hs/sections.csv",
    }
    if HAS_TRADE:
        inputs.update(
            methods=res("evaluation/methods.parquet"),
            nodes=res("analysis/extended_nodes.parquet"),
            flows=rules.flow_factors.output.largest_region_pairs,
            country_flows=rules.flow_factors.output.largest_country_pairs,
            regions=res("analysis/trophic_position_regions.parquet"),
            countries=res("analysis/trophic_position_countries.parquet"),
            rca=res(f"rca/{RECONCILE}/rca.parquet"),
        )
    return inputs


# Input functions of manifest.smk --------------------------------------------------------------------------------------------


def final_artifacts(wildcards):
    """Every artifact the run produces, for the manifest (and so for rule all)."""
    files = REFERENCE_ARTIFACTS + NETWORK_ANALYSIS_ARTIFACTS + EXPLORER_ARTIFACTS
    if LINKS_FILE:
        files += [res("links/user/links.parquet")]
    if not HAS_TRADE:
        return files
    files += [
        res("data/trade.parquet"),
        res("clean/trade.parquet"),
        res("clean/dropped_rows.parquet"),
        res("clean/dropped_regions.parquet"),
        *expand(res("rca/{reconcile}/rca.parquet"), reconcile=RECONCILE_MODES),
        *expand(res("links/{reconcile}/links.parquet"), reconcile=RECONCILE_MODES),
        *expand(res("links/{reconcile}/candidates.parquet"), reconcile=RECONCILE_MODES),
        res("links/baseline.parquet"),
        *([res("flows/dataset")] if config["flows"]["dataset"] else []),
        *rules.flow_factors.output,
    ]
    files += FINETUNE_ARTIFACTS + ICIO_ARTIFACTS + TRADE_ANALYSIS_ARTIFACTS + METHOD_ARTIFACTS
    if DEMO:
        files += [res("data/truth_links.parquet"), res("data/products.parquet")]
    if DEMO or config.get("truth"):
        files += [
            res("evaluation/links.parquet"),
            res("figures/link_recovery.png"),
            res("figures/link_recovery.svg"),
            res("analysis/link_methods_evaluation.parquet"),
        ]
    return files
