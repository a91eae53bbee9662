"""``valuechain-icio``: value-added accounting on an ICIO table from the command line, in the spirit of Stata's icio.

Examples (the WIOD 2013 tables the workflow retrieves into resources/wiod2013)::

    valuechain-icio resources/wiod2013 --year 2011 --method va --origin DEU --destination CHN
    valuechain-icio resources/wiod2013 --year 2011 --method gvc
    valuechain-icio resources/wiod2013 --year 2011 --method bm_source --exporter DEU --importer CHN --level sectoral
    valuechain-icio resources/wiod2013 --method bm --perspective bilateral --exporter CHN --importer USA
    valuechain-icio resources/wiod2013 --method bm_source --exporter EU3 --group EU3=DEU,FRA,ITA
    valuechain-icio table.csv --format oecd --method wwz --exporter CHN --sector D26 --save chn_d26.parquet
    valuechain-icio IOT_2022_ixi.zip --format exiobase3 --method gvc

The table is a file, or a directory holding one file per year (``wiot_YYYY.parquet`` for WIOD, a CSV whose name
contains the year for OECD, ``Eora26_YYYY_bp.zip``, ``IOT_YYYY_ixi.zip``, ``GLORIA_MRIOs_VV_YYYY``: the
patterns of :data:`valuechain.icio_formats.FORMATS`). The parts of OECD's split countries (CN1/CN2 of CHN, MX1/MX2
of MEX) stay separate producers of their country and results are added afterwards, as exvatools does (``--merge-split`` sums them
first instead); rest of the world stays in, as accounting needs the whole world. With several years, each year
is computed separately and the output has a ``year`` column.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from . import accounting as ac
from . import perspectives as pv
from .icio_formats import FORMATS, table_files

METHODS = ("bm", "bm_source", "bm_sink", "wwz", "wwz_summary", "kww", "gvc", "tripartite", "tiva", "origin",
           "destination", "va", "position", "length", "production")
LEVELS = ("total", "bilateral", "sectoral", "detail")
#: Methods whose rows are export flows (exporter, sector, importer), summed to --level.
FLOWS = ("bm", "bm_source", "bm_sink", "wwz", "wwz_summary", "gvc", "tripartite", "origin", "destination")
#: The methods each filter or option applies to; any other use is rejected rather than silently ignored.
APPLIES = {
    "exporter": (*FLOWS, "kww", "tiva", "position", "length", "production"),
    "importer": FLOWS,
    "origin": ("va", "origin", "position", "length", "production"),
    "destination": ("va", "destination"),
    "sector": (*FLOWS, "tiva", "va", "position", "length", "production"),
    "level": (*FLOWS, "tiva"),
    "shares": ("bm", "bm_source", "bm_sink", "wwz", "wwz_summary", "tripartite"),
    "perspective": ("bm", "origin"),
    "approach": ("bm",),
}


def inapplicable(args: argparse.Namespace) -> list[str]:
    """Messages for the options given that do not apply to ``args.method`` (:data:`APPLIES`)."""
    given = {"exporter": args.exporter, "importer": args.importer, "origin": args.origin,
             "destination": args.destination, "sector": args.sector, "level": args.level != "total",
             "shares": args.shares, "perspective": args.perspective, "approach": args.approach}
    out = [f"--{opt} does not apply to --method {args.method} (it applies to {', '.join(APPLIES[opt])})"
           for opt, value in given.items() if value and args.method not in APPLIES[opt]]
    if args.method == "tiva" and args.level in ("bilateral", "detail"):
        out.append("--method tiva is by exporting country (and sector): --level total or sectoral")
    return out


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


def _check_codes(kind: str, codes: Sequence[str], known: Sequence[str]) -> None:
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValueError(f"unknown {kind} {unknown}; known: {', '.join(known)}")


def exporter_models(m: ac.Model, args: argparse.Namespace, groups: dict[str, list[str]]) -> list[tuple[ac.Model, list[str]]]:
    """(model, exporters) pairs: plain countries in the table's model; each group asked for as an exporter
    (or every group, when no exporter is named) in a model where it is one country, so trade among its
    members is not an export (Stata icio's "computed as a whole", exvatools' groups)."""
    asked = args.exporter or []
    plain = [c for c in asked if c not in groups] if asked else list(m.countries)
    as_groups = [g for g in asked if g in groups] if asked else list(groups)
    out = [(m, plain)] if plain else []
    out += [(m.regroup({g: groups[g]}), [g]) for g in as_groups]
    return out


def _flows(m: ac.Model, args: argparse.Namespace, exporters: list[str]) -> pd.DataFrame:
    """The export-flow table of a flow method, before filtering (exporter, sector, importer, ...)."""
    method = args.method
    if method == "bm":
        return pv.decompose(m, args.perspective or "exporter", args.approach or "source")
    if method == "origin":
        return pv.va_by_origin(m, args.perspective or "exporter", exporters=exporters)
    if method == "destination":
        return pv.dva_by_destination(m, exporters=exporters)
    if method == "tripartite":
        return pv.tripartite_gvc(m)
    if method in ("wwz", "wwz_summary"):
        df = ac.wwz(m)
        return pv.wwz_summary(df) if method == "wwz_summary" else df
    df = (ac.bm_sink if method == "bm_sink" else ac.bm_source)(m)
    if method == "gvc":
        df = df[["exporter", "sector", "importer", "GEXP", "GVC", "GVCB", "GVCF"]]
    return df


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
    if method in ("position", "production", "length"):
        df = {"position": ac.position, "production": ac.production_decomposition, "length": ac.production_length}[
            method](m)
        countries = (args.origin or []) + (args.exporter or [])
        if countries:
            df = df[df.country.isin(countries)]
        if args.sector:
            df = df[df.sector.isin(args.sector)]
        return df
    frames = []
    for model, exporters in exporter_models(m, args, groups):
        if method == "kww":
            df = ac.kww(model).reset_index()
            frames.append(df[df.country.isin(exporters)])
            continue
        if method == "tiva":
            df = pv.dva_in_foreign_exports(model).rename(columns={"country": "exporter"})
            df = df[df.exporter.isin(exporters)]
            if args.sector:
                df = df[df.sector.isin(args.sector)]
            frames.append(df if args.level == "sectoral" else df.groupby("exporter", sort=False, as_index=False)[
                ["GEXP", "GVCB", "GVCF", "GVC"]].sum())
            continue
        df = _flows(model, args, exporters)
        df = df[df.exporter.isin(exporters)]
        if args.importer:  # a group asked for as importer is the sum of its members' imports
            importers = _members(args.importer, groups)
            df = df[df.importer.isin(importers)]
            named = {c: g for g in args.importer if g in groups for c in groups[g]}
            df = df.assign(importer=df.importer.replace(named))
        if args.sector:
            df = df[df.sector.isin(args.sector)]
        if method == "origin" and args.origin:
            df = df[df.origin.isin(args.origin)]
        df = ac.aggregate(df, args.level, by=[c for c in ("origin", "destination") if c in df.columns])
        if method == "gvc":
            sh = ac.shares(df)
            df = df.assign(gvc=sh.GVC, gvc_backward=sh.GVCB, gvc_forward=sh.GVCF)
        elif args.shares:
            df = ac.shares(df)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


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
    p.add_argument("--format", choices=tuple(FORMATS), default="wiod",
                   help="table layout: wiod (WIOD 2013 Parquet, the data mirror's) | oecd (OECD ICIO CSV) | wiod2013 "
                   "(WIOD 2013 xlsx) | eora26 | exiobase3 | gloria (the last four read by pymrio); default wiod")
    p.add_argument("--year", type=int, nargs="+", help="year(s) to compute (directory input; default: latest)")
    p.add_argument("--method", choices=METHODS, default="bm_source", metavar="METHOD",
                   help="bm (Borin-Mancini, any --perspective/--approach) | bm_source | bm_sink (exporter "
                   "perspective with VAX, REF, GVC) | wwz (16 terms) | wwz_summary | kww | gvc (participation) | "
                   "tripartite (pure backward, two-sided, pure forward) | tiva (OECD GVC: DVA in foreign exports) | "
                   "origin (value added by country of origin) | destination (DVA by country of absorption) | "
                   "va (value added by origin and destination) | position | length (UIBE) | production (UIBE); "
                   "default bm_source")
    p.add_argument("--perspective", choices=pv.PERSPECTIVES,
                   help="bm, origin: exporter (default) | sectexp | bilateral | sectbil | importer | sectimp | world")
    p.add_argument("--approach", choices=pv.APPROACHES, help="bm: source (default) | sink (exporter, world)")
    p.add_argument("--exporter", nargs="+", help="exporting country/group (position, length, production: country)")
    p.add_argument("--importer", nargs="+", help="importing country/group (a group: its members' imports summed)")
    p.add_argument("--sector", nargs="+", help="exporting (va: origin) sector")
    p.add_argument("--origin", nargs="+", help="country/group of origin of value added (va, origin, position)")
    p.add_argument("--destination", nargs="+", help="country/group of final absorption (va, destination)")
    p.add_argument("--group", action="append", default=[], metavar="NAME=A,B,C",
                   help="country group, repeatable (e.g. EU=DEU,FRA,ITA); as --exporter it is one exporter "
                   "(trade among members is not an export); with no --exporter every group is added")
    p.add_argument("--level", choices=LEVELS, default="total",
                   help="flows: total per exporter, bilateral, sectoral or detail (default total)")
    p.add_argument("--shares", action="store_true", help="decompositions: terms as shares of gross exports")
    p.add_argument("--merge-split", action="store_true",
                   help="sum the parts of split countries (CN1/CN2, MX1/MX2) before computing A")
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
            df = compute(ac.model_from_file(path, args.format, merge_split=args.merge_split), args, groups)
            if len(files) > 1 or year is not None:
                df.insert(0, "year", year)
            frames.append(df)
    except (ValueError, FileNotFoundError) as exc:
        print(f"valuechain-icio: error: {exc}", file=sys.stderr)
        return 2
    out = pd.concat(frames, ignore_index=True)
    unit = "shares of gross exports" if args.shares else f"table units ({FORMATS[args.format].unit})"
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
