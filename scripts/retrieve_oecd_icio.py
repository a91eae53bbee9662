"""Rule retrieve_oecd_icio: download the OECD ICIO archive and extract the configured years' CSVs.

Runs only when the configured CSVs are absent; Snakemake's ensure() checks each CSV against the sha256 in the
config (or only that it is non-empty when none is given). The sha256 found is logged so it can be pinned, and
recorded beside each CSV, where the rules reading it check it (valuechain.provenance.check_input).
"""

import shutil
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from valuechain.provenance import sha256_file, stamp
from valuechain.smk import setup

log = setup(snakemake)
p = snakemake.params
with tempfile.TemporaryDirectory() as tmp:
    archive = Path(tmp) / "icio.zip"
    log.info("downloading %s", p.url)
    with urllib.request.urlopen(p.url, timeout=600) as response, open(archive, "wb") as fh:
        shutil.copyfileobj(response, fh)
    log.info("archive sha256 %s", sha256_file(archive))
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
        for year, target in zip(p.years, snakemake.output):
            member = p.member.format(year=year)
            if member not in names:
                raise ValueError(f"{p.url}: no member {member!r} for {year}; the archive holds {sorted(names)[:10]}")
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            with zf.open(member) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            digest = sha256_file(target)
            stamp(target, digest)
            log.info("%s -> %s, sha256 %s", member, target, digest)
