"""Proportional allocation (paper eq. 2) on a hand example; every number is worked out in the comments."""

import numpy as np
import pandas as pd
import pytest

from valuechain.flows.allocation import allocate_chunk, input_chunks, link_flows, link_matrix, prepare

ROWS = [
    # flow, country, region, partner, hs, value
    ("export", "AAA", "a1", "BBB", "01", 30.0),  # a1's share of A's exports of 01 to B: 30/40 = 0.75
    ("export", "AAA", "a2", "BBB", "01", 10.0),  # a2's share: 0.25
    ("import", "BBB", "b1", "AAA", "01", 100.0),  # b1 imports 100 of 01 from A
    ("import", "BBB", "b1", "ZZZ", "01", 999.0),  # from a country without regions: not allocated
    ("export", "BBB", "b1", "AAA", "02", 60.0),  # b1 makes 02 (60), 03 (40) and 04 (100)
    ("export", "BBB", "b1", "ZZZ", "03", 40.0),
    ("export", "BBB", "b1", "ZZZ", "04", 100.0),
    ("import", "AAA", "a1", "AAA", "01", 5.0),  # a domestic pair must never appear
]


def _trade():
    return pd.DataFrame(ROWS, columns=["flow", "country", "region", "partner", "hs", "value"])


def _flows(links, min_value=0.0):
    data = prepare(_trade())
    L = link_matrix(pd.DataFrame(links, columns=["input", "output"]), data.products)
    out = allocate_chunk(data, L, np.flatnonzero(L.any(axis=1)), min_value)
    return out.set_index(["region_from", "region_to", "output"]).sort_index()


def test_single_link_point_and_bounds():
    f = _flows([("01", "02")])
    # s2 = 60 / (60 * L[01,02]) = 1, so the point estimate equals the upper bound s1 * M.
    assert f.loc[("a1", "b1", "02"), "value"] == pytest.approx(0.75 * 100)
    assert f.loc[("a2", "b1", "02"), "value"] == pytest.approx(0.25 * 100)
    assert f.loc[("a1", "b1", "02"), "upper"] == pytest.approx(75.0)
    # lower bound: L[01, .] = 1 for all, so s2 = 60 / (60 + 40 + 100) = 0.3.
    assert f.loc[("a1", "b1", "02"), "lower"] == pytest.approx(75 * 0.3)
    assert f.loc[("a2", "b1", "02"), "lower"] == pytest.approx(25 * 0.3)
    assert len(f) == 2  # nothing domestic, nothing from partners without regions


def test_two_outputs_share_the_imports():
    f = _flows([("01", "02"), ("01", "03")])
    # s2(02) = 60 / (60 + 40) = 0.6, s2(03) = 0.4: the point estimates split s1 * M.
    assert f.loc[("a1", "b1", "02"), "value"] == pytest.approx(75 * 0.6)
    assert f.loc[("a1", "b1", "03"), "value"] == pytest.approx(75 * 0.4)
    assert f.loc[("a1", "b1", "03"), "lower"] == pytest.approx(75 * 40 / 200)
    assert f.loc[("a1", "b1", "03"), "upper"] == pytest.approx(75.0)
    # the point estimates of a1 -> b1 add up to a1's share of b1's imports of 01
    assert f.xs(("a1", "b1"), level=(0, 1))["value"].sum() == pytest.approx(75.0)
    assert (f["lower"] <= f["value"]).all() and (f["value"] <= f["upper"]).all()


def test_outputs_the_region_does_not_make_get_no_rows_and_min_value_filters():
    f = _flows([("01", "05"), ("01", "02")])  # 05 is not a product of the data: ignored
    assert set(f.index.get_level_values("output")) == {"02"}
    f = _flows([("01", "02")], min_value=50.0)  # upper 25 < 50 is dropped, 75 kept
    assert list(f.index.get_level_values("region_from")) == ["a1"]


