"""Product input links from trade data: every method of the workflow behind one function (docs/links.md).

    from valuechain.links.methods import infer
    links = infer(exports, imports, method="default", k=3,              # locations x products values (USD)
                  weights="results/shared/world-<key>/weights.json")  # the world stage's weights

The workflow's rules call the same functions (:func:`method_score`, :func:`load_world`), so the links of
``infer`` on a run's trade equal the run's links.

Methods (:data:`METHODS`):

- ``bf``: Backward & Forward, the paper's method (:mod:`valuechain.links.bf`; confidence ``2 / (rb + rf)``).
- ``cospec``: continuous co-specialisation of importing ``q`` and exporting ``p`` (:mod:`valuechain.links.cospec`).
- ``learned``: the classifier trained on ICIO industry pairs (:mod:`valuechain.links.learned`; needs its model file).
- ``colocation``: export co-location across the locations (exports only).
- ``regional``: regional evidence only: cospec plus co-location, each standardised over all pairs.
- ``world``: world evidence only, no regional data: the world's export co-location, the industry prior of two
  input-output tables and export size, with weights chosen held out (:mod:`valuechain.links.evidence`). HS codes only.
- ``fused``: ``regional`` plus ``world``, each standardised; ``regional`` where the codes are not HS codes or the
  world data are absent (said in the log).

Every score ranks each output's candidate inputs; the confidence is the score's percentile among all ordered
pairs with evidence (:func:`valuechain.links.cospec.percentile_confidence`) except for ``bf`` and ``learned``.

No evidence, no link (docs/links.md). Trade data that cannot identify any link (fewer than 2 products, or fewer than
2 regions whose export or import baskets differ) are refused with :class:`NoLinkEvidence` before any score is
computed (:func:`check_identifiable`). A pair that a method has no evidence for is never a link, whatever the
ranking would give it (:func:`pair_evidence`): its score is ``-inf``. What "evidence" is, per method:

- ``bf``: at least one location in its backward or forward count (``cb > 0`` or ``cf > 0``);
- ``cospec``, ``learned``: the input's import RCA and the output's export RCA both vary across locations (else
  their correlation, the evidence, is undefined);
- ``colocation``: the export RCA of both products varies across locations;
- ``regional``: cospec's evidence or co-location's;
- ``world``: both products are in the world's exports under different HS4 headings (co-location), or both map to
  industries of the input-output tables (the prior) (:meth:`valuechain.links.evidence.WorldEvidence.pair_evidence`);
- ``fused``: regional evidence or world evidence.

Ties are never ranked into links: an output whose candidates tie at its ``k``-th place gets only those strictly
above the tie (:func:`valuechain.links.cospec.top_links`), so a score that is the same for every candidate gives no link.
"""

from __future__ import annotations

import json
import logging
import pickle
import re
from pathlib import Path

import numpy as np
import pandas as pd

from valuechain.links import cospec, evidence

METHODS = ("bf", "cospec", "learned", "colocation", "regional", "world", "fused")
#: What a reader sees for each method and network name, in figures, tables and the explorer.
LABELS = {
    "bf": "Backward & Forward", "bf_outer": "Backward & Forward", "bf_inner": "Backward & Forward (inner join)",
    "cospec": "co-specialisation", "learned": "learned classifier", "colocation": "co-location",
    "regional": "regional evidence", "world": "world evidence", "fused": "regional + world evidence",
    "validated": "validated network", "extended_bf": "extended Backward & Forward network", "user": "your network", "baseline": "random baseline",
    "random_baseline": "random baseline", "random_expected": "random (expected)", "demo_truth": "planted links",
    "published_kh2025": "published network (Karbevska & Hidalgo)", "truth": "planted links",
}


def label(name: str) -> str:
    """The reader's name of a method or network (:data:`LABELS`); an unknown name as it is."""
    return LABELS.get(name, name)

