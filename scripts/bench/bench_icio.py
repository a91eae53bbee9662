"""Benchmark of the ICIO value-added accounting on a synthetic table of OECD ICIO size.

Builds a random balanced table of G countries x N industries plus split parts (default 77 x 45 and 4 parts of
two countries, 81 producers x 45 = 3,645 rows, the OECD ICIO 2021 layout with CN1/CN2/MX1/MX2), then times, in
one run:

- block: valuechain.icio.accounting as used by the workflow (one LU of I - A, B reused, batched local inverses,
  block folds): model + KWW + WWZ (16 terms, bilateral-sectoral) + Borin-Mancini source and sink + GVC
  participation + UIBE production decomposition + position + UIBE lengths + every Borin-Mancini perspective
  (7 source, 2 sink) + tripartite GVC + TiVA GVC;
- naive: the textbook route for the Borin-Mancini source-based foreign value added, one inversion of
  ``I - A^{/s}`` (s's export coefficients set to 0) per exporting country, plus a fresh ``inv(I - A)``;
  measured on ``--naive-countries`` exporters and extrapolated linearly to all G (the per-country inversions
  are identical in cost), and checked against the block result.

Peak memory per phase from tracemalloc (numpy buffers), and the process peak RSS.

    python scripts/bench/bench_icio.py [--countries 77] [--industries 45] [--split-parts 4] [--naive-countries 8]
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np
import pandas as pd

from valuechain.icio import accounting as ac
from valuechain.icio import perspectives as pv
from valuechain.icio.tables import IcioTable


def synthetic_table(G: int, N: int, parts: int = 0, seed: int = 0) -> tuple[IcioTable, dict[str, str]]:
    """Random balanced ICIO: domestic blocks 10x denser than foreign ones, value added ~ 45 % of output; the
    ``parts`` extra producers ``P1, P2, ...`` are parts of countries C00, C01, ... (two each), with final
    demand by country only, as OECD's CN1/CN2. Returns the table and the split map."""
    rng = np.random.default_rng(seed)
    split = {f"P{k + 1}": f"C{k // 2:02d}" for k in range(parts)}
    countries = [f"C{g:02d}" for g in range(G)]
    producers = countries + list(split)
    home = np.array([countries.index(split.get(p, p)) for p in producers])
    R = len(producers)
    GN = R * N
    Z = rng.gamma(0.3, 1.0, (GN, GN))
    same = np.kron(home[:, None] == home[None, :], np.ones((N, N))).astype(bool)
    Z[same] *= 10 * G / 4
    Yc = rng.gamma(0.5, 1.0, (GN, G))
    Yc[np.repeat(home, N)[:, None] == np.arange(G)[None, :]] *= 20
    # scale so that intermediate inputs are ~55 % of each column's output
    x = Z.sum(axis=1) + Yc.sum(axis=1)
    Z *= 0.55 * x[None, :] / Z.sum(axis=0)[None, :]
    x = Z.sum(axis=1) + Yc.sum(axis=1)
    idx = pd.MultiIndex.from_product([producers, [f"S{n:02d}" for n in range(N)]], names=["country", "industry"])
    Y = pd.DataFrame(Yc, index=idx, columns=pd.MultiIndex.from_product([countries, ["HFCE"]]))
    xs = pd.Series(x, index=idx)
    return IcioTable(Z=pd.DataFrame(Z, index=idx, columns=idx), Y=Y, va=xs - Z.sum(axis=0), x=xs), split


def timed(label: str, fn, results: dict):
    t0 = time.perf_counter()
    out = fn()
    results[label] = time.perf_counter() - t0
    return out


def block(table: IcioTable, split: dict[str, str]) -> tuple[dict, float, pd.DataFrame, ac.Model]:
    tracemalloc.start()
    tracemalloc.reset_peak()
    t: dict[str, float] = {}
    m = timed("model (LU, B, local inverses)", lambda: ac.build_model(table, split_countries=split), t)
    timed("model (LU, B, local inverses)+", lambda: (m.B, m.L, m.VBc), t)
    t["model (LU, B, local inverses)"] += t.pop("model (LU, B, local inverses)+")
    timed("KWW", lambda: ac.kww(m), t)
    timed("WWZ 16 terms", lambda: ac.wwz(m), t)
    src = timed("BM source", lambda: ac.bm_source(m), t)
    timed("BM sink", lambda: ac.bm_sink(m), t)
    timed("GVC participation", lambda: ac.gvc_participation(m), t)
    timed("UIBE production", lambda: ac.production_decomposition(m), t)
    timed("position", lambda: ac.position(m), t)
    timed("UIBE length decomposition", lambda: ac.production_length(m), t)
    for p in pv.PERSPECTIVES:
        for approach in ("source", "sink") if p in ("exporter", "world") else ("source",):
            timed(f"BM {p} {approach}", lambda p=p, approach=approach: pv.decompose(m, p, approach), t)
    timed("tripartite GVC", lambda: pv.tripartite_gvc(m), t)
    timed("TiVA GVC", lambda: pv.dva_in_foreign_exports(m), t)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return t, peak, ac.aggregate(src), m


