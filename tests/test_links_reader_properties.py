"""Generated tests of the user-network reader (valuechain.reference.links_file.read_links_file): a clean random network is
written as CSV or Parquet, damaged in one way, and read back. A damage that keeps the network (another encoding,
spaces around codes, self-loops added, odd characters in an extra column) must give exactly what the clean file
gives; a damage that breaks it must raise LinksDataError naming the file (and the column at fault), never anything
else; random byte damage gives LinksDataError or a valid network."""

from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from valuechain.reference.links_file import LINK_COLUMNS, MAX_RANK, LinksDataError, read_links_file

pytestmark = pytest.mark.property

CODES = ["0101", "0201", "0302", "0407", "2709", "4011", "7208", "8407", "8703", "8708"]
KNOWN = set(CODES)
UNKNOWN = "5555"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
INVISIBLE = ["\u200b", "\u200d", "\ufeff", "\u2060"]
# names of an extra column: Latin-1 text (so that every encoding can hold it), separators, quotes and line breaks
NAMES = st.text(st.characters(codec="latin-1", exclude_categories=["Cs", "Cc"]) | st.sampled_from(",;|\t\"\n"),
                max_size=12)


@st.composite
def networks(draw) -> pd.DataFrame:
    """A valid network: distinct pairs of different known products, with or without weight, rank, a name."""
    pairs = draw(st.lists(st.tuples(st.sampled_from(CODES), st.sampled_from(CODES)).filter(lambda t: t[0] != t[1]),
                          min_size=1, max_size=8, unique=True))
    df = pd.DataFrame(pairs, columns=["output", "input"])
    n = len(df)
    if draw(st.booleans()):
        df["weight"] = draw(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=n, max_size=n))
    if draw(st.booleans()):
        df["rank"] = draw(st.lists(st.integers(1, 50), min_size=n, max_size=n))
    if draw(st.booleans()):
        df["name"] = draw(st.lists(NAMES, min_size=n, max_size=n))
    return df


def write(df: pd.DataFrame, path: Path, encoding: str = "utf-8") -> Path:
    if path.suffix == ".parquet":
        df.to_parquet(path, index=False)
    else:
        path.write_bytes(df.to_csv(index=False).encode(encoding))
    return path


def read(path: Path) -> pd.DataFrame:
    return read_links_file(path, KNOWN, 4)


def refused(path: Path, column: str | None = None) -> str:
    """The LinksDataError message of reading ``path``, which must name the file (and ``column``)."""
    with pytest.raises(LinksDataError) as err:
        read(path)
    message = str(err.value)
    assert message.startswith(str(path)), message
    if column is not None:
        assert f"column '{column}'" in message, message
    return message


# ------------------------------------------------------------------------- damages that keep the network
@given(networks(), st.sampled_from(["utf-8-sig", "utf-16", "utf-16-le-bom", "latin-1"]))
def test_another_encoding_reads_the_same(df, encoding):
    with TemporaryDirectory() as d:
        clean = read(write(df, Path(d) / "clean.csv"))
        path = Path(d) / "net.csv"
        if encoding == "utf-16-le-bom":  # what a spreadsheet's "Unicode text" export writes
            path.write_bytes(b"\xff\xfe" + df.to_csv(index=False).encode("utf-16-le"))
        else:
            write(df, path, encoding)
        pd.testing.assert_frame_equal(read(path), clean)


