"""The annotated links: reference labels, the held-out estimated precision and each method's rank, worked by hand."""

import numpy as np
import pandas as pd
import pytest

from valuechain.links import annotate as an
from valuechain.links.evidence import product_folds


def test_reference_labels_true_false_and_unscorable():
    links = pd.DataFrame({"output": ["8703", "8703", "8703", "0101"], "input": ["8708", "4011", "9999", "8703"]})
    product_io = pd.DataFrame({"output": ["8703", "8703"], "input": ["8708", "4011"], "share": [0.12, 0.004],
                               "label": [True, False]})
    coverage = pd.DataFrame({"product": ["8703", "8708", "4011", "9999", "0101"],
                             "scorable": [True, True, True, False, True]})
    got = an.reference_labels(links, product_io, coverage)
    assert got["reference"].tolist() == ["true", "false", "unscorable", "false"]
    # 0101 <- 8703 has no row in product_io (no positive share): scorable, share 0
    assert got["reference_share"].tolist()[:2] == [0.12, 0.004] and np.isnan(got["reference_share"][2])
    assert got["reference_share"][3] == 0.0


def _outputs(n_per_fold: int) -> np.ndarray:
    """Output codes, ``n_per_fold`` in each of the 5 folds (folds by HS4 heading)."""
    codes = [f"{h:04d}" for h in range(1000, 3000)]
    fold = product_folds(codes, an.FOLDS)
    return np.concatenate([np.array(codes)[fold == f][:n_per_fold] for f in range(an.FOLDS)])


def test_precision_is_the_share_confirmed_among_links_of_that_strength_on_other_outputs():
    outputs = np.repeat(_outputs(8), 3)  # 40 outputs, 3 links each: 120 links
    strength = np.tile([0.9, 0.5, 0.1], 40)
    # strong links always confirmed, middle ones half the time (alternating outputs), weak ones never
    reference = np.tile(["true", "true", "false"], 40).astype(object)
    reference[1::6] = "false"
    got = an.heldout_precision(strength, reference, outputs)
    # each fold reads the 32 links of each strength of the other four folds: 32 of 32 strong ones confirmed,
    # none of the weak ones, smoothed by one confirmed and one rejected link
    assert np.allclose(got[0::3], 33 / 34) and np.allclose(got[2::3], 1 / 34)
    assert np.all((got[1::3] > 0.3) & (got[1::3] < 0.7))


def test_a_links_own_label_does_not_move_its_estimate():
    rng = np.random.default_rng(0)
    outputs = np.repeat(_outputs(10), 3)
    strength = rng.random(len(outputs))
    reference = np.where(rng.random(len(outputs)) < strength, "true", "false").astype(object)
    before = an.heldout_precision(strength, reference, outputs)
    flipped = reference.copy()
    flipped[7] = "false" if reference[7] == "true" else "true"
    after = an.heldout_precision(strength, flipped, outputs)
    fold = product_folds(outputs, an.FOLDS)
    assert after[7] == before[7]  # fitted on the other folds only
    assert np.array_equal(after[fold == fold[7]], before[fold == fold[7]])
    assert not np.array_equal(after, before)  # the other folds' estimates do see it


def test_unscorable_links_read_the_fit_on_every_scorable_link_and_too_few_labels_give_none():
    outputs = np.repeat(_outputs(8), 3)
    strength = np.tile([0.9, 0.5, 0.1], 40)
    reference = np.tile(["true", "unscorable", "false"], 40).astype(object)
    got = an.heldout_precision(strength, reference, outputs)
    assert np.allclose(got[0::3], 33 / 34) and np.allclose(got[2::3], 1 / 34)
    assert np.allclose(got[1::3], 1 / 42)  # between two steps: the lower one, fitted on all 40 rejected links
    few = reference.copy()
    few[2::3][an.MIN_CALIBRATION_LINKS - 1:] = "unscorable"  # 19 rejected links: too few to fit on
    assert np.isnan(an.heldout_precision(strength, few, outputs)).all()


def test_method_ranks_and_the_annotated_columns():
    links = pd.DataFrame({"output": ["8703", "8703"], "input": ["8708", "4011"], "rank": [1, 2], "score": [2.0, 1.0],
                          "confidence": [0.99, 0.98], "method": ["fused", "fused"]})
    methods = {"regional": pd.DataFrame({"output": ["8703"], "input": ["4011"], "rank": [3]}),
               "world": pd.DataFrame({"output": ["8703", "8703"], "input": ["8708", "4011"], "rank": [2, 1]})}
    product_io = pd.DataFrame({"output": ["8703"], "input": ["8708"], "share": [0.1], "label": [True]})
    coverage = pd.DataFrame({"product": ["8703", "8708", "4011"], "scorable": [True, True, True]})
    got = an.annotate_links(links, pd.Series({"8703": "Cars", "8708": "Parts of motor vehicles"}), product_io,
                            coverage, methods, "fused")
    assert list(got.columns) == [*an.ANNOTATED_COLUMNS, "rank_regional", "rank_world"]
    assert got["rank_regional"].tolist() == [pd.NA, 3] and got["rank_world"].tolist() == [2, 1]
    assert got["input_name"].tolist() == ["Parts of motor vehicles", ""]
    assert got["reference"].tolist() == ["true", "false"] and got["estimated_precision"].isna().all()  # 2 links: too few


@pytest.mark.parametrize("columns, expected", [
    ({"confidence": [0.2, 0.9]}, [0.2, 0.9]),
    ({"pvalue": [0.01, 0.001]}, [-0.01, -0.001]),
    ({}, [-1.0, -2.0]),
])
def test_link_strength_of_each_kind_of_network(columns, expected):
    links = pd.DataFrame({"output": ["a", "a"], "input": ["b", "c"], "rank": [1, 2], **columns})
    assert an.link_strength(links).tolist() == expected
