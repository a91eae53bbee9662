"""Naive reference of Backward & Forward, written from the paper's Algorithm 1 the way the published notebook
works: a Python loop over output products, with a pandas pivot of the long RCA table for every backward and
every forward step.

It exists to check :func:`valuechain.links.bf.backward_forward` (tests assert identical candidates on small worlds)
and to measure it (``scripts/bench/bench_bf.py``). Never use it in the workflow: it takes seconds per product.
"""

from __future__ import annotations

import pandas as pd

from valuechain.links.bf import CANDIDATE_COLUMNS, Thresholds


def _pivot(rca: pd.DataFrame, locations, column: str) -> pd.DataFrame:
    sub = rca[rca["location"].isin(locations)]
    return sub.pivot_table(index="location", columns="hs", values=column, fill_value=0.0)


def naive_backward_forward(
    rca: pd.DataFrame, thresholds: Thresholds, n_candidates: int = 240, outputs=None
) -> pd.DataFrame:
    """B&F candidates from a long RCA table (``location, hs, rca_export, rca_import``), one product at a time.

    ``outputs`` restricts the loop to some output products (all products stay candidate inputs).
    """
    t = thresholds
    products = sorted(rca["hs"].unique())
    all_locations = rca["location"].unique()
    exports = _pivot(rca, all_locations, "rca_export").reindex(columns=products, fill_value=0.0)
    imports_all = _pivot(rca, all_locations, "rca_import").reindex(columns=products, fill_value=0.0)
    rows = []
    for p in products if outputs is None else sorted(outputs):
        # Backward: locations over-exporting p, and how many of them over-import each q.
        backward_set = exports.index[exports[p] > t.t1]
        if len(backward_set) == 0:
            continue
        imports = _pivot(rca, backward_set, "rca_import").reindex(columns=products, fill_value=0.0)
        cb = (imports > t.t2).sum(axis=0)
        if cb.sum() == 0:  # no backward evidence: no candidates (see valuechain.links.bf)
            continue
        rb = cb.rank(method="dense", ascending=False).astype(int)
        candidates = cb.sort_index().sort_values(ascending=False, kind="stable").index[:n_candidates]
        for q in candidates:
            if q == p:
                continue
            # Forward: locations over-importing q, and how many of them over-export each product.
            forward_set = imports_all.index[imports_all[q] > t.t3]
            fwd_exports = _pivot(rca, forward_set, "rca_export").reindex(columns=products, fill_value=0.0)
            cf = (fwd_exports > t.t4).sum(axis=0) if len(forward_set) else pd.Series(0, index=products)
            rf = cf.rank(method="dense", ascending=False).astype(int)
            rows.append(
                {
                    "output": p,
                    "input": q,
                    "score": int(rb[q] + rf[p]),
                    "rb": int(rb[q]),
                    "rf": int(rf[p]),
                    "cb": int(cb[q]),
                    "cf": int(cf[p]),
                }
            )
    df = pd.DataFrame(rows, columns=[c for c in CANDIDATE_COLUMNS if c != "rank"])
    df = df.sort_values(["output", "score", "rb", "cb", "input"], ascending=[True, True, True, False, True])
    df["rank"] = df.groupby("output").cumcount() + 1
    return df[CANDIDATE_COLUMNS].reset_index(drop=True)
