"""Fine-tuning on ICIO tables (valuechain.links.finetune): a hand-made 3-country x 3-industry table worked out by hand,
split-country merging on the cleaned table, and the batched grid against a brute-force loop over
``rank_candidates``."""

from __future__ import annotations

from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from valuechain.icio import tables as icio
from valuechain.links import finetune as ft
from valuechain.links import yardstick
from valuechain.links.bf import Thresholds, cooccurrence_counts, rank_candidates

ROOT = Path(__file__).resolve().parents[1]
OECD = ROOT / "tests" / "fixtures" / "oecd_icio_small.csv"

# Foreign flows of the hand-made table (supplier -> user):
#   A_x -> B_y 4,  A_x -> C_z 2,  A_y -> B_x 1,  B_y -> A_z 3,  B_z -> C_x 2,  C_x -> A_y 2,  C_z -> B_y 2
# Domestic flows, which must be ignored: A_x -> A_y 100, B_z -> B_z 50, C_y -> C_y 7.
FOREIGN = {("A", "x", "B", "y"): 4, ("A", "x", "C", "z"): 2, ("A", "y", "B", "x"): 1, ("B", "y", "A", "z"): 3,
           ("B", "z", "C", "x"): 2, ("C", "x", "A", "y"): 2, ("C", "z", "B", "y"): 2}
DOMESTIC = {("A", "x", "A", "y"): 100, ("B", "z", "B", "z"): 50, ("C", "y", "C", "y"): 7}


def hand_z(flows: dict, countries=("A", "B", "C")) -> pd.DataFrame:
    idx = pd.MultiIndex.from_product([list(countries), ["x", "y", "z"]], names=["country", "industry"])
    Z = pd.DataFrame(0.0, index=idx, columns=idx)
    for (c, i, d, j), v in flows.items():
        Z.loc[(c, i), (d, j)] += v
    return Z


def test_specialisation_by_hand():
    spec = yardstick.specialisation(hand_z(FOREIGN | DOMESTIC)).set_index(["country", "industry"])
    # exports (row sums of foreign flows):  A: x 4+2=6, y 1, z 0 | B: x 0, y 3, z 2 | C: x 2, y 0, z 2  (total 16)
    assert spec["export"].tolist() == [6, 1, 0, 0, 3, 2, 2, 0, 2]
    # imports (what each country buys of industry i abroad):
    #   A: x 2 (C_x), y 3 (B_y), z 0 | B: x 4 (A_x), y 1 (A_y), z 2 (C_z) | C: x 2 (A_x), y 0, z 2 (B_z)
    assert spec["import"].tolist() == [2, 3, 0, 4, 1, 2, 2, 0, 2]
    # export RCA = X * 16 / (country total * industry total); country totals A 7, B 5, C 4; industry x 8, y 4, z 4:
    #   A_x 6*16/(7*8) = 12/7, A_y 1*16/(7*4) = 4/7, B_y 3*16/(5*4) = 2.4, B_z 2*16/(5*4) = 1.6,
    #   C_x 2*16/(4*8) = 1, C_z 2*16/(4*4) = 2
    np.testing.assert_allclose(spec["rca_export"], [12 / 7, 4 / 7, 0, 0, 2.4, 1.6, 1, 0, 2])
    # import RCA; country totals A 5, B 7, C 4; industry x 8, y 4, z 4:
    #   A_x 2*16/(5*8) = 0.8, A_y 3*16/(5*4) = 2.4, B_x 4*16/(7*8) = 8/7, B_y 1*16/(7*4) = 4/7,
    #   B_z 2*16/(7*4) = 8/7, C_x 2*16/(4*8) = 1, C_z 2*16/(4*4) = 2
    np.testing.assert_allclose(spec["rca_import"], [0.8, 2.4, 0, 8 / 7, 4 / 7, 8 / 7, 1, 0, 2])


def test_trade_intensity_labels_by_hand():
    lab = yardstick.trade_intensity_labels(hand_z(FOREIGN | DOMESTIC)).set_index(["input", "output"])
    # X[i, j] over foreign flows: x->y 4 + 2 = 6, x->z 2, y->x 1, y->z 3, z->x 2, z->y 2; diagonal 0.
    #   row sums x 8, y 4, z 4; column sums x 3, y 8, z 5; total 16.
    assert lab["flow"].tolist() == [0, 6, 2, 1, 0, 3, 2, 2, 0]
    # TI = X * 16 / (row sum * column sum):
    #   x->y 96/64 = 1.5, x->z 32/40 = 0.8, y->x 16/12 = 4/3, y->z 48/20 = 2.4, z->x 32/12 = 8/3, z->y 32/32 = 1
    np.testing.assert_allclose(lab["ti"], [0, 1.5, 0.8, 4 / 3, 0, 2.4, 8 / 3, 1, 0])
    # TI >= 1 is true (z->y sits exactly on 1); x->z (0.8) and the diagonal are false.
    assert lab["label"].tolist() == [False, True, False, True, False, True, True, True, False]
    L = yardstick.label_matrix(lab.reset_index(), ["x", "y", "z"])
    assert yardstick.base_rate(L) == 5 / 6


