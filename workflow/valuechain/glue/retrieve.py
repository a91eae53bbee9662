"""Getting a public data set onto disk: from a local mirror when there is one, else from its URL.

``retrieve`` copies ``mirror/<name>`` when that file exists (how tests and CI run offline), and otherwise
downloads the configured URL, streamed to a temporary file with retries. Sources that publish R data files
(``.rda``/``.RData``: WIOD, economiccomplexity, useeior, concordance) are converted to the mirror's layout on the way
(:func:`convert_rdata`). Checksums: ``sha256`` pins the file as placed from the mirror, ``url_sha256`` the
downloaded file before any conversion; both are logged and, when pinned, checked. The result is renamed into
place only when complete and checked, so a failure leaves nothing behind but an error saying why.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import re
import shutil
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from valuechain.glue.optional import require

log = logging.getLogger(__name__)


class RetrieveError(RuntimeError):
    """A data set that could not be retrieved or failed its checksum; the message says which and why."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def redact(url: str) -> str:
    """``url`` with the value of any ``key=`` query parameter (an API key) replaced, for logs and messages."""
    return re.sub(r"([?&]key=)[^&]*", r"\1***", url)


def scrub(text: str, url: str) -> str:
    """``text`` (an exception's message, which may quote the URL in any form) with every API key of ``url`` (the
    values of its ``key=`` parameters, as given and URL-decoded) replaced by ``***``, in every form a library or a
    server may quote it: as given, URL-encoded (``%20`` or ``+`` for a space) and as ``repr()`` shows it."""
    given = {v for raw in re.findall(r"[?&]key=([^&]*)", url) for v in (raw, urllib.parse.unquote_plus(raw)) if v}
    secrets = given | {form for v in given for form in (
        urllib.parse.quote(v, safe=""), urllib.parse.quote(v), urllib.parse.quote_plus(v),
        repr(v)[1:-1], v.encode("unicode_escape").decode("ascii"))}
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


CERTS = Path(__file__).parents[1] / "data" / "certs"
# Servers that send their certificate without the intermediate certificate that signed it (openssl's verify code
# 21), which Python's verification rejects: the issuer's public intermediate, shipped in valuechain/data/certs/ and
# pinned by the SHA-256 fingerprint of its DER form, completes the chain for that host only; the chain must still
# end at a root of the system's trust store, so a wrong certificate still fails (docs/trade_data.md).
INTERMEDIATES = {
    # Comex Stat's download server; its leaf *.economia.gov.br is issued by Sectigo Public Server Authentication CA
    # OV R36 (root: Sectigo Public Server Authentication Root R46), checked against Sectigo's published CA list
    "balanca.economia.gov.br": (CERTS / "sectigo_public_server_authentication_ca_ov_r36.pem",
                                "6542d176bed50f193c0ce297ae44ecd8a0a86bec2ede682769344059b4e78530"),
}


def pinned_intermediates(config: Mapping[str, Mapping[str, str]] | None) -> dict[str, tuple[Path, str]]:
    """The config's ``tls_intermediates`` (host -> ``{file, sha256}``) as :func:`tls_context` takes them."""
    return {host: (Path(entry["file"]), entry["sha256"]) for host, entry in (config or {}).items()}


def tls_context(host: str | None, intermediates: Mapping[str, tuple[Path, str]] | None = None
                ) -> ssl.SSLContext | None:
    """The TLS context for ``host``: None (the default context) unless ``intermediates`` (default
    :data:`INTERMEDIATES`) lists it; then the default context with the host's pinned intermediate added to the
    certificates chains are built from. Raises :class:`RetrieveError` when the shipped file is not the pinned
    certificate. Partial chains stay refused (Python 3.13 allows them by default): the intermediate is no trust
    anchor, the chain it completes must end at a trusted root."""
    entry = (INTERMEDIATES if intermediates is None else intermediates).get(host or "")
    if entry is None:
        return None
    path, fingerprint = entry
    der = ssl.PEM_cert_to_DER_cert(Path(path).read_text(encoding="ascii"))
    found = hashlib.sha256(der).hexdigest()
    if found != fingerprint.replace(":", "").lower():
        raise RetrieveError(f"{path}: the intermediate certificate shipped for {host} has the SHA-256 fingerprint "
                            f"{found}, not the pinned {fingerprint}; not used")
    context = ssl.create_default_context()
    context.verify_flags &= ~getattr(ssl, "VERIFY_X509_PARTIAL_CHAIN", 0)
    context.load_verify_locations(cadata=der)
    return context


