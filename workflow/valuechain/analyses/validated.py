"""The statistically validated co-specialisation network of products (docs/method.md section 8), after Fessina,
Tacchella and Zaccaria (Methods, "Constructing the products' network" and "Filtering the network", eqs. 2-11),
with regions in the role of their firms.

- Binary specialisation: ``I[l,p] = RCA_imp[l,p] >= 1`` and ``E[l,q] = RCA_exp[l,q] >= 1`` (eq. 3).
- Co-specialisation counts ``V[p,q] = sum_l I[l,p] E[l,q]`` for ``p != q`` (eq. 4): how many locations are
  specialised in importing ``p`` and exporting ``q``.
- Null model: two Bipartite Configuration Models (Saracco et al. 2015), fitted separately on ``I`` and ``E``
  with ``bicm`` (fit only), giving link probabilities ``P_I[l,p]`` and ``P_E[l,q]`` (eqs. 5-8). Under the null
  ``V[p,q]`` is Poisson-binomial with success probabilities ``pi_l = P_I[l,p] P_E[l,q]`` (eqs. 9-10).
- p-value ``P(X >= V[p,q])`` (eq. 11), computed exactly by a truncated dynamic programme over all ordered pairs
  at once (:func:`pairwise_upper_tail`), where the paper sampled 1000 networks.
- Benjamini-Hochberg at ``alpha`` (0.05) over all ``n(n-1)`` ordered off-diagonal pairs; then the giant
  weakly connected component.

Direction: a validated pair ``(p, q)`` is the edge ``p -> q``: locations importing ``p`` export ``q``, so
``p`` is an input of ``q``. In the links table it is the row ``output = q, input = p``, the same convention
as the Backward & Forward links (``output, input, rank, ...``).
"""

from __future__ import annotations

import contextlib
import io
import json
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from valuechain.analyses.trophic import ranked_weak_components
from valuechain.glue.optional import require
from valuechain.glue.provenance import read_metadata
from valuechain.trade.rca import rca_matrices

LINK_COLUMNS = ["output", "input", "rank", "v", "expected", "pvalue"]


