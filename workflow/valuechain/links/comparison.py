"""Every link method on every yardstick (``evaluation/methods.parquet``, docs/links.md): the ICIO tables held out
(and in sample, labelled), WIOD 2016 held out, the known truth, the product reference in both labellings, the
paper's published network on its own products and the world yardstick; with precision at matched coverage."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from valuechain.glue.provenance import read_metadata
from valuechain.links.cospec import bf_confidence, heldout_choice, variants
from valuechain.links.evaluate import method_scores, precision_at_coverage, standard_network
from valuechain.links.methods import fitted_options, links_from_rca, regional_score
from valuechain.links.yardstick import fold_of_outputs, label_matrix, rca_arrays, score_counts
from valuechain.reference import niot
from valuechain.reference.product import LABELLINGS, labelled

log = logging.getLogger(__name__)

# What one yardstick scores: the true links, and the networks scored on it by method.
Yardstick = tuple[pd.DataFrame, Mapping[str, pd.DataFrame]]


def icio_precisions(methods: Sequence[str], inputs: Mapping[str, str | list[str]], k: int, folds: int, seed: int,
                    wiod2016_years: Sequence[int], thresholds: str | dict) -> dict[str, dict[str, float]]:
    """Each method's precision on the ICIO tables, by scheme: the fine-tuning stage's held-out figures of each
    method's own selection procedure (``years``, ``industries``; ``in_sample`` labelled as such) and, when the WIOD
    2016 tables are among ``inputs`` (``niot``), their precision on those later years (``wiod2016``), held out
    for every choice made on WIOD 2013. ``inputs`` names the files as rule evaluate_methods does."""
    bf_heldout = pd.read_parquet(inputs["bf_heldout"])
    icio: dict[str, dict] = {"bf": {"years": bf_heldout.loc[bf_heldout["scheme"] == "years", "heldout_precision"],
                                    "industries": bf_heldout.loc[bf_heldout["fold"] == "pooled", "heldout_precision"]}}
    with open(inputs["bf_thresholds"]) as fh:
        icio["bf"]["in_sample"] = json.load(fh)["precision"]
    if "cospec" in methods:
        sel = pd.read_parquet(inputs["cospec_selection"])
        icio["cospec"] = {**json.loads(read_metadata(inputs["cospec_selection"])["heldout"]),
                          "in_sample": sel.loc[sel["chosen"], "tune"].iloc[0]}
    if "learned" in methods:
        tr = pd.read_parquet(inputs["learned_training"])
        chosen = tr[tr["chosen"]].iloc[0]
        icio["learned"] = {"years": chosen["heldout_years"], "industries": chosen["heldout_industries"],
                           "in_sample": chosen["in_sample"]}
    if "regional" in methods:  # its cospec variant chosen as cospec's: on the tuning years, or on the other folds
        with open(inputs["cospec_variant"]) as fh:
            variant = json.load(fh)["variant"]
        icio["regional"] = {}
        for sample, scheme in (("heldout", "years"), ("all", "in_sample")):
            E, I, _, industries = rca_arrays(pd.read_parquet(inputs[f"{sample}_specialisation"]))
            L = label_matrix(pd.read_parquet(inputs[f"{sample}_labels"]), industries)
            predicted, true = score_counts(regional_score(E, I, variant), L, k)
            icio["regional"][scheme] = true.sum() / predicted.sum()
        counts = {v: score_counts(regional_score(E, I, v), L, k) for v in variants()}  # all years
        icio["regional"]["industries"] = heldout_choice(counts, fold_of_outputs(len(industries), folds, seed))
    if "niot" in inputs:  # WIOD 2016, years after WIOD 2013's: held out for every choice made on WIOD 2013
        tables = niot.read_niot_tables(inputs["niot"])
        E, I, _, industries = rca_arrays(niot.niot_specialisation(tables, wiod2016_years))
        L = label_matrix(niot.niot_labels(tables, wiod2016_years), industries)
        options = fitted_options(inputs.get("cospec_variant"), inputs.get("learned_model"))
        with open(inputs["bf_thresholds"]) as fh:  # the thresholds the run's B&F uses
            options["thresholds"] = json.load(fh)["thresholds"] if thresholds == "tuned" else thresholds
        at = {name: i for i, name in enumerate(industries)}
        for method in [m for m in methods if m not in ("world", "fused")]:  # the prior is the label's own table
            top = links_from_rca(method, E, I, industries, k, **options)
            correct = L[top["input"].map(at).to_numpy(), top["output"].map(at).to_numpy()]
            icio.setdefault(method, {})["wiod2016"] = correct.mean()
            log.info("WIOD 2016 %s: precision@%d %.3f over %d links", method, k, correct.mean(), len(top))
    return icio


def icio_rows(icio: Mapping[str, Mapping[str, float]], methods: Sequence[str]) -> list[dict]:
    """The rows of :func:`icio_precisions`, in the order of ``methods``."""
    rows = []
    for method in methods:
        for scheme, value in icio.get(method, {}).items():
            value = float(value.iloc[0]) if isinstance(value, pd.Series) else float(value)
            yardstick = "wiod2016_heldout" if scheme == "wiod2016" else f"icio_{scheme}"
            rows.append({"method": method, "yardstick": yardstick, "held_out": scheme != "in_sample",
                         "precision": value, "coverage": 1.0})
    return rows


def product_yardsticks(links: Mapping[str, pd.DataFrame], universe: Sequence[str], coverage: pd.DataFrame,
                       product_io: pd.DataFrame, min_share: float, truth: pd.DataFrame | None = None
                       ) -> dict[str, Yardstick]:
    """The product-level yardsticks: the known truth (demo world or the user's) with every network, and the
    reference in each labelling at ``min_share`` with the networks cut to the run's scorable products."""
    yardsticks: dict[str, Yardstick] = {}
    if truth is not None:
        yardsticks["truth"] = (truth, links)
    scorable = set(coverage.loc[coverage["scorable"], "product"])
    pool = [u for u in universe if u in scorable]
    in_pool = {m: lk[lk["output"].isin(pool) & lk["input"].isin(pool)] for m, lk in links.items()}
    for labels in LABELLINGS:
        ref = labelled(product_io, labels)
        ref = ref[ref["share"] >= min_share]
        ref_run = ref[ref["output"].isin(pool) & ref["input"].isin(pool)]
        yardsticks["reference" if labels == "all" else f"reference_{labels}"] = (ref_run, in_pool)
    return yardsticks


def yardstick_rows(yardsticks: Mapping[str, Yardstick], k: int) -> list[dict]:
    return [{"method": method, "yardstick": name, "held_out": True, **method_scores(lk, truth, k)}
            for name, (truth, nets) in yardsticks.items() for method, lk in nets.items()]


def published_rows(published: pd.DataFrame, product_io: pd.DataFrame, coverage: pd.DataFrame, min_share: float,
                   k: int) -> list[dict]:
    """The paper's published network scored against the reference on its own scorable products."""
    scorable = set(coverage.loc[coverage["scorable"], "product"])
    pub = standard_network(published)
    own = pd.unique(pd.concat([pub["output"], pub["input"]]))
    own = [u for u in own if u in scorable]
    pub = pub[pub["output"].isin(own) & pub["input"].isin(own)]
    rows = []
    for labels in LABELLINGS:
        ref = labelled(product_io, labels)
        ref = ref[(ref["share"] >= min_share) & ref["output"].isin(own) & ref["input"].isin(own)]
        rows.append({"method": "published_kh2025", "yardstick": "reference_published_products"
                     + ("" if labels == "all" else f"_{labels}"), "held_out": True, **method_scores(pub, ref, k)})
    return rows


def world_rows(world: pd.DataFrame, min_share: float) -> list[dict]:
    """The world yardstick's rows (every country's exports, all HS4 products, held out) at ``min_share``."""
    return [{"method": r.network, "yardstick": "world" + ("" if r.labels == "all" else f"_{r.labels}"),
             "held_out": bool(r.held_out), "precision": r.precision, "coverage": 1.0, "at_least_1": r.at_least_1,
             "links": r.scored_links, "outputs": r.scored_outputs}
            for r in world[world["min_share"] == min_share].itertuples()]


def methods_table(rows: list[dict], yardsticks: Mapping[str, Yardstick], k: int) -> pd.DataFrame:
    """The rows as one table with precision at matched coverage: every method at the smallest coverage any method
    has on that yardstick (recomputed for the yardsticks whose networks are at hand, copied for the others)."""
    table = pd.DataFrame(rows)
    table["matched_coverage"] = table.groupby("yardstick")["coverage"].transform("min")
    table["precision_at_matched_coverage"] = table["precision"]
    for i, row in table[table["yardstick"].isin(list(yardsticks))].iterrows():
        truth, nets = yardsticks[row["yardstick"]]
        table.loc[i, "precision_at_matched_coverage"] = precision_at_coverage(
            nets[row["method"]], truth, k, row["matched_coverage"])
    table.insert(2, "k", k)
    return table


def coverage_curves(yardsticks: Mapping[str, Yardstick], k: int, steps: int = 20
                    ) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """Precision at coverage 1/steps, 2/steps, ..., 1 of every network on every yardstick (the figure's curves)."""
    levels = [i / steps for i in range(1, steps + 1)]
    return {(name, method): [(c, precision_at_coverage(lk, truth, k, c)) for c in levels]
            for name, (truth, nets) in yardsticks.items() for method, lk in nets.items()}


def read_links(methods: Sequence[str], paths: Sequence[str | Path]) -> dict[str, pd.DataFrame]:
    """Each method's links; B&F's with its documented confidence, as in links/final.parquet."""
    links = {m: pd.read_parquet(path) for m, path in zip(methods, paths)}
    if "bf" in links:
        links["bf"] = links["bf"].assign(confidence=bf_confidence(links["bf"]["score"]))
    return links
