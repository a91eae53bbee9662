"""Value-added accounting on inter-country input-output tables (docs/method.md section 10).

Notation (R producers x N sectors, producer-major order; G accounting countries, a split country's parts being
producers of one country, see :class:`Model` and docs/icio.md): ``Z`` intermediate flows, ``Y`` final demand by
destination country (GN x G), ``x`` gross output, ``va`` value added, ``A = Z diag(x)^-1`` technical coefficients,
``B = (I - A)^-1`` the Leontief inverse, ``v = va / x`` value-added coefficients, ``A_sr``/``B_sr`` the N x N blocks,
``L_ss = (I - A_ss)^-1`` the local (domestic) Leontief inverse, ``E_sr`` gross exports of s to r (intermediate
``A_sr x_r`` plus final ``Y_sr``) and ``E_s* = sum_r E_sr``.

Sources, cited in each docstring:

- [BBM] Belotti, Borin and Mancini (2021), "icio: Economic analysis with intercountry input-output tables",
  Stata Journal 21(3) / World Bank PRWP 9156: appendix B (B.1-B.7, value added by origin and destination),
  appendix C (C.1-C.8, exporting-country perspective), appendix D (D.1-D.6, bilateral flows, source/sink) and
  appendix F (GVC participation, DAVAX).
- [BM] Borin and Mancini (2019), "Measuring what matters in global value chains and value-added trade",
  World Bank PRWP 8804 (the formal derivations BBM summarises).
- [KWW] Koopman, Wang and Wei (2014), AER 104(2), 459-494, the 9 terms of their figure 1 as computed by the R
  package decompr 6.8.0 (``kww()``).
- [WWZ] Wang, Wei and Zhu (2013), NBER WP 19677, equation (37) / table A2: 16 terms per exporting
  country-sector and importing country (decompr ``wwz()``).
- [WWYZa] Wang, Wei, Yu and Zhu (2017), "Characterizing global value chains: production length and
  upstreamness", NBER WP 23261 (production length, GVC position); [WWYZb] the same authors (2017), "Measures
  of participation in global value chains and global business cycles", NBER WP 23222 (production
  decomposition, GVC participation): the UIBE GVC Indicators (index1-Prod, index3-Length) follow both.
- [AC] Antras and Chor (2013), Econometrica 81(6); Antras, Chor, Fally and Hillberry (2012), AER P&P:
  upstreamness ``U = (I - diag(x)^-1 Z)^-1 1``; downstreamness ``D = (I - A^T)^-1 1`` (Miller and Temurshoev
  2017; the R package gvc).

Computation: one LU factorisation of ``I - A`` gives ``B`` once (a single solve with the identity); everything
else reuses ``B`` and the G local inverses ``L_ss`` (batched N x N solves). Bilateral terms use block algebra:
a term ``T[i, r] = sum_{a in r} A[i, a] F[a, s(i)]`` (exporting row ``i`` of country ``s(i)``, importer ``r``) is
one batched matmul over the (s, r) blocks (:func:`_fold`), never a loop over country pairs or a repeated
inversion.

Zero output (22 rows in WIOD 2013, none buying inputs; a row that does is refused by :func:`check_accounting`):
the columns of ``A`` and entries of ``v`` of rows with ``x = 0`` are 0 (as in decompr), so such rows neither
use nor create value added and ``B`` is finite. Ratios whose denominator is 0
(shares of zero exports, production lengths of a row without GVC activity) are reported as 0; upstreamness and
downstreamness of a zero-output row are 1 (the value the formulas give with its zero coefficients). No NaN is
produced.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.linalg as sla
import scipy.sparse as sp

from valuechain.icio.formats import read_table
from valuechain.icio.tables import (
    BALANCE_ATOL,
    BALANCE_RTOL,
    DEFAULT_SPLIT_COUNTRIES,
    IcioTable,
    check_finite,
    final_demand_by_country,
    merge_split_countries,
    rebalanced,
)

#: Terms of the Koopman-Wang-Wei decomposition, as decompr's ``kww()`` names them.
KWW_TERMS = ("DVA_FIN", "DVA_INT", "DVA_INTrex", "RDV_FIN", "RDV_INT", "DDC", "FVA_FIN", "FVA_INT", "FDC")

#: The 16 Wang-Wei-Zhu terms in decompr's ``wwz()`` column order (WWZ 2013 eq. 37 numbering in brackets in
#: :func:`wwz`).
WWZ_TERMS = (
    "DVA_FIN", "DVA_INT", "DVA_INTrexI1", "DVA_INTrexF", "DVA_INTrexI2", "RDV_INT", "RDV_FIN", "RDV_FIN2",
    "OVA_FIN", "MVA_FIN", "OVA_INT", "MVA_INT", "DDC_FIN", "DDC_INT", "ODC", "MDC",
)  # fmt: skip

#: Borin-Mancini exporting-country perspective, source-based (BBM eq. C.5, D.4; appendix F).
BM_SOURCE_TERMS = ("GEXP", "DC", "DVA", "VAX", "DAVAX", "REF", "DDC", "FC", "FVA", "FDC", "GVC", "GVCB", "GVCF")
#: Borin-Mancini exporting-country perspective, sink-based (BBM eq. D.6).
BM_SINK_TERMS = ("GEXP", "DC", "DVA", "VAX", "REF", "DDC", "FC", "FVA", "FDC")

#: Largest Leontief multiplier accepted: output per unit of final demand beyond it means ``I - A`` is singular
#: to working precision (real tables stay below 10; WIOD 2013's largest is 2.2).
MAX_MULTIPLIER = 1e10


class AccountingWarning(UserWarning):
    """A table the accounting computes, with cells whose results fall outside the usual ranges (negative value
    added or negative intermediate flows): see :func:`check_accounting`."""


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` with 0 where ``den == 0`` (the module's documented choice; never NaN)."""
    num, den = np.broadcast_arrays(np.asarray(num, dtype=float), np.asarray(den, dtype=float))
    out = np.zeros(num.shape)
    np.divide(num, den, out=out, where=den != 0)
    return out