def download(url: str, dest: str | Path, attempts: int = 4, backoff: float = 2.0, timeout: float = 60.0,
             intermediates: Mapping[str, tuple[Path, str]] | None = None) -> None:
    """Stream ``url`` to ``dest`` in 1 MB blocks, with ``attempts`` tries and exponential back-off.

    Resumable: bytes already in ``dest`` (a download cut short, in this run or an earlier one) are kept and
    the rest is asked for with an HTTP ``Range`` request; a server that ignores it (status 200) sends the whole
    file again, which replaces them. A host of :data:`INTERMEDIATES` or of ``intermediates`` (the config's
    ``tls_intermediates``) gets its chain completed (:func:`tls_context`).
    Raises :class:`RetrieveError` saying what failed after the last attempt.
    """
    dest = Path(dest)
    shown = redact(url)
    host = urllib.parse.urlsplit(url).hostname
    pinned = {**INTERMEDIATES, **(intermediates or {})}
    context = tls_context(host, pinned) if url.lower().startswith("https:") else None
    for attempt in range(1, attempts + 1):
        have = dest.stat().st_size if dest.exists() else 0
        request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
        try:
            with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
                resumed = have and response.status == 206
                if have:
                    log.info("%s: %s at byte %d", shown, "resuming" if resumed else "server sent it whole", have)
                with open(dest, "ab" if resumed else "wb") as fh:
                    shutil.copyfileobj(response, fh, 1 << 20)
                expected = response.headers.get("Content-Length")
            if expected is not None and dest.stat().st_size != (have if resumed else 0) + int(expected):
                raise OSError(f"connection closed after {dest.stat().st_size} bytes")
            return
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and have:  # nothing left to send: the earlier attempt had it all
                return
            error: Exception = exc
            retry = exc.code >= 500 or exc.code == 429
        except (http.client.InvalidURL, UnicodeError) as exc:  # a space, control or non-ASCII character
            error, retry = exc, False
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, connections cut short
            # a certificate the server's chain cannot prove fails the same way every time: not retried
            error, retry = exc, not isinstance(getattr(exc, "reason", exc), ssl.SSLCertVerificationError)
        # the library's message may quote the URL with its key: scrubbed, and the original never chained
        reason = scrub(str(getattr(error, "reason", error)), url)
        if not retry or attempt == attempts:
            tls = isinstance(getattr(error, "reason", error), ssl.SSLError)
            offline = isinstance(error, urllib.error.URLError) and not isinstance(error, urllib.error.HTTPError)
            completed = (f" (its chain completed with the pinned {Path(pinned[host][0]).name}: the server's "
                         "certificate may now come from another issuer)" if context is not None else "")
            hint = (f"a TLS failure: the certificate of {host} could not be verified{completed} (an incomplete "
                    "certificate chain, a wrong certificate or a proxy in between); verification stays on: put the "
                    "file in the data mirror or under resources/ by hand" if tls
                    else "no network? Put the file in the data mirror or under resources/ by hand" if offline
                    else "the URL or the API key is malformed (spaces, control or non-ASCII characters)"
                    if isinstance(error, (http.client.InvalidURL, UnicodeError))
                    else "check the URL in the config" + (" and the API key" if shown != url else ""))  # redacted
            raise RetrieveError(f"{shown}: download failed after {attempt} attempt(s) ({reason}); {hint}") \
                from None
        log.warning("%s: attempt %d failed (%s); retrying in %.0f s", shown, attempt, reason, backoff ** attempt)
        time.sleep(backoff ** attempt)


# The five final-use columns the WIOD 2013 release gives each economy, in its order (WIOD user guide, Timmer et
# al. 2015): households, non-profits serving households, government, gross fixed capital formation, inventories.
WIOD_FINAL_DEMAND = ("HFCE", "NPISH", "GGFC", "GFCF", "INVNT")


