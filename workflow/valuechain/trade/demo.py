"""A deterministic demo world of regional trade with a planted product input-output graph.

No open sub-national trade data exists offline, so the default run generates one, calibrated on real sizes:
country sizes are real 2017 export totals, product sizes real 2017 world exports by HS4, and the partner mix
of imports follows each partner's real 2017 exports of the product (``resources/world2017``). Products are
real HS4 codes with their short names. At HS6 (``hs_digits: 6``) the products are real HS6 codes: each
country's real 2017 HS4 exports are split among the heading's HS6 subheadings (lognormal weights: a
subheading's world share, the same everywhere, times a country's noise), and the planted graph comes from the
HS6 reference network.

How the trade is made (all draws from one seeded generator, so a seed gives the same world):

1. Planted graph from real value chains: products are sampled among those with a trade-atlas name, 2017
   exports and a place in the BEA reference network (``valuechain.reference.product``); when more products are asked
   for than that, the largest other traded products with a name (HS 2022 descriptions for codes the atlas
   lacks) are added, and get no planted inputs (the reference says nothing about them). Then every product gets 2-5 inputs (config), drawn among the sampled products
   with the largest reference input shares for it (the 10 largest by default), weighted by share. Input shares
   are the reference shares, normalised. A few real chains are always planted when their products are in
   the sample (cars <- parts, engines, tyres; phones <- integrated circuits; ...).
2. Exports ``X[r, p] = size_r * world_p * exp(sigma_e * z[r, p])``: heavy-tailed region specialisation,
   co-located along the planted chains as real exports are (a region strong in cars is also strong in parts,
   engines, tyres). The log-export propensities ``z`` are standard normal draws smoothed over the planted graph
   (:func:`chain_propensity`): a region's propensity for ``p`` is ``1 - c`` times its own draw plus ``c`` times
   its chain field for ``p`` (its draws for ``p`` and, weighted 0.9 per step, for ``p``'s neighbours in the
   planted graph, inputs and outputs alike), rescaled to unit variance, so the density stays the same.
   ``c = demo.colocation``, 0.18 by default: the co-location of the planted links (Spearman correlation of
   export RCA across regions, :func:`valuechain.links.evidence.colocation`) then separates them from the other pairs
   as well as the real 2017 exports of 224 countries separate the same links (AUC 0.64; docs/method.md
   section 2). At 0 the draws stay independent: the world made before co-location was planted, byte for byte.
3. Imports = final demand ``size_r * world_q * exp(sigma_i * z')`` (noise) + intermediate demand
   ``phi * sum_p A[q, p] X[r, p]`` (what the region's exports need): the signal B&F must find. A region's
   imports follow what it exports, so they are co-located along the chains too.
4. Region-product values below a noisy detection level (2M USD) are not traded at all. Each
   region-product-flow value is split among partner countries (gravity weights times lognormal noise;
   partners with under ~3% share get nothing), and among years; values under 1,000 USD are dropped. The
   result is as dense as real regional trade: most regions trade most products both ways.
5. Pseudo-regions ("Unknown", "Exterior", ...) and a few tiny regions are added so cleaning has work to do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.linalg import lapack

from valuechain.trade.hs import product_names

# Real input-output pairs planted whenever both products are sampled: (input, output).
SHOWCASE_LINKS = [
    ("8708", "8703"), ("8407", "8703"), ("4011", "8703"), ("8542", "8517"), ("8542", "8471"),
    ("2601", "7201"), ("7201", "7208"), ("5201", "5205"), ("5205", "5208"), ("5208", "6205"),
    ("2709", "2710"), ("4001", "4011"), ("7208", "8708"), ("3901", "3923"), ("1201", "1507"),
]
SHOWCASE_PRODUCTS = sorted({p for link in SHOWCASE_LINKS for p in link})
PSEUDO_REGIONS = {"BRA": "Exterior", "USA": "Unknown", "JPN": "Unknown", "ESP": "Sin provincia asignada"}


@dataclass(frozen=True)
class DemoSettings:
    seed: int
    n_products: int
    years: tuple[int, ...]
    regions: dict[str, int]
    n_other_partners: int
    inputs_per_product: tuple[int, int]
    reference_pool: int
    sigma_exports: float = 1.6
    sigma_imports: float = 0.8
    intermediate_share: float = 0.6
    partner_floor: float = 0.03
    min_value: float = 1000.0
    detection: float = 2.0e6
    digits: int = 4
    sigma_subheadings: float = 1.0
    # Cells of the region x product x partner x year cube drawn at once: bounds the generator's memory.
    block_cells: int = 20_000_000
    # Export co-location along the planted chains (:func:`chain_propensity`): the weight of a region's chain
    # field in its log-export propensities (0: independent draws, the world before co-location was planted;
    # the default is fitted to the real 2017 country exports, docs/method.md section 2) and how far the field
    # reaches along the planted graph.
    colocation: float = 0.18
    colocation_reach: float = 0.9
    # Spread of the regions' sizes within their country (lognormal sigma of their shares of its exports): 1.2 for
    # states and provinces; municipalities are far more unequal (a few ports and industrial towns, thousands of
    # small places).
    region_sigma: float = 1.2

    @classmethod
    def from_config(cls, cfg: dict, digits: int = 4) -> "DemoSettings":
        return cls(
            digits=int(digits),
            seed=int(cfg["seed"]),
            n_products=int(cfg["n_products"]),
            years=tuple(int(y) for y in cfg["years"]),
            regions={str(k): int(v) for k, v in cfg["regions"].items()},
            n_other_partners=int(cfg["n_other_partners"]),
            inputs_per_product=tuple(int(v) for v in cfg["inputs_per_product"]),
            reference_pool=int(cfg["reference_pool"]),
            **{k: float(cfg[k]) for k in ("partner_floor", "detection", "min_value", "colocation", "region_sigma") if k in cfg},
        )


def sample_products(world: pd.DataFrame, names: pd.DataFrame, n: int, rng, allowed=None) -> pd.DataFrame:
    """``n`` products: ``hs, name, world_exports``.

    ``world``: exports ``country, hs, value``; ``names``: ``code, name, atlas`` (whether the name is the trade
    atlas's); ``allowed``: the codes the reference network maps. The first tier is the codes with an atlas name,
    exports and (when ``allowed`` is given) a reference: the showcase products, then a draw weighted by the
    square root of world exports. When ``n`` exceeds the first tier, all of it is taken, and the largest other
    exported codes with a name fill the rest.
    """
    totals = world.groupby("hs")["value"].sum()
    totals = totals[totals.index.isin(names["code"]) & (totals > 0)]
    first = totals.index.isin(names.loc[names["atlas"], "code"])
    if allowed is not None:
        first &= totals.index.isin(allowed)
    tier1, tier2 = totals[first], totals[~first]
    if len(totals) < n:
        raise ValueError(f"demo: {n} products asked for, only {len(totals)} have a name and exports")
    if n <= len(tier1):
        fixed = [p for p in SHOWCASE_PRODUCTS if p in tier1.index][:n]
        rest = tier1.drop(fixed)
        weights = np.sqrt(rest.to_numpy())  # sqrt: big products likelier, small ones still present
        drawn = rng.choice(rest.index.to_numpy(), size=n - len(fixed), replace=False, p=weights / weights.sum())
        codes = np.sort(np.r_[fixed, drawn])
    else:
        extra = tier2.sort_values(ascending=False, kind="stable").index[: n - len(tier1)]
        codes = np.sort(np.r_[tier1.index.to_numpy(), extra.to_numpy()])
    short = names.set_index("code")["name"]
    return pd.DataFrame({"hs": codes, "name": short.reindex(codes).to_numpy(),
                         "world_exports": totals.reindex(codes).to_numpy()})


def split_subheadings(world: pd.DataFrame, codes, rng, sigma: float = 1.0) -> pd.DataFrame:
    """Real HS4 exports ``country, hs, value`` split among the HS6 ``codes`` of each heading.

    A subheading's weight is its own lognormal draw (its share of the heading, the same in every country) times a
    country's lognormal noise (half as wide); weights are normalised within each country and heading, so the HS4
    totals are kept exactly. Headings with no code in ``codes`` are dropped.
    """
    codes = pd.Index(pd.unique(pd.Series(codes, dtype=str))).sort_values()
    children = pd.DataFrame({"sub": codes, "heading": codes.str[:4],
                             "base": rng.lognormal(0.0, sigma, len(codes))})
    split = world.merge(children, left_on="hs", right_on="heading")
    split = split.sort_values(["country", "sub"], kind="stable").reset_index(drop=True)
    weight = split["base"].to_numpy() * rng.lognormal(0.0, sigma / 2, len(split))
    total = pd.Series(weight).groupby([split["country"], split["heading"]]).transform("sum").to_numpy()
    return pd.DataFrame({"country": split["country"].to_numpy(), "hs": split["sub"].to_numpy(),
                         "value": split["value"].to_numpy() * weight / total})


def plant_links(products: pd.DataFrame, reference: pd.DataFrame, lo: int, hi: int, pool: int, rng) -> pd.DataFrame:
    """The planted graph, drawn from real value chains: columns ``output, input, share``.

    ``reference``: ``output, input, share`` (the BEA reference input shares, :mod:`valuechain.reference.product`).
    Every product gets ``lo``..``hi`` inputs (fewer when the reference gives it fewer), drawn without
    replacement among the ``pool`` sampled products with the largest reference shares for it, with
    probability proportional to the share (Efraimidis-Spirakis keys ``u^(1/share)``, all outputs at once).
    The showcase links are added; ``share`` is the input's reference share, normalised per output.
    """
    hs = products["hs"].to_numpy()
    n = len(hs)
    idx = pd.Index(hs)
    ref = reference[reference["output"].isin(idx) & reference["input"].isin(idx) &
                    (reference["output"] != reference["input"])]
    R = np.zeros((n, n))  # R[q, p]: reference share of input q in output p
    R[idx.get_indexer(ref["input"]), idx.get_indexer(ref["output"])] = ref["share"].to_numpy()
    # The pool: each output's `pool` largest shares (rank within the column).
    order = np.argsort(-R, axis=0, kind="stable")
    in_pool = np.zeros_like(R, dtype=bool)
    np.put_along_axis(in_pool, order[:pool], True, axis=0)
    in_pool &= R > 0
    keys = np.where(in_pool, rng.random((n, n)) ** (1.0 / np.where(in_pool, R, 1.0)), -1.0)
    n_inputs = rng.integers(lo, hi + 1, n)
    chosen = np.argsort(-keys, axis=0, kind="stable")
    take = (np.arange(n)[:, None] < n_inputs[None, :]) & (np.take_along_axis(keys, chosen, axis=0) > 0)
    pos, out_idx = np.nonzero(take)
    links = pd.DataFrame({"output": hs[out_idx], "input": hs[chosen[pos, out_idx]]})
    showcase = pd.DataFrame(SHOWCASE_LINKS, columns=["input", "output"])
    showcase = showcase[showcase["input"].isin(idx) & showcase["output"].isin(idx)]
    links = pd.concat([links, showcase[["output", "input"]]]).drop_duplicates().sort_values(["output", "input"])
    share = R[idx.get_indexer(links["input"]), idx.get_indexer(links["output"])]
    links["share"] = np.where(share > 0, share, np.median(R[R > 0]))  # showcase links the table misses
    links["share"] /= links.groupby("output")["share"].transform("sum")
    return links.reset_index(drop=True)


def demo_names(atlas: pd.DataFrame, hs: pd.DataFrame, digits: int) -> pd.DataFrame:
    """``code, name, atlas`` of every HS code of ``digits`` digits: the trade atlas's short name, or the HS 2022
    description for codes the atlas lacks (:func:`valuechain.trade.hs.product_names`); ``atlas`` says which."""
    names = product_names(atlas, hs)
    names = names[names.index.str.len() == digits]
    in_atlas = names.index.isin(atlas.loc[atlas["level"] == f"{digits}digit", "code"])
    return pd.DataFrame({"code": names.index.to_numpy(), "name": names.to_numpy(), "atlas": in_atlas})


def generate(world: pd.DataFrame, names: pd.DataFrame, reference: pd.DataFrame,
             settings: DemoSettings) -> tuple[Iterator[pd.DataFrame], pd.DataFrame, pd.DataFrame]:
    """The demo world: ``(trade, truth, products)``.

    ``world``: real HS4 exports ``country, hs4, value``; ``names``: ``code, name, atlas`` at the settings' HS
    level (:func:`demo_names`); ``reference``: the reference network ``output, input, share`` at that level.
    ``trade`` yields the canonical long form in blocks of products (exports, then imports; string columns
    categorical, so 100M rows never sit in memory as Python strings); it draws from the world's generator, so
    consume it once and in order. ``truth`` is the planted ``output, input, share``; ``products`` the sampled
    codes with names.
    """
    s = settings
    rng = np.random.default_rng(s.seed)
    world = world.assign(country=world["country"].str.upper()).rename(columns={"hs4": "hs"})
    allowed = pd.unique(pd.concat([reference["output"], reference["input"]]))
    if s.digits == 6:
        world = split_subheadings(world, names["code"], rng, s.sigma_subheadings)
    elif s.digits != 4:
        raise ValueError(f"the demo world is made at HS4 or HS6, not {s.digits} digits")
    products = sample_products(world, names, s.n_products, rng, allowed)
    truth = plant_links(products, reference, *s.inputs_per_product, s.reference_pool, rng)
    hs = products["hs"].to_numpy()
    n_p = len(hs)
    pidx = pd.Series(np.arange(n_p), index=hs)
    A = np.zeros((n_p, n_p))  # A[q, p]: share of input q in the input cost of output p
    A[pidx[truth["input"]].to_numpy(), pidx[truth["output"]].to_numpy()] = truth["share"].to_numpy()

    country_size = world.groupby("country")["value"].sum()
    reporters = list(s.regions)
    others = [c for c in country_size.sort_values(ascending=False).index if c not in reporters]
    partners = np.array(sorted(reporters + others[: s.n_other_partners]))

    # Regions: lognormal shares of their country's exports (sigma demo.region_sigma); names like "BRA-07"; pseudo-regions added.
    reg_country, reg_name, reg_size = [], [], []
    for c, n in s.regions.items():
        share = rng.lognormal(0.0, s.region_sigma, n)
        share /= share.sum()
        reg_country += [c] * n
        reg_name += [f"{c}-{i + 1:02d}" for i in range(n)]
        reg_size += list(country_size.get(c, country_size.median()) * share)
        if c in PSEUDO_REGIONS:
            reg_country.append(c)
            reg_name.append(PSEUDO_REGIONS[c])
            reg_size.append(country_size.get(c, country_size.median()) * 0.01)
    reg_country = np.array(reg_country)
    size = np.array(reg_size) * len(s.years)
    n_r = len(size)

    world_p = products["world_exports"].to_numpy() / products["world_exports"].sum()
    z = rng.standard_normal((n_r, n_p))  # log-export propensities
    if s.colocation > 0:  # no draw: at 0 the world is the one made before co-location was planted
        z = chain_propensity(z, A, s.colocation, s.colocation_reach)
    exports = size[:, None] * world_p[None, :] * np.exp(s.sigma_exports * z)
    exports *= size[:, None] / exports.sum(axis=1, keepdims=True)  # each region exports its size
    final = size[:, None] * world_p[None, :] * np.exp(s.sigma_imports * rng.standard_normal((n_r, n_p)))
    final *= (1 - s.intermediate_share) * size[:, None] / final.sum(axis=1, keepdims=True)
    intermediate = s.intermediate_share * exports @ A.T  # [r, q] = phi * sum_p A[q, p] X[r, p]
    imports = final + intermediate
    # Small flows go unrecorded (a region does not trade every product): a noisy detection threshold.
    exports[exports * rng.lognormal(0.0, 1.0, exports.shape) < s.detection] = 0.0
    imports[imports * rng.lognormal(0.0, 1.0, imports.shape) < s.detection] = 0.0

    codes = {"country": np.unique(reg_country), "region": np.unique(reg_name), "partner": partners, "hs": hs,
             "flow": np.array(["export", "import"])}
    labels = {"country": reg_country, "region": np.asarray(reg_name), "partner": partners, "hs": hs}
    trade = (block for flow, values in (("export", exports), ("import", imports))
             for block in _split(values, flow, labels, codes, world, rng, s))
    return trade, truth[["output", "input", "share"]], products[["hs", "name"]]


def chain_propensity(z: np.ndarray, A: np.ndarray, strength: float, reach: float = 0.9) -> np.ndarray:
    """Log-export propensities ``z`` (regions x products, independent standard normal) made co-located along
    the planted graph ``A`` (``A[q, p]``: share of input ``q`` in output ``p``); still standard normal per product.

    A region's *chain field* for product ``p`` is its own draw plus ``reach`` times the share-weighted mean of
    the fields of ``p``'s neighbours in the planted graph (its inputs and the products it is an input of):
    ``c = z K^T`` with ``K = (I - reach P)^-1``, ``P`` the planted graph made undirected (``A + A^T``) and
    row-normalised. ``c_p`` weighs ``p``'s own draw most, then its direct neighbours', then two steps away...
    (``reach^k`` over ``k``-step walks), so a region strong in cars is also strong in parts, engines and tyres,
    less so in what those are made of. The new propensity of ``p`` is ``(1 - strength) z_p + strength c_p``
    (``c_p`` scaled to unit variance) divided by its standard deviation, known exactly from the weights, so each
    product's spread across regions, and with it the world's density, stays as at ``strength`` 0. Products
    without planted links keep their draw. No random draw is made: the world at any strength keeps every other
    draw of the world at 0.

    ``K = (D - reach S)^-1 D`` with ``S = A + A^T`` and ``D`` its degrees: one inverse of a symmetric positive
    definite matrix (Cholesky, in place: about 2 s for 5,000 HS6 products) and no other ``n x n`` matrix.
    """
    if not 0 <= strength <= 1 or not 0 <= reach < 1:
        raise ValueError(f"demo: colocation must be in [0, 1] and its reach in [0, 1), not {strength}, {reach}")
    n = len(A)
    B = A + A.T
    d = B.sum(axis=1)
    d[d == 0] = 1.0  # a product without planted links: K's row is its own unit vector
    B *= -reach
    B[np.diag_indices(n)] += d
    G = _spd_inverse(B)  # symmetric; K[p, q] = G[p, q] d_q
    norm = np.sqrt(np.einsum("pq,pq,q->p", G, G, d * d))  # ||K[p, :]||
    own = np.diagonal(G) * d / norm  # correlation of z_p with its scaled field c_p / ||K[p, :]||
    field = (z * d) @ G / norm  # c_p / ||K[p, :]||: unit variance
    total = np.sqrt((1 - strength) ** 2 + strength**2 + 2 * strength * (1 - strength) * own)
    return ((1 - strength) * z + strength * field) / total


def _spd_inverse(B: np.ndarray, step: int = 1024) -> np.ndarray:
    """The inverse of a symmetric positive definite C-ordered matrix, in its memory (Cholesky: LAPACK potrf and
    potri on its transpose, the same matrix in Fortran order), then mirrored block by block."""
    n = len(B)
    c, info = lapack.dpotrf(B.T, lower=1, overwrite_a=1, clean=0)
    if info == 0:
        c, info = lapack.dpotri(c, lower=1, overwrite_c=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"demo: the chain kernel is not positive definite (LAPACK info {info})")
    G = c.T  # its upper triangle holds the inverse
    for lo in range(0, n, step):
        hi = min(lo + step, n)
        G[lo:hi, :lo] = G[:lo, lo:hi].T
        block = G[lo:hi, lo:hi]
        lower = np.tril_indices(hi - lo, -1)
        block[lower] = block.T[lower]
    return G


def _split(values, flow, labels, codes, world, rng, s: DemoSettings) -> Iterator[pd.DataFrame]:
    """Spread region x product values over partner countries and years, vectorised, in blocks of products of at
    most ``s.block_cells`` cube cells; drop tiny cells. One block when the world is small, so a demo world's
    draws do not depend on the block size."""
    n_r, n_p = values.shape
    partners, reg_country = labels["partner"], labels["country"]
    partner_size = world.groupby("country")["value"].sum().reindex(partners).fillna(0).to_numpy()
    if flow == "import":  # imports come from the partners that really export the product
        supply = world.pivot_table(index="country", columns="hs", values="value", aggfunc="sum")
        gravity = supply.reindex(index=partners, columns=labels["hs"]).fillna(0).to_numpy().T + 1e-3  # [p, c]
    else:  # exports go to partners in proportion to their size
        gravity = np.broadcast_to(partner_size, (n_p, len(partners)))
    gravity = gravity / gravity.sum(axis=1, keepdims=True)
    own = reg_country[:, None] == partners[None, :]  # [r, c]
    region_code = {k: np.searchsorted(codes[k], labels[k]) for k in ("country", "region")}  # once per region
    years = np.array(s.years)
    step = max(1, s.block_cells // (n_r * len(partners) * len(years)))
    for lo in range(0, n_p, step):
        block = slice(lo, min(lo + step, n_p))
        n_b = block.stop - block.start
        w = gravity[None, block, :] * rng.lognormal(0.0, 1.0, (n_r, n_b, len(partners)))
        w = np.where(own[:, None, :], 0.0, w)  # no trade with one's own country
        w /= w.sum(axis=2, keepdims=True)
        w[w < s.partner_floor] = 0.0
        w /= np.maximum(w.sum(axis=2, keepdims=True), 1e-300)
        year_w = rng.dirichlet(np.full(len(years), 20.0), size=(n_r, n_b))  # stable year-to-year
        cube = values[:, block, None, None] * w[:, :, :, None] * year_w[:, :, None, :]  # r, p, c, y
        r, p, c, y = np.nonzero(cube >= s.min_value)
        value = np.round(cube[r, p, c, y], 0)
        del cube, w
        index = {"country": region_code["country"][r], "region": region_code["region"][r], "partner": c,
                 "hs": p + lo}
        yield pd.DataFrame(
            {
                "year": years[y].astype("int32"),
                "flow": pd.Categorical.from_codes(np.full(len(r), int(flow == "import"), dtype=np.int8),
                                                  categories=codes["flow"]),
                **{k: pd.Categorical.from_codes(index[k], categories=codes[k]) for k in index},
                "value": value,
            }
        )