@dataclass(frozen=True, eq=False)
class Model:
    """A balanced ICIO table in matrix form with its Leontief inverse (build with :func:`build_model`).

    Rows are *producers* x sectors (producer-major): a producer is a table row country, and split countries
    (OECD's CN1/CN2, MX1/MX2) stay separate producers, as in exvatools. Each producer belongs to one
    accounting *country* (``home``); a country's domestic block spans all its producers, and results are added
    over the producers of a country afterwards (:meth:`by_country`). A country group made one exporter
    (:meth:`regroup`) is a country whose producers are the members'. ``Y`` is final demand by destination
    country (RN x G); ``B`` is computed once from one LU factorisation and shared by regrouped models.
    """

    countries: tuple[str, ...]
    sectors: tuple[str, ...]
    producers: tuple[str, ...]
    home: np.ndarray
    Z: np.ndarray
    Y: np.ndarray
    x: np.ndarray
    va: np.ndarray

    @property
    def G(self) -> int:
        return len(self.countries)

    @property
    def N(self) -> int:
        return len(self.sectors)

    @cached_property
    def index(self) -> pd.MultiIndex:
        """(country, sector) labels of the rows of results added over producers (:meth:`by_country`)."""
        return pd.MultiIndex.from_product([self.countries, self.sectors], names=["country", "sector"])

    @cached_property
    def country_of_row(self) -> np.ndarray:
        return np.repeat(self.home, self.N)

    @cached_property
    def rows_of(self) -> tuple[np.ndarray, ...]:
        """Row positions of each country's producers (its domestic block)."""
        return tuple(np.flatnonzero(self.country_of_row == c) for c in range(self.G))

    @cached_property
    def P(self) -> np.ndarray:
        """Country indicator, RN x G: ``P[a, c] = 1`` when row ``a`` belongs to country ``c``."""
        P = np.zeros((len(self.x), self.G))
        P[np.arange(len(self.x)), self.country_of_row] = 1.0
        return P

    @cached_property
    def _to_country(self) -> sp.csr_matrix | None:
        """GN x RN matrix adding producer rows into (country, sector) rows; None when they coincide."""
        N, RN = self.N, len(self.x)
        target = self.country_of_row * N + np.tile(np.arange(N), len(self.producers))
        if len(self.producers) == self.G and np.array_equal(target, np.arange(RN)):
            return None
        return sp.csr_matrix((np.ones(RN), (target, np.arange(RN))), shape=(self.G * N, RN))

    def by_country(self, M: np.ndarray) -> np.ndarray:
        """Rows of ``M`` (RN x ...) added over the producers of each country: GN x ... in :attr:`index` order."""
        S = self._to_country
        return M if S is None else np.asarray(S @ M)

    def regroup(self, groups: Mapping[str, Iterable[str]]) -> Model:
        """The same table with each group one country (one exporter): trade among its members is domestic.

        The group takes the place of its first member; members must be countries of the model. ``A``, ``v``
        and ``B`` are shared with this model (grouping changes only which blocks are domestic).
        """
        lookup: dict[str, str] = {}
        for name, members in groups.items():
            for c in members:
                if c not in self.countries:
                    raise ValueError(f"group {name!r}: {c!r} is not a country of the table")
                if c in lookup:
                    raise ValueError(f"country groups: {c} is in both {lookup[c]!r} and {name!r}")
                lookup[c] = name
        labels = [lookup.get(c, c) for c in self.countries]
        new = list(dict.fromkeys(labels))
        old_to_new = np.array([new.index(label) for label in labels])
        Y = self.Y @ np.eye(len(new))[old_to_new]  # sum the destination columns of the members
        out = Model(tuple(new), self.sectors, self.producers, old_to_new[self.home], self.Z, Y, self.x, self.va)
        out.__dict__.update({k: self.__dict__[k] for k in ("A", "v", "lu", "B") if k in self.__dict__})
        return out

    @cached_property
    def A(self) -> np.ndarray:
        """Technical coefficients ``A = Z diag(x)^-1`` [BBM B.1]; columns of zero-output rows are 0."""
        return technical_coefficients(self.Z, self.x)

    @cached_property
    def v(self) -> np.ndarray:
        """Value-added coefficients ``v = va / x`` [BBM B.3]; 0 for zero-output rows."""
        return _ratio(self.va, self.x)

    @cached_property
    def lu(self):
        """LU factorisation of ``I - A`` (scipy ``lu_factor``), computed once."""
        return sla.lu_factor(np.eye(len(self.x)) - self.A, check_finite=False)

    @cached_property
    def B(self) -> np.ndarray:
        """Leontief inverse ``B = (I - A)^-1`` [BBM B.2], one solve against the identity with the stored LU."""
        return sla.lu_solve(self.lu, np.eye(len(self.x)), check_finite=False)

    def blocks(self, M: np.ndarray) -> tuple[np.ndarray, ...]:
        """The G domestic blocks ``M_ss`` of a RN x RN matrix (each country's producers x producers)."""
        return tuple(M[np.ix_(r, r)] for r in self.rows_of)

    @cached_property
    def Ad(self) -> tuple[np.ndarray, ...]:
        """Domestic blocks ``A_ss`` of the technical coefficients."""
        return self.blocks(self.A)

    @cached_property
    def L(self) -> tuple[np.ndarray, ...]:
        """Local Leontief inverses ``L_ss = (I - A_ss)^-1``, one per country."""
        return tuple(np.linalg.solve(np.eye(len(a)) - a, np.eye(len(a))) for a in self.Ad)

    @cached_property
    def Bd(self) -> tuple[np.ndarray, ...]:
        """Diagonal blocks ``B_ss`` of the global inverse."""
        return self.blocks(self.B)

    def bd(self, blocks: Sequence[np.ndarray], M: np.ndarray) -> np.ndarray:
        """Block-diagonal matrix (given by its domestic blocks) times ``M`` (RN x k or RN)."""
        out = np.empty(M.shape)
        for block, rows in zip(blocks, self.rows_of):
            out[rows] = block @ M[rows]
        return out

    def bd_left(self, m: np.ndarray, blocks: Sequence[np.ndarray]) -> np.ndarray:
        """Row vector ``m`` (RN) times a block-diagonal matrix."""
        out = np.empty(m.shape)
        for block, rows in zip(blocks, self.rows_of):
            out[rows] = m[rows] @ block
        return out

    def Af(self, M: np.ndarray) -> np.ndarray:
        """``A^F M`` with ``A^F = A - diag(A_ss)`` the foreign (import) coefficients."""
        return self.A @ M - self.bd(self.Ad, M)

    def left_Af(self, row: np.ndarray) -> np.ndarray:
        """Row vector times ``A^F``."""
        return row @ self.A - self.bd_left(row, self.Ad)

    def Bm(self, M: np.ndarray) -> np.ndarray:
        """``B^F M`` with ``B^F = B - diag(B_ss)`` the off-diagonal blocks of the Leontief inverse."""
        return self.B @ M - self.bd(self.Bd, M)

    # final demand ---------------------------------------------------------------------------------------
    @cached_property
    def Yd(self) -> np.ndarray:
        """Domestic final demand ``Y_ss`` (RN x G, zero off the own-country column)."""
        return self.Y * self.P

    @cached_property
    def Ym(self) -> np.ndarray:
        """Final-goods exports ``Y_sr``, r != s (RN x G)."""
        return self.Y - self.Yd

    @cached_property
    def AmLYd(self) -> np.ndarray:
        """``A_sr L_rr Y_rr`` (RN x G, 0 on the own country): intermediate exports the importer turns into its
        own final goods without further trade; with ``Ym`` the exports its direct importer absorbs."""
        return (self.A @ self.bd(self.L, self.Yd)) * (1 - self.P)

    # exports --------------------------------------------------------------------------------------------
    @cached_property
    def Eint(self) -> np.ndarray:
        """Intermediate exports ``A_sr x_r`` by importer (RN x G)."""
        return (self.Z @ self.P) * (1 - self.P)

    @cached_property
    def ESR(self) -> np.ndarray:
        """Gross exports ``E_sr`` of each producer-sector to each importer (RN x G), 0 on the own country."""
        return self.Eint + self.Ym

    @cached_property
    def E(self) -> np.ndarray:
        """Total gross exports ``E_s*`` per producer-sector (RN)."""
        return self.ESR.sum(axis=1)

    # value-added multipliers ----------------------------------------------------------------------------
    @cached_property
    def VB(self) -> np.ndarray:
        """``v B``: total value added per unit of output of each column (1 for balanced rows with x > 0)."""
        return self.v @ self.B

    @cached_property
    def VBc(self) -> np.ndarray:
        """``V_c B_cj`` by country of origin c (G x RN): value added of c per unit of j's output."""
        return self.P.T @ (self.v[:, None] * self.B)

    @cached_property
    def VBd(self) -> np.ndarray:
        """Domestic content ``V_s B_ss`` per column (RN) [BBM C.1]."""
        return self.VBc[self.country_of_row, np.arange(len(self.x))]

    @cached_property
    def VBf(self) -> np.ndarray:
        """Foreign content ``sum_{t != s} V_t B_ts`` per column (RN) [BBM C.1]."""
        return self.VB - self.VBd

    @cached_property
    def AfB(self) -> np.ndarray:
        """``A^F B = B - I - diag(A_ss) B`` (since ``A B = B - I``): export coefficients times the inverse, the
        small matrices of the Woodbury extractions (sink reflection, exporter and sectoral perspectives)."""
        return self.B - np.eye(len(self.x)) - self.bd(self.Ad, self.B)

    @cached_property
    def VL(self) -> np.ndarray:
        """Domestic value added ``V_s L_ss`` per column (RN) [BBM C.5]."""
        return self.bd_left(self.v, self.L)


