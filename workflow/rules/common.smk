# What every stage shares: the config loaded and validated, path helpers, the shared-stage folders, resources by
# input size, and the run-level choices (sources, link methods compared, stages skipped and why); each stage file
# holds its own constants and input functions.
import os
import re
from pathlib import Path, PurePosixPath

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger
from snakemake.utils import validate
from valuechain.glue.config import move_renamed_keys
from valuechain.glue.provenance import config_hash
from valuechain.glue.retrieve import data_files

if os.path.exists("config/config.yaml"):

    configfile: "config/config.yaml"


# A key read at its old place (valuechain.glue.config.MOVED) is moved to its new one, with a warning.
for _warning in move_renamed_keys(config):
    logger.warning(f"config: {_warning}")
validate(config, schema="../schemas/config.schema.yaml")

RESULTS = f"results/{config['run']}"
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
# The product reference depends on the reference section and the product level only: shared by runs.
REFERENCE = Shared("reference", config["reference"], config["hs_digits"])
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
