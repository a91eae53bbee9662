"""Tables of a run for other tools: CSV for spreadsheets and Stata (``import delimited``), with names beside codes.

Every CSV is UTF-8 with a header, ``,`` between fields, ``\\n`` between lines and numbers at full precision, so
that the same table gives the same bytes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from valuechain.trade.canonical import country_names

#: The columns of the largest country flows' export.
FLOWS_COLUMNS = ["input", "input_name", "output", "output_name", "country_from", "country_from_name", "country_to",
                 "country_to_name", "value", "lower", "upper", "pairs", "reference", "estimated_precision"]


def flows_table(country_pairs: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """Each link's largest country-to-country flows (``country_pairs``: ``flows/largest_country_pairs.parquet``)
    with the products' and countries' names and the link's reference label and estimated precision (``links``:
    the annotated links), by link and decreasing value."""
    evidence = links[["output", "input", "output_name", "input_name", "reference", "estimated_precision"]]
    out = country_pairs.merge(evidence, on=["output", "input"], how="left", validate="many_to_one")
    names = country_names(pd.concat([out["country_from"], out["country_to"]]))
    out["country_from_name"] = out["country_from"].map(names)
    out["country_to_name"] = out["country_to"].map(names)
    out = out.sort_values(["input", "output", "value", "country_from", "country_to"],
                          ascending=[True, True, False, True, True], kind="stable")
    return out[FLOWS_COLUMNS].reset_index(drop=True)


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    """``df`` as CSV without its index (module doc); missing values are empty fields."""
    df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
