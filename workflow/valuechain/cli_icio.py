"""``valuechain-icio``: value-added accounting on an ICIO table from the command line, in the spirit of Stata's icio.

Examples (vendored WIOD 2013 tables)::

    valuechain-icio resources/wiod2013 --year 2011 --method va --origin DEU --destination CHN
    valuechain-icio resources/wiod2013 --year 2011 --method gvc
    valuechain-icio resources/wiod2013 --year 2011 --method bm_source --exporter DEU --importer CHN --level sectoral
    valuechain-icio table.csv --format oecd --method wwz --exporter CHN --sector D26 --save chn_d26.parquet

The table is a file, or a directory holding one file per year (``wiot_YYYY.parquet`` for WIOD, a CSV whose name
contains the year for OECD). OECD tables get their split countries merged (CN1/CN2 -> CHN, MX1/MX2 -> MEX); rest of
the world stays in, as accounting needs the whole world. With several years, each year is computed separately
and the output has a ``year`` column.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

import pandas as pd

from . import accounting as ac

METHODS = ("kww", "wwz", "bm_source", "bm_sink", "gvc", "position", "production", "va")
LEVELS = ("total", "bilateral", "sectoral", "detail")
DECOMPOSITIONS = ("wwz", "bm_source", "bm_sink", "gvc")
#: The methods each filter or option applies to; any other use is rejected rather than silently ignored.
APPLIES = {
    "exporter": ("kww", *DECOMPOSITIONS, "position", "production"),
    "importer": DECOMPOSITIONS,
    "origin": ("va", "position", "production"),
    "destination": ("va",),
    "sector": (*DECOMPOSITIONS, "va", "position", "production"),
    "level": DECOMPOSITIONS,
    "shares": ("wwz", "bm_source", "bm_sink"),
}
LAYOUTS = {
    "wiod": "WIOD 2013 Parquet: index CCC_cN, columns CCC_cN, CCC_{HFCE,NPISH,GGFC,GFCF,INVNT}, GO",
    "oecd": "OECD ICIO CSV: first column CCC_IND row labels, columns CCC_IND, CCC_{HFCE,...}, OUT",
}


def inapplicable(args: argparse.Namespace) -> list[str]:
    """Messages for the options given that do not apply to ``args.method`` (:data:`APPLIES`)."""
    given = {"exporter": args.exporter, "importer": args.importer, "origin": args.origin,
             "destination": args.destination, "sector": args.sector, "level": args.level != "total",
             "shares": args.shares}
    return [f"--{opt} does not apply to --method {args.method} (it applies to {', '.join(APPLIES[opt])})"
            for opt, value in given.items() if value and args.method not in APPLIES[opt]]


def _parse_groups(specs: Sequence[str]) -> dict[str, list[str]]:
    """``["EU=DEU,FRA,ITA", "NAFTA=USA,CAN,MEX"]`` -> ``{"EU": [...], "NAFTA": [...]}``."""
    groups: dict[str, list[str]] = {}
    for spec in specs:
        name, sep, members = spec.partition("=")
        codes = [c.strip() for c in members.split(",") if c.strip()]
        if not sep or not name.strip() or not codes:
            raise ValueError(f"--group {spec!r}: expected NAME=CODE,CODE,...")
        groups[name.strip()] = codes
    return groups


def canonical_codes(m: ac.Model, args: argparse.Namespace, groups: dict[str, list[str]]) -> dict[str, list[str]]:
    """Country and group codes as the table and ``--group`` spell them, whatever case the user typed
    (``deu``, ``row`` -> ``DEU``, ``RoW``); group members must be table countries. Updates ``args`` in place
    and returns the groups with canonical member codes."""
    countries = {c.upper(): c for c in m.countries}
    unknown = {name: [c for c in members if c.upper() not in countries] for name, members in groups.items()}
    unknown = {k: v for k, v in unknown.items() if v}
    if unknown:
        raise ValueError(f"--group members not in the table: {unknown}; known: {', '.join(m.countries)}")
    groups = {name: [countries[c.upper()] for c in members] for name, members in groups.items()}
    known = {**countries, **{g.upper(): g for g in groups}}
    for kind in ("exporter", "importer", "origin", "destination"):
        codes = getattr(args, kind)
        if codes:
            bad = [c for c in codes if c.upper() not in known]
            if bad:
                raise ValueError(f"unknown {kind} {bad}; known: {', '.join(known.values())}")
            setattr(args, kind, [known[c.upper()] for c in codes])
    return groups


def table_files(path: Path, fmt: str, years: Sequence[int] | None) -> list[tuple[int | None, Path]]:
    """(year, file) pairs: the file itself, or the year files of a directory."""
    if path.is_file():
        if years and len(years) > 1:
            raise ValueError(f"{path} is one table; give a directory to compute several years")
        return [(years[0] if years else None, path)]
    if not path.is_dir():
        raise FileNotFoundError(f"table {path} not found")
    pattern = "wiot_*.parquet" if fmt == "wiod" else "*.csv"
    found = sorted(path.glob(pattern))
    by_year: dict[int, Path] = {}
    for f in found:
        digits = "".join(ch if ch.isdigit() else " " for ch in f.stem).split()
        for d in digits:
            if len(d) == 4:
                by_year[int(d)] = f
    if not by_year:
        raise ValueError(f"{path}: no {pattern} file with a year in its name")
    wanted = list(years) if years else [max(by_year)]
    missing = [y for y in wanted if y not in by_year]
    if missing:
        raise ValueError(f"{path}: no table for years {missing} (found {sorted(by_year)})")
    return [(y, by_year[y]) for y in wanted]


def _check_codes(kind: str, codes: Sequence[str], known: Sequence[str]) -> None:
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValueError(f"unknown {kind} {unknown}; known: {', '.join(known)}")


def compute(m: ac.Model, args: argparse.Namespace, groups: dict[str, list[str]]) -> pd.DataFrame:
    """The result table of ``args.method`` with the filters applied."""
    groups = canonical_codes(m, args, groups)
    if args.sector:
        _check_codes("sector", args.sector, m.sectors)
    method = args.method
    if method == "va":
        df = ac.va_origin_destination(m, groups=groups, by_sector=bool(args.sector) or args.level == "detail")
        if args.origin:
            df = df[df.origin.isin(args.origin)]
        if args.destination:
            df = df[df.destination.isin(args.destination)]
        if args.sector:
            df = df[df.origin_sector.isin(args.sector)]
        return df
    if method in ("position", "production"):
        df = ac.position(m) if method == "position" else ac.production_decomposition(m)
        countries = (args.origin or []) + (args.exporter or [])
        if countries:
            df = df[df.country.isin(countries)]
        if args.sector:
            df = df[df.sector.isin(args.sector)]
        return df
    if method == "kww":
        df = ac.kww(m).reset_index()
        if groups:
            df["country"] = ac.group_labels(df["country"], groups)
            df = df.groupby("country", sort=False, as_index=False).sum()
        if args.exporter:
            df = df[df.country.isin(args.exporter)]
        return df
    detail = {"wwz": ac.wwz, "bm_source": ac.bm_source, "bm_sink": ac.bm_sink, "gvc": ac.bm_source}[method](m)
    if method == "gvc":
        detail = detail[["exporter", "sector", "importer", "GEXP", "GVC", "GVCB", "GVCF"]]
    # filter the flows first (groups expanded to members), then sum to the level
    if args.exporter:
        detail = detail[detail.exporter.isin(_members(args.exporter, groups))]
    if args.importer:
        detail = detail[detail.importer.isin(_members(args.importer, groups))]
    if args.sector:
        detail = detail[detail.sector.isin(args.sector)]
    # only the groups asked for by name label their members: --exporter DEU stays DEU even if DEU is in EU
    named = set((args.exporter or []) + (args.importer or []))
    df = ac.aggregate(detail, args.level, groups={g: v for g, v in groups.items() if not named or g in named})
    if method == "gvc":
        sh = ac.shares(df)
        df = df.assign(gvc=sh.GVC, gvc_backward=sh.GVCB, gvc_forward=sh.GVCF)
    elif args.shares:
        df = ac.shares(df)
    return df


def read_model(path: Path, fmt: str) -> ac.Model:
    """The accounting model of a table, or a message naming the layout ``fmt`` expects when it cannot be read."""
    try:
        return ac.model_from_file(path, fmt)
    except FileNotFoundError:
        raise
    except Exception as exc:  # a parser's own error (decoding, Parquet magic bytes, labels) says little
        raise ValueError(f"{path}: not a {fmt} table ({type(exc).__name__}: {exc}); --format {fmt} expects "
                         f"{LAYOUTS[fmt]}") from exc


def _members(codes: Sequence[str], groups: dict[str, list[str]]) -> list[str]:
    out: list[str] = []
    for c in codes:
        out.extend(groups.get(c, [c]))
    return out


def _fmt(value: float) -> str:
    """Levels with thousands separators and one decimal; shares, lengths and ratios (< 10) with four."""
    return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.1f}"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="valuechain-icio",
        description="Value-added accounting on an inter-country input-output table (KWW, WWZ, Borin-Mancini, "
        "GVC participation, position), in the spirit of Stata's icio.",
    )
    p.add_argument("table", type=Path, help="table file, or a directory with one table per year")
    p.add_argument("--format", choices=("wiod", "oecd"), default="wiod", help="table layout (default wiod)")
    p.add_argument("--year", type=int, nargs="+", help="year(s) to compute (directory input; default: latest)")
    p.add_argument("--method", choices=METHODS, default="bm_source",
                   help="kww | wwz | bm_source | bm_sink | gvc | position | production (UIBE) | va "
                   "(value added by origin and destination); default bm_source")
    p.add_argument("--exporter", nargs="+", help="exporting country/group (position, production: country)")
    p.add_argument("--importer", nargs="+", help="importing country/group")
    p.add_argument("--sector", nargs="+", help="exporting (va: origin) sector")
    p.add_argument("--origin", nargs="+", help="country/group of origin of value added (va, position)")
    p.add_argument("--destination", nargs="+", help="country/group of final absorption (va)")
    p.add_argument("--group", action="append", default=[], metavar="NAME=A,B,C",
                   help="country group, repeatable (e.g. EU=DEU,FRA,ITA)")
    p.add_argument("--level", choices=LEVELS, default="total",
                   help="decompositions: total per exporter, bilateral, sectoral or detail (default total)")
    p.add_argument("--shares", action="store_true", help="decompositions: terms as shares of gross exports")
    p.add_argument("--save", type=Path, help="also write the table (.csv or .parquet)")
    p.add_argument("--max-rows", type=int, default=60, help="rows printed (default 60; the file gets all)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.save and args.save.suffix not in (".csv", ".parquet"):
        parser.error(f"--save {args.save}: use a .csv or .parquet file name")
    for problem in inapplicable(args):
        parser.error(problem)
    try:
        groups = _parse_groups(args.group)
        frames = []
        files = table_files(args.table, args.format, args.year)
        for year, path in files:
            df = compute(read_model(path, args.format), args, groups)
            if len(files) > 1 or year is not None:
                df.insert(0, "year", year)
            frames.append(df)
    except (ValueError, FileNotFoundError) as exc:
        print(f"valuechain-icio: error: {exc}", file=sys.stderr)
        return 2
    out = pd.concat(frames, ignore_index=True)
    unit = "shares of gross exports" if args.shares else "table units (WIOD: millions of USD)"
    print(f"{args.method} | {args.table} | {', '.join(str(y) for y, _ in files if y is not None) or 'file'} | {unit}")
    with pd.option_context("display.width", 200, "display.max_columns", 30, "display.float_format", _fmt):
        print(out.to_string(index=False, max_rows=args.max_rows))
    if args.save:
        args.save.parent.mkdir(parents=True, exist_ok=True)
        if args.save.suffix == ".csv":
            out.to_csv(args.save, index=False)
        else:
            out.to_parquet(args.save, index=False)
        print(f"saved {len(out)} rows to {args.save}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
