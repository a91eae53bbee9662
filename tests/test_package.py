"""The package: its version and citable files, optional extras, conda environments, product names."""

import re
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest
import yaml

import valuechain
from valuechain.glue.optional import require
from valuechain.trade.hs import name_columns, product_names

ROOT = Path(__file__).resolve().parents[1]


def test_version_licence_and_citation_agree():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert valuechain.__version__ == project["version"]
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["version"] == project["version"] and citation["license"] == "MIT"
    assert "MIT License" in (ROOT / "LICENSE").read_text() and project["license"]["text"] == "MIT"


def test_a_missing_extra_names_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "pymrio", None)  # as if not installed
    with pytest.raises(ImportError, match=r"pip install 'valuechain\[mrio\]'"):
        require("pymrio")
    assert require("sklearn").__name__ == "sklearn"


# conda package -> distribution name, where they differ
CONDA_NAMES = {"python-duckdb": "duckdb", "python-igraph": "igraph", "matplotlib-base": "matplotlib", "pyyaml": "PyYAML"}


def test_every_rule_has_a_conda_environment_pinned_at_the_constraints():
    """`--sdm conda` environments: every rule names one that exists, and each pin is the version of the
    constraints file, which CI installs with (so these are the versions the tests ran with)."""
    rules = "\n".join(p.read_text() for p in (ROOT / "workflow" / "rules").glob("*.smk"))
    n_rules = len(re.findall(r"^\s*rule \w+:", rules, re.M))
    envs = re.findall(r'^\s*conda:\n\s*"\.\./envs/(\w+)\.yaml"', rules, re.M)
    assert len(envs) == n_rules and {"base", "links", "icio", "rdata", "explorer"} == set(envs)
    constraints = dict(line.split("==") for line in (ROOT / "envs" / "constraints.txt").read_text().splitlines()
                       if "==" in line and not line.startswith("#"))
    constraints = {k.lower(): v for k, v in constraints.items()}
    for env in set(envs) - {"explorer"}:  # Node.js for npm, not a Python package: no constraint to match
        spec = yaml.safe_load((ROOT / "workflow" / "envs" / f"{env}.yaml").read_text())["dependencies"]
        pins = [d for d in spec if isinstance(d, str) and "=" in d and not d.startswith("python=")]
        pins += [d.replace("==", "=") for d in next(d["pip"] for d in spec if isinstance(d, dict)) if "==" in d]
        assert pins
        for pin in pins:
            name, version = pin.split("=")
            dist = CONDA_NAMES.get(name, name)
            assert version == constraints[dist.lower()], (env, pin)


def test_product_names_prefer_the_atlas_and_fill_in_from_the_nomenclature():
    atlas = pd.DataFrame({"code": ["87", "8703", "870323", "travel", "travel"],
                          "level": ["2digit", "4digit", "6digit", "4digit", "6digit"],
                          "name_short_en": ["Vehicles", "Cars", "Mid-size cars ", "Travel", "Travel"]})
    hs = pd.DataFrame({"hscode": ["8703", "8507", "850760"],
                       "description": ["Motor cars and other motor vehicles", "Electric accumulators",
                                       "Lithium-ion accumulators"]})
    names = product_names(atlas, hs)
    assert names.to_dict() == {"850760": "Lithium-ion accumulators", "8507": "Electric accumulators",
                               "8703": "Cars", "870323": "Mid-size cars"}
    links = pd.DataFrame({"output": ["8703", "9999"], "input": ["8507", "8703"], "rank": [1, 1]})
    named = name_columns(links, names, {"output": "output_name", "input": "input_name"})
    assert list(named.columns) == ["output", "output_name", "input", "input_name", "rank"]
    assert named["output_name"].tolist() == ["Cars", ""] and named["input_name"].tolist() == ["Electric accumulators",
                                                                                               "Cars"]


def test_every_library_module_has_one_stage_and_is_on_the_architecture_page():
    """The library is one subpackage per stage, nothing flat beside them but the package's own __init__; every
    module is named in docs/architecture.md's table, where a newcomer looks for a stage."""
    lib = ROOT / "workflow" / "valuechain"
    flat = sorted(p.name for p in lib.glob("*.py") if p.name != "__init__.py")
    assert flat == [], f"modules outside a stage subpackage: {flat}"
    page = (ROOT / "docs" / "architecture.md").read_text()
    modules = sorted(p.relative_to(lib).as_posix() for p in lib.glob("*/*.py") if p.name != "__init__.py")
    assert len(modules) > 30
    missing = [m for m in modules if f"`{m}`" not in page]
    assert missing == [], f"modules the architecture page does not name: {missing}"
    for package in {p.parent for p in lib.glob("*/*.py")}:
        assert (package / "__init__.py").read_text().startswith('"""'), f"{package.name} has no docstring"
