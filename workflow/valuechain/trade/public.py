"""Free official regional trade: the US Census Bureau's state exports and imports by HS and partner, and
Brazil's Comex Stat municipality files, read into the canonical long form (:mod:`valuechain.trade.canonical`).

US Census (``api.census.gov/data/timeseries/intltrade/{exports,imports}/statehs``): one JSON array of arrays
per flow, year and HS level, its first row the header. Variables: ``STATE`` (postal code of the state of
origin of exports, or of destination of imports), ``CTY_CODE`` (Census Schedule C country code), the year-to-date
value in USD (``ALL_VAL_YR`` for exports, ``GEN_VAL_YR``, general imports, for imports) and the commodity
(``E_COMMODITY`` / ``I_COMMODITY``) at ``COMM_LVL`` ``HS4`` or ``HS6``. Asking for ``MONTH=12`` makes the
year-to-date value the annual one. Schedule C codes are mapped to ISO3 through the Census's own code list
(``schedules/c/country.txt``: ``code | name | ISO alpha-2``). Rows that are not one state and one country are
totals: ``STATE`` ``-``, and Census groupings (``CTY_CODE`` starting with ``0``, continent totals ``nXXX``,
``-``); they are dropped and counted (keeping them would count trade twice). Any other unknown code is an error.

Comex Stat (``balanca.economia.gov.br``): ``EXP_YYYY_MUN.csv`` / ``IMP_YYYY_MUN.csv`` with the ``PAIS`` and
``UF`` tables, read by :func:`valuechain.trade.canonical.read_comexstat`; a state code missing from ``UF`` is an error.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd

from valuechain.trade.canonical import TradeDataError, _fail, read_comexstat, read_table, validate_canonical

log = logging.getLogger(__name__)

CENSUS_VARIABLES = {
    "export": {"value": "ALL_VAL_YR", "commodity": "E_COMMODITY", "path": "exports"},
    "import": {"value": "GEN_VAL_YR", "commodity": "I_COMMODITY", "path": "imports"},
}
_SCHEDULE_C_LINE = re.compile(r"^\s*(\d{4})\s*\|\s*(.*?)\s*\|\s*([A-Za-z-]{1,2})?\s*$")
# Schedule C entries whose ISO column holds no usable alpha-2 code, mapped by their Census code: the Gaza Strip
# and the West Bank are both Palestine (ISO 3166 PS).
SCHEDULE_C_ISO3 = {"5082": "PSE", "5083": "PSE"}
_CENSUS_GROUP = re.compile(r"^(0\d{3}|\dXXX|-)$")


def census_url(base: str, flow: str, year: int, level: str, key: str | None = None) -> str:
    """The Census API query of a flow's state trade for one year at ``level`` (``HS4``/``HS6``)."""
    v = CENSUS_VARIABLES[flow]
    query = {"get": f"STATE,CTY_CODE,{v['value']},{v['commodity']}", "YEAR": str(year), "MONTH": "12",
             "COMM_LVL": level}
    if key:
        query["key"] = key
    return f"{base.rstrip('/')}/{v['path']}/statehs?{urlencode(query, safe=',')}"


CENSUS_KEY_SIGNUP = "https://api.census.gov/data/key_signup.html"


def census_answer_problem(head: bytes, key_given: bool) -> str | None:
    """What is wrong with a Census API answer that starts with ``head`` (None: a JSON array, the data), in the
    words of what the answer shows. The API answers a request without a key, or with an invalid or expired one,
    with an HTML page served with status 200, and a query without data with an empty answer (status 204): such an
    answer must never be kept in the cache, so that the next run asks again."""
    start = head.lstrip()[:1]
    if start == b"[":
        return None
    if not start:
        return ("the Census API sent an empty answer (HTTP 204: no data for this query): check public.years and "
                "public.census.level")
    if start == b"<" and not key_given:
        return ("the Census API answered with its missing-key page (an HTML page instead of data): get a key at "
                f"{CENSUS_KEY_SIGNUP} and set the CENSUS_API_KEY environment variable (or public.census.api_key)")
    if start == b"<":
        return ("the Census API sent an HTML page instead of data, as it does for an invalid or expired API key: "
                "check CENSUS_API_KEY (or public.census.api_key)")
    return f"the Census API sent no JSON array but text starting {head.lstrip()[:60]!r}"


def read_schedule_c(path: str | Path) -> dict[str, str]:
    """Census Schedule C country codes -> ISO3, from the Census's ``country.txt`` (``code | name | ISO2``
    lines; headings are skipped). Codes of :data:`SCHEDULE_C_ISO3` take its ISO3; a listed code whose ISO column is
    blank, ``-`` or no ISO alpha-2 maps to None (read_census names it)."""
    import pycountry

    codes = {}
    with open(path, encoding="latin-1") as fh:
        for line in fh:
            m = _SCHEDULE_C_LINE.match(line)
            if m:
                alpha2 = (m.group(3) or "").upper()
                country = pycountry.countries.get(alpha_2=alpha2) if len(alpha2) == 2 else None
                codes[m.group(1)] = SCHEDULE_C_ISO3.get(m.group(1)) or (
                    country.alpha_3 if country else {"XK": "XKX"}.get(alpha2))
    if not any(codes.values()):
        raise TradeDataError(f"{path}: no 'code | name | ISO code' line; not the Census Schedule C country list")
    return codes


