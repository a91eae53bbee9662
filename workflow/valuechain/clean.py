"""Cleaning and the regional filter (paper section 2; docs/method.md section 2).

Steps, each recording what it drops and why:
1. keep the configured years (all when none are configured);
2. drop unknown and re-export pseudo-regions (a configurable list per country);
3. map product codes to the configured HS level by their leading digits (HS6 -> HS4 keeps four);
4. sum over years (partners are kept: the allocation needs them);
5. drop regions whose total exports OR total imports over the years are below ``min_region_trade``.
"""

from __future__ import annotations

import pandas as pd

CLEAN_COLUMNS = ["flow", "country", "region", "partner", "hs", "value"]


class CleaningError(ValueError):
    """Cleaning would leave nothing (or too little) to analyse; the message names the config key."""


def truncate_hs(hs: pd.Series, digits: int) -> pd.Series:
    """HS codes cut to ``digits`` leading digits; a code shorter than that cannot be refined: error."""
    short = hs.str.len() < digits
    if short.any():
        bad = hs[short].unique()[:5].tolist()
        raise ValueError(f"HS codes {bad} have fewer than {digits} digits; choose clean.hs_digits <= their length")
    return hs.str[:digits]


def clean_trade(
    trade: pd.DataFrame,
    drop_regions: dict[str, list[str]],
    min_region_trade: float,
    years: list[int] | None = None,
    hs_digits: int = 4,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Clean canonical trade; returns ``(clean, dropped_rows, dropped_regions)``.

    ``clean``: columns :data:`CLEAN_COLUMNS`, summed over the years kept.
    ``dropped_rows``: the canonical rows removed by steps 1-2 with a ``reason``.
    ``dropped_regions``: ``country, region, exports, imports, reason`` for regions removed by step 5.
    """
    reasons = pd.Series("", index=trade.index)
    if years:
        selected = trade["year"].isin(years)
        if not selected.any():
            raise CleaningError(f"clean.years {sorted(years)} match no row; the trade data hold the years "
                                f"{sorted(trade['year'].unique().tolist())}")
        reasons[~selected] = "year not selected"
    pseudo = pd.Series(False, index=trade.index)
    for country, names in (drop_regions or {}).items():
        pseudo |= (trade["country"] == country) & trade["region"].isin(names)
    reasons[pseudo & (reasons == "")] = "unknown or re-export pseudo-region"
    dropped_rows = trade[reasons != ""].assign(reason=reasons[reasons != ""]).reset_index(drop=True)
    kept = trade[reasons == ""]

    kept = kept.assign(hs=truncate_hs(kept["hs"], hs_digits))
    summed = kept.groupby(["flow", "country", "region", "partner", "hs"], as_index=False, observed=True)[
        "value"
    ].sum()

    totals = summed.pivot_table(index=["country", "region"], columns="flow", values="value", aggfunc="sum",
                                fill_value=0.0)
    totals = totals.reindex(columns=["export", "import"], fill_value=0.0)
    small = (totals["export"] < min_region_trade) | (totals["import"] < min_region_trade)
    dropped_regions = totals[small].reset_index().rename(columns={"export": "exports", "import": "imports"})
    dropped_regions.columns.name = None
    dropped_regions["reason"] = f"total exports or imports below {min_region_trade:g} USD"
    keep_regions = totals.index[~small]
    if len(keep_regions) == 0:
        raise CleaningError(
            f"no region left after cleaning: all {len(totals)} trade less than clean.min_region_trade = "
            f"{min_region_trade:g} USD in exports or imports")
    idx = pd.MultiIndex.from_frame(summed[["country", "region"]])
    clean = summed[idx.isin(keep_regions)].sort_values(CLEAN_COLUMNS[:-1]).reset_index(drop=True)
    return clean[CLEAN_COLUMNS], dropped_rows, dropped_regions