def test_chunks_hold_the_inputs_with_links_and_the_summary_sums_region_pairs():
    data = prepare(_trade())
    L = link_matrix(pd.DataFrame([("01", "02"), ("01", "03"), ("04", "02")], columns=["input", "output"]),
                    data.products)
    assert [c.tolist() for c in input_chunks(L, 1)] == [[0], [3]]  # products 01 and 04 (02, 03 have no outputs)
    assert [c.tolist() for c in input_chunks(L, 5)] == [[0, 3]]
    summary, countries, top = link_flows(allocate_chunk(data, L, np.array([0])), largest=1)
    summary = summary.set_index(["input", "output", "country_from", "country_to"])
    # a1 and a2 to b1: 02 gets 60 / 100 of (75 + 25), 03 gets 40 / 100 of it; two region pairs each
    assert summary.loc[("01", "02", "AAA", "BBB"), "value"] == pytest.approx(60.0)
    assert summary.loc[("01", "03", "AAA", "BBB"), "value"] == pytest.approx(40.0)
    assert summary.loc[("01", "03", "AAA", "BBB"), "upper"] == pytest.approx(100.0)
    assert summary.loc[("01", "03", "AAA", "BBB"), "lower"] == pytest.approx(100 * 40 / 200)
    assert summary["pairs"].tolist() == [2, 2]
    assert not isinstance(summary.index.get_level_values(0).dtype, pd.CategoricalDtype)  # plain strings
    # the largest pair of each link: a1 -> b1 (0.75 of the imports)
    assert top[["output", "region_from", "region_to"]].values.tolist() == [["02", "a1", "b1"], ["03", "a1", "b1"]]
    assert top["value"].tolist() == pytest.approx([45.0, 30.0])
    # one country pair per link here: the largest country pairs are the summary's rows
    pd.testing.assert_frame_equal(countries, summary.reset_index())
    # terms whose upper bound is under min_value are left out of the sums, as from the flows dataset: a2's 25
    summary, _, top = link_flows(allocate_chunk(data, L, np.array([0]), min_value=50.0), largest=5)
    assert summary["pairs"].tolist() == [1, 1] and summary["upper"].tolist() == [75.0, 75.0]
    assert set(top["region_from"]) == {"a1"}


def test_the_largest_region_pairs_break_ties_by_the_regions():
    # two exporters of equal size: their flows tie, and the region named first comes first
    trade = pd.DataFrame([("export", "AAA", "a2", "BBB", "01", 10.0), ("export", "AAA", "a1", "BBB", "01", 10.0),
                          ("import", "BBB", "b1", "AAA", "01", 100.0), ("export", "BBB", "b1", "AAA", "02", 5.0)],
                         columns=["flow", "country", "region", "partner", "hs", "value"])
    data = prepare(trade)
    L = link_matrix(pd.DataFrame([("01", "02")], columns=["input", "output"]), data.products)
    _, _, top = link_flows(allocate_chunk(data, L, np.array([0])), largest=1)
    assert top[["region_from", "value"]].values.tolist() == [["a1", 50.0]]


def test_no_links_means_no_chunks_and_an_empty_chunk_keeps_the_columns():
    data = prepare(_trade())
    L = link_matrix(pd.DataFrame({"input": pd.Series([], dtype="str"), "output": pd.Series([], dtype="str")}),
                    data.products)
    assert not L.any() and input_chunks(L, 5) == []
    empty = allocate_chunk(data, L, np.array([], dtype=np.int64))
    assert len(empty) == 0 and list(empty.columns) == ["input", "output", "country_from", "region_from",
                                                       "country_to", "region_to", "value", "lower", "upper"]
    # the same column types as a chunk with flows, so the empty file of a run without links reads like the others
    full = allocate_chunk(data, link_matrix(pd.DataFrame([("01", "02")], columns=["input", "output"]), data.products),
                          np.array([0]))
    assert empty.dtypes.equals(full.dtypes) and isinstance(empty["input"].dtype, pd.CategoricalDtype)


def test_the_blocks_are_linked_into_one_dataset_and_a_stale_temporary_is_removed(tmp_path):
    from valuechain.flows.allocation import gather_dataset

    for i, chapter in enumerate(["87", "40"]):
        d = tmp_path / "parts" / f"{i + 1}-of-2" / f"chapter={chapter}"
        d.mkdir(parents=True)
        (d / "part-0.parquet").write_bytes(f"block {i}".encode())
    stale = tmp_path / ".dataset.tmp-1"
    stale.mkdir()
    out = tmp_path / "dataset"
    n = gather_dataset(sorted((tmp_path / "parts").iterdir()), out)
    assert n == 2 and not stale.exists()
    assert (out / "chapter=87" / "part-0.parquet").read_bytes() == b"block 0"
    assert (out / "chapter=40" / "part-0.parquet").read_bytes() == b"block 1"
    assert (out / "chapter=87" / "part-0.parquet").stat().st_ino == (
        tmp_path / "parts" / "1-of-2" / "chapter=87" / "part-0.parquet").stat().st_ino  # linked, not rewritten
