"""Getting a public data set onto disk: from a local mirror when there is one, else from its URL.

``retrieve`` copies ``mirror/<subdir>/<name>`` when that file exists (how tests and CI run offline), and
otherwise downloads the configured URL, streamed to a temporary file with retries and renamed into place only
when complete. The sha256 of the result is logged, and checked when the config pins it: a mismatch deletes
nothing but the temporary and stops the run.
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


def retrieve(name: str, dest: str | Path, mirror: str | Path | None, url: str | None,
             sha256: str | None = None, source: str = "") -> str:
    """Put data file ``name`` at ``dest``, from ``mirror`` (a directory holding ``name``) or ``url``.

    Returns the file's sha256. Raises :class:`RetrieveError` when neither is available or the pinned
    ``sha256`` does not match. ``source`` (where the data come from) is only used in messages.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.part-{os.getpid()}")
    local = Path(mirror) / name if mirror else None
    try:
        if local is not None and local.is_file():
            log.info("%s: copying from the mirror %s", name, local)
            shutil.copyfile(local, tmp)
        elif url:
            log.info("%s: downloading %s", name, url)
            _download(url, tmp)
        else:
            raise RetrieveError(
                f"{name}: not in the data mirror ({local or 'none configured'}) and no URL configured. "
                f"Source: {source or 'unknown'}. Set data_mirror to a folder holding it, or its url in the config.")
        digest = _sha256(tmp)
        if sha256 and digest != sha256:
            raise RetrieveError(f"{name}: sha256 {digest} does not match the pinned {sha256}")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    log.info("%s: sha256 %s", name, digest)
    return digest
