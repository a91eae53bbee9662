"""Generated trade files (Hypothesis): ingestion never gives a traceback, never leaves a file behind on error, and
whatever it accepts equals what the clean file gives.

Three properties: the same table written in every layout a user may have (separator, quoting, encoding,
compression, Parquet, padding, letter case, invisible characters in names, thousands separators) reads as the
clean file; one damage a reader must refuse (a wrong type, code, name, number or shape) is refused with the file
and the column, and nothing is written; random byte damage gives a refusal or rows that pass every check, never
another exception. The default profile fits the suite's budget; ``--hypothesis-profile=deep`` searches further.
"""

import bz2
import csv
import gzip
import io
import re
import unicodedata

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from valuechain.trade.canonical import CANONICAL_COLUMNS, TradeDataError, ingest_canonical, read_canonical

pytestmark = pytest.mark.property

KNOWN = frozenset({"01", "0101", "010121", "87", "8703", "8708", "870323", "870829", "26", "2601"})
RULES = {"known_hs": KNOWN}
REGIONS = ["SP", "São Paulo", "Ceará", "Zürich", "Αθήνα", "北京", "A, B", 'Say "hi"', "x</script><b>", "Rio; Norte"]
PARTNERS = ["USA", "CHN", "DEU", "KOR"]
CODES = sorted(c for c in KNOWN if len(c) == 4)


@st.composite
def tables(draw, min_rows=1, max_rows=10):
    """A clean canonical table: unique keys, partners other than the reporter, known HS4 codes, values with up to
    two decimals (some of them 0)."""
    n = draw(st.integers(min_rows, max_rows))
    rows = draw(st.lists(st.tuples(st.sampled_from([2018, 2019]), st.sampled_from(["export", "import"]),
                                   st.sampled_from(["BRA", "ARG"]), st.sampled_from(REGIONS),
                                   st.sampled_from(PARTNERS), st.sampled_from(CODES),
                                   st.integers(0, 10**12)), min_size=n, max_size=n,
                         unique_by=lambda r: r[:6]))
    df = pd.DataFrame(rows, columns=CANONICAL_COLUMNS)
    df["value"] = df["value"] / 100
    assume(df["value"].sum() > 0)
    return df


def _csv_text(df: pd.DataFrame, sep: str = ",", quoting=csv.QUOTE_MINIMAL) -> str:
    buf = io.StringIO()
    df.to_csv(buf, index=False, sep=sep, quoting=quoting, lineterminator="\n")
    return buf.getvalue()


def _clean(tmp_path, df):
    path = tmp_path / "clean.csv"
    path.write_text(_csv_text(df.assign(value=df["value"].map(repr))), encoding="utf-8")
    return read_canonical(path, **RULES)


def _same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True), check_categorical=False)


# --- the same table in every layout ---------------------------------------------------------------------------
def _grouped(value: float, decimal: str) -> str:
    """``1,234,567.89`` (decimal point) or ``1.234.567,89`` (decimal comma)."""
    text = f"{value:,.2f}"
    return text if decimal == "." else text.translate(str.maketrans(",.", ".,"))


_INVISIBLE = ["\u200b", "\u200d", "\u00ad", "\ufeff", "\u2060"]


@pytest.mark.slow
@given(df=tables(), data=st.data())
def test_every_layout_of_a_table_reads_as_the_clean_file(tmp_path_factory, df, data):
    tmp_path = tmp_path_factory.mktemp("layout")
    expected = _clean(tmp_path, df)
    out = df.copy()
    # names and codes as users' files have them: decomposed accents, invisible characters, padding, full-width
    # letters, any letter case where case carries no meaning
    region = out["region"].astype(str)
    if data.draw(st.booleans(), "decomposed names"):
        region = region.map(lambda s: unicodedata.normalize("NFD", s))
    if data.draw(st.booleans(), "invisible characters"):
        mark = data.draw(st.sampled_from(_INVISIBLE), "which invisible")
        region = region.map(lambda s: s[:1] + mark + s[1:])
    if data.draw(st.booleans(), "full-width letters"):
        region = region.map(lambda s: "".join(chr(ord(c) + 0xFEE0) if "A" <= c <= "Z" else c for c in s))
    out["region"] = region
    if data.draw(st.booleans(), "padding"):
        for c in ("flow", "country", "partner", "hs", "region"):
            out[c] = " " + out[c].astype(str) + " "
    if data.draw(st.booleans(), "letter case"):
        out["flow"] = out["flow"].str.upper()
        out["country"] = out["country"].str.lower()
        out["partner"] = out["partner"].str.lower()
    fmt = data.draw(st.sampled_from(["csv", "parquet"]), "format")
    decimal = "auto"
    if fmt == "parquet":
        path = tmp_path / "other.parquet"
        out.to_parquet(path, index=False)
    else:
        style = data.draw(st.sampled_from(["repr", "grouped ."]), "numbers")
        sep = data.draw(st.sampled_from([",", ";", "\t", "|"]), "separator")
        if style == "repr":
            out["value"] = out["value"].map(repr)
        else:
            decimal = data.draw(st.sampled_from([".", ","]), "decimal separator")
            out["value"] = out["value"].map(lambda v: _grouped(v, decimal))
            assume(not (decimal == "," and sep == ",") and not (decimal == "." and sep == "," and False))
        quoting = data.draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]), "quoting")
        text = _csv_text(out, sep, quoting)
        encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]), "encoding")
        try:
            raw = text.encode(encoding)
        except UnicodeEncodeError:
            raw = text.encode("utf-8")
        suffix, raw = data.draw(st.sampled_from([(".csv", raw), (".csv.gz", gzip.compress(raw)),
                                                 (".csv.bz2", bz2.compress(raw))]), "compression")
        path = tmp_path / f"other{suffix}"
        path.write_bytes(raw)
    _same(read_canonical(path, decimal=decimal, **RULES), expected)
    streamed = tmp_path / "streamed.parquet"
    ingest_canonical([path], streamed, {}, batch_rows=data.draw(st.integers(1, 4), "batch rows"), decimal=decimal,
                     **RULES)
    _same(pd.read_parquet(streamed), expected)