def naive(m: ac.Model, n_units: int) -> tuple[float, float, float, float, dict[str, float], dict]:
    """The textbook routes, by explicit inversion: ``inv(I - A)``; per exporter s, ``B^{/s} = inv(I - A^{/s})``
    and ``FVA_s = sum_t V_t B^{/s}_ts E_s*``; per exporter-importer pair, ``inv(I - A^{/sr})`` and the bilateral
    perspective's DVA. Returns the time of B, per exporter, per pair, the peak, the FVAs and the pair DVAs."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    A, v, RN = m.A, m.v, len(m.x)
    t0 = time.perf_counter()
    inv_B = np.linalg.inv(np.eye(RN) - A)
    t_b = time.perf_counter() - t0
    del inv_B
    fva, dva = {}, {}
    t0 = time.perf_counter()
    for s in range(n_units):
        S = m.rows_of[s]
        foreign = np.flatnonzero(m.country_of_row != s)
        As = A.copy()
        As[np.ix_(S, foreign)] = 0.0
        Bs = np.linalg.inv(np.eye(RN) - As)
        col = Bs[:, S] @ m.E[S]
        col[S] = 0.0
        fva[m.countries[s]] = float(v @ col)
    t_exp = (time.perf_counter() - t0) / n_units
    t0 = time.perf_counter()
    for k in range(n_units):
        s, r = k % m.G, (k + 1) % m.G
        S, R = m.rows_of[s], m.rows_of[r]
        As = A.copy()
        As[np.ix_(S, R)] = 0.0
        Bs = np.linalg.inv(np.eye(RN) - As)
        dva[(m.countries[s], m.countries[r])] = float((v[S] @ Bs[np.ix_(S, S)]) @ m.ESR[S, r])
    t_pair = (time.perf_counter() - t0) / n_units
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return t_b, t_exp, t_pair, peak, fva, dva


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--countries", type=int, default=77)
    p.add_argument("--industries", type=int, default=45)
    p.add_argument("--naive-countries", type=int, default=8, help="exporters timed by the naive route")
    p.add_argument("--split-parts", type=int, default=4, help="extra producers that are parts of countries")
    a = p.parse_args(argv)
    G, N = a.countries, a.industries
    k = min(a.naive_countries, G)
    table, split = synthetic_table(G, N, a.split_parts)
    print(f"synthetic ICIO: {G} countries ({G + a.split_parts} producers) x {N} industries = {len(table.x):,} rows;"
          f" numpy {np.__version__}")
    t, peak_block, totals, m = block(table, split)
    t_b, t_exp, t_pair, peak_naive, fva, dva = naive(m, k)
    print(f"\n{'step':<34}{'block (s)':>12}")
    for label, sec in t.items():
        print(f"{label:<34}{sec:>12.2f}")
    total_block = sum(t.values())
    print(f"{'all measures, all countries':<34}{total_block:>12.2f}")
    pairs = G * (G - 1)
    print(f"\n{'route':<46}{'block (s)':>10}{'naive (s)':>12}{'ratio':>8}")
    print(f"{'Leontief inverse':<46}{t['model (LU, B, local inverses)']:>10.2f}{t_b:>12.2f}")
    print(f"{f'BM source FVA, all {G} exporters':<46}{t['BM source']:>10.2f}{t_exp * G:>12.0f}"
          f"{t_exp * G / t['BM source']:>8.0f}x   naive: {t_exp:.2f} s per exporter, measured on {k}")
    print(f"{f'bilateral perspective, all {pairs:,} pairs':<46}{t['BM bilateral source']:>10.2f}{t_pair * pairs:>12.0f}"
          f"{t_pair * pairs / t['BM bilateral source']:>8.0f}x   naive: {t_pair:.2f} s per pair, measured on {k}")
    got = totals.set_index("exporter").FVA
    err = max(abs(got[c] - fva[c]) / max(1.0, abs(fva[c])) for c in fva)
    bil = pv.decompose(m, "bilateral").groupby(["exporter", "importer"]).DVA.sum()
    err2 = max(abs(bil[key] - val) / max(1.0, abs(val)) for key, val in dva.items())
    print(f"check: max relative difference block vs naive: exporter FVA {err:.1e}, bilateral DVA {err2:.1e}"
          f" ({k} units each)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak numpy memory (tracemalloc): block {peak_block / 2**20:,.0f} MiB, naive {peak_naive / 2**20:,.0f} MiB;"
          f" process peak RSS {rss:,.0f} MiB")


if __name__ == "__main__":
    main()
