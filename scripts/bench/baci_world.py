"""A synthetic BACI release archive at the real files' size: the benchmark world of a world run (source: baci,
config/bench/baci.yaml).

    python scripts/bench/baci_world.py [--out resources/bench/BACI_HS92_V202501.zip] [--years 2010-2019]
                                       [--seed 2017] [--rows 9000000]

What it makes: one zip laid out as CEPII publishes a release and as ``valuechain.trade.baci`` reads it
(docs/trade_data.md, "BACI"): ``BACI_HS92_Y<year>_V202501.csv`` per year with the header ``t,i,j,k,v,q`` (numeric
exporter and importer codes, the HS6 code as text with its leading zero, the value in thousands of USD with 3
decimals, the quantity in metric tons with 3 decimals or empty when missing, nothing quoted), sorted by
exporter, importer and product; ``country_codes_V202501.csv`` in the layout since V202401 (``country_code,
country_name, country_iso2, country_iso3``); ``product_codes_HS92_V202501.csv`` (``code,description``) and a
``Readme.txt``. Values are synthetic; only their sizes are calibrated on real data.

How it is calibrated:

1. Countries: the 224 countries of the real 2017 exports by country and HS4 (``resources/world2017``, UN
   Comtrade), with their real ISO3 codes and ISO 3166 numeric codes as BACI's country codes, BACI's own codes
   where they differ (251 France, 579 Norway, 699 India, 757 Switzerland, 842 USA). Taiwan (BACI's 490) is not
   among them: the Comtrade data have no Taiwan.
2. Exporter x product sizes: each country's real 2017 HS4 exports split among the heading's HS92 subheadings
   (``valuechain.trade.demo.split_subheadings``; the HS92 codes are the trade atlas's 6-digit codes,
   ``resources/hs/hs92_atlas_names.csv``, chapters 98-99 left out): about 4,975 products. Pairs below
   ``PAIR_FLOOR`` (1,000 USD) in a year are not traded that year.
3. Years: 2017 is the calibrated year; every other year moves by a small drift: world growth of 2.5% a year with a
   yearly shock, and random walks per exporter and per exporter x product (log sd 0.04 and 0.10 a year).
4. Destinations: an exporter x product pair of value X reaches ``n = c * X**0.4`` importers (times lognormal
   noise, between 1 and every other country): with the default seed and rows c = 0.043, so about 4 importers at
   100k USD, 170 at 1 billion, every other country from about 2 billion, as exporters' destination counts grow
   with their sales. ``c`` is solved for so that the years average ``--rows`` flows (default 9M; real HS92 years
   have 8-11M). Measured (seed 2017, 2010-2019): 8,558,262 flows in 2010 rising to 9,375,251 in 2019, 90.0M in
   all; 575k of the 795k exporter x product pairs traded a year, median 5 and mean 15.7 destinations.
5. Which importers, and their shares: gravity weights ``M_j * A_ij * D_kj`` (importer size M_j = its real 2017
   exports; a symmetric bilateral affinity A, lognormal sd 1; an importer x product demand D, lognormal sd 1).
   The n importers are drawn without replacement in proportion to the weights (Gumbel top-n keys, persistent
   across years plus a yearly term, so small destinations churn while large ones stay), never the exporter
   itself; X is split among them by weight times lognormal noise (sd 0.8; its persistent part is the
   destination's own standardised Gumbel draw, so a destination drawn for a strong affinity takes a larger share),
   so the flows of a pair add up to X (rounded to whole USD, 1 USD at least).
6. Quantities: value over a unit value (a product's lognormal price around 2,000 USD/t, sd 1.2, times pair and
   flow noise); 5% of quantities missing.

Deterministic: one seed gives the same archive, byte for byte (fixed member timestamps; random streams keyed by
seed, block and year). Vectorised over blocks of whole exporters (about ``BLOCK_CELLS`` exporter-product x
importer cells at once), one year after another, each block formatted and deflated in a second thread while the
next is drawn. Measured: 4 min 8 s on 2 cores, peak 0.83 GB, a 913 MiB archive (3.1 GB of CSV).
"""

