"""Industry pairs of an inter-country input-output (ICIO) table as a yardstick of input links (docs/method.md
section 5; Karbevska & Hidalgo 2023 preprint, section 5.2).

The ICIO table plays the role of trade data with countries as locations and industries of origin as products:

- Specialisation (:func:`specialisation`): exports ``X_exp[c,i] = sum_{c' != c, j} Z[(c,i),(c',j)]`` and imports
  ``X_imp[c,i] = sum_{c' != c, j} Z[(c',i),(c,j)]``, then Balassa RCA of each (docs/method.md section 3).
- Labels (:func:`trade_intensity_labels`): international industry flows ``X[i,j] = sum_{c != c'} Z[(c,i),(c',j)]``,
  trade intensity ``TI[i,j] = (X[i,j] / sum_j X[i,j]) / (sum_i X[i,j] / sum_ij X)`` (Yamazawa 1970; preprint eq. 3),
  and the link "``i`` is an input of ``j``" is true when ``TI >= 1``. Only off-diagonal links are scored (no method
  proposes an industry as its own input).
- Scoring (:func:`score_counts`, :func:`score_top_k`): the predicted and true links among each output industry's
  top ``k`` inputs, for any method's score matrix; folds of output industries (:func:`fold_of_outputs`) for
  held-out choices. The threshold fine-tuning (:mod:`valuechain.links.finetune`), the co-specialisation variants
  and the learned model are all scored this way.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from valuechain.icio import tables as icio
from valuechain.trade.rca import balassa_rca

# ---------------------------------------------------------------------------------------------------------------
# Tables: read, check, clean, sum
# ---------------------------------------------------------------------------------------------------------------

#: ICIO readers by ``finetune.source``.
READERS = {"wiod": icio.read_wiod, "oecd": icio.read_oecd_icio}


def clean_table(
    table: icio.IcioTable,
    split_countries: Mapping[str, str],
    drop_countries: Sequence[str],
    household: Sequence[str],
) -> icio.IcioTable:
    """docs/method.md section 5 cleaning of one table: merge split countries (``CN1, CN2 -> CHN``), drop rest of world and the
    household industry, zero the domestic blocks (preprint appendix 8.2)."""
    table = icio.merge_split_countries(table, split_countries)
    table = icio.drop_countries(table, drop_countries)
    table = icio.drop_industries(table, household)
    return icio.zero_domestic_blocks(table)


def prepare_tables(
    paths: Sequence[str],
    source: str,
    split_countries: Mapping[str, str],
    drop_countries: Sequence[str],
    household: Sequence[str],
) -> icio.IcioTable:
    """Read every table (``source`` in :data:`READERS`), refuse unbalanced ones (:func:`valuechain.icio.tables.check_balance`
    names the rows and gaps), clean each with :func:`clean_table` and sum them (the configured years)."""
    if source not in READERS:
        raise ValueError(f"unknown ICIO source {source!r}; expected one of {sorted(READERS)}")
    if not paths:
        raise ValueError("no ICIO tables to prepare")
    cleaned = []
    for path in paths:
        table = READERS[source](path)
        icio.check_balance(table, where=str(path))
        cleaned.append(clean_table(table, split_countries, drop_countries, household))
    return icio.sum_tables(cleaned)


# ---------------------------------------------------------------------------------------------------------------
# Specialisation table and labels
# ---------------------------------------------------------------------------------------------------------------


def _foreign_flows(Z: pd.DataFrame) -> np.ndarray:
    """``Z`` as a float array with every domestic cell (same country on row and column) set to 0.

    Refuses NaN, infinite and negative cells, naming up to five rows.
    """
    if not isinstance(Z.index, pd.MultiIndex) or Z.index.nlevels != 2 or not Z.index.equals(Z.columns):
        raise ValueError("Z must have the same 2-level (country, industry) MultiIndex on rows and columns")
    values = Z.to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        rows = Z.index[bad.any(axis=1)]
        raise ValueError(
            f"Z has {int(bad.sum())} NaN, infinite or negative intermediate flows, in rows "
            f"{['_'.join(map(str, r)) for r in rows[:5]]}"
        )
    country = Z.index.get_level_values(0).to_numpy()
    return np.where(country[:, None] != country[None, :], values, 0.0)


def _indicator(labels: np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """One-hot matrix (len(labels) x distinct labels) in order of first appearance, and those labels."""
    codes, uniques = pd.factorize(labels, sort=False)
    onehot = np.zeros((len(labels), len(uniques)))
    onehot[np.arange(len(labels)), codes] = 1.0
    return onehot, pd.Index(uniques)


def trade_values(Z: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """International exports and imports of every (country, industry), as two countries x industries frames.

    ``X_exp[c,i] = sum_{c' != c, j} Z[(c,i),(c',j)]`` (what industry ``i`` of ``c`` sells to other countries);
    ``X_imp[c,i] = sum_{c' != c, j} Z[(c',i),(c,j)]`` (what ``c``'s industries buy from industry ``i`` abroad).
    docs/method.md section 5; preprint appendix 8.2. Domestic cells are ignored whether or not they were zeroed before.
    Countries and industries keep table order (the industry order is B&F's tie-breaking "code" order).
    """
    F = _foreign_flows(Z)
    G, countries = _indicator(Z.index.get_level_values(0).to_numpy())  # rows x countries
    H, industries = _indicator(Z.index.get_level_values(1).to_numpy())  # rows x industries
    exports = G.T @ (F.sum(axis=1)[:, None] * H)  # countries x industries
    imports = ((H.T @ F) @ G).T  # (industries x columns) -> industries x countries -> transposed
    kw = {"index": countries.rename("country"), "columns": industries.rename("industry")}
    return pd.DataFrame(exports, **kw), pd.DataFrame(imports, **kw)


def specialisation(Z: pd.DataFrame) -> pd.DataFrame:
    """Long specialisation table ``country, industry, export, import, rca_export, rca_import`` (one row per pair).

    RCA is Balassa's (docs/method.md section 3; :func:`valuechain.trade.rca.balassa_rca`) of the international exports and imports of
    :func:`trade_values`, 0 where a country or industry total is 0. Rows in (country, industry) table order.
    """
    exports, imports = trade_values(Z)
    n_c, n_i = exports.shape
    return pd.DataFrame(
        {
            "country": np.repeat(exports.index.to_numpy(), n_i),
            "industry": np.tile(exports.columns.to_numpy(), n_c),
            "export": exports.to_numpy().ravel(),
            "import": imports.to_numpy().ravel(),
            "rca_export": balassa_rca(exports.to_numpy()).ravel(),
            "rca_import": balassa_rca(imports.to_numpy()).ravel(),
        }
    )


def industry_flows(Z: pd.DataFrame) -> pd.DataFrame:
    """International flows between industries, ``X[i,j] = sum_{c != c'} Z[(c,i),(c',j)]`` (industries x industries)."""
    F = _foreign_flows(Z)
    H, industries = _indicator(Z.index.get_level_values(1).to_numpy())
    X = H.T @ F @ H
    return pd.DataFrame(X, index=industries.rename("input"), columns=industries.rename("output"))


def trade_intensity(X: np.ndarray) -> np.ndarray:
    """Trade intensity ``TI[i,j] = (X[i,j] / sum_j X[i,j]) / (sum_i X[i,j] / sum_ij X)`` (Yamazawa 1970; preprint
    eq. 3), 0 where a row or column total is 0. It is the Balassa index of the industry flow matrix."""
    return balassa_rca(X)


def trade_intensity_labels(Z: pd.DataFrame) -> pd.DataFrame:
    """Long label table ``input, output, flow, ti, label`` over all industry pairs (input-major, table order).

    ``label`` is ``TI >= 1`` for off-diagonal pairs and False on the diagonal (self-inputs are never scored).
    """
    return intensity_labels(industry_flows(Z))


def intensity_labels(X: pd.DataFrame) -> pd.DataFrame:
    """:func:`trade_intensity_labels` of an industry flow matrix ``X`` (inputs x outputs), whatever table it
    comes from."""
    ti = trade_intensity(X.to_numpy())
    n = len(X)
    label = (ti >= 1.0) & ~np.eye(n, dtype=bool)
    return pd.DataFrame(
        {
            "input": np.repeat(X.index.to_numpy(), n),
            "output": np.tile(X.columns.to_numpy(), n),
            "flow": X.to_numpy().ravel(),
            "ti": ti.ravel(),
            "label": label.ravel(),
        }
    )


def rca_arrays(spec: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Export and import RCA (countries x industries arrays) from a :func:`specialisation` table, in its order."""
    countries = list(dict.fromkeys(spec["country"]))
    industries = list(dict.fromkeys(spec["industry"]))
    if len(spec) != len(countries) * len(industries):
        raise ValueError(
            f"specialisation table has {len(spec)} rows, expected countries x industries = "
            f"{len(countries)} x {len(industries)}"
        )
    wide = spec.set_index(["country", "industry"])
    E = wide["rca_export"].unstack("industry").loc[countries, industries].to_numpy()
    I = wide["rca_import"].unstack("industry").loc[countries, industries].to_numpy()
    return E, I, countries, industries


def label_matrix(labels: pd.DataFrame, industries: Sequence[str]) -> np.ndarray:
    """Boolean ``L[i, j]`` = "``i`` is an input of ``j``" from a :func:`trade_intensity_labels` table."""
    wide = labels.pivot(index="input", columns="output", values="label")
    missing = sorted(set(industries) - set(wide.index) | set(industries) - set(wide.columns))
    if missing:
        raise ValueError(f"labels lack industries {missing[:5]} of the specialisation table")
    return wide.loc[list(industries), list(industries)].to_numpy(dtype=bool)


def base_rate(L: np.ndarray) -> float:
    """Share of true off-diagonal labels: the expected precision of inputs drawn at random among other industries."""
    n = L.shape[0]
    off = ~np.eye(n, dtype=bool)
    return float(L[off].mean()) if n > 1 else float("nan")



# ---------------------------------------------------------------------------------------------------------------
# Scoring a score matrix against the labels
# ---------------------------------------------------------------------------------------------------------------


def score_top_k(top: np.ndarray, L: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per combination and output: predicted links and true predicted links, two int arrays (C, n).

    ``top`` from :func:`valuechain.links.finetune.grid_top_k` (-1 = no link); ``L[i, j]`` true when ``i`` is an input of ``j``.
    """
    n = L.shape[0]
    valid = top >= 0
    hit = L.T[np.arange(n)[None, :, None], np.where(valid, top, 0)] & valid  # L[q, p] for link q -> p
    return valid.sum(axis=-1), hit.sum(axis=-1)


def score_counts(S: np.ndarray, L: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`score_top_k` of a continuous score ``S[q, p]``: per output, the predicted and true links among its
    top ``k`` inputs (diagonal excluded, ties to the smaller index, ``-inf`` scores never predicted)."""
    n = S.shape[0]
    S = np.where(np.eye(n, dtype=bool), -np.inf, S)
    top = np.argsort(-S, axis=0, kind="stable")[:k]  # [rank, output]
    top = np.where(np.isfinite(S[top, np.arange(n)[None, :]]), top, -1)
    pred, true = score_top_k(top.T[None], np.asarray(L, dtype=bool))
    return pred[0], true[0]


def fold_of_outputs(n: int, folds: int, seed: int) -> np.ndarray:
    """The fold of each of ``n`` output industries: shuffled with ``seed``, dealt into ``folds`` groups."""
    fold = np.empty(n, dtype=int)
    fold[np.random.default_rng(seed).permutation(n)] = np.arange(n) % folds
    return fold
