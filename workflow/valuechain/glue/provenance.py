"""Parquet artifacts with provenance, and the run manifest.

Every table the workflow writes goes through :func:`write_table`, which stores in the Parquet key-value
metadata: the artifact's schema version, the project version, the git commit when known, the sha256 of the
config subset the rule used, and the sha256 of each input file. Files are written to a temporary name and
renamed, so a failing step never leaves a half-written artifact behind.

Metadata holds no timestamp on purpose: the same inputs and config give byte-identical files.

Inputs are checked where they are stamped (:func:`verified`), because Snakemake judges files by their presence
and modification time only: a retrieved data set must still have the sha256 its retrieval recorded beside it
(:func:`stamp`), and a Parquet file must be complete. Secrets (:data:`SECRETS`) are never stamped nor hashed.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from functools import lru_cache
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any, Iterable, Mapping, Self

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

META_PREFIX = "valuechain."
# Config entries left out of stamped and hashed configs: an API key must not be readable in an artifact, and the
# hash of a short key could be brute-forced.
SECRETS = frozenset({"api_key"})
# The sha256 of a retrieved file, recorded beside it as <file>.sha256 (the format of sha256sum, so that
# `sha256sum -c <file>.sha256` checks it by hand too).
STAMP = ".sha256"


class DamagedInputError(RuntimeError):
    """An input no rule may use: a retrieved file changed since its retrieval, or a Parquet file that is not
    complete. The message names the file and says to delete it and rerun."""


def project_version() -> str:
    try:
        return importlib_metadata.version("valuechain")
    except importlib_metadata.PackageNotFoundError:  # running from a source tree without install
        return "0+unknown"


@lru_cache(maxsize=None)
def git_commit(start: str | Path | None = None) -> str:
    """The commit of the checkout that holds the code, or "unknown" outside git."""
    here = Path(start) if start else Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """sha256 of a file, or of every file under a directory (sorted by relative path).

    Cached per (path, size, mtime): a script stamping several artifacts with the same inputs reads each once.
    """
    path = Path(path)
    if path.is_file():
        st = path.stat()
        return _sha256_cached(str(path.resolve()), st.st_size, st.st_mtime_ns, chunk)
    return _sha256(path, chunk)


@lru_cache(maxsize=256)
def _sha256_cached(path: str, size: int, mtime_ns: int, chunk: int) -> str:
    return _sha256(Path(path), chunk)


def _sha256(path: Path, chunk: int) -> str:
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        if path.is_dir():
            h.update(str(f.relative_to(path)).encode())
        with open(f, "rb") as fh:
            while block := fh.read(chunk):
                h.update(block)
    return h.hexdigest()


def stamp(path: str | Path, digest: str) -> Path:
    """Record ``digest``, the sha256 a retrieval checked (or found, when nothing pins it), in ``<path>.sha256``;
    :func:`check_input` compares the file with it wherever the file is read. Returns the stamp's path."""
    path = Path(path)
    out = path.with_name(path.name + STAMP)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    tmp.write_text(f"{digest}  {path.name}\n")
    os.replace(tmp, out)
    return out


def verified(path: str | Path) -> str:
    """The sha256 of input ``path`` (a file or a directory of files) once :func:`check_input` has found it usable:
    what :func:`provenance` stamps."""
    check_input(path)
    return sha256_file(path)


