"""Where tests read the reference data: the data mirror (``../shared/data``, the bytes the config pins) when it
is there, else ``resources/`` as the workflow's rules leave it (same layout). Without the mirror, a test asking
for a data set gets it retrieved into ``resources/`` from its pinned source (stamped, as rule retrieve_data does),
and is skipped, with the reason, when that is impossible (no network); the unit tests on small data committed under
``tests/`` run regardless."""

import functools
import socket
from pathlib import Path

import pytest
import yaml

from valuechain.glue.provenance import stamp
from valuechain.glue.retrieve import RetrieveError, data_files, retrieve

ROOT = Path(__file__).resolve().parents[1]
MIRROR = ROOT.parent / "shared" / "data"
RESOURCES = ROOT / "resources"
DATA = MIRROR if MIRROR.is_dir() else RESOURCES
CONFIG = yaml.safe_load((ROOT / "config" / "config.default.yaml").read_text())


def _entries() -> dict[str, dict]:
    """Every configured data set by its path under resources/: the data entries and the product-truth tables."""
    files = data_files(CONFIG["data"])
    for entry in CONFIG["reference"]["files"].values():
        files[f"product_truth/{entry['name']}"] = {**entry, "folder": "product_truth"}
    return files


@functools.cache
def network() -> bool:
    """Whether the pinned sources' host answers (checked once)."""
    try:
        socket.create_connection(("raw.githubusercontent.com", 443), timeout=5).close()
        return True
    except OSError:
        return False


def no_data_reason() -> str | None:
    """Why a run of the workflow cannot get its reference data (None: it can, from the mirror or the network)."""
    if MIRROR.is_dir() or network():
        return None
    return f"no data mirror at {MIRROR} and no network: the workflow cannot retrieve its reference data"


def data_file(path: str) -> Path:
    """The reference data file ``path`` (``folder/name``): from the mirror or resources/, else retrieved into
    resources/ from its configured source; the calling test is skipped, saying why, when it cannot be had."""
    for base in (MIRROR, RESOURCES):
        if (base / path).is_file():
            return base / path
    entry = _entries().get(path)
    if entry is None:
        pytest.skip(f"{path}: not a configured data set and not found in {MIRROR} or {RESOURCES}")
    convert = entry.get("convert")
    if convert and convert.get("names"):
        convert = {**convert, "names": str(ROOT / convert["names"])}
    local = ROOT / entry["repository"] if entry.get("repository") else None
    if local is None and not network():
        pytest.skip(f"{path}: no data mirror at {MIRROR} and no network to retrieve it from {entry.get('url')}")
    try:
        digest = retrieve(entry["name"], RESOURCES / path, local, entry.get("url"), entry.get("sha256"),
                          entry.get("source", ""), entry.get("url_sha256"), convert)
    except RetrieveError as exc:
        pytest.skip(f"{path}: {exc}")
    stamp(RESOURCES / path, digest)
    return RESOURCES / path


def data_folder(folder: str, *names: str) -> Path:
    """The folder holding ``names`` (each made available by :func:`data_file`)."""
    paths = [data_file(f"{folder}/{name}") for name in names]
    assert len({p.parent for p in paths}) == 1, paths
    return paths[0].parent
