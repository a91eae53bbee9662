"""Benchmark of the ICIO value-added accounting on a synthetic table of OECD ICIO size.

Builds a random balanced table of G countries x N industries (default 77 x 45 = 3,465 rows, the OECD ICIO 2021
size), then times, in one run:

- block: valuechain.accounting as used by the workflow (one LU of I - A, B reused, batched local inverses,
  block folds): model + KWW + WWZ (16 terms, bilateral-sectoral) + Borin-Mancini source and sink + GVC
  participation + UIBE production decomposition + position;
- naive: the textbook route for the Borin-Mancini source-based foreign value added, one inversion of
  ``I - A^{/s}`` (s's export coefficients set to 0) per exporting country, plus a fresh ``inv(I - A)``;
  measured on ``--naive-countries`` exporters and extrapolated linearly to all G (the per-country inversions
  are identical in cost), and checked against the block result.

Peak memory per phase from tracemalloc (numpy buffers), and the process peak RSS.

    python scripts/bench/bench_icio.py [--countries 77] [--industries 45] [--naive-countries 8]
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np
import pandas as pd

from valuechain import accounting as ac
from valuechain.icio import IcioTable


def synthetic_table(G: int, N: int, seed: int = 0) -> IcioTable:
    """Random balanced ICIO: domestic blocks 10x denser than foreign ones, value added ~ 45 % of output."""
    rng = np.random.default_rng(seed)
    GN = G * N
    Z = rng.gamma(0.3, 1.0, (GN, GN))
    same = np.kron(np.eye(G), np.ones((N, N))).astype(bool)
    Z[same] *= 10 * G / 4
    Yc = rng.gamma(0.5, 1.0, (GN, G))
    Yc[np.kron(np.eye(G), np.ones((N, 1))).astype(bool)] *= 20
    # scale so that intermediate inputs are ~55 % of each column's output
    x = Z.sum(axis=1) + Yc.sum(axis=1)
    Z *= 0.55 * x[None, :] / Z.sum(axis=0)[None, :]
    x = Z.sum(axis=1) + Yc.sum(axis=1)
    countries = [f"C{g:02d}" for g in range(G)]
    idx = pd.MultiIndex.from_product([countries, [f"S{n:02d}" for n in range(N)]], names=["country", "industry"])
    Y = pd.DataFrame(Yc, index=idx, columns=pd.MultiIndex.from_product([countries, ["HFCE"]]))
    xs = pd.Series(x, index=idx)
    return IcioTable(Z=pd.DataFrame(Z, index=idx, columns=idx), Y=Y, va=xs - Z.sum(axis=0), x=xs)


def timed(label: str, fn, results: dict):
    t0 = time.perf_counter()
    out = fn()
    results[label] = time.perf_counter() - t0
    return out


def block(table: IcioTable) -> tuple[dict, float, pd.DataFrame]:
    tracemalloc.start()
    tracemalloc.reset_peak()
    t: dict[str, float] = {}
    m = timed("model (LU, B, local inverses)", lambda: ac.build_model(table), t)
    timed("model (LU, B, local inverses)+", lambda: (m.B, m.L, m.VBc), t)
    t["model (LU, B, local inverses)"] += t.pop("model (LU, B, local inverses)+")
    timed("KWW", lambda: ac.kww(m), t)
    timed("WWZ 16 terms", lambda: ac.wwz(m), t)
    src = timed("BM source", lambda: ac.bm_source(m), t)
    timed("BM sink", lambda: ac.bm_sink(m), t)
    timed("GVC participation", lambda: ac.gvc_participation(m), t)
    timed("UIBE production", lambda: ac.production_decomposition(m), t)
    timed("position & length", lambda: ac.position(m), t)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return t, peak, ac.aggregate(src)


def naive(table: IcioTable, n_countries: int) -> tuple[float, float, float, dict[str, float]]:
    """Per exporter s: B^{/s} = inv(I - A^{/s}); FVA_s = sum_t V_t B^{/s}_ts E_s*. Returns time, peak, B time."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    Z = table.Z.to_numpy()
    x = Z.sum(axis=1) + table.Y.to_numpy().sum(axis=1)
    A = Z / x[None, :]
    v = 1 - A.sum(axis=0)
    GN = len(x)
    countries = list(dict.fromkeys(table.Z.index.get_level_values(0)))
    N = GN // len(countries)
    t0 = time.perf_counter()
    inv_B = np.linalg.inv(np.eye(GN) - A)
    t_b = time.perf_counter() - t0
    del inv_B
    fva = {}
    Yc = table.Y.to_numpy()
    t0 = time.perf_counter()
    for s in range(n_countries):
        rows = slice(s * N, (s + 1) * N)
        As = A.copy()
        keep = As[rows, rows].copy()
        As[rows, :] = 0.0
        As[rows, rows] = keep
        Bs = np.linalg.inv(np.eye(GN) - As)
        Zs = Z[rows].copy()
        Zs[:, rows] = 0.0
        Ys = Yc[rows].copy()
        Ys[:, s] = 0.0
        E = Zs.sum(axis=1) + Ys.sum(axis=1)
        col = Bs[:, rows] @ E
        col[rows] = 0.0
        fva[countries[s]] = float(v @ col)
    t_loop = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return t_b, t_loop, peak, fva


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--countries", type=int, default=77)
    p.add_argument("--industries", type=int, default=45)
    p.add_argument("--naive-countries", type=int, default=8, help="exporters timed by the naive route")
    a = p.parse_args(argv)
    G, N = a.countries, a.industries
    k = min(a.naive_countries, G)
    table = synthetic_table(G, N)
    print(f"synthetic ICIO: {G} countries x {N} industries = {G * N:,} rows; numpy {np.__version__}")
    t, peak_block, totals = block(table)
    t_b, t_loop, peak_naive, fva = naive(table, k)
    per_country = t_loop / k
    print(f"\n{'step':<34}{'block (s)':>12}")
    for label, sec in t.items():
        print(f"{label:<34}{sec:>12.2f}")
    total_block = sum(t.values())
    print(f"{'all measures, all countries':<34}{total_block:>12.2f}")
    print(f"\nBM source FVA for all {G} exporters:")
    print(f"  block (part of 'BM source' above) {t['BM source']:>10.2f} s")
    print(f"  naive: inv(I - A^/s) per exporter {per_country:>10.2f} s each, measured on {k}: {t_loop:.1f} s;"
          f" all {G}: ~{per_country * G:,.0f} s (extrapolated)")
    print(f"  naive: one more inv(I - A)        {t_b:>10.2f} s")
    print(f"  speed-up of the full block run over naive BM-FVA alone: x{(per_country * G + t_b) / total_block:,.0f}")
    got = totals.set_index("exporter").FVA
    err = max(abs(got[c] - fva[c]) / max(1.0, abs(fva[c])) for c in fva)
    print(f"  check: max relative difference block vs naive FVA on {k} exporters = {err:.2e}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak numpy memory (tracemalloc): block {peak_block / 2**20:,.0f} MiB, naive {peak_naive / 2**20:,.0f} MiB;"
          f" process peak RSS {rss:,.0f} MiB")


if __name__ == "__main__":
    main()
