"""Reading and validating regional trade data into the canonical long form (docs/method.md section 1).

Canonical form: one row per ``(year, flow, country, region, partner, hs)`` with ``value`` in USD:
``year`` int; ``flow`` in {export, import}; ``country`` ISO3 of the reporting region's country; ``region``
unique within its country; ``partner`` ISO3; ``hs`` a zero-padded HS code string of 2, 4 or 6 digits;
``value`` >= 0.

Readers: :func:`read_canonical` (CSV or Parquet already in that form), :func:`read_oec` (OEC regional
exports/imports), :func:`read_comexstat` (Brazil's Comex Stat municipality files). All end in
:func:`validate_canonical`, which raises :class:`TradeDataError` naming the file, row and column of the
first bad values (up to five of them), so nothing downstream is ever computed from bad input.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import logging
import lzma
import os
import re
import unicodedata
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from valuechain.glue.provenance import TableWriter, encode_codes
from valuechain.glue.threads import duckdb_connect
from valuechain.trade.hs import NATIONAL_CHAPTERS

CANONICAL_COLUMNS = ["year", "flow", "country", "region", "partner", "hs", "value"]
KEY_COLUMNS = ["year", "flow", "country", "region", "partner", "hs"]
CODE_COLUMNS = ["flow", "country", "region", "partner", "hs"]
FLOWS = ("export", "import")
_HS = re.compile(r"^([0-9]{2}|[0-9]{4}|[0-9]{6})$")


if TYPE_CHECKING:  # imported where it is used: reading a file needs no DuckDB
    import duckdb

log = logging.getLogger(__name__)


class TradeDataError(ValueError):
    """Bad trade input; the message names the file, the row(s) and the column."""


def _rows_text(rows: np.ndarray, values, limit: int = 5, place=None) -> str:
    """``row 3 ('x'), row 7 ('y') and 2 more``; ``place(row)`` names a row of several files (:class:`Places`)."""
    place = place or (lambda r: f"row {int(r)}")
    shown = ", ".join(f"{place(r)} ({v!r})" for r, v in list(zip(rows, values))[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return shown + more


def _fail(source: str, column: str, problem: str, mask: np.ndarray, values: pd.Series,
          error: type[ValueError] = TradeDataError, first: int = 1) -> None:
    """Raise ``error`` for the rows where ``mask`` is true. Rows are numbered from ``first`` (1 = the first data row,
    CSV line 2)."""
    rows = np.flatnonzero(mask)
    raise error(
        f"{source}: column '{column}': {problem} at {_rows_text(rows + first, values.iloc[rows].tolist())}"
    )


class Places:
    """Rows numbered across several files in order (1 = the first file's first data row), named by file: a message
    about a duplicate of two files' rows names each file and its own row."""

    def __init__(self, files: Sequence[tuple[str, int]]):
        self.files = [str(f) for f, _ in files]
        self.starts = np.cumsum([0] + [n for _, n in files])

    def __call__(self, row: int) -> str:
        i = int(np.searchsorted(self.starts, row, side="left")) - 1
        i = min(max(i, 0), len(self.files) - 1)
        return f"{self.files[i]} row {int(row - self.starts[i])}" if len(self.files) > 1 else f"row {int(row)}"


SEPARATORS = (",", ";", "\t", "|")
YEAR_RANGE = (1900, 2100)
DOMINANT_SHARE = 0.5  # one cell above this share of all trade gets a warning


def detect_separator(text: str, candidates: Sequence[str] = SEPARATORS) -> str:
    """The separator of a CSV sample: the candidate giving the most columns, the same number on every line of
    the sample, with quotes respected (a ``;`` inside a quoted comma-separated name is not a separator).
    ``,`` when no candidate splits the header."""
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may cut its last line short
    best, best_width = ",", 1
    for sep in candidates:
        widths = {len(row) for row in csv.reader(lines, delimiter=sep)}
        if len(widths) == 1 and (width := widths.pop()) > best_width:
            best, best_width = sep, width
    return best


# Compressed CSVs are read as they are (users have .csv.gz): the suffix names the codec, as pandas infers it.
COMPRESSED = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd", ".zip": "zip"}
# what a damaged compressed file raises
DAMAGED = (OSError, EOFError, zipfile.BadZipFile, lzma.LZMAError, zlib.error)
_BOMS = {b"\xff\xfe\x00\x00": "utf-32", b"\x00\x00\xfe\xff": "utf-32", b"\xff\xfe": "utf-16",
         b"\xfe\xff": "utf-16"}


def _open_bytes(path: Path):
    """The file's bytes, decompressed when its suffix names a codec (a zip archive must hold one file)."""
    codec = COMPRESSED.get(path.suffix.lower())
    if codec == "gzip":
        return gzip.open(path, "rb")
    if codec == "bz2":
        return bz2.open(path, "rb")
    if codec == "xz":
        return lzma.open(path, "rb")
    if codec == "zstd":
        raise TradeDataError(f"{path}: zstd-compressed CSV: decompress it, or use gzip (.csv.gz)")
    if codec == "zip":
        archive = zipfile.ZipFile(path)
        members = [m for m in archive.namelist() if not m.endswith("/")]
        if len(members) != 1:
            raise TradeDataError(f"{path}: a zip archive of trade data must hold one file, found {len(members)}")
        return archive.open(members[0])
    return open(path, "rb")


def _text_encoding(path: Path, head: bytes) -> str:
    """UTF-16 or UTF-32 when the file starts with their byte-order mark; else UTF-8 (a byte-order mark allowed)
    when the whole file decodes as such, else Latin-1 (Comex Stat ships Latin-1 files); read in blocks, so a large
    file is never held at once."""
    import codecs

    for bom, encoding in _BOMS.items():
        if head.startswith(bom):
            return encoding
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    with _open_bytes(path) as fh:
        try:
            while block := fh.read(1 << 24):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "latin-1"
    return "utf-8-sig"


def _too_wide(path: Path, text: str, sep: str) -> None:
    """Refuse a sample whose header names a column twice, or whose data lines have more fields than the header:
    pandas would take the extra first field as an index and shift every column (an unquoted ``1,234`` in a
    comma-separated file)."""
    lines = text.splitlines()[:1000]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]
    rows = list(csv.reader(lines, delimiter=sep))
    names = pd.Series(rows[0] if rows else [], dtype="str").str.strip()
    twice = names[(names != "") & names.duplicated()].unique().tolist()
    if twice:  # pandas would rename the second one (input.1), which is then silently dropped
        raise TradeDataError(f"{path}: column(s) {twice} named twice in the header; keep one of each")
    widths = [len(row) for row in rows]
    wide = [i for i, w in enumerate(widths[1:], start=1) if w > widths[0]]
    if wide:
        raise TradeDataError(
            f"{path}: line {wide[0] + 1} has {widths[wide[0]]} fields, the header {widths[0]} ('{sep}'-separated): "
            f"a separator inside a value, such as a thousands separator ('1{sep}234') or a name with '{sep}'; "
            "quote such values or write numbers without thousands separators")


