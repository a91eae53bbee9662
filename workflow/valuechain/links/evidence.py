"""Evidence of product input links beyond regional co-specialisation, and how it is combined (docs/links.md).

Every evidence is an ``n x n`` matrix ``S[q, p]`` over the same products (input rows, output columns), the layout
of :mod:`valuechain.links.cospec`, or a vector over inputs, so that evidences add up and rank with the same tools.

- Co-location (:func:`colocation`): how strongly the locations that export ``p`` also export ``q``, the Spearman
  correlation across locations of their export RCA. Symmetric: it says "related", not "which way". With
  ``large_share`` it is the mean of that correlation over all locations and over the largest exporters only: a
  small exporter's RCA jumps with a single shipment, a diversified exporter's is a cleaner measure of what it
  makes, and the mean keeps the breadth of all locations.
- The industry prior (:func:`product_prior`): the input coefficient between the industries of ``q`` and ``p`` in
  an input-output table, ``P[q, p] = sum_ij M[q, i] A[i, j] M[p, j]``, where ``M`` holds each product's shares of
  industries (:func:`industry_shares`: an HS product mapped to several industries takes its concordance shares)
  and ``A[i, j]`` is the world input coefficient (input ``i`` per unit of output of ``j``). Directional: it says
  which way goods flow between industries, nothing about products inside one industry pair.
- Export size (:func:`export_size`): the log of the world exports of ``q``, standardised. Large goods (plastics,
  steel, chips) are inputs of many products, and an input share threshold favours them.
- Direction: the log prior of ``q -> p`` minus that of ``p -> q``. Co-location is symmetric and the prior inside
  one industry pair nearly so; the difference says which way the goods flow, and so keeps the network a chain.

:func:`world_score` adds them with a handful of weights; :func:`crossfit_weights` chooses those weights held out,
on folds of output products, so that no output's links come from weights chosen on that output.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from valuechain.links.cospec import correlation

#: log(P + PRIOR_FLOOR): a pair of industries that trade nothing is far below any that do, not infinitely.
PRIOR_FLOOR = 1e-4


def colocation(E: np.ndarray, sizes: np.ndarray | None = None, large_share: float | None = None) -> np.ndarray:
    """``C[q, p]``: Spearman correlation across locations (rows) of the export RCA of ``q`` and of ``p``
    (columns of ``E``), ties ranked by their average; a product no location exports has correlation 0.

    With ``large_share`` (and ``sizes``, each location's total exports), the mean of that matrix and of the same
    correlation over the ``large_share`` largest locations only (at least 3)."""
    E = np.asarray(E, dtype=float)
    R = rankdata(E, axis=0)
    C = correlation(R, R)
    if large_share is None:
        return C
    n_large = max(3, int(round(large_share * E.shape[0])))
    large = np.argsort(-np.asarray(sizes, dtype=float), kind="stable")[:n_large]
    R = rankdata(E[large], axis=0)
    return (C + correlation(R, R)) / 2


def industry_shares(products, concordance: pd.DataFrame) -> pd.DataFrame:
    """``M``: products x industries, each product's share of industries.

    ``concordance``: ``hs6, industry`` rows (an HS6 code mapped to several industries has several rows). A
    product (an HS code of 2, 4 or 6 digits) takes the rows of its HS6 codes, each HS6 code counting once, split
    evenly among its industries; a product the concordance does not know has a row of zeros."""
    c = concordance[["hs6", "industry"]].dropna().drop_duplicates()
    weight = 1.0 / c.groupby("hs6")["industry"].transform("size")
    products = pd.Index(pd.Series(products, dtype=str))
    rows = []
    for digits in sorted(set(products.str.len())):  # at most three code lengths, not a loop over products
        mine = products[products.str.len() == digits]
        head = c["hs6"].str[:digits]
        keep = head.isin(mine)
        rows.append(pd.DataFrame({"product": head[keep], "industry": c.loc[keep, "industry"],
                                  "weight": weight[keep]}))
    long = pd.concat(rows)
    M = long.pivot_table(index="product", columns="industry", values="weight", aggfunc="sum", fill_value=0.0)
    M = M.div(M.sum(axis=1), axis=0)
    return M.reindex(index=products, fill_value=0.0).rename_axis(index="product", columns="industry")


def product_prior(shares: pd.DataFrame, coefficients: pd.DataFrame) -> np.ndarray:
    """``P[q, p] = sum_ij M[q, i] A[i, j] M[p, j]``: the input coefficient between the industries of ``q`` and of
    ``p`` (``shares`` = ``M``, :func:`industry_shares`; ``coefficients`` = ``A``, industries x industries, input
    rows); industries of ``M`` that ``A`` lacks contribute 0."""
    A = coefficients.reindex(index=shares.columns, columns=shares.columns, fill_value=0.0).to_numpy(dtype=float)
    M = shares.to_numpy(dtype=float)
    return M @ A @ M.T


def log_prior(P: np.ndarray) -> np.ndarray:
    """``log(P + PRIOR_FLOOR)``: the prior on the scale where its ratios count."""
    return np.log(np.asarray(P, dtype=float) + PRIOR_FLOOR)


def export_size(values: pd.Series, products) -> np.ndarray:
    """Standardised ``log`` world exports of each product (``values``: product -> USD); products without
    exports get the mean (0)."""
    v = np.log(values[values > 0].astype(float))
    z = (v - v.mean()) / v.std(ddof=0)
    return z.reindex(pd.Index(products)).fillna(0.0).to_numpy()


# ------------------------------------------------------------------------------------------- combination
@dataclass(frozen=True)
class WorldWeights:
    """The weights of :meth:`WorldEvidence.score`: the prior's, the export size's, the direction's and the
    co-location variant."""

    prior: float
    size: float
    large_share: float | None
    direction: float = 0.0


def world_grid(priors, sizes, large_shares, directions=(0.0,)) -> list[WorldWeights]:
    """The weights :func:`crossfit_weights` chooses among: every combination."""
    return [WorldWeights(a, b, c, d) for c in large_shares for a in priors for b in sizes for d in directions]


@dataclass
class WorldEvidence:
    """The world's evidence on a set of products.

    ``headings``: each product's row in the co-location matrices (its HS4 heading among the world's products; -1
    when the world data lack it); ``colocations``: ``large_share`` -> heading x heading :func:`colocation`;
    ``prior``: :func:`log_prior` of the product pairs; ``size``: :func:`export_size` of each product; ``mapped``:
    whether each product has industries in at least one concordance of the prior (None: every product)."""

    headings: np.ndarray
    colocations: dict
    prior: np.ndarray
    size: np.ndarray
    mapped: np.ndarray | None = None

    def pair_evidence(self) -> np.ndarray:
        """Boolean ``[q, p]``: the pairs the world data say something about, co-location (both products in the
        world's exports, under different headings) or the prior (both products mapped to industries). Export size
        alone is about the input only, so a pair with neither has no evidence."""
        h = self.headings
        colocated = (h[:, None] >= 0) & (h[None, :] >= 0) & (h[:, None] != h[None, :])
        mapped = np.ones(len(h), dtype=bool) if self.mapped is None else np.asarray(self.mapped, dtype=bool)
        return colocated | (mapped[:, None] & mapped[None, :])

    def colocation(self, large_share: float | None, cols=slice(None)) -> np.ndarray:
        """The co-location of every product pair (output columns ``cols``). Pairs in one heading get 0: the world
        data cannot tell the products of one heading apart, and similar products are not inputs by that fact."""
        h, hc = self.headings, self.headings[cols]
        C = self.colocations[large_share][np.ix_(np.maximum(h, 0), np.maximum(hc, 0))]
        C[(h[:, None] < 0) | (hc[None, :] < 0) | (h[:, None] == hc[None, :])] = 0.0
        return C

    def direction(self, cols=slice(None)) -> np.ndarray:
        """``prior[q, p] - prior[p, q]`` for the output columns ``cols``: which way the goods flow."""
        return self.prior[:, cols] - self.prior[cols, :].T

    def score(self, w: WorldWeights, cols=slice(None)) -> np.ndarray:
        """``colocation + w.prior * prior + w.size * size[q] + w.direction * direction`` (output columns ``cols``)."""
        S = self.colocation(w.large_share, cols) + w.prior * self.prior[:, cols] + w.size * self.size[:, None]
        return S + w.direction * self.direction(cols) if w.direction else S


def top_k_inputs(S: np.ndarray, k: int) -> np.ndarray:
    """``[rank, output] -> input``: each column's ``k`` largest entries off the diagonal, best first (ties: the
    smaller index), the order of :func:`valuechain.links.cospec.top_links`."""
    n = S.shape[0]
    S = np.where(np.eye(n, dtype=bool), -np.inf, S)
    return np.argsort(-S, axis=0, kind="stable")[: min(k, n - 1)]


def correct_counts(S: np.ndarray, labels: np.ndarray, scorable: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per output: the number of its top-``k`` links that are scored (both products ``scorable``) and the number
    that are true (``labels[q, p]``)."""
    top = top_k_inputs(S, k)
    out = np.broadcast_to(np.arange(S.shape[1]), top.shape)
    scored = scorable[top] & scorable[out]
    return scored.sum(axis=0), (labels[top, out] & scored).sum(axis=0)