def wiod_table(obj: dict, name: str = "wiot") -> pd.DataFrame:
    """A WIOD 2013 table as the R package wiod stores it, in the data mirror's layout (docs/data.md).

    ``obj`` is the R list ``wiot_YYYY``: ``countries`` (41 codes), ``industries`` (``c1``..``c35``), ``inter``
    (country-industry x country-industry, country-major), ``final`` (country-industry x economy-major blocks of
    the five :data:`WIOD_FINAL_DEMAND` columns) and ``output``. Returns the frame indexed by ``row`` =
    ``CCC_cN`` with columns ``CCC_cN``, ``CCC_<final use>`` and ``GO`` (int64, millions of USD), values
    unchanged. Raises :class:`RetrieveError` naming ``name`` when a part is missing or its shape does not fit.
    """
    parts = {str(k): v for k, v in obj.items()}
    missing = {"countries", "industries", "inter", "final", "output"} - set(parts)
    if missing:
        raise RetrieveError(f"{name}: not a WIOD table, the R list lacks {sorted(missing)}")
    countries = [str(c) for c in np.asarray(parts["countries"])]
    industries = [str(i) for i in np.asarray(parts["industries"])]
    labels = [f"{c}_{i}" for c in countries for i in industries]
    finals = [f"{c}_{f}" for c in countries for f in WIOD_FINAL_DEMAND]
    inter, final, output = (np.asarray(parts[k]).astype(np.int64) for k in ("inter", "final", "output"))
    for part, array, shape in (("inter", inter, (len(labels), len(labels))), ("final", final, (len(labels), len(finals))),
                               ("output", output, (len(labels),))):
        if array.shape != shape:
            raise RetrieveError(f"{name}: {part} has shape {array.shape}, expected {shape} for "
                                f"{len(countries)} countries x {len(industries)} industries")
    return pd.DataFrame(np.column_stack([inter, final, output]), index=pd.Index(labels, name="row"),
                        columns=labels + finals + ["GO"])


# Conversions of R objects that are not plain data frames into the mirror's layouts (``convert: layout:``).
LAYOUTS = {"wiod": wiod_table}


def convert_rdata(raw: str | Path, dest: str | Path, convert: dict, fmt: str = "csv") -> None:
    """Write one object of an R data file to ``dest`` in the mirror's layout, as ``fmt`` (``csv`` or ``parquet``).

    ``convert`` (the config's entry): ``object`` (the R object), optional ``element`` (a member of that object
    when it is a list), ``layout`` (a :data:`LAYOUTS` name for objects that are not data frames), ``rownames``
    (put the R row names first in a column of that name), ``rename`` (column renames: R names unnamed columns
    ``NA``, ``NA.1``...) and ``dropna`` (drop the rows missing any of these columns). CSV is written as pandas
    does (no index), which reproduces the mirror's CSV files byte for byte; a layout's index is kept in Parquet.
    """
    rdata = require("rdata")  # only needed for downloads
    with warnings.catch_warnings():  # tibble classes are read as data frames, which is what they are
        warnings.filterwarnings("ignore", "Missing constructor for R class", UserWarning)
        objects = rdata.read_rda(str(raw))
    obj = objects.get(convert["object"])
    if obj is None:
        raise RetrieveError(f"{raw}: no object {convert['object']!r} in the R data file (found {sorted(objects)})")
    where = convert["object"]
    if convert.get("element"):
        if not isinstance(obj, dict) or convert["element"] not in obj:
            found = sorted(map(str, obj)) if isinstance(obj, dict) else type(obj).__name__
            raise RetrieveError(f"{raw}: {where} has no element {convert['element']!r} (found {found})")
        obj, where = obj[convert["element"]], f"{where}${convert['element']}"
    if convert.get("layout"):
        if convert["layout"] not in LAYOUTS:
            raise RetrieveError(f"{raw}: unknown layout {convert['layout']!r} (known: {sorted(LAYOUTS)})")
        df = LAYOUTS[convert["layout"]](obj, where)
    elif isinstance(obj, pd.DataFrame):
        df = obj
    else:
        raise RetrieveError(f"{raw}: {where} is a {type(obj).__name__}, not a data frame; give its element or layout")
    if convert.get("rownames"):
        df.insert(0, convert["rownames"], df.index.astype(str))
    df = df.rename(columns=convert.get("rename") or {})
    if convert.get("dropna"):
        df = df.dropna(subset=convert["dropna"])
    if not convert.get("layout"):
        df = df.reset_index(drop=True)
    if fmt == "parquet":
        df.to_parquet(dest, index=bool(convert.get("layout")))
    else:
        df.to_csv(dest, index=False)


