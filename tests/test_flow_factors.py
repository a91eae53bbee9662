"""The flows from their three factors (valuechain.flows.factors) are the allocation's rows, every number equal."""

import duckdb
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from valuechain.flows.allocation import FLOW_COLUMNS, allocate_chunk, link_matrix, prepare
from valuechain.flows.factors import FLOWS_SQL, flow_factors

KEYS = ["input", "output", "country_from", "region_from", "country_to", "region_to"]


def world(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random regional trade of 3 countries (a region name repeated across countries, as "Unknown" is in real
    data), 6 products, a partner without regions, and random links."""
    rng = np.random.default_rng(seed)
    regions = [("AAA", "a1"), ("AAA", "a2"), ("AAA", "x"), ("BBB", "b1"), ("BBB", "x"), ("CCC", "c1")]
    products = [f"{p:02d}" for p in range(1, 7)]
    rows = [(flow, c, r, partner, p, float(rng.integers(1, 100)))
            for flow in ("export", "import") for c, r in regions for partner in ("AAA", "BBB", "CCC", "ZZZ")
            for p in products if partner != c and rng.random() < 0.6]
    trade = pd.DataFrame(rows, columns=["flow", "country", "region", "partner", "hs", "value"])
    links = pd.DataFrame([(i, o) for i in products for o in products if i != o and rng.random() < 0.3],
                         columns=["input", "output"])
    return trade, links


def factored(data, L, inputs, min_value) -> pd.DataFrame:
    with duckdb.connect() as con:
        for name, table in flow_factors(data, L, inputs).items():
            con.register(name, table.astype({c: str for c in KEYS if c in table.columns}))
        return con.sql(FLOWS_SQL.format(min_value=float(min_value))).df()


def ordered(flows: pd.DataFrame) -> pd.DataFrame:
    flows = flows.astype({c: str for c in KEYS})[FLOW_COLUMNS]
    return flows.sort_values(KEYS).reset_index(drop=True)


@settings(max_examples=25)
@given(seed=st.integers(0, 10_000), min_value=st.sampled_from([0.0, 5.0, 30.0]))
def test_the_factors_give_every_row_of_the_allocation_exactly(seed, min_value):
    trade, links = world(seed)
    data = prepare(trade)
    L = link_matrix(links, data.products)
    inputs = np.flatnonzero(L.any(axis=1))
    want = ordered(allocate_chunk(data, L, inputs, min_value))
    got = ordered(factored(data, L, inputs, min_value))
    assert len(want) > 0 or min_value > 0
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_the_factor_tables_grow_with_regions_not_with_pairs_of_regions():
    trade, links = world(3)
    data = prepare(trade)
    L = link_matrix(links, data.products)
    inputs = np.flatnonzero(L.any(axis=1))
    tables = flow_factors(data, L, inputs)
    n_p, n_r, n_c = len(data.products), len(data.regions), len(data.countries)
    assert len(tables["exporters"]) <= n_p * n_r * n_c and len(tables["importers"]) <= n_p * n_r * n_c
    assert len(tables["users"]) <= int(L.sum()) * n_r
    assert not (tables["exporters"]["country_from"] == tables["exporters"]["country_to"]).any()
    assert not (tables["importers"]["country_from"] == tables["importers"]["country_to"]).any()