def read_batches(path: str | Path, sep: str | None = None, batch_rows: int | None = None) -> Iterator[pd.DataFrame]:
    """A CSV (every column read as text, so codes keep their leading zeros; UTF-8, UTF-16/32 with a byte-order
    mark, or Latin-1; compressed as its suffix says, :data:`COMPRESSED`; separator :func:`detect_separator`'d unless
    ``sep`` is given) or Parquet file, in frames of at most ``batch_rows`` rows (``None``: one frame). Raises
    :class:`TradeDataError` naming the file for a missing, empty, binary or unparsable file, and for a line with
    more fields than the header."""
    path = Path(path)
    if not path.is_file():
        raise TradeDataError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise TradeDataError(f"{path}: empty file (0 bytes)")
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            if batch_rows is None:
                yield pd.read_parquet(path)
                return
            for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows):
                yield batch.to_pandas()
        # pyarrow raises several types for a damaged file, pandas others for damaged metadata (KeyError, JSON)
        except (OSError, pa.ArrowException, KeyError, ValueError, TypeError) as exc:
            raise TradeDataError(f"{path}: not a readable Parquet file ({exc})") from None
        return
    try:
        with _open_bytes(path) as fh:
            head = fh.read(1 << 16)
        encoding = _text_encoding(path, head)
    except DAMAGED as exc:
        raise TradeDataError(f"{path}: not a readable {COMPRESSED.get(path.suffix.lower(), 'text')} file ({exc})"
                             ) from None
    if not head.strip():
        raise TradeDataError(f"{path}: empty file (no text)")
    if not encoding.startswith("utf-16") and not encoding.startswith("utf-32") and (
            b"\x00" in head or head.startswith(b"PAR1")):
        raise TradeDataError(f"{path}: binary content, not a text CSV (a Parquet file needs the .parquet suffix; "
                             "UTF-16 text needs its byte-order mark)")
    sample = head.decode(encoding, errors="replace").lstrip("\ufeff")
    sep = sep or detect_separator(sample)
    _too_wide(path, sample, sep)
    def strict(read):
        """``read()`` with pandas' warning that it cut a line wider than the header (index_col=False: the line's
        extra fields would be lost) raised instead; _too_wide catches such a line in the sample, pandas'
        own line splitting (a lone CR, a stray quote) the rest."""
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return read()

    try:
        reader = strict(lambda: pd.read_csv(path, dtype=str, sep=sep, keep_default_na=False, encoding=encoding,
                                            chunksize=batch_rows, index_col=False,
                                            compression=COMPRESSED.get(path.suffix.lower())))
        if batch_rows is None:
            yield reader
            return
        with reader:
            while (batch := strict(lambda: next(reader, None))) is not None:
                yield batch
    except pd.errors.ParserWarning:
        raise TradeDataError(f"{path}: a line has more fields than the header ('{sep}'-separated): a separator "
                             "inside a value, such as a thousands separator, or a line break inside a field; quote "
                             "such values") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeError) as exc:
        raise TradeDataError(f"{path}: not a readable CSV ({exc}); quote values holding '{sep}'") from None
    except DAMAGED as exc:
        raise TradeDataError(f"{path}: not a readable {COMPRESSED.get(path.suffix.lower())} file ({exc})") from None


def read_table(path: str | Path, sep: str | None = None) -> pd.DataFrame:
    """A whole CSV or Parquet file (:func:`read_batches`)."""
    return next(read_batches(path, sep))


