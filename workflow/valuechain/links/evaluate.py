"""Scoring predicted input links against a known input-output graph (the demo world's planted truth).

Only outputs that have at least one true input are scored (a product with no inputs in the truth cannot be
right or wrong). Measures, per method: precision@k (true predicted links / predicted links), recall (true
predicted links / true links of the scored outputs), and the paper's Fig. 2(C) shares of outputs with at
least one, at least two, and all ``k`` of their predicted inputs correct.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def at_least_shares(correct: np.ndarray, k: int) -> np.ndarray:
    """The shares of ``correct`` (correct links per output) that are at least n, for n = 1..k, in one pass (a
    histogram summed from the top): NaN when there is no output."""
    correct = np.asarray(correct, dtype=np.int64)
    if len(correct) == 0:
        return np.full(k, np.nan)
    counts = np.bincount(np.clip(correct, 0, k), minlength=k + 1)
    return counts[::-1].cumsum()[::-1][1:] / len(correct)

def read_truth(path) -> pd.DataFrame:
    """Known links ``output, input`` from a Parquet or CSV file (codes kept as text)."""
    path = str(path)
    truth = pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path, dtype=str)
    missing = {"output", "input"} - set(truth.columns)
    if missing:
        raise ValueError(f"{path}: truth file lacks column(s) {sorted(missing)}")
    return truth[["output", "input"]]


def label_predictions(pred: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """``pred`` (``output, input, ...``) with a boolean ``correct`` column, restricted to scored outputs."""
    scored = truth["output"].unique()
    true_pairs = pd.MultiIndex.from_frame(truth[["output", "input"]])
    pred = pred[pred["output"].isin(scored)]
    correct = pd.MultiIndex.from_frame(pred[["output", "input"]]).isin(true_pairs)
    return pred.assign(correct=correct)


def score_links(pred: pd.DataFrame, truth: pd.DataFrame, k: int) -> dict[str, float]:
    """Precision@k, recall and the at-least-n-correct shares of the top ``k`` predictions per output."""
    top = pred[pred["rank"] <= k]
    labelled = label_predictions(top, truth)
    scored = truth["output"].unique()
    per_output = labelled.groupby("output")["correct"].sum().reindex(scored, fill_value=0)
    n_true = len(truth[truth["output"].isin(scored)])
    out = {
        "outputs_scored": int(len(scored)),
        "outputs_predicted": int(labelled["output"].nunique()),
        "predicted_links": int(len(labelled)),
        "true_predicted_links": int(labelled["correct"].sum()),
        "precision_at_k": float(labelled["correct"].mean()) if len(labelled) else np.nan,
        "recall": float(labelled["correct"].sum() / n_true) if n_true else np.nan,
    }
    shares = at_least_shares(per_output.to_numpy(), k)
    out.update({f"share_at_least_{n}_correct": float(shares[n - 1]) for n in range(1, k)})
    out[f"share_all_{k}_correct"] = float(shares[k - 1])
    return out


def evaluation_table(methods: dict[str, pd.DataFrame], truth: pd.DataFrame, k: int) -> pd.DataFrame:
    """One row per method (e.g. ``{"bf_outer": links, "baseline": random}``) with :func:`score_links`."""
    rows = [{"method": name, "k": k, **score_links(pred, truth, k)} for name, pred in methods.items()]
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------- against the product reference
def ranked(links: pd.DataFrame) -> pd.DataFrame:
    """``links`` with a ``rank`` per output: its own ``rank`` column; else by ``weight`` (descending) or
    ``pvalue`` (ascending), ties by input code; a network with none of these is unordered and every link gets
    rank 1 (all of them count as the output's top ``k``)."""
    if "rank" in links.columns:
        return links
    for col, ascending in (("weight", False), ("pvalue", True)):
        if col in links.columns:
            order = links.sort_values(["output", col, "input"], ascending=[True, ascending, True])
            return order.assign(rank=order.groupby("output").cumcount() + 1).sort_index()
    return links.assign(rank=1)


def read_universe(path) -> np.ndarray:
    """The run's products from an RCA table (column ``hs``) or a links table (``output`` and ``input``)."""
    table = pd.read_parquet(path)
    if "hs" in table.columns:
        return pd.unique(table["hs"])
    return pd.unique(pd.concat([table["output"], table["input"]]))


def standard_network(links: pd.DataFrame) -> pd.DataFrame:
    """Any link table as ``output, input, rank, weight``: ``weight`` is its own, or its ``share`` (planted
    truth, reference) or ``confidence`` (cospec, learned), else missing (an unweighted network); ``rank`` as in
    :func:`ranked`."""
    links = links.copy()
    if "weight" not in links.columns:
        source = next((c for c in ("share", "confidence") if c in links.columns), None)
        links["weight"] = links[source] if source else np.nan
    return ranked(links)[["output", "input", "rank", "weight"]].reset_index(drop=True)


def reference_per_output(links: pd.DataFrame, ref: pd.DataFrame, scorable, k: int,
                         min_share: float) -> pd.DataFrame:
    """Per output of the top ``k`` of ``links``: ``output, links, scored, correct``.

    A link ``q -> p`` is scored when both products are scorable (mapped to the reference), and correct when its
    reference share (``ref``: ``output, input, share``, positive shares only; absent pairs have share 0) is at
    least ``min_share``.
    """
    top = ranked(links)
    top = top.loc[top["rank"] <= k, ["output", "input"]]
    scorable = pd.Index(scorable)
    top = top.assign(scored=top["output"].isin(scorable) & top["input"].isin(scorable))
    share = top.merge(ref[["output", "input", "share"]], on=["output", "input"], how="left")["share"]
    top["correct"] = top["scored"].to_numpy() & (share.fillna(0.0).to_numpy() >= min_share)
    per = top.groupby("output").agg(links=("input", "size"), scored=("scored", "sum"), correct=("correct", "sum"))
    return per.reset_index()


def summarise_per_output(per: pd.DataFrame, k: int) -> dict[str, float]:
    """Precision (correct / scored links), the shares of scored outputs with at least 1, ..., k-1 and all ``k``
    inputs correct (the paper's Fig. 2C), and the counts of scored links and outputs."""
    per = per[per["scored"] > 0]
    out = {"precision": float(per["correct"].sum() / per["scored"].sum()) if len(per) else np.nan}
    shares = at_least_shares(per["correct"].to_numpy(), k)
    out.update({f"at_least_{n}": float(shares[n - 1]) for n in range(1, k)})
    out["all_k"] = float(shares[k - 1])
    out["scored_links"] = int(per["scored"].sum())
    out["scored_outputs"] = int(len(per))
    return out


def random_per_output(universe, ref: pd.DataFrame, scorable, k: int, min_share: float) -> pd.DataFrame:
    """The exact expectation for ``k`` inputs drawn at random (without replacement, self excluded) among the
    scorable products of ``universe``: per output, ``candidates`` N, ``true`` T, the expected precision ``T / N``
    and ``P(at least n correct)`` from the hypergeometric law, for n = 1..k."""
    from scipy.stats import hypergeom

    pool = pd.Index(universe).intersection(pd.Index(scorable)).unique()
    true = ref[(ref["share"] >= min_share) & ref["output"].isin(pool) & ref["input"].isin(pool)]
    per = pd.DataFrame({"output": pool})
    per["candidates"] = len(pool) - 1
    per["true"] = true.groupby("output").size().reindex(pool, fill_value=0).to_numpy()
    per = per[per["candidates"] >= k]
    per["precision"] = per["true"] / per["candidates"]
    n = np.arange(1, k + 1)
    p = hypergeom.sf(n[None, :] - 1, per["candidates"].to_numpy()[:, None], per["true"].to_numpy()[:, None], k)
    per = pd.concat([per.reset_index(drop=True),
                     pd.DataFrame(p.reshape(len(per), k), columns=[f"p_at_least_{i}" for i in n])], axis=1)
    return per


def summarise_random(per: pd.DataFrame, k: int) -> dict[str, float]:
    """The :func:`summarise_per_output` figures expected of a random network (see :func:`random_per_output`)."""
    out = {"precision": float(per["precision"].mean()) if len(per) else np.nan}
    means = per[[f"p_at_least_{n}" for n in range(1, k + 1)]].mean().to_numpy() if len(per) else np.full(k, np.nan)
    out.update({f"at_least_{n}": float(means[n - 1]) for n in range(1, k)})
    out["all_k"] = float(means[k - 1])
    out["scored_links"] = int(k * len(per))
    out["scored_outputs"] = int(len(per))
    return out


def reference_evaluation(networks: dict[str, pd.DataFrame], ref: pd.DataFrame, scorable, universe, k: int,
                         min_shares, groups: dict[str, pd.Series] | None = None,
                         labellings=("all", "cross_commodity")) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every network scored against the reference in every labelling (``valuechain.reference.product.LABELLINGS``) at
    every ``min_share``, plus the random expectation over ``universe`` (row ``random_expected``).

    Returns ``(table, by_group)``: ``table`` has one row per (network, labels, min_share) with ``network, labels,
    min_share, k, precision, at_least_1, ..., all_k, scored_links, scored_outputs``; ``by_group`` the same measures
    per value of each grouping of the outputs in ``groups`` (``{"section": product -> section, ...}``), with
    columns ``grouping, group`` added.
    """
    from valuechain.reference.product import labelled

    rows, group_rows = [], []
    for labels in labellings:
        view = labelled(ref, labels)
        for t in min_shares:
            key = {"labels": labels, "min_share": t, "k": k}
            per_net = {name: reference_per_output(links, view, scorable, k, t) for name, links in networks.items()}
            rand = random_per_output(universe, view, scorable, k, t)
            for name, per in per_net.items():
                rows.append({"network": name, **key, **summarise_per_output(per, k)})
            rows.append({"network": "random_expected", **key, **summarise_random(rand, k)})
            for grouping, of in (groups or {}).items():
                for name, per in [*per_net.items(), ("random_expected", rand)]:
                    g = of.reindex(per["output"]).fillna("unclassified").to_numpy()
                    summarise = summarise_random if name == "random_expected" else summarise_per_output
                    for value, part in per.groupby(g):
                        group_rows.append({"network": name, **key, "grouping": grouping, "group": value,
                                           **summarise(part, k)})
    return pd.DataFrame(rows), pd.DataFrame(group_rows)


# ------------------------------------------------------------------ link methods against known links
def method_scores(links: pd.DataFrame, truth: pd.DataFrame, k: int) -> dict[str, float]:
    """:func:`score_links` of any link table (ranked by :func:`ranked`) with the coverage: ``precision`` =
    correct / predicted links of the top ``k``; ``coverage`` = share of the truth's outputs given at least one
    input; ``at_least_n`` and ``all_k`` are shares of *all* those outputs, so an output given no input
    (abstaining) counts as having none correct, never as right."""
    s = score_links(ranked(links), truth, k)
    out = {"precision": s["precision_at_k"], "coverage": s["outputs_predicted"] / s["outputs_scored"]}
    for n in range(1, k):
        out[f"at_least_{n}"] = s[f"share_at_least_{n}_correct"]
    out["all_k"] = s[f"share_all_{k}_correct"]
    out["links"] = s["predicted_links"]
    out["outputs"] = s["outputs_scored"]
    return out


def precision_at_coverage(links: pd.DataFrame, truth: pd.DataFrame, k: int, coverage: float) -> float:
    """Precision of the links of the most confident ``coverage`` share of the truth's outputs (ranked by their
    best link's ``confidence``, ties by code), so methods that abstain are compared at the same coverage."""
    outputs = pd.Index(truth["output"].unique())
    top = ranked(links)
    top = top[(top["rank"] <= k) & top["output"].isin(outputs)]
    if top.empty:
        return np.nan
    conf = top["confidence"] if "confidence" in top.columns else pd.Series(1.0, index=top.index)
    best = conf.groupby(top["output"]).max().sort_index(kind="stable").sort_values(ascending=False, kind="stable")
    n_keep = int(np.floor(coverage * len(outputs) + 1e-9))
    if n_keep > len(best):
        return np.nan  # the method covers fewer outputs than asked
    kept = top[top["output"].isin(best.index[:n_keep])]
    correct = pd.MultiIndex.from_frame(kept[["output", "input"]]).isin(
        pd.MultiIndex.from_frame(truth[["output", "input"]]))
    return float(correct.mean()) if len(kept) else np.nan
