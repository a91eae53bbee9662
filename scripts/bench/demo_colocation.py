"""Export co-location in the demo world against the real world: the statistics that decide method choice, side by
side in one run (docs/method.md section 2, "The demo world's co-location").

    python scripts/bench/demo_colocation.py [--strengths 0 0.1 0.18 0.25] [--seeds 2017] [--reference PATH]

Co-location (valuechain.links.evidence.colocation) is the Spearman correlation across locations of two products'
export RCA. Rows:

- ``real, reference``: the 2017 exports of 224 countries x HS4 (countries are the locations), every scorable
  product (mapped to the reference network) with exports; true links are the reference's (share >= 0.01);
  ``real, reference cross-commodity`` the same without the own-commodity cells of the Use table;
- ``real, planted``: the same countries, the demo world's products and its planted truth (the same pairs the
  demo world is scored on; the truth does not depend on the strength);
- ``demo c=...``: the demo world at each ``demo.colocation`` strength (the default config otherwise; 0 is the
  world before co-location was planted): cleaned as the workflow does, export RCA of the trade summed over years
  and partners, the regions as locations, the planted truth as labels.

Columns: mean and quartiles of co-location over true links and over the other (ordered, off-diagonal) pairs, the
AUC of co-location separating them, the separation (mean difference over the others' standard deviation),
precision@3 (each output's 3 inputs of highest co-location, over the outputs with a true input) and what 3
random inputs would give. A second table compares how co-location falls with the distance in the planted graph
(AUC against pairs at distance >= 4; pairs linked in the reference left out on both sides). Last, the strength
whose AUC (mean over the seeds) matches the real world's on the planted truth, interpolated.

The reference is a run's ``results/shared/reference-*/product_io.parquet`` (``snakemake --cores 2 --until
generate_demo_world`` makes it); data files come from ``resources/`` or else the data mirror ``../shared/data``.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.sparse.csgraph import shortest_path
from scipy.stats import rankdata

from valuechain.links.evidence import colocation
from valuechain.trade import clean, demo, rca

ROOT = Path(__file__).resolve().parents[2]
K = 3


def data_file(folder: str, name: str) -> Path:
    """``resources/<folder>/<name>`` as a run retrieved it, else the data mirror's copy."""
    for base in (ROOT / "resources", ROOT.parent / "shared/data"):
        if (base / folder / name).is_file():
            return base / folder / name
    raise FileNotFoundError(f"{folder}/{name} neither in resources/ nor in ../shared/data")


