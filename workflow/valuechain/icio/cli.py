"""``valuechain icio`` (also installed as ``valuechain-icio``): value-added accounting on an ICIO table from the
command line, in the spirit of Stata's icio.

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
patterns of :data:`valuechain.icio.formats.FORMATS`). The parts of OECD's split countries (CN1/CN2 of CHN, MX1/MX2
of MEX) stay separate producers of their country and results are added afterwards, as exvatools does (``--merge-split`` sums them
first instead); rest of the world stays in, as accounting needs the whole world. With several years, each year
is computed separately and the output has a ``year`` column; ``--year`` with one file must be the year in its name.

:func:`main` returns 0, or 2 with one ``valuechain-icio: error:`` line on stderr for whatever it cannot compute
right (docs/icio.md, "The command line", lists the refusals); warnings about the table are
``valuechain-icio: warning:`` lines. ``--save`` is checked before computing and written through a temporary file.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from valuechain.icio import accounting as ac
from valuechain.icio import perspectives as pv
from valuechain.icio.formats import FORMATS, table_files

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
    """``["EU=DEU,FRA,ITA", "NAFTA=USA,CAN,MEX"]`` -> ``{"EU": [...], "NAFTA": [...]}``. Codes are matched
    whatever their case, so a name given twice (``EU``, ``eu``) or a member listed twice is refused: one would
    silently replace or double the other."""
    groups: dict[str, list[str]] = {}
    for spec in specs:
        name, sep, members = spec.partition("=")
        name = name.strip()
        codes = [c.strip() for c in members.split(",") if c.strip()]
        if not sep or not name or not codes:
            raise ValueError(f"--group {spec!r}: expected NAME=CODE,CODE,...")
        same = [g for g in groups if g.upper() == name.upper()]
        if same:
            raise ValueError(f"--group {name} is given twice ({same[0]}={','.join(groups[same[0]])} and {spec}); "
                             "give each group once, with all its members")
        upper = pd.Series([c.upper() for c in codes])
        if upper.duplicated().any():
            raise ValueError(f"--group {spec}: lists {', '.join(upper[upper.duplicated()].unique())} twice; "
                             "list each member once")
        groups[name] = codes
    return groups


def canonical_codes(m: ac.Model, args: argparse.Namespace, groups: dict[str, list[str]]) -> dict[str, list[str]]:
    """Country and group codes as the table and ``--group`` spell them, whatever case the user typed
    (``deu``, ``row`` -> ``DEU``, ``RoW``); group members must be table countries and a group may not be named
    as a country (it would stand for that country). Updates ``args`` in place (each code once) and returns the
    groups with canonical member codes."""
    countries = {c.upper(): c for c in m.countries}
    clash = [g for g in groups if g.upper() in countries]
    if clash:
        raise ValueError(f"--group {', '.join(clash)}: named as a country of the table "
                         f"({countries[clash[0].upper()]}), so it would replace that country; name the group otherwise")
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
            setattr(args, kind, list(dict.fromkeys(known[c.upper()] for c in codes)))
    return groups


def _relabel(df: pd.DataFrame, column: str, codes: Sequence[str], groups: dict[str, list[str]],
             present: Sequence[str]) -> pd.DataFrame:
    """The rows of ``df`` whose ``column`` is one of ``codes`` or a member of a group among them, labelled with
    that code; a row covered by several codes (a country and its group, overlapping groups) is kept once for
    each. A code that is a country of the model (``present``: a regrouped exporter too) stands for itself."""
    pairs = pd.DataFrame([(member, code) for code in codes
                          for member in ([code] if code in present else groups.get(code, [code]))],
                         columns=["_member", column])
    out = df.rename(columns={column: "_member"}).merge(pairs, on="_member", sort=False)
    return out[list(df.columns)]


def _members(codes: Sequence[str], groups: dict[str, list[str]], present: Sequence[str]) -> list[str]:
    """The model countries ``codes`` stand for, each once (a group: its members)."""
    return list(dict.fromkeys(m for c in codes for m in ([c] if c in present else groups.get(c, [c]))))


def _split_apart(kind: str, codes: Sequence[str], groups: dict[str, list[str]], m: ac.Model) -> None:
    """Refuse ``--origin``/``--destination`` codes whose countries a regrouped model has made one with the
    exporter group: its value added or absorption cannot be split back into the members."""
    for code in codes:
        inside = [c for c in _members([code], groups, m.countries) if c not in m.countries]
        if inside:
            exporter = next(g for g in m.countries if g in groups and inside[0] in groups[g])
            raise ValueError(f"--{kind} {code}: {', '.join(inside)} is inside exporter group {exporter}, computed "
                             f"as one country; ask for --{kind} {exporter}, or for {code} with another exporter")


def _check_codes(kind: str, codes: Sequence[str], known: Sequence[str]) -> None:
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValueError(f"unknown {kind} {unknown}; known: {', '.join(known)}")


def exporter_models(m: ac.Model, args: argparse.Namespace, groups: dict[str, list[str]]) -> list[tuple[ac.Model, list[str]]]:
    """(model, exporters) pairs: plain countries in the table's model; each group asked for as an exporter
    (or every group, when no exporter is named) in a model where it is one country, so trade among its
    members is not an export (Stata icio's "computed as a whole", exvatools' groups). A group of every country
    has no exports: refused as an exporter, left out when every group is added."""
    asked = args.exporter or []
    world = [g for g in groups if set(groups[g]) == set(m.countries)]
    if set(asked) & set(world):
        raise ValueError(f"--exporter {world[0]}: the group has every country of the table, so nothing it sells "
                         "is an export; use it as --importer or --destination, or leave a country out")
    plain = [c for c in asked if c not in groups] if asked else list(m.countries)
    as_groups = [g for g in asked if g in groups] if asked else [g for g in groups if g not in world]
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
    if method == "va":  # every country and every group on both sides, unless some are asked for
        by_sector = bool(args.sector)
        df = ac.va_origin_destination(m, by_sector=by_sector)
        if args.sector:
            df = df[df.origin_sector.isin(args.sector)]
        everyone = [*m.countries, *groups]
        df = _relabel(df, "origin", args.origin or everyone, groups, m.countries)
        df = _relabel(df, "destination", args.destination or everyone, groups, m.countries)
        keys = ["origin", "origin_sector", "destination"] if by_sector else ["origin", "destination"]
        return df.groupby(keys, sort=False, as_index=False)["va"].sum()
    if method in ("position", "production", "length"):
        countries = (args.origin or []) + (args.exporter or [])
        named = [c for c in countries if c in groups]
        if named:
            raise ValueError(f"--method {method} is per country and sector (ratios do not add up over a group); "
                             f"{', '.join(named)} is a group: name its countries ({', '.join(groups[named[0]])})")
        df = {"position": ac.position, "production": ac.production_decomposition, "length": ac.production_length}[
            method](m)
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
            if args.level in ("bilateral", "detail"):
                df = _relabel(df, "importer", args.importer, groups, model.countries)
            else:  # importers are summed: each flow once, however many of the codes cover it
                df = df[df.importer.isin(_members(args.importer, groups, model.countries))]
        if args.sector:
            df = df[df.sector.isin(args.sector)]
        for kind in ("origin", "destination"):  # the breakdown column of --method origin / destination
            if kind == method and getattr(args, kind):
                _split_apart(kind, getattr(args, kind), groups, model)
                df = _relabel(df, kind, getattr(args, kind), groups, model.countries)
        df = ac.aggregate(df, args.level, by=[c for c in ("origin", "destination") if c in df.columns])
        if method == "gvc":
            sh = ac.shares(df)
            df = df.assign(gvc=sh.GVC, gvc_backward=sh.GVCB, gvc_forward=sh.GVCF)
        elif args.shares:
            df = ac.shares(df)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def _fmt(value: float) -> str:
    """Levels with thousands separators and one decimal; shares, lengths and ratios (< 10) with four."""
    return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.1f}"


def build_parser(prog: str = "valuechain-icio") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
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
    p.add_argument("--max-rows", type=int, default=60,
                   help="rows printed (default 60; 0: every row; the file gets all)")
    return p


def check_save(path: Path) -> None:
    """Refuse a ``--save`` path that cannot be written, before anything is computed: a file is created and
    removed in the nearest folder that exists (the missing ones are made when saving)."""
    if path.is_dir():
        raise ValueError(f"--save {path}: is a directory; give a file name ending in .csv or .parquet")
    folder = next(p for p in (path.parent, *path.parent.parents) if p.exists())
    try:
        if not folder.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder))
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as exc:
        raise ValueError(f"--save {path}: cannot write in {folder} ({exc.strerror or exc}); choose another "
                         "path") from exc


def save(out: pd.DataFrame, path: Path) -> None:
    """Write ``out`` to ``path`` through a temporary file in the same folder, so that a failed write leaves
    nothing half-written (and an older file at ``path`` as it was)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # created by pandas, with the usual permissions
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".csv":
            out.to_csv(tmp, index=False)
        else:
            out.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp.exists():
            tmp.unlink()
        raise ValueError(f"--save {path}: cannot write it ({exc.strerror or exc}); nothing was saved") from exc