# --- one damage a reader must refuse --------------------------------------------------------------------------
# (column, what the cell becomes, the problem named); a cell of one row is replaced
CELL_DAMAGE = [
    ("hs", "８７０３", "digits that are not ASCII 0-9"),
    ("hs", "٨٧٠٣", "digits that are not ASCII 0-9"),
    ("hs", "0001", "not a code of the HS nomenclature"),
    ("hs", "0000", "not a code of the HS nomenclature"),
    ("hs", "870", "malformed HS code"),
    ("hs", "8703.0", "malformed HS code"),
    ("hs", "", "malformed HS code"),
    ("year", "２０１９", "not an integer year"),
    ("year", "2019.5", "not an integer year"),
    ("year", "", "not an integer year"),
    ("year", "99999", "year outside"),
    ("flow", "re-export", "unknown flow"),
    ("country", "Brazil", "not an ISO3 country code"),
    ("partner", "XYZ", "not an ISO3 country code"),
    ("partner", "@country", "partner is the reporting country"),
    ("region", "", "empty region"),
    ("region", "\u200b", "empty region"),
    ("region", "Ba\x07hia", "control character"),
    ("value", "-5", "negative value"),
    ("value", "1e400", "non-numeric value"),
    ("value", "inf", "non-numeric value"),
    ("value", "nan", "non-numeric value"),
    ("value", "", "non-numeric value"),
    ("value", "ten", "non-numeric value"),
    ("value", "１２", "non-numeric value"),
    ("value", "True", "non-numeric value"),
    ("value", "1.234", "ambiguous number"),
    ("value", "1,234", "ambiguous number"),
    ("value", "<b>5</b>", "non-numeric value"),
]


@given(df=tables(min_rows=2), damage=st.sampled_from(CELL_DAMAGE), data=st.data())
def test_a_damaged_cell_is_refused_with_its_file_column_and_row(tmp_path_factory, df, damage, data):
    tmp_path = tmp_path_factory.mktemp("cell")
    column, cell, problem = damage
    row = data.draw(st.integers(0, len(df) - 1), "row")
    out = df.assign(value=df["value"].map(lambda v: f"{v:.0f}"))  # integers: no separator to resolve
    if column == "value" and problem == "ambiguous number":
        out["value"] = out["value"].str.replace(r"\D", "", regex=True)  # no value may show a separator
    out = out.astype(object)
    out.loc[row, column] = out.loc[row, "country"] if cell == "@country" else cell
    path = tmp_path / "damaged.csv"
    path.write_text(_csv_text(out, data.draw(st.sampled_from([",", ";"]), "separator"), csv.QUOTE_ALL),
                    encoding="utf-8")
    for read in (lambda: read_canonical(path, **RULES),
                 lambda: ingest_canonical([path], tmp_path / "out.parquet", {}, batch_rows=2, **RULES)):
        with pytest.raises(TradeDataError) as err:
            read()
        message = str(err.value)
        assert message.startswith(f"{path}: column '{column}': ") and problem in message
        assert re.search(rf"\brow {row + 1} ", message), message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged.csv"]


# typed columns of a Parquet file: (column, values, the problem named)
TYPED_DAMAGE = [
    ("value", [True], "boolean values where numbers are expected"),
    ("year", [True], "boolean values where years are expected"),
    ("region", [False], "boolean values where text is expected"),
    ("hs", [True], "boolean values where text is expected"),
    ("region", [1.5], "numbers where text is expected"),
    ("hs", [8703], "numeric codes lose their leading zeros"),
    ("country", [76], "not an ISO3 country code"),
]


