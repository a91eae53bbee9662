"""Every link of the analysed network with what is known of it (``links/annotated.parquet``), for the explorer,
the command line and the exports: the product reference's label, an estimated precision on a scale that
discriminates, and the rank each link method gives the same link.

- The reference label (:func:`reference_labels`): ``true`` when the product reference has the link, ``false``
  when both products are scorable and it does not, ``unscorable`` when either has no BEA code.
- The estimated precision (:func:`heldout_precision`): the share of links of similar strength that the reference
  confirms. The confidences of the methods are percentiles of their scores among every ordered pair, so an
  output's top three read 0.98-1.00 almost always and say little; the precision is an isotonic regression of the
  reference label on that confidence, each step's share smoothed towards one half by one confirmed and one
  rejected link, fitted on the links of the other folds of output products (the folds of
  :func:`valuechain.links.evidence.product_folds`), so that no link's estimate comes from its own label. It is a
  calibration of what the page shows, not an input of any link method: the links and their order stay the
  method's. A link whose ends are unscorable gets the estimate of links of its strength, fitted on every
  scorable link.
- Each method's rank (``rank_<method>``): where that method places the same input among the output's inputs
  (missing: not among its top k). For the fused method this is what each kind of evidence contributed: the
  regional (co-specialisation and co-location) and the world (exports everywhere, the industry prior) ranks.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from valuechain.links.evidence import product_folds

#: The reference's labels of a link, in the order of their codes (docs/reference.md).
REFERENCE_LABELS = ("true", "false", "unscorable")
#: Output-product folds of the held-out calibration.
FOLDS = 5
#: Fewest scorable links (and of each label) a calibration is fitted on; fewer leave the precision missing.
MIN_CALIBRATION_LINKS = 20


def reference_labels(links: pd.DataFrame, product_io: pd.DataFrame, coverage: pd.DataFrame) -> pd.DataFrame:
    """``reference`` (one of :data:`REFERENCE_LABELS`) and ``reference_share`` of every ``output, input`` link.

    ``product_io``: ``output, input, share, label`` (positive shares only; an absent scorable pair has share 0);
    ``coverage``: ``product, scorable``. The share is missing when the link is unscorable."""
    pairs = links[["output", "input"]].merge(product_io[["output", "input", "share", "label"]],
                                             on=["output", "input"], how="left")
    scorable = set(coverage.loc[coverage["scorable"], "product"])
    both = pairs["output"].isin(scorable).to_numpy() & pairs["input"].isin(scorable).to_numpy()
    label = pairs["label"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    code = np.where(~both, 2, np.where(label, 0, 1))
    share = np.where(both, pairs["share"].fillna(0.0).to_numpy(dtype=float), np.nan)
    return pd.DataFrame({"reference": np.asarray(REFERENCE_LABELS, dtype=object)[code], "reference_share": share},
                        index=links.index)


def link_strength(links: pd.DataFrame) -> np.ndarray:
    """What orders links from weakest to strongest, whatever network they come from: the confidence when the
    links carry one, else minus the p-value (the validated network), else minus the rank (a user's network)."""
    if "confidence" in links.columns and links["confidence"].notna().any():
        return links["confidence"].to_numpy(dtype=float)
    if "pvalue" in links.columns:
        return -links["pvalue"].to_numpy(dtype=float)
    return -links["rank"].to_numpy(dtype=float)


def _calibration(x: np.ndarray, y: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The share of confirmed links (``y``) of the strengths ``at``, read off an increasing step function of the
    strength ``x``: the blocks of an isotonic regression of ``y`` on ``x``, each block's share smoothed as
    (confirmed + 1) / (links + 2), so that a block of 30 confirmed links reads 0.97, not a certain 1.0, and
    increasing still. A strength below every block reads the first block, one between two blocks the lower."""
    from sklearn.isotonic import IsotonicRegression

    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    fitted = IsotonicRegression(increasing=True).fit_transform(x, y)
    starts = np.flatnonzero(np.r_[True, np.diff(fitted) != 0])
    counts = np.diff(np.r_[starts, len(x)])
    confirmed = np.add.reduceat(y, starts)
    share = (confirmed + 1) / (counts + 2)
    block = np.clip(np.searchsorted(x[starts], at, side="right") - 1, 0, len(starts) - 1)
    return share[block]


def heldout_precision(strength: np.ndarray, reference: np.ndarray, outputs: np.ndarray,
                      folds: int = FOLDS) -> np.ndarray:
    """The estimated precision of every link: an increasing (isotonic) fit of "the reference confirms the link"
    on ``strength`` (:func:`_calibration`), fitted for each fold of output products on the scorable links of the
    other folds and read at the fold's own links; unscorable links read the fit on every scorable link. Missing everywhere when fewer
    than :data:`MIN_CALIBRATION_LINKS` scorable links (or of either label) are there to fit on, and for a fold
    whose other folds have too few."""
    strength = np.asarray(strength, dtype=float)
    reference = np.asarray(reference, dtype=object)
    scorable = reference != "unscorable"
    correct = (reference == "true").astype(float)
    out = np.full(len(strength), np.nan)

    def enough(mask: np.ndarray) -> bool:
        return min(mask.sum(), correct[mask].sum(), (1 - correct[mask]).sum()) >= MIN_CALIBRATION_LINKS

    if not enough(scorable):
        return out
    fold = product_folds(np.asarray(outputs, dtype=str), folds)
    for f in range(folds):
        train, here = scorable & (fold != f), scorable & (fold == f)
        if here.any() and enough(train):
            out[here] = _calibration(strength[train], correct[train], strength[here])
    if (~scorable).any():
        out[~scorable] = _calibration(strength[scorable], correct[scorable], strength[~scorable])
    return out


def method_ranks(links: pd.DataFrame, methods: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """``rank_<method>`` of every ``output, input`` link in each of ``methods`` (name -> its links with ``output,
    input, rank``), missing where that method does not have the link among its top k."""
    key = pd.MultiIndex.from_frame(links[["output", "input"]])
    ranks = {}
    for name, other in methods.items():
        by_pair = other.set_index(["output", "input"])["rank"]
        ranks[f"rank_{name}"] = pd.array(by_pair.reindex(key).to_numpy(dtype=float), dtype="Int64")
    return pd.DataFrame(ranks, index=links.index)


#: The columns of the annotated links, before the ``rank_<method>`` ones.
ANNOTATED_COLUMNS = ["output", "output_name", "input", "input_name", "rank", "confidence", "estimated_precision", "reference",
                     "reference_share", "method"]


def annotate_links(links: pd.DataFrame, names: pd.Series, product_io: pd.DataFrame, coverage: pd.DataFrame,
                   methods: Mapping[str, pd.DataFrame], network: str) -> pd.DataFrame:
    """The analysed network's links (``output, input, rank`` and what else they carry) with the products' names
    (``names``: HS code -> name), the reference label and share, the held-out estimated precision and each of
    ``methods``' rank (:func:`method_ranks`); ``method`` is the links' own or ``network``. Sorted by output, rank
    and input."""
    links = links.sort_values(["output", "rank", "input"], kind="stable").reset_index(drop=True)
    out = links[["output", "input", "rank"]].astype({"output": str, "input": str, "rank": "int64"})
    out["output_name"] = out["output"].map(names).fillna("").astype(str)
    out["input_name"] = out["input"].map(names).fillna("").astype(str)
    out["confidence"] = links["confidence"].astype(float) if "confidence" in links.columns else np.nan
    out = pd.concat([out, reference_labels(out, product_io, coverage)], axis=1)
    out["estimated_precision"] = heldout_precision(link_strength(links), out["reference"].to_numpy(), out["output"].to_numpy())
    out["method"] = links["method"].astype(str) if "method" in links.columns else network
    out = out.astype({"reference": "str", "method": "str", "confidence": "float64", "estimated_precision": "float64"})
    return pd.concat([out[ANNOTATED_COLUMNS], method_ranks(out, methods)], axis=1)