def convert_csv(raw: str | Path, dest: str | Path, convert: dict) -> None:
    """Write a downloaded CSV to ``dest`` in the mirror's layout, every cell copied as text: ``columns`` keeps those
    columns in that order; ``layout: published_network`` gives the paper's published network codes
    (:func:`valuechain.reference.product.published_network_codes`, with the name table ``names``)."""
    df = pd.read_csv(raw, dtype=str, keep_default_na=False)
    if convert.get("layout") == "published_network":
        from valuechain.reference.product import published_network_codes

        df = published_network_codes(df, pd.read_csv(convert["names"], dtype=str, keep_default_na=False))
    elif convert.get("columns"):
        missing = [c for c in convert["columns"] if c not in df.columns]
        if missing:
            raise RetrieveError(f"{raw}: missing column(s) {missing} (found {list(df.columns)})")
        df = df[convert["columns"]]
    else:
        raise RetrieveError(f"{raw}: a CSV conversion needs columns or layout published_network")
    df.to_csv(dest, index=False)


def retrieve(name: str, dest: str | Path, mirror: str | Path | None, url: str | None,
             sha256: str | None = None, source: str = "", url_sha256: str | None = None,
             convert: dict | None = None, intermediates: Mapping[str, tuple[Path, str]] | None = None) -> str:
    """Put data file ``name`` at ``dest``, from ``mirror`` (a directory holding ``name``) or ``url``.

    ``convert`` (for downloads): ``{"from": "rdata", "object": ..., ...}``, see :func:`convert_rdata`, or
    ``{"from": "csv", ...}``, see :func:`convert_csv`. A converted file is checked through its download
    (``url_sha256``); the sha256 of a file converted from R data is logged, not pinned (Parquet bytes depend on the
    writer's version, the values do not); one converted from CSV is text copied cell by cell and checked against
    ``sha256``.
    ``intermediates``: see :func:`download`.
    Returns the placed file's sha256. Raises :class:`RetrieveError` when neither source is available or a
    pinned checksum does not match. ``source`` (where the data come from) is only used in messages.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.part-{os.getpid()}")
    raw = dest.with_name(f".{dest.name}.download")  # kept when cut short, so the next run resumes it
    local = Path(mirror) / name if mirror else None
    try:
        if local is not None and local.is_file():
            log.info("%s: copying from the mirror %s", name, local)
            shutil.copyfile(local, tmp)
            digest = _check(name, tmp, sha256=sha256)
        elif url:
            log.info("%s: downloading %s", name, redact(url))
            download(url, raw, intermediates=intermediates)
            try:  # unconverted, the download is the file: both pins apply to the same bytes
                digest = _check(name, raw, url_sha256=url_sha256, **({} if convert else {"sha256": sha256}))
            except RetrieveError:
                raw.unlink()  # complete but wrong: the next run must download it afresh
                raise
            if convert and convert.get("from") == "csv":
                convert_csv(raw, tmp, convert)
                digest = _check(name, tmp, sha256=sha256)
                log.info("%s: converted from the downloaded CSV", name)
            elif convert:
                if convert.get("from") != "rdata":
                    raise RetrieveError(f"{name}: unknown conversion {convert.get('from')!r} (known: rdata, csv)")
                convert_rdata(raw, tmp, convert, fmt="parquet" if name.endswith(".parquet") else "csv")
                digest = _sha256(tmp)  # logged below: the converted file's sha256
                log.info("%s: converted from the R object %s", name, convert["object"])
            else:
                os.replace(raw, tmp)
        else:
            raise RetrieveError(
                f"{name}: not in the data mirror ({local or 'none configured'}) and no URL configured. "
                f"Source: {source or 'unknown'}. Set data_mirror to a folder holding it, or its url in the config.")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    raw.unlink(missing_ok=True)
    log.info("%s: sha256 %s", name, digest)
    return digest


def data_files(data: Mapping[str, dict]) -> dict[str, dict]:
    """The config's ``data:`` entries as one entry per file, keyed by its path under ``resources/`` (``folder/name``),
    what rule retrieve_data is given.

    An entry with ``countries`` stands for one file per country, so that 43 national tables are one entry and not 43
    near-copies: ``{country}`` in its ``name`` and ``url`` becomes each country and ``sha256`` is that country's entry
    of the ``sha256`` mapping, which must pin every country and no other. Other entries are returned unchanged (the
    same dict), so their rule parameters, and what Snakemake decides from them, stay as they were.
    """
    files: dict[str, dict] = {}
    for key, entry in data.items():
        if "countries" in entry:
            pins = entry["sha256"]
            unpinned = [c for c in entry["countries"] if c not in pins]
            extra = sorted(set(pins) - set(entry["countries"]))
            if unpinned or extra:
                raise ValueError(f"data.{key}: sha256 lacks {unpinned} and has other countries {extra}")
            common = {k: v for k, v in entry.items() if k != "countries"}
            per_country = [
                {**common, "name": entry["name"].replace("{country}", c),
                 "url": entry["url"] and entry["url"].replace("{country}", c), "sha256": pins[c]}
                for c in entry["countries"]
            ]
        else:
            per_country = [entry]
        for f in per_country:
            path = f"{f['folder']}/{f['name']}"
            if path in files:
                raise ValueError(f"data.{key}: {path} is also another entry's file")
            files[path] = f
    return files


def _check(name: str, path: Path, **pinned: str | None) -> str:
    """The file's sha256, logged; :class:`RetrieveError` when it differs from a pinned value (``sha256``,
    ``url_sha256``) that is given."""
    digest = _sha256(path)
    log.info("%s: sha256 of %s %s", name, path.name, digest)
    for what, expected in pinned.items():
        if expected and digest != expected:
            raise RetrieveError(f"{name}: sha256 {digest} does not match the pinned {what} {expected}")
    return digest


def retrieve_table(url: str, dest: str | Path, member: str | None = None, sha256: str | None = None) -> str:
    """Download one input-output table to ``dest``: the file at ``url`` itself or, with ``member``, that file
    out of the zip archive at ``url`` (OECD ICIO publishes several years per archive); see :func:`retrieve_members`.
    Returns the table's sha256."""
    if member:
        return retrieve_members(url, {member: dest}, {member: sha256})[member]
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    raw = dest.with_name(f".{dest.name}.download")
    log.info("%s: downloading %s", dest.name, redact(url))
    download(url, raw)
    try:
        digest = _check(dest.name, raw, sha256=sha256)
    except RetrieveError:
        raw.unlink()  # complete but wrong: the next run must download it afresh
        raise
    os.replace(raw, dest)
    return digest