def test_split_countries_merged_on_the_cleaned_table():
    # Country A reported in two parts A1, A2 (like CN1/CN2): A_x -> B_y 4 = 3 (A1) + 1 (A2), A_x -> C_z 2 from A2,
    # C_x -> A_y 2 = 1 to A1 + 1 to A2, plus a flow A1_x -> A2_y 5 between the parts, domestic once merged.
    flows = {k: v for k, v in FOREIGN.items() if "A" not in (k[0], k[2])}
    flows |= {("A1", "x", "B", "y"): 3, ("A2", "x", "B", "y"): 1, ("A2", "x", "C", "z"): 2, ("A1", "y", "B", "x"): 1,
              ("B", "y", "A2", "z"): 3, ("C", "x", "A1", "y"): 1, ("C", "x", "A2", "y"): 1, ("A1", "x", "A2", "y"): 5}
    Z = hand_z(flows, ("A1", "A2", "B", "C"))
    table = icio.IcioTable(Z=Z, Y=pd.DataFrame(index=Z.index), va=pd.Series(0.0, index=Z.index),
                           x=Z.sum(axis=1))
    cleaned = yardstick.clean_table(table, {"A1": "A", "A2": "A"}, ["ROW"], [])
    assert cleaned.countries == ["A", "B", "C"]
    assert cleaned.Z.loc[("A", "x"), ("A", "y")] == 0  # the A1 -> A2 flow is domestic and zeroed
    pd.testing.assert_frame_equal(yardstick.specialisation(cleaned.Z), yardstick.specialisation(hand_z(FOREIGN)))
    pd.testing.assert_frame_equal(yardstick.trade_intensity_labels(cleaned.Z), yardstick.trade_intensity_labels(hand_z(FOREIGN)))
    # unmerged, the flow between the parts counts as trade: A1_x exports 3 (to B_y) + 5 (to A2_y) = 8
    raw = yardstick.specialisation(Z).set_index(["country", "industry"])
    assert raw.loc[("A1", "x"), "export"] == 8


def test_oecd_fixture_prepared():
    t = yardstick.prepare_tables([str(OECD)], "oecd", icio.DEFAULT_SPLIT_COUNTRIES, ["ROW"], ["D97T98"])
    assert t.countries == ["AUS", "CHN", "MEX"] and t.industries == ["D01T02", "D10T12"]
    raw = pd.read_csv(OECD, index_col=0)
    # CHN exports of D01T02: CN1 and CN2 rows into AUS and MX1/MX2 columns (not CN1 <-> CN2, not ROW).
    cols = [f"{c}_{j}" for c in ("AUS", "MX1", "MX2") for j in ("D01T02", "D10T12")]
    spec = yardstick.specialisation(t.Z).set_index(["country", "industry"])
    assert spec.loc[("CHN", "D01T02"), "export"] == raw.loc[["CN1_D01T02", "CN2_D01T02"], cols].to_numpy().sum()


def test_bad_flows_rejected():
    Z = hand_z(FOREIGN)
    Z.loc[("B", "y"), ("A", "z")] = -1.0
    with pytest.raises(ValueError, match=r"negative intermediate flows, in rows \['B_y'\]"):
        yardstick.specialisation(Z)


def brute_force_grid(E, I, L, values, k, n_candidates):
    """One rank_candidates call per combination, counts recomputed every time."""
    rows = []
    for t1, t2, t3, t4 in product(values, repeat=4):
        r = rank_candidates(cooccurrence_counts(E, I, t1, t2), cooccurrence_counts(I, E, t3, t4), n_candidates)
        top = r["rank"] <= k
        hits = L[r["input"][top], r["output"][top]]
        rows.append((t1, t2, t3, t4, int(top.sum()), int(hits.sum()), len(set(r["output"][top]))))
    return pd.DataFrame(rows, columns=["t1", "t2", "t3", "t4", "n_predicted", "n_true", "n_outputs"])


@pytest.mark.parametrize("n_candidates", [240, 4])
def test_grid_equals_brute_force(n_candidates):
    rng = np.random.default_rng(3)
    n_loc, n_ind = 15, 8
    # RCA on a coarse lattice, so that counts tie often and the tie-breaking is exercised
    E = rng.choice([0.0, 0.5, 1.2, 1.7, 2.2, 3.0], size=(n_loc, n_ind))
    I = rng.choice([0.0, 0.5, 1.2, 1.7, 2.2, 3.0], size=(n_loc, n_ind))
    L = rng.random((n_ind, n_ind)) < 0.4
    np.fill_diagonal(L, False)
    values = (1.0, 1.5, 2.0, 2.5)
    counts = ft.grid_search(E, I, L, values, k=3, n_candidates=n_candidates, chunk_elements=700)  # several chunks
    grid = ft.grid_table(counts)
    brute = brute_force_grid(E, I, L, values, 3, n_candidates)
    pd.testing.assert_frame_equal(grid[brute.columns], brute, check_dtype=False)
    best = ft.best_combination(grid)
    brute["precision"] = brute["n_true"] / brute["n_predicted"]
    top = brute[brute["n_predicted"] > 0].sort_values(
        ["precision", "n_true", "t1", "t2", "t3", "t4"], ascending=[False, False, True, True, True, True]
    ).iloc[0]
    assert best[["t1", "t2", "t3", "t4"]].tolist() == top[["t1", "t2", "t3", "t4"]].tolist()
    assert best["precision"] == top["precision"]
    # the labelled links at the best thresholds agree with the grid's counts
    links = ft.top_links(E, I, L, [f"i{j}" for j in range(n_ind)], Thresholds.from_mapping(best), 3, n_candidates)
    assert (len(links), int(links["label"].sum())) == (best["n_predicted"], best["n_true"])