def technical_coefficients(Z: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``A = Z diag(x)^-1`` [BBM eq. B.1]; the columns of zero-output rows are 0 (decompr's convention)."""
    return Z * _ratio(1.0, x)[None, :]


def build_model(
    table: IcioTable,
    rebalance: bool = True,
    rtol: float = BALANCE_RTOL,
    atol: float = BALANCE_ATOL,
    split_countries: Mapping[str, str] | None = None,
    where: str = "table",
) -> Model:
    """Matrix form of a table for accounting, final demand summed by destination country.

    ``split_countries`` maps producer codes to the country they are part of (default
    :data:`valuechain.icio.tables.DEFAULT_SPLIT_COUNTRIES`: CN1, CN2 -> CHN; MX1, MX2 -> MEX). The parts stay separate
    producers with their own rows and columns of ``A`` and share the country's domestic block, as exvatools
    does; summing them first (:func:`valuechain.icio.tables.merge_split_countries`) gives a different ``A`` and
    different numbers (up to 1.5 % on exvatools' test table), so it is only an option (``model_from_file``).
    Final-demand columns of a part count as the country's.

    With ``rebalance`` (default) the table is checked with :func:`valuechain.icio.tables.check_balance` and ``x`` and
    ``va`` are re-derived from the use side (:func:`valuechain.icio.tables.rebalanced`), so every identity holds exactly.
    Every producer must have the same sectors in the same order. The model is checked with
    :func:`check_accounting` (two countries at least, a productive table); ``where`` names the table in messages.
    """
    if not table.is_square_block:
        raise ValueError(f"{where}: every country needs the same industries in the same order")
    if rebalance:
        table = rebalanced(table, rtol=rtol, atol=atol, where=where)
    else:  # the sums below would count a NaN as 0
        check_finite(table, where)
    split = dict(DEFAULT_SPLIT_COUNTRIES if split_countries is None else split_countries)
    producers = tuple(table.countries)
    labels = [split.get(p, p) for p in producers]
    countries = list(dict.fromkeys(labels))
    Yc = final_demand_by_country(table)
    Yc = Yc.T.groupby(np.array([split.get(c, c) for c in Yc.columns]), sort=False).sum().T
    extra = [c for c in Yc.columns if c not in countries]
    if extra:
        raise ValueError(f"{where}: final demand of countries without industry rows {extra[:5]}")
    Yc = Yc.reindex(columns=countries, fill_value=0.0)
    model = Model(
        countries=tuple(countries),
        sectors=tuple(table.industries),
        producers=producers,
        home=np.array([countries.index(label) for label in labels]),
        Z=table.Z.to_numpy(dtype=float),
        Y=Yc.to_numpy(dtype=float),
        x=table.x.to_numpy(dtype=float),
        va=table.va.to_numpy(dtype=float),
    )
    check_accounting(model, where)
    return model


def _named(labels: np.ndarray, values: np.ndarray, order: np.ndarray, fmt: str = "{:.4g}", k: int = 5) -> str:
    """``"AAA_X (1.125), BBB_Y (1.02)"``: the first ``k`` labels of ``order`` with their values."""
    return ", ".join(f"{labels[i]} ({fmt.format(values[i])})" for i in order[:k])


def check_idle_industries(Z: np.ndarray, x: np.ndarray, labels: np.ndarray, where: str = "table") -> None:
    """Refuse industries with no output that use intermediate inputs (their inputs would vanish from ``A``, which no
    product would carry, and the identities fail), naming up to five with their inputs. ``labels``: one per row."""
    idle = np.flatnonzero(x == 0)
    idle = idle[(Z[:, idle] != 0).any(axis=0)]
    if len(idle):
        raise ValueError(f"{where}: industries with no output that use intermediate inputs (which no product "
                         f"would carry): {len(idle)}, {_named(labels, Z.sum(axis=0), idle)} (inputs); give them "
                         "their output or remove their inputs")


def check_accounting(m: Model, where: str = "table") -> None:
    """Refuse a model whose accounting would be wrong, naming the rows and columns at fault; warn about cells
    that make some results leave their usual ranges.

    Refused (``ValueError``): fewer than two countries (value-added trade needs a border); NaN or infinite
    cells; negative output; industries with no output that use inputs (their inputs would vanish from ``A``
    and the identities fail); a table that is not *productive*, i.e. ``I - A`` is singular or its inverse has
    negative entries (Hawkins-Simon: for ``A >= 0`` the inverse exists and is non-negative exactly when the
    spectral radius of ``A`` is below 1). The message names the columns whose input coefficients sum to 1 or
    more (value added <= 0) and the rows with no positive final demand (a non-productive table with
    non-negative flows has both), and the rows with negative flows.

    Warned (:class:`AccountingWarning`): columns with negative value added (input coefficients summing above
    1) and negative intermediate flows in a productive table. Real tables have them (WIOD 2013's LUX_c24 in
    2010 and 2011, output 32 and inputs 36 once the row's rounding gap is moved out of its output; subsidised
    industries), the identities still hold, but the shares of flows carrying them can fall outside [0, 1].
    """
    if m.G < 2:
        raise ValueError(f"{where}: value-added trade accounting needs at least two countries; the table has "
                         f"only {', '.join(m.countries)}")
    producers = np.repeat(np.array(m.producers, dtype=object), m.N)
    labels = producers + "_" + np.tile(np.array(m.sectors, dtype=object), len(m.producers))
    for name, arr in (("Z", m.Z), ("Y", m.Y), ("x", m.x), ("va", m.va)):
        rows = np.flatnonzero(~np.isfinite(arr.reshape(len(arr), -1)).all(axis=1))
        if len(rows):
            raise ValueError(f"{where}: rows with NaN or infinite cells in {name}: {len(rows)}, "
                             f"{', '.join(labels[rows[:5]])}; fill them with numbers")
    if (m.x < 0).any():
        rows = np.flatnonzero(m.x < 0)
        raise ValueError(f"{where}: rows with negative output: {len(rows)}, {_named(labels, m.x, rows)}; output "
                         "cannot be negative")
    check_idle_industries(m.Z, m.x, labels, where)
    colsum = m.A.sum(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sla.LinAlgWarning)  # an exact zero pivot: reported below
        B = m.B
    low = B.min()
    size = max(B.max(), -low)  # NaN when a pivot was zero
    if not size <= MAX_MULTIPLIER or low < -1e-9 * max(1.0, size):
        how = "the Leontief inverse (I - A)^-1 has negative entries" if size <= MAX_MULTIPLIER else "I - A is singular"
        heavy = np.flatnonzero(colsum >= 1)
        heavy = heavy[np.argsort(-colsum[heavy], kind="stable")]
        final = m.Y.sum(axis=1)
        starved = np.flatnonzero((final <= 0) & (m.x > 0))
        negative = np.flatnonzero((m.Z < 0).any(axis=1))
        parts = [f"columns using 1 or more of inputs per unit of output: {len(heavy)}, "
                 f"{_named(labels, colsum, heavy)} (input coefficients summed)" if len(heavy) else "",
                 f"rows with no positive final demand, all of their output (or more) an input of the table's "
                 f"industries: {len(starved)}, {_named(labels, final, starved, '{:g}')} (final demand)"
                 if len(starved) else "",
                 f"rows with negative intermediate flows: {len(negative)}, {', '.join(labels[negative[:5]])}"
                 if len(negative) else ""]
        raise ValueError(f"{where}: the table is not productive ({how}: no output meets its final demand, so "
                         f"value added cannot be traced); {'; '.join(p for p in parts if p)}. Check the "
                         "intermediate inputs of these columns and the final demand of these rows")
    loss = np.flatnonzero((m.va < 0) & (m.x > 0))
    if len(loss):
        loss = loss[np.argsort(m.va[loss] / m.x[loss], kind="stable")]
        named = ", ".join(f"{labels[i]} ({colsum[i]:.4g}: value added {m.va[i]:.4g} of output {m.x[i]:.4g})"
                          for i in loss[:5])
        warnings.warn(f"{where}: columns with negative value added (input coefficients summed above 1): "
                      f"{len(loss)}, {named}; the accounting holds, but shares of flows carrying their value added "
                      "can fall outside [0, 1]", AccountingWarning, stacklevel=3)
    if (m.Z < 0).any():
        rows, cols = np.nonzero(m.Z < 0)
        cells = ", ".join(f"{labels[i]} -> {labels[j]} ({m.Z[i, j]:.4g})" for i, j in zip(rows[:5], cols[:5]))
        warnings.warn(f"{where}: negative intermediate flows: {len(rows)}, {cells}; shares of flows carrying "
                      "them can fall outside [0, 1]", AccountingWarning, stacklevel=3)


def model_from_file(
    path,
    fmt: str,
    split_countries: Mapping[str, str] | None = None,
    rtol: float = BALANCE_RTOL,
    atol: float = BALANCE_ATOL,
    merge_split: bool = False,
) -> Model:
    """Read a table in layout ``fmt`` (:data:`valuechain.icio.formats.FORMATS`), check the balance, build the model.

    Split countries stay separate producers (:func:`build_model`) unless ``merge_split`` sums their rows and
    columns first. Rest of the world and the household industry stay in: accounting needs the whole world.
    """
    table = read_table(path, fmt)
    if merge_split:
        # a part of a split country using inputs with no output is a damaged table, even if the merged country
        # has output: checked before the sum hides it
        check_finite(table, str(path))
        labels = np.array([f"{c}_{i}" for c, i in table.Z.index], dtype=object)
        check_idle_industries(table.Z.to_numpy(dtype=float), table.x.to_numpy(dtype=float), labels, str(path))
        table = merge_split_countries(table, split_countries, where=str(path))
    return build_model(table, rtol=rtol, atol=atol, split_countries=split_countries, where=str(path))


def _fold(m: Model, F: np.ndarray, per_exporter: bool = True) -> np.ndarray:
    """``T[i, r, k] = sum_{a in r} A[i, a] F[a, s(i), k]`` for r != s(i), 0 for r = s(i).

    The intermediate-export step ``A_sr`` of the WWZ/BM terms applied to a quantity that depends on the
    exporter s (``per_exporter``; for example ``B_rs Y_ss``; ``F`` is RN x G or RN x G x k) or not (``F`` is RN
    or RN x k). One small matmul ``A_sr F_r,s`` per pair of countries (G^2 products of N x N blocks), never a
    dense RN x RN product per exporter. Returns RN x G x k.
    """
    F = F[..., None] if F.ndim == (2 if per_exporter else 1) else F
    T = np.zeros((len(m.x), m.G, F.shape[-1]))
    for s, S in enumerate(m.rows_of):
        A_s = m.A[S]
        for r, R in enumerate(m.rows_of):
            if r != s:
                T[S, r] = A_s[:, R] @ (F[R, s] if per_exporter else F[R])
    return T


# ---------------------------------------------------------------------------------------------------------
# Leontief basics, value added by origin and destination
# ---------------------------------------------------------------------------------------------------------


def leontief_exports(m: Model) -> pd.DataFrame:
    """``diag(v) B diag(E)``: value added of each source country-sector in each country-sector's gross exports.

    decompr's ``leontief()`` output [BBM C.1 at the sector level]; rows source, columns using (exporting)
    country-sector. Column sums equal gross exports for rows with output.
    """
    M = (m.v[:, None] * m.B) * m.E[None, :]
    M = m.by_country(m.by_country(M).T).T  # split producers added on both sides
    return pd.DataFrame(M, index=m.index, columns=m.index)


def va_by_destination(m: Model) -> pd.DataFrame:
    """``diag(v) B Y``: value added of each origin country-sector absorbed in each destination [BBM B.5-B.7].

    Rows (country, sector) of origin, columns the country of final absorption; the row sums are ``va``.
    """
    M = m.by_country(m.v[:, None] * (m.B @ m.Y))
    return pd.DataFrame(M, index=m.index, columns=pd.Index(m.countries, name="destination"))


def group_labels(labels: Iterable[str], groups: Mapping[str, Iterable[str]] | None) -> list[str]:
    """Map countries to group names (a country in no group keeps its code); a country in two groups is an error."""
    lookup: dict[str, str] = {}
    for name, members in (groups or {}).items():
        for c in members:
            if c in lookup:
                raise ValueError(f"country groups: {c} is in both {lookup[c]!r} and {name!r}")
            lookup[c] = name
    return [lookup.get(c, c) for c in labels]


def va_origin_destination(
    m: Model,
    groups: Mapping[str, Iterable[str]] | None = None,
    by_sector: bool = True,
) -> pd.DataFrame:
    """Value added by origin (country[, sector]) and destination country, long form (icio ``origin()`` /
    ``destination()``, [BBM eq. B.7]); countries can be merged into ``groups`` on both sides.

    Columns ``origin, [origin_sector,] destination, va``.
    """
    vd = va_by_destination(m)
    vd.columns = group_labels(vd.columns, groups)
    vd = vd.T.groupby(level=0, sort=False).sum().T
    long = vd.stack().rename("va").reset_index()
    long.columns = ["origin", "origin_sector", "destination", "va"]
    long["origin"] = group_labels(long["origin"], groups)
    keys = ["origin", "origin_sector", "destination"] if by_sector else ["origin", "destination"]
    return long.groupby(keys, sort=False, as_index=False)["va"].sum()


# ---------------------------------------------------------------------------------------------------------
# Koopman-Wang-Wei and Wang-Wei-Zhu
# ---------------------------------------------------------------------------------------------------------


def kww(m: Model) -> pd.DataFrame:
    """Koopman-Wang-Wei (2014) decomposition of each country's gross exports into 9 terms [KWW fig. 1].

    As decompr 6.8.0 ``kww()`` (country level; terms add up to gross exports):
    ``DVA_FIN = V_s B_ss Y_s*``; ``DVA_INT = V_s B_sr Y_rr``; ``DVA_INTrex`` = VAX - the two;
    ``RDV_FIN = V_s B_sr Y_rs``; ``RDV_INT = V_s B_sr A_rs L_ss Y_ss``; ``DDC = V_s B_sr A_rs L_ss E_s*``;
    ``FVA_FIN = V_t B_ts Y_s*``; ``FVA_INT = V_t B_ts A_sr L_rr Y_rr``; ``FDC`` = the rest.
    """
    v, B, P, Y, Yd, Ym = m.v, m.B, m.P, m.Y, m.Yd, m.Ym
    own = P.astype(bool)  # one True per row: its own country's column
    BY = B @ Y
    vae = v * (BY * (1 - P)).sum(axis=1)  # value added absorbed abroad (VAX), by sector of origin
    BdYm = m.bd(m.Bd, Ym)
    t1 = v * BdYm.sum(axis=1)
    ydom = Yd.sum(axis=1)
    t2 = v * m.Bm(ydom)
    t3 = vae - t1 - t2
    t4 = v * (B @ Ym - BdYm)[own]
    # Bm Am L: the re-import path s -> r -> s
    LEP = m.bd(m.L, m.E[:, None] * P)
    AmLYd = m.AmLYd
    AmLEP = (m.A @ LEP) * (1 - P)
    t5 = v * m.Bm(AmLYd)[own]
    t6 = v * m.Bm(AmLEP)[own]
    t7 = m.VBf * Ym.sum(axis=1)
    t8 = m.VBf * AmLYd.sum(axis=1)
    t9 = m.E - (vae + t4 + t5 + t6 + t7 + t8)
    terms = np.column_stack([t1, t2, t3, t4, t5, t6, t7, t8, t9])
    out = pd.DataFrame(P.T @ terms, index=pd.Index(m.countries, name="country"), columns=list(KWW_TERMS))
    out.insert(0, "GEXP", P.T @ m.E)
    return out


def wwz(m: Model) -> pd.DataFrame:
    """Wang-Wei-Zhu (2013) decomposition: 16 terms per exporting country-sector (s, i) and importer r.

    [WWZ eq. 37], with ``#`` the element-wise product over the exporting sectors and the sums over t != s, r:

    1 ``DVA_FIN = (V_s B_ss)^T # Y_sr``;  2 ``DVA_INT = (V_s L_ss)^T # (A_sr B_rr Y_rr)``;
    3 ``DVA_INTrexI1 = (V_s L_ss)^T # (A_sr sum_t B_rt Y_tt)``;  4 ``DVA_INTrexF = (V_s L_ss)^T # (A_sr B_rr
    sum_t Y_rt)``;  5 ``DVA_INTrexI2 = (V_s L_ss)^T # (A_sr sum_t B_rt sum_{u != s,t} Y_tu)``;
    6 ``RDV_FIN = (V_s L_ss)^T # (A_sr B_rr Y_rs)``;  7 ``RDV_FIN2 = (V_s L_ss)^T # (A_sr sum_t B_rt Y_ts)``;
    8 ``RDV_INT = (V_s L_ss)^T # (A_sr B_rs Y_ss)``;  9 ``DDC_FIN = (V_s L_ss)^T # (A_sr B_rs sum_{t != s} Y_st)``;
    10 ``DDC_INT = (V_s B_ss - V_s L_ss)^T # (A_sr X_r)``;  11 ``MVA_FIN = (V_r B_rs)^T # Y_sr``;
    12 ``MVA_INT = (V_r B_rs)^T # (A_sr L_rr Y_rr)``;  13 ``MDC = (V_r B_rs)^T # (A_sr L_rr E_r*)``;
    14-16 ``OVA_FIN``, ``OVA_INT``, ``ODC``: the same with ``sum_{t != s, r} V_t B_ts``.

    Returns long form: ``exporter, sector, importer, GEXP`` and the terms in decompr's column order
    (:data:`WWZ_TERMS`); own-country rows (exporter == importer, all 0) are left out. Terms add up to GEXP.
    """
    P, Q = m.P, 1 - m.P
    B, Yd, Ym = m.B, m.Yd, m.Ym
    ydom, yexp = Yd.sum(axis=1), Ym.sum(axis=1)
    BYd = B @ Yd  # [a, s] = B_{r(a) s} Y_ss
    BYm = B @ Ym
    BdYm = m.bd(m.Bd, Ym)  # [a, s] = B_rr Y_rs
    yexpP = yexp[:, None] * P
    BYexpP = B @ yexpP  # [a, s] = B_rs sum_{t != s} Y_st
    Bdyexp = m.bd(m.Bd, yexp)
    Byexp = B @ yexp
    Bydom = B @ ydom
    own_BYd = (BYd * P).sum(axis=1)  # B_rr Y_rr at rows of r
    # F[a, s, k] for the terms that pass through A_sr (see _fold)
    F = np.stack(
        [
            np.broadcast_to((Bydom - own_BYd)[:, None], BYd.shape) - BYd,  # 3: sum_{t != s,r} B_rt Y_tt
            Bdyexp[:, None] - BdYm,  # 4: B_rr sum_{t != s,r} Y_rt
            (Byexp - Bdyexp)[:, None] - BYexpP - BYm + BdYm,  # 5
            BYd,  # 8: B_rs Y_ss (RDV_INT)
            BdYm,  # 6: B_rr Y_rs (RDV_FIN)
            BYm - BdYm,  # 7: sum_{t != r} B_rt Y_ts (RDV_FIN2)
            BYexpP,  # 9: DDC_FIN
        ],
        axis=2,
    )
    T = _fold(m, F) * m.VL[:, None, None]
    AmBdYd = (m.A @ (BYd * P)) * Q  # A_sr B_rr Y_rr
    AmLYd = m.AmLYd  # A_sr L_rr Y_rr
    AmLE = (m.A @ m.bd(m.L, m.E[:, None] * P)) * Q  # A_sr L_rr E_r*
    VBr = m.VBc.T  # [j, r] = V_r B_rs at column j
    VBo = m.VBf[:, None] - VBr  # third countries
    terms = {
        "DVA_FIN": Ym * m.VBd[:, None],
        "DVA_INT": AmBdYd * m.VL[:, None],
        "DVA_INTrexI1": T[:, :, 0],
        "DVA_INTrexF": T[:, :, 1],
        "DVA_INTrexI2": T[:, :, 2],
        "RDV_INT": T[:, :, 3],
        "RDV_FIN": T[:, :, 4],
        "RDV_FIN2": T[:, :, 5],
        "OVA_FIN": Ym * VBo,
        "MVA_FIN": Ym * VBr,
        "OVA_INT": AmLYd * VBo,
        "MVA_INT": AmLYd * VBr,
        "DDC_FIN": T[:, :, 6],
        "DDC_INT": m.Eint * (m.VBd - m.VL)[:, None],
        "ODC": AmLE * VBo,
        "MDC": AmLE * VBr,
    }
    return _bilateral_frame(m, {"GEXP": m.ESR, **{k: terms[k] for k in WWZ_TERMS}})


def _bilateral_frame(m: Model, cols: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Long frame (exporter, sector, importer) from RN x G arrays, split producers added, own-country pairs
    dropped."""
    G, N = m.G, m.N
    exporter = np.repeat(np.array(m.countries, dtype=object), N * G)
    sector = np.tile(np.repeat(np.array(m.sectors, dtype=object), G), G)
    importer = np.tile(np.array(m.countries, dtype=object), G * N)
    keep = (exporter != importer)
    data = {"exporter": exporter[keep], "sector": sector[keep], "importer": importer[keep]}
    data.update({k: m.by_country(np.asarray(v)).reshape(-1)[keep] for k, v in cols.items()})
    return pd.DataFrame(data)


# ---------------------------------------------------------------------------------------------------------
# Borin-Mancini, exporting-country perspective
# ---------------------------------------------------------------------------------------------------------


def _bm_fva_weights(m: Model) -> np.ndarray:
    """Foreign value added per unit of exports, source-based: ``sum_t V_t B^{/s}_ts`` [BBM C.3-C.5].

    With ``A^{/s}`` (s's export coefficients set to 0), ``B^{/s}_ts = B_ts B_ss^-1 L_ss`` for t != s (block
    inversion: ``(I - A_RR)^-1 A_Rs = B_Rs B_ss^-1``), so the weights are ``FC_s B_ss^-1 L_ss`` with the
    foreign content ``FC_s = sum_t V_t B_ts``: one solve with each domestic block instead of G inversions of
    ``I - A^{/s}``.
    """
    w = np.empty(len(m.x))
    for Bss, Lss, S in zip(m.Bd, m.L, m.rows_of):
        w[S] = np.linalg.solve(Bss.T, m.VBf[S]) @ Lss  # fc B_ss^-1 L_ss
    return w


def bm_source(m: Model) -> pd.DataFrame:
    """Borin-Mancini decomposition, exporting-country perspective, source-based, per exporting country-sector
    and importer [BBM eq. C.5, D.4, C.7; appendix F].

    Per unit of exports of sector j of s (weights applied to ``E_sr[j]``, "proper diagonalisation" of VB):
    ``DC = V_s B_ss``, ``DVA = V_s B^{/s}_ss = V_s L_ss``, ``DDC = DC - DVA``; ``FC = sum_t V_t B_ts``,
    ``FVA = sum_t V_t B^{/s}_ts`` (:func:`_bm_fva_weights`), ``FDC = FC - FVA``. DVA by final absorption [C.7]:
    ``REF = V_s L_ss A_sr sum_k B_rk Y_ks`` (absorbed at home), ``VAX = DVA - REF``, ``DAVAX = V_s L_ss Y_sr +
    V_s L_ss A_sr L_rr Y_rr`` (absorbed by the direct importer) [appendix F]. GVC participation [F.1-F.3]:
    ``GVC = GEXP - DAVAX`` = ``GVCB`` (``DDC + FC``, the import content of exports, Hummels et al.) + ``GVCF``
    (``DVA - DAVAX``).

    The rows add up to any aggregate (importers, sectors): sum them for total, bilateral or sectoral flows
    (:func:`aggregate`).
    """
    ESR = m.ESR
    DC = ESR * m.VBd[:, None]
    DVA = ESR * m.VL[:, None]
    FC = ESR * m.VBf[:, None]
    FVA = ESR * _bm_fva_weights(m)[:, None]
    BY = m.B @ m.Y
    REF = _fold(m, BY)[:, :, 0] * m.VL[:, None]  # A_sr (B Y)_{r, s}
    DAVAX = (m.Ym + m.AmLYd) * m.VL[:, None]
    cols = {
        "GEXP": ESR,
        "DC": DC,
        "DVA": DVA,
        "VAX": DVA - REF,
        "DAVAX": DAVAX,
        "REF": REF,
        "DDC": DC - DVA,
        "FC": FC,
        "FVA": FVA,
        "FDC": FC - FVA,
        "GVC": ESR - DAVAX,
        "GVCB": ESR - DVA,
        "GVCF": DVA - DAVAX,
    }
    return _bilateral_frame(m, cols)


def bm_sink(m: Model) -> pd.DataFrame:
    """Borin-Mancini decomposition, exporting-country perspective, sink-based [BBM eq. D.5-D.6].

    Value added counts the last time it leaves s. The "ultimate exports" ``E*_sr = Y_sr + A_sr X_r^{/s}`` keep
    the part of r's output that does not re-enter s's exports, ``X_r^{/s} = x_r - B_rs h_s`` with
    ``h_s = B_ss^-1 L_ss E_s*`` (block form of ``B^{/s} Y^{/s}``, no inversion per exporter). Then
    ``DVA = V_s B_ss E*_sr``, ``FVA = sum_t V_t B_ts E*_sr`` and the double counting is the rest of the
    domestic and foreign content. DC and FC equal the source-based ones; DVA, DDC, FVA, FDC differ bilaterally
    but their totals over importers and sectors equal the source-based totals of each exporter.

    Reflection (DVA that comes home in s's final demand), as in exvatools' ``bm_snk``: ``REF = V_s B_ss A_sr
    w_r`` with ``w = B^{/s} Y_{*s}`` the output that ends in s's final demand without leaving s again
    (Woodbury: ``w = B Y_{*s} - B_{*S} (I + C_SS)^-1 C_S Y_{*s}``, ``C = A^F B``); ``VAX = DVA - REF``.
    """
    P = m.P
    h = np.empty(len(m.x))
    LE = m.bd(m.L, m.E)
    for Bss, S in zip(m.Bd, m.rows_of):
        h[S] = np.linalg.solve(Bss, LE[S])  # h_s = B_ss^-1 L_ss E_s*
    Bh = m.B @ (h[:, None] * P)  # [a, s] = B_{r(a) s} h_s
    Estar = m.Ym + m.Eint - _fold(m, Bh)[:, :, 0]
    C = m.AfB
    BY = m.B @ m.Y
    W = np.empty_like(BY)
    for s, S in enumerate(m.rows_of):
        CS = C[S]
        W[:, s] = BY[:, s] - m.B[:, S] @ np.linalg.solve(np.eye(len(S)) + CS[:, S], CS @ m.Y[:, s])
    ESR = m.ESR
    DC, FC = ESR * m.VBd[:, None], ESR * m.VBf[:, None]
    DVA, FVA = Estar * m.VBd[:, None], Estar * m.VBf[:, None]
    REF = _fold(m, W)[:, :, 0] * m.VBd[:, None]
    cols = {"GEXP": ESR, "DC": DC, "DVA": DVA, "VAX": DVA - REF, "REF": REF, "DDC": DC - DVA, "FC": FC,
            "FVA": FVA, "FDC": FC - FVA}
    return _bilateral_frame(m, cols)


def aggregate(
    df: pd.DataFrame,
    level: str = "total",
    groups: Mapping[str, Iterable[str]] | None = None,
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """Sum a bilateral-sectoral frame (:func:`wwz`, :func:`bm_source`, :func:`bm_sink`, the frames of
    :mod:`valuechain.icio.perspectives`) to a level.

    ``level``: ``total`` (per exporter), ``bilateral`` (exporter x importer), ``sectoral`` (exporter x sector),
    ``detail`` (exporter x sector x importer); ``by`` adds keys kept at every level (``origin``,
    ``destination``). ``groups`` relabels importers and exporters with their group and sums them: flows
    among members stay in, as the members' own exports. For a group as one exporter (trade among members not
    an export) build the model with :meth:`Model.regroup` instead.
    """
    levels = {"total": ["exporter"], "bilateral": ["exporter", "importer"], "sectoral": ["exporter", "sector"],
              "detail": ["exporter", "sector", "importer"]}
    if level not in levels:
        raise ValueError(f"aggregate: level must be total, bilateral, sectoral or detail, not {level!r}")
    keys = levels[level] + list(by)
    df = df.copy()
    if groups:
        df["exporter"] = group_labels(df["exporter"], groups)
        df["importer"] = group_labels(df["importer"], groups)
    num = [c for c in df.columns if c not in ("exporter", "sector", "importer", *by)]
    return df.groupby(keys, sort=False, as_index=False)[num].sum()


def shares(df: pd.DataFrame, total: str = "GEXP") -> pd.DataFrame:
    """Every numeric column divided by ``total`` (0 where the total is 0), e.g. GVC participation rates."""
    out = df.copy()
    num = [c for c in df.columns if c not in ("exporter", "sector", "importer", "country", total)]
    for c in num:
        out[c] = _ratio(df[c].to_numpy(), df[total].to_numpy())
    return out


def gvc_participation(m: Model, level: str = "total") -> pd.DataFrame:
    """Borin-Mancini GVC participation in exports [BBM appendix F, eq. F.1-F.3] at a level of :func:`aggregate`.

    Columns ``GEXP, GVC, GVCB, GVCF`` (levels) and ``gvc, gvc_backward, gvc_forward`` (shares of GEXP):
    ``GVC = GEXP - DAVAX``, backward = import content ``DDC + FC``, forward = ``DVA - DAVAX``.
    """
    agg = aggregate(bm_source(m), level)
    keys = [c for c in ("exporter", "sector", "importer") if c in agg.columns]
    out = agg[keys + ["GEXP", "GVC", "GVCB", "GVCF"]].copy()
    g = agg["GEXP"].to_numpy()
    out["gvc"] = _ratio(agg["GVC"].to_numpy(), g)
    out["gvc_backward"] = _ratio(agg["GVCB"].to_numpy(), g)
    out["gvc_forward"] = _ratio(agg["GVCF"].to_numpy(), g)
    return out


# ---------------------------------------------------------------------------------------------------------
# UIBE production decomposition, position and length
# ---------------------------------------------------------------------------------------------------------


def production_decomposition(m: Model) -> pd.DataFrame:
    """Wang-Wei-Yu-Zhu (2017b) production decomposition, UIBE index1-Prod, per country-sector.

    ``V^ B Y^ = V^ L Y^D + V^ L Y^F + V^ L A^F L Y^D + V^ L A^F (B Y - L Y^D)`` [WWYZb eq. 6-7], with ``L`` the
    block-diagonal local inverse, ``A^F`` the foreign blocks of A, ``Y^D``/``Y^F`` domestic / exported final
    demand. Forward (row sums, by sector of origin; sums to ``va``): ``V_D`` pure domestic, ``V_RT``
    traditional (final goods) trade, ``V_GVC_S`` simple GVC (one crossing of intermediates), ``V_GVC_C``
    complex GVC. Backward (column sums, by sector of final production; sums to final demand ``y``): ``Y_D``,
    ``Y_RT``, ``Y_GVC_S``, ``Y_GVC_C``. Participation ``gvc_forward = (V_GVC_S + V_GVC_C) / va``,
    ``gvc_backward = (Y_GVC_S + Y_GVC_C) / y`` (simple and complex parts also as shares).
    """
    v, ydom, yexp = m.v, m.Yd.sum(axis=1), m.Ym.sum(axis=1)
    y = ydom + yexp
    LyD = m.bd(m.L, ydom)
    V_D = v * LyD
    V_RT = v * m.bd(m.L, yexp)
    V_GVC_S = v * m.bd(m.L, m.Af(LyD))
    V_GVC = v * m.bd(m.L, m.Af(m.x))  # V^ L A^F B y, with B y = x
    VLAf = m.left_Af(m.VL)  # V L A^F (row vector)
    Y_D = m.VL * ydom
    Y_RT = m.VL * yexp
    Y_GVC_S = m.bd_left(VLAf, m.L) * ydom
    Y_GVC = (VLAf @ m.B) * y
    levels = np.column_stack([m.va, V_D, V_RT, V_GVC_S, V_GVC - V_GVC_S, y, Y_D, Y_RT, Y_GVC_S, Y_GVC - Y_GVC_S])
    names = ["va", "V_D", "V_RT", "V_GVC_S", "V_GVC_C", "y", "Y_D", "Y_RT", "Y_GVC_S", "Y_GVC_C"]
    out = pd.DataFrame(m.by_country(levels), index=m.index, columns=names)  # split producers added
    va, y = out["va"].to_numpy(), out["y"].to_numpy()
    out["gvc_forward"] = _ratio(out.V_GVC_S + out.V_GVC_C, va)
    out["gvc_forward_simple"] = _ratio(out.V_GVC_S, va)
    out["gvc_forward_complex"] = _ratio(out.V_GVC_C, va)
    out["gvc_backward"] = _ratio(out.Y_GVC_S + out.Y_GVC_C, y)
    out["gvc_backward_simple"] = _ratio(out.Y_GVC_S, y)
    out["gvc_backward_complex"] = _ratio(out.Y_GVC_C, y)
    return out.reset_index()


def upstreamness(m: Model) -> np.ndarray:
    """Antras-Chor upstreamness ``U = (I - diag(x)^-1 Z)^-1 1 = diag(x)^-1 B x`` [AC], with the stored LU.

    1 for zero-output rows (their row of ``diag(x)^-1 Z`` is 0).
    """
    Bx = sla.lu_solve(m.lu, m.x, check_finite=False)
    return np.where(m.x > 0, _ratio(Bx, m.x), 1.0)


def downstreamness(m: Model) -> np.ndarray:
    """Downstreamness ``D = (I - A^T)^-1 1 = B^T 1`` (column sums of B; the gvc R package), with the stored LU."""
    return sla.lu_solve(m.lu, np.ones(len(m.x)), trans=1, check_finite=False)


def _merged_ratio(m: Model, num: np.ndarray, den: np.ndarray, weight: np.ndarray, empty: float = 0.0) -> np.ndarray:
    """Per-row ratio ``num / den`` by (country, sector): unchanged without split producers, else
    ``sum(weight num) / sum(weight den)`` over the parts (``empty`` where the parts have no denominator)."""
    if m._to_country is None:
        return np.where(den != 0, _ratio(num, den), empty) if empty else _ratio(num, den)
    n, d = m.by_country(weight * num), m.by_country(weight * den)
    return np.where(d != 0, _ratio(n, d), empty)


def position(m: Model) -> pd.DataFrame:
    """Position and production length per country-sector [AC; WWYZa].

    ``upstreamness`` (Antras-Chor; equals the average forward production length ``PLv = V^BBY / V^BY`` of
    WWYZa), ``downstreamness`` (``B^T 1``; equals the average backward length ``PLy = VBBY^ / VBY^``), the GVC
    production lengths ``PLv_GVC = (V^ L L A^F B Y + V^ L A^F B B Y) / V^ L A^F B Y`` (forward) and
    ``PLy_GVC = (V L L A^F B Y^ + V L A^F B B Y^) / V L A^F B Y^`` (backward) [WWYZa eq. 20-23; each path of
    k input steps counts k + 1 stages], and the GVC position ``PLv_GVC / PLy_GVC`` [WWYZa eq. 28].
    Identity: ``sum(y * downstreamness) = sum(va * upstreamness) = sum(x)`` (``y`` final demand by row).

    The parts of a split country are one row each per sector: each ratio is the ratio of its numerator and
    denominator added over the parts (upstreamness and downstreamness weighted by output, forward lengths by
    value added, backward lengths by final demand).
    """
    x = m.x
    # forward: rows; v cancels in the ratio (row-wise diag(v))
    LAfx = m.bd(m.L, m.Af(x))  # L A^F B y
    num_f = m.bd(m.L, LAfx) + m.bd(m.L, m.Af(m.B @ x))  # L L A^F B y + L A^F B B y
    # backward: columns; y cancels (column-wise diag(y))
    den_b = m.left_Af(m.VL) @ m.B  # V L A^F B
    num_b = m.left_Af(m.bd_left(m.VL, m.L)) @ m.B + den_b @ m.B  # V L L A^F B + V L A^F B B
    y = m.Y.sum(axis=1)
    ones = np.ones_like(x)
    up = _merged_ratio(m, upstreamness(m) * x, x, ones, empty=1.0)
    down = _merged_ratio(m, downstreamness(m) * x, x, ones, empty=1.0)
    plv = _merged_ratio(m, num_f, LAfx, m.v)
    ply = _merged_ratio(m, num_b, den_b, y)
    return pd.DataFrame(
        {
            "upstreamness": up,
            "downstreamness": down,
            "PLv_GVC": plv,
            "PLy_GVC": ply,
            "gvc_position": _ratio(plv, ply),
        },
        index=m.index,
    ).reset_index()


def production_length(m: Model) -> pd.DataFrame:
    """UIBE length decomposition (index3-Length) per country-sector [WWYZa eq. 12-23].

    Production length = induced output / value added (or final good) that induces it. Forward, by sector of
    origin of value added (``V^`` rows): ``Xv_D = V^ L L Y^D`` (pure domestic), ``Xv_RT = V^ L L Y^F``
    (traditional trade), ``Xv_GVC = V^ L L A^F B Y + V^ L A^F B B Y``, of which simple (one crossing)
    ``Xv_GVC_S = V^ L L A^F L Y^D + V^ L A^F L L Y^D`` and complex the rest. Backward, by sector of final
    production (``Y^`` columns), the transposed products. Lengths ``PLv_* = Xv_* / V_*`` and ``PLy_* = Xy_* /
    Y_*`` with the value added and final goods of :func:`production_decomposition`; ``PLv`` (all segments,
    ``V^ B B Y / V^ B Y``, = Antras-Chor upstreamness) and ``PLy``; the GVC position index ``PLv_GVC / PLy_GVC``.
    Identities: ``Xv_D + Xv_RT + Xv_GVC = V^ B B Y`` and ``Xy_D + Xy_RT + Xy_GVC = V B B Y^``. Split producers
    are added before the ratios are taken.
    """
    v, L = m.v, m.L
    ydom, yexp = m.Yd.sum(axis=1), m.Ym.sum(axis=1)
    y = ydom + yexp
    LyD, LyF = m.bd(L, ydom), m.bd(L, yexp)
    LAfx = m.bd(L, m.Af(m.x))
    ALyD = m.Af(LyD)
    Xv = {
        "D": v * m.bd(L, LyD),
        "RT": v * m.bd(L, LyF),
        "GVC_S": v * (m.bd(L, m.bd(L, ALyD)) + m.bd(L, m.Af(m.bd(L, LyD)))),
        "GVC": v * (m.bd(L, LAfx) + m.bd(L, m.Af(m.B @ m.x))),
    }
    Vv = {"D": v * LyD, "RT": v * LyF, "GVC_S": v * m.bd(L, ALyD), "GVC": v * LAfx}
    VLL = m.bd_left(m.VL, L)
    VLAf = m.left_Af(m.VL)
    Xy = {
        "D": VLL * ydom,
        "RT": VLL * yexp,
        "GVC_S": (m.bd_left(m.left_Af(VLL), L) + m.bd_left(m.bd_left(VLAf, L), L)) * ydom,
        "GVC": (m.left_Af(VLL) @ m.B + (VLAf @ m.B) @ m.B) * y,
    }
    Vy = {"D": m.VL * ydom, "RT": m.VL * yexp, "GVC_S": m.bd_left(VLAf, L) * ydom, "GVC": (VLAf @ m.B) * y}
    for d in (Xv, Vv, Xy, Vy):
        d["GVC_C"] = d["GVC"] - d["GVC_S"]
    parts = ("D", "RT", "GVC_S", "GVC_C", "GVC")
    cols = {**{f"Xv_{k}": Xv[k] for k in parts}, **{f"V_{k}": Vv[k] for k in parts},
            **{f"Xy_{k}": Xy[k] for k in parts}, **{f"Y_{k}": Vy[k] for k in parts}}
    names = list(cols)
    out = pd.DataFrame(m.by_country(np.column_stack([cols[k] for k in names])), index=m.index, columns=names)
    for k in parts:
        out[f"PLv_{k}"] = _ratio(out[f"Xv_{k}"], out[f"V_{k}"])
        out[f"PLy_{k}"] = _ratio(out[f"Xy_{k}"], out[f"Y_{k}"])
    Xv_all = sum(out[f"Xv_{k}"] for k in ("D", "RT", "GVC"))
    Xy_all = sum(out[f"Xy_{k}"] for k in ("D", "RT", "GVC"))
    out["PLv"] = _ratio(Xv_all, sum(out[f"V_{k}"] for k in ("D", "RT", "GVC")))
    out["PLy"] = _ratio(Xy_all, sum(out[f"Y_{k}"] for k in ("D", "RT", "GVC")))
    out["gvc_position"] = _ratio(out.PLv_GVC, out.PLy_GVC)
    return out.reset_index()