def retrieve_members(url: str, members: Mapping[str, str | Path], sha256: Mapping[str, str | None] | None = None
                     ) -> dict[str, str]:
    """Download the zip archive at ``url`` once and extract each of ``members`` (member name -> destination), each
    checked against its ``sha256`` when pinned and renamed into place only then. A download cut short stays beside
    the first destination so a second run resumes it; a complete one that is wrong (a member missing, not a zip,
    another checksum) is deleted. Returns each member's sha256."""
    dests = {m: Path(d) for m, d in members.items()}
    first = next(iter(dests.values()))
    first.parent.mkdir(parents=True, exist_ok=True)
    raw = first.with_name(f".{first.name}.archive.download")
    log.info("%s: downloading %s", ", ".join(d.name for d in dests.values()), redact(url))
    download(url, raw)
    digests = {}
    try:
        try:
            archive = zipfile.ZipFile(raw)
        except zipfile.BadZipFile as exc:
            raise RetrieveError(f"{redact(url)}: not a zip archive ({exc}), so no member {list(dests)}") from exc
        with archive:
            names = archive.namelist()
            for member, dest in dests.items():
                if member not in names:
                    raise RetrieveError(f"{redact(url)}: no member {member!r}; the archive holds {names[:10]}")
                dest.parent.mkdir(parents=True, exist_ok=True)
                tmp = dest.with_name(f".{dest.name}.part-{os.getpid()}")
                try:
                    with archive.open(member) as src, open(tmp, "wb") as out:
                        shutil.copyfileobj(src, out, 1 << 20)
                    digests[member] = _check(dest.name, tmp, sha256=(sha256 or {}).get(member))
                    os.replace(tmp, dest)
                finally:
                    tmp.unlink(missing_ok=True)
    except RetrieveError:
        raw.unlink(missing_ok=True)  # complete but wrong: the next run must download it afresh
        raise
    raw.unlink(missing_ok=True)
    return digests
