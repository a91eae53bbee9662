"""Shared fixtures: a copy of the workflow to run Snakemake in; the real product-truth tables, from the local data
mirror (../shared/data, how tests and CI run offline) or retrieved with their pinned checksums, and the HS4
reference network built from them."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from data_files import data_folder, no_data_reason
from hypothesis import HealthCheck, settings
from readme_blocks import command_of, run

from valuechain.reference import product as ref

ROOT = Path(__file__).resolve().parents[1]

# Generated (property-based) tests: a search that fits the suite's budget by default; a deeper one with
# `python -m pytest -m property --hypothesis-profile=deep`. Files are written per example, so no deadline.
settings.register_profile("default", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("deep", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile("default")
# What a user's checkout runs: the rest (results, logs, resources, .snakemake) is written by the runs.
WORKFLOW_FILES = ("Snakefile", "workflow", "config", "scripts", "profiles", "README.md")


# Test tiers (README, "Tests"): workflow, the tests that run Snakemake (any test using a copy of the workflow);
# slurm, the workflow on a real one-node SLURM cluster; slow, the heavy computations marked so; unit, the rest,
# which a contributor runs before pushing.
TIERS = ("workflow", "slow", "slurm")


def pytest_collection_modifyitems(items):
    for item in items:
        if "work" in item.fixturenames and not (item.get_closest_marker("workflow") or item.get_closest_marker("slurm")):
            item.add_marker(pytest.mark.workflow)
        if not any(item.get_closest_marker(tier) for tier in TIERS):
            item.add_marker(pytest.mark.unit)


def workflow_copy(tmp_path_factory, name: str = "workflow") -> Path:
    """A copy of the workflow in a temporary folder, so that test runs write nothing under the repository's
    results/, logs/, benchmarks/ or resources/. Its config/config.yaml points data_mirror at the repository's
    mirror (the default is relative to the working directory); without a mirror the runs download the reference
    data, and without the network either the tests that run the workflow are skipped, saying so."""
    if no_data_reason():
        pytest.skip(no_data_reason())
    work = tmp_path_factory.mktemp(name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in WORKFLOW_FILES:
        src = ROOT / name
        shutil.copytree(src, work / name, ignore=ignore) if src.is_dir() else shutil.copy(src, work / name)
    cfg = yaml.safe_load((ROOT / "config/config.default.yaml").read_text())
    mirror = (ROOT / cfg["data_mirror"]).resolve()
    # replaces the developer's own config/config.yaml, if any
    (work / "config" / "config.yaml").write_text(f"data_mirror: {str(mirror) if mirror.is_dir() else 'null'}\n")
    return work


@pytest.fixture(scope="session")
def work(tmp_path_factory) -> Path:
    """The workflow copy most workflow tests share (:func:`workflow_copy`)."""
    return workflow_copy(tmp_path_factory)


def manifest_sha256(results: Path) -> dict[str, str]:
    """path -> sha256 of every artifact in the manifest of the run whose results are in ``results``."""
    manifest = json.loads((results / "MANIFEST.json").read_text())
    return {a["path"]: a["sha256"] for a in manifest["artifacts"]}


@pytest.fixture(scope="session")
def small_run(work) -> Path:
    """The small configuration run locally on 2 cores (results/test-small of the shared copy): the run most
    workflow tests read, and the one that the same run on 1 core and on a SLURM cluster must reproduce byte for
    byte. A temporary folder is left in it first, as a killed allocate_flows leaves one."""
    stale = work / "results" / "test-small" / "flows" / ".dataset.tmp-1"
    stale.mkdir(parents=True)
    (stale / "chunk-00000-0.parquet").write_bytes(b"partial")
    subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "config/test/small.yaml"],
                   cwd=work, check=True, capture_output=True, timeout=1800)
    return work / "results" / "test-small"


@pytest.fixture(scope="session")
def demo(work) -> Path:
    """The default run, made by the README's first command (its install half is what CI does before the
    tests); shared by test_readme and test_explorer."""
    run(work, command_of("pip install -e '.[test]' &&").split("&&")[1])
    return work


@pytest.fixture(scope="session")
def product_truth() -> Path:
    """The folder of the product-truth tables (data mirror, or retrieved into resources/; skipped when impossible)."""
    cfg = yaml.safe_load((ROOT / "config/config.default.yaml").read_text())
    return data_folder("product_truth", *(f["name"] for f in cfg["reference"]["files"].values()))


@pytest.fixture(scope="session")
def hs4_reference(product_truth) -> tuple[pd.DataFrame, pd.Index]:
    """``(links, scorable products)`` of the HS4 reference at the default rule (exact NAICS match)."""
    d = product_truth
    codes = pd.read_csv(d / "bea_detail_commodities_2017.csv", dtype=str).iloc[:, 0]
    shares = ref.read_use_shares(d / "bea_use_detail_2017_producer_before_redef.parquet", codes)
    hs6_bea = ref.hs6_to_bea(pd.read_csv(d / "hs6_naics.csv", dtype=str),
                             pd.read_csv(d / "bea_naics_crosswalk_2017.csv", dtype=str))
    return ref.reference_network(shares, ref.product_bea(hs6_bea, 4), 0.01)


@pytest.fixture
def public_server():
    """A localhost stand-in for the Census API and Comex Stat's download server, serving the fixtures of
    tests/fixtures/public in their published layouts (and ``files``: name -> bytes, served under any path). It
    answers 503 to the first request of each path, cuts
    the first complete transfer of each Comex file in half (as a dropped connection does), and honours Range
    requests, so retries and resumption are exercised. ``requests`` records (path, Range header) of each."""
    import functools
    import http.server
    import threading
    from urllib.parse import parse_qs, urlsplit

    root = Path(__file__).parent / "fixtures" / "public"
    seen, cut, requests, files = set(), set(), [], {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            url = urlsplit(self.path)
            requests.append((url.path, self.headers.get("Range")))
            if url.path not in seen:
                seen.add(url.path)
                self.send_error(503, "try again")
                return
            if url.path.startswith("/census/") and url.path.endswith("/statehs"):
                q = parse_qs(url.query)
                name = f"census_{url.path.split('/')[2]}_{q['COMM_LVL'][0]}_{q['YEAR'][0]}.json"
            else:
                name = url.path.rsplit("/", 1)[-1]
            if name not in files and not (root / name).is_file():
                self.send_error(404, "no such file")
                return
            body = files[name] if name in files else (root / name).read_bytes()
            start = int(self.headers["Range"].split("=")[1].rstrip("-")) if self.headers.get("Range") else 0
            self.send_response(206 if start else 200)
            self.send_header("Content-Length", str(len(body) - start))
            self.end_headers()
            if name.endswith("_MUN.csv") and name not in cut:
                cut.add(name)
                self.wfile.write(body[start: start + len(body) // 2])
                self.close_connection = True
                return
            self.wfile.write(body[start:])

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    yield {"base": base, "requests": requests, "files": files, "config": {
        "census": {"api": f"{base}/census", "countries_url": f"{base}/census/country.txt", "level": "HS4",
                   "api_key": None},
        "comexstat": {"files": base + "/comex/{flow}_{year}_MUN.csv", "tables": base + "/tables/{table}.csv"},
    }}
    server.shutdown()


def _certificate(tmp_path, name, subject, issuer=None, ca=False):
    """A key and certificate made with openssl: self-signed (a root) or signed by ``issuer`` (name of one made
    before); ``ca`` makes it a certificate authority, else a server certificate for localhost and 127.0.0.1."""
    import subprocess

    key, cert = tmp_path / f"{name}.key", tmp_path / f"{name}.pem"
    ext = tmp_path / f"{name}.ext"
    ext.write_text("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n" if ca else
                   "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n")
    if issuer is None:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", subject,
                        "-keyout", str(key), "-out", str(cert), "-extensions", "v3", "-config", "/dev/stdin"],
                       input=f"[req]\ndistinguished_name=dn\n[dn]\n[v3]\n{ext.read_text()}", text=True,
                       check=True, capture_output=True)
        return cert, key
    csr = tmp_path / f"{name}.csr"
    subprocess.run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", str(key),
                    "-out", str(csr)], check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(tmp_path / f"{issuer}.pem"), "-CAkey",
                    str(tmp_path / f"{issuer}.key"), "-CAcreateserial", "-days", "2", "-extfile", str(ext),
                    "-out", str(cert)], check=True, capture_output=True)
    return cert, key


@pytest.fixture
def incomplete_chain(tmp_path, monkeypatch):
    """A localhost HTTPS server whose certificate is signed by an intermediate it does not send (as Comex Stat's
    sends its leaf alone), under a root made trusted for the test (SSL_CERT_FILE, which processes started by the
    test inherit), serving tests/fixtures/public at ``base`` (``url``: its PAIS table). Also made: a second
    intermediate of the same root, which did not sign the server's certificate."""
    import functools
    import http.server
    import shutil
    import ssl
    import threading

    assert shutil.which("openssl"), "openssl makes the test's certificates"
    root, _ = _certificate(tmp_path, "root", "/CN=Test Root", ca=True)
    intermediate, _ = _certificate(tmp_path, "intermediate", "/CN=Test Intermediate", "root", ca=True)
    other, _ = _certificate(tmp_path, "other", "/CN=Other Intermediate", "root", ca=True)
    leaf, leaf_key = _certificate(tmp_path, "leaf", "/CN=localhost", "intermediate")
    served = Path(__file__).parent / "fixtures" / "public"
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(leaf, leaf_key)  # the leaf alone: the chain is incomplete
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("SSL_CERT_FILE", str(root))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    base = f"https://localhost:{server.server_port}"
    yield {"base": base, "url": f"{base}/PAIS.csv", "intermediate": intermediate, "other": other}
    server.shutdown()
