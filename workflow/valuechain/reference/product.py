"""A product-level reference network from the United States' detailed input-output accounts (docs/reference.md).

No published table says which products are inputs of which. The BEA 2017 detailed Use table says which of
about 400 commodities each of about 400 industries buys. Joined to HS codes through public concordances
(HS6 -> NAICS 2012 -> BEA detail), it gives every pair of HS products a reference input share:

- ``C(q)``: the BEA commodities of product ``q`` (the BEA codes of its HS6 codes); ``I(p)``: the BEA
  industries of product ``p`` (the same codes: BEA detail commodities and industries share a code list).
- ``S[c, i] = U[c, i] / sum_c' U[c', i]``: the share of commodity ``c`` in the total intermediate inputs of
  industry ``i`` (column share of the intermediate block, the row ``T005`` of the table).
- ``share(q -> p) = max_{c in C(q), i in I(p)} S[c, i]``: the largest share a commodity of ``q`` takes in an
  industry of ``p``. ``q -> p`` is a true link when ``share >= min_share`` (default 0.01).
- Cross-commodity labels: the same rule with the own-commodity cells ``S[c, c]`` left out, so that ``q -> p`` is
  true only through a commodity of ``q`` supplying an industry other than its own (``share_cross``). Two products
  of one BEA commodity with a large own-industry cell (steel mills buying steel) are similar products, not
  evidently inputs of each other; the second labelling keeps them from counting as found links. Labellings:
  :data:`LABELLINGS`, read with :func:`labelled`.

Products whose HS6 codes map to no BEA code are *unscorable*: they are listed in the coverage table and left
out of every score, never counted as false. The NAICS match is exact (``naics_match="exact"``: the 6-digit
NAICS 2012 code of the HS6 concordance must be a 6-digit code of the BEA crosswalk; Census's aggregated
codes such as ``11211X`` and codes ``9xxxxx`` do not match); ``"prefix"`` falls back to the longest
crosswalk code that is a prefix of it. Exact is the default because it is what the published check figures
of ``product_truth/README.md`` use; prefix maps 20 more HS4 products (1,242 against 1,222).

End use: UN Broad Economic Categories rev. 4 classes of the HS6 codes, grouped as the UN does for the SNA
basic classes (intermediate, capital, consumption; passenger cars and motor spirit are "mixed"). An HS4
product takes the class most of its HS6 codes have; a tie is "mixed".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from valuechain.analyses.trophic import links_adjacency, trophic_incoherence, trophic_levels

NAICS_MATCH = ("exact", "prefix")
# UN BEC rev. 4 (3-digit codes as written in hs6_bec4.csv) -> SNA basic class.
END_USE = {
    "111": "intermediate", "121": "intermediate", "210": "intermediate", "220": "intermediate",
    "310": "intermediate", "320": "intermediate", "322": "intermediate", "420": "intermediate",
    "530": "intermediate",
    "410": "capital", "521": "capital",
    "112": "consumption", "122": "consumption", "522": "consumption", "610": "consumption",
    "620": "consumption", "630": "consumption",
    "321": "mixed", "510": "mixed", "700": "mixed",
}
END_USE_ORDER = ["intermediate", "capital", "consumption", "mixed"]
# Reference labellings -> the share column that decides them.
LABELLINGS = {"all": "share", "cross_commodity": "share_cross"}


class ReferenceDataError(ValueError):
    """A reference table that does not have the expected layout; the message names the file."""


def _need(df: pd.DataFrame, columns, source: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ReferenceDataError(f"{source}: missing column(s) {missing}; found {list(df.columns)[:12]}")


# ------------------------------------------------------------------------------------------- reading
def read_use_shares(path: str | Path, commodity_codes) -> pd.DataFrame:
    """Input shares ``S[c, i]`` (commodities x industries) of the BEA Use table at ``path``.

    Rows and columns are the BEA detail codes in ``commodity_codes`` found in the table (commodity rows, industry
    columns); final-demand columns, totals and value-added rows are left out. Each industry's column is divided
    by its total intermediate inputs (the column sum over commodity rows; the table's ``T005`` row, rounded
    independently, must agree within 0.1% + 20); industries with no intermediate inputs get zero shares. The few
    negative cells of the published table (scrap and noncomparable imports in some industries) stay: they are
    below any threshold.
    """
    source = str(path)
    use = pd.read_parquet(path)
    _need(use, ["row"], source)
    use = use.set_index("row")
    codes = pd.Index(commodity_codes)
    rows = use.index[use.index.isin(codes)]
    cols = use.columns[use.columns.isin(codes)]
    if len(rows) == 0 or len(cols) == 0:
        raise ReferenceDataError(f"{source}: no BEA detail commodity rows or industry columns found")
    block = use.loc[rows, cols].astype(float)
    if block.isna().any().any():  # negative cells are real (scrap, noncomparable imports): kept
        r, c = np.argwhere(block.isna().to_numpy())[0]
        raise ReferenceDataError(f"{source}: row '{rows[r]}', column '{cols[c]}': missing value")
    total = block.sum(axis=0)
    if "T005" in use.index:
        stated = use.loc["T005", cols].astype(float)
        off = (total - stated).abs() > 1e-3 * stated.abs() + 20.0  # the table is rounded: gaps up to 15
        if off.any():
            raise ReferenceDataError(
                f"{source}: column '{off.index[off][0]}': commodity rows sum to {total[off].iloc[0]:g}, "
                f"row T005 says {stated[off].iloc[0]:g}")
    return block.div(total.where(total > 0), axis=1).fillna(0.0)


def hs6_to_bea(hs_naics: pd.DataFrame, crosswalk: pd.DataFrame, match: str = "exact") -> pd.DataFrame:
    """HS6 -> BEA detail codes: ``hs6, bea`` (unique pairs, sorted).

    ``hs_naics`` has ``HS_6d, NAICS_6d`` (the concordance); ``crosswalk`` has ``BEA_2017_Detail_Code,
    NAICS_2012_Code`` (codes of 2 to 6 digits). ``match="exact"`` joins 6-digit NAICS codes only;
    ``"prefix"`` joins each NAICS code to the crosswalk codes equal to its longest matching prefix (trailing
    ``X`` of aggregated Census codes dropped first).
    """
    if match not in NAICS_MATCH:
        raise ValueError(f"naics_match must be one of {NAICS_MATCH}, got {match!r}")
    _need(hs_naics, ["HS_6d", "NAICS_6d"], "HS6 -> NAICS concordance")
    _need(crosswalk, ["BEA_2017_Detail_Code", "NAICS_2012_Code"], "BEA -> NAICS crosswalk")
    hs = hs_naics[["HS_6d", "NAICS_6d"]].dropna().drop_duplicates()
    cw = crosswalk[["NAICS_2012_Code", "BEA_2017_Detail_Code"]].dropna().drop_duplicates()
    cw = cw.set_axis(["naics", "bea"], axis=1)
    naics = pd.DataFrame({"naics_hs": hs["NAICS_6d"].unique()})
    if match == "exact":
        naics["naics"] = naics["naics_hs"].where(naics["naics_hs"].str.fullmatch(r"\d{6}"))
    else:
        stripped = naics["naics_hs"].str.rstrip("X")
        known = set(cw["naics"])
        naics["naics"] = None
        for length in range(6, 1, -1):  # longest prefix first; five passes, not a loop over codes
            prefix = stripped.str[:length]
            hit = naics["naics"].isna() & (stripped.str.len() >= length) & prefix.isin(known)
            naics.loc[hit, "naics"] = prefix[hit]
    joined = (hs.merge(naics, left_on="NAICS_6d", right_on="naics_hs")
              .merge(cw, on="naics")[["HS_6d", "bea"]].rename(columns={"HS_6d": "hs6"}))
    return joined.drop_duplicates().sort_values(["hs6", "bea"]).reset_index(drop=True)


# --------------------------------------------------------------------------------- products and shares
def product_codes(hs6: pd.Series, digits: int) -> pd.Series:
    """The product (HS code of ``digits`` digits) of each HS6 code."""
    if digits not in (2, 4, 6):
        raise ValueError(f"HS products have 2, 4 or 6 digits, got {digits}")
    return hs6.astype(str).str[:digits]


def product_bea(hs6_bea: pd.DataFrame, digits: int) -> pd.DataFrame:
    """``product, bea``: the BEA codes of each product (the union over its HS6 codes), unique, sorted."""
    out = pd.DataFrame({"product": product_codes(hs6_bea["hs6"], digits), "bea": hs6_bea["bea"]})
    return out.drop_duplicates().sort_values(["product", "bea"]).reset_index(drop=True)


def _group_max(values: np.ndarray, groups: np.ndarray, axis: int) -> np.ndarray:
    """Maximum of ``values`` over consecutive runs of equal ``groups`` along ``axis`` (groups sorted)."""
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    return np.maximum.reduceat(values, starts, axis=axis)


def reference_shares(pairs: pd.DataFrame, shares: pd.DataFrame,
                     own_commodity: bool = True) -> tuple[np.ndarray, pd.Index]:
    """The reference input share of every ordered product pair: ``(R, products)``, ``R[q, p] = share(q -> p)``.

    ``pairs``: ``product, bea`` (:func:`product_bea`); ``shares``: ``S[c, i]`` (:func:`read_use_shares`).
    ``products`` are the products with at least one BEA code that is both a commodity row and an industry
    column of ``shares`` (the scorable ones), sorted. Two grouped maxima, no loop over products: first over the
    commodities of each input product (rows), then over the industries of each output product (columns).
    The diagonal (a product as its own input) is set to 0. ``own_commodity=False`` leaves out the cells of a
    commodity in its own industry (``S[c, c]``), for the cross-commodity labels.
    """
    if not own_commodity:
        own = shares.index.to_numpy()[:, None] == shares.columns.to_numpy()[None, :]
        shares = shares.mask(own, 0.0)
    pairs = pairs[pairs["bea"].isin(shares.index) & pairs["bea"].isin(shares.columns)]
    pairs = pairs.sort_values(["product", "bea"])
    products = pd.Index(pairs["product"].unique())
    group = products.get_indexer(pairs["product"])
    S = shares.to_numpy()
    by_input = _group_max(S[shares.index.get_indexer(pairs["bea"])], group, axis=0)  # [q, industry]
    R = _group_max(by_input[:, shares.columns.get_indexer(pairs["bea"])], group, axis=1)  # [q, p]
    np.fill_diagonal(R, 0.0)
    return R, products


def reference_links(R: np.ndarray, products: pd.Index, min_share: float,
                    R_cross: np.ndarray | None = None) -> pd.DataFrame:
    """``output, input, share, share_cross, label`` for every pair with a positive share; ``label = share >=
    min_share``; ``share_cross`` is ``R_cross`` (the cross-commodity shares, never above ``share``; ``share``
    when not given)."""
    q, p = np.nonzero(R > 0)
    links = pd.DataFrame({"output": products[p], "input": products[q], "share": R[q, p],
                          "share_cross": (R if R_cross is None else R_cross)[q, p]})
    links["label"] = links["share"] >= min_share
    return links.sort_values(["output", "input"]).reset_index(drop=True)


def labelled(ref: pd.DataFrame, labels: str) -> pd.DataFrame:
    """``ref`` (:func:`reference_links`) with ``share`` replaced by the share of the labelling ``labels``
    (:data:`LABELLINGS`), pairs of zero share dropped, so that every scorer reads one column."""
    if labels not in LABELLINGS:
        raise ValueError(f"unknown reference labelling {labels!r}; expected one of {list(LABELLINGS)}")
    column = LABELLINGS[labels]
    if column not in ref.columns:
        raise ReferenceDataError(f"the reference network has no column {column!r} (labelling {labels!r}); "
                                 "rebuild it with rule reference_network")
    view = ref.assign(share=ref[column])
    return view[view["share"] > 0].reset_index(drop=True)


def reference_network(shares: pd.DataFrame, pairs: pd.DataFrame, min_share: float) -> tuple[pd.DataFrame, pd.Index]:
    """``(links, products)``: :func:`reference_links` in both labellings (the shares with and without the
    own-commodity cells) of the products of ``pairs`` (:func:`product_bea`) and the scorable products."""
    R, products = reference_shares(pairs, shares)
    R_cross, _ = reference_shares(pairs, shares, own_commodity=False)
    return reference_links(R, products, min_share, R_cross), products


def coverage_table(universe, pairs: pd.DataFrame, products: pd.Index, hs6_products: pd.Series) -> pd.DataFrame:
    """Per product of ``universe``: ``product, hs6_codes, bea_codes, scorable``.

    ``hs6_codes`` counts the product's HS6 codes in the concordance, ``bea_codes`` the BEA codes they map to,
    ``scorable`` whether the product is in the reference (``products``).
    """
    universe = pd.Index(pd.unique(pd.Series(universe, dtype=str))).sort_values()
    n_hs6 = hs6_products.value_counts()
    n_bea = pairs.groupby("product")["bea"].nunique()
    return pd.DataFrame({
        "product": universe,
        "hs6_codes": n_hs6.reindex(universe, fill_value=0).to_numpy().astype("int64"),
        "bea_codes": n_bea.reindex(universe, fill_value=0).to_numpy().astype("int64"),
        "scorable": universe.isin(products),
    })


def top_reference_links(ref: pd.DataFrame, k: int, min_share: float) -> pd.DataFrame:
    """A top-``k`` network read off the reference itself: each output's ``k`` largest shares at or above
    ``min_share`` (ties: smaller input code first), ranked, with the share as ``weight``."""
    top = ref[ref["share"] >= min_share].sort_values(["output", "share", "input"], ascending=[True, False, True])
    top = top.assign(rank=top.groupby("output").cumcount() + 1)
    top = top[top["rank"] <= k]
    return top[["output", "input", "rank"]].assign(weight=top["share"].to_numpy()).reset_index(drop=True)


# ----------------------------------------------------------------------------------------------- end use
def end_use_classes(hs6_bec: pd.DataFrame, digits: int) -> pd.DataFrame:
    """``product, end_use``: the SNA class (:data:`END_USE`) most of the product's HS6 codes have; ties and
    unknown BEC codes are ``mixed``."""
    _need(hs6_bec, ["HS_6d", "BEC4_3d"], "HS6 -> BEC concordance")
    d = hs6_bec[["HS_6d", "BEC4_3d"]].dropna().drop_duplicates("HS_6d")
    cls = d["BEC4_3d"].astype(str).map(END_USE).fillna("mixed")
    counts = pd.crosstab(product_codes(d["HS_6d"], digits), cls)
    top = counts.max(axis=1)
    winners = counts.eq(top, axis=0)
    label = np.where(winners.sum(axis=1) == 1, winners.idxmax(axis=1), "mixed")
    return pd.DataFrame({"product": counts.index.to_numpy(), "end_use": label})


def end_use_check(networks: dict[str, pd.DataFrame | None], reference: pd.DataFrame, products, end_use: pd.Series,
                  k: int, min_share: float) -> pd.DataFrame:
    """:func:`end_use_levels` of each network (its first ``k`` ranks; None: left out) and of the reference's own
    top ``k`` on the same ``products`` (``reference_top<k>``): ``network, end_use, products, mean_level, gap,
    coherence``."""
    on_products = reference[reference["output"].isin(products) & reference["input"].isin(products)]
    checked = {**networks, f"reference_top{k}": top_reference_links(on_products, k, min_share)}
    levels = pd.concat([end_use_levels(net[net["rank"] <= k] if "rank" in net else net, end_use).assign(network=name)
                        for name, net in checked.items() if net is not None], ignore_index=True)
    return levels[["network", "end_use", "products", "mean_level", "gap", "coherence"]]


def end_use_levels(links: pd.DataFrame, end_use: pd.Series, weight: str | None = None) -> pd.DataFrame:
    """Mean trophic level of the network's products by end-use class, a check that needs no trade data:
    intermediate goods should sit below capital and consumption goods.

    ``links``: ``output, input`` (and the column ``weight`` when given: weighted levels); ``end_use``: product ->
    class. Returns one row per class present, ``end_use, products, mean_level``, with the network's
    ``gap`` (consumption minus intermediate mean level) and ``coherence`` (``1 - F0`` with the same weights).
    """
    W, nodes = links_adjacency(links, weight)
    h = trophic_levels(W, names=nodes)
    cls = end_use.reindex(nodes).fillna("unclassified").to_numpy()
    table = (pd.DataFrame({"end_use": cls, "level": h}).groupby("end_use")["level"]
             .agg(products="size", mean_level="mean").reset_index())
    order = {c: i for i, c in enumerate([*END_USE_ORDER, "unclassified"])}
    table = table.sort_values("end_use", key=lambda c: c.map(order)).reset_index(drop=True)
    mean = table.set_index("end_use")["mean_level"]
    table["gap"] = mean.get("consumption", np.nan) - mean.get("intermediate", np.nan)
    table["coherence"] = 1.0 - trophic_incoherence(W, h)
    return table


def published_network_codes(results: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    """The paper's published HS4 network with codes: ``results`` as the authors publish it (``export``, ``import 1``,
    ``import 2``, ``import 3``: product names, one row per product, the column number the rank), ``names`` the
    project's table of those names (``name``, ``hs4``; two names of 8428). Returns ``output, input, rank,
    output_name, input_name`` sorted by output and rank (the published row order breaking ties), every name mapped
    (``ValueError`` naming those that are not)."""
    ranks = [c for c in results.columns if c.startswith("import ")]
    if "export" not in results.columns or not ranks:
        raise ValueError(f"not the published results layout (export, import 1..3): columns {list(results.columns)}")
    long = pd.concat([pd.DataFrame({"output_name": results["export"], "input_name": results[c],
                                    "rank": int(c.split()[1]), "row": range(len(results))}) for c in ranks])
    code = dict(zip(names["name"], names["hs4"]))
    unknown = sorted(set(long["output_name"]).union(long["input_name"]) - set(code))
    if unknown:
        raise ValueError(f"published product names without an HS4 code in the name table: {unknown[:5]}")
    long["output"], long["input"] = long["output_name"].map(code), long["input_name"].map(code)
    long = long.sort_values(["output", "rank", "row"], kind="mergesort")
    return long[["output", "input", "rank", "output_name", "input_name"]].reset_index(drop=True)
