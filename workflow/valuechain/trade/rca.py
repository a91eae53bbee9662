"""Revealed comparative advantage (Balassa 1965), for exports and imports of locations (docs/method.md section 3).

``RCA[l,p] = (X[l,p] / sum_p X[l,p]) / (sum_l X[l,p] / sum_lp X)``; 0 where the location or product total is 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RECONCILE_MODES = ("outer", "inner")


def balassa_rca(X: np.ndarray) -> np.ndarray:
    """Balassa RCA of a locations x products matrix of non-negative values (paper eq. 1).

    Cells whose location total or product total is 0 get 0 (not NaN), so a location that exports nothing
    is specialised in nothing.
    """
    X = np.asarray(X, dtype=float)
    row = X.sum(axis=1, keepdims=True)
    col = X.sum(axis=0, keepdims=True)
    total = X.sum()
    expected = row * col
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(expected > 0, X * total / expected, 0.0)
    return out


def trade_matrices(
    trade: pd.DataFrame, reconcile: str = "outer"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Exports and imports as two aligned locations x products matrices (summed over partners).

    ``trade`` has columns ``flow, country, region, hs, value`` (any ``partner``/``year`` are summed).
    Rows are a (country, region) MultiIndex and columns the sorted HS codes; both matrices share them.

    ``reconcile="outer"`` keeps every (location, product) pair, a missing flow counting as 0.
    ``reconcile="inner"`` reproduces the paper notebook's join: only pairs with a positive value in BOTH
    flows are kept, all others are set to 0 in both matrices before RCA (docs/method.md section 3).
    """
    if reconcile not in RECONCILE_MODES:
        raise ValueError(f"reconcile must be one of {RECONCILE_MODES}, got {reconcile!r}")
    totals = trade.groupby(["flow", "country", "region", "hs"], observed=True)["value"].sum()
    wide = totals.unstack("flow", fill_value=0.0)
    for flow in ("export", "import"):
        if flow not in wide.columns:
            wide[flow] = 0.0
    if reconcile == "inner":
        wide = wide[(wide["export"] > 0) & (wide["import"] > 0)]
    exports = wide["export"].unstack("hs", fill_value=0.0).sort_index().sort_index(axis=1)
    imports = wide["import"].unstack("hs", fill_value=0.0).reindex_like(exports).fillna(0.0)
    return exports, imports


def rca_table(trade: pd.DataFrame, reconcile: str = "outer") -> pd.DataFrame:
    """Long table ``country, region, hs, export, import, rca_export, rca_import`` (one row per pair).

    Pairs where both flows are 0 after reconciliation are left out.
    """
    exports, imports = trade_matrices(trade, reconcile)
    rca_exp = balassa_rca(exports.to_numpy())
    rca_imp = balassa_rca(imports.to_numpy())
    idx = exports.index
    n_loc, n_prod = exports.shape
    out = pd.DataFrame(
        {
            "country": np.repeat(idx.get_level_values("country").to_numpy(), n_prod),
            "region": np.repeat(idx.get_level_values("region").to_numpy(), n_prod),
            "hs": np.tile(exports.columns.to_numpy(), n_loc),
            "export": exports.to_numpy().ravel(),
            "import": imports.to_numpy().ravel(),
            "rca_export": rca_exp.ravel(),
            "rca_import": rca_imp.ravel(),
        }
    )
    return out[(out["export"] > 0) | (out["import"] > 0)].reset_index(drop=True)


def rca_matrices(rca: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Export and import RCA as aligned locations x products matrices from an :func:`rca_table`."""
    wide = rca.set_index(["country", "region", "hs"])[["rca_export", "rca_import"]]
    exp = wide["rca_export"].unstack("hs", fill_value=0.0).sort_index().sort_index(axis=1)
    imp = wide["rca_import"].unstack("hs", fill_value=0.0).reindex_like(exp).fillna(0.0)
    return exp, imp


def country_rca_table(trade: pd.DataFrame, reconcile: str = "outer") -> pd.DataFrame:
    """:func:`rca_table` of countries: each country's regional trade summed over its regions and partners (the
    country its own location), RCA among the reporting countries (the trophic position of countries)."""
    country_trade = trade.groupby(["flow", "country", "hs"], as_index=False, observed=True)["value"].sum()
    return rca_table(country_trade.assign(region=country_trade["country"]), reconcile)
