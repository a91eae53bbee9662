"""Backward & Forward on hand-made examples; every number below is worked out in the comments."""

import numpy as np
import pandas as pd
import pytest

from valuechain.links.bf import (
    Thresholds,
    backward_forward,
    dense_rank_desc,
    random_baseline,
    rank_candidates,
    top_k,
)
from valuechain.links.naive import naive_backward_forward

PRODUCTS = ["01", "02", "03", "04"]  # A, B, C, D
# Specialisation (value 2 > threshold 1) of 5 locations.
E_BIN = np.array([[1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0], [1, 0, 1, 0], [0, 1, 0, 0]])
I_BIN = np.array([[0, 0, 1, 1], [0, 1, 1, 0], [1, 0, 0, 0], [0, 0, 1, 1], [1, 0, 0, 1]])
T1 = Thresholds(1, 1, 1, 1)


def _frames():
    idx = pd.MultiIndex.from_tuples([("AAA", f"L{i}") for i in range(1, 6)], names=["country", "region"])
    return (
        pd.DataFrame(2.0 * E_BIN, index=idx, columns=PRODUCTS),
        pd.DataFrame(2.0 * I_BIN, index=idx, columns=PRODUCTS),
    )


def test_dense_rank():
    np.testing.assert_array_equal(dense_rank_desc(np.array([[0, 1, 3, 2], [1, 0, 1, 2]])), [[4, 3, 1, 2], [2, 3, 2, 1]])


def test_hand_example_three_candidates():
    # Cb = E^T I:  A: (0,1,3,2)  B: (1,0,1,2)  C: (1,0,1,1)  D: (0,0,0,0)
    # Cf = I^T E:  A: (0,1,1,0)  B: (1,0,0,0)  C: (3,1,1,0)  D: (2,2,1,0)
    got = backward_forward(*_frames(), T1, n_candidates=3)
    expected = pd.DataFrame(
        [
            # output A: candidates C, D, B (first 3 by Cb); rb = 1, 2, 3; rf of A in rows C, D, B = 1, 1, 1.
            ("01", "03", 1, 2, 1, 1, 3, 3),
            ("01", "04", 2, 3, 2, 1, 2, 2),
            ("01", "02", 3, 4, 3, 1, 1, 1),
            # output B: D (Cb 2), then A and C tie at Cb 1 (code order): rb 1, 2, 2.
            # rf of B: row D (2,2,1,0) -> 1; row A (0,1,1,0) -> 1; row C (3,1,1,0) -> 2.
            ("02", "04", 1, 2, 1, 1, 2, 2),
            ("02", "01", 2, 3, 2, 1, 1, 1),
            ("02", "03", 3, 4, 2, 2, 1, 1),
            # output C: first 3 are A, C, D (all Cb 1, code order); C itself is dropped.
            # rf of C: row A (0,1,1,0) -> 1; row D (2,2,1,0) -> 2.
            ("03", "01", 1, 2, 1, 1, 1, 1),
            ("03", "04", 2, 3, 1, 2, 1, 1),
            # output D: no location over-exports it, no backward evidence, no candidates.
        ],
        columns=["output", "input", "rank", "score", "rb", "rf", "cb", "cf"],
    )
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_not_found_sits_at_last_rank():
    got = backward_forward(*_frames(), T1, n_candidates=4).set_index(["output", "input"])
    # output C, candidate B (4th by Cb): no location over-importing B over-exports C: Cf[B, C] = 0,
    # the last dense rank of row B (1,0,0,0), i.e. 2: the paper's "worst rank + 1".
    row = got.loc[("03", "02")]
    assert (row["cf"], row["rf"], row["rb"], row["score"], row["rank"]) == (0, 2, 2, 4, 3)
    # self-inputs never appear even when they are within the first n_candidates
    assert not any(o == i for o, i in got.index)


def test_ties_broken_by_rb_then_code():
    Cb = np.array([[0, 5, 5, 3, 3]] + [[0] * 5] * 4)
    Cf = np.array([[0] * 5, [1, 0, 0, 2, 0], [1, 0, 0, 2, 0], [4, 0, 0, 0, 0], [4, 1, 0, 0, 0]])
    r = rank_candidates(Cb, Cf, n_candidates=5)
    # all four candidates score 3: rb 1 (inputs 1, 2) before rb 2 (inputs 3, 4); equal rb -> code order.
    np.testing.assert_array_equal(r["input"], [1, 2, 3, 4])
    np.testing.assert_array_equal(r["score"], [3, 3, 3, 3])
    np.testing.assert_array_equal(r["rb"], [1, 1, 2, 2])
    np.testing.assert_array_equal(r["rank"], [1, 2, 3, 4])


def test_strict_thresholds():
    exp, imp = _frames()
    # at thresholds equal to the values (2 > 2 is false) nobody is specialised: no candidates.
    assert backward_forward(exp, imp, Thresholds(2, 2, 2, 2)).empty


def test_output_whose_exporters_import_nothing_gets_no_candidates():
    exp, imp = _frames()
    # t2 = 3: no location over-imports anything, so every Cb row is 0, although exporters exist.
    t = Thresholds(1, 3, 1, 1)
    assert backward_forward(exp, imp, t).empty
    long = pd.DataFrame({"location": np.repeat([r for _, r in exp.index], 4), "hs": np.tile(PRODUCTS, 5),
                         "rca_export": exp.to_numpy().ravel(), "rca_import": imp.to_numpy().ravel()})
    assert naive_backward_forward(long, t).empty


def test_top_k():
    got = top_k(backward_forward(*_frames(), T1, n_candidates=3), 2)
    assert got.groupby("output").size().to_dict() == {"01": 2, "02": 2, "03": 2}


def test_matches_naive_reference_on_random_world():
    rng = np.random.default_rng(7)
    n_loc, n_prod = 40, 25
    idx = pd.MultiIndex.from_tuples([("AAA", f"L{i:02d}") for i in range(n_loc)], names=["country", "region"])
    cols = [f"{i:04d}" for i in range(n_prod)]
    exp = pd.DataFrame(rng.lognormal(0, 1, (n_loc, n_prod)), index=idx, columns=cols)
    imp = pd.DataFrame(rng.lognormal(0, 1, (n_loc, n_prod)), index=idx, columns=cols)
    t = Thresholds(1.5, 1.2, 2.0, 1.5)
    fast = backward_forward(exp, imp, t, n_candidates=10)
    long = pd.DataFrame(
        {
            "location": np.repeat([r for _, r in idx], n_prod),
            "hs": np.tile(cols, n_loc),
            "rca_export": exp.to_numpy().ravel(),
            "rca_import": imp.to_numpy().ravel(),
        }
    )
    naive = naive_backward_forward(long, t, n_candidates=10)
    assert len(fast) > 100
    pd.testing.assert_frame_equal(fast, naive, check_dtype=False)


def test_random_baseline_seeded_and_excludes_self():
    a = random_baseline([f"{i:02d}" for i in range(30)], 3, seed=1)
    b = random_baseline([f"{i:02d}" for i in range(30)], 3, seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert (a["output"] != a["input"]).all()
    assert a.groupby("output")["input"].nunique().eq(3).all()
    assert not a.equals(random_baseline([f"{i:02d}" for i in range(30)], 3, seed=2))


def test_misaligned_inputs_rejected():
    exp, imp = _frames()
    with pytest.raises(ValueError, match="same locations"):
        backward_forward(exp, imp.iloc[:3], T1)
