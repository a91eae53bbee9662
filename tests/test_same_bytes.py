"""The same rows give the same bytes, whatever the pieces they were written in (a DuckDB reader's batches vary with
its threads). The whole workflow on 1 thread against 2 is tests/test_slurm.py's comparison."""

import hashlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from valuechain.glue.provenance import CODES, TableWriter, encode_codes

ROWS = 23


def rows() -> pa.Table:
    rng = np.random.default_rng(7)
    table = pa.table({"country": rng.choice(["BRA", "USA", "CHN", "DEU"], ROWS),
                      "hs": rng.choice(["8703", "8708", "2709"], ROWS),
                      "value": rng.random(ROWS)})
    return encode_codes(table, ["country", "hs"])


def written(path, pieces, row_group=5) -> bytes:
    with TableWriter(path, {"valuechain.rule": "x"}, row_group=row_group) as out:
        for piece in pieces:
            out.write(piece)
    return path.read_bytes()


def cut(table: pa.Table, sizes) -> list[pa.Table]:
    """``table`` in pieces of the given sizes (the last piece takes the rest), each encoded on its own as a
    DuckDB batch is."""
    bounds = np.cumsum([0, *sizes])
    bounds = [int(b) for b in bounds if b < len(table)] + [len(table)]
    return [encode_codes(table.slice(a, b - a).cast(pa.schema([("country", pa.string()), ("hs", pa.string()),
                                                                ("value", pa.float64())])), ["country", "hs"])
            for a, b in zip(bounds[:-1], bounds[1:])]


@settings(max_examples=40)
@given(sizes=st.lists(st.integers(1, ROWS), min_size=1, max_size=8))
def test_the_file_depends_on_the_rows_not_on_the_pieces(tmp_path_factory, sizes):
    table = rows()
    folder = tmp_path_factory.mktemp("pieces")
    one = written(folder / "one.parquet", [table])
    pieces = written(folder / "pieces.parquet", cut(table, sizes))
    assert hashlib.sha256(pieces).hexdigest() == hashlib.sha256(one).hexdigest()
    back = pq.ParquetFile(folder / "pieces.parquet")
    assert [back.metadata.row_group(i).num_rows for i in range(back.num_row_groups)] == [5, 5, 5, 5, 3]
    assert back.read().to_pydict() == table.to_pydict()


def test_a_table_written_at_once_keeps_its_categories_and_their_order(tmp_path):
    """A pandas categorical's categories (order, unused ones) survive a one-piece write, as before."""
    df = pd.DataFrame({"hs": pd.Categorical(["8708", "0101"], categories=["9999", "8708", "0101"]), "v": [1.0, 2.0]})
    with TableWriter(tmp_path / "t.parquet", {}) as out:
        out.write(df)
    back = pd.read_parquet(tmp_path / "t.parquet")
    assert list(back["hs"].cat.categories) == ["9999", "8708", "0101"]
    assert pq.read_schema(tmp_path / "t.parquet").field("hs").type == pa.dictionary(pa.int8(), pa.string())


def test_a_row_group_of_several_pieces_holds_only_its_own_values_in_order_of_appearance(tmp_path):
    table = pa.table({"hs": pa.array(["b", "a", "b", "c", "a", "d"]).cast(CODES)})
    written(tmp_path / "t.parquet", [table.slice(0, 3), table.slice(3)], row_group=4)
    groups = pq.ParquetFile(tmp_path / "t.parquet")
    first = groups.read_row_group(0).column("hs").chunk(0)
    second = groups.read_row_group(1).column("hs").chunk(0)
    assert first.dictionary.to_pylist() == ["b", "a", "c"] and second.dictionary.to_pylist() == ["a", "d"]


def test_only_empty_pieces_give_a_file_with_the_schema(tmp_path):
    empty = pa.table({"hs": pa.array([], pa.string()), "value": pa.array([], pa.float64())})
    written(tmp_path / "t.parquet", [empty, empty])
    assert pq.read_table(tmp_path / "t.parquet").schema.names == ["hs", "value"]