def test_best_combination_coverage_and_empty():
    grid = pd.DataFrame(
        {"t1": [1.0, 2.0, 1.0], "t2": 1.0, "t3": 1.0, "t4": [1.0, 1.0, 2.0], "n_predicted": [3, 6, 0],
         "n_true": [3, 4, 0], "precision": [1.0, 4 / 6, np.nan], "n_outputs": [1, 2, 0]}
    )
    assert ft.best_combination(grid)["t1"] == 1.0
    assert ft.best_combination(grid, min_outputs=2)["t1"] == 2.0
    with pytest.raises(ValueError, match="at least 3 output industries .most covered: 2"):
        ft.best_combination(grid, min_outputs=3)


def test_heldout_schemes():
    rng = np.random.default_rng(5)
    E, I = rng.lognormal(0, 1, (20, 10)), rng.lognormal(0, 1, (20, 10))
    L = rng.random((10, 10)) < 0.3
    np.fill_diagonal(L, False)
    values = (1.0, 2.0, 3.0)
    counts = ft.grid_search(E, I, L, values)
    folds = ft.heldout_industry_folds(counts, L, folds=5, seed=0)
    assert list(folds["fold"]) == ["0", "1", "2", "3", "4", "pooled"]
    per_fold = folds.iloc[:5]
    assert folds.iloc[5]["heldout_true"] == per_fold["heldout_true"].sum()
    assert folds.iloc[5]["heldout_base_rate"] == yardstick.base_rate(L)
    # each fold is scored on 2 outputs with 3 links each when all outputs have candidates
    assert per_fold["scored_on"].eq("2 outputs").all()
    assert per_fold["heldout_predicted"].eq(6).all() and folds.iloc[5]["heldout_predicted"] == 30
    # tuning and scoring on the same data gives back the in-sample best
    same = ft.heldout_years((E, I, L), (E, I, L), "a", "a", values)
    best = ft.best_combination(ft.grid_table(counts))
    assert same.iloc[0]["heldout_precision"] == best["precision"] == same.iloc[0]["tune_precision"]
    with pytest.raises(ValueError, match="differ in shape"):
        ft.heldout_years((E, I, L), (E[:, :5], I[:, :5], L[:5, :5]), "a", "b", values)


def test_the_threshold_choice_links_enough_outputs_and_reports_the_unconstrained_best():
    """Of two combinations, the more precise one links 1 of 3 output industries: with min_output_share 0.6 the other
    (2 of 3) is chosen, and the more precise one is reported beside it; the held-out rows of both schemes follow."""
    from valuechain.links.finetune import threshold_choice

    grid = pd.DataFrame({"t1": [1.0, 2.0], "t2": [1.0, 2.0], "t3": [1.0, 2.0], "t4": [1.0, 2.0],
                         "precision": [0.5, 0.9], "recall": [0.4, 0.1], "n_predicted": [6, 1], "n_true": [3, 1],
                         "n_outputs": [2, 1]})
    heldout = pd.DataFrame({"scheme": ["years", "industries", "industries"], "fold": ["-", "0", "pooled"],
                            "tuned_on": ["2009", "folds 1-4", "other folds"], "scored_on": ["2011", "fold 0", "all"],
                            "heldout_precision": [0.45, 0.3, 0.4], "heldout_true": [9, 3, 12],
                            "heldout_predicted": [20, 10, 30], "heldout_base_rate": [0.1, 0.1, 0.1]})
    labels = pd.DataFrame({"input": ["a", "b", "c", "a"], "output": ["b", "c", "a", "c"], "label": [1, 0, 1, 0]})
    out = threshold_choice(grid, heldout, labels, 0.6, {"source": "wiod", "k": 3})
    assert out["thresholds"] == {"t1": 1.0, "t2": 1.0, "t3": 1.0, "t4": 1.0} and out["precision"] == 0.5
    assert out["unconstrained_best"]["precision"] == 0.9
    assert out["in_sample"]["n_industries"] == 3 and out["in_sample"]["combinations"] == 2
    assert [h["scheme"] for h in out["heldout"]] == ["years", "industries"]  # the pooled folds, not each fold


def test_an_atomic_write_leaves_nothing_half_written(tmp_path):
    from valuechain.glue.provenance import write_atomic

    path = write_atomic(tmp_path / "sub" / "x.json", '{"a": 1}')
    write_atomic(path, b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01" and [p.name for p in path.parent.iterdir()] == ["x.json"]
