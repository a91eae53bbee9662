"""Getting a public data set onto disk: from a local mirror when there is one, else from its URL.

``retrieve`` copies ``mirror/<name>`` when that file exists (how tests and CI run offline), and otherwise
downloads the configured URL, streamed to a temporary file with retries. Sources that publish R data files
(``.rda``/``.RData``, e.g. useeior and concordance) are converted to the mirror's layout on the way
(:func:`convert_rdata`). Checksums: ``sha256`` pins the file as placed from the mirror, ``url_sha256`` the
downloaded file before any conversion; both are logged and, when pinned, checked. The result is renamed into
place only when complete and checked, so a failure leaves nothing behind but an error saying why.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
import urllib.request
from pathlib import Path

log = logging.getLogger(__name__)


class RetrieveError(RuntimeError):
    """A data set that could not be retrieved or failed its checksum; the message says which and why."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _download(url: str, dest: Path, attempts: int = 4, backoff: float = 2.0, timeout: float = 60.0) -> None:
    for attempt in range(1, attempts + 1):
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response, open(dest, "wb") as fh:
                shutil.copyfileobj(response, fh, 1 << 20)
            return
        except OSError as exc:  # URLError and socket errors are OSErrors
            if attempt == attempts:
                raise RetrieveError(f"{url}: download failed after {attempts} attempts ({exc}); "
                                    "check the network, or put the file in the data mirror") from exc
            log.warning("%s: attempt %d failed (%s); retrying", url, attempt, exc)
            time.sleep(backoff ** attempt)


def convert_rdata(raw: str | Path, dest: str | Path, obj: str, rownames: str | None = None,
                  rename: dict[str, str] | None = None, fmt: str = "csv") -> None:
    """Write the data frame ``obj`` of an R data file to ``dest`` as ``fmt`` (``csv`` or ``parquet``).

    ``rownames``: put the R row names first in a column of that name; ``rename``: column renames (R gives
    unnamed columns names such as ``NA``). CSV is written as pandas does (no index), which reproduces the
    mirror's files byte for byte.
    """
    import pyreadr  # only needed for downloads

    frames = pyreadr.read_r(str(raw))
    if obj not in frames:
        raise RetrieveError(f"{raw}: no object {obj!r} in the R data file (found {sorted(frames)})")
    df = frames[obj]
    if rownames:
        df.insert(0, rownames, df.index.astype(str))
    df = df.rename(columns=rename or {})
    if fmt == "parquet":
        df.reset_index(drop=True).to_parquet(dest, index=False)
    else:
        df.to_csv(dest, index=False)


def retrieve(name: str, dest: str | Path, mirror: str | Path | None, url: str | None,
             sha256: str | None = None, source: str = "", url_sha256: str | None = None,
             convert: dict | None = None) -> str:
    """Put data file ``name`` at ``dest``, from ``mirror`` (a directory holding ``name``) or ``url``.

    ``convert`` (for downloads): ``{"from": "rdata", "object": ..., "rownames": ..., "rename": {...}}``.
    Returns the placed file's sha256. Raises :class:`RetrieveError` when neither source is available or a
    pinned checksum does not match. ``source`` (where the data come from) is only used in messages.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.part-{os.getpid()}")
    raw = dest.with_name(f".{dest.name}.download-{os.getpid()}")
    local = Path(mirror) / name if mirror else None
    try:
        if local is not None and local.is_file():
            log.info("%s: copying from the mirror %s", name, local)
            shutil.copyfile(local, tmp)
            _check(name, tmp, sha256, "pinned")
        elif url:
            log.info("%s: downloading %s", name, url)
            _download(url, raw)
            _check(name, raw, url_sha256, "pinned url_sha256")
            if convert:
                if convert.get("from") != "rdata":
                    raise RetrieveError(f"{name}: unknown conversion {convert.get('from')!r} (known: rdata)")
                convert_rdata(raw, tmp, convert["object"], convert.get("rownames"), convert.get("rename"),
                              fmt="parquet" if name.endswith(".parquet") else "csv")
            else:
                os.replace(raw, tmp)
                _check(name, tmp, sha256, "pinned")
        else:
            raise RetrieveError(
                f"{name}: not in the data mirror ({local or 'none configured'}) and no URL configured. "
                f"Source: {source or 'unknown'}. Set data_mirror to a folder holding it, or its url in the config.")
        digest = _sha256(tmp)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
        raw.unlink(missing_ok=True)
    log.info("%s: sha256 %s", name, digest)
    return digest


def _check(name: str, path: Path, expected: str | None, what: str) -> None:
    digest = _sha256(path)
    log.info("%s: sha256 of %s %s", name, path.name, digest)
    if expected and digest != expected:
        raise RetrieveError(f"{name}: sha256 {digest} does not match the {what} {expected}")