from __future__ import annotations

import argparse
import io
import queue
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pycountry

from valuechain.trade.baci import archive_members, read_country_codes
from valuechain.trade.demo import split_subheadings
from valuechain.trade.hs import NATIONAL_CHAPTERS

ROOT = Path(__file__).resolve().parents[2]
MIRROR = ROOT.parent / "shared" / "data"
EXPORTS = "world2017/exports_country_hs4_2017.parquet"
HS92_NAMES = "hs/hs92_atlas_names.csv"
CALIBRATED_YEAR = 2017
# BACI's country codes where they are not the ISO 3166 numeric code (docs/trade_data.md, "BACI").
BACI_CODES = {"FRA": 251, "NOR": 579, "IND": 699, "CHE": 757, "USA": 842}

PAIR_FLOOR = 1000.0  # USD a year: smaller exporter x product pairs are not traded
BETA = 0.4  # destinations grow as the pair's value to this power
DEST_SIGMA = 0.3  # lognormal noise of a pair's destination count (persistent)
GRAVITY = 1.0  # elasticity of the importer's weight to its size
AFFINITY_SIGMA = 1.0  # bilateral affinity (distance, language, agreements): symmetric, persistent
DEMAND_SIGMA = 1.0  # importer x product demand, persistent
KEY_YEAR_SIGMA = 0.5  # yearly term of the destination draw (churn of small destinations)
SHARE_SIGMA = 0.8  # lognormal noise of a flow's share of the pair's value
SHARE_PERSISTENCE = 0.9  # its persistent part (the yearly part has sd sqrt(1 - 0.9^2) * SHARE_SIGMA)
GROWTH, GROWTH_SIGMA = 0.025, 0.03  # world: trend and yearly shock (log)
EXPORTER_DRIFT, PAIR_DRIFT = 0.04, 0.10  # random walks (log sd a year)
PRICE_USD_T, PRICE_SIGMA, PRICE_PAIR_SIGMA, PRICE_FLOW_SIGMA = 2000.0, 1.2, 0.3, 0.4
Q_MISSING = 0.05
BLOCK_CELLS = 8_000_000
MEMBER_TIME = (2025, 1, 15, 0, 0, 0)


def parse_years(text: str) -> list[int]:
    """``2010-2019`` or ``2010,2012,2017``."""
    if "-" in text:
        lo, hi = (int(v) for v in text.split("-"))
        return list(range(lo, hi + 1))
    return sorted({int(v) for v in text.split(",")})


def data_file(name: str) -> Path:
    """``resources/<name>`` as the workflow retrieves it, else the data mirror's copy."""
    local = ROOT / "resources" / name
    return local if local.is_file() else MIRROR / name


def countries_table(iso3: list[str]) -> pd.DataFrame:
    """``country_code, country_name, country_iso2, country_iso3`` (V202401 and later), sorted by code."""
    rows = []
    for c in iso3:
        rec = pycountry.countries.get(alpha_3=c)
        if rec is None:
            raise SystemExit(f"{c}: not an ISO3 code known to pycountry")
        rows.append((BACI_CODES.get(c, int(rec.numeric)), rec.name, rec.alpha_2, c))
    table = pd.DataFrame(rows, columns=["country_code", "country_name", "country_iso2", "country_iso3"])
    if table["country_code"].duplicated().any():
        raise SystemExit("two countries with one numeric code")
    return table.sort_values("country_code", kind="stable").reset_index(drop=True)


