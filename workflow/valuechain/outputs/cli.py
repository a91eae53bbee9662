"""``valuechain``: a run's results from the command line.

Examples (on the demo run, ``results/demo``; ``--run`` names another run's folder)::

    valuechain links 8703                      # the inputs of cars and the products cars feed, with their evidence
    valuechain links "tyres"                   # a product found by words of its name
    valuechain flows --input 4011 --output 8703 --by country --top 10
    valuechain flows --input 8708 --by region --format csv > parts.csv
    valuechain positions BRA                   # a country's trophic position and its regions'
    valuechain icio resources/wiod2013 --year 2011 --method gvc    # as valuechain-icio

Every command prints a table (``--format table``, the default), CSV or JSON records (``--format csv|json``, for
other programs). :func:`main` returns 0, or 2 with one ``valuechain: error:`` line on stderr when the run's
folder lacks what the command reads, a product or place is unknown or a name is ambiguous (the candidates are
listed).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from valuechain.flows.query import query_flows
from valuechain.outputs.search import find_products
from valuechain.trade.canonical import country_names, region_names

FORMATS = ("table", "csv", "json")


class RunError(ValueError):
    """What the user asked cannot be answered from this run's folder (the message says what to do)."""


def _read(run: Path, relative: str, what: str) -> pd.DataFrame:
    path = run / relative
    if not path.exists():
        raise RunError(f"{path}: not found; {what} needs a finished run (snakemake --cores N), or --run FOLDER "
                       "naming another run's results")
    return pd.read_parquet(path)


def product_names(links: pd.DataFrame) -> pd.Series:
    """HS code -> name of every product of the annotated links."""
    both = pd.concat([links[["output", "output_name"]].set_axis(["hs", "name"], axis=1),
                      links[["input", "input_name"]].set_axis(["hs", "name"], axis=1)])
    return both.drop_duplicates("hs").set_index("hs")["name"].sort_index()


def resolve_product(query: str, names: pd.Series) -> str:
    """The HS code ``query`` is, the product whose name is ``query`` or the only product whose name matches it
    (:func:`valuechain.outputs.search.find_products`); an unknown code, no match or several matches is a
    :class:`RunError` listing the best candidates, so that a command never answers for a product the user did not
    mean."""
    query = query.strip()
    if re.fullmatch(r"\d{2,6}", query):
        if query in names.index:
            return query
        raise RunError(f"product {query}: not in this run's network (no link has it as input or output)")
    found = find_products(query, names)
    if found.empty:
        raise RunError(f"product {query!r}: no product name matches; give an HS code or other words")
    if len(found) > 1 and found["score"].iloc[0] < 3:
        listed = "; ".join(f"{hs} {name}" for hs, name in zip(found["hs"].head(8), found["name"].head(8)))
        raise RunError(f"product {query!r}: {len(found)} products match, the best: {listed}; give the HS code")
    return str(found["hs"].iloc[0])


LINK_COLUMNS = ["rank", "confidence", "estimated_precision", "reference", "reference_share"]


def product_links(links: pd.DataFrame, hs: str) -> pd.DataFrame:
    """The links of ``hs`` from the annotated links: its inputs (``role`` "input", by rank) and the products it
    feeds (``role`` "feeds", by decreasing estimated precision, then confidence and code), with each method's
    rank."""
    ranks = [c for c in links.columns if c.startswith("rank_")]
    inputs = links[links["output"] == hs].rename(columns={"input": "product", "input_name": "name"})
    feeds = links[links["input"] == hs].rename(columns={"output": "product", "output_name": "name"})
    feeds = feeds.sort_values(["estimated_precision", "confidence", "product"], ascending=[False, False, True],
                              na_position="last", kind="stable")
    cols = ["role", "product", "name", *LINK_COLUMNS, *ranks]
    return pd.concat([inputs.assign(role="input")[cols], feeds.assign(role="feeds")[cols]], ignore_index=True)


def link_evidence_line(links: pd.DataFrame, input_hs: str, output_hs: str) -> str:
    """One line saying how sure the run is of the link ``input_hs -> output_hs``."""
    row = links[(links["input"] == input_hs) & (links["output"] == output_hs)]
    if row.empty:
        return f"{input_hs} -> {output_hs} is not a link of this run's network"
    r = row.iloc[0]
    share = "" if pd.isna(r["reference_share"]) else f", share {r['reference_share']:.3f}"
    precision = "unknown" if pd.isna(r["estimated_precision"]) else f"{r['estimated_precision']:.2f}"
    return (f"{input_hs} {r['input_name']} -> {output_hs} {r['output_name']}: rank {r['rank']}, confidence "
            f"{r['confidence']:.3f}, estimated precision {precision}, reference: {r['reference']}{share}")


def flows_sql(input_hs: str | None, output_hs: str | None, by: str, top: int) -> str:
    """The SQL of ``valuechain flows``: the flows of the links asked for summed by country pair (``by``
    "country") or by region pair ("region"), largest first, ``top`` rows (0: all)."""
    asked = [(col, code) for col, code in (("input", input_hs), ("output", output_hs)) if code]
    if not asked or not all(re.fullmatch(r"\d{2,6}", code) for _, code in asked):
        raise RunError(f"flows: HS codes expected, got input {input_hs!r}, output {output_hs!r}")
    where = " AND ".join(f"{col} = '{code}'" for col, code in asked)
    places = "country_from, country_to" if by == "country" else "country_from, region_from, country_to, region_to"
    limit = f" LIMIT {top}" if top else ""
    return (f"SELECT input, output, {places}, sum(value) AS value, sum(lower) AS lower, sum(upper) AS upper "
            f"FROM flows WHERE {where} GROUP BY input, output, {places} "
            f"ORDER BY value DESC, input, output, {places}{limit}")