def specialisation_matrices(rca: pd.DataFrame, threshold: float = 1.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Binary export and import specialisation ``RCA >= threshold`` as aligned locations x products matrices.

    ``rca`` is the long RCA table (``country, region, hs, rca_export, rca_import``); missing pairs count as
    not specialised. Returns ``(E, I)``, exports first as :func:`valuechain.trade.rca.rca_matrices` does, as int8
    DataFrames indexed by (country, region), columns sorted HS.
    """
    missing = {"country", "region", "hs", "rca_export", "rca_import"} - set(rca.columns)
    if missing:
        raise ValueError(f"RCA table lacks columns {sorted(missing)}")
    if rca.duplicated(["country", "region", "hs"]).any():
        raise ValueError("RCA table has duplicate (country, region, hs) rows")
    rca_exp, rca_imp = rca_matrices(rca)
    return (rca_exp >= threshold).astype(np.int8), (rca_imp >= threshold).astype(np.int8)


@dataclass
class BicmFit:
    """Link probabilities of a fitted BiCM and what the solver reported."""

    probabilities: np.ndarray
    max_error: float
    solver_output: str = field(repr=False)


def fit_bicm(M: np.ndarray) -> BicmFit:
    """Fit the Bipartite Configuration Model to a binary matrix and return its link probabilities.

    ``bicm.BipartiteGraph(biadjacency=M).solve_tool()`` then ``get_bicm_matrix()`` (bicm 3.4.0; fit only: its
    projection is symmetric and single-model, and its normal/rna p-values are lower tails). The solver
    prints to stdout; that text is captured and returned. Expected degrees must match the observed ones
    (the BiCM constraints, eqs. 5-8); the largest absolute degree error is returned.
    """
    BipartiteGraph = require("bicm").BipartiteGraph

    M = np.asarray(M)
    if M.ndim != 2 or M.size == 0:
        raise ValueError(f"biadjacency must be a non-empty 2-D matrix, got shape {M.shape}")
    if not np.isin(M, (0, 1)).all():
        raise ValueError("biadjacency must be binary")
    if not M.any():
        return BicmFit(np.zeros(M.shape), 0.0, "empty matrix: all probabilities 0")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), warnings.catch_warnings():
        # numba's note on bicm's solver (its message starts with terminal colour codes, hence the leading .*)
        warnings.filterwarnings("ignore", message=".*First-class function type feature is experimental")
        graph = BipartiteGraph(biadjacency=M.astype(float))
        graph.solve_tool()
        P = np.array(graph.get_bicm_matrix(), dtype=float)
    if P.shape != M.shape or not np.isfinite(P).all() or (P < 0).any() or (P > 1 + 1e-9).any():
        raise ValueError(f"bicm returned invalid probabilities (shape {P.shape}); solver said: {buf.getvalue()}")
    P = np.clip(P, 0.0, 1.0)
    err = max(np.abs(P.sum(axis=1) - M.sum(axis=1)).max(), np.abs(P.sum(axis=0) - M.sum(axis=0)).max())
    return BicmFit(P, float(err), buf.getvalue().strip())


# ------------------------------------------------------------------------------- Poisson-binomial tails
def _tail_dp(pi_of, k: np.ndarray, n_trials: int) -> np.ndarray:
    """``P(X_i >= k_i)`` for Poisson-binomial ``X_i`` by a truncated dynamic programme, all ``i`` at once.

    ``pi_of(l)`` returns the success probabilities of trial ``l`` for every ``i``. The state keeps, for each
    ``i``, ``P(X = c)`` for ``c < k_i`` plus an absorbing bucket ``P(X >= k_i)``: a ``(max(k) + 1, len(k))``
    array, bottom-aligned so that every column's bucket is the last row (rows above count 0 stay 0). One
    trial maps ``P(c) <- P(c) + pi (P(c - 1) - P(c))`` and ``bucket <- bucket + pi P(k - 1)``. The upper tail
    is accumulated directly, so small p-values carry no cancellation error. Requires ``k >= 1``.
    """
    width = int(k.max()) + 1
    S = np.zeros((width, k.size))
    S[width - 1 - k, np.arange(k.size)] = 1.0
    tmp = np.empty((width - 2, k.size))
    for l in range(n_trials):
        pi = pi_of(l)
        S[-1] += S[-2] * pi
        np.subtract(S[:-2], S[1:-1], out=tmp)
        tmp *= pi
        S[0] -= S[0] * pi
        S[1:-1] += tmp
    return S[-1].copy()


def poisson_binomial_sf(pi: np.ndarray, k) -> np.ndarray:
    """Upper tails ``P(X_i >= k_i)`` where ``X_i`` is Poisson-binomial with probabilities ``pi[i, :]``.

    Exact truncated dynamic programme (:func:`_tail_dp`), vectorised over rows; ``k <= 0`` gives 1.
    Equals ``scipy.stats.poisson_binom.sf(k - 1, pi[i])``.
    """
    pi = np.atleast_2d(np.asarray(pi, dtype=float))
    k = np.broadcast_to(np.asarray(k, dtype=np.int64), (pi.shape[0],))
    if ((pi < 0) | (pi > 1)).any() or not np.isfinite(pi).all():
        raise ValueError("probabilities must lie in [0, 1]")
    out = np.ones(pi.shape[0])
    out[k > pi.shape[1]] = 0.0
    todo = np.flatnonzero((k >= 1) & (k <= pi.shape[1]))
    if todo.size:
        sub = np.ascontiguousarray(pi[todo].T)
        out[todo] = _tail_dp(lambda l: sub[l], k[todo], pi.shape[1])
    return out


def pairwise_upper_tail(
    PA: np.ndarray,
    PB: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    k: np.ndarray,
    chunk_cells: int = 1 << 17,
    n_jobs: int = 1,
) -> np.ndarray:
    """``P(X >= k)`` for every pair ``(rows[i], cols[i])`` with ``X ~ PoissonBinomial(PA[:, r] * PB[:, c])``.

    ``PA`` and ``PB`` are locations x products probability matrices (the two BiCMs). Pairs are sorted by
    ``k`` and cut into chunks of at most ``chunk_cells`` DP cells (pairs x (max k + 1)) and ``32 chunk_cells``
    location terms (locations x pairs), so memory stays at tens of MB whatever the number of pairs and locations
    and every chunk's DP array fits in cache; the work is
    ``O(locations x sum(k + 1))``. Locations where every probability of ``PA`` or ``PB`` is 0 are skipped
    (they contribute nothing). Chunks run on ``n_jobs`` threads (numpy releases the GIL).
    ``k <= 0`` gives 1, ``k`` above the number of locations gives 0.
    """
    PA = np.asarray(PA, dtype=float)
    PB = np.asarray(PB, dtype=float)
    if PA.shape[0] != PB.shape[0]:
        raise ValueError("both probability matrices need the same locations (rows)")
    live = PA.any(axis=1) & PB.any(axis=1)
    PA, PB = PA[live], PB[live]
    n_loc = PA.shape[0]
    k = np.asarray(k, dtype=np.int64)
    out = np.ones(k.size)
    out[k > n_loc] = 0.0
    todo = np.flatnonzero((k >= 1) & (k <= n_loc))
    todo = todo[np.argsort(k[todo], kind="stable")]
    chunks = []
    start = 0
    # a chunk's probabilities are two (locations x pairs) arrays: at most chunk_cells * 32 cells each
    max_pairs = max(1, chunk_cells * 32 // max(n_loc, 1))
    while start < todo.size:
        # cells of a chunk ending at j: (j - start + 1) * (k_j + 1), non-decreasing in j since k is sorted
        window = k[todo[start : start + min(chunk_cells // 2 + 1, max_pairs)]] + 1
        cells = np.arange(1, window.size + 1) * window
        stop = start + max(1, int(np.searchsorted(cells, chunk_cells, side="right")))
        chunks.append(todo[start:stop])
        start = stop

    def run(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = PA[:, rows[idx]], PB[:, cols[idx]]  # (locations, pairs) each
        return idx, _tail_dp(lambda l: a[l] * b[l], k[idx], n_loc)

    if n_jobs > 1 and len(chunks) > 1:
        with ThreadPoolExecutor(n_jobs) as pool:
            results = list(pool.map(run, chunks))
    else:
        results = [run(c) for c in chunks]
    for idx, p in results:
        out[idx] = p
    return out


def benjamini_hochberg(pvalues, alpha: float = 0.05, m: int | None = None) -> tuple[np.ndarray, float]:
    """Benjamini-Hochberg (1995) step-up: reject ``p <= p_(k*)`` with ``k* = max{k : p_(k) <= alpha k / m}``.

    Returns ``(rejected mask, threshold p_(k*))``; the threshold is 0 and nothing is rejected when no ``k``
    qualifies. NaN p-values are not allowed. ``m``: the number of tests when ``pvalues`` holds only those at or
    below ``alpha`` (the others can never be rejected, and the ranks of these are the same among all tests).
    """
    p = np.asarray(pvalues, dtype=float)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    if np.isnan(p).any():
        raise ValueError("p-values contain NaN")
    if m is None:
        m = p.size
    elif m < p.size or (p > alpha).any():
        raise ValueError("with m given, pass the p-values at or below alpha of m tests")
    if p.size == 0:
        return np.zeros(0, dtype=bool), 0.0
    ps = np.sort(p)
    ok = np.flatnonzero(ps <= alpha * np.arange(1, ps.size + 1) / m)
    if ok.size == 0:
        return np.zeros(p.size, dtype=bool), 0.0
    threshold = float(ps[ok[-1]])
    return p <= threshold, threshold


def giant_weak_component(inputs: np.ndarray, outputs: np.ndarray, nodes: pd.Index) -> np.ndarray:
    """Mask of the edges in the largest weakly connected component; ties go to the component holding the
    smallest node label, so the choice does not depend on the order of nodes."""
    n = len(nodes)
    if len(inputs) == 0:
        return np.zeros(0, dtype=bool)
    i, j = nodes.get_indexer(inputs), nodes.get_indexer(outputs)
    A = sp.csr_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    # Rank nodes by label, not position; nodes without edges are singletons and never the giant component.
    label_rank = np.empty(n, dtype=np.int64)
    label_rank[np.argsort(nodes.to_numpy(), kind="stable")] = np.arange(n)
    labels, rank = ranked_weak_components(A, key=label_rank)
    return rank[labels[i]] == 0


@dataclass
class ValidatedNetwork:
    """The validated links and a summary of how they were obtained."""

    links: pd.DataFrame
    summary: dict


@dataclass
class SpecialisationFit:
    """The two binary specialisation matrices (locations x products) and their fitted BiCM probabilities: all that
    the tests of the pairs need, so the blocks of :func:`block_pvalues` can run as separate jobs reading it."""

    locations: pd.MultiIndex
    products: pd.Index
    I: np.ndarray
    E: np.ndarray
    P_import: np.ndarray
    P_export: np.ndarray
    max_error_import: float
    max_error_export: float

    @classmethod
    def fit(cls, I: pd.DataFrame, E: pd.DataFrame) -> SpecialisationFit:
        """Fit the BiCMs of ``I`` and ``E`` (binary, same locations and products; :func:`specialisation_matrices`)."""
        if not I.index.equals(E.index) or not I.columns.equals(E.columns):
            raise ValueError("I and E must share locations (index) and products (columns)")
        if not pd.Index(I.columns).is_unique:
            raise ValueError("product codes must be unique")
        fit_i, fit_e = fit_bicm(I.to_numpy()), fit_bicm(E.to_numpy())
        return cls(pd.MultiIndex.from_frame(I.index.to_frame(index=False)), pd.Index(I.columns), I.to_numpy(),
                   E.to_numpy(), fit_i.probabilities, fit_e.probabilities, fit_i.max_error, fit_e.max_error)

    def to_frame(self) -> pd.DataFrame:
        """Long table, one row per location and product (locations, then products, in order): ``country, region,
        hs, import_specialised, export_specialised, p_import, p_export``."""
        n_loc, n = self.I.shape
        frame = self.locations.to_frame(index=False).iloc[np.repeat(np.arange(n_loc), n)].reset_index(drop=True)
        return frame.assign(hs=np.tile(self.products.to_numpy(), n_loc), import_specialised=self.I.ravel(),
                            export_specialised=self.E.ravel(), p_import=self.P_import.ravel(),
                            p_export=self.P_export.ravel())

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, max_error_import: float, max_error_export: float) -> SpecialisationFit:
        """The fit back from :meth:`to_frame` (floats round-trip exactly through Parquet)."""
        keys = ["country", "region"]
        loc_codes, locations = pd.MultiIndex.from_frame(frame[keys]).factorize(sort=True)
        prod_codes, products = pd.factorize(frame["hs"], sort=True)
        shape = (len(locations), len(products))
        if len(frame) != shape[0] * shape[1] or frame.duplicated([*keys, "hs"]).any():
            raise ValueError("the fit table needs exactly one row per location and product")
        mats = []
        for col in ("import_specialised", "export_specialised", "p_import", "p_export"):
            M = np.empty(shape, dtype=frame[col].dtype)
            M[loc_codes, prod_codes] = frame[col].to_numpy()
            mats.append(M)
        return cls(locations, pd.Index(products), *mats, max_error_import, max_error_export)

    @classmethod
    def read(cls, path) -> SpecialisationFit:
        """The fit as rule validated_fit wrote it: :meth:`to_frame`, the BiCM degree errors in the metadata."""
        errors = json.loads(read_metadata(path)["bicm_max_degree_error"])
        return cls.from_frame(pd.read_parquet(path), errors["import"], errors["export"])

    def block(self, inputs: np.ndarray, alpha: float, n_jobs: int = 1,
              block_products: int = 500) -> tuple[pd.DataFrame, int]:
        """:func:`block_pvalues` of the inputs ``inputs`` (indices into ``products``), ``block_products`` inputs at a
        time (memory grows with a block's pairs: about 8 GB for 5,000 x 5,000 at once, 1 GB for 500 x 5,000)."""
        parts = [block_pvalues(self.P_import, self.P_export, self.I, self.E, inputs[lo : lo + block_products],
                               alpha, n_jobs) for lo in range(0, len(inputs) or 1, block_products)]  # empty: 1 part
        return pd.concat([c for c, _ in parts], ignore_index=True), sum(co for _, co in parts)


def block_pvalues(PA: np.ndarray, PB: np.ndarray, Ib: np.ndarray, Eb: np.ndarray, inputs: np.ndarray,
                  alpha: float, n_jobs: int = 1) -> tuple[pd.DataFrame, int]:
    """The tests of the pairs ``input -> output`` for the input products ``inputs`` (indices) and every other
    output: ``(candidates, cooccurring)``.

    ``candidates``: ``input, output`` (indices), ``v``, ``expected`` (``sum_l PA[l, p] PB[l, q]``) and ``pvalue`` of
    the pairs with ``pvalue <= alpha``, the only ones Benjamini-Hochberg can keep; ``cooccurring``: the pairs of
    the block with ``v > 0``. Memory is that of the block (``len(inputs) x products``), never ``products^2``, so
    blocks can be separate jobs; a pair's p-value does not depend on the block it is computed in.
    """
    V = Ib[:, inputs].T.astype(np.float32) @ Eb.astype(np.float32)  # exact for counts < 2**24
    V[np.arange(len(inputs)), inputs] = -1  # a product is not its own input
    local, cols = np.nonzero(V >= 0)
    k = np.rint(V[local, cols]).astype(np.int64)
    rows = np.asarray(inputs)[local]
    test = np.flatnonzero(~surely_above(PA, PB, inputs, local, cols, k, alpha))
    pvals = pairwise_upper_tail(PA, PB, rows[test], cols[test], k[test], n_jobs=n_jobs)
    sel = test[pvals <= alpha]
    return pd.DataFrame({"input": rows[sel], "output": cols[sel], "v": k[sel],
                         "expected": expected_counts(PA, PB, rows[sel], cols[sel]),
                         "pvalue": pvals[pvals <= alpha]}), int((k > 0).sum())


def surely_above(PA: np.ndarray, PB: np.ndarray, inputs: np.ndarray, local: np.ndarray, cols: np.ndarray,
                 k: np.ndarray, alpha: float) -> np.ndarray:
    """Whether the p-value ``P(X >= k)`` of each pair ``(inputs[local], cols)`` is surely above ``alpha``, so that
    it need not be computed: a count well below its expectation ``mu``. For a sum of independent Bernoulli
    variables ``P(X <= mu - t) <= exp(-t^2 / (2 mu))`` (Chernoff's lower tail), so ``P(X >= k) > alpha`` when
    ``t = mu - k + 1 > 0`` and ``t^2 > 2 mu ln(1 / (1 - alpha))``. Half the pairs or more on a large world; the
    margin keeps the last bits of ``mu`` (a BLAS product) from deciding."""
    if not len(k) or alpha >= 1:
        return np.zeros(len(k), dtype=bool)
    mu = (PA[:, inputs].T @ PB)[local, cols]
    t = mu - k + 1
    return (t > 0) & (t * t > 2 * mu * np.log(1 / (1 - alpha)) * (1 + 1e-6) + 1e-9)


def expected_counts(PA: np.ndarray, PB: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                    pairs: int = 4096) -> np.ndarray:
    """``sum_l PA[l, rows] PB[l, cols]`` of each pair, ``pairs`` at a time (memory: locations x ``pairs``, where all
    pairs at once would be 12 GB for 5,000 locations and 300,000 pairs)."""
    return np.concatenate([np.einsum("lk,lk->k", PA[:, rows[i : i + pairs]], PB[:, cols[i : i + pairs]])
                           for i in range(0, len(rows), pairs)] or [np.zeros(0)])


def validated_links(candidates: pd.DataFrame, products: pd.Index, alpha: float = 0.05,
                    giant: bool = True) -> tuple[pd.DataFrame, float, int]:
    """Benjamini-Hochberg over all ``n(n-1)`` ordered pairs of ``products``, given the ``candidates`` of every block
    (:func:`block_pvalues`, indices into ``products``); then the giant weakly connected component when ``giant``.
    Returns ``(links, bh threshold, links before the giant component)``: links ``output, input, rank, v,
    expected, pvalue``, ``rank`` ordering the inputs of each output by p-value, then ``v`` descending, then code.
    """
    n = len(products)
    reject, threshold = benjamini_hochberg(candidates["pvalue"].to_numpy(), alpha, m=n * (n - 1))
    kept = candidates[reject]
    links = pd.DataFrame({"output": products[kept["output"].to_numpy()].to_numpy(),
                          "input": products[kept["input"].to_numpy()].to_numpy(),
                          "v": kept["v"].to_numpy(), "expected": kept["expected"].to_numpy(),
                          "pvalue": kept["pvalue"].to_numpy()})
    n_bh = len(links)
    if giant:
        links = links[giant_weak_component(links["input"].to_numpy(), links["output"].to_numpy(), products)]
    links = links.sort_values(["output", "pvalue", "v", "input"], ascending=[True, True, False, True])
    links.insert(2, "rank", links.groupby("output").cumcount() + 1)
    return links[LINK_COLUMNS].reset_index(drop=True), threshold, n_bh


def gather_network(fit: SpecialisationFit, candidates: pd.DataFrame, cooccurring: int, alpha: float = 0.05,
                   giant: bool = True) -> ValidatedNetwork:
    """The network from the ``candidates`` of all blocks of inputs (concatenated :func:`block_pvalues` results,
    indices into ``fit.products``) and their summed count of ``cooccurring`` pairs: :func:`validated_links` and
    the summary."""
    n = len(fit.products)
    links, threshold, n_bh = validated_links(candidates, fit.products, alpha, giant)
    summary = {
        "locations": int(len(fit.locations)),
        "products": int(n),
        "pairs_tested": int(n * (n - 1)),
        "pairs_with_cooccurrence": int(cooccurring),
        "bh_threshold": threshold,
        "links_bh": int(n_bh),
        "links_giant_component": len(links),
        "nodes_giant_component": int(pd.unique(links[["output", "input"]].to_numpy().ravel()).size),
        "bicm_max_degree_error_import": fit.max_error_import,
        "bicm_max_degree_error_export": fit.max_error_export,
    }
    return ValidatedNetwork(links, summary)


def validated_network(
    I: pd.DataFrame, E: pd.DataFrame, alpha: float = 0.05, n_jobs: int = 1, giant: bool = True,
    block_products: int = 500,
) -> ValidatedNetwork:
    """The statistically validated co-specialisation network (module docstring; docs/method.md section 8).

    ``I`` and ``E`` are binary locations x products matrices with the same index and columns. Returns the
    links ``output, input, rank, v, expected, pvalue`` (``input -> output``: locations importing ``input``
    export ``output``), restricted to the giant weakly connected component when ``giant``, and a summary.
    The pairs are tested ``block_products`` inputs at a time (:func:`block_pvalues`; the result does not depend on
    the block size). The workflow runs the same three steps as jobs: fit, blocks, gather.
    """
    fit = SpecialisationFit.fit(I, E)
    candidates, cooccurring = fit.block(np.arange(len(fit.products)), alpha, n_jobs, block_products)
    return gather_network(fit, candidates, cooccurring, alpha, giant)