CENSUS_TOTAL_REASON = "total or country grouping of the Census (STATE -, CTY_CODE 0nnn, nXXX or -)"


def read_census(path: str | Path, flow: str, schedule_c: dict[str, str], dropped: list[pd.DataFrame] | None = None,
                **checks) -> pd.DataFrame:
    """One Census API response (JSON array of arrays, header first) to the canonical form (``checks``: see
    :func:`valuechain.trade.canonical.check_rows`). The rows dropped, totals included, are appended to ``dropped`` with
    their reason when it is given."""
    source = str(path)
    try:
        rows = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TradeDataError(f"{source}: not a Census API response (JSON array of arrays): {exc}") from exc
    if not isinstance(rows, list) or not rows or not all(isinstance(r, list) for r in rows):
        raise TradeDataError(f"{source}: not a Census API response (JSON array of arrays with a header row)")
    v = CENSUS_VARIABLES[flow]
    raw = pd.DataFrame(rows[1:], columns=rows[0], dtype=str)
    missing = [c for c in ("STATE", "CTY_CODE", v["value"], v["commodity"], "YEAR") if c not in raw.columns]
    if missing:
        raise TradeDataError(f"{source}: missing Census variable(s) {missing}; found {list(raw.columns)}")
    cty = raw["CTY_CODE"].astype(str).str.strip()
    total = cty.str.match(_CENSUS_GROUP) | (raw["STATE"].astype(str).str.strip() == "-")
    partner = cty.map(schedule_c)
    listed = cty.isin(list(schedule_c))
    bad = partner.isna() & ~total & listed
    if bad.any():
        _fail(source, "CTY_CODE", "Census country code that Schedule C lists without an ISO country code (add it to "
              "valuechain.trade.public.SCHEDULE_C_ISO3)", bad.to_numpy(), raw["CTY_CODE"])
    bad = partner.isna() & ~total
    if bad.any():
        _fail(source, "CTY_CODE", "Census country code not in Schedule C", bad.to_numpy(), raw["CTY_CODE"])
    if total.any():
        log.info("%s: %d rows of totals and country groupings dropped", source, int(total.sum()))
    keep = ~total.to_numpy()
    canonical = pd.DataFrame({
        "year": raw["YEAR"], "flow": flow, "country": "USA", "region": raw["STATE"], "partner": partner.where(keep, cty),
        "hs": raw[v["commodity"]].astype(str).str.strip(), "value": raw[v["value"]],
    })
    if dropped is not None and total.any():
        totals = canonical[~keep]
        dropped.append(totals.assign(year=pd.to_numeric(totals["year"]).astype("int32"),
                                     value=pd.to_numeric(totals["value"]).astype("float64"),
                                     reason=CENSUS_TOTAL_REASON).reset_index(drop=True))
    # several Census codes of one country (the Gaza Strip and the West Bank: PSE) are added up
    return validate_canonical(canonical[keep].reset_index(drop=True), source, "sum", dropped=dropped, **checks)


def check_comex_states(trade: pd.DataFrame, uf: str | Path) -> None:
    """Every Comex Stat state code is in its ``UF`` table (``SG_UF``); municipality codes are not checked."""
    table = read_table(uf)
    if "SG_UF" not in table.columns:
        raise TradeDataError(f"{uf}: missing column 'SG_UF' of the Comex Stat UF table; found {list(table.columns)}")
    regions = trade["region"]
    states = regions[~regions.str.fullmatch(r"\d+")]
    unknown = sorted(set(states) - set(table["SG_UF"].str.strip()))
    if unknown:
        raise TradeDataError(f"Comex Stat state codes {unknown[:5]} are not in the UF table {uf}")


def public_trade(census: dict[str, list[str]], schedule_c: str | None, comex: list[str], pais: str | None,
                 uf: str | None, comexstat_region: str = "state", **checks) -> pd.DataFrame:
    """The canonical table of the chosen public sources: ``census`` maps ``export``/``import`` to response
    files; ``comex`` lists Comex Stat ``EXP_``/``IMP_`` files. Checked like any trade input (``checks``: see
    :func:`valuechain.trade.canonical.validate_canonical`, ``dropped`` included)."""
    frames = []
    if any(census.values()):
        codes = read_schedule_c(schedule_c)
        frames += [read_census(path, flow, codes, **checks) for flow, paths in census.items() for path in paths]
    if comex:
        trade = read_comexstat(comex, pais, "error", region=comexstat_region, **checks)
        if uf and comexstat_region == "state":
            check_comex_states(trade, uf)
        frames.append(trade)
    if not frames:
        raise TradeDataError("public trade: no source chosen (public.countries lists USA and/or BRA)")
    # each part is checked; they cannot overlap (different reporters), and ingestion checks the whole again
    return pd.concat(frames, ignore_index=True).sort_values(["year", "flow", "country", "region", "partner", "hs"], kind="stable",
                           ignore_index=True)

