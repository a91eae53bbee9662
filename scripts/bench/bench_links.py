"""Benchmark of the link methods side by side: Backward & Forward, cospec, learned, regional, world and fused,
on the same synthetic worlds, each in a fresh process (wall time and peak memory), plus training the learned
model on WIOD.

    python scripts/bench/bench_links.py [--sizes 1200 5000] [--regions 300]

Targets (2 cores): scoring all 5,000 x 5,000 pairs of an HS6 run on 300 locations in under 60 s and 4 GB per
method; training on WIOD in under a minute. The worlds are bench_bf.py's (heavy-tailed exports, imports =
noise + planted input demand, 3 inputs per product), so precision@3 against the planted inputs is printed too.
Products are real HS codes (the first HS4 headings, or HS6 subheadings from 5,000 products on), so that world and
fused read the real world evidence (the data under resources/, else the data mirror, and the world weights of the
last run, results/shared/world-*/weights.json); their time includes reading it.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import pickle
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
# WIOD 2013 as the workflow retrieves it, else straight from the data mirror
WIOD = next((d for d in (ROOT / "resources/wiod2013", ROOT.parent / "shared/data/wiod2013") if d.is_dir()),
            ROOT / "resources/wiod2013")
DATA = next((d for d in (ROOT / "resources", ROOT.parent / "shared/data") if (d / "world2017").is_dir()),
            ROOT / "resources")
METHODS = ("bf", "cospec", "learned", "regional", "world", "fused")


def hs_codes(n: int) -> np.ndarray:
    """``n`` real HS codes: HS4 headings when there are enough, else HS6 subheadings (sorted)."""
    import pandas as pd

    hs = pd.read_csv(DATA / "hs/harmonized-system.csv", dtype=str)
    for level in ("4", "6"):
        codes = hs.loc[hs["level"] == level, "hscode"].sort_values().to_numpy()
        if len(codes) >= n:
            return np.sort(codes[np.linspace(0, len(codes) - 1, n).astype(int)])
    raise ValueError(f"fewer than {n} HS6 codes")


def world(n_products: int, n_regions: int, seed: int = 0):
    """RCA matrices and the planted labels ``L[q, p]``."""
    from valuechain.trade.rca import balassa_rca

    rng = np.random.default_rng(seed)
    exports = rng.lognormal(0, 1.6, (n_regions, n_products))
    inputs = rng.integers(0, n_products, 3 * n_products)
    outputs = np.repeat(np.arange(n_products), 3)
    A = np.zeros((n_products, n_products))
    A[inputs, outputs] = 1 / 3
    imports = rng.lognormal(0, 0.8, (n_regions, n_products)) + 0.6 * exports @ A.T
    return balassa_rca(exports), balassa_rca(imports), A > 0


def _run(method: str, n_products: int, n_regions: int, model_path: str, queue) -> None:
    import pandas as pd

    from valuechain.links import cospec
    from valuechain.links.bf import Thresholds, backward_forward

    E, I, L = world(n_products, n_regions)
    products = hs_codes(n_products)
    t0 = time.perf_counter()
    if method == "bf":
        idx = pd.RangeIndex(n_regions)
        cand = backward_forward(pd.DataFrame(E, idx, products), pd.DataFrame(I, idx, products),
                                Thresholds(1.0, 1.5, 1.5, 3.5), 240)
        top = cand[cand["rank"] <= 3]
    else:
        from valuechain.links.methods import default_config, load_world, method_score

        options = {}
        if method == "learned":
            with open(model_path, "rb") as fh:
                options["model"] = {"model": pickle.load(fh), "kind": "logistic"}
        if method in ("world", "fused"):
            cfg = default_config()
            weights = max((ROOT / "results/shared").glob("world-*/weights.json"), key=lambda p: p.stat().st_mtime)
            options["world"], options["weights"] = load_world(products, DATA, weights, cfg["world"],
                                                              cfg["data"]["wiod2016_niot"]["countries"])
        S, conf, _ = method_score(method, E, I, products, **options)
        del options
        top = cospec.top_links(S, products, 3, confidence=conf)
    at = {code: i for i, code in enumerate(products)}
    pairs = (top["input"].map(at).to_numpy(), top["output"].map(at).to_numpy())
    seconds = time.perf_counter() - t0
    precision = float(L[pairs].mean())
    queue.put((seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, precision))


def run(method: str, n_products: int, n_regions: int, model_path: str):
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_run, args=(method, n_products, n_regions, model_path, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def train(path: str) -> float:
    """Train the learned model on WIOD 2009-2011 as the workflow does (features, both years summed, fit)."""
    from valuechain.links import learned, yardstick

    t0 = time.perf_counter()
    tables = [str(WIOD / f"wiot_{y}.parquet") for y in (2009, 2010, 2011)]
    table = yardstick.prepare_tables(tables, "wiod", {}, ["RoW"], ["c35"])
    E, I, _, industries = yardstick.rca_arrays(yardstick.specialisation(table.Z))
    L = yardstick.label_matrix(yardstick.trade_intensity_labels(table.Z), industries)
    model = learned.fit("logistic", learned.pair_features(E, I), L, seed=0)
    seconds = time.perf_counter() - t0
    with open(path, "wb") as fh:
        pickle.dump(model, fh)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1200, 5000])
    parser.add_argument("--regions", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model_path = str(Path(tmp) / "model.pkl")
        print(f"training the learned model on WIOD 2009-2011 (features + fit): {train(model_path):.1f} s\n")
        print(f"{'products':>8} {'regions':>7}  {'method':<8} {'wall s':>7} {'peak MB':>8} {'precision@3':>11} "
              f"{'time vs bf':>10}")
        for n in args.sizes:
            base = None
            for method in METHODS:
                seconds, mb, precision = run(method, n, args.regions, model_path)
                base = base or seconds
                print(f"{n:>8} {args.regions:>7}  {method:<8} {seconds:>7.2f} {mb:>8.0f} {precision:>11.3f} "
                      f"{seconds / base:>9.1f}x")


if __name__ == "__main__":
    main()
