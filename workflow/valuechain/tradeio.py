"""Reading and validating regional trade data into the canonical long form (docs/method.md section 1).

Canonical form: one row per ``(year, flow, country, region, partner, hs)`` with ``value`` in USD:
``year`` int; ``flow`` in {export, import}; ``country`` ISO3 of the reporting region's country; ``region``
unique within its country; ``partner`` ISO3; ``hs`` a zero-padded HS code string of 2, 4 or 6 digits;
``value`` >= 0.

Readers: :func:`read_canonical` (CSV or Parquet already in that form), :func:`read_oec` (OEC regional
exports/imports), :func:`read_comexstat` (Brazil's Comex Stat municipality files). All end in
:func:`validate_canonical`, which raises :class:`TradeDataError` naming the file, row and column of the
first bad values (up to five of them), so nothing downstream is ever computed from bad input.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

CANONICAL_COLUMNS = ["year", "flow", "country", "region", "partner", "hs", "value"]
KEY_COLUMNS = ["year", "flow", "country", "region", "partner", "hs"]
FLOWS = ("export", "import")
_HS = re.compile(r"^(\d{2}|\d{4}|\d{6})$")


log = logging.getLogger(__name__)


class TradeDataError(ValueError):
    """Bad trade input; the message names the file, the row(s) and the column."""


def _rows_text(rows: np.ndarray, values, limit: int = 5) -> str:
    shown = ", ".join(f"row {int(r)} ({v!r})" for r, v in list(zip(rows, values))[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return shown + more


def _fail(source: str, column: str, problem: str, mask: np.ndarray, values: pd.Series,
          error: type[ValueError] = TradeDataError) -> None:
    """Raise ``error`` for the rows where ``mask`` is true. Rows are numbered 1 = first data row (CSV line 2)."""
    rows = np.flatnonzero(mask)
    raise error(
        f"{source}: column '{column}': {problem} at {_rows_text(rows + 1, values.iloc[rows].tolist())}"
    )


SEPARATORS = (",", ";", "\t", "|")
YEAR_RANGE = (1900, 2100)
DOMINANT_SHARE = 0.5  # one cell above this share of all trade gets a warning


def detect_separator(text: str, candidates: Sequence[str] = SEPARATORS) -> str:
    """The separator of a CSV sample: the candidate giving the most columns, the same number on every line of
    the sample, with quotes respected (a ``;`` inside a quoted comma-separated name is not a separator).
    ``,`` when no candidate splits the header."""
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may cut its last line short
    best, best_width = ",", 1
    for sep in candidates:
        widths = {len(row) for row in csv.reader(lines, delimiter=sep)}
        if len(widths) == 1 and (width := widths.pop()) > best_width:
            best, best_width = sep, width
    return best


def read_table(path: str | Path, sep: str | None = None) -> pd.DataFrame:
    """A CSV (every column read as text, so codes keep their leading zeros; UTF-8 or Latin-1; separator
    :func:`detect_separator`'d unless ``sep`` is given) or Parquet file. Raises :class:`TradeDataError` naming
    the file for a missing, empty, binary or unparsable file."""
    path = Path(path)
    if not path.is_file():
        raise TradeDataError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise TradeDataError(f"{path}: empty file (0 bytes)")
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            return pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise TradeDataError(f"{path}: not a readable Parquet file ({exc})") from exc
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if b"\x00" in head or head.startswith(b"PAR1"):
        raise TradeDataError(f"{path}: binary content, not a text CSV (a Parquet file needs the .parquet suffix)")
    for encoding in ("utf-8-sig", "latin-1"):  # Comex Stat ships Latin-1 files
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            return pd.read_csv(path, dtype=str, sep=sep or detect_separator(text), keep_default_na=False,
                               encoding=encoding)
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise TradeDataError(f"{path}: not a readable CSV ({exc})") from exc
    raise TradeDataError(f"{path}: neither UTF-8 nor Latin-1 text")


@lru_cache(maxsize=1)
def iso3_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-3 code (pycountry), plus XKX (Kosovo, used by most trade statistics)."""
    import pycountry

    return frozenset({c.alpha_3 for c in pycountry.countries} | {"XKX"})


def _partner_codes(df: pd.DataFrame, source: str, aggregates: dict[str, str]) -> tuple[pd.Series, np.ndarray]:
    """Partner ISO3 codes, and the rows of aggregate partners to drop.

    ``aggregates`` maps partner labels that are not countries (``World``, ``Other Asia, nes``; matched without
    regard to case) to ``drop`` (the rows are removed: a total or an unallocated remainder would be counted
    twice or mislocated) or to a code of ISO's user-assigned range ``X..`` under which they are kept."""
    raw = df["partner"].astype(str).str.strip()
    treatment = {str(k).strip().upper(): v for k, v in (aggregates or {}).items()}
    action = raw.str.upper().map(treatment)
    code = raw.str.upper().where(action.isna() | (action == "drop"), action)
    kept = {v for v in treatment.values() if v != "drop"}
    bad = action.isna() & ~code.isin(iso3_codes() | kept)
    if bad.any():
        _fail(source, "partner", "not an ISO3 country code (aggregates such as 'World' need an entry in "
              "ingest.partner_aggregates)", bad.to_numpy(), df["partner"])
    return code, (action == "drop").to_numpy()


def _hs_overlap(out: pd.DataFrame) -> np.ndarray:
    """Rows whose HS code is also given at a finer level for the same year, flow, region and partner (an HS4
    row and HS6 rows of that heading): counting both would count that trade twice."""
    group = ["year", "flow", "country", "region", "partner"]
    lengths = out["hs"].str.len().to_numpy()
    coarse = np.zeros(len(out), dtype=bool)
    levels = sorted(set(lengths.tolist()))
    for i, short in enumerate(levels):
        rows = np.flatnonzero(lengths == short)
        keys = pd.MultiIndex.from_frame(out.iloc[rows][group + ["hs"]])
        for long in levels[i + 1:]:
            fine = out[lengths == long]
            finer = pd.MultiIndex.from_frame(fine[group].assign(hs=fine["hs"].str[:short]))
            coarse[rows[keys.isin(finer)]] = True
    return coarse


def validate_canonical(df: pd.DataFrame, source: str, duplicates: str = "error", hs_overlap: str = "error",
                       partner_aggregates: dict[str, str] | None = None) -> pd.DataFrame:
    """Check and type a canonical table; raise :class:`TradeDataError` on the first bad column.

    ``duplicates="sum"`` adds up rows with the same key instead of rejecting them. ``hs_overlap``: a code given
    at two HS levels for the same flow (an HS4 row and HS6 rows of that heading) is an ``error``, or the
    ``finest`` rows are kept. ``partner_aggregates``: see :func:`_partner_codes`. Warns (log) when HS levels
    are mixed without overlap and when one row holds more than half of all trade.
    """
    missing = [c for c in CANONICAL_COLUMNS if c not in df.columns]
    if missing:
        raise TradeDataError(f"{source}: missing column(s) {missing}; found {list(df.columns)}")
    if len(df) == 0:
        raise TradeDataError(f"{source}: no data rows (only a header)")
    df = df[CANONICAL_COLUMNS].reset_index(drop=True)
    out = pd.DataFrame(index=df.index)

    year = pd.to_numeric(df["year"], errors="coerce")
    bad = year.isna() | (year != np.floor(year))
    if bad.any():
        _fail(source, "year", "not an integer year", bad.to_numpy(), df["year"])
    bad = (year < YEAR_RANGE[0]) | (year > YEAR_RANGE[1])
    if bad.any():
        _fail(source, "year", f"year outside {YEAR_RANGE[0]}-{YEAR_RANGE[1]}", bad.to_numpy(), df["year"])
    out["year"] = year.astype("int32")

    flow = df["flow"].astype(str).str.strip().str.lower()
    bad = ~flow.isin(FLOWS)
    if bad.any():
        _fail(source, "flow", f"unknown flow (expected one of {FLOWS})", bad.to_numpy(), df["flow"])
    out["flow"] = flow

    code = df["country"].astype(str).str.strip().str.upper()
    bad = ~code.isin(iso3_codes())
    if bad.any():
        _fail(source, "country", "not an ISO3 country code", bad.to_numpy(), df["country"])
    out["country"] = code
    region = df["region"].astype(str).str.normalize("NFC").str.strip()
    bad = df["region"].isna().to_numpy() | (region == "").to_numpy()
    if bad.any():
        _fail(source, "region", "empty region", bad, df["region"])
    out["region"] = region  # one spelling per name: "São Paulo" composed or decomposed is one region
    out["partner"], aggregate = _partner_codes(df, source, partner_aggregates)

    if pd.api.types.is_numeric_dtype(df["hs"]):
        raise TradeDataError(
            f"{source}: column 'hs': numeric codes lose their leading zeros; store HS codes as zero-padded "
            f"strings ('0101', not 101)"
        )
    hs = df["hs"].astype(str).str.strip()
    bad = ~hs.str.match(_HS)
    if bad.any():
        _fail(source, "hs", "malformed HS code (expected 2, 4 or 6 digits)", bad.to_numpy(), df["hs"])
    out["hs"] = hs

    value = pd.to_numeric(df["value"], errors="coerce")
    bad = value.isna() | ~np.isfinite(value)
    if bad.any():
        _fail(source, "value", "non-numeric value", bad.to_numpy(), df["value"])
    bad = value < 0
    if bad.any():
        _fail(source, "value", "negative value", bad.to_numpy(), df["value"])
    out["value"] = value.astype("float64")
    out = out[CANONICAL_COLUMNS]

    dup = out.duplicated(KEY_COLUMNS, keep=False).to_numpy()
    if dup.any() and duplicates == "error":
        keys = out[KEY_COLUMNS].astype(str).agg("/".join, axis=1)
        _fail(source, "/".join(KEY_COLUMNS), "duplicate key (set duplicates: sum to add them up)", dup, keys)
    if duplicates not in ("error", "sum"):
        raise ValueError(f"duplicates must be 'error' or 'sum', got {duplicates!r}")
    coarse = _hs_overlap(out)
    if coarse.any():
        if hs_overlap == "error":
            _fail(source, "hs", "code also given at a finer HS level for the same flow, region and partner "
                  "(counted twice; set ingest.hs_overlap: finest to keep the finer rows)", coarse, out["hs"])
        if hs_overlap != "finest":
            raise ValueError(f"hs_overlap must be 'error' or 'finest', got {hs_overlap!r}")
        log.warning("%s: %d rows also given at a finer HS level dropped (hs_overlap: finest)", source,
                    int(coarse.sum()))
    elif out["hs"].str.len().nunique() > 1:
        log.warning("%s: HS levels mixed without overlap (%s digits)", source,
                    sorted(out["hs"].str.len().unique().tolist()))
    if aggregate.any():
        log.warning("%s: %d rows of aggregate partners dropped (%s)", source, int(aggregate.sum()),
                    sorted(df.loc[aggregate, "partner"].astype(str).str.strip().unique().tolist()))
    counted = ~aggregate & ~coarse
    total = out.loc[counted, "value"].sum()
    if total <= 0:
        raise TradeDataError(f"{source}: column 'value': every counted value is 0; there is no trade to analyse")
    share = np.where(counted, out["value"] / total, 0.0)
    if len(out) > 1 and share.max() > DOMINANT_SHARE:
        row = int(share.argmax())
        log.warning("%s: row %d holds %.0f%% of all trade (%s); check its unit", source, row + 1,
                    100 * share.max(), "/".join(map(str, out.iloc[row].tolist())))
    out = out[counted]
    if dup.any():
        out = out.groupby(KEY_COLUMNS, as_index=False, sort=False)["value"].sum()
    return out.reset_index(drop=True)


def read_canonical(path: str | Path, duplicates: str = "error", sep: str | None = None, **checks) -> pd.DataFrame:
    """A CSV or Parquet file already in the canonical long form (``checks``: see :func:`validate_canonical`)."""
    return validate_canonical(read_table(path, sep), str(path), duplicates, **checks)


# --- OEC regional trade -------------------------------------------------------------------------------

OEC_COLUMNS = ["country_states", "state_name", "trade_flow_name", "country_name", "product_id",
               "trade_value", "year"]
# Names the OEC uses that are not ISO 3166 names or common names in pycountry.
_NAME_ALIASES = {
    "russia": "RUS", "south korea": "KOR", "north korea": "PRK", "iran": "IRN", "vietnam": "VNM",
    "taiwan": "TWN", "chinese taipei": "TWN", "bolivia": "BOL", "venezuela": "VEN", "tanzania": "TZA",
    "syria": "SYR", "laos": "LAO", "moldova": "MDA", "czech republic": "CZE", "czechia": "CZE",
    "macedonia": "MKD", "north macedonia": "MKD", "turkey": "TUR", "ivory coast": "CIV",
    "cote d'ivoire": "CIV", "democratic republic of the congo": "COD", "dr congo": "COD",
    "republic of the congo": "COG", "congo": "COG", "hong kong": "HKG", "macau": "MAC", "macao": "MAC",
    "brunei": "BRN", "cape verde": "CPV", "swaziland": "SWZ", "eswatini": "SWZ", "micronesia": "FSM",
    "palestine": "PSE", "kosovo": "XKX", "united states": "USA", "united kingdom": "GBR",
    "the gambia": "GMB", "gambia": "GMB", "the bahamas": "BHS", "bahamas": "BHS",
}


def _country_table() -> dict[str, str]:
    """Lower-case country names and ISO3 codes -> ISO3 (pycountry's ISO 3166 names plus OEC aliases)."""
    import pycountry

    table = dict(_NAME_ALIASES)
    for c in pycountry.countries:
        table.setdefault(c.alpha_3.lower(), c.alpha_3)
        for attr in ("name", "official_name", "common_name"):
            if hasattr(c, attr):
                table.setdefault(getattr(c, attr).lower(), c.alpha_3)
    return table


def country_name_to_iso3(names: Iterable[str]) -> dict[str, str | None]:
    """ISO3 of country names (ISO name, official or common name, or a known OEC alias); None if unknown."""
    table = _country_table()
    return {n: table.get(str(n).strip().lower()) for n in names}


def reporting_country_to_iso3(labels: Iterable[str]) -> dict[str, str | None]:
    """ISO3 of the OEC ``country_states`` labels: a country name or code, alone ("Brazil", "BRA") or
    followed by the kind of region ("Brazil States", "usa_state"); None if no country is recognised."""
    table = _country_table()
    out = {}
    for label in labels:
        text = str(label).strip().lower()
        first = re.split(r"[\s_\-]+", text)[0] if text else ""
        out[label] = table.get(text) or table.get(first)
    return out


def read_oec(path: str | Path, duplicates: str = "error", sep: str | None = None, **checks) -> pd.DataFrame:
    """OEC regional trade (columns :data:`OEC_COLUMNS`) to the canonical form.

    ``country_states`` names the reporting country of the subnational data set, alone or with the kind of
    region (``Brazil``, ``Brazil States``, ``usa_state`` as in the OEC's ``trade_s_usa_state_m_hs`` cubes).
    ``product_id`` is an HS6 integer whose leading zero was dropped; it is re-padded to
    6 digits. Partners are country names, mapped to ISO3 (an unknown name is an error naming its rows, unless
    it is one of ``checks["partner_aggregates"]``).
    """
    source = str(path)
    raw = read_table(path, sep)
    missing = [c for c in OEC_COLUMNS if c not in raw.columns]
    if missing:
        raise TradeDataError(f"{source}: missing OEC column(s) {missing}; found {list(raw.columns)}")
    flow_map = {"exports": "export", "imports": "import"}
    flow = raw["trade_flow_name"].astype(str).str.strip().str.lower().map(flow_map)
    bad = flow.isna()
    if bad.any():
        _fail(source, "trade_flow_name", "unknown flow (expected Exports or Imports)", bad.to_numpy(),
              raw["trade_flow_name"])
    aggregates = {str(k).strip().upper() for k in (checks.get("partner_aggregates") or {})}
    iso = country_name_to_iso3(raw["country_name"].unique())
    partner = raw["country_name"].map(iso)
    listed = raw["country_name"].astype(str).str.strip().str.upper().isin(aggregates)
    partner = partner.where(~listed, raw["country_name"])  # left for validate_canonical to treat
    bad = partner.isna()
    if bad.any():
        _fail(source, "country_name", "unknown partner country name", bad.to_numpy(), raw["country_name"])
    reporter = raw["country_states"].map(reporting_country_to_iso3(raw["country_states"].unique()))
    bad = reporter.isna()
    if bad.any():
        _fail(source, "country_states", "no reporting country recognised", bad.to_numpy(), raw["country_states"])
    product = raw["product_id"].astype(str).str.strip()
    bad = ~product.str.fullmatch(r"\d{5,6}")
    if bad.any():
        _fail(source, "product_id", "malformed HS6 product id", bad.to_numpy(), raw["product_id"])
    canonical = pd.DataFrame(
        {
            "year": raw["year"],
            "flow": flow,
            "country": reporter,
            "region": raw["state_name"],
            "partner": partner,
            "hs": product.str.zfill(6),
            "value": raw["trade_value"],
        }
    )
    return validate_canonical(canonical, source, duplicates, **checks)


# --- Brazil's Comex Stat ------------------------------------------------------------------------------

COMEX_REGION = {"state": "SG_UF_MUN", "municipality": "CO_MUN"}


def read_comexstat_countries(path: str | Path | None) -> dict[str, str]:
    """Comex Stat's ``PAIS`` table as ``CO_PAIS`` (without leading zeros) -> ``CO_PAIS_ISOA3``."""
    if not path:
        raise TradeDataError("format comexstat needs Comex Stat's PAIS table (CO_PAIS -> CO_PAIS_ISOA3): set "
                             "comexstat_countries to its path, or use source: public to retrieve it")
    pais = read_table(path)
    for col in ("CO_PAIS", "CO_PAIS_ISOA3"):
        if col not in pais.columns:
            raise TradeDataError(f"{path}: missing column '{col}' of the Comex Stat PAIS table; found "
                                 f"{list(pais.columns)}")
    return dict(zip(pais["CO_PAIS"].astype(str).str.strip().str.lstrip("0"),
                    pais["CO_PAIS_ISOA3"].astype(str).str.strip()))


def read_comexstat(
    paths: str | Path | Iterable[str | Path], countries: str | Path | None, duplicates: str = "error",
    sep: str | None = None, region: str = "state", **checks,
) -> pd.DataFrame:
    """Comex Stat municipality files (``EXP_YYYY_MUN.csv``, ``IMP_YYYY_MUN.csv``) to the canonical form.

    Columns used: ``CO_ANO`` (year), ``SH4``, ``CO_PAIS`` (partner, mapped to ISO3 with the ``PAIS`` table
    ``countries``, :func:`read_comexstat_countries`), ``SG_UF_MUN`` (the state; ``region="state"``) or
    ``CO_MUN`` (the municipality code; ``region="municipality"``), ``VL_FOB`` (USD). The flow comes from the
    file name (``EXP_``/``IMP_``). The files hold one row per month and municipality; adding the months (and
    the municipalities of a state) is the design, not a duplicate. Rows repeating a whole Comex key (year,
    month, product, partner, state, municipality) are duplicates, handled by ``duplicates``.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = list(paths)
    iso = read_comexstat_countries(countries)
    if region not in COMEX_REGION:
        raise ValueError(f"Comex Stat region must be one of {sorted(COMEX_REGION)}, got {region!r}")
    frames = []
    for path in paths:
        source = str(path)
        name = Path(path).name.upper()
        if name.startswith("EXP"):
            flow = "export"
        elif name.startswith("IMP"):
            flow = "import"
        else:
            raise TradeDataError(f"{source}: Comex Stat file names start with EXP_ or IMP_ (the flow)")
        raw = read_table(path, sep)
        region_col = COMEX_REGION[region]
        missing = [c for c in ("CO_ANO", "SH4", "CO_PAIS", region_col, "VL_FOB") if c not in raw.columns]
        if missing:
            raise TradeDataError(f"{source}: missing Comex Stat column(s) {missing}; found {list(raw.columns)}")
        key = [c for c in ("CO_ANO", "CO_MES", "SH4", "CO_PAIS", "SG_UF_MUN", "CO_MUN") if c in raw.columns]
        dup = raw.duplicated(key, keep=False).to_numpy()
        if dup.any() and duplicates == "error":
            _fail(source, "/".join(key), "duplicate Comex Stat key (set duplicates: sum to add them up)", dup,
                  raw[key].agg("/".join, axis=1))
        partner = raw["CO_PAIS"].astype(str).str.strip().str.lstrip("0").map(iso)
        bad = partner.isna()
        if bad.any():
            _fail(source, "CO_PAIS", "country code not in the PAIS table", bad.to_numpy(), raw["CO_PAIS"])
        canonical = pd.DataFrame(
            {
                "year": raw["CO_ANO"],
                "flow": flow,
                "country": "BRA",
                "region": raw[region_col],
                "partner": partner,
                "hs": raw["SH4"].astype(str).str.strip().str.zfill(4),
                "value": raw["VL_FOB"],
            }
        )
        frames.append(validate_canonical(canonical, source, "sum", **checks))
    return validate_canonical(pd.concat(frames, ignore_index=True), ", ".join(map(str, paths)), "error",
                              **checks)


def read_trade(paths, fmt: str = "canonical", duplicates: str = "error", countries=None, sep: str | None = None,
               comexstat_region: str = "state", **checks) -> pd.DataFrame:
    """Dispatch on ``fmt`` (canonical | oec | comexstat); ``paths`` is one path or a list. ``checks``:
    ``hs_overlap`` and ``partner_aggregates`` (:func:`validate_canonical`)."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = list(paths)
    if fmt == "comexstat":
        return read_comexstat(paths, countries, duplicates, sep, comexstat_region, **checks)
    reader = {"canonical": read_canonical, "oec": read_oec}.get(fmt)
    if reader is None:
        raise ValueError(f"unknown trade format {fmt!r}")
    frames = [reader(p, duplicates, sep, **checks) for p in paths]
    if len(frames) == 1:
        return frames[0]
    return validate_canonical(pd.concat(frames, ignore_index=True), ", ".join(map(str, paths)), duplicates,
                              **checks)