#: The method the workflow uses by default (``links.method`` of config/config.default.yaml; a test keeps them equal).
DEFAULT_METHOD = "fused"
#: The cospec variant when none is given (the one rule ``select_cospec`` chooses on WIOD).
DEFAULT_VARIANT = "log1p+input"
#: The paper's thresholds, for ``bf`` when none are given.
PAPER_THRESHOLDS = {"t1": 2.0, "t2": 1.5, "t3": 3.5, "t4": 2.0}
#: Files of the world evidence under a data folder (``resources/`` of a run, or the data mirror).
WORLD_FILES = {
    "exports": "world2017/exports_country_hs4_2017.parquet",
    "isic3": "concordance/hs_isic3.csv",
    "isic4": "concordance/hs_isic4.csv",
    "wiod2013": "wiod2013/wiot_{year}.parquet",
    "wiod2013_industries": "wiod2013/industries.csv",
    "wiod2016": "wiod2016_niot/{country}_NIOT_nov16.csv",
}
HS_CODE = re.compile(r"[0-9]{4}([0-9]{2})?")

log = logging.getLogger(__name__)


class NoLinkEvidence(ValueError):
    """Trade data that cannot identify any input link; the message names the data, says what is missing and what
    to do."""


#: RCA values that differ by less than this (relative to the column's largest) are equal: the same basket
#: computed in floating point.
RCA_TOLERANCE = 1e-9


def varies(X: np.ndarray) -> np.ndarray:
    """Per column of ``X`` (locations x products): whether its values differ, across the locations that trade
    anything, by more than rounding (:data:`RCA_TOLERANCE`); a location without trade has no basket to compare."""
    X = np.asarray(X, dtype=float)
    X = X[X.sum(axis=1) > 0]
    if X.shape[0] == 0:
        return np.zeros(X.shape[1], dtype=bool)
    top = np.abs(X).max(axis=0)
    return X.max(axis=0) - X.min(axis=0) > RCA_TOLERANCE * np.maximum(top, 1.0)


def check_identifiable(E: np.ndarray | None, I: np.ndarray | None, locations, products, source: str,
                       remedy: str = "") -> None:
    """Raise :class:`NoLinkEvidence` unless export RCA ``E`` and import RCA ``I`` (each when given; locations x
    ``products``, rows labelled by ``locations``) can identify links: at least 2 products, and at least 2 locations
    whose baskets differ, in exports and in imports. One region, or regions that all trade the same products in the
    same proportions, give every pair the same score: any link would be an arbitrary choice among ties.
    ``source`` names the data in the message, ``remedy`` is added to what it says to do about too few regions
    (where the others went)."""
    products = np.asarray(products)
    todo = f"; {remedy}" if remedy else ""
    if len(products) < 2:
        have = f"{len(products)} ({products[0]})" if len(products) else "none"
        raise NoLinkEvidence(f"{source}: link inference needs at least 2 products; the trade data have {have}"
                             "; give trade data of more products")
    for flow, X in (("export", E), ("import", I)):  # None: a flow the method does not read
        if X is None:
            continue
        X = np.asarray(X, dtype=float)
        need = (f"{source}: link inference needs at least 2 regions whose {flow} baskets differ; the trade data "
                f"have")
        trading = np.flatnonzero(X.sum(axis=1) > 0)
        if len(trading) < 2:
            one = pd.Index(locations)[trading[0]] if len(trading) else None
            name = " ".join(map(str, one)) if isinstance(one, tuple) else str(one)
            have = f"1 region ({name})" if len(trading) else f"no region with {flow}s"
            raise NoLinkEvidence(f"{need} {have}; give trade data of at least 2 regions{todo}")
        if not varies(X).any():
            raise NoLinkEvidence(f"{need} {len(trading)} regions, and all of them {flow} the same products in the "
                                 "same proportions; give trade data of regions that differ")


def pair_evidence(method: str, E: np.ndarray, I: np.ndarray | None,
                  world: evidence.WorldEvidence | None = None) -> np.ndarray:
    """Boolean ``[q, p]``: the ordered pairs a scoring ``method`` (every method of :data:`METHODS` but ``bf``, whose
    evidence is its counts) has evidence for, from export and import RCA ``E``, ``I`` (locations x products) and the
    world evidence (module doc). ``fused`` without ``world`` is ``regional``."""
    if method == "world":
        return world.pair_evidence()
    Ev = varies(E)
    colocated = Ev[:, None] & Ev[None, :]
    if method == "colocation":
        return colocated
    cospecialised = varies(I)[:, None] & Ev[None, :]
    if method in ("cospec", "learned"):
        return cospecialised
    regional = cospecialised | colocated
    return regional | world.pair_evidence() if method == "fused" and world is not None else regional


# The run's final link set (links/final.parquet), whatever the method: its columns and types.
FINAL_COLUMNS = {"output": "str", "input": "str", "rank": "int64", "score": "float64", "confidence": "float64",
                 "method": "str"}


