"""Borin-Mancini accounting perspectives, value added by origin and absorption, and GVC breakdowns.

Which part of a trade flow counts as value added, and which as double counting, depends on the border that
is drawn around the flow: the *perspective* [BBM section 4.1 and appendix E; BM 2019]. Value added is counted
once within the perspective's *unit*; a perspective's numbers add up over the flows of one unit, not across
units (they are not additive, by design: each answers "how much GDP is exposed to this flow as a whole").

============  =====================================  ======================================================
perspective   unit (double-counting perimeter)        coefficients removed from ``A`` (the extraction)
============  =====================================  ======================================================
exporter      all exports of country s                ``A_sr``, r != s (rows of s, foreign columns)
sectexp       exports of sector n of s                row (s, n), foreign columns
bilateral     exports of s to r                       ``A_sr`` (rows of s, columns of r)
sectbil       exports of sector n of s to r           row (s, n), columns of r
importer      all imports of r                        ``A_tr``, t != r (foreign rows, columns of r)
sectimp       imports of r of sector n                rows (t, n), t != r, columns of r
world         all exports of all countries            every foreign block (``B^o`` = the local inverses)
============  =====================================  ======================================================

With ``A^o`` the coefficients left and ``B^o = (I - A^o)^-1``, the value added of origin country c in a flow
of exporting row j is ``V_c B^o_cj`` per unit (source approach: counted the first time it crosses the unit's
border); the domestic and foreign content ``V_c B_cj`` use the full inverse, so DC and FC are the same in every
perspective. ``B^o`` is never inverted: the removed coefficients have the rank of the unit's rows (or
columns), and the Woodbury identity gives ``B^o`` columns from ``B`` with one small solve per unit:

- rows ``S`` removed towards columns ``R``: ``B^o_{*S} = B_{*S} (I + A_SR B_RS)^-1`` (one row: a division);
- columns ``R`` removed from rows ``T``: ``B^o_{*J} = B_{*J} - B A_TR (I + B_RT A_TR)^-1 B_RJ``.

The exporter perspective is :func:`valuechain.icio.accounting.bm_source` (source) or
:func:`valuechain.icio.accounting.bm_sink` (sink, value added counted the last time it leaves s). The world
perspective is defined for the foreign content only [BBM E.1a]: domestic terms are the exporter perspective's;
source-based FVA is 0 (foreign value added has crossed a border before it enters s's exports) and the
foreign content splits into ``FDC1`` (crossed one border before: ``V_t L_tt A_ts L_ss``, as exvatools'
Miroudot-Ye ``perim = "WLD"``) and ``FDC2`` (more); sink-based FVA is the foreign value added absorbed by the
direct importer, ``V_t B_ts (Y_sr + A_sr L_rr Y_rr)`` (KWW's FVA_FIN + FVA_INT).

Sources: [BBM] Belotti, Borin and Mancini (2021), Stata Journal 21(3), appendices C-F; [BM] Borin and Mancini
(2019), World Bank PRWP 8804; [MY] Miroudot and Ye (2021), "Decomposing value added in gross exports",
Economic Systems Research 33(1) (the same source-based terms by hypothetical extraction); [BMT] Borin, Mancini
and Taglioni (2021), "Measuring exposure to risk in global value chains", World Bank PRWP 9785 (the
tripartite GVC split); [OECD] TiVA indicators (domestic value added in foreign exports).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from valuechain.icio.accounting import Model, _bilateral_frame, _fold, bm_sink, bm_source

PERSPECTIVES = ("exporter", "sectexp", "bilateral", "sectbil", "importer", "sectimp", "world")
# Each perspective with the approaches it is computed in: sink-based accounting only where Borin and Mancini define
# it (the exporter's and the world's totals); source-based everywhere.
PERSPECTIVE_APPROACHES = tuple((p, a) for p in PERSPECTIVES for a in (("source", "sink") if p in ("exporter", "world")
                                                                      else ("source",)))
APPROACHES = ("source", "sink")
#: Columns of :func:`decompose` (world adds FDC1 and FDC2 with the source approach).
TERMS = ("GEXP", "DC", "DVA", "DDC", "FC", "FVA", "FDC")


def _check(perspective: str, approach: str) -> None:
    if perspective not in PERSPECTIVES:
        raise ValueError(f"perspective must be one of {', '.join(PERSPECTIVES)}, not {perspective!r}")
    if approach not in APPROACHES:
        raise ValueError(f"approach must be source or sink, not {approach!r}")
    if approach == "sink" and perspective not in ("exporter", "world"):
        raise ValueError(
            f"approach sink applies to the exporter and world perspectives; the {perspective} perspective "
            "matches its flow, so value added is counted once in it (BBM table 3)"
        )


def va_weights(m: Model, perspective: str) -> np.ndarray:
    """Value added of each origin country per unit of each exporting row's exports to each importer, source
    approach: ``W[c, j, r] = V_c B^o_cj`` with ``B^o`` the inverse of the perspective's unit containing the
    flow (j -> r), shape (G, RN, G) (the module docstring gives the extractions). Entries of flows that do
    not exist (r = country of j) are left at the plain ``V_c B_cj``.
    """
    _check(perspective, "source")
    G = m.G
    VBc, B, A = m.VBc, m.B, m.A
    W = np.repeat(VBc[:, :, None], G, axis=2)
    if perspective in ("exporter", "sectexp"):
        C = m.AfB
        if perspective == "exporter":
            w = np.empty_like(VBc)
            for S in m.rows_of:
                w[:, S] = np.linalg.solve((np.eye(len(S)) + C[np.ix_(S, S)]).T, VBc[:, S].T).T
        else:
            w = VBc / (1.0 + np.diag(C))[None, :]
        W[:] = w[:, :, None]
    elif perspective == "bilateral":
        for s, S in enumerate(m.rows_of):
            for r, R in enumerate(m.rows_of):
                if r != s:
                    K = A[np.ix_(S, R)] @ B[np.ix_(R, S)]
                    W[:, S, r] = np.linalg.solve((np.eye(len(S)) + K).T, VBc[:, S].T).T
    elif perspective == "sectbil":
        d = 1.0 + (A * B.T) @ m.P  # 1 + A_{j,R} B_{R,j} for every row j and importer r
        W = VBc[:, :, None] / d[None, :, :]
    elif perspective == "importer":
        for r, R in enumerate(m.rows_of):
            At = A[:, R].copy()
            At[R] = 0.0  # imports only
            M = np.eye(len(R)) + B[R] @ At
            W[:, :, r] = VBc - (VBc @ At) @ np.linalg.solve(M, B[R])
    elif perspective == "sectimp":
        sector = np.tile(np.arange(m.N), len(m.producers))
        for r, R in enumerate(m.rows_of):
            foreign = m.country_of_row != r
            for n in range(m.N):
                J = np.flatnonzero(foreign & (sector == n))
                AJ = A[np.ix_(J, R)]
                M = np.eye(len(R)) + B[np.ix_(R, J)] @ AJ
                W[:, J, r] = VBc[:, J] - (VBc[:, J] @ AJ) @ np.linalg.solve(M, B[np.ix_(R, J)])
    else:  # world: B^o is block diagonal, V_c B^o_cj = V_s L_ss for c = s(j), 0 otherwise
        W[:] = (m.P.T * m.VL[None, :])[:, :, None]
    return W


def decompose(m: Model, perspective: str = "exporter", approach: str = "source") -> pd.DataFrame:
    """Gross exports of every exporting country-sector to every importer split into domestic and foreign
    content, value added and double counting, as seen from ``perspective`` [BBM appendices C-E].

    Long form ``exporter, sector, importer`` and :data:`TERMS` (world: also ``FDC1``, ``FDC2`` with the source
    approach): ``DC = V_s B_ss E``, ``FC = sum_t V_t B_ts E``, ``DVA``/``FVA`` the same with ``B^o``,
    ``DDC = DC - DVA``, ``FDC = FC - FVA``. Sum the rows of one unit (an exporter for exporter, an exporter
    and a sector for sectexp, a pair for bilateral, an importer for importer...) for its figures.
    """
    _check(perspective, approach)
    if perspective == "exporter":
        df = (bm_source if approach == "source" else bm_sink)(m)
        return df[["exporter", "sector", "importer", *TERMS]]
    E = m.ESR
    DC, FC = E * m.VBd[:, None], E * m.VBf[:, None]
    if perspective == "world":
        dom = decompose(m, "exporter", approach)
        if approach == "source":
            FVA = np.zeros_like(E)
            FDC1 = E * m.bd_left(m.left_Af(m.VL), m.L)[:, None]  # V_t L_tt A_ts L_ss, t != s
            extra = {"FDC1": FDC1, "FDC2": FC - FDC1}
        else:
            last_leg = m.Ym + m.AmLYd  # Y_sr + A_sr L_rr Y_rr
            FVA, extra = last_leg * m.VBf[:, None], {}
        out = _bilateral_frame(m, {"GEXP": E, "DC": DC, "FC": FC, "FVA": FVA, "FDC": FC - FVA, **extra})
        out.insert(5, "DVA", dom["DVA"].to_numpy())
        out.insert(6, "DDC", dom["DDC"].to_numpy())
        return out[["exporter", "sector", "importer", *TERMS, *extra]]
    W = va_weights(m, perspective)
    own = W[m.country_of_row, np.arange(len(m.x)), :]  # V_s B^o_sj per importer
    DVA = E * own
    FVA = E * (W.sum(axis=0) - own)
    return _bilateral_frame(m, {"GEXP": E, "DC": DC, "DVA": DVA, "DDC": DC - DVA, "FC": FC, "FVA": FVA,
                                "FDC": FC - FVA})


def va_by_origin(m: Model, perspective: str = "exporter", exporters: Iterable[str] | None = None) -> pd.DataFrame:
    """Value added in each export flow by country of origin (icio's ``origin()``), source approach.

    Long form ``exporter, sector, importer, origin, content, va``: ``content = V_c B_cj E_jr`` (the origin's
    content; DC for the exporter itself, its share of FC for the others) and ``va = V_c B^o_cj E_jr`` (DVA
    or the origin's FVA under ``perspective``). ``exporters`` limits the flows (the table has G^2 N rows).
    """
    W = va_weights(m, perspective)
    keep = _exporter_rows(m, exporters)
    E = m.ESR
    content = m.VBc[:, :, None] * E[None]
    va = W * E[None]
    frames = []
    for c, origin in enumerate(m.countries):
        f = _bilateral_frame(m, {"content": content[c], "va": va[c]})
        f.insert(3, "origin", origin)
        frames.append(f[f.exporter.isin(keep)])
    return _interleave(frames)


def dva_by_destination(m: Model, exporters: Iterable[str] | None = None) -> pd.DataFrame:
    """Domestic value added in each export flow by country of final absorption (icio's ``destination()``),
    exporter perspective, source approach [BBM C.7].

    ``DVA_sr`` absorbed in k: ``V_s L_ss (Y_sr [k = r] + A_sr (B Y)_rk)``; the rows of a flow add up to its
    DVA, the k = s rows are its reflection (REF). Long form ``exporter, sector, importer, destination, DVA``.
    """
    BY = m.B @ m.Y  # [a, k]: output of row a that ends in final demand of k
    keep = _exporter_rows(m, exporters)
    frames = []
    for k, dest in enumerate(m.countries):
        inter = _fold(m, BY[:, k], per_exporter=False)[:, :, 0]
        final = m.Ym * (np.arange(m.G) == k)[None, :]
        f = _bilateral_frame(m, {"DVA": (inter + final) * m.VL[:, None]})
        f.insert(3, "destination", dest)
        frames.append(f[f.exporter.isin(keep)])
    return _interleave(frames)


def _interleave(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Frames with the same flows in the same order (one per origin or destination) as one frame, the rows of
    each flow together, flows in model order."""
    out = pd.concat(frames, keys=range(len(frames)), names=["_k", "_flow"]).reset_index()
    return out.sort_values(["_flow", "_k"], ignore_index=True).drop(columns=["_k", "_flow"])


def _exporter_rows(m: Model, exporters: Iterable[str] | None) -> list[str]:
    if exporters is None:
        return list(m.countries)
    keep = list(exporters)
    unknown = [c for c in keep if c not in m.countries]
    if unknown:
        raise ValueError(f"unknown exporters {unknown}; known: {', '.join(m.countries)}")
    return keep


def tripartite_gvc(m: Model) -> pd.DataFrame:
    """Borin-Mancini-Taglioni tripartite GVC split of each export flow [BMT; BBM appendix F].

    Each flow splits twice: its content into domestic value added ``V_s L_ss`` (made without imported inputs)
    and the rest (import content, ``DDC + FC`` = GVCB); its use into what the direct importer absorbs,
    ``Y_sr + A_sr L_rr Y_rr``, and what it re-exports. Traditional trade (DAVAX) is domestic x absorbed; the
    GVC part is ``pure_forward`` (domestic x re-exported = GVCF), ``pure_backward`` (imported x absorbed)
    and ``two_sided`` (imported x re-exported); backward + two-sided = GVCB. Long form ``exporter, sector,
    importer, GEXP, DAVAX, GVC, pure_backward, two_sided, pure_forward``.
    """
    E = m.ESR
    absorbed = m.Ym + m.AmLYd
    dom, imp = m.VL[:, None], (m.VB - m.VL)[:, None]
    cols = {
        "GEXP": E,
        "DAVAX": absorbed * dom,
        "GVC": E - absorbed * dom,
        "pure_backward": absorbed * imp,
        "two_sided": (E - absorbed) * imp,
        "pure_forward": (E - absorbed) * dom,
    }
    return _bilateral_frame(m, cols)


def dva_in_foreign_exports(m: Model) -> pd.DataFrame:
    """Value added of each country-sector in other countries' gross exports, ``V_s B_sr E_r*`` summed over
    r != s: the forward GVC measure of the OECD TiVA indicators (exvatools' ``oecd`` GVCF; KWW's VS1).

    With the import content of own exports (FC, backward) it gives the TiVA GVC participation:
    ``GVC = FC + GVCF``. Columns ``country, sector, GEXP, GVCB, GVCF, GVC``.
    """
    GVCF = m.by_country(m.v * m.Bm(m.E))
    GVCB = m.by_country(m.VBf * m.E)
    out = pd.DataFrame({"GEXP": m.by_country(m.E), "GVCB": GVCB, "GVCF": GVCF, "GVC": GVCB + GVCF}, index=m.index)
    return out.reset_index()


def wwz_summary(df: pd.DataFrame) -> pd.DataFrame:
    """The 16 Wang-Wei-Zhu terms (:func:`valuechain.icio.accounting.wwz`) added into the summary measures exvatools
    reports for ``wwz``: ``DVA`` (value added exported, its three re-export routes and the reflection
    ``REF = RDV_*``), ``VAX = DVA - REF``, ``DDC = DDC_FIN + DDC_INT``, ``FVA`` (the foreign value added terms
    ``MVA_* + OVA_*``), ``FDC = MDC + ODC``, ``DC = DVA + DDC``, ``FC = FVA + FDC``."""
    keys = [c for c in ("exporter", "sector", "importer") if c in df.columns]
    ref = df.RDV_INT + df.RDV_FIN + df.RDV_FIN2
    dva = df.DVA_FIN + df.DVA_INT + df.DVA_INTrexI1 + df.DVA_INTrexF + df.DVA_INTrexI2 + ref
    ddc = df.DDC_FIN + df.DDC_INT
    fva = df.MVA_FIN + df.OVA_FIN + df.MVA_INT + df.OVA_INT
    fdc = df.MDC + df.ODC
    return pd.DataFrame({**{k: df[k] for k in keys}, "GEXP": df.GEXP, "DC": dva + ddc, "DVA": dva, "VAX": dva - ref,
                         "REF": ref, "DDC": ddc, "FC": fva + fdc, "FVA": fva, "FDC": fdc})


def exporter_units(m: Model, groups: dict[str, Iterable[str]] | None = None) -> list[tuple[Model, list[str]]]:
    """The exporters a table's measures are reported for: every country of ``m``, then each group of ``groups``
    as one exporter (its own regrouped model, so that trade among its members is not an export), each with the
    model its rows come from."""
    return [(m, list(m.countries))] + [(m.regroup({g: list(c)}), [g]) for g, c in (groups or {}).items()]


def for_every_exporter(units: list[tuple[Model, list[str]]], fn, key: str = "exporter") -> pd.DataFrame:
    """``fn(model)`` for every unit of :func:`exporter_units`, keeping each model's rows of its own exporters
    (``key``: the column naming them)."""
    return pd.concat([df[df[key].isin(ex)] for model, ex in units for df in [fn(model)]], ignore_index=True)
