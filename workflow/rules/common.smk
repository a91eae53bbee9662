# Config loading and validation, path helpers and the list of final artifacts.
import os
from pathlib import Path

from snakemake.utils import validate

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


def log(path):
    return f"{LOGS}/{path}"


def bench(path):
    return f"{BENCHMARKS}/{path}"


def script(name):
    """Absolute path of a rule script (script: paths are otherwise relative to the .smk file)."""
    return str(Path(workflow.basedir) / "scripts" / name)