def product_folds(products, folds: int) -> np.ndarray:
    """The fold of each product: a hash of its HS4 heading (its first four characters), so that a product has the
    same fold in every run and an HS6 product the fold of its heading."""
    heading, headings = pd.factorize(pd.Series(products, dtype=str).str[:4])
    return np.array([zlib.crc32(h.encode()) % folds for h in headings], dtype=int)[heading]


def crossfit_weights(evidence: WorldEvidence, labels: dict, scorable: np.ndarray, fold: np.ndarray, k: int,
                     grid: list[WorldWeights]) -> tuple[dict, pd.DataFrame]:
    """Choose the :meth:`WorldEvidence.score` weights for each fold of output products on the other folds.

    ``labels``: labelling -> boolean ``[q, p]`` matrix; a grid point's merit is the mean over labellings of its
    precision@``k`` pooled over the outputs of the training folds. Returns ``({fold: WorldWeights}, table)``; the
    table has a row per grid point and held-out ``fold`` with ``train_<labels>`` (precision on the other folds),
    ``scored_<labels>`` and ``true_<labels>`` (the fold's own scored and true links, which sum to the grid point's
    in-sample counts, :func:`in_sample_weights`), ``merit`` and ``chosen``. Ties go to the first grid point. Each
    grid point is scored once; folds only sum."""
    rows = []
    for g, w in enumerate(grid):
        S = evidence.score(w)
        counts = {name: correct_counts(S, L, scorable, k) for name, L in labels.items()}
        for f in np.unique(fold):
            train = fold != f
            rows.append({"grid": g, "fold": int(f), "prior": w.prior, "size": w.size, "direction": w.direction,
                         "large_share": np.nan if w.large_share is None else w.large_share,
                         **{f"train_{name}": c[1][train].sum() / max(c[0][train].sum(), 1)
                            for name, c in counts.items()},
                         **{f"{kind}_{name}": int(c[i][~train].sum()) for name, c in counts.items()
                            for i, kind in enumerate(("scored", "true"))}})
    table = pd.DataFrame(rows)
    table["merit"] = table[[f"train_{name}" for name in labels]].mean(axis=1)
    best = table.sort_values(["fold", "merit", "grid"], ascending=[True, False, True]).groupby("fold").head(1)
    table["chosen"] = table.index.isin(best.index)
    return {int(r.fold): grid[int(r.grid)] for r in best.itertuples()}, table


