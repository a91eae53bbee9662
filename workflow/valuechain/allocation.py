"""Proportional allocation of trade flows from region to region along input links (paper eq. 2, docs/method.md section 6).

For ``r1`` in country ``c1`` and ``r2`` in country ``c2 != c1``, both countries with regional data:

    X[r1, p1, r2, p2] = s1 * L[p1, p2] * s2 * M[c1, p1, r2]

- ``s1 = X_exp[r1, p1, c2] / sum_{r in c1} X_exp[r, p1, c2]``: r1's share of its country's exports of p1 to c2;
- ``M[c1, p1, r2]``: r2's imports of p1 from country c1;
- ``s2 = X_exp[r2, p2] / sum_{p2'} X_exp[r2, p2'] L[p1, p2']``: p2's share of r2's exports of the products
  that use p1 (``X_exp[r2, .]`` summed over partners).

Bounds (paper section 7): the upper bound puts all of r2's imports of p1 into p2 (``s2 = 1``, so it is
``s1 * M``); the lower bound sets ``L[p1, .] = 1`` for every product (``s2`` = p2's share of ALL of r2's
exports). The paper's notebook multiplies the upper bound by 100; this is the corrected one.

Choices made here (docs/method.md is silent): rows are written only inside the model's support, i.e. where the
point estimate is positive (r2 exports p2; a region cannot use p1 to make a product it does not make), so
the upper bound is given for those rows; rows whose upper bound is below ``min_value`` are not written.

The 4-D tensor is never materialised: :func:`allocate_chunk` works on a block of input products at a time,
with dense ``[products x regions x regions]`` arrays of the ``s1 * M`` base and a sparse expansion along
the links, and the rule writes each block to a partitioned Parquet dataset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

FLOW_COLUMNS = ["input", "output", "country_from", "region_from", "country_to", "region_to",
                "value", "lower", "upper"]


@dataclass
class AllocationData:
    """Trade arranged for allocation: dense arrays over the regions of countries with regional data.

    ``exp_to[p, r, c]``: exports of product p by region r to country c; ``imp_from[p, r, c]``: imports of p
    by r from c; ``exp_total[r, p]``: r's exports of p to everyone; ``region_country[r]``: country index.
    """

    products: np.ndarray
    regions: pd.DataFrame  # columns country, region, in index order
    countries: np.ndarray
    region_country: np.ndarray
    exp_to: np.ndarray
    imp_from: np.ndarray
    exp_total: np.ndarray


def prepare(trade: pd.DataFrame) -> AllocationData:
    """Arrange clean trade (``flow, country, region, partner, hs, value``) for :func:`allocate_chunk`."""
    regions = trade[["country", "region"]].drop_duplicates().sort_values(["country", "region"])
    regions = regions.reset_index(drop=True)
    countries = np.sort(regions["country"].unique())
    products = np.sort(trade["hs"].unique())
    r_idx = pd.MultiIndex.from_frame(regions).get_indexer(pd.MultiIndex.from_frame(trade[["country", "region"]]))
    p_idx = np.searchsorted(products, trade["hs"].to_numpy())
    c_idx = pd.Index(countries).get_indexer(trade["partner"])
    n_p, n_r, n_c = len(products), len(regions), len(countries)
    exp_to = np.zeros((n_p, n_r, n_c))
    imp_from = np.zeros((n_p, n_r, n_c))
    exp_total = np.zeros((n_r, n_p))
    is_exp = (trade["flow"] == "export").to_numpy()
    value = trade["value"].to_numpy()
    np.add.at(exp_total, (r_idx[is_exp], p_idx[is_exp]), value[is_exp])
    regional = c_idx >= 0  # partners without regional data cannot be the other end of a region pair
    for flag, target in ((is_exp, exp_to), (~is_exp, imp_from)):
        m = flag & regional
        np.add.at(target, (p_idx[m], r_idx[m], c_idx[m]), value[m])
    region_country = pd.Index(countries).get_indexer(regions["country"])
    return AllocationData(products, regions, countries, region_country, exp_to, imp_from, exp_total)


def link_matrix(links: pd.DataFrame, products: np.ndarray) -> np.ndarray:
    """Binary ``L[p1, p2]`` (p1 is an input of p2) over ``products``; links to unknown products are ignored."""
    L = np.zeros((len(products), len(products)), dtype=bool)
    i = np.searchsorted(products, links["input"].to_numpy())
    o = np.searchsorted(products, links["output"].to_numpy())
    ok = (i < len(products)) & (o < len(products))
    ok[ok] &= (products[i[ok]] == links["input"].to_numpy()[ok]) & (products[o[ok]] == links["output"].to_numpy()[ok])
    L[i[ok], o[ok]] = True
    return L


def allocate_chunk(data: AllocationData, L: np.ndarray, inputs: np.ndarray, min_value: float = 0.0) -> pd.DataFrame:
    """Flows for the input products with indices ``inputs``; columns :data:`FLOW_COLUMNS`."""
    rc = data.region_country
    exp_to = data.exp_to[inputs]  # [P, R, C]
    # Country totals of exports of p1 to c2 by all regions of c1: [P, C1, C2].
    membership = (rc[None, :] == np.arange(len(data.countries))[:, None]).astype(float)  # [C1, R]
    country_tot = np.einsum("cr,prk->pck", membership, exp_to)
    with np.errstate(divide="ignore", invalid="ignore"):
        s1 = np.where(exp_to > 0, exp_to / country_tot[:, rc, :], 0.0)  # [P, R1, C2]
    # base[p, r1, r2] = s1[p, r1, c(r2)] * M[p, r2, c(r1)], zero within a country.
    base = s1[:, :, rc] * data.imp_from[inputs][:, :, rc].transpose(0, 2, 1)
    base[:, rc[:, None] == rc[None, :]] = 0.0

    # Expand along the links p1 -> p2 where r2 exports p2 (the model's support).
    p_loc, r1, r2 = np.nonzero(base)
    b = base[p_loc, r1, r2]
    Lc = L[inputs]  # [P, P_all]
    link_rows, flat_outputs = np.nonzero(Lc)  # CSR-like: outputs of each input, row by row
    degree = np.bincount(link_rows, minlength=len(inputs))
    offsets = np.r_[0, np.cumsum(degree)]
    rep = degree[p_loc]
    p_loc_e, r1_e, r2_e, b_e = (np.repeat(a, rep) for a in (p_loc, r1, r2, b))
    within = np.arange(len(p_loc_e)) - np.repeat(np.cumsum(rep) - rep, rep)
    p2 = flat_outputs[offsets[p_loc_e] + within]

    x_r2p2 = data.exp_total[r2_e, p2]
    used = data.exp_total @ Lc.T.astype(float)  # [R, P]: sum_p2' X[r2, p2'] L[p1, p2']
    total = data.exp_total.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = np.where(x_r2p2 > 0, x_r2p2 / used[r2_e, p_loc_e], 0.0)
        s2_lower = np.where(x_r2p2 > 0, x_r2p2 / total[r2_e], 0.0)
    value = b_e * s2
    keep = (value > 0) & (b_e >= min_value)
    regions = data.regions
    p1 = np.asarray(inputs)[p_loc_e[keep]]
    r1k, r2k = r1_e[keep], r2_e[keep]
    return pd.DataFrame(
        {
            "input": data.products[p1],
            "output": data.products[p2[keep]],
            "country_from": regions["country"].to_numpy()[r1k],
            "region_from": regions["region"].to_numpy()[r1k],
            "country_to": regions["country"].to_numpy()[r2k],
            "region_to": regions["region"].to_numpy()[r2k],
            "value": value[keep],
            "lower": b_e[keep] * s2_lower[keep],
            "upper": b_e[keep],
        }
    )
