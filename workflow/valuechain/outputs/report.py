"""The key tables of the Snakemake report: small HTML tables built from the run's Parquet artifacts."""

from __future__ import annotations

import html

import pandas as pd

STYLE = ("<style>body{font-family:sans-serif;font-size:13px}table{border-collapse:collapse}"
         "td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}"
         "td:first-child,th:first-child{text-align:left}caption{text-align:left;padding:4px 0}</style>")


def html_table(df: pd.DataFrame, title: str, source: str, note: str = "", digits: int = 3) -> str:
    """A standalone HTML page holding ``df`` (floats rounded to ``digits``), its title, the artifact it comes
    from and a note."""
    body = df.to_html(index=False, float_format=lambda v: f"{v:,.{digits}f}", na_rep="", border=0)
    caption = f"<p><b>{html.escape(title)}</b><br>from <code>{html.escape(source)}</code>"
    caption += f"<br>{html.escape(note)}</p>" if note else "</p>"
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'>{STYLE}</head><body>{caption}{body}</body></html>\n"


def methods_table(methods: pd.DataFrame) -> pd.DataFrame:
    """Precision of every link method (rows) on every yardstick (columns), in-sample columns labelled."""
    label = methods["yardstick"] + methods["held_out"].map({True: "", False: " (in sample)"})
    wide = methods.assign(yardstick=label).pivot_table(index="method", columns="yardstick", values="precision",
                                                       sort=False)
    return wide.reset_index().rename_axis(columns=None)


def reference_table(reference: pd.DataFrame, min_share: float) -> pd.DataFrame:
    """Every network's scores against the product reference at the run's threshold, both labellings (each network's
    rows together), best first by its precision with all labels."""
    at = reference[reference["min_share"] == min_share].drop(columns=["min_share"])
    best = at[at["labels"] == "all"].set_index("network")["precision"]
    order = at["network"].map(best.rank(ascending=False, method="first"))
    return at.assign(_order=order).sort_values(["_order", "labels"], kind="stable").drop(columns="_order")


def level_extremes(levels: pd.DataFrame, n: int) -> pd.DataFrame:
    """The ``n`` most upstream and ``n`` most downstream products, with their names."""
    ordered = levels.sort_values(["trophic_level", "hs"], kind="stable")
    ends = pd.concat([ordered.head(n).assign(end="upstream"), ordered.tail(n).assign(end="downstream")])
    return ends[["end", "hs", "name", "trophic_level", "in_degree", "out_degree"]]