def final_links(links: pd.DataFrame, method: str, min_confidence: float) -> pd.DataFrame:
    """The method's links as the run's final set (:data:`FINAL_COLUMNS`). B&F's links get its documented
    confidence ``2 / (rb + rf)`` (:func:`valuechain.links.cospec.bf_confidence`), those below ``min_confidence`` are
    dropped and each output's remaining inputs ranked again from 1; the other methods already abstain and rank."""
    if method == "bf":
        links = links.assign(confidence=cospec.bf_confidence(links["score"]), method="bf")
        links = links[links["confidence"] >= min_confidence]
        links = links.assign(rank=links.groupby("output").cumcount().astype("int64") + 1)
    return links[list(FINAL_COLUMNS)].astype(FINAL_COLUMNS).reset_index(drop=True)


def clipped_k(k: int, n_products: int) -> int:
    """``k`` bounded by the candidates an output has (``n_products - 1``): a larger ``k`` means "every candidate"
    and asks for nothing more, so work and outputs scale with the products, not with ``k``."""
    return max(0, min(int(k), n_products - 1))


def standardised(S: np.ndarray) -> np.ndarray:
    """``S`` centred and scaled by the mean and standard deviation of its off-diagonal entries, so that evidences
    of different units add with equal weight."""
    off = S[~np.eye(S.shape[0], dtype=bool)]
    sd = off.std()
    return (S - off.mean()) / (sd if sd > 0 else 1.0)


def regional_score(E: np.ndarray, I: np.ndarray, variant: str = DEFAULT_VARIANT) -> np.ndarray:
    """cospec (``variant``) plus export co-location across the run's locations, each :func:`standardised`."""
    return standardised(cospec.score_matrix(E, I, variant)) + standardised(evidence.colocation(E))


def hs_products(products) -> bool:
    """Whether every product code is an HS code of 4 or 6 ASCII digits (the world evidence needs them)."""
    codes = pd.Series(products, dtype=str)
    return len(codes) > 0 and codes.str.fullmatch(HS_CODE).all() and codes.str.len().nunique() == 1


def method_score(method: str, E: np.ndarray, I: np.ndarray | None, products, *, variant: str = DEFAULT_VARIANT,
                 world: evidence.WorldEvidence | None = None, weights: dict | None = None,
                 model=None) -> tuple[np.ndarray, np.ndarray | None, str]:
    """``(S, confidence, detail)`` of a scoring method (every method of :data:`METHODS` but ``bf``) on export and
    import RCA ``E``, ``I`` (locations x ``products``): the score matrix ``S[q, p]``, ``-inf`` for the pairs the
    method has no evidence for (:func:`pair_evidence`), a confidence matrix (None: the score's percentile) and a
    sentence for the log. ``world`` and ``weights`` (fold -> WorldWeights) are the world evidence of ``products``
    (:func:`load_world`); ``fused`` without them is ``regional``."""
    S, confidence, detail = _raw_score(method, E, I, products, variant=variant, world=world, weights=weights,
                                       model=model)
    none = ~pair_evidence(method, E, I, world)
    if none.any():
        S = np.where(none, -np.inf, S)
        confidence = None if confidence is None else np.where(none, -np.inf, confidence)
        detail += f"; no evidence for {int(none.sum() - np.diag(none).sum())} of {none.size - len(none)} pairs"
    return S, confidence, detail


def _raw_score(method: str, E: np.ndarray, I: np.ndarray | None, products, *, variant: str,
               world: evidence.WorldEvidence | None, weights: dict | None, model) -> tuple:
    """:func:`method_score` before the pairs without evidence are set aside."""
    needs_imports = method in ("cospec", "learned", "regional", "fused")
    if needs_imports and I is None:
        raise ValueError(f"method {method!r} needs imports as well as exports")
    if method == "colocation":
        return evidence.colocation(E), None, "export co-location across locations"
    if method == "cospec":
        return cospec.score_matrix(E, I, variant), None, f"variant {variant}"
    if method == "learned":
        from valuechain.links import learned

        if model is None:
            raise ValueError("method 'learned' needs the trained model (model=...; the workflow's "
                             "results/shared/learned-<key>/model.pkl)")
        S = learned.predict(model["model"], learned.pair_features(E, I)).astype(float)
        return S, S, f"{model['kind']} model, confidence = calibrated probability"
    if method == "regional" or (method == "fused" and world is None):
        why = "" if method == "regional" else " (no world evidence: regional evidence only)"
        return regional_score(E, I, variant), None, f"cospec {variant} + co-location{why}"
    if world is None or weights is None:
        raise ValueError("method 'world' needs the world evidence (HS codes and the world data)")
    W = evidence.crossfit_score(world, evidence.product_folds(products, len(weights)), weights)
    if method == "world":
        return W, None, "world co-location + industry prior + export size, weights of each output's held-out fold"
    if method == "fused":
        return (standardised(regional_score(E, I, variant)) + standardised(W), None,
                f"regional (cospec {variant} + co-location) + world evidence")
    raise ValueError(f"unknown link method {method!r}; expected one of {METHODS}")


