"""No Census API key in any log, message, artifact or provenance: workflow runs of the public source given a key
through the environment and through a config file, against a localhost stand-in for the Census API that accepts
it, or that rejects it (an error status quoting it, an HTML page with status 200), or with a key the HTTP library
refuses; then every file the runs wrote, and Snakemake's own output, is searched for every form of the key."""

import hashlib
import json
import os
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from valuechain.glue.provenance import config_hash, provenance
from valuechain.glue.retrieve import scrub

FIX = Path(__file__).parent / "fixtures" / "public"
KEY = "Zk4sEcReT7qP2vW9xL"  # nothing else the runs write contains it
MALFORMED = "Mq8bNt Yw3rUx5Hv2"  # a space: the HTTP library refuses the URL and quotes it in its message


def forms(key: str) -> set[str]:
    """The key as given, URL-encoded (both ways), and as repr() quotes it; for a key with a space, its parts too."""
    whole = {key, urllib.parse.quote(key, safe=""), urllib.parse.quote_plus(key), repr(key)[1:-1]}
    return whole | {part for part in key.split() if len(part) >= 6}


def leaks(root: Path, key: str, skip: tuple[str, ...] = ()) -> list[str]:
    """The files under ``root`` (but not under the ``skip`` folders) holding a form of ``key``: in their bytes, or
    for Parquet files in the values of a text column (data pages are compressed; the metadata is not)."""
    found = []
    needles = [f.encode() for f in forms(key)]
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = f.relative_to(root).as_posix()
        if rel.startswith(skip):
            continue
        data = f.read_bytes()
        if any(n in data for n in needles):
            found.append(rel)
        elif f.suffix == ".parquet" and data[-4:] == b"PAR1":
            table = pq.read_table(f)
            for column in table.columns:
                if pa.types.is_dictionary(column.type):
                    column = column.cast(pa.string())
                if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                    if any(pc.any(pc.match_substring(column, form)).as_py() for form in forms(key)):
                        found.append(rel)
                        break
    return found


def test_leaks_finds_every_form_of_the_key(tmp_path):
    """The search itself: a key raw, URL-encoded, in repr form, or only in a compressed Parquet column is found."""
    (tmp_path / "a.log").write_text(f"GET /x?key={urllib.parse.quote(MALFORMED)}")
    (tmp_path / "b.txt").write_text(repr(KEY + "\u00e9"))
    values = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(2000)]
    values[777] += KEY
    pq.write_table(pa.table({"v": values}), tmp_path / "c.parquet", compression="zstd")
    assert KEY.encode() not in (tmp_path / "c.parquet").read_bytes()  # compressed away
    (tmp_path / "d.txt").write_text("Yw3rUx5Hv2")
    assert leaks(tmp_path, MALFORMED) == ["a.log", "d.txt"]
    assert leaks(tmp_path, KEY) == ["b.txt", "c.parquet"]
    assert leaks(tmp_path, KEY, skip=("b.", "c.")) == []


def test_a_key_in_the_config_is_left_out_of_the_provenance():
    """The config stamped in an artifact, and its hash, leave every api_key out (a short key's hash can be
    brute-forced); the hash is that of the canonical JSON without it, worked out here by hand."""
    params = {"public": {"census": {"api_key": KEY, "level": "HS4"}, "years": [2017]}}
    meta = provenance("x/1", params)
    assert all(KEY not in v for v in meta.values())
    assert json.loads(meta["valuechain.config"]) == {"public": {"census": {"level": "HS4"}, "years": [2017]}}
    by_hand = hashlib.sha256(b'{"public":{"census":{"level":"HS4"},"years":[2017]}}').hexdigest()
    assert meta["valuechain.config_sha256"] == by_hand == config_hash(params)


@pytest.mark.property
@given(key=st.text(st.characters(codec="utf-8", exclude_characters="&#"), min_size=8, max_size=30),
       wrap=st.sampled_from(["{}", "URL '{}' refused", "HTTP Error 400: invalid key {}", "<{}>"]))
def test_scrub_removes_every_form_of_any_key(key, wrap):
    """Whatever the key, and whichever form of it a library or a server quotes (as given, URL-encoded either way,
    as repr() shows it), the scrubbed message holds none of them."""
    url = f"http://h/data?get=A&key={key}&YEAR=2017"
    for form in forms(key) - {p for p in key.split() if p != key}:
        shown = scrub(wrap.format(form), url)
        assert shown.count(form) <= wrap.format("***").count(form), (form, shown)  # the text around may hold it


class CensusStandIn:
    """A localhost Census API serving tests/fixtures/public, recording every request target as received. ``mode``:
    ``ok`` answers with the data, ``error`` with status 400 quoting the key in its reason and body, ``html`` with
    an HTML page quoting the key, status 200 (the Census API's answer to an invalid key, without the quote),
    ``empty`` with status 204 (a query without data). As the real API, in every mode a data request without a key
    gets its missing-key page, an HTML page with status 200."""

    def __init__(self):
        import http.server

        stand_in = self
        self.mode, self.requests = "ok", []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                stand_in.requests.append(self.path)
                key = urllib.parse.parse_qs(url.query).get("key", [""])[0]
                if url.path.endswith("/statehs") and not key:
                    self.answer("<html><title>Missing Key</title><body>Get a key at key_signup</body></html>")
                    return
                if url.path.endswith("/statehs") and stand_in.mode == "empty":
                    self.send_response(204)
                    self.end_headers()
                    return
                if url.path.endswith("/statehs") and stand_in.mode == "error":
                    self.send_error(400, f"error: invalid key {key}", f"the key {key} is not valid")
                    return
                if url.path.endswith("/statehs") and stand_in.mode == "html":
                    self.answer(f"<html><title>Invalid Key</title><body>{key} is not a valid key</body></html>")
                    return
                if url.path.endswith("/statehs"):
                    q = urllib.parse.parse_qs(url.query)
                    name = f"census_{url.path.split('/')[2]}_{q['COMM_LVL'][0]}_{q['YEAR'][0]}.json"
                else:
                    name = url.path.rsplit("/", 1)[-1]
                self.answer((FIX / name).read_text(encoding="latin-1"))

            def answer(self, text):
                body = text.encode("latin-1")
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_port}"


