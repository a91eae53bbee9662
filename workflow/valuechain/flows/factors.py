"""The flows as three factors that grow linearly with the regions, and the flows computed from them by DuckDB.

A flow of :mod:`valuechain.flows.allocation` is a product of three factors (docs/method.md section 6):

    X[r1, p1, r2, p2] = s1[p1, r1, c(r2)] * M[p1, c(r1), r2] * s2[p1, p2, r2]

- ``exporters`` (``input, region_from, country_to, s1``): r1's share of its country's exports of p1 to c2;
- ``importers`` (``input, country_from, region_to, m``): r2's imports of p1 from country c1;
- ``users`` (``input, output, country_to, region_to, s2, s2_lower``): p2's share of r2's exports of the products that use p1,
  and of all r2's exports (the lower bound's share).

Each table has at most products x regions x countries (or links x regions) rows, where the flows have up to
links x regions squared. :data:`FLOWS_SQL` joins them back into exactly the rows, values and bounds that
:func:`valuechain.flows.allocation.allocate_chunk` writes (the factors are computed by the same functions, and
the products taken in the same order, so every number is the same to the last bit).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from valuechain.flows.allocation import AllocationData, export_totals, foreign_shares_and_imports

#: The flows (columns of :data:`valuechain.flows.allocation.FLOW_COLUMNS`) from the three factor tables,
#: ``exporters``, ``importers`` and ``users``, for links whose upper bound reaches ``{min_value}``.
FLOWS_SQL = """
SELECT e.input, u.output, i.country_from, e.region_from, e.country_to, i.region_to,
       (e.s1 * i.m) * u.s2 AS value, (e.s1 * i.m) * u.s2_lower AS lower, e.s1 * i.m AS upper
FROM exporters e
JOIN importers i ON i.input = e.input AND i.country_from = e.country_from AND i.country_to = e.country_to
JOIN users u ON u.input = e.input AND u.country_to = i.country_to AND u.region_to = i.region_to
WHERE e.s1 * i.m >= {min_value} AND (e.s1 * i.m) * u.s2 > 0
"""



def flow_factors(data: AllocationData, L: np.ndarray, inputs: np.ndarray) -> dict[str, pd.DataFrame]:
    """The three factor tables of the input products with indices ``inputs`` (codes categorical, their categories
    every product, country and region name of ``data``, as in the flows). ``exporters`` and ``importers`` carry both
    countries of the pair (the join keys); domestic pairs are left out, as the allocation leaves them out."""
    rc = data.region_country
    s1, imp = foreign_shares_and_imports(data, inputs)  # [P, R1, C2], [P, R2, C1]
    p, r1, c2 = np.nonzero(s1)
    q, r2, c1 = np.nonzero(imp)
    Lc = L[inputs]
    used, total = export_totals(data, Lc)
    link_p, link_out = np.nonzero(Lc)
    # every (link, region) where the region exports the output: the model's support
    reg, k = np.nonzero(data.exp_total[:, link_out] > 0)
    x = data.exp_total[reg, link_out[k]]
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = x / used[reg, link_p[k]]
        s2_lower = x / total[reg]
    products = np.asarray(inputs)
    code = pd.Categorical.from_codes
    country = lambda idx: code(idx, data.countries)  # noqa: E731
    region = lambda idx: code(data.region_name[idx], data.region_names)  # noqa: E731
    return {
        "exporters": pd.DataFrame({"input": code(products[p], data.products), "country_from": country(rc[r1]),
                                   "region_from": region(r1), "country_to": country(c2), "s1": s1[p, r1, c2]}),
        "importers": pd.DataFrame({"input": code(products[q], data.products), "country_from": country(c1),
                                   "country_to": country(rc[r2]), "region_to": region(r2), "m": imp[q, r2, c1]}),
        "users": pd.DataFrame({"input": code(products[link_p[k]], data.products),
                               "output": code(link_out[k], data.products), "country_to": country(rc[reg]),
                               "region_to": region(reg), "s2": s2, "s2_lower": s2_lower}),
    }