def fitted_options(variant: str | Path | None = None, model: str | Path | None = None) -> dict:
    """:func:`method_score` options from the workflow's fitted files: the cospec variant chosen on the fine-tuning
    tables (``variant.json``) and the learned model (``model.pkl``); either may be None."""
    options = {}
    if variant is not None:
        with open(variant) as fh:
            options["variant"] = json.load(fh)["variant"]
    if model is not None:
        with open(model, "rb") as fh:
            options["model"] = pickle.load(fh)
    return options


# ------------------------------------------------------------------------------------------ world data
def world_priors(data: str | Path, wiod2013_years, wiod2016_years, countries) -> list:
    """The ``(concordance, coefficients)`` pairs of :func:`valuechain.links.evidence.world_evidence`: WIOD 2013 world
    input coefficients with HS -> ISIC rev. 3, and WIOD 2016 with HS -> ISIC rev. 4, read from the data folder."""
    from valuechain.reference import niot

    data = Path(data)
    a13 = niot.wiod2013_input_coefficients([data / WORLD_FILES["wiod2013"].format(year=y) for y in wiod2013_years])
    tables = niot.read_niot_tables([data / WORLD_FILES["wiod2016"].format(country=c) for c in countries])
    a16 = niot.input_coefficients(tables, wiod2016_years)
    isic3 = evidence.hs_industries(pd.read_csv(data / WORLD_FILES["isic3"], dtype=str), "ISIC3_2d",
                                   niot.industry_isic3(data / WORLD_FILES["wiod2013_industries"]))
    isic4 = evidence.hs_industries(pd.read_csv(data / WORLD_FILES["isic4"], dtype=str), "ISIC4_2d",
                                   niot.industry_isic4())
    return [(isic3, a13), (isic4, a16)]


def read_world_weights(path: str | Path) -> dict:
    """fold -> :class:`valuechain.links.evidence.WorldWeights` from the world stage's ``weights.json``."""
    with open(path) as fh:
        raw = json.load(fh)
    return {int(f): evidence.WorldWeights(**w) for f, w in raw["folds"].items()}


def load_world(products, data: str | Path, weights: str | Path, settings: dict, countries) -> tuple:
    """``(WorldEvidence, weights)`` of ``products`` from a data folder and the world stage's ``weights.json``;
    ``settings`` is the workflow's ``world`` config section (years), ``countries`` those of the WIOD 2016 tables."""
    w = read_world_weights(weights)
    priors = world_priors(data, settings["wiod2013_years"], settings["wiod2016_years"], countries)
    exports = pd.read_parquet(Path(data) / WORLD_FILES["exports"])
    world = evidence.world_evidence(products, exports, priors, {x.large_share for x in w.values()})
    return world, w


