"""Reading and validating regional trade data into the canonical long form (METHOD section 1).

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

import re
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

CANONICAL_COLUMNS = ["year", "flow", "country", "region", "partner", "hs", "value"]
KEY_COLUMNS = ["year", "flow", "country", "region", "partner", "hs"]
FLOWS = ("export", "import")
_ISO3 = re.compile(r"^[A-Z]{3}$")
_HS = re.compile(r"^(\d{2}|\d{4}|\d{6})$")


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


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV (every column read as text, so codes keep their leading zeros) or Parquet file."""
    path = Path(path)
    if not path.exists():
        raise TradeDataError(f"{path}: file not found")
    if path.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(path)
    with open(path, "rb") as fh:
        head = fh.read(4096)
    sep = ";" if head.count(b";") > head.count(b",") else ","
    try:
        return pd.read_csv(path, dtype=str, sep=sep, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError:  # Comex Stat ships Latin-1 files
        return pd.read_csv(path, dtype=str, sep=sep, keep_default_na=False, encoding="latin-1")


def validate_canonical(df: pd.DataFrame, source: str, duplicates: str = "error") -> pd.DataFrame:
    """Check and type a canonical table; raise :class:`TradeDataError` on the first bad column.

    ``duplicates="sum"`` adds up rows with the same key instead of rejecting them.
    """
    missing = [c for c in CANONICAL_COLUMNS if c not in df.columns]
    if missing:
        raise TradeDataError(f"{source}: missing column(s) {missing}; found {list(df.columns)}")
    df = df[CANONICAL_COLUMNS].reset_index(drop=True)
    out = pd.DataFrame(index=df.index)

    year = pd.to_numeric(df["year"], errors="coerce")
    bad = year.isna() | (year != np.floor(year))
    if bad.any():
        _fail(source, "year", "not an integer year", bad.to_numpy(), df["year"])
    out["year"] = year.astype("int32")

    flow = df["flow"].astype(str).str.strip().str.lower()
    bad = ~flow.isin(FLOWS)
    if bad.any():
        _fail(source, "flow", f"unknown flow (expected one of {FLOWS})", bad.to_numpy(), df["flow"])
    out["flow"] = flow

    for col in ("country", "partner"):
        code = df[col].astype(str).str.strip().str.upper()
        bad = ~code.str.match(_ISO3)
        if bad.any():
            _fail(source, col, "not an ISO3 country code", bad.to_numpy(), df[col])
        out[col] = code

    region = df["region"].astype(str).str.strip()
    bad = df["region"].isna().to_numpy() | (region == "").to_numpy()
    if bad.any():
        _fail(source, "region", "empty region", bad, df["region"])
    out["region"] = region

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

    dup = out.duplicated(KEY_COLUMNS, keep=False)
    if dup.any():
        if duplicates == "sum":
            out = out.groupby(KEY_COLUMNS, as_index=False, sort=False)["value"].sum()
        elif duplicates == "error":
            keys = out.loc[dup, KEY_COLUMNS].astype(str).agg("/".join, axis=1)
            _fail(source, "/".join(KEY_COLUMNS), "duplicate key (set duplicates: sum to add them up)",
                  dup.to_numpy(), keys.reindex(out.index, fill_value=""))
        else:
            raise ValueError(f"duplicates must be 'error' or 'sum', got {duplicates!r}")
    return out.reset_index(drop=True)


def read_canonical(path: str | Path, duplicates: str = "error") -> pd.DataFrame:
    """A CSV or Parquet file already in the canonical long form."""
    return validate_canonical(read_table(path), str(path), duplicates)


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


def read_oec(path: str | Path, duplicates: str = "error") -> pd.DataFrame:
    """OEC regional trade (columns :data:`OEC_COLUMNS`) to the canonical form.

    ``country_states`` names the reporting country of the subnational data set, alone or with the kind of
    region (``Brazil``, ``Brazil States``, ``usa_state`` as in the OEC's ``trade_s_usa_state_m_hs`` cubes).
    ``product_id`` is an HS6 integer whose leading zero was dropped; it is re-padded to
    6 digits. Partners are country names, mapped to ISO3 (an unknown name is an error naming its rows).
    """
    source = str(path)
    raw = read_table(path)
    missing = [c for c in OEC_COLUMNS if c not in raw.columns]
    if missing:
        raise TradeDataError(f"{source}: missing OEC column(s) {missing}; found {list(raw.columns)}")
    flow_map = {"exports": "export", "imports": "import"}
    flow = raw["trade_flow_name"].astype(str).str.strip().str.lower().map(flow_map)
    bad = flow.isna()
    if bad.any():
        _fail(source, "trade_flow_name", "unknown flow (expected Exports or Imports)", bad.to_numpy(),
              raw["trade_flow_name"])
    iso = country_name_to_iso3(raw["country_name"].unique())
    partner = raw["country_name"].map(iso)
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
    return validate_canonical(canonical, source, duplicates)


# --- Brazil's Comex Stat ------------------------------------------------------------------------------

def read_comexstat(
    paths: str | Path | Iterable[str | Path], countries: str | Path, duplicates: str = "sum"
) -> pd.DataFrame:
    """Comex Stat municipality files (``EXP_YYYY_MUN.csv``, ``IMP_YYYY_MUN.csv``) to the canonical form.

    Columns used: ``CO_ANO`` (year), ``SH4``, ``CO_PAIS`` (partner, mapped to ISO3 with the ``PAIS`` table
    ``countries``: ``CO_PAIS, CO_PAIS_ISOA3``), ``SG_UF_MUN`` (the state, used as region; ``CO_MUN`` when
    there is no state column), ``VL_FOB`` (USD). The flow comes from the file name (``EXP_``/``IMP_``).
    Monthly rows (``CO_MES``) and municipalities of a state share a key, so duplicates are summed by default.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    pais = read_table(countries)
    for col in ("CO_PAIS", "CO_PAIS_ISOA3"):
        if col not in pais.columns:
            raise TradeDataError(f"{countries}: missing column '{col}' of the Comex Stat PAIS table")
    iso = dict(zip(pais["CO_PAIS"].astype(str).str.strip().str.lstrip("0"), pais["CO_PAIS_ISOA3"]))
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
        raw = read_table(path)
        region_col = "SG_UF_MUN" if "SG_UF_MUN" in raw.columns else "CO_MUN"
        missing = [c for c in ("CO_ANO", "SH4", "CO_PAIS", region_col, "VL_FOB") if c not in raw.columns]
        if missing:
            raise TradeDataError(f"{source}: missing Comex Stat column(s) {missing}; found {list(raw.columns)}")
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
        frames.append(validate_canonical(canonical, source, duplicates))
    return validate_canonical(pd.concat(frames, ignore_index=True), ", ".join(map(str, paths)), duplicates)


def read_trade(paths, fmt: str = "canonical", duplicates: str = "error", countries=None) -> pd.DataFrame:
    """Dispatch on ``fmt`` (canonical | oec | comexstat); ``paths`` is one path or a list."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = list(paths)
    if fmt == "comexstat":
        if not countries:
            raise TradeDataError("format comexstat needs the PAIS table (config key comexstat_countries)")
        return read_comexstat(paths, countries, duplicates)
    reader = {"canonical": read_canonical, "oec": read_oec}.get(fmt)
    if reader is None:
        raise ValueError(f"unknown trade format {fmt!r}")
    frames = [reader(p, duplicates) for p in paths]
    if len(frames) == 1:
        return frames[0]
    return validate_canonical(pd.concat(frames, ignore_index=True), ", ".join(map(str, paths)), duplicates)
