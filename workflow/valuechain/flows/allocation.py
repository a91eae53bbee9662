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

The 4-D tensor is never materialised: :func:`allocate_chunk` works on a block of input products at a time, pairs
each exporting region with the importing regions of its destination country (:func:`pair_bases`, sparse: memory
follows the pairs that trade, not regions squared) and expands them along the links; the rule writes each block to
a partitioned Parquet dataset.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

log = logging.getLogger(__name__)

FLOW_COLUMNS = ["input", "output", "country_from", "region_from", "country_to", "region_to",
                "value", "lower", "upper"]
KEY_COLUMNS = FLOW_COLUMNS[:6]
#: Columns of the flows' sums by link and country pair (``pairs``: the region pairs summed).
SUMMARY_COLUMNS = ["input", "output", "country_from", "country_to", "value", "lower", "upper", "pairs"]


@dataclass
class AllocationData:
    """Trade arranged for allocation, over the regions of countries with regional data.

    ``exp_to``: exports of product p by region r to country c, sparse, row p and column ``r * countries + c``
    (:meth:`exports_to` gives a block of products as a dense ``[p, r, c]`` array); ``imp_from``: imports of p by r
    from c, the same way (:meth:`imports_from`); ``exp_total[r, p]``: r's exports of p to everyone (dense);
    ``region_country[r]``: country index;
    ``region_names`` the sorted distinct region names and ``region_name[r]`` each region's index into them (so
    flows carry integer codes, not one Python string per row).
    """

    products: np.ndarray
    regions: pd.DataFrame  # columns country, region, in index order
    countries: np.ndarray
    region_country: np.ndarray
    exp_to: sp.csr_matrix
    imp_from: sp.csr_matrix
    exp_total: np.ndarray
    region_names: np.ndarray
    region_name: np.ndarray

    def exports_to(self, inputs: np.ndarray) -> np.ndarray:
        """``[len(inputs), regions, countries]``: exports of the products ``inputs`` by region to country."""
        return self._block(self.exp_to, inputs)

    def imports_from(self, inputs: np.ndarray) -> np.ndarray:
        """``[len(inputs), regions, countries]``: imports of the products ``inputs`` by region from country."""
        return self._block(self.imp_from, inputs)

    def _block(self, matrix: sp.csr_matrix, inputs: np.ndarray) -> np.ndarray:
        return matrix[np.asarray(inputs, dtype=np.int64)].toarray().reshape(len(inputs), len(self.regions),
                                                                             len(self.countries))


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``(categories, codes)`` of a column: from its categorical when it is one (as read from the dictionary-encoded
    clean table), else by factorising; categories sorted."""
    cat = values.astype("category").cat
    order = np.argsort(cat.categories.to_numpy(dtype=object).astype(str), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return cat.categories.to_numpy(dtype=object)[order].astype(str), rank[cat.codes.to_numpy()]


def prepare(trade: pd.DataFrame) -> AllocationData:
    """Arrange clean trade (``flow, country, region, partner, hs, value``) for :func:`allocate_chunk`; the work is
    on integer codes and sums by ``np.bincount``, so 20M rows take seconds."""
    countries_all, country = _codes(trade["country"])
    names_all, name = _codes(trade["region"])
    pair = country * len(names_all) + name  # (country, region) as one integer, ordered as the pairs sort
    pairs, r_idx = np.unique(pair, return_inverse=True)
    reg_country, reg_name = np.divmod(pairs, len(names_all))
    used_countries, region_country = np.unique(reg_country, return_inverse=True)
    countries = countries_all[used_countries]
    used_names, region_name = np.unique(reg_name, return_inverse=True)
    region_names = names_all[used_names]
    regions = pd.DataFrame({"country": countries[region_country], "region": region_names[region_name]})
    products, p_idx = _codes(trade["hs"])
    partners, partner = _codes(trade["partner"])
    c_idx = pd.Index(countries).get_indexer(partners)[partner]
    n_p, n_r, n_c = len(products), len(regions), len(countries)
    is_exp = (trade["flow"] == "export").to_numpy()
    value = trade["value"].to_numpy()
    exp_total = np.bincount(r_idx[is_exp] * n_p + p_idx[is_exp], value[is_exp], n_r * n_p).reshape(n_r, n_p)
    regional = c_idx >= 0  # partners without regional data cannot be the other end of a region pair
    exp_to, imp_from = (_sparse_sums(p_idx[m], r_idx[m] * n_c + c_idx[m], value[m], (n_p, n_r * n_c))
                        for m in (is_exp & regional, ~is_exp & regional))
    return AllocationData(products, regions, countries, region_country, exp_to, imp_from, exp_total, region_names,
                          region_name)


def _sparse_sums(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """The sums of ``values`` by cell as a CSR matrix; each cell adds its values in row order (``np.bincount``), as
    a dense sum would."""
    cells, where = np.unique(rows.astype(np.int64) * shape[1] + cols, return_inverse=True)
    sums = np.bincount(where, values, len(cells))
    return sp.csr_matrix((sums, np.divmod(cells, shape[1])), shape=shape)


def link_matrix(links: pd.DataFrame, products: np.ndarray) -> np.ndarray:
    """Binary ``L[p1, p2]`` (p1 is an input of p2) over ``products``; links to unknown products are ignored."""
    L = np.zeros((len(products), len(products)), dtype=bool)
    i = np.searchsorted(products, links["input"].to_numpy())
    o = np.searchsorted(products, links["output"].to_numpy())
    ok = (i < len(products)) & (o < len(products))
    ok[ok] &= (products[i[ok]] == links["input"].to_numpy()[ok]) & (products[o[ok]] == links["output"].to_numpy()[ok])
    L[i[ok], o[ok]] = True
    return L


def exporter_shares(data: AllocationData, inputs: np.ndarray) -> np.ndarray:
    """``s1[p, r1, c2]``: r1's share of its country's exports of the input product ``inputs[p]`` to country c2
    (0 where r1 exports none), as a ``[P, R, C]`` array."""
    rc = data.region_country
    exp_to = data.exports_to(inputs)  # [P, R, C]
    # Country totals of exports of p1 to c2 by all regions of c1: [P, C1, C2].
    membership = (rc[None, :] == np.arange(len(data.countries))[:, None]).astype(float)  # [C1, R]
    country_tot = np.einsum("cr,prk->pck", membership, exp_to)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(exp_to > 0, exp_to / country_tot[:, rc, :], 0.0)


def export_totals(data: AllocationData, Lc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The denominators of the output shares: ``used[r2, p] = sum_p2 X[r2, p2] L[p1, p2]``, r2's exports of the
    products that use the input ``p`` (rows ``Lc`` of the link matrix), and ``total[r2]``, all its exports."""
    return data.exp_total @ Lc.T.astype(float), data.exp_total.sum(axis=1)