@lru_cache(maxsize=1)
def iso3_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-3 code (pycountry), plus XKX (Kosovo, used by most trade statistics)."""
    import pycountry

    return frozenset({c.alpha_3 for c in pycountry.countries} | {"XKX"})


def country_names(codes: Iterable[str]) -> pd.Series:
    """The short English name of each ISO 3166-1 alpha-3 code, indexed by code: pycountry's common name where it
    has one ("South Korea", "Bolivia"), else its name; XKX is "Kosovo"; a code it does not know keeps itself."""
    import pycountry

    def name(code: str) -> str:
        if code == "XKX":
            return "Kosovo"
        country = pycountry.countries.get(alpha_3=code)
        return code if country is None else getattr(country, "common_name", country.name)

    codes = pd.Index(pd.unique(pd.Series(list(codes), dtype=str)))
    return pd.Series([name(c) for c in codes], index=codes, dtype=str)


def region_names(country: pd.Series, region: pd.Series) -> pd.Series:
    """The name of each region that is an ISO 3166-2 subdivision of its country (pycountry): the Census's states
    (``USA``, ``TX`` -> "Texas") and Comex Stat's (``BRA``, ``SP`` -> "São Paulo"); empty for any other region
    (municipality codes, the demo world's regions, a country standing for itself)."""
    import pycountry

    def name(iso3: str, code: str) -> str:
        country_ = pycountry.countries.get(alpha_3=iso3)
        if country_ is None or not code:
            return ""
        sub = pycountry.subdivisions.get(code=f"{country_.alpha_2}-{code}")
        return "" if sub is None else sub.name

    pairs = pd.DataFrame({"country": country.astype(str).to_numpy(), "region": region.astype(str).to_numpy()})
    unique = pairs.drop_duplicates()
    names = {(c, r): name(c, r) for c, r in zip(unique["country"], unique["region"])}
    return pd.Series([names[(c, r)] for c, r in zip(pairs["country"], pairs["region"])], index=region.index, dtype=str)


def _categorical(values: pd.Series) -> pd.Categorical:
    """``values`` as a categorical of strings (already one when read from a dictionary-encoded Parquet column):
    the checks below run on its categories, once per distinct value, not once per row."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cat = values.array
        return cat if cat.categories.dtype == object else cat.rename_categories(cat.categories.astype(str).astype(object))
    return pd.Categorical(values.astype(object).where(values.notna(), None))


def _recode(cat: pd.Categorical, normalised: pd.Index) -> pd.Categorical:
    """``cat`` with its categories replaced by ``normalised`` (same order), categories that become equal merged."""
    uniq, inverse = np.unique(normalised.to_numpy(dtype=object).astype(str), return_inverse=True)
    codes = cat.codes
    return pd.Categorical.from_codes(np.where(codes >= 0, inverse[codes], -1), categories=uniq.astype(object))


def _bad_rows(cat: pd.Categorical, bad: np.ndarray, missing_bad: bool = True) -> np.ndarray:
    """Rows whose category is flagged in ``bad`` (and rows with no value when ``missing_bad``)."""
    codes = cat.codes
    rows = np.zeros(len(codes), dtype=bool)
    if bad.any():
        rows = np.isin(codes, np.flatnonzero(bad))
    return rows | (codes < 0) if missing_bad else rows


# ISO 3166-3 codes of countries that no longer exist, still in trade partner tables (Comex Stat's PAIS keeps them),
# mapped to the country that continues them; where a country split, to the successor that took most of its trade
# (a choice: the others cannot be told apart in the data).
HISTORIC_ISO3 = {
    "ANT": "CUW",  # Netherlands Antilles (2010): Curacao, Sint Maarten, Bonaire-Sint Eustatius-Saba
    "SCG": "SRB",  # Serbia and Montenegro (2006): Serbia, the continuing state
    "YUG": "SRB",  # Yugoslavia (2003)
    "CSK": "CZE",  # Czechoslovakia (1993): Czechia and Slovakia
    "YMD": "YEM",  # South Yemen (1990)
    "DDR": "DEU",  # German Democratic Republic (1990)
    "SUN": "RUS",  # USSR (1992): Russia, the continuing state
    "PCZ": "PAN",  # Panama Canal Zone (1979)
    "ZAR": "COD",  # Zaire (1997)
    "TMP": "TLS",  # East Timor (2002)
    "BUR": "MMR",  # Burma (1989)
    "ROM": "ROU",  # Romania's former code (2002)
}


def _partner_codes(partner: pd.Categorical, source: str, aggregates: dict[str, str],
                   first: int) -> tuple[pd.Categorical, np.ndarray]:
    """Partner ISO3 codes, and the rows of aggregate partners to drop.

    ``aggregates`` maps partner labels that are not countries (``World``, ``Other Asia, nes``; matched without
    regard to case) to ``drop`` (the rows are removed: a total or an unallocated remainder would be counted
    twice or mislocated) or to a code of ISO's user-assigned range ``X..`` under which they are kept. Codes of
    countries that no longer exist are mapped by :data:`HISTORIC_ISO3`, with a warning counting each."""
    raw = pd.Series(partner.categories, dtype=object).str.strip()
    treatment = {str(k).strip().upper(): v for k, v in (aggregates or {}).items()}
    action = raw.str.upper().map(treatment)
    code = raw.str.upper().where(action.isna() | (action == "drop"), action)
    historic = action.isna() & code.isin(list(HISTORIC_ISO3))
    if historic.any():
        rows = _bad_rows(partner, historic.to_numpy(), False)
        log.warning("%s: %d rows of partners with codes of countries that no longer exist mapped to today's "
                    "(valuechain.trade.canonical.HISTORIC_ISO3): %s", source, int(rows.sum()),
                    _per_code(np.asarray(code.to_numpy()[partner.codes[rows]] + " -> "
                                         + code.map(HISTORIC_ISO3).to_numpy()[partner.codes[rows]])))
        code = code.where(~historic, code.map(HISTORIC_ISO3))
    kept = {v for v in treatment.values() if v != "drop"}
    bad = _bad_rows(partner, (action.isna() & ~code.isin(iso3_codes() | kept)).to_numpy())
    if bad.any():
        _fail(source, "partner", "not an ISO3 country code (aggregates such as 'World' need an entry in "
              "ingest.partner_aggregates)", bad, pd.Series(partner), first=first)
    # a dropped aggregate keeps its label (it has no ISO3 code), so that the record of dropped rows shows it
    code = code.where(action != "drop", raw)
    return _recode(partner, pd.Index(code)), _bad_rows(partner, (action == "drop").to_numpy(), False)


# Numbers in text files. A plain number (``1234.5``, ``1e6``) is read as it is. Thousands separators and decimal
# commas are resolved only where the file itself says which convention it follows: ``12,5`` or ``1.234.567`` show a
# decimal comma, ``12.5`` or ``1,234,567`` a decimal point. ``1.234`` and ``1,234`` alone could be either (a factor
# of 1000), so a file with such values and no other evidence is refused unless ``ingest.decimal`` says.
DECIMALS = ("auto", ".", ",")
_D = "[0-9]"  # ASCII digits only: Python's \d also matches full-width and Arabic-Indic digits
_GROUPS = {sep: rf"[+-]?[1-9]{_D}{{0,2}}(?:\{sep}{_D}{{3}})" for sep in ".,"}
_FORMS = {
    "one_dot_group": _GROUPS["."] + "",  # 1.234: thousands or decimals?
    "one_comma_group": _GROUPS[","] + "",  # 1,234
    "dot_thousands": _GROUPS["."] + "{2,}",  # 1.234.567
    "comma_thousands": _GROUPS[","] + "{2,}",  # 1,234,567
    "dot_thousands_comma_decimal": _GROUPS["."] + rf"+,{_D}*",  # 1.234,5
    "comma_thousands_dot_decimal": _GROUPS[","] + rf"+\.{_D}*",  # 1,234.5
    "comma_decimal": rf"[+-]?(?:{_D}+,{_D}*|,{_D}+)",  # 12,5
}
_SHOWS = {".": ("comma_thousands", "comma_thousands_dot_decimal"),
          ",": ("dot_thousands", "dot_thousands_comma_decimal", "comma_decimal")}
_VALID = {".": ("one_comma_group", "comma_thousands", "comma_thousands_dot_decimal"),
          ",": ("one_dot_group", "one_comma_group", "dot_thousands", "dot_thousands_comma_decimal", "comma_decimal")}


def parse_numbers(text: pd.Series, source: str, column: str, decimal: str = "auto", first: int = 1
                  ) -> tuple[pd.Series, str | None]:
    """Numbers written as text, and the decimal separator the column follows (``None``: no separator seen).

    ``decimal``: ``"auto"`` (the column's own evidence, see :data:`DECIMALS`), ``"."`` or ``","``. Raises
    :class:`TradeDataError` naming the rows for ambiguous values (``1.234`` with no evidence), for a column that
    shows both conventions, and for values that are no number (left as NaN: the caller names them)."""
    if decimal not in DECIMALS:
        raise ValueError(f"decimal must be one of {DECIMALS}, got {decimal!r}")
    text = text.astype(object).where(text.notna(), "").astype(str).str.strip()
    plain = pd.to_numeric(text.where(text.str.fullmatch(rf"[+-]?(?:{_D}+\.?{_D}*|\.{_D}+)(?:[eE][+-]?{_D}+)?")),
                          errors="coerce")
    dotted = plain.notna() & text.str.contains(".", regex=False)
    one_dot = dotted & text.str.fullmatch(_FORMS["one_dot_group"])
    rest = text[plain.isna() & (text != "")]
    forms = pd.DataFrame({name: rest.str.fullmatch(pattern) for name, pattern in _FORMS.items()}, index=rest.index,
                         dtype=bool)
    forms["comma_decimal"] &= ~forms["one_comma_group"]
    shows = {".": (dotted & ~one_dot).reindex(text.index, fill_value=False)
                  | forms[list(_SHOWS["."])].any(axis=1).reindex(text.index, fill_value=False),
             ",": forms[list(_SHOWS[","])].any(axis=1).reindex(text.index, fill_value=False)}
    if decimal == "auto":
        if shows["."].any() and shows[","].any():
            both = shows["."].to_numpy() | shows[","].to_numpy()
            _fail(source, column, "numbers written with '.' and with ',' as the decimal separator (one must be a "
                  "thousands separator: set ingest.decimal to '.' or ',')", both, text, first=first)
        decimal = "." if shows["."].any() else "," if shows[","].any() else None
    if decimal is None:
        ambiguous = one_dot | forms[["one_comma_group"]].any(axis=1).reindex(text.index, fill_value=False)
        if ambiguous.any():
            _fail(source, column, "ambiguous number: a thousands separator or a decimal separator? (a factor of "
                  "1000; write plain numbers such as 1234.5, or set ingest.decimal to '.' or ',')",
                  ambiguous.to_numpy(), text, first=first)
        return plain, None
    grouped = forms[list(_VALID[decimal])].any(axis=1)
    if decimal == ".":
        values = plain.copy()
        values[grouped[grouped].index] = pd.to_numeric(rest[grouped].str.replace(",", "", regex=False))
    else:
        values = plain.where(~one_dot & ~dotted)  # under a decimal comma every dot is a thousands separator
        regrouped = pd.concat([text[one_dot], rest[grouped]])
        values[regrouped.index] = pd.to_numeric(regrouped.str.replace(".", "", regex=False)
                                                .str.replace(",", ".", regex=False))
    return values, decimal


# Why ingestion drops a row, as clean/dropped_rows.parquet records it (column reason), with the key that decides.
AGGREGATE_REASON = "partner not a country (ingest.partner_aggregates)"
OWN_PARTNER_REASON = "partner is the reporting country (ingest.own_partner)"
NATIONAL_REASON = "national pseudo-product, chapters 98-99 (ingest.national_hs)"
UNKNOWN_HS_REASON = "code outside the HS nomenclature (ingest.unknown_hs)"
COARSE_REASON = "also given at a finer HS level (ingest.hs_overlap)"
DROPPED_COLUMNS = CANONICAL_COLUMNS + ["reason"]


class Checked(NamedTuple):
    """What :func:`check_rows` gives: the canonical rows, why each dropped row is dropped (``reason``: None for the
    rows kept), and the decimal separator of the values (``None`` when they show none; the next batch of the same
    file is read with it). Rows dropped as aggregate partners keep their partner label as the file gives it."""

    rows: pd.DataFrame
    reason: np.ndarray
    decimal: str | None

    @property
    def dropped(self) -> np.ndarray:
        return pd.notna(self.reason)

    def dropped_rows(self) -> pd.DataFrame:
        """The dropped rows, :data:`DROPPED_COLUMNS`, codes as text."""
        rows = self.rows[self.dropped]
        return pd.DataFrame({**{c: rows[c].astype(object) if c in CODE_COLUMNS else rows[c] for c in CANONICAL_COLUMNS},
                             "reason": self.reason[self.dropped]}).reset_index(drop=True)


@lru_cache(maxsize=1)
def _invisible() -> re.Pattern:
    """Unicode format characters (category Cf: zero-width space and joiners, byte-order mark, soft hyphen...):
    invisible in a name, so "Bahia" and "Bah\u200bia" would be two regions."""
    import sys

    return re.compile("[" + "".join(re.escape(chr(c)) for c in range(sys.maxunicode + 1)
                                    if unicodedata.category(chr(c)) == "Cf") + "]")


def _text_codes(df: pd.DataFrame, column: str, source: str, first: int) -> pd.Categorical:
    """A code or name column as a categorical of strings. Whole numbers are taken as their text (a Parquet region
    column of municipality codes); booleans, fractions and values that are neither text nor numbers are refused."""
    values = df[column]
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        _fail(source, column, "boolean values where text is expected", np.ones(len(values), bool), values,
              first=first)
    if pd.api.types.is_float_dtype(dtype):
        _fail(source, column, "numbers where text is expected (store codes and names as text)",
              values.notna().to_numpy(), values, first=first)
    if pd.api.types.is_integer_dtype(dtype):
        return _categorical(values.astype("Int64").astype(str).where(values.notna()))
    try:
        cat = _categorical(values)
    except pa.ArrowException as exc:  # a damaged Parquet column whose bytes are no valid text
        raise TradeDataError(f"{source}: column '{column}': not readable as text ({exc}); the file is damaged") \
            from None
    kinds = pd.Series(cat.categories).map(type)
    bad = kinds.ne(str).to_numpy()
    if bad.any():
        _fail(source, column, "values that are not text", _bad_rows(cat, bad, False), values, first=first)
    return cat


def _ascii_digits(cat: pd.Categorical, source: str, column: str, first: int, values: pd.Series) -> None:
    """Refuse digits of other scripts (full-width ``８７０３``, Arabic-Indic ``٨٧٠٣``): Python reads them as digits,
    so they would pass as a second, different code."""
    bad = _bad_rows(cat, cat.categories.str.contains(r"\d") & cat.categories.str.contains(r"[^\x00-\x7f]"), False)
    if bad.any():
        _fail(source, column, "digits that are not ASCII 0-9 (full-width or of another script): write codes with "
              "the digits 0-9", bad, values, first=first)


def _numeric(df: pd.DataFrame, column: str, source: str, first: int, decimal: str) -> tuple[pd.Series, str | None]:
    """A numeric column: typed numbers as they are (booleans refused), text through :func:`parse_numbers`."""
    values = df[column]
    if pd.api.types.is_bool_dtype(values.dtype):
        _fail(source, column, "boolean values where numbers are expected", np.ones(len(values), bool), values,
              first=first)
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype("float64"), None
    text = values.astype(object)
    bad = ~text.map(type).isin([str, type(None)]) & text.notna()
    if bad.any():
        _fail(source, column, "values that are neither text nor numbers", bad.to_numpy(), values, first=first)
    return parse_numbers(text, source, column, decimal, first)


UNKNOWN_HS = ("error", "drop", "keep")
NATIONAL_HS = ("drop", "keep")


def _per_code(codes: np.ndarray, limit: int = 20) -> str:
    """``9801 (5), 9880 (2)``: the rows of each code, the most frequent first."""
    counts = pd.Series(codes, dtype=object).value_counts(sort=False).sort_index().sort_values(ascending=False,
                                                                                              kind="stable")
    more = f" and {len(counts) - limit} more codes" if len(counts) > limit else ""
    return ", ".join(f"{c} ({n})" for c, n in counts.iloc[:limit].items()) + more
OWN_PARTNER = ("error", "drop")


def check_rows(df: pd.DataFrame, source: str, partner_aggregates: dict[str, str] | None = None, first: int = 1,
               known_hs: frozenset[str] | None = None, unknown_hs: str = "error", own_partner: str = "error",
               decimal: str = "auto", national_hs: str = "drop") -> Checked:
    """The checks of single rows, and their types (:class:`Checked`).

    Raises :class:`TradeDataError` naming ``source``, the first bad rows (numbered from ``first``, the data row the
    frame starts at, for files read in batches) and the column. The canonical rows have :data:`CANONICAL_COLUMNS`,
    ``year`` int32, ``value`` float64 and the code columns categorical: flows lower case, countries upper case,
    region names in one form (NFKC, format characters such as zero-width spaces removed, runs of white space one
    space, stripped; control characters refused). Rows are dropped for aggregate partners (``partner_aggregates``,
    see :func:`_partner_codes`), national pseudo-products (chapters 98-99: US special provisions such as low-value
    shipments 9880, Comex Stat's special transactions 9999) when ``national_hs="drop"`` (logged with the rows of each
    code), other HS codes not in ``known_hs`` when ``unknown_hs="drop"`` (``"error"`` refuses them, ``"keep"`` or
    ``known_hs=None`` does not check), and partners equal to the reporting country when
    ``own_partner="drop"`` (a region's trade with its own country is no foreign trade: ``"error"`` refuses it).
    Values are read by :func:`parse_numbers` with ``decimal``.
    """
    if unknown_hs not in UNKNOWN_HS:
        raise ValueError(f"unknown_hs must be one of {UNKNOWN_HS}, got {unknown_hs!r}")
    if national_hs not in NATIONAL_HS:
        raise ValueError(f"national_hs must be one of {NATIONAL_HS}, got {national_hs!r}")
    if own_partner not in OWN_PARTNER:
        raise ValueError(f"own_partner must be one of {OWN_PARTNER}, got {own_partner!r}")
    missing = [c for c in CANONICAL_COLUMNS if c not in df.columns]
    if missing:
        raise TradeDataError(f"{source}: missing column(s) {missing}; found {list(df.columns)}")
    df = df[CANONICAL_COLUMNS].reset_index(drop=True)
    out = pd.DataFrame(index=df.index)

    if pd.api.types.is_bool_dtype(df["year"].dtype):
        _fail(source, "year", "boolean values where years are expected", np.ones(len(df), bool), df["year"],
              first=first)
    if pd.api.types.is_numeric_dtype(df["year"]):
        year = df["year"].astype("float64")
    else:
        year_cat = _text_codes(df, "year", source, first)
        digits = pd.Series(year_cat.categories).str.strip()
        parsed = pd.to_numeric(digits.where(digits.str.fullmatch(r"[0-9]+(?:\.0*)?")), errors="coerce")
        year = pd.Series(parsed.to_numpy()[year_cat.codes], index=df.index).where(year_cat.codes >= 0)
    bad = year.isna() | (year != np.floor(year))
    if bad.any():
        _fail(source, "year", "not an integer year", bad.to_numpy(), df["year"], first=first)
    bad = (year < YEAR_RANGE[0]) | (year > YEAR_RANGE[1])
    if bad.any():
        _fail(source, "year", f"year outside {YEAR_RANGE[0]}-{YEAR_RANGE[1]}", bad.to_numpy(), df["year"],
              first=first)
    out["year"] = year.astype("int32")

    flow = _text_codes(df, "flow", source, first)
    flow = _recode(flow, flow.categories.str.strip().str.lower())
    bad = _bad_rows(flow, ~flow.categories.isin(FLOWS))
    if bad.any():
        _fail(source, "flow", f"unknown flow (expected one of {FLOWS})", bad, df["flow"], first=first)
    out["flow"] = flow

    country = _text_codes(df, "country", source, first)
    country = _recode(country, country.categories.str.strip().str.upper())
    bad = _bad_rows(country, ~country.categories.isin(iso3_codes()))
    if bad.any():
        _fail(source, "country", "not an ISO3 country code", bad, df["country"], first=first)
    out["country"] = country

    region = _text_codes(df, "region", source, first)
    names = (region.categories.str.normalize("NFKC").str.replace(_invisible(), "", regex=True)
             .str.replace(r"\s+", " ", regex=True).str.strip())
    bad = _bad_rows(region, names.str.contains(r"[\x00-\x1f\x7f-\x9f]"), False)
    if bad.any():
        _fail(source, "region", "control character in a region name", bad, df["region"], first=first)
    region = _recode(region, names)
    bad = _bad_rows(region, region.categories == "")
    if bad.any():
        _fail(source, "region", "empty region", bad, df["region"], first=first)
    out["region"] = region
    partner = _text_codes(df, "partner", source, first)
    out["partner"], dropped = _partner_codes(partner, source, partner_aggregates, first)
    _log_aggregates(source, df["partner"][dropped])
    reason = np.where(dropped, AGGREGATE_REASON, None)
    own = (out["partner"].astype(object) == out["country"].astype(object)).to_numpy() & ~dropped
    if own.any():
        if own_partner == "error":
            _fail(source, "partner", "partner is the reporting country (a region's trade with its own country is no "
                  "foreign trade; remove these rows or set ingest.own_partner: drop)", own, df["partner"], first=first)
        log.warning("%s: %d rows whose partner is the reporting country dropped (ingest.own_partner: drop)", source,
                    int(own.sum()))
        dropped = dropped | own
        reason[own] = OWN_PARTNER_REASON

    if pd.api.types.is_numeric_dtype(df["hs"]) and not pd.api.types.is_bool_dtype(df["hs"]):
        raise TradeDataError(
            f"{source}: column 'hs': numeric codes lose their leading zeros; store HS codes as zero-padded "
            f"strings ('0101', not 101)"
        )
    hs = _text_codes(df, "hs", source, first)
    _ascii_digits(hs, source, "hs", first, df["hs"])
    hs = _recode(hs, hs.categories.str.strip())
    bad = _bad_rows(hs, ~hs.categories.str.match(_HS))
    if bad.any():
        _fail(source, "hs", "malformed HS code (expected 2, 4 or 6 digits)", bad, df["hs"], first=first)
    national = _bad_rows(hs, hs.categories.str[:2].isin(NATIONAL_CHAPTERS), False) & ~dropped
    if national.any() and national_hs == "drop":
        log.warning("%s: %d rows of national pseudo-products (chapters 98-99) dropped (ingest.national_hs: drop): "
                    "%s", source, int(national.sum()), _per_code(np.asarray(hs)[national]))
        dropped = dropped | national
        reason[national] = NATIONAL_REASON
    if known_hs is not None and unknown_hs != "keep":
        unknown = _bad_rows(hs, ~hs.categories.isin(known_hs), False) & ~dropped & ~national
        if unknown.any():
            if unknown_hs == "error":
                _fail(source, "hs", "not a code of the HS nomenclature (any vintage 1992-2022): correct it, or set "
                      "ingest.unknown_hs: drop", unknown, df["hs"], first=first)
            log.warning("%s: %d rows of codes outside the HS nomenclature dropped (ingest.unknown_hs: drop): %s",
                        source, int(unknown.sum()), _per_code(np.asarray(hs)[unknown]))
            dropped = dropped | unknown
            reason[unknown] = UNKNOWN_HS_REASON
    out["hs"] = hs

    value, decimal = _numeric(df, "value", source, first, decimal)
    bad = value.isna() | ~np.isfinite(value)
    if bad.any():
        _fail(source, "value", "non-numeric value (not a finite number)", bad.to_numpy(), df["value"], first=first)
    bad = value < 0
    if bad.any():
        _fail(source, "value", "negative value", bad.to_numpy(), df["value"], first=first)
    out["value"] = value.astype("float64")
    return Checked(out[CANONICAL_COLUMNS], reason, decimal)


def check_table(con, table: str, source: str, duplicates: str = "error", hs_overlap: str = "error",
                place: Places | None = None) -> tuple[str, str | None]:
    """The checks of the whole table, in DuckDB, so a table on disk is never loaded at once.

    ``table``: a relation of :data:`CANONICAL_COLUMNS` plus ``row`` (the data row of the source, for messages),
    the checked rows of :func:`check_rows` with aggregate partners left out. Returns the SQL of the rows to keep and
    that of the rows dropped here (:data:`DROPPED_COLUMNS`; None when there are none): a duplicated key is an error (``duplicates="error"``) or its rows are summed (``"sum"``); a code given at two
    HS levels for the same flow, region and partner (an HS4 row and HS6 rows of that heading) is an error or its
    coarser rows are dropped (``hs_overlap="finest"``). Raises :class:`TradeDataError` when no value is positive;
    warns when HS levels are mixed without overlap and when one row holds more than half of all trade. ``place``
    names the rows of several files.
    """
    if duplicates not in ("error", "sum"):
        raise ValueError(f"duplicates must be 'error' or 'sum', got {duplicates!r}")
    if hs_overlap not in ("error", "finest"):
        raise ValueError(f"hs_overlap must be 'error' or 'finest', got {hs_overlap!r}")
    keys = ", ".join(KEY_COLUMNS)
    text_keys = " || '/' || ".join(f"CAST({c} AS VARCHAR)" for c in KEY_COLUMNS)
    n_dup = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} GROUP BY {keys} HAVING count(*) > 1)"
                        ).fetchall()[0][0]
    if n_dup and duplicates == "error":
        found = con.execute(f"SELECT row, label, count(*) OVER () AS n FROM (SELECT row, {text_keys} AS label, "
                            f"count(*) OVER (PARTITION BY {keys}) AS c FROM {table}) WHERE c > 1 ORDER BY row LIMIT 5"
                            ).fetchall()
        raise TradeDataError(f"{source}: column '{'/'.join(KEY_COLUMNS)}': duplicate key (set duplicates: sum to add "
                             f"them up) at {_rows_text([r for r, *_ in found], [k for _, k, _ in found], place=place)}"
                             f"{f' and {found[0][2] - len(found)} more' if found[0][2] > len(found) else ''}")
    lengths = [n for (n,) in con.execute(f"SELECT DISTINCT length(CAST(hs AS VARCHAR)) FROM {table} ORDER BY 1")
               .fetchall()]
    coarse = []
    group = ", ".join(KEY_COLUMNS[:-1])
    for i, short in enumerate(lengths):
        for long in lengths[i + 1:]:
            coarse.append(
                f"SELECT a.row FROM {table} a SEMI JOIN (SELECT DISTINCT {group}, left(CAST(hs AS VARCHAR), {short}) "
                f"AS head FROM {table} WHERE length(CAST(hs AS VARCHAR)) = {long}) b ON "
                + " AND ".join(f"a.{c} = b.{c}" for c in KEY_COLUMNS[:-1])
                + f" AND CAST(a.hs AS VARCHAR) = b.head WHERE length(CAST(a.hs AS VARCHAR)) = {short}")
    drop = "(" + " UNION ".join(coarse) + ")" if coarse else "(SELECT NULL::BIGINT AS row LIMIT 0)"
    n_coarse, coarse_rows = con.execute(f"SELECT count(*), list(row ORDER BY row)[1:5] FROM {drop}").fetchall()[0]
    if n_coarse:
        if hs_overlap == "error":
            found = con.execute(f"SELECT row, CAST(hs AS VARCHAR) FROM {table} WHERE row IN (SELECT unnest(?)) "
                                "ORDER BY row", [coarse_rows]).fetchall()
            more = f" and {n_coarse - len(found)} more" if n_coarse > len(found) else ""
            raise TradeDataError(f"{source}: column 'hs': code also given at a finer HS level for the same flow, "
                                 "region and partner (counted twice; set ingest.hs_overlap: finest to keep the finer "
                                 f"rows) at {_rows_text([r for r, _ in found], [h for _, h in found], place=place)}{more}")
        log.warning("%s: %d rows also given at a finer HS level dropped (hs_overlap: finest)", source, n_coarse)
    elif len(lengths) > 1:
        log.warning("%s: HS levels mixed without overlap (%s digits)", source, lengths)
    kept = f"(SELECT * FROM {table} WHERE row NOT IN {drop})" if n_coarse else table
    n_kept, total, top, top_row = con.execute(
        f"SELECT count(*), sum(value), max(value), arg_max(row, value) FROM {kept}").fetchall()[0]
    if not total or total <= 0:
        raise TradeDataError(f"{source}: column 'value': every counted value is 0; there is no trade to analyse")
    if n_kept > 1 and top / total > DOMINANT_SHARE:
        key = con.execute(f"SELECT {text_keys} || '/' || CAST(value AS VARCHAR) FROM {table} WHERE row = ?",
                          [top_row]).fetchall()[0][0]
        log.warning("%s: %s holds %.0f%% of all trade (%s); check its unit", source,
                    (place or (lambda r: f"row {r}"))(top_row), 100 * top / total, key)
    coarse_rows = (f"SELECT {', '.join(CANONICAL_COLUMNS)}, '{COARSE_REASON}' AS reason FROM {table} WHERE row IN "
                   f"{drop} ORDER BY row") if n_coarse else None
    if n_dup:
        # the repeated keys summed in the files' order, whatever the threads
        return f"SELECT {keys}, sum(value ORDER BY row) AS value FROM {kept} GROUP BY {keys} ORDER BY min(row)", coarse_rows
    if n_coarse:
        return f"SELECT {keys}, value FROM {kept} ORDER BY row", coarse_rows
    return f"SELECT {keys}, value FROM {table}", None  # a plain scan keeps the rows' order (preserve_insertion_order)


def validate_canonical(df: pd.DataFrame, source: str, duplicates: str = "error", hs_overlap: str = "error",
                       place: Places | None = None, dropped: list[pd.DataFrame] | None = None,
                       **rules) -> pd.DataFrame:
    """Check and type a canonical table held in memory (:func:`check_rows` with ``rules``, then
    :func:`check_table`); raise :class:`TradeDataError` on the first bad column. Code columns come back
    categorical. ``place`` names the rows of a table concatenated from several files. The rows dropped, with their
    reason (:data:`DROPPED_COLUMNS`), are appended to ``dropped`` when it is given."""

    if len(df) == 0:
        raise TradeDataError(f"{source}: no data rows (only a header)")
    checked = check_rows(df, source, **rules)
    keep = ~checked.dropped
    rows = checked.rows[keep].assign(row=np.flatnonzero(keep) + 1)
    with duckdb_connect() as con:
        con.register("checked", _plain(rows))
        kept, coarse = check_table(con, "checked", source, duplicates, hs_overlap, place)
        out = con.execute(kept).df()
        if dropped is not None:
            dropped.append(checked.dropped_rows())
            if coarse:
                dropped.append(con.execute(coarse).df())
    return _typed(out)


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as strings for DuckDB (which would otherwise compare ENUMs of different types)."""
    return df.assign(**{c: df[c].astype(object) for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)})


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """Canonical types: ``year`` int32, ``value`` float64, code columns categorical."""
    out = df.reset_index(drop=True)
    out["year"] = out["year"].astype("int32")
    out["value"] = out["value"].astype("float64")
    for c in CODE_COLUMNS:
        out[c] = out[c].astype("category")
    return out[CANONICAL_COLUMNS]


def _log_aggregates(source: str, labels: pd.Series) -> None:
    if len(labels):
        log.warning("%s: %d rows of aggregate partners dropped (%s)", source, len(labels),
                    sorted(pd.Series(labels).astype(str).str.strip().unique().tolist()))


BATCH_ROWS = 2_000_000


def _staging(dest: Path) -> Path:
    """A fresh staging folder beside ``dest`` for the checked rows and DuckDB's spill files; the staging folders a
    killed ingestion of ``dest`` left are removed first (Snakemake's lock lets one job write ``dest`` at a time)."""
    import shutil

    for stale in dest.parent.glob(f".{dest.name}.staging-*"):
        log.info("removing %s, left by an ingestion that was stopped", stale)
        shutil.rmtree(stale, ignore_errors=True)
    staging = dest.with_name(f".{dest.name}.staging-{os.getpid()}")
    staging.mkdir(parents=True)
    return staging


DROPPED_SCHEMA = pa.schema([("year", pa.int32())] + [(c, pa.string()) for c in CODE_COLUMNS]
                           + [("value", pa.float64()), ("reason", pa.string())])


def _dropped_table(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame[DROPPED_COLUMNS], schema=DROPPED_SCHEMA, preserve_index=False)


def write_dropped(frames: Sequence[pd.DataFrame], dest: str | Path, meta: dict[str, str]) -> int:
    """The rows an ingestion dropped (frames of :data:`DROPPED_COLUMNS`, from ``dropped`` of
    :func:`validate_canonical`) as one Parquet table of :data:`DROPPED_SCHEMA` at ``dest``; returns its rows."""
    frames = [f for f in frames if len(f)]
    table = (_dropped_table(pd.concat(frames, ignore_index=True)) if frames
             else DROPPED_SCHEMA.empty_table())
    with TableWriter(dest, meta) as out:
        out.write(table)
    return out.rows


def write_dropped_query(con: duckdb.DuckDBPyConnection, query: str, dest: str | Path, meta: dict[str, str],
                        batch_rows: int) -> int:
    """The dropped rows a DuckDB query selects (columns of :data:`DROPPED_SCHEMA`), streamed in batches into one
    Parquet table at ``dest`` (an empty table when it selects none); returns its rows."""
    with TableWriter(dest, meta) as out:
        out.write(DROPPED_SCHEMA.empty_table())
        for batch in con.cursor().sql(query).to_arrow_reader(batch_rows):
            out.write(pa.Table.from_batches([batch]).cast(DROPPED_SCHEMA))
    return out.rows


def ingest_canonical(paths: Sequence[str | Path], dest: str | Path, meta: dict[str, str], duplicates: str = "error",
                     sep: str | None = None, batch_rows: int = BATCH_ROWS, memory_mb: int = 2000,
                     hs_overlap: str = "error", dropped_dest: str | Path | None = None,
                     world: str | Path | None = None, **rules) -> int:
    """Check files in the canonical form into one Parquet table at ``dest``, streaming: returns its rows.

    Each file is read in batches of ``batch_rows`` rows and checked row by row (:func:`check_rows` with ``rules``,
    rows numbered in their file; a file's later batches are read with the decimal separator its first batches
    showed); the checked rows go to a staging folder beside ``dest``, with codes dictionary-encoded. The whole-table
    checks then run in DuckDB over that file (:func:`check_table`, rows named by file), within ``memory_mb``
    (spilling to the staging folder beyond it), and the result is written to ``dest`` with ``meta`` (atomically:
    nothing at ``dest`` on error; the staging folder is removed, and one left by a killed run is removed by the
    next). Gives the same table as :func:`read_canonical` of the files' concatenation. The rows dropped, with their
    reason, are written to ``dropped_dest`` when it is given (:data:`DROPPED_SCHEMA`, in the files' order).
    ``world``: a canonical file of countries as locations (BACI, :mod:`valuechain.trade.baci`) read after ``paths``,
    whose rows of a country that ``paths`` give by its regions are left out (the regions replace the country).
    """
    import shutil


    paths = [Path(p) for p in paths]
    dest = Path(dest)
    source = ", ".join(map(str, [*paths, *([world] if world is not None else [])]))
    staging = _staging(dest)
    staged = staging / "checked.parquet"
    staged_dropped = staging / "dropped.parquet"
    files = []
    try:
        with TableWriter(staged, {}) as out, TableWriter(staged_dropped, {}) as out_dropped:
            out_dropped.write(DROPPED_SCHEMA.empty_table())
            regional, replaced = set(), 0
            for path in [*paths, *([Path(world)] if world is not None else [])]:
                first, decimal = 1, rules.get("decimal", "auto")
                for batch in read_batches(path, sep, batch_rows):
                    if len(batch) == 0:
                        continue
                    position = np.arange(len(batch))
                    if world is not None and path == Path(world):
                        given = batch["country"].astype(str).isin(regional).to_numpy()
                        replaced += int(given.sum())
                        batch, position = batch[~given], position[~given]
                    if len(batch):
                        checked = check_rows(batch, str(path), first=first, **{**rules, "decimal": decimal})
                        decimal = checked.decimal or decimal
                        keep = ~checked.dropped
                        row = position[keep] + first + sum(n for _, n in files)
                        out.write(encode_codes(pa.Table.from_pandas(checked.rows[keep].assign(row=row),
                                                                    preserve_index=False), CODE_COLUMNS))
                        if not keep.all():
                            out_dropped.write(_dropped_table(checked.dropped_rows()))
                        if path != Path(world or ""):
                            regional |= set(checked.rows.loc[keep, "country"].astype(str).unique())
                    first += len(position)
                    log.info("%s: %d rows checked", path, first - 1)
                if first == 1:
                    raise TradeDataError(f"{path}: no data rows (only a header)")
                files.append((str(path), first - 1))
            if world is not None and regional:
                log.info("%s: %d rows of %s left out: their regions replace them", world, replaced,
                         ", ".join(sorted(regional)))
        with duckdb_connect() as con:
            con.execute(f"SET memory_limit = '{int(memory_mb)}MB'")
            con.execute(f"SET temp_directory = '{staging}'")
            con.execute(f"CREATE VIEW checked AS SELECT * FROM read_parquet('{staged}')")
            query, coarse = check_table(con, "checked", source, duplicates, hs_overlap, Places(files))
            reader = con.cursor().sql(query).to_arrow_reader(batch_rows)
            with TableWriter(dest, meta) as out:
                for batch in reader:
                    out.write(canonical_batch(batch))
            if dropped_dest is not None:
                dropped = f"SELECT * FROM read_parquet('{staged_dropped}')"
                if coarse:
                    dropped += f" UNION ALL ({coarse})"
                write_dropped_query(con, dropped, dropped_dest, meta, batch_rows)
        return out.rows
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def summary(path: str | Path) -> str:
    """Rows, countries, regions and products of a canonical or cleaned Parquet table (DuckDB, streamed)."""

    with duckdb_connect() as con:
        con.execute("SET memory_limit = '1GB'")
        n, countries, regions, products = con.execute(
            f"SELECT count(*), count(DISTINCT country), count(DISTINCT (country, region)), count(DISTINCT hs) "
            f"FROM read_parquet('{path}')").fetchall()[0]
    return f"{n} rows: {countries} countries, {regions} regions, {products} products"


def canonical_batch(batch: pa.RecordBatch) -> pa.Table:
    """A canonical batch from DuckDB with canonical types: codes dictionary-encoded (pandas reads them back as
    categoricals), ``year`` int32."""
    table = encode_codes(batch, CODE_COLUMNS)
    columns = {name: table.column(name) for name in table.schema.names}
    columns["year"] = columns["year"].cast(pa.int32())
    columns["value"] = columns["value"].cast(pa.float64())
    return pa.table([columns[c] for c in CANONICAL_COLUMNS], names=CANONICAL_COLUMNS)


def read_canonical(path: str | Path, duplicates: str = "error", sep: str | None = None, **checks) -> pd.DataFrame:
    """A CSV or Parquet file already in the canonical long form (``checks``: see :func:`validate_canonical`)."""
    return validate_canonical(read_table(path, sep), str(path), duplicates, **checks)


# --- OEC regional trade -------------------------------------------------------------------------------

OEC_COLUMNS = ["country_states", "state_name", "trade_flow_name", "country_name", "product_id",
               "trade_value", "year"]
# Names the OEC uses that are not ISO 3166 names or common names in pycountry.
_NAME_ALIASES = {
    "russia": "RUS", "south korea": "KOR", "north korea": "PRK", "iran": "IRN", "vietnam": "VNM",
    "taiwan": "TWN", "chinese taipei": "TWN", "bolivia": "BOL", "venezuela": "VEN", "tanzania": "TZA",
    "syria": "SYR", "laos": "LAO", "moldova": "MDA", "czech republic": "CZE", "czechia": "CZE",
    "macedonia": "MKD", "north macedonia": "MKD", "turkey": "TUR", "ivory coast": "CIV",
    "cote d'ivoire": "CIV", "democratic republic of the congo": "COD", "dr congo": "COD",
    "republic of the congo": "COG", "congo": "COG", "hong kong": "HKG", "macau": "MAC", "macao": "MAC",
    "brunei": "BRN", "cape verde": "CPV", "swaziland": "SWZ", "eswatini": "SWZ", "micronesia": "FSM",
    "palestine": "PSE", "kosovo": "XKX", "united states": "USA", "united kingdom": "GBR",
    "the gambia": "GMB", "gambia": "GMB", "the bahamas": "BHS", "bahamas": "BHS",
}


def _country_table() -> dict[str, str]:
    """Lower-case country names and ISO3 codes -> ISO3 (pycountry's ISO 3166 names plus OEC aliases)."""
    import pycountry

    table = dict(_NAME_ALIASES)
    for c in pycountry.countries:
        table.setdefault(c.alpha_3.lower(), c.alpha_3)
        for attr in ("name", "official_name", "common_name"):
            if hasattr(c, attr):
                table.setdefault(getattr(c, attr).lower(), c.alpha_3)
    return table


def country_name_to_iso3(names: Iterable[str]) -> dict[str, str | None]:
    """ISO3 of country names (ISO name, official or common name, or a known OEC alias); None if unknown."""
    table = _country_table()
    return {n: table.get(str(n).strip().lower()) for n in names}


def reporting_country_to_iso3(labels: Iterable[str]) -> dict[str, str | None]:
    """ISO3 of the OEC ``country_states`` labels: a country name or code, alone ("Brazil", "BRA") or
    followed by the kind of region ("Brazil States", "usa_state"); None if no country is recognised."""
    table = _country_table()
    out = {}
    for label in labels:
        text = str(label).strip().lower()
        first = re.split(r"[\s_\-]+", text)[0] if text else ""
        out[label] = table.get(text) or table.get(first)
    return out


def read_oec(path: str | Path, duplicates: str = "error", sep: str | None = None, **checks) -> pd.DataFrame:
    """OEC regional trade (columns :data:`OEC_COLUMNS`) to the canonical form.

    ``country_states`` names the reporting country of the subnational data set, alone or with the kind of
    region (``Brazil``, ``Brazil States``, ``usa_state`` as in the OEC's ``trade_s_usa_state_m_hs`` cubes).
    ``product_id`` is an HS6 integer whose leading zero was dropped; it is re-padded to
    6 digits. Partners are country names, mapped to ISO3 (an unknown name is an error naming its rows, unless
    it is one of ``checks["partner_aggregates"]``).
    """
    source = str(path)
    raw = read_table(path, sep)
    missing = [c for c in OEC_COLUMNS if c not in raw.columns]
    if missing:
        raise TradeDataError(f"{source}: missing OEC column(s) {missing}; found {list(raw.columns)}")
    flow_map = {"exports": "export", "imports": "import"}
    flow = raw["trade_flow_name"].astype(str).str.strip().str.lower().map(flow_map)
    bad = flow.isna()
    if bad.any():
        _fail(source, "trade_flow_name", "unknown flow (expected Exports or Imports)", bad.to_numpy(),
              raw["trade_flow_name"])
    aggregates = {str(k).strip().upper() for k in (checks.get("partner_aggregates") or {})}
    iso = country_name_to_iso3(raw["country_name"].unique())
    partner = raw["country_name"].map(iso)
    listed = raw["country_name"].astype(str).str.strip().str.upper().isin(aggregates)
    partner = partner.where(~listed, raw["country_name"])  # left for validate_canonical to treat
    bad = partner.isna()
    if bad.any():
        _fail(source, "country_name", "unknown partner country name", bad.to_numpy(), raw["country_name"])
    reporter = raw["country_states"].map(reporting_country_to_iso3(raw["country_states"].unique()))
    bad = reporter.isna()
    if bad.any():
        _fail(source, "country_states", "no reporting country recognised", bad.to_numpy(), raw["country_states"])
    product = raw["product_id"].astype(str).str.strip()
    bad = ~product.str.fullmatch(r"\d{5,6}")
    if bad.any():
        _fail(source, "product_id", "malformed HS6 product id", bad.to_numpy(), raw["product_id"])
    canonical = pd.DataFrame(
        {
            "year": raw["year"],
            "flow": flow,
            "country": reporter,
            "region": raw["state_name"],
            "partner": partner,
            "hs": product.str.zfill(6),
            "value": raw["trade_value"],
        }
    )
    return validate_canonical(canonical, source, duplicates, **checks)


# --- Brazil's Comex Stat ------------------------------------------------------------------------------

COMEX_REGION = {"state": "SG_UF_MUN", "municipality": "CO_MUN"}


def read_comexstat_countries(path: str | Path | None) -> dict[str, str]:
    """Comex Stat's ``PAIS`` table as ``CO_PAIS`` (without leading zeros) -> ``CO_PAIS_ISOA3``."""
    if not path:
        raise TradeDataError("format comexstat needs Comex Stat's PAIS table (CO_PAIS -> CO_PAIS_ISOA3): set "
                             "comexstat_countries to its path, or use source: public to retrieve it")
    pais = read_table(path)
    for col in ("CO_PAIS", "CO_PAIS_ISOA3"):
        if col not in pais.columns:
            raise TradeDataError(f"{path}: missing column '{col}' of the Comex Stat PAIS table; found "
                                 f"{list(pais.columns)}")
    return dict(zip(pais["CO_PAIS"].astype(str).str.strip().str.lstrip("0"),
                    pais["CO_PAIS_ISOA3"].astype(str).str.strip()))


def read_comexstat(
    paths: str | Path | Iterable[str | Path], countries: str | Path | None, duplicates: str = "error",
    sep: str | None = None, region: str = "state", **checks,
) -> pd.DataFrame:
    """Comex Stat municipality files (``EXP_YYYY_MUN.csv``, ``IMP_YYYY_MUN.csv``) to the canonical form.

    Columns used: ``CO_ANO`` (year), ``SH4``, ``CO_PAIS`` (partner, mapped to ISO3 with the ``PAIS`` table
    ``countries``, :func:`read_comexstat_countries`), ``SG_UF_MUN`` (the state; ``region="state"``) or
    ``CO_MUN`` (the municipality code; ``region="municipality"``), ``VL_FOB`` (USD). The flow comes from the
    file name (``EXP_``/``IMP_``). The files hold one row per month and municipality; adding the months (and
    the municipalities of a state) is the design, not a duplicate. Rows repeating a whole Comex key (year,
    month, product, partner, state, municipality) are duplicates, handled by ``duplicates``.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = list(paths)
    iso = read_comexstat_countries(countries)
    if region not in COMEX_REGION:
        raise ValueError(f"Comex Stat region must be one of {sorted(COMEX_REGION)}, got {region!r}")
    frames = []
    for path in paths:
        source = str(path)
        name = Path(path).name.upper()
        if name.startswith("EXP"):
            flow = "export"
        elif name.startswith("IMP"):
            flow = "import"
        else:
            raise TradeDataError(f"{source}: Comex Stat file names start with EXP_ or IMP_ (the flow)")
        raw = read_table(path, sep)
        region_col = COMEX_REGION[region]
        missing = [c for c in ("CO_ANO", "SH4", "CO_PAIS", region_col, "VL_FOB") if c not in raw.columns]
        if missing:
            raise TradeDataError(f"{source}: missing Comex Stat column(s) {missing}; found {list(raw.columns)}")
        key = [c for c in ("CO_ANO", "CO_MES", "SH4", "CO_PAIS", "SG_UF_MUN", "CO_MUN") if c in raw.columns]
        dup = raw.duplicated(key, keep=False).to_numpy()
        if dup.any() and duplicates == "error":
            _fail(source, "/".join(key), "duplicate Comex Stat key (set duplicates: sum to add them up)", dup,
                  raw[key].agg("/".join, axis=1))
        partner = raw["CO_PAIS"].astype(str).str.strip().str.lstrip("0").map(iso)
        bad = partner.isna()
        if bad.any():
            _fail(source, "CO_PAIS", "country code not in the PAIS table", bad.to_numpy(), raw["CO_PAIS"])
        canonical = pd.DataFrame(
            {
                "year": raw["CO_ANO"],
                "flow": flow,
                "country": "BRA",
                "region": raw[region_col],
                "partner": partner,
                "hs": raw["SH4"].astype(str).str.strip().str.zfill(4),
                "value": raw["VL_FOB"],
            }
        )
        frames.append(validate_canonical(canonical, source, "sum", **checks))
    return validate_canonical(pd.concat(frames, ignore_index=True), ", ".join(map(str, paths)), "error",
                              place=Places([(p, len(f)) for p, f in zip(paths, frames)]), **checks)


def read_trade(paths, fmt: str = "canonical", duplicates: str = "error", countries=None, sep: str | None = None,
               comexstat_region: str = "state", **checks) -> pd.DataFrame:
    """Dispatch on ``fmt`` (canonical | oec | comexstat); ``paths`` is one path or a list. ``checks``:
    ``hs_overlap`` (:func:`check_table`) and the rules of :func:`check_rows`."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = list(paths)
    if fmt == "comexstat":
        return read_comexstat(paths, countries, duplicates, sep, comexstat_region, **checks)
    reader = {"canonical": read_canonical, "oec": read_oec}.get(fmt)
    if reader is None:
        raise ValueError(f"unknown trade format {fmt!r}")
    frames = [reader(p, duplicates, sep, **checks) for p in paths]
    if len(frames) == 1:
        return frames[0]
    return validate_canonical(pd.concat(frames, ignore_index=True), ", ".join(map(str, paths)), duplicates,
                              place=Places([(p, len(f)) for p, f in zip(paths, frames)]), **checks)