@pytest.fixture(scope="module")
def census():
    stand_in = CensusStandIn()
    yield stand_in
    stand_in.server.shutdown()


def run(work, tmp_path, census, name, key, through, *targets):
    """A Snakemake run of the Census source (run ``secrets-<name>``, its own download cache under the working
    copy) given ``key`` ``through`` the environment or a config file (kept outside the working copy, as a user's
    would be); returns the finished process."""
    config = tmp_path / f"{name}.json"
    config.write_text(json.dumps({
        "run": f"secrets-{name}", "source": "public", "clean": {"min_region_trade": 0},
        "public": {"countries": ["USA"], "years": [2017], "cache": f"resources/public-secrets-{name}", "sha256": {},
                   "census": {"api": f"{census.base}/census", "countries_url": f"{census.base}/census/country.txt",
                              "level": "HS4", "api_key": key if through == "config" else None}}}))
    env = {k: v for k, v in os.environ.items() if k != "CENSUS_API_KEY"}
    if through == "env" and key is not None:
        env["CENSUS_API_KEY"] = key
    return subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--configfile",
                           "config/test/small.yaml", str(config), "--", *targets],
                          cwd=work, env=env, capture_output=True, text=True, timeout=1800)


@pytest.mark.workflow
@pytest.mark.parametrize("through, targets", [("env", ("results/secrets-env/clean/trade.parquet",)), ("config", ())])
def test_a_run_given_a_key_writes_it_nowhere(through, targets, work, tmp_path, census):
    """A run with a key: the key reaches the API, and no file of the working copy holds it, nor Snakemake's output.
    In a config file the key is part of the config every rule sees, so that run is whole (every artifact, its
    provenance and the manifest); through the environment only the retrieval sees it, so the run stops after
    cleaning. In a config file the key is in Snakemake's pickled copy of each script while the job runs (a killed
    job leaves it under .snakemake/scripts, the documented reason to prefer the environment): only there it may
    be."""
    census.mode, census.requests[:] = "ok", []
    proc = run(work, tmp_path, census, through, KEY, through, *targets)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert sum(f"key={KEY}" in r for r in census.requests) == 2  # exports and imports, each asked for with the key
    if not targets:
        assert (work / "results" / f"secrets-{through}" / "MANIFEST.json").is_file()
    warned = "the Census API key is in a config file" in proc.stderr
    assert warned == (through == "config")
    assert not [f for f in forms(KEY) if f in proc.stdout + proc.stderr]
    assert leaks(work, KEY, skip=(".snakemake/scripts/",) if through == "config" else ()) == []


@pytest.mark.workflow
@pytest.mark.parametrize("case, key, through, message", [
    ("error", KEY, "env", "download failed after 1 attempt(s) (error: invalid key ***); check the URL in the config "
                          "and the API key"),
    ("html", KEY, "config", "the Census API sent an HTML page instead of data"),
    ("ok", MALFORMED, "env", "the URL or the API key is malformed"),
])
def test_a_failed_download_writes_the_key_nowhere(case, key, through, message, work, tmp_path, census):
    """A key the API rejects (an error status or an HTML page quoting it) or the HTTP library refuses: the run
    stops at the download saying why, keeps no answer in the cache, and no file nor output holds the key."""
    census.mode, census.requests[:] = case, []
    name = f"failed-{case}"
    proc = run(work, tmp_path, census, name, key, through, f"results/secrets-{name}/data/public_trade.parquet")
    assert proc.returncode != 0
    asked = [r for r in census.requests if "/statehs" in r]
    assert all(f"key={key}" in r for r in asked) and bool(asked) == (key != MALFORMED)  # a bad URL is never sent
    assert message in proc.stderr  # Snakemake shows the failed job's log
    assert not list((work / f"resources/public-secrets-{name}/census").glob("*.json*"))
    assert not [f for f in forms(key) if f in proc.stdout + proc.stderr]
    assert leaks(work, key, skip=(".snakemake/scripts/",) if through == "config" else ()) == []


@pytest.mark.workflow
def test_a_missing_key_or_an_empty_answer_is_named_and_the_next_run_asks_again(work, tmp_path, census):
    """Without a key the API sends its missing-key page (status 200); the run stops saying so and where to get a
    key, keeps nothing, and the run after the key is set asks again and succeeds. An empty answer (204) is named
    as one, not as a key problem."""
    census.mode, census.requests[:] = "ok", []
    target = "results/secrets-nokey/data/public_trade.parquet"
    proc = run(work, tmp_path, census, "nokey", None, "env", target)
    assert proc.returncode != 0
    assert "the Census API answered with its missing-key page" in proc.stderr and "key_signup" in proc.stderr
    assert not list((work / "resources/public-secrets-nokey/census").glob("*.json*"))
    proc = run(work, tmp_path, census, "nokey", KEY, "env", target)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (work / target).is_file()
    census.mode = "empty"
    proc = run(work, tmp_path, census, "empty", KEY, "env", "results/secrets-empty/data/public_trade.parquet")
    assert proc.returncode != 0 and "the Census API sent an empty answer (HTTP 204: no data for this query)" in (
        proc.stderr)
    assert not list((work / "resources/public-secrets-empty/census").glob("*.json*"))