def foreign_shares_and_imports(data: AllocationData, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``s1[p, r1, c2]`` (:func:`exporter_shares`) and ``M[p, r2, c1]`` (imports) of the input products ``inputs``,
    each ``[P, R, C]``, with a region's own country zeroed: the allocation has no domestic pairs."""
    own = data.region_country[:, None] == np.arange(len(data.countries))[None, :]  # [R, C]
    s1 = exporter_shares(data, inputs)
    s1[:, own] = 0.0
    imp = data.imports_from(inputs)
    imp[:, own] = 0.0
    return s1, imp


def pair_bases(data: AllocationData, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The region pairs with a positive ``base = s1[p, r1, c(r2)] * M[p, r2, c(r1)]`` for the input products
    ``inputs``, as ``(p, r1, r2, base)`` ordered by ``p, r1, r2`` (``p`` indexes ``inputs``), countries apart.

    Built sparsely: each exporting region's share is paired with the regions of the destination country that import
    from its country (a sort of the importers by input, their country and the exporting country, then one repeat),
    so memory follows the pairs that trade, not regions squared. Regions are numbered country by country, so the
    pairs come out in ``p, r1, r2`` order.
    """
    rc = data.region_country
    n_c = len(data.countries)
    s1, imp = foreign_shares_and_imports(data, inputs)
    p, r1, c2 = np.nonzero(s1)
    q, r2, c1 = np.nonzero(imp)
    # importers sorted by (input, their country, the exporting country), r2 ascending within a key
    key_imp = (q * n_c + rc[r2]) * n_c + c1
    order = np.lexsort((r2, key_imp))
    q_m = imp[q[order], r2[order], c1[order]]
    key_imp, r2 = key_imp[order], r2[order]
    key_exp = (p * n_c + c2) * n_c + rc[r1]
    lo = np.searchsorted(key_imp, key_exp, side="left")
    count = np.searchsorted(key_imp, key_exp, side="right") - lo
    idx = np.repeat(lo - np.cumsum(count) + count, count) + np.arange(count.sum())
    rep = lambda a: np.repeat(a, count)  # noqa: E731
    base = rep(s1[p, r1, c2]) * q_m[idx]
    pos = base > 0
    return rep(p)[pos], rep(r1)[pos], r2[idx][pos], base[pos]


def allocate_chunk(data: AllocationData, L: np.ndarray, inputs: np.ndarray, min_value: float = 0.0) -> pd.DataFrame:
    """Flows for the input products with indices ``inputs``; columns :data:`FLOW_COLUMNS`, codes categorical (their
    categories every product, country and region name of ``data``, so chunks share them)."""
    p_loc, r1, r2, b = pair_bases(data, inputs)

    # Expand along the links p1 -> p2 where r2 exports p2 (the model's support).
    Lc = L[inputs]  # [P, P_all]
    link_rows, flat_outputs = np.nonzero(Lc)  # CSR-like: outputs of each input, row by row
    degree = np.bincount(link_rows, minlength=len(inputs))
    offsets = np.r_[0, np.cumsum(degree)]
    rep = degree[p_loc]
    p_loc_e, r1_e, r2_e, b_e = (np.repeat(a, rep) for a in (p_loc, r1, r2, b))
    within = np.arange(len(p_loc_e)) - np.repeat(np.cumsum(rep) - rep, rep)
    p2 = flat_outputs[offsets[p_loc_e] + within]

    x_r2p2 = data.exp_total[r2_e, p2]
    used, total = export_totals(data, Lc)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = np.where(x_r2p2 > 0, x_r2p2 / used[r2_e, p_loc_e], 0.0)
        s2_lower = np.where(x_r2p2 > 0, x_r2p2 / total[r2_e], 0.0)
    value = b_e * s2
    keep = (value > 0) & (b_e >= min_value)
    p1 = np.asarray(inputs)[p_loc_e[keep]]
    r1k, r2k = r1_e[keep], r2_e[keep]
    code = pd.Categorical.from_codes
    return pd.DataFrame(
        {
            "input": code(p1, data.products),
            "output": code(p2[keep], data.products),
            "country_from": code(data.region_country[r1k], data.countries),
            "region_from": code(data.region_name[r1k], data.region_names),
            "country_to": code(data.region_country[r2k], data.countries),
            "region_to": code(data.region_name[r2k], data.region_names),
            "value": value[keep],
            "lower": b_e[keep] * s2_lower[keep],
            "upper": b_e[keep],
        }
    )


def input_chunks(L: np.ndarray, chunk_products: int) -> list[np.ndarray]:
    """The input products with at least one link, in order, cut into chunks of ``chunk_products``: the units of
    work and of files of the flows dataset, the same whatever the number of jobs that share them."""
    inputs = np.flatnonzero(L.any(axis=1))
    return [inputs[i : i + chunk_products] for i in range(0, len(inputs), chunk_products)]


def link_flows(flows: pd.DataFrame, largest: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """What is kept of the flows at any scale, from a chunk of them (:func:`allocate_chunk`, codes categorical with
    sorted categories): ``(summary, country_pairs, region_pairs)``.

    - ``summary``: the flows summed by link and country pair, columns :data:`SUMMARY_COLUMNS`, in key order (as many
      rows as the flows themselves when every country is one location, as in a world run);
    - ``country_pairs``: the ``largest`` largest rows of ``summary`` of every link, by link and decreasing value;
    - ``region_pairs``: the ``largest`` largest region pairs of every link, columns of :data:`FLOW_COLUMNS`, by link
      and decreasing value.

    Ties are broken by the countries' and regions' codes. Code columns are strings. Sums add the rows in their order
    and the ranking is a sort of the codes, so the same flows give the same bytes. Links do not cross input products,
    so chunks of inputs give the chunks of all three.
    """
    keys = ["input", "output", "country_from", "country_to"]
    summary = flows.groupby(keys, as_index=False, observed=True, sort=True).agg(
        value=("value", "sum"), lower=("lower", "sum"), upper=("upper", "sum"), pairs=("value", "size"))
    country_pairs = _largest_of_each_link(summary, ["country_from", "country_to"], largest)
    region_pairs = _largest_of_each_link(flows, ["country_from", "region_from", "country_to", "region_to"], largest)
    return (summary.astype({c: str for c in keys})[SUMMARY_COLUMNS], country_pairs.astype({c: str for c in keys}),
            region_pairs.astype({c: str for c in KEY_COLUMNS}))


def _largest_of_each_link(frame: pd.DataFrame, ties: list[str], n: int) -> pd.DataFrame:
    """The ``n`` rows of each link (``input, output``) with the largest ``value``, ties by the codes of ``ties``; by
    link and decreasing value."""
    codes = {c: frame[c].cat.codes.to_numpy() for c in ["input", "output", *ties]}
    # lexsort's last key is the first: link, decreasing value, then the ties
    order = np.lexsort([codes[c] for c in reversed(ties)] + [-frame["value"].to_numpy(), codes["output"],
                                                             codes["input"]])
    link = codes["input"][order].astype(np.int64) * (1 << 32) + codes["output"][order]
    start = np.r_[0, np.flatnonzero(np.diff(link)) + 1] if len(link) else np.zeros(0, dtype=np.int64)
    rank = np.arange(len(link)) - np.repeat(start, np.diff(np.r_[start, len(link)]))
    return frame.iloc[order[rank < n]].reset_index(drop=True)


def gather_dataset(parts: Sequence[str | Path], out: str | Path) -> int:
    """The blocks of the allocation (each a folder of ``chapter=*/*.parquet``) as one Hive-partitioned dataset at
    ``out``: their files hard-linked (copied where the file system cannot link), never rewritten, so the dataset is
    the same bytes whatever the number of blocks; built in a temporary folder beside ``out`` and renamed into place,
    so it appears whole or not at all (temporary folders a killed run left are removed first). Returns the number
    of files."""
    out = Path(out)
    for stale in out.parent.glob(f".{out.name}.tmp-*"):
        log.warning("removing the stale temporary %s", stale)
        shutil.rmtree(stale, ignore_errors=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    files = 0
    try:
        tmp.mkdir(parents=True)
        for part in map(Path, parts):
            for f in sorted(part.glob("chapter=*/*.parquet")):
                dest = tmp / f.relative_to(part)
                dest.parent.mkdir(exist_ok=True)
                try:
                    os.link(f, dest)
                except OSError:
                    shutil.copyfile(f, dest)
                files += 1
        shutil.rmtree(out, ignore_errors=True)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return files