# ----------------------------------------------------------------------------------------------- the API
def infer(exports: pd.DataFrame, imports: pd.DataFrame | None = None, method: str = "default", k: int = 3,
          *, min_confidence: float = 0.0, variant: str = DEFAULT_VARIANT, thresholds: dict | None = None,
          model: str | Path | None = None, data: str | Path = "resources", weights: str | Path | None = None,
          world: dict | None = None) -> pd.DataFrame:
    """Each product's top ``k`` inputs by ``method`` (:data:`METHODS`; ``"default"``: :data:`DEFAULT_METHOD`).

    ``exports``, ``imports``: values (not RCA), locations x products, the same index and columns (any product
    codes; ``imports=None`` for exports-only methods). Returns ``output, input, rank, score, confidence, method``.
    Options: ``min_confidence`` (abstention), ``variant`` (cospec), ``thresholds`` (``bf``; default the paper's),
    ``model`` (``learned``: the workflow's ``model.pkl``), and for the world evidence ``data`` (a folder laid out
    like the data mirror; default ``resources``), ``weights`` (the world stage's ``weights.json``) and ``world``
    (its config section; default the workflow's). World evidence is used only when the codes are HS codes of one
    level and the files are there; otherwise ``fused`` falls back to ``regional`` with the reason logged.
    """
    from valuechain.trade.rca import balassa_rca

    method = DEFAULT_METHOD if method == "default" else method
    if method not in METHODS:
        raise ValueError(f"unknown link method {method!r}; expected 'default' or one of {METHODS}")
    if imports is not None and not (imports.index.equals(exports.index) and imports.columns.equals(exports.columns)):
        raise ValueError("exports and imports must have the same index (locations) and columns (products)")
    products = exports.columns.astype(str).to_numpy()
    E = balassa_rca(exports.to_numpy(dtype=float))
    I = None if imports is None else balassa_rca(imports.to_numpy(dtype=float))
    # the world evidence reads no regional data: it needs products only
    check_identifiable(None if method == "world" else E, None if method == "world" else I, exports.index, products,
                       "links.infer")
    options = {"variant": variant}
    if method in ("world", "fused"):
        options["world"], options["weights"], why = _world_for(products, data, weights, world)
        if options["world"] is None:
            if method == "world":
                raise ValueError(f"method 'world' cannot run: {why}")
            log.info("fused: world evidence skipped (%s); regional evidence only", why)
    if method == "learned":
        options.update(fitted_options(model=model))
    return links_from_rca(method, E, I, products, k, min_confidence=min_confidence, thresholds=thresholds,
                          **options)


def links_from_rca(method: str, E: np.ndarray, I: np.ndarray | None, products, k: int, *,
                   min_confidence: float = 0.0, thresholds: dict | None = None, **options) -> pd.DataFrame:
    """Each product's top ``k`` inputs by ``method`` from export and import RCA ``E``, ``I`` (locations x
    ``products``): ``output, input, rank, score, confidence, method``. ``thresholds``: B&F's (default the paper's);
    ``options``: those of :func:`method_score`. The caller checks that the data can identify links
    (:func:`check_identifiable`; :func:`infer` does)."""
    products = np.asarray(products)
    if method == "bf":
        from valuechain.links.bf import Thresholds, backward_forward, top_k

        if I is None:
            raise ValueError("method 'bf' needs imports as well as exports")
        order = np.argsort(products, kind="stable")  # B&F breaks ties by code
        frame = lambda X: pd.DataFrame(np.asarray(X)[:, order], columns=products[order])  # noqa: E731
        t = Thresholds.from_mapping(thresholds or PAPER_THRESHOLDS)
        links = top_k(backward_forward(frame(E), frame(I), t, 240), k)
        links = links.assign(confidence=cospec.bf_confidence(links["score"]), method="bf")
        links = links[links["confidence"] >= min_confidence]
        links = links.assign(rank=links.groupby("output").cumcount().astype("int64") + 1)
        return links[["output", "input", "rank", "score", "confidence", "method"]].reset_index(drop=True)
    S, confidence, detail = method_score(method, E, I, products, **options)
    log.info("%s: %s", method, detail)
    return cospec.top_links(S, products, k, min_confidence, confidence).assign(method=method)


def _world_for(products, data, weights, settings) -> tuple:
    """The world evidence of ``products``, or ``(None, None, reason)``."""
    if not hs_products(products):
        return None, None, "product codes are not HS codes of one level (4 or 6 digits)"
    data = Path(data)
    missing = [f for f in ("exports", "isic3", "isic4") if not (data / WORLD_FILES[f]).is_file()]
    if missing:
        return None, None, f"world data missing under {data}: {[WORLD_FILES[f] for f in missing]}"
    if weights is None or not Path(weights).is_file():
        return None, None, "no world weights file (weights=...: results/shared/world-<key>/weights.json)"
    config = default_config()
    world, w = load_world(products, data, weights, settings or config["world"],
                          config["data"]["wiod2016_niot"]["countries"])
    return world, w, ""


def default_config() -> dict:
    """The workflow's default config (config/config.default.yaml)."""
    import yaml

    return yaml.safe_load((Path(__file__).resolve().parents[3] / "config" / "config.default.yaml").read_text())