def check_input(path: str | Path) -> None:
    """Raise :class:`DamagedInputError` when input ``path`` must not be used: a retrieved file (one with a
    ``<path>.sha256`` stamp) whose sha256 is no longer the one recorded there, or a Parquet file (``path``, or one
    under it) that is not complete. The message names the file and says to delete it and rerun: Snakemake reruns a
    rule when an output is missing or older than its inputs, never because an output's content changed.

    Cheap, and safe to call on every input of a rule as it starts: only stamped files are hashed (cached per path,
    size and modification time, so the provenance stamp does not hash them again) and of a Parquet file only its
    footer is read.
    """
    path = Path(path)
    recorded = path.with_name(path.name + STAMP)
    if path.is_file() and recorded.is_file():
        pinned, digest = recorded.read_text().split()[0], sha256_file(path)
        if digest != pinned:
            raise DamagedInputError(f"{path} differs from its pinned sha256 {pinned} (edited or damaged since it "
                                    f"was retrieved; its sha256 is now {digest}); delete it and rerun to retrieve it "
                                    "again")
    for part in sorted(path.rglob("*.parquet")) if path.is_dir() else [path] if path.suffix == ".parquet" else []:
        st = part.stat()
        why = _parquet_damage(str(part.resolve()), st.st_size, st.st_mtime_ns)
        if why:
            raise DamagedInputError(
                f"{part}: not a complete Parquet file ({why}). It was cut short or damaged after it was written, "
                "which Snakemake cannot see: delete it and rerun to make it again (a file of your own: replace it "
                "with a complete copy)")


@lru_cache(maxsize=1024)
def _parquet_damage(path: str, size: int, mtime_ns: int) -> str | None:
    """Why the Parquet file at ``path`` is not complete, or None: it must start and end with the magic ``PAR1``
    and its footer metadata must be readable."""
    if size < 12:  # two magics and the footer length
        return f"{size} bytes"
    with open(path, "rb") as fh:
        head = fh.read(4)
        fh.seek(size - 4)
        tail = fh.read(4)
    if head != b"PAR1" or tail != b"PAR1":
        return f"no PAR1 magic at its {'start' if head != b'PAR1' else 'end'}"
    try:
        pq.read_metadata(path)
    except (OSError, pa.ArrowException) as exc:
        return f"its metadata cannot be read: {str(exc).strip()}"
    return None