def in_sample_weights(table: pd.DataFrame, grid: list[WorldWeights], labels) -> WorldWeights:
    """The grid point best on every output at once (in sample, for comparison only): the :func:`crossfit_weights`
    table's per-fold counts summed; the same merit, ties to the first grid point."""
    sums = table.groupby("grid")[[f"{kind}_{name}" for name in labels for kind in ("scored", "true")]].sum()
    merit = np.mean([sums[f"true_{name}"] / sums[f"scored_{name}"] for name in labels], axis=0)
    return grid[int(sums.index[np.argmax(merit)])]


def crossfit_score(evidence: WorldEvidence, fold_of_output: np.ndarray, weights: dict) -> np.ndarray:
    """The world score of every pair, each output's column from the weights of its fold (``weights``)."""
    missing = set(np.unique(fold_of_output)) - set(weights)
    if missing:
        raise ValueError(f"no world weights for fold(s) {sorted(missing)}")
    S = np.empty(evidence.prior.shape)
    for f, w in weights.items():
        cols = np.flatnonzero(fold_of_output == f)
        S[:, cols] = evidence.score(w, cols)
    return S


# ------------------------------------------------------------------------------------------- assembly
def hs_industries(concordance: pd.DataFrame, division: str, industries: pd.DataFrame) -> pd.DataFrame:
    """``hs6, industry``: an HS -> ISIC concordance (columns ``HS_6d`` and the 2-digit ``division`` column, e.g.
    ``ISIC3_2d``) carried to the industries of an input-output table (``industries``: ``industry`` and the 2-digit
    divisions each covers, one row per division, as :func:`valuechain.reference.niot.industry_isic3` gives them)."""
    c = concordance[["HS_6d", division]].dropna().set_axis(["hs6", "division"], axis=1)
    m = industries[["industry", industries.columns.drop("industry")[0]]].set_axis(["industry", "division"], axis=1)
    return c.merge(m.astype(str), on="division")[["hs6", "industry"]].drop_duplicates().reset_index(drop=True)


