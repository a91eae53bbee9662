"""The package's version and the files that make the project citable."""

import re
import sys
import tomllib
from pathlib import Path

import pytest
import valuechain
import yaml
from valuechain.optional import require

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
CONDA_NAMES = {"python-duckdb": "duckdb", "matplotlib-base": "matplotlib", "pyyaml": "PyYAML"}


def test_every_rule_has_a_conda_environment_pinned_at_the_constraints():
    """`--sdm conda` environments: every rule names one that exists, and each pin is the version of the
    constraints file, which CI installs with (so these are the versions the tests ran with)."""
    rules = "\n".join(p.read_text() for p in (ROOT / "workflow" / "rules").glob("*.smk"))
    n_rules = len(re.findall(r"^\s*rule \w+:", rules, re.M))
    envs = re.findall(r'^\s*conda:\n\s*"\.\./envs/(\w+)\.yaml"', rules, re.M)
    assert len(envs) == n_rules and {"base", "links", "icio", "rdata"} == set(envs)
    constraints = dict(line.split("==") for line in (ROOT / "envs" / "constraints.txt").read_text().splitlines()
                       if "==" in line and not line.startswith("#"))
    constraints = {k.lower(): v for k, v in constraints.items()}
    for env in set(envs):
        spec = yaml.safe_load((ROOT / "workflow" / "envs" / f"{env}.yaml").read_text())["dependencies"]
        pins = [d for d in spec if isinstance(d, str) and "=" in d and not d.startswith("python=")]
        pins += [d.replace("==", "=") for d in next(d["pip"] for d in spec if isinstance(d, dict)) if "==" in d]
        assert pins
        for pin in pins:
            name, version = pin.split("=")
            dist = CONDA_NAMES.get(name, name)
            assert version == constraints[dist.lower()], (env, pin)