def config_hash(params: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of the config subset a rule used."""
    blob = json.dumps(_jsonable(params), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items() if k not in SECRETS}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    return str(obj)


def provenance(
    schema: str,
    params: Mapping[str, Any] | None = None,
    inputs: Iterable[str | Path] = (),
    rule: str | None = None,
) -> dict[str, str]:
    """The key-value metadata stored in every artifact (keys prefixed ``valuechain.``). Each input is
    :func:`verified` first, so that no artifact names a changed or damaged input."""
    meta = {
        "schema_version": schema,
        "project_version": project_version(),
        "git_commit": git_commit(),
        "config_sha256": config_hash(params or {}),
        "config": json.dumps(_jsonable(params or {}), sort_keys=True),
        "inputs_sha256": json.dumps({str(p): verified(p) for p in inputs}, sort_keys=True),
    }
    if rule:
        meta["rule"] = rule
    return {META_PREFIX + k: v for k, v in meta.items()}


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` atomically: to a temporary file beside it, renamed into place only
    when complete, so a killed job leaves no half-written JSON, page or model where a rule expects the whole."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_table(df: pd.DataFrame, path: str | Path, meta: Mapping[str, str]) -> Path:
    """Write ``df`` (index dropped) to Parquet with ``meta`` merged into the schema metadata, atomically
    (:class:`TableWriter` with one piece)."""
    with TableWriter(path, meta) as out:
        out.write(df)
    return Path(path)


CODES = pa.dictionary(pa.int32(), pa.string())


def encode_codes(batch: pa.RecordBatch | pa.Table, columns) -> pa.Table:
    """``batch`` with the string (or already dictionary) ``columns`` as one dictionary type, :data:`CODES`: small
    on disk, the same schema in every piece of a :class:`TableWriter`, and read back by pandas as categoricals
    instead of one Python string per row."""
    arrays = [batch.column(n).cast(CODES) if n in columns else batch.column(n) for n in batch.schema.names]
    return pa.table(arrays, names=batch.schema.names)


class TableWriter:
    """Write one Parquet table in pieces (pandas frames or Arrow tables of the same columns and types), with ``meta``
    merged into the schema metadata, atomically: the file appears under ``path`` only when the ``with`` block ends
    without an error. For tables too large to hold at once.

    The file's layout depends on its rows only, never on how they were cut into pieces (a DuckDB reader's batches
    vary with its threads): row groups of exactly ``row_group`` rows (the last one shorter), each column one chunk,
    and a row group made of several pieces, or part of one, has its dictionary columns encoded again in the order
    values first appear in it. A row group that is one whole piece is written as it came, so a table written at
    once keeps its dictionaries (pandas categories and their order) as they were.
    """

    def __init__(self, path: str | Path, meta: Mapping[str, str], row_group: int = 1 << 20):
        self.path = Path(path)
        self.meta = {k.encode(): str(v).encode() for k, v in meta.items()}
        self.row_group = row_group
        self.tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}")
        self.writer: pq.ParquetWriter | None = None
        self.rows = 0
        self._pending: list[pa.Table] = []
        self._pending_rows = 0

    def __enter__(self) -> Self:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return self

    def write(self, df: pd.DataFrame | pa.Table) -> None:
        table = df if isinstance(df, pa.Table) else pa.Table.from_pandas(df, preserve_index=False)
        if self.writer is None:
            schema = table.schema.with_metadata({**(table.schema.metadata or {}), **self.meta})
            self.writer = pq.ParquetWriter(self.tmp, schema, compression="zstd")
        self._pending.append(table.cast(self.writer.schema))
        self._pending_rows += len(table)
        self.rows += len(table)
        while self._pending_rows >= self.row_group:
            self._write_group(self.row_group)

    def _write_group(self, n: int) -> None:
        """Write the first ``n`` pending rows as one row group."""
        if len(self._pending) == 1 and len(self._pending[0]) == n:
            group = self._pending.pop()
        else:
            joined = pa.concat_tables(self._pending)
            group, rest = _encoded_again(joined.slice(0, n)), joined.slice(n)
            self._pending = [_encoded_again(rest)] if len(rest) else []  # no longer a whole piece
        self._pending_rows -= n
        self.writer.write_table(group.combine_chunks(), row_group_size=n)

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self.writer is not None:
                if self._pending_rows:
                    self._write_group(self._pending_rows)
                elif self.rows == 0:  # only empty pieces: the file holds the schema
                    self.writer.write_table(self._pending[0])
                self.writer.close()
            if exc_type is None:
                if self.writer is None:
                    raise ValueError(f"{self.path}: nothing was written")
                os.replace(self.tmp, self.path)
        finally:
            self.tmp.unlink(missing_ok=True)


def _encoded_again(table: pa.Table) -> pa.Table:
    """``table`` with every dictionary column encoded afresh: its dictionary holds the values of these rows, in the
    order they first appear."""
    columns = []
    for field, column in zip(table.schema, table.columns):
        if pa.types.is_dictionary(field.type):
            values = column.cast(field.type.value_type).combine_chunks()
            column = pc.dictionary_encode(values).cast(field.type)
        columns.append(column)
    return pa.table(columns, schema=table.schema)


def read_metadata(path: str | Path) -> dict[str, str]:
    """The ``valuechain.*`` metadata of a Parquet file or dataset fragment, prefix stripped."""
    raw = pq.read_schema(path).metadata or {}
    return {
        k.decode()[len(META_PREFIX) :]: v.decode()
        for k, v in raw.items()
        if k.decode().startswith(META_PREFIX)
    }


def build_manifest(root: str | Path, files: Iterable[str | Path]) -> dict[str, Any]:
    """Manifest of artifacts: path relative to ``root``, sha256, rows and schema version.

    Directories (partitioned datasets) are listed with the hash of all their files and their total rows. Each
    artifact is :func:`verified`, so that a damaged one is named instead of listed.
    """
    root = Path(root)
    entries = []
    for f in sorted(Path(p) for p in files):
        entry: dict[str, Any] = {"path": str(f.relative_to(root)) if f.is_relative_to(root) else str(f)}
        entry["sha256"] = verified(f)
        if f.suffix == ".parquet" or f.is_dir():
            parts = sorted(f.rglob("*.parquet")) if f.is_dir() else [f]
            entry["rows"] = int(sum(pq.ParquetFile(p).metadata.num_rows for p in parts))
            entry["schema_version"] = read_metadata(parts[0]).get("schema_version") if parts else None
        entries.append(entry)
    return {"project_version": project_version(), "git_commit": git_commit(), "artifacts": entries}