@given(networks(), st.sampled_from([".csv", ".parquet"]), st.data())
def test_spaces_self_loops_and_odd_names_read_the_same(df, suffix, data):
    with TemporaryDirectory() as d:
        clean = read(write(df, Path(d) / f"clean{suffix}"))
        damaged = df.copy()
        kind = data.draw(st.sampled_from(["spaces", "self_loops", "invisible_in_names"]))
        if kind == "spaces":
            col = data.draw(st.sampled_from(["output", "input"]))
            damaged[col] = " " + damaged[col] + data.draw(st.sampled_from([" ", "\t", "  "]))
        elif kind == "self_loops":
            loops = pd.DataFrame({"output": data.draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=3,
                                                               unique=True))})
            loops["input"] = loops["output"]
            for col, values in (("weight", st.floats(0, 1e6)), ("rank", st.integers(1, 50)), ("name", NAMES)):
                if col in df.columns:
                    loops[col] = data.draw(st.lists(values, min_size=len(loops), max_size=len(loops)))
            at = data.draw(st.integers(0, len(df)))
            damaged = pd.concat([df.iloc[:at], loops, df.iloc[at:]], ignore_index=True)
        else:
            zw = data.draw(st.sampled_from(INVISIBLE))
            damaged["name"] = (damaged["name"] if "name" in damaged else "name") + zw
        pd.testing.assert_frame_equal(read(write(damaged, Path(d) / f"net{suffix}")), clean)


# ----------------------------------------------------------------------- damages that break the network
@given(networks(), st.sampled_from([".csv", ".parquet"]), st.sampled_from(["output", "input"]), st.data())
def test_bad_codes_are_refused_naming_the_column(df, suffix, col, data):
    kind = data.draw(st.sampled_from(["unknown", "full_width", "arabic_indic", "invisible", "leading_zero_lost",
                                      "float_text", "missing"]))
    row = data.draw(st.integers(0, len(df) - 1))
    code = df.at[row, col]
    damaged = df.copy()
    if kind == "leading_zero_lost":
        assume(code.startswith("0"))
        bad = code.lstrip("0")
    else:
        bad = {"unknown": UNKNOWN, "full_width": code.translate(FULL_WIDTH),
               "arabic_indic": code.translate(ARABIC_INDIC), "invisible": code + data.draw(st.sampled_from(INVISIBLE)),
               "float_text": f"{code}.0", "missing": None}[kind]
    damaged[col] = damaged[col].astype(object)
    damaged.at[row, col] = bad
    with TemporaryDirectory() as d:
        message = refused(write(damaged, Path(d) / f"net{suffix}"), col)
    assert f"row {row + 1} " in message
    if kind in ("full_width", "arabic_indic"):
        assert "ASCII digits 0-9 only" in message
    if kind == "leading_zero_lost":
        assert "leading zero lost" in message


@given(networks(), st.sampled_from(["output", "input"]), st.sampled_from(["int", "float", "bool"]))
def test_codes_that_are_not_text_are_refused(df, col, kind):
    damaged = df.copy()
    damaged[col] = {"int": damaged[col].astype(int), "float": damaged[col].astype(float),
                    "bool": damaged[col] == damaged[col].iloc[0]}[kind]
    with TemporaryDirectory() as d:
        message = refused(write(damaged, Path(d) / "net.parquet"), col)
    assert "must be text" in message


@given(networks(), st.sampled_from([".csv", ".parquet"]), st.sampled_from(["weight", "rank"]),
       st.sampled_from([np.nan, np.inf, -np.inf, -1.0, 0.5, 0.0, 1e30, "x", True]), st.data())
def test_bad_numbers_are_refused_naming_the_column(df, suffix, col, bad, data):
    weight_ok = col == "weight" and (bad == 0.0 or bad == 0.5 or bad == 1e30)
    assume(not weight_ok)  # weights 0, 0.5 and 1e30 are fine
    damaged = df.copy()
    if col not in damaged:
        damaged[col] = 1
    row = data.draw(st.integers(0, len(df) - 1))
    if bad is True:  # a whole column of true/false values
        damaged[col] = True
    elif isinstance(bad, str):  # text among numbers: a column of text (a Parquet column has one type)
        damaged[col] = damaged[col].astype(str)
        damaged.at[row, col] = bad
    else:
        damaged[col] = damaged[col].astype(object)
        damaged.at[row, col] = bad
    with TemporaryDirectory() as d:
        refused(write(damaged, Path(d) / f"net{suffix}"), col)


@given(networks(), st.sampled_from([".csv", ".parquet"]), st.data())
def test_duplicate_rows_are_refused(df, suffix, data):
    row = data.draw(st.integers(0, len(df) - 1))
    damaged = pd.concat([df, df.iloc[[row]]], ignore_index=True)
    with TemporaryDirectory() as d:
        message = refused(write(damaged, Path(d) / f"net{suffix}"), "output/input")
    assert f"duplicate link at row {len(df) + 1} " in message


