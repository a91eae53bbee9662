"""Inputs Snakemake cannot judge: it reruns a rule when an output is missing or older than its inputs, never
because a file's content changed. A retrieved data set edited in place, or a Parquet artifact cut short, must be
refused by the rules that read it (valuechain.glue.provenance.check_input, through the provenance stamp), with a message
naming the file and saying to delete it and rerun."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import WORKFLOW_FILES
from hypothesis import given
from hypothesis import strategies as st

from valuechain.glue.provenance import DamagedInputError, build_manifest, check_input, provenance, stamp, write_table
from valuechain.glue.retrieve import retrieve

ROOT = Path(__file__).resolve().parents[1]


def edit_in_place(path: Path, at: int) -> None:
    """Change the byte at ``at`` (same size), as an editor or a damaged disk would: the modification time becomes
    now, and at least a second later than it was (beyond any file system's granularity)."""
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    before = path.stat().st_mtime_ns
    path.write_bytes(bytes(data))
    os.utime(path, ns=(before, max(path.stat().st_mtime_ns, before + 10**9)))


def test_a_retrieved_file_edited_in_place_is_refused_where_it_is_read(tmp_path):
    mirror, body = tmp_path / "mirror", b"hs,name\n8703,Cars\n8708,Parts of cars\n"
    mirror.mkdir()
    (mirror / "names.csv").write_bytes(body)
    pin = hashlib.sha256(body).hexdigest()
    dest = tmp_path / "resources" / "names.csv"
    digest = retrieve("names.csv", dest, mirror, None, sha256=pin)
    stamp(dest, digest)  # what the retrieve rules do
    assert (tmp_path / "resources" / "names.csv.sha256").read_text() == f"{pin}  names.csv\n"
    meta = provenance("x/1", {}, [dest])
    assert json.loads(meta["valuechain.inputs_sha256"]) == {str(dest): pin}
    edit_in_place(dest, body.index(b"Cars"))  # "Cars" -> "Bars"
    now = hashlib.sha256(body.replace(b"Cars", b"Bars")).hexdigest()
    message = (f"{dest} differs from its pinned sha256 {pin} (edited or damaged since it was retrieved; its sha256 "
               f"is now {now}); delete it and rerun to retrieve it again")
    for check in (check_input, lambda p: provenance("x/1", {}, [p])):
        with pytest.raises(DamagedInputError) as err:
            check(dest)
        assert str(err.value) == message
    # a file nobody retrieved (no stamp beside it) is the user's: taken as it is
    (tmp_path / "mine.csv").write_bytes(body)
    assert json.loads(provenance("x/1", {}, [tmp_path / "mine.csv"])["valuechain.inputs_sha256"]) == {
        str(tmp_path / "mine.csv"): pin}


def parquet_bytes(tmp_path: Path) -> bytes:
    path = write_table(pd.DataFrame({"output": ["8703", "8708"], "input": ["8708", "7208"], "rank": [1, 1]}),
                       tmp_path / "links.parquet", provenance("links/1"))
    return path.read_bytes()


def test_a_truncated_parquet_input_is_named_not_stamped(tmp_path):
    """A shared artifact cut short (a full disk, a killed copy): every stamping path refuses it, naming it."""
    whole = parquet_bytes(tmp_path)
    shared = tmp_path / "results" / "shared" / "reference-0123456789"
    shared.mkdir(parents=True)
    cut = shared / "product_io.parquet"
    cut.write_bytes(whole[: len(whole) // 2])
    advice = ("It was cut short or damaged after it was written, which Snakemake cannot see: delete it and rerun to "
              "make it again (a file of your own: replace it with a complete copy)")
    with pytest.raises(DamagedInputError) as err:
        provenance("x/1", {}, [tmp_path / "links.parquet", cut])
    assert str(err.value) == f"{cut}: not a complete Parquet file (no PAR1 magic at its end). {advice}"
    with pytest.raises(DamagedInputError, match="product_io.parquet: not a complete Parquet file"):
        build_manifest(tmp_path, [tmp_path / "links.parquet", cut])
    cut.write_bytes(b"")
    with pytest.raises(DamagedInputError, match=r"product_io.parquet: not a complete Parquet file \(0 bytes\)"):
        provenance("x/1", {}, [cut])
    cut.write_bytes(b"PAR1" + (4).to_bytes(4, "little") * 3 + b"PAR1")  # both magics, a footer that is not one
    with pytest.raises(DamagedInputError, match=r"\(its metadata cannot be read: .*\)\. It was cut short"):
        provenance("x/1", {}, [cut])
    # a partitioned dataset: each of its files is checked, and the damaged one named
    dataset = tmp_path / "flows" / "dataset" / "chapter=87"
    dataset.mkdir(parents=True)
    (dataset / "part-0.parquet").write_bytes(whole)
    (dataset / "part-1.parquet").write_bytes(whole[:-1])
    with pytest.raises(DamagedInputError, match="chapter=87/part-1.parquet: not a complete Parquet file"):
        build_manifest(tmp_path, [tmp_path / "flows" / "dataset"])
    (dataset / "part-1.parquet").write_bytes(whole)
    entry = build_manifest(tmp_path, [tmp_path / "flows" / "dataset"])["artifacts"][0]
    assert entry["path"] == "flows/dataset" and entry["rows"] == 4


@pytest.mark.property
@given(cut=st.floats(0, 1, exclude_max=True))
def test_any_prefix_of_a_parquet_file_is_refused(tmp_path_factory, cut):
    """Wherever a Parquet file is cut, what is left is refused; the whole file is taken."""
    tmp = tmp_path_factory.mktemp("prefix")
    whole = parquet_bytes(tmp)
    prefix = tmp / "cut.parquet"
    prefix.write_bytes(whole[: int(cut * len(whole))])
    with pytest.raises(DamagedInputError, match="cut.parquet: not a complete Parquet file"):
        check_input(prefix)
    check_input(tmp / "links.parquet")


@pytest.mark.property
@given(body=st.binary(min_size=1, max_size=200), at=st.integers(0, 199))
def test_any_changed_byte_of_a_retrieved_file_is_refused(tmp_path_factory, body, at):
    tmp = tmp_path_factory.mktemp("stamped")
    path = tmp / "data.csv"
    path.write_bytes(body)
    stamp(path, hashlib.sha256(body).hexdigest())
    check_input(path)
    edit_in_place(path, at % len(body))
    with pytest.raises(DamagedInputError, match="data.csv differs from its pinned sha256"):
        check_input(path)


@pytest.fixture(scope="module")
def own_copy(work, tmp_path_factory) -> Path:
    """A working copy of this module's own (the session copy's workflow files and config): its resources are edited,
    which would make every later run in the session's copy rerun what reads them."""
    mine = tmp_path_factory.mktemp("leftovers")
    for name in WORKFLOW_FILES:
        src = work / name
        shutil.copytree(src, mine / name, dirs_exist_ok=True) if src.is_dir() else shutil.copy(src, mine / name)
    return mine


def snakemake(work, *args):
    return subprocess.run([sys.executable, "-m", "snakemake", "--cores", "1", *args], cwd=work,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.workflow
def test_the_workflow_refuses_an_edited_retrieved_file_until_it_is_retrieved_again(own_copy):
    """Retrieved, stamped with the config's pin, edited in place: Snakemake reruns the reader (its input is newer),
    not the retrieval, and the reader stops naming the file; deleted, it is retrieved again and read."""
    pin = yaml.safe_load((ROOT / "config/config.default.yaml").read_text())["data"]["hs_nomenclature"]["sha256"]
    work = own_copy
    hs = work / "resources" / "hs" / "harmonized-system.csv"
    proc = snakemake(work, "ingest_published_network")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert Path(f"{hs}.sha256").read_text() == f"{pin}  harmonized-system.csv\n"
    out = next((work / "results" / "shared").glob("reference-*/published_kh2025.parquet"))
    stamped = json.loads(pq.read_schema(out).metadata[b"valuechain.inputs_sha256"])
    assert stamped["resources/hs/harmonized-system.csv"] == pin

    edit_in_place(hs, hs.read_bytes().index(b"Motor cars"))  # "Motor" -> "Lotor"
    proc = snakemake(work, "ingest_published_network")
    assert proc.returncode != 0
    assert (f"resources/hs/harmonized-system.csv differs from its pinned sha256 {pin} (edited or damaged since it "
            "was retrieved") in proc.stderr
    assert "delete it and rerun to retrieve it again" in proc.stderr
    planned = (proc.stdout + proc.stderr).split("Job stats:")[1].split("total")[0]
    assert "ingest_published_network" in planned and "retrieve_data" not in planned
    assert not out.exists()  # no artifact made from it

    hs.unlink()
    proc = snakemake(work, "ingest_published_network")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Retrieving hs/harmonized-system.csv" in proc.stdout + proc.stderr
    assert json.loads(pq.read_schema(out).metadata[b"valuechain.inputs_sha256"])[
        "resources/hs/harmonized-system.csv"] == pin
