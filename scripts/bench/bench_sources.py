"""What a US + Brazil + BACI run costs before the analysis, on files generated in the sources' published layouts
at the real files' sizes: rows, wall time, peak memory and disk of each step, printed side by side.

Sizes (rows of one year; --scale multiplies them): the Census's state trade at HS4 (STATE x CTY_CODE x commodity,
with its totals and groupings), about 1.0M export and 1.3M import rows; Comex Stat's municipality files
(month x municipality x SH4 x partner), about 1.0M export and 1.5M import rows; BACI HS92, about 9M flows of a
recent year. Each step runs in its own process (its peak is its own): the public sources combined
(valuechain.trade.public), BACI in the canonical form (valuechain.trade.baci), the ingestion of both with the US and
Brazilian regions replacing their country (valuechain.trade.canonical.ingest_canonical) and the cleaning
(valuechain.trade.clean).

Run: python scripts/bench/bench_sources.py [--scale 1.0] [--dir /tmp/bench_sources] [--keep]
"""

import argparse
import json
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
SIZES = {"census_export": 1_000_000, "census_import": 1_300_000, "comex_export": 1_000_000,
         "comex_import": 1_500_000, "baci": 9_000_000}
STATES = ["AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
          "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH",
          "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR", "XX"]
UFS = ["AC", "AL", "AP", "AM", "BA", "CE", "DF", "ES", "GO", "MA", "MT", "MS", "MG", "PA", "PB", "PR", "PE", "PI",
       "RJ", "RN", "RS", "RO", "RR", "SC", "SP", "SE", "TO", "ND", "EX"]


def countries() -> pd.DataFrame:
    import pycountry

    table = pd.DataFrame([(int(c.numeric), c.alpha_2, c.alpha_3) for c in pycountry.countries],
                         columns=["numeric", "alpha2", "alpha3"])
    return table[~table["alpha3"].isin(["USA", "BRA"])].reset_index(drop=True)


def products(digits: int) -> np.ndarray:
    hs = pd.read_csv(ROOT / "resources/hs/harmonized-system.csv", dtype=str)
    return hs.loc[hs["hscode"].str.len() == digits, "hscode"].to_numpy()


