# Config loading and validation, path helpers and the list of final artifacts.
import os
import re
from pathlib import Path

from snakemake.logging import logger
from snakemake.utils import validate
from valuechain.provenance import config_hash

if os.path.exists("config/config.yaml"):

    configfile: "config/config.yaml"


validate(config, schema="../schemas/config.schema.yaml")

RESULTS = f"results/{config['run']}"
LOGS = f"logs/{config['run']}"
BENCHMARKS = f"benchmarks/{config['run']}"


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


def rule_script(name):
    """Absolute path of a rule script (script: paths are otherwise relative to the .smk file)."""
    return str(Path(workflow.basedir) / "scripts" / name)


RECONCILE = config["rca"]["reconcile"]
RECONCILE_MODES = (
    ["outer", "inner"] if config["rca"]["compare_reconcile"] else [RECONCILE]
)
METHODS = config["links"]
LINK_METHODS = ("bf", "cospec", "learned")
# Link methods inferred and scored side by side (links.compare plus links.method).
COMPARED = sorted(set(METHODS["compare"]) | {METHODS["method"]}, key=LINK_METHODS.index)
LINKS_FILE = config.get("links_file")
# No trade file and no network file: the demo world. A network file alone: no trade data at all.
PUBLIC_SOURCE = config.get("source") == "public"
DEMO = config["trade"] is None and LINKS_FILE is None and not PUBLIC_SOURCE
HAS_TRADE = DEMO or PUBLIC_SOURCE or config["trade"] is not None
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
PUBLISHED = config["clean"]["hs_digits"] == 4 and bool(
    _PUBLISHED.get("url")
    or (_MIRROR and (Path(_MIRROR) / "product_truth" / _PUBLISHED["name"]).is_file())
    or (Path("resources/product_truth") / _PUBLISHED["name"]).is_file()
)
if not PUBLISHED:
    SKIPPED["published network (published_kh2025)"] = (
        "HS6 run: the published network is HS4" if config["clean"]["hs_digits"] != 4
        else f"{_PUBLISHED['name']} is not in the data mirror and has no URL"
    )
# The product reference depends on the reference section and the product level only: shared by runs.
REFERENCE = Shared("reference", config["reference"], config["clean"]["hs_digits"])
for _stage, _why in SKIPPED.items():
    logger.info(f"skipped: {_stage} ({_why})")


def trade_files(wildcards):
    """The trade file(s) to ingest: the generated demo world, the public sources combined, or the user's."""
    if DEMO:
        return [rules.generate_demo_world.output.trade]
    if PUBLIC_SOURCE:
        return [res("data/public_trade.parquet")]
    trade = config["trade"]
    return trade if isinstance(trade, list) else [trade]


def trade_format(wildcards):
    return "canonical" if DEMO or PUBLIC_SOURCE else config["format"]


def comexstat_countries(wildcards):
    # Without a PAIS table the ingestion stops with the library's message saying how to get one.
    if DEMO or PUBLIC_SOURCE or config["format"] != "comexstat":
        return []
    return config["comexstat_countries"] or []


def public_files():
    """Every public file the chosen countries and years need: ``{input group: [(<source>/<name>, URL)]}`` (the
    Census API key is not in the URL; rule retrieve_public adds it)."""
    from valuechain.public_trade import census_url

    pub = config["public"]
    census, comex = pub["census"], pub["comexstat"]
    files = {"census_exports": [], "census_imports": [], "comexstat": []}
    if "USA" in pub["countries"]:
        files["schedule_c"] = [("census/country.txt", census["countries_url"])]
        for flow in ("export", "import"):
            files[f"census_{flow}s"] = [(f"census/{flow}s_{census['level']}_{y}.json",
                                         census_url(census["api"], flow, y, census["level"])) for y in pub["years"]]
    if "BRA" in pub["countries"]:
        for table in ("PAIS", "UF"):
            files[table.lower()] = [(f"comexstat/{table}.csv", comex["tables"].format(table=table))]
        files["comexstat"] = [(f"comexstat/{f}_{y}_MUN.csv", comex["files"].format(flow=f, year=y))
                              for y in pub["years"] for f in ("EXP", "IMP")]
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
    return {group: [f"{d}/{name}" for name, _ in pairs] if group in lists else f"{d}/{pairs[0][0]}"
            for group, pairs in public_files().items()}


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


def final_artifacts(wildcards):
    """Every artifact the run produces, for the manifest (and so for rule all)."""
    files = REFERENCE_ARTIFACTS + NETWORK_ANALYSIS_ARTIFACTS
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
        res("flows/dataset"),
        res("flows/summary.parquet"),
    ]
    files += FINETUNE_ARTIFACTS + ICIO_ARTIFACTS + TRADE_ANALYSIS_ARTIFACTS + METHOD_ARTIFACTS
    if DEMO:
        files += [res("data/truth_links.parquet"), res("data/products.parquet")]
    if DEMO or config.get("truth"):
        files += [
            res("evaluation/links.parquet"),
            res("figures/link_recovery.png"),
            res("analysis/link_methods_evaluation.parquet"),
        ]
    return files
