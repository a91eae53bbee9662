import numpy as np
import pandas as pd
import pytest

from valuechain.trade.rca import balassa_rca, country_rca_table, rca_table, trade_matrices


def test_balassa_hand_example():
    # totals: rows 10, 10, 0; columns 15, 5; world 20.
    X = np.array([[10.0, 0.0], [5.0, 5.0], [0.0, 0.0]])
    expected = np.array([[(10 / 10) / (15 / 20), 0.0], [(5 / 10) / (15 / 20), (5 / 10) / (5 / 20)], [0.0, 0.0]])
    np.testing.assert_allclose(balassa_rca(X), expected)
    np.testing.assert_allclose(balassa_rca(X)[:2], [[4 / 3, 0], [2 / 3, 2]])


def _trade():
    rows = [
        # flow, country, region, partner, hs, value
        ("export", "AAA", "r1", "XXX", "0101", 10.0),
        ("export", "AAA", "r2", "XXX", "0101", 3.0),
        ("export", "AAA", "r2", "YYY", "0101", 2.0),  # summed over partners: r2 exports 5 of 0101
        ("export", "AAA", "r2", "XXX", "0202", 5.0),
        ("import", "AAA", "r1", "XXX", "0202", 4.0),
        ("import", "AAA", "r2", "XXX", "0101", 1.0),
        ("import", "AAA", "r2", "XXX", "0202", 1.0),
    ]
    return pd.DataFrame(rows, columns=["flow", "country", "region", "partner", "hs", "value"])


def test_outer_keeps_zeros_and_inner_drops_one_sided_pairs():
    exp, imp = trade_matrices(_trade(), "outer")
    np.testing.assert_allclose(exp.to_numpy(), [[10, 0], [5, 5]])
    np.testing.assert_allclose(imp.to_numpy(), [[0, 4], [1, 1]])
    exp_i, imp_i = trade_matrices(_trade(), "inner")
    # r1 has 0101 only as export and 0202 only as import: both pairs leave; r2 keeps both products.
    assert list(exp_i.index.get_level_values("region")) == ["r2"]
    np.testing.assert_allclose(exp_i.to_numpy(), [[5, 5]])
    np.testing.assert_allclose(imp_i.to_numpy(), [[1, 1]])


def test_rca_table_columns_and_values():
    t = rca_table(_trade(), "outer").set_index(["region", "hs"])
    assert t.loc[("r1", "0101"), "rca_export"] == pytest.approx(4 / 3)
    assert t.loc[("r2", "0202"), "rca_export"] == pytest.approx(2.0)
    # imports: rows 4, 2; columns 1, 5; world 6.
    assert t.loc[("r1", "0202"), "rca_import"] == pytest.approx((4 / 4) / (5 / 6))
    assert t.loc[("r2", "0101"), "rca_import"] == pytest.approx((1 / 2) / (1 / 6))
    assert t.loc[("r1", "0101"), "rca_import"] == 0.0


def test_unknown_reconcile_mode():
    with pytest.raises(ValueError, match="reconcile"):
        trade_matrices(_trade(), "left")


def test_country_rca_sums_the_regions_of_each_country():
    """Two countries: AAA's regions r1, r2 summed (exports 0101: 15, 0202: 5), BBB's one region (0202: 10).
    World exports: 0101 15, 0202 15, total 30; AAA's RCA of 0101 = (15/20)/(15/30) = 1.5, BBB's of 0202 = 2."""
    trade = pd.concat([_trade(), pd.DataFrame([("export", "BBB", "b1", "XXX", "0202", 10.0),
                                               ("import", "BBB", "b1", "XXX", "0101", 2.0)],
                                              columns=_trade().columns)], ignore_index=True)
    table = country_rca_table(trade).set_index(["country", "hs"])
    assert (table["region"] == table.index.get_level_values("country")).all()
    assert table.loc[("AAA", "0101"), "export"] == 15.0 and table.loc[("AAA", "0202"), "export"] == 5.0
    assert table.loc[("AAA", "0101"), "rca_export"] == pytest.approx(1.5)
    assert table.loc[("BBB", "0202"), "rca_export"] == pytest.approx(2.0)