def generate(folder: Path, scale: float) -> None:
    rng = np.random.default_rng(0)
    world, hs4, hs6 = countries(), products(4), products(6)
    n = {k: int(v * scale) for k, v in SIZES.items()}
    folder.mkdir(parents=True, exist_ok=True)
    census_codes = 1000 + np.arange(len(world))
    with open(folder / "country.txt", "w") as fh:
        fh.write("Code | Name | ISO Code\n-----|------|---------\n")
        fh.writelines(f"{c} | {a3} | {a2}\n" for c, a2, a3 in zip(census_codes, world["alpha2"], world["alpha3"]))
    for flow, value, commodity in (("export", "ALL_VAL_YR", "E_COMMODITY"), ("import", "GEN_VAL_YR", "I_COMMODITY")):
        rows = n[f"census_{flow}"]
        state = rng.choice(STATES, rows)
        cty = rng.choice(census_codes.astype(str), rows)
        total = rng.random(rows) < 0.15  # totals and groupings, as the API sends them
        cty = np.where(total, rng.choice(["-", "0003", "4XXX"], rows), cty)
        # distinct (state, country, commodity) keys: one commodity per row drawn without repeats per pair
        hs = hs4[(np.arange(rows) * 7919) % len(hs4)]
        v = rng.lognormal(11, 2.5, rows).astype(np.int64) + 1
        lines = ",\n".join(f'["{s}","{c}","{x}","{h}","2017","12","HS4"]' for s, c, x, h in zip(state, cty, v, hs))
        (folder / f"census_{flow}s_HS4_2017.json").write_text(
            f'[["STATE","CTY_CODE","{value}","{commodity}","YEAR","MONTH","COMM_LVL"],\n{lines}]')
    pais = pd.DataFrame({"CO_PAIS": [f"{c:03d}" for c in world["numeric"]], "CO_PAIS_ISON3": world["numeric"],
                         "CO_PAIS_ISOA3": world["alpha3"], "NO_PAIS": world["alpha3"], "NO_PAIS_ING": world["alpha3"],
                         "NO_PAIS_ESP": world["alpha3"]})
    pais = pd.concat([pais, pd.DataFrame([["994", "", "ZZZ", "A Designar", "To be designated", "A designar"]],
                                         columns=pais.columns)])
    pais.to_csv(folder / "PAIS.csv", sep=";", index=False, quoting=1, encoding="latin-1", lineterminator="\r\n")
    pd.DataFrame({"CO_UF": range(len(UFS)), "SG_UF": UFS, "NO_UF": UFS, "NO_REGIAO": "x"}).to_csv(
        folder / "UF.csv", sep=";", index=False, quoting=1, encoding="latin-1", lineterminator="\r\n")
    for flow, name in (("export", "EXP"), ("import", "IMP")):
        rows = n[f"comex_{flow}"]
        month = (np.arange(rows) % 12) + 1
        uf = rng.choice(UFS, rows)
        sh4 = np.where(rng.random(rows) < 0.002, "9999", rng.choice(hs4, rows))
        pais_code = np.where(rng.random(rows) < 0.003, "994", rng.choice(pais["CO_PAIS"].to_numpy()[:-1], rows))
        kg, fob = rng.integers(0, 10**6, rows), rng.lognormal(10, 2.5, rows).astype(np.int64) + 1
        # Comex Stat's layout: codes quoted, numbers not; municipality codes numbered, so no key repeats
        frame = pd.DataFrame({"CO_ANO": "2017", "CO_MES": [f"{m:02d}" for m in month], "SH4": sh4, "CO_PAIS": pais_code,
                              "SG_UF_MUN": uf, "CO_MUN": (1_000_000 + np.arange(rows)).astype(str)})
        text = frame.apply(lambda c: '"' + c.astype(str) + '"').agg(";".join, axis=1) + ";" + \
            pd.Series(kg).astype(str) + ";" + pd.Series(fob).astype(str)
        (folder / f"{name}_2017_MUN.csv").write_text(
            '"CO_ANO";"CO_MES";"SH4";"CO_PAIS";"SG_UF_MUN";"CO_MUN";"KG_LIQUIDO";"VL_FOB"\r\n'
            + "\r\n".join(text) + "\r\n", encoding="latin-1")
    rows = n["baci"]
    codes = np.append(world["numeric"].to_numpy(), [842, 76])
    iso = np.append(world["alpha3"].to_numpy(), ["USA", "BRA"])
    flows = pd.DataFrame({"i": rng.choice(codes, rows), "j": rng.choice(codes, rows), "k": rng.choice(hs6, rows)})
    flows = flows[flows["i"] != flows["j"]].drop_duplicates(["i", "j", "k"])
    v = rng.lognormal(3, 2.5, len(flows))
    csv = folder / "BACI_HS92_Y2017_V202501.csv"
    with open(csv, "w") as fh:
        fh.write("t,i,j,k,v,q\n")
        flows.assign(t=2017, v=np.round(v, 3), q="")[["t", "i", "j", "k", "v", "q"]].to_csv(
            fh, header=False, index=False, float_format="%.3f")
    pd.DataFrame({"country_code": codes, "country_name": iso, "country_iso2": "", "country_iso3": iso}).to_csv(
        folder / "country_codes_V202501.csv", index=False)
    with zipfile.ZipFile(folder / "BACI_HS92_V202501.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.write(csv, csv.name)
        z.write(folder / "country_codes_V202501.csv", "country_codes_V202501.csv")
    csv.unlink()


def step(name: str, folder: Path) -> dict:
    """One step, in this process; returns its rows and output bytes."""
    from valuechain.glue.provenance import write_table
    from valuechain.trade.baci import baci_to_canonical
    from valuechain.trade.canonical import ingest_canonical, write_dropped
    from valuechain.trade.clean import clean_trade_file
    from valuechain.trade.hs import read_goods_codes
    from valuechain.trade.public import public_trade

    out = folder / "out"
    out.mkdir(exist_ok=True)
    aggregates = {"World": "drop", "ZZZ": "drop"}
    if name == "public":
        dropped = []
        trade = public_trade({"export": [folder / "census_exports_HS4_2017.json"],
                              "import": [folder / "census_imports_HS4_2017.json"]}, folder / "country.txt",
                             [folder / "EXP_2017_MUN.csv", folder / "IMP_2017_MUN.csv"], folder / "PAIS.csv",
                             folder / "UF.csv", partner_aggregates=aggregates, dropped=dropped)
        write_table(trade, out / "public_trade.parquet", {})
        write_dropped(dropped, out / "public_dropped.parquet", {})
        return {"rows": len(trade), "files": ["public_trade.parquet", "public_dropped.parquet"]}
    if name == "baci":
        rows = baci_to_canonical(folder / "BACI_HS92_V202501.zip", [2017], out / "baci_trade.parquet",
                                 out / "baci_dropped.parquet", {}, folder / "staging", memory_mb=3000)
        return {"rows": rows, "files": ["baci_trade.parquet", "baci_dropped.parquet"]}
    if name == "ingest":
        hs = [ROOT / "resources" / p for p in ("hs/harmonized-system.csv", "hs/hs92_atlas_names.csv",
                                               "concordance/hs_isic3.csv", "concordance/hs_isic4.csv")]
        rows = ingest_canonical([out / "public_trade.parquet"], out / "trade.parquet", {}, duplicates="error",
                                memory_mb=3000, dropped_dest=out / "ingest_dropped.parquet",
                                world=out / "baci_trade.parquet", partner_aggregates=aggregates,
                                known_hs=read_goods_codes(*hs))
        return {"rows": rows, "files": ["trade.parquet", "ingest_dropped.parquet"]}
    if name == "clean":
        outputs = {k: out / f"clean_{k}.parquet" for k in ("clean", "dropped_rows", "dropped_regions")}
        rows = clean_trade_file(out / "trade.parquet", outputs, {}, {"USA": ["XX"], "BRA": ["ND", "EX"]}, 0.0,
                                memory_mb=3000, dropped_before=[out / "public_dropped.parquet",
                                                                out / "baci_dropped.parquet",
                                                                out / "ingest_dropped.parquet"])
        return {"rows": rows["clean"], "files": [p.name for p in outputs.values()]}
    raise ValueError(name)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/bench_sources"))
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    ap.add_argument("--step", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.step:
        started = time.time()
        result = step(args.step, args.dir)
        result["seconds"] = time.time() - started
        # the high-water mark of this process's own memory (ru_maxrss would carry the parent's over from the fork)
        status = Path("/proc/self/status").read_text()
        result["peak_mb"] = int(status.split("VmHWM:")[1].split()[0]) // 1024
        result["bytes"] = sum((args.dir / "out" / f).stat().st_size for f in result.pop("files"))
        print(json.dumps(result))
        return
    shutil.rmtree(args.dir, ignore_errors=True)
    started = time.time()
    generate(args.dir, args.scale)
    inputs = {p.name: p.stat().st_size for p in args.dir.iterdir() if p.is_file()}
    print(f"generated in {time.time() - started:.0f} s: " + ", ".join(f"{k} {v / 2**20:.0f} MB" for k, v in
                                                                        sorted(inputs.items())))
    table = []
    for name in ("public", "baci", "ingest", "clean"):
        proc = subprocess.run([sys.executable, __file__, "--step", name, "--dir", str(args.dir)], capture_output=True,
                              text=True)
        if proc.returncode:
            sys.exit(f"{name} failed:\n{proc.stderr[-3000:]}")
        table.append({"step": name, **json.loads(proc.stdout.strip().splitlines()[-1])})
    frame = pd.DataFrame(table).set_index("step")
    frame["MB out"] = (frame.pop("bytes") / 2**20).round(1)
    frame["seconds"] = frame["seconds"].round(1)
    print(frame.to_string())
    print(f"total: {frame['seconds'].sum():.0f} s, {frame['MB out'].sum():.0f} MB written, inputs "
          f"{sum(inputs.values()) / 2**20:.0f} MB")
    if not args.keep:
        shutil.rmtree(args.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