@given(df=tables(), damage=st.sampled_from(TYPED_DAMAGE))
def test_a_wrongly_typed_parquet_column_is_refused(tmp_path_factory, df, damage):
    tmp_path = tmp_path_factory.mktemp("typed")
    column, values, problem = damage
    path = tmp_path / "typed.parquet"
    df.assign(**{column: values * len(df)}).to_parquet(path, index=False)
    for read in (lambda: read_canonical(path, **RULES),
                 lambda: ingest_canonical([path], tmp_path / "out.parquet", {}, **RULES)):
        with pytest.raises(TradeDataError, match=re.escape(f"{path}: column '{column}': {problem}")):
            read()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["typed.parquet"]


# whole-file damage: (what is done to the CSV text, the problem named)
def _wide_row(text: str) -> str:
    lines = text.splitlines()
    lines[1] += ",234"
    return "\n".join(lines) + "\n"


FILE_DAMAGE = [
    (lambda t: t.splitlines()[0] + "\n", "no data rows"),
    (lambda t: t.replace("value", "val", 1), "missing column(s) ['value']"),
    (lambda t: t.replace("partner", "partner_code", 1), "missing column(s) ['partner']"),
    (_wide_row, "has 8 fields, the header 7"),
    (lambda t: t + t.splitlines()[1] + "\n", "duplicate key"),
    (lambda t: "", "empty file (0 bytes)"),
    (lambda t: "\n\n", "empty file (no text)"),
]


@given(df=tables(), damage=st.sampled_from(FILE_DAMAGE))
def test_a_damaged_file_is_refused_with_its_name(tmp_path_factory, df, damage):
    tmp_path = tmp_path_factory.mktemp("file")
    change, problem = damage
    path = tmp_path / "damaged.csv"
    path.write_text(change(_csv_text(df.assign(value=df["value"].map(repr)))), encoding="utf-8")
    for read in (lambda: read_canonical(path, **RULES),
                 lambda: ingest_canonical([path], tmp_path / "out.parquet", {}, batch_rows=3, **RULES)):
        with pytest.raises(TradeDataError) as err:
            read()
        assert str(err.value).startswith(f"{path}") and problem in str(err.value), str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged.csv"]


# --- random byte damage -----------------------------------------------------------------------------------------
def _valid(t: pd.DataFrame) -> None:
    """What any accepted table holds, whatever file it came from."""
    assert list(t.columns) == CANONICAL_COLUMNS and len(t) > 0
    assert t["hs"].astype(str).isin(KNOWN).all()
    assert t["flow"].astype(str).isin(["export", "import"]).all()
    assert np.isfinite(t["value"]).all() and (t["value"] >= 0).all() and t["value"].sum() > 0
    assert t["year"].between(1900, 2100).all()
    assert (t["partner"].astype(str) != t["country"].astype(str)).all()
    names = t["region"].astype(str)
    assert (names == names.map(lambda s: unicodedata.normalize("NFKC", s).strip())).all() and (names != "").all()
    assert not t.duplicated(CANONICAL_COLUMNS[:-1]).any()


@given(df=tables(), edits=st.lists(st.tuples(st.integers(0, 10**6), st.binary(max_size=3), st.integers(0, 3)),
                                   min_size=1, max_size=4),
       suffix=st.sampled_from([".csv", ".csv.gz", ".parquet"]))
def test_random_byte_damage_is_refused_or_gives_valid_rows(tmp_path_factory, df, edits, suffix):
    tmp_path = tmp_path_factory.mktemp("bytes")
    if suffix == ".parquet":
        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        raw = bytearray(buf.getvalue())
    else:
        raw = bytearray(_csv_text(df.assign(value=df["value"].map(repr))).encode("utf-8"))
        if suffix == ".csv.gz":
            raw = bytearray(gzip.compress(bytes(raw)))
    for at, insert, cut in edits:  # replace `cut` bytes at a position with `insert`
        at %= len(raw) + 1
        raw[at:at + cut] = insert
    path = tmp_path / f"damaged{suffix}"
    path.write_bytes(bytes(raw))
    for read in (lambda: read_canonical(path, **RULES),
                 lambda: pd.read_parquet(tmp_path / "out.parquet") if ingest_canonical(
                     [path], tmp_path / "out.parquet", {}, batch_rows=3, **RULES) >= 0 else None):
        try:
            got = read()
        except TradeDataError as err:
            assert str(err).startswith(str(path)), str(err)
            assert not (tmp_path / "out.parquet").exists()
            continue
        _valid(got)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
