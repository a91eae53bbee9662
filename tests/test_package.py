"""The package's version and the files that make the project citable."""

import tomllib
from pathlib import Path

import valuechain
import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_version_licence_and_citation_agree():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert valuechain.__version__ == project["version"]
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["version"] == project["version"] and citation["license"] == "MIT"
    assert "MIT License" in (ROOT / "LICENSE").read_text() and project["license"]["text"] == "MIT"