def _compute_all(args: argparse.Namespace) -> tuple[pd.DataFrame, list[tuple[int | None, Path]]]:
    """The result of every year asked for, with a ``year`` column when the year is known."""
    groups = _parse_groups(args.group)
    if args.save:
        check_save(args.save)
    frames = []
    files = table_files(args.table, args.format, args.year)
    for year, path in files:
        df = compute(ac.model_from_file(path, args.format, merge_split=args.merge_split), args, groups)
        if len(files) > 1 or year is not None:
            df.insert(0, "year", year)
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    if out.empty:
        asked = " ".join(f"--{k} {' '.join(v)}" for k in ("exporter", "importer", "origin", "destination", "sector")
                         if (v := getattr(args, k)))
        raise ValueError(f"--method {args.method} {asked}: no rows to show (a country's or group's trade with "
                         "its own members is not an export); ask for other countries")
    return out, files


def main(argv: Sequence[str] | None = None, prog: str = "valuechain-icio") -> int:
    """The command; ``prog`` names it in messages (``valuechain icio`` when called through ``valuechain``)."""
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
        if args.save and args.save.suffix not in (".csv", ".parquet"):
            parser.error(f"--save {args.save}: use a .csv or .parquet file name")
        if args.max_rows < 0:
            parser.error(f"--max-rows {args.max_rows}: give the number of rows to print (0: every row)")
        for problem in inapplicable(args):
            parser.error(problem)
    except SystemExit as exc:  # argparse has printed the help (0) or the usage and the error (2)
        return 0 if exc.code is None else int(exc.code)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ac.AccountingWarning)
            out, files = _compute_all(args)
    except (ValueError, OSError, ImportError) as exc:  # OSError: unreadable files; ImportError: an extra missing
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    finally:
        for w in caught:
            if issubclass(w.category, ac.AccountingWarning):
                print(f"{prog}: warning: {w.message}", file=sys.stderr)
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    unit = "shares of gross exports" if args.shares else f"table units ({FORMATS[args.format].unit})"
    print(f"{args.method} | {args.table} | {', '.join(str(y) for y, _ in files if y is not None) or 'file'} | {unit}")
    with pd.option_context("display.width", 200, "display.max_columns", 30, "display.float_format", _fmt):
        print(out.to_string(index=False, max_rows=args.max_rows))
    if args.save:
        try:
            save(out, args.save)
        except ValueError as exc:
            print(f"{prog}: error: {exc}", file=sys.stderr)
            return 2
        print(f"saved {len(out)} rows to {args.save}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