@given(st.lists(st.sampled_from(CODES), min_size=1, max_size=4, unique=True), st.sampled_from([".csv", ".parquet"]))
def test_a_network_of_self_loops_only_is_refused(codes, suffix):
    with TemporaryDirectory() as d:
        message = refused(write(pd.DataFrame({"output": codes, "input": codes}), Path(d) / f"net{suffix}"))
    assert "every row is a self-loop" in message and "row 1 " in message


@pytest.mark.parametrize("content, message", [
    (b"", "empty file"),
    (b"\n\n  \n", "empty file"),
    (b"output,input\n", "no links"),
    (b"output,input,weight\n", "no links"),
    (b"output;input;input\n8703;8708;8407\n", "['input'] named twice"),
    (b"\xff\xfeo\x00", "missing column"),
    ("output,input\n8703,8708\n".encode("utf-16-be"), "binary content"),
])
def test_sizes_and_headers(tmp_path, content, message):
    path = tmp_path / "net.csv"
    path.write_bytes(content)
    assert message in refused(path)


def test_one_row_and_a_self_loop_among_others_by_hand(tmp_path, caplog):
    one = write(pd.DataFrame({"output": ["0101"], "input": ["8703"]}), tmp_path / "one.csv")
    links = read(one)
    assert links[["output", "input", "rank"]].values.tolist() == [["0101", "8703", 1]] and links["weight"].isna().all()
    # the loop 8703 <- 8703 (rank 1, the heaviest) is dropped; the others keep their given ranks
    path = tmp_path / "net.csv"
    path.write_text("output,input,rank\n8703,8703,1\n8703,8708,2\n8703,8407,3\n")
    links = read(path)
    assert links[["output", "input", "rank"]].values.tolist() == [["8703", "8708", 2], ["8703", "8407", 3]]
    assert f"{path}: 1 self-loop(s) dropped (output = input at row 1 ('8703'))" in caplog.text
    # without ranks, the weights rank what is left: 8708 (0.5) first, the loop's 0.9 counts for nothing
    path.write_text("output,input,weight\n8703,8703,0.9\n8703,8407,0.2\n8703,8708,0.5\n")
    assert read(path)[["input", "rank"]].values.tolist() == [["8708", 1], ["8407", 2]]


# ------------------------------------------------------------------------------------- random byte damage
@given(networks(), st.lists(st.tuples(st.sampled_from(["insert", "delete", "replace"]), st.integers(0, 10_000),
                                      st.binary(min_size=1, max_size=3)), min_size=1, max_size=4))
# found by this test: a lone carriage return in the header once stopped the header check with csv.Error
@example(pd.DataFrame({"output": ["0101", "0101"], "input": ["0201", "0302"], "weight": [0.0, 0.0]}),
         [("delete", 0, b"\x00"), ("insert", 1212, b"\r")])
def test_random_byte_damage_gives_an_error_or_a_valid_network(df, edits):
    raw = bytearray(df.to_csv(index=False).encode())
    for kind, at, blob in edits:
        at %= len(raw) + 1
        if kind == "insert":
            raw[at:at] = blob
        elif kind == "delete":
            del raw[at:at + len(blob)]
        else:
            raw[at:at + len(blob)] = blob
    with TemporaryDirectory() as d:
        path = Path(d) / "net.csv"
        path.write_bytes(bytes(raw))
        try:
            links = read(path)
        except LinksDataError as err:
            assert str(err).startswith(str(path))
            return
    assert list(links.columns) == LINK_COLUMNS and len(links) > 0
    assert links["output"].isin(KNOWN).all() and links["input"].isin(KNOWN).all()
    assert (links["output"] != links["input"]).all() and not links.duplicated(["output", "input"]).any()
    assert links["rank"].between(1, MAX_RANK).all() and links["rank"].dtype == "int64"
    assert links["weight"].isna().all() or (np.isfinite(links["weight"]) & (links["weight"] >= 0)).all()