def decimal3(units: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Non-negative integers of thousandths as an Arrow decimal with 3 decimals (written ``330.807``); rows not
    ``valid`` are null (written empty)."""
    n = len(units)
    words = np.zeros((n, 2), dtype=np.int64)  # little-endian 128-bit: low word, high word 0 (non-negative)
    words[:, 0] = units
    bitmap = None if valid is None else pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(pa.decimal128(18, 3), n, [bitmap, pa.py_buffer(words)],
                                 null_count=-1 if valid is not None else 0)


class World:
    """The calibrated sizes, persistent draws and yearly values of every exporter x product pair."""

    def __init__(self, years: list[int], seed: int, rows: int):
        rng = np.random.default_rng(seed)
        atlas = pd.read_csv(data_file(HS92_NAMES), dtype=str)
        six = atlas[(atlas["level"] == "6digit") & atlas["code"].str.fullmatch(r"\d{6}")
                    & ~atlas["code"].str[:2].isin(NATIONAL_CHAPTERS)]
        self.product_names = six[["code", "name_en"]].rename(columns={"name_en": "description"}) \
            .sort_values("code").reset_index(drop=True)
        world = pd.read_parquet(data_file(EXPORTS))
        world = world.assign(country=world["country"].astype(str).str.upper(),
                             hs=world["hs4"].astype(str))[["country", "hs", "value"]]
        world = world[world["value"] > 0]
        pairs = split_subheadings(world, six["code"], rng)

        self.countries = countries_table(sorted(world["country"].unique()))
        cidx = pd.Index(self.countries["country_iso3"])
        self.products = np.sort(pairs["hs"].unique())
        pidx = pd.Index(self.products)
        pairs = pairs.assign(i=cidx.get_indexer(pairs["country"]), k=pidx.get_indexer(pairs["hs"]))
        pairs = pairs.sort_values(["i", "k"], kind="stable").reset_index(drop=True)
        self.exporter = pairs["i"].to_numpy(np.int64)
        self.product = pairs["k"].to_numpy(np.int64)
        n_c, n_p, n_pairs = len(cidx), len(pidx), len(pairs)
        self.n_c, self.years = n_c, list(years)

        # persistent draws: importer size, bilateral affinity, importer x product demand, prices, pair noise
        size = world.groupby("country")["value"].sum().reindex(cidx).to_numpy()
        z = rng.standard_normal((n_c, n_c))
        self.log_affinity = AFFINITY_SIGMA * (z + z.T) / np.sqrt(2.0)
        self.log_size = GRAVITY * np.log(size / size.sum())
        self.log_demand = (DEMAND_SIGMA * rng.standard_normal((n_p, n_c))).astype(np.float32)
        self.log_price = np.log(PRICE_USD_T) + PRICE_SIGMA * rng.standard_normal(n_p)
        self.log_price_pair = PRICE_PAIR_SIGMA * rng.standard_normal(n_pairs)
        dest_noise = np.exp(DEST_SIGMA * rng.standard_normal(n_pairs))

        # yearly values: growth, exporter and pair random walks, anchored at the calibrated year
        span = np.arange(min(years), max(years) + 1)
        anchor = int(np.abs(span - CALIBRATED_YEAR).argmin())

        def walk(sd, shape):
            w = np.cumsum(sd * rng.standard_normal(shape), axis=-1)
            return w - w[..., anchor:anchor + 1]

        world_log = GROWTH * (span - span[anchor]) + walk(GROWTH_SIGMA, (len(span),))
        exp_log = walk(EXPORTER_DRIFT, (n_c, len(span)))
        pair_log = walk(PAIR_DRIFT, (n_pairs, len(span))).astype(np.float32)
        cols = np.searchsorted(span, years)
        self.value = pairs["value"].to_numpy()[:, None] * np.exp(
            world_log[cols][None, :] + exp_log[self.exporter][:, cols] + pair_log[:, cols])
        del pair_log
        traded = self.value >= PAIR_FLOOR
        # destinations: c * X^BETA * noise, 1..n_c-1; c solved for so that the years average `rows` flows
        base = np.where(traded, self.value ** BETA * dest_noise[:, None], 0.0)

        def flows(log_c):
            return np.where(traded, np.clip(np.rint(np.exp(log_c) * base), 1, n_c - 1), 0).sum() / len(years)

        lo, hi = -20.0, 5.0
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if flows(mid) < rows else (lo, mid)
        self.c = float(np.exp(hi))
        self.n_dest = np.where(traded, np.clip(np.rint(self.c * base), 1, n_c - 1), 0).astype(np.int16)

        # blocks of whole exporters, about BLOCK_CELLS pair x importer cells each
        starts = np.searchsorted(self.exporter, np.arange(n_c))
        per_block = max(1, BLOCK_CELLS // n_c)
        self.block_of_exporter = starts // per_block
        self.seed = seed

    def summary(self) -> str:
        n = self.n_dest.astype(np.int64)
        per_year = n.sum(axis=0)
        traded = n > 0
        return (f"{self.n_c} countries, {len(self.products)} products, {len(self.exporter)} exporter x product "
                f"pairs ({traded.sum(axis=0).min()}-{traded.sum(axis=0).max()} traded a year); c = {self.c:.4g}; "
                f"destinations per traded pair: median {np.median(n[traded]):.0f}, mean {n[traded].mean():.1f}, "
                f"max {n.max()}; flows a year {per_year.min():,}-{per_year.max():,}")

    def year_blocks(self, year: int):
        """The flows of ``year`` as Arrow tables ``t,i,j,k,v,q``, block after block of exporters (in code order),
        each sorted by exporter, importer, product."""
        t = self.years.index(year)
        codes = self.countries["country_code"].to_numpy(np.int32)
        products = pa.array(self.products)
        block_pair = self.block_of_exporter[self.exporter]
        bounds = np.flatnonzero(np.r_[True, np.diff(block_pair) != 0, True])
        n_c = self.n_c
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            block = int(block_pair[lo])
            r = np.arange(lo, hi)
            n = self.n_dest[r, t].astype(np.int64)
            persistent = np.random.default_rng([self.seed, 1, block])
            yearly = np.random.default_rng([self.seed, 2, block, year])
            exp_i, prod_k = self.exporter[r], self.product[r]
            # persistent draws of every pair of the block, whatever it trades this year (same stream every year)
            gumbel = -np.log(persistent.standard_exponential((len(r), n_c)))
            live = np.flatnonzero(n > 0)
            if not len(live):
                continue
            r, n, exp_i, prod_k = r[live], n[live], exp_i[live], prod_k[live]
            logw = self.log_size[None, :] + self.log_affinity[exp_i] + self.log_demand[prod_k]
            gumbel = gumbel[live]
            keys = logw + gumbel + KEY_YEAR_SIGMA * yearly.standard_normal(logw.shape)
            keys[np.arange(len(r)), exp_i] = -np.inf  # never the exporter itself
            # the n largest keys of each row: those at or above its n-th largest (a sort, no argsort)
            threshold = np.sort(keys, axis=1)[np.arange(len(r)), n_c - n]
            rows, j = np.nonzero(keys >= threshold[:, None])
            del keys
            m = len(rows)
            # persistent part: the destination's own Gumbel draw, standardised (a destination drawn for a strong
            # affinity also takes a larger share)
            noise = SHARE_SIGMA * (SHARE_PERSISTENCE * (gumbel[rows, j] - np.euler_gamma) / (np.pi / np.sqrt(6))
                                   + np.sqrt(1 - SHARE_PERSISTENCE ** 2) * yearly.standard_normal(m))
            lu = logw[rows, j] + noise
            del logw, gumbel
            starts = np.flatnonzero(np.r_[True, np.diff(rows) != 0])
            lu -= np.repeat(np.maximum.reduceat(lu, starts), np.diff(np.r_[starts, m]))
            u = np.exp(lu)
            usd = self.value[r, t][rows] * u / np.bincount(rows, weights=u, minlength=len(r))[rows]
            v = np.maximum(1, np.rint(usd)).astype(np.int64)  # USD = thousandths of thousands of USD
            tonnes = usd / np.exp(self.log_price[prod_k[rows]] + self.log_price_pair[r[rows]]
                                  + PRICE_FLOW_SIGMA * yearly.standard_normal(m))
            q = np.rint(tonnes * 1000).astype(np.int64)
            q_valid = yearly.random(m) >= Q_MISSING
            # sorted by exporter (one per row of r, already in code order), importer, product
            srt = np.lexsort((prod_k[rows], j, exp_i[rows]))
            yield pa.table({
                "t": pa.array(np.full(m, year, dtype=np.int16)),
                "i": pa.array(codes[exp_i[rows]][srt]),
                "j": pa.array(codes[j][srt]),
                "k": products.take(pa.array(prod_k[rows][srt])),
                "v": decimal3(v[srt]),
                "q": decimal3(q[srt], q_valid[srt]),
            })


def write_blocks(tables, f, options) -> int:
    """Write the tables as CSV lines to ``f`` in a second thread (formatting and deflating, which release the GIL,
    overlap the next block's draws); returns the rows written."""
    pending: queue.Queue = queue.Queue(maxsize=2)
    failed: list[BaseException] = []

    def writer():
        while (table := pending.get()) is not None:
            if failed:
                continue
            try:
                buf = io.BytesIO()
                pacsv.write_csv(table, buf, options)
                f.write(buf.getbuffer())
            except BaseException as exc:  # re-raised in the main thread
                failed.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    rows = 0
    try:
        for table in tables:
            if failed:
                break
            pending.put(table)
            rows += table.num_rows
    finally:
        pending.put(None)
        thread.join()
    if failed:
        raise failed[0]
    return rows


def member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=MEMBER_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="resources/bench/BACI_HS92_V202501.zip")
    ap.add_argument("--years", default="2010-2019", type=parse_years, help="2010-2019 or 2010,2017")
    ap.add_argument("--seed", type=int, default=2017)
    ap.add_argument("--rows", type=int, default=9_000_000, help="flows a year, on average over the years")
    ap.add_argument("--hs", default="HS92")
    ap.add_argument("--release", default="V202501")
    args = ap.parse_args()

    started = time.time()
    world = World(args.years, args.seed, args.rows)
    print(world.summary(), f"({time.time() - started:.1f} s)", flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    options = pacsv.WriteOptions(include_header=False, quoting_style="none", batch_size=1 << 16)
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for year in args.years:
            t0 = time.time()
            with z.open(member(f"BACI_{args.hs}_Y{year}_{args.release}.csv"), "w", force_zip64=True) as f:
                f.write(b"t,i,j,k,v,q\n")
                rows = write_blocks(world.year_blocks(year), f, options)
            print(f"{year}: {rows:,} flows ({time.time() - t0:.1f} s)", flush=True)
        z.writestr(member(f"country_codes_{args.release}.csv"), world.countries.to_csv(index=False))
        z.writestr(member(f"product_codes_{args.hs}_{args.release}.csv"), world.product_names.to_csv(index=False))
        z.writestr(member("Readme.txt"), f"Version : {args.release[1:]}\nSynthetic BACI-shaped release made by "
                   f"scripts/bench/baci_world.py (seed {args.seed}); not CEPII data.\n")
    tmp.replace(out)
    # the reader's own checks of the layout
    members, country_member = archive_members(out)
    with zipfile.ZipFile(out) as z, z.open(country_member) as f:
        codes = pd.read_csv(f, dtype=str, keep_default_na=False)
    assert sorted(members) == args.years and len(codes) == world.n_c
    buf = Path(f"/tmp/baci_world_countries_{args.seed}.csv")
    buf.write_text(world.countries.to_csv(index=False))
    assert len(read_country_codes(buf)) == world.n_c
    buf.unlink()
    print(f"{out}: {out.stat().st_size / 2**20:,.0f} MB, {len(members)} years, {world.n_c} countries "
          f"({time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()
