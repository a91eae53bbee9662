"""Benchmark of Backward & Forward: the naive per-product loop (valuechain.links.naive, as the paper's notebook
works) against the matrix version (valuechain.links.bf), side by side in one run.

    python scripts/bench/bench_bf.py [--naive-products 2]

Prints seconds per product for both on the same HS4-scale world (1,200 products x 300 regions), then the
full-set wall time and peak memory (max RSS of a fresh process) at HS4 and HS6 (5,000 x 300) scale.
Targets on a 2-core machine: HS4 under 5 s, HS6 under 2 min and 8 GB, >= 500x faster than the naive loop.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time

import numpy as np
import pandas as pd

from valuechain.links.bf import Thresholds, backward_forward
from valuechain.links.naive import naive_backward_forward
from valuechain.trade.rca import balassa_rca

THRESHOLDS = Thresholds(2.0, 1.5, 3.5, 2.0)


def synthetic_rca(n_products: int, n_regions: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Heavy-tailed exports, imports = noise + planted input demand (3 inputs per product), as RCA."""
    rng = np.random.default_rng(seed)
    exports = rng.lognormal(0, 1.6, (n_regions, n_products))
    A = np.zeros((n_products, n_products))
    A[rng.integers(0, n_products, 3 * n_products), np.repeat(np.arange(n_products), 3)] = 1 / 3
    imports = rng.lognormal(0, 0.8, (n_regions, n_products)) + 0.6 * exports @ A.T
    idx = pd.MultiIndex.from_arrays([["X"] * n_regions, [f"r{i:03d}" for i in range(n_regions)]],
                                    names=["country", "region"])
    cols = [f"{i:06d}" for i in range(n_products)]
    return (pd.DataFrame(balassa_rca(exports), index=idx, columns=cols),
            pd.DataFrame(balassa_rca(imports), index=idx, columns=cols))


def _full_run(n_products: int, n_regions: int, queue) -> None:
    exp, imp = synthetic_rca(n_products, n_regions)
    t0 = time.perf_counter()
    candidates = backward_forward(exp, imp, THRESHOLDS, 240)
    seconds = time.perf_counter() - t0
    queue.put((seconds, len(candidates), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def full_run(n_products: int, n_regions: int) -> tuple[float, int, float]:
    """Wall time of the whole set, candidates, and peak RSS (MB) of a fresh process."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_full_run, args=(n_products, n_regions, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--naive-products", type=int, default=2, help="output products timed with the naive loop")
    args = parser.parse_args()

    exp, imp = synthetic_rca(1200, 300)
    long = pd.DataFrame({
        "location": np.repeat(exp.index.get_level_values("region"), exp.shape[1]),
        "hs": np.tile(exp.columns, exp.shape[0]),
        "rca_export": exp.to_numpy().ravel(),
        "rca_import": imp.to_numpy().ravel(),
    })
    # The naive loop on the first few output products only (it needs seconds per product).
    subset = exp.columns[: args.naive_products]
    keep_outputs = long["hs"].isin(exp.columns)  # all products stay candidates
    t0 = time.perf_counter()
    naive = _naive_outputs(long[keep_outputs], subset)
    naive_per_product = (time.perf_counter() - t0) / len(subset)
    t0 = time.perf_counter()
    fast = backward_forward(exp, imp, THRESHOLDS, 240)
    fast_seconds = time.perf_counter() - t0
    fast_per_product = fast_seconds / exp.shape[1]
    same = fast[fast["output"].isin(subset)].reset_index(drop=True)
    identical = same.equals(naive.reset_index(drop=True).astype(same.dtypes.to_dict()))

    print("Backward & Forward, HS4 scale world (1,200 products x 300 regions), thresholds 2, 1.5, 3.5, 2")
    print(f"{'':28s}{'naive loop':>14s}{'matrix':>14s}{'ratio':>10s}")
    print(f"{'seconds per output product':28s}{naive_per_product:14.4f}{fast_per_product:14.6f}"
          f"{naive_per_product / fast_per_product:10.0f}x")
    print(f"(naive timed on {len(subset)} products; candidates identical: {identical})\n")

    print(f"{'scale':22s}{'products':>10s}{'regions':>9s}{'wall s':>9s}{'peak MB':>9s}{'candidates':>12s}")
    for label, n_p in (("HS4", 1200), ("HS6", 5000)):
        seconds, n_cand, rss = full_run(n_p, 300)
        print(f"{label:22s}{n_p:10d}{300:9d}{seconds:9.2f}{rss:9.0f}{n_cand:12d}")


def _naive_outputs(long: pd.DataFrame, outputs) -> pd.DataFrame:
    """The naive loop restricted to some output products (every product remains a candidate input)."""
    result = naive_backward_forward(long, THRESHOLDS, 240, outputs=list(outputs))
    return result


if __name__ == "__main__":
    main()