def positions(regions: pd.DataFrame, countries: pd.DataFrame, place: str) -> pd.DataFrame:
    """The trophic positions of ``place``: a country code gives the country (``scope`` "country") and its regions,
    a region code the region, whatever their case; with the country's name and the region's where it is a named
    subdivision (a US or Brazilian state)."""
    key = place.strip().upper()
    cols = ["tl_imp", "tl_exp", "jump", "nitl", "ntj", "diversification"]
    country = countries[countries["country"].str.upper() == key]
    region = regions[(regions["region"].str.upper() == key) |
                     (regions["country"].str.upper() == key)].sort_values(["country", "region"])
    out = pd.concat([country.assign(region="", scope="country"), region.assign(scope="region")], ignore_index=True)
    if out.empty:
        raise RunError(f"place {place!r}: neither a country nor a region of this run (countries: "
                       f"{', '.join(sorted(countries['country']))})")
    out["country_name"] = out["country"].map(country_names(out["country"]))
    out["region_name"] = region_names(out["country"], out["region"])
    return out[["scope", "country", "country_name", "region", "region_name", *cols]]


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def emit(df: pd.DataFrame, fmt: str, title: str | None = None) -> None:
    """Print ``df`` as a table (with ``title`` above), CSV or JSON records."""
    if fmt == "csv":
        sys.stdout.write(df.to_csv(index=False, lineterminator="\n"))
    elif fmt == "json":
        sys.stdout.write(df.to_json(orient="records", indent=1) + "\n")
    else:
        if title:
            print(title)
        with pd.option_context("display.width", 200, "display.max_columns", 40, "display.max_colwidth", 40):
            print(df.to_string(index=False, float_format=lambda v: f"{v:.4f}" if abs(v) < 10 else f"{v:,.0f}"))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="valuechain", description="A run's product links, flows and positions; "
                                "value-added accounting on ICIO tables (valuechain icio).")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--run", type=Path, default=Path("results/demo"),
                        help="the run's results folder (default results/demo)")
    common.add_argument("--format", choices=FORMATS, default="table", help="table (default) | csv | json")
    links = sub.add_parser("links", parents=[common], help="a product's inputs and the products it feeds, with "
                           "their evidence")
    links.add_argument("product", help="HS code, or words of the product's name")
    flows = sub.add_parser("flows", parents=[common], help="the flows along links, by country or region pair")
    flows.add_argument("--input", help="the input product (HS code or name)")
    flows.add_argument("--output", help="the output product (HS code or name)")
    flows.add_argument("--by", choices=("country", "region"), default="country", help="country (default) | region")
    flows.add_argument("--top", type=int, default=20, help="rows (default 20; 0: all)")
    pos = sub.add_parser("positions", parents=[common], help="trophic position of a country or region")
    pos.add_argument("place", help="country (ISO3) or region code")
    sub.add_parser("icio", add_help=False, help="value-added accounting on an ICIO table (valuechain icio --help)")
    return p


def run_command(args: argparse.Namespace) -> None:
    links = _read(args.run, "links/annotated.parquet", f"valuechain {args.command}")
    if args.command == "links":
        names = product_names(links)
        hs = resolve_product(args.product, names)
        table = product_links(links, hs)
        if table.empty:
            raise RunError(f"product {hs}: no link in this run's network")
        n_inputs, n_fed = (table["role"] == "input").sum(), (table["role"] == "feeds").sum()
        emit(table, args.format, f"{hs} {names[hs]}: {plural(n_inputs, 'input')}, feeds "
             f"{plural(n_fed, 'product')} ({links['method'].iloc[0]} network)")
    elif args.command == "flows":
        if not (args.input or args.output):
            raise RunError("flows: give --input, --output or both")
        if args.top < 0:
            raise RunError(f"--top {args.top}: give the number of rows (0: all)")
        names = product_names(links)
        input_hs = resolve_product(args.input, names) if args.input else None
        output_hs = resolve_product(args.output, names) if args.output else None
        factors = args.run / "flows" / "factors"
        if not (factors / "users.parquet").exists():
            raise RunError(f"{factors}: not found; the flows need a run with trade data")
        table = query_flows(factors, flows_sql(input_hs, output_hs, args.by, args.top))
        title = (link_evidence_line(links, input_hs, output_hs) if input_hs and output_hs else
                 f"flows of {input_hs or 'every input'} into {output_hs or 'every output'}, by {args.by} pair (USD)")
        emit(table, args.format, title)
    else:
        table = positions(_read(args.run, "analysis/trophic_position_regions.parquet", "valuechain positions"),
                          _read(args.run, "analysis/trophic_position_countries.parquet", "valuechain positions"),
                          args.place)
        emit(table, args.format, f"trophic position of {args.place} (NITL, NTJ: docs/method.md section 7)")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["icio"]:
        from valuechain.icio.cli import main as icio_main

        return icio_main(argv[1:], prog="valuechain icio")
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed the help (0) or the usage and the error (2)
        return 0 if exc.code is None else int(exc.code)
    try:
        run_command(args)
    except BrokenPipeError:  # the reader stopped early (| head): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (RunError, OSError) as exc:
        print(f"valuechain: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