def reference_file(path: str | None) -> Path:
    if path:
        return Path(path)
    found = sorted((ROOT / "results/shared").glob("reference-*/product_io.parquet"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise SystemExit("no results/shared/reference-*/product_io.parquet: run `snakemake --cores 2 --until "
                         "generate_demo_world` first, or give --reference")
    return found[-1]


def label_matrix(links: pd.DataFrame, products: pd.Index) -> np.ndarray:
    """``L[q, p]``: ``q -> p`` is among ``links`` (``output, input``), both in ``products``."""
    links = links[links["output"].isin(products) & links["input"].isin(products)]
    L = np.zeros((len(products), len(products)), dtype=bool)
    L[products.get_indexer(links["input"]), products.get_indexer(links["output"])] = True
    return L


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Probability that a positive scores above a negative (ties half): Mann-Whitney on average ranks."""
    ranks = rankdata(np.concatenate([pos, neg]))
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def statistics(E: np.ndarray, L: np.ndarray) -> tuple[dict[str, float], np.ndarray]:
    """The table's columns for export RCA ``E`` (locations x products) and labels ``L``; and the co-location."""
    C = colocation(E)
    n = len(C)
    off = ~np.eye(n, dtype=bool)
    true, other = C[off & L], C[off & ~L]
    q_true, q_other = np.percentile(true, [25, 50, 75]), np.percentile(other, [25, 50, 75])
    scored = L.any(axis=0)  # outputs with a true input
    top = np.argsort(-np.where(off, C, -np.inf), axis=0, kind="stable")[:K, scored]
    hits = np.take_along_axis(L[:, scored], top, axis=0)
    return {
        "locations": E.shape[0], "products": n, "true_links": int(len(true)),
        "true_mean": true.mean(), "true_q1": q_true[0], "true_median": q_true[1], "true_q3": q_true[2],
        "other_mean": other.mean(), "other_q1": q_other[0], "other_median": q_other[1], "other_q3": q_other[2],
        "auc": auc(true, other), "separation": (true.mean() - other.mean()) / other.std(),
        f"precision_at_{K}": hits.mean(), "random": float((L[:, scored].sum(axis=0) / (n - 1)).mean()),
    }, C


def decay(C: np.ndarray, planted: np.ndarray, linked: np.ndarray) -> dict[str, float]:
    """AUC of co-location at distance 1, 2, 3 of the planted graph (undirected) against distance >= 4; pairs at
    distance >= 2 that the reference links (``linked``, either way) are left out."""
    D = shortest_path((planted | planted.T).astype(float), unweighted=True)
    off = ~np.eye(len(C), dtype=bool)
    free = off & ~(linked | linked.T)
    far = C[free & (D >= 4)]
    out = {"d1": auc(C[off & (D == 1)], far)}
    out.update({f"d{d}": auc(C[free & (D == d)], far) for d in (2, 3)})
    return out


def demo_world(world, names, reference, settings, cfg_clean):
    """Generate and clean a demo world: ``(export RCA, products, truth, export and import density, seconds)``."""
    t0 = time.perf_counter()
    trade, truth, products = demo.generate(world, names, reference, settings)
    trade = pd.concat(list(trade), ignore_index=True)
    seconds = time.perf_counter() - t0
    cleaned, _, _ = clean.clean_trade(trade, cfg_clean["drop_regions"], cfg_clean["min_region_trade"],
                                      cfg_clean["years"], 4)
    exp, imp = rca.trade_matrices(cleaned)
    hs = pd.Index(products["hs"])
    exp = exp.reindex(columns=hs, fill_value=0.0)
    density = ((exp > 0).to_numpy().mean(), (imp > 0).to_numpy().mean())
    return rca.balassa_rca(exp.to_numpy()), hs, truth, density, seconds


def fmt(x, digits=3):
    return f"{x:,}" if isinstance(x, (int, np.integer)) else f"{x:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strengths", type=float, nargs="+", default=[0.0, 0.1, 0.18, 0.25])
    parser.add_argument("--seeds", type=int, nargs="+", default=None, help="demo seeds (default: the config's)")
    parser.add_argument("--reference", default=None, help="product_io.parquet of a run")
    parser.add_argument("--min-share", type=float, default=0.01,
                        help="cross-commodity links: share_cross at least this (the run's reference.min_share)")
    args = parser.parse_args()

    cfg = yaml.safe_load((ROOT / "config/config.default.yaml").read_text())
    ref_path = reference_file(args.reference)
    print(f"reference: {ref_path.relative_to(ROOT) if ref_path.is_relative_to(ROOT) else ref_path}")
    ref = pd.read_parquet(ref_path)
    world = pd.read_parquet(data_file("world2017", "exports_country_hs4_2017.parquet"))
    names = demo.demo_names(pd.read_csv(data_file("hs", "hs92_atlas_names.csv"), dtype=str),
                            pd.read_csv(data_file("hs", "harmonized-system.csv"), dtype=str), 4)
    base = demo.DemoSettings.from_config(cfg["demo"])
    seeds = args.seeds or [base.seed]

    # Real: countries x HS4 export RCA over all products, then the columns asked for.
    X = world.pivot_table(index="country", columns="hs4", values="value", aggfunc="sum", fill_value=0.0)
    real_rca = pd.DataFrame(rca.balassa_rca(X.to_numpy()), index=X.index, columns=X.columns)
    true_ref = ref[ref["label"]]
    scorable = pd.Index(pd.unique(pd.concat([ref["output"], ref["input"]]))).intersection(X.columns).sort_values()

    rows, decays = [], []
    stats, _ = statistics(real_rca[scorable].to_numpy(), label_matrix(true_ref, scorable))
    rows.append({"world": "real, reference", "seed": "-", **stats})
    if "share_cross" in ref.columns:  # the reference without its own-commodity cells (docs/reference.md)
        cross = ref[ref["share_cross"] >= args.min_share]
        stats, _ = statistics(real_rca[scorable].to_numpy(), label_matrix(cross, scorable))
        rows.append({"world": "real, reference cross-commodity", "seed": "-", **stats})
    for seed in seeds:
        for strength in args.strengths:
            settings = replace(base, seed=seed, colocation=strength)
            E, hs, truth, density, seconds = demo_world(world, names, ref[["output", "input", "share"]], settings,
                                                        cfg["clean"])
            planted, linked = label_matrix(truth, hs), label_matrix(true_ref, hs)
            if strength == args.strengths[0]:  # the truth does not depend on the strength: one real row per seed
                stats, C = statistics(real_rca.reindex(columns=hs, fill_value=0.0).to_numpy(), planted)
                rows.append({"world": "real, planted", "seed": str(seed), **stats})
                decays.append({"world": "real, planted", "seed": str(seed), **decay(C, planted, linked)})
            stats, C = statistics(E, planted)
            rows.append({"world": f"demo c={strength:g}", "seed": str(seed), **stats, "export_density": density[0],
                         "import_density": density[1], "generate_s": seconds})
            decays.append({"world": f"demo c={strength:g}", "seed": str(seed), **decay(C, planted, linked)})
            print(f"seed {seed} colocation {strength:g}: generated in {seconds:.1f} s", flush=True)
    table = pd.DataFrame(rows)

    print("\nCo-location of true links and of the other pairs (Spearman of export RCA across locations)\n")
    cols = ["world", "seed", "locations", "products", "true_links", "true_mean", "true_q1", "true_median",
            "true_q3", "other_mean", "other_q1", "other_median", "other_q3", "auc", "separation",
            f"precision_at_{K}", "random"]
    print(markdown(table[cols]))
    print("\nDemo worlds: density of the cleaned matrices and generation time\n")
    demo_rows = table[table["world"].str.startswith("demo")]
    print(markdown(demo_rows[["world", "seed", "export_density", "import_density", "generate_s"]], digits=2))
    print("\nCo-location by distance in the planted graph: AUC against pairs at distance >= 4 (pairs linked in the "
          "reference left out beyond distance 1)\n")
    print(markdown(pd.DataFrame(decays)))

    # The fit: the strength whose AUC, averaged over the seeds, equals the real world's on the planted truth.
    target = table.loc[table["world"] == "real, planted", "auc"].mean()
    curve = demo_rows.assign(strength=[float(w.split("=")[1]) for w in demo_rows["world"]])
    curve = curve.groupby("strength")["auc"].mean()
    fitted = np.interp(target, curve.to_numpy(), curve.index.to_numpy()) if curve.is_monotonic_increasing else np.nan
    print(f"\nreal AUC on the planted truth {target:.3f}; demo AUC by strength "
          f"{', '.join(f'{s:g}: {a:.3f}' for s, a in curve.items())}; matching strength {fitted:.3f}")


def markdown(frame: pd.DataFrame, digits: int = 3) -> str:
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * frame.shape[1]]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(fmt(v, digits) if isinstance(v, (float, int, np.number)) else str(v)
                                       for v in row) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