def world_evidence(products, exports: pd.DataFrame, priors, large_shares) -> WorldEvidence:
    """The :class:`WorldEvidence` of ``products`` (HS codes of 4 or 6 digits).

    ``exports``: ``country, hs4, value`` (the world's exports by country and HS4 heading); ``priors``: a list of
    ``(concordance, coefficients)`` pairs (:func:`industry_shares` input ``hs6, industry`` and the world input
    coefficients ``A`` of that table's industries), whose log priors are averaged; ``large_shares``: the
    co-location variants to compute (None: all locations only)."""
    from valuechain.trade.rca import balassa_rca

    products = pd.Index(pd.Series(products, dtype=str))
    X = exports.pivot_table(index="country", columns="hs4", values="value", aggfunc="sum", fill_value=0.0)
    X.columns = X.columns.astype(str)
    E = balassa_rca(X.to_numpy())
    sizes = X.sum(axis=1).to_numpy()
    colocations = {ls: colocation(E, sizes, ls) for ls in large_shares}
    headings = X.columns.get_indexer(products.str[:4])
    shares = [(industry_shares(products, conc), A) for conc, A in priors]
    prior = np.mean([log_prior(product_prior(M, A)) for M, A in shares], axis=0)
    mapped = np.any([M.to_numpy().sum(axis=1) > 0 for M, _ in shares], axis=0)
    size = export_size(X.sum(axis=0), products.str[:4])
    return WorldEvidence(headings=headings, colocations=colocations, prior=prior, size=size, mapped=mapped)


def reference_labels(reference: pd.DataFrame, products, min_share: float, labellings: dict[str, str]
                     ) -> dict[str, np.ndarray]:
    """The reference's true links as ``n x n`` matrices over ``products`` (input rows, output columns), one per
    labelling (``labellings``: name -> the reference's share column, :data:`valuechain.reference.product.LABELLINGS`), a
    pair true when that share is at least ``min_share``; pairs of products outside ``products`` are left out."""
    index = pd.Index(products)
    labels = {}
    for name, column in labellings.items():
        true = reference[reference[column] >= min_share]
        L = np.zeros((len(index), len(index)), dtype=bool)
        q, o = index.get_indexer(true["input"]), index.get_indexer(true["output"])
        keep = (q >= 0) & (o >= 0)
        L[q[keep], o[keep]] = True
        labels[name] = L
    return labels


def single_evidence_scores(evidence: WorldEvidence, best: WorldWeights) -> dict[str, np.ndarray]:
    """Each evidence alone, and two combinations, as scores beside the cross-fitted world network: co-location, the
    industry prior, export size, their untuned sum (0.05 prior + co-location) and the weights best on every
    output at once (``best``, chosen in sample: labelled so in the evaluation)."""
    colocation = evidence.colocation(None)
    return {
        "world_colocation": colocation,
        "world_industry_prior": evidence.prior,
        "world_export_size": np.broadcast_to(evidence.size[:, None], colocation.shape),
        "world_untuned_sum": 0.05 * evidence.prior + colocation,
        "world_in_sample": evidence.score(best),
    }


# How each network of the world yardstick was chosen: held out on other folds, in sample, or not tuned at all.
WORLD_CHOSEN_ON = {"world": "other folds of outputs", "world_in_sample": "all outputs (in sample)"}


def label_world_evaluation(evaluation: pd.DataFrame) -> pd.DataFrame:
    """The world yardstick's evaluation with ``held_out`` (False only for the in-sample network) and ``chosen_on``
    (:data:`WORLD_CHOSEN_ON`, ``nothing`` for networks with no weights chosen) after ``network``."""
    out = evaluation.copy()
    out.insert(1, "held_out", out["network"].map({"world": True, "world_in_sample": False}).fillna(True).astype(bool))
    out.insert(2, "chosen_on", out["network"].map(WORLD_CHOSEN_ON).fillna("nothing"))
    return out
