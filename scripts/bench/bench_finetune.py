"""Benchmark the threshold grid search on the WIOD 2009-2011 tables, naive loops vs the batched grid.

Three ways to score all 10,000 combinations of t1..t4 in 1, 1.5, ..., 5.5 (top-3 links per output industry):

1. notebook-style: one :func:`valuechain.links.naive.naive_backward_forward` call (pandas pivots per output and
   candidate) per combination; a few combinations are timed and the time extrapolated to 10,000;
2. per-combination loop: counts recomputed with ``cooccurrence_counts`` and one ``rank_candidates`` call per
   combination; a random sample is timed and extrapolated;
3. batched: :func:`valuechain.links.finetune.grid_search` on all 10,000 (counts once per threshold pair, keys broadcast,
   one partial sort per chunk), timed whole.

The sampled combinations of (2) are checked against (3). Run: ``python scripts/bench/bench_finetune.py``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from valuechain.icio.tables import DEFAULT_ROW_COUNTRIES, DEFAULT_SPLIT_COUNTRIES
from valuechain.links import finetune, yardstick
from valuechain.links.bf import Thresholds, cooccurrence_counts, rank_candidates
from valuechain.links.naive import naive_backward_forward

ROOT = Path(__file__).resolve().parents[2]
# WIOD 2013 as the workflow retrieves it, else straight from the data mirror
WIOD = next((d for d in (ROOT / "resources/wiod2013", ROOT.parent / "shared/data/wiod2013") if d.is_dir()),
            ROOT / "resources/wiod2013")


def loop_one(E, I, L, t, k, n_candidates):
    """Per-combination reference: counts, rank_candidates, top-k, scored."""
    r = rank_candidates(cooccurrence_counts(E, I, t[0], t[1]), cooccurrence_counts(I, E, t[2], t[3]), n_candidates)
    top = r["rank"] <= k
    return int(top.sum()), int(L[r["input"][top], r["output"][top]].sum())


def notebook_one(long_rca, L_by_code, E, I, codes, t, k, n_candidates):
    """Notebook-style B&F (pandas pivots per output and candidate) for one combination, scored.

    The naive reference keeps candidates of an output whose exporters (E > t1) import nothing above t2 (a zero
    ``Cb`` row), which ``rank_candidates`` drops as "no backward evidence"; such outputs are left out here so
    that both score the same links.
    """
    cand = naive_backward_forward(long_rca, Thresholds(*t), n_candidates)
    evidence = np.asarray(codes)[cooccurrence_counts(E, I, t[0], t[1]).any(axis=1)]
    top = cand[(cand["rank"] <= k) & cand["output"].isin(evidence)]
    return len(top), int(sum(L_by_code[(i, o)] for i, o in zip(top["input"], top["output"])))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--years", type=int, nargs="+", default=[2009, 2010, 2011])
    ap.add_argument("--sample", type=int, default=300, help="combinations timed in the per-combination loop")
    ap.add_argument("--notebook-sample", type=int, default=3, help="combinations timed notebook-style")
    ap.add_argument("--repeat", type=int, default=3, help="runs of the batched grid")
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--n-candidates", type=int, default=240)
    args = ap.parse_args()

    start = time.perf_counter()
    table = yardstick.prepare_tables(
        [str(WIOD / f"wiot_{y}.parquet") for y in args.years], "wiod", DEFAULT_SPLIT_COUNTRIES,
        DEFAULT_ROW_COUNTRIES, ["c35"],
    )
    spec = yardstick.specialisation(table.Z)
    labels = yardstick.trade_intensity_labels(table.Z)
    E, I, countries, industries = yardstick.rca_arrays(spec)
    L = yardstick.label_matrix(labels, industries)
    t_prepare = time.perf_counter() - start
    combos = finetune.threshold_combinations()
    n_combos = len(combos)
    print(f"WIOD {args.years}: {len(countries)} countries x {len(industries)} industries; {n_combos} combinations; "
          f"top-{args.k}, n_candidates {args.n_candidates}; read + clean + specialisation + labels {t_prepare:.2f} s")

    # (3) batched grid
    runs = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        counts = finetune.grid_search(E, I, L, k=args.k, n_candidates=args.n_candidates)
        runs.append(time.perf_counter() - start)
    t_batched = statistics.median(runs)

    # (2) per-combination loop on a sample, checked against the batched grid
    rng = np.random.default_rng(0)
    sample = rng.choice(n_combos, size=min(args.sample, n_combos), replace=False)
    start = time.perf_counter()
    looped = [loop_one(E, I, L, combos[c], args.k, args.n_candidates) for c in sample]
    t_loop = (time.perf_counter() - start) / len(sample)
    batched = list(zip(counts.n_predicted[sample].sum(axis=1), counts.n_true[sample].sum(axis=1)))
    if looped != [(int(a), int(b)) for a, b in batched]:
        raise AssertionError("batched grid and per-combination loop disagree")

    # (1) notebook-style on a smaller sample (industries renamed to sortable codes, as it requires)
    codes = [f"{j:02d}" for j in range(len(industries))]
    long_rca = spec.assign(location=spec["country"], hs=spec["industry"].map(dict(zip(industries, codes))))
    L_by_code = {(codes[i], codes[j]): bool(L[i, j]) for i in range(len(codes)) for j in range(len(codes))}
    nb_sample = sample[: args.notebook_sample]
    start = time.perf_counter()
    for c in nb_sample:
        got = notebook_one(long_rca, L_by_code, E, I, codes, combos[c], args.k, args.n_candidates)
        if got != looped[list(sample).index(c)]:
            raise AssertionError("notebook-style B&F and the per-combination loop disagree")
    t_notebook = (time.perf_counter() - start) / max(len(nb_sample), 1)

    rows = [
        ("notebook-style (pandas pivots), per combination", len(nb_sample), t_notebook, t_notebook * n_combos, True),
        ("rank_candidates loop, counts recomputed", len(sample), t_loop, t_loop * n_combos, True),
        (f"batched grid (median of {args.repeat} runs)", n_combos, t_batched / n_combos, t_batched, False),
    ]
    df = pd.DataFrame(rows, columns=["method", "combinations timed", "s per combination", "s for 10,000",
                                     "extrapolated"])
    pd.set_option("display.width", 200)
    print(df.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print(f"batched grid: {t_batched:.3f} s ({', '.join(f'{r:.3f}' for r in runs)}); "
          f"speed-up {t_loop * n_combos / t_batched:.0f}x over the rank_candidates loop and "
          f"{t_notebook * n_combos / t_batched:.0f}x over the notebook style (both extrapolated from samples)")
    best = finetune.best_combination(finetune.grid_table(counts), len(industries))
    print(f"best with links for every output: {best[['t1', 't2', 't3', 't4']].tolist()} precision "
          f"{best['precision']:.4f} ({int(best['n_true'])}/{int(best['n_predicted'])}); base rate "
          f"{yardstick.base_rate(L):.4f}")


if __name__ == "__main__":
    main()
