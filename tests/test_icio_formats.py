"""Tables in their published layouts (valuechain.icio.formats): pymrio's parsers on fixtures written in the real
WIOD 2013, Eora26, EXIOBASE 3 and GLORIA layouts (tests/mrio_layouts.py); the OECD reader beside pymrio's; the
messages for a wrong format; the retrieval of a table out of its archive."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pymrio
import pytest
from mrio_layouts import make_table, write_eora26_zip, write_exiobase3_zip, write_gloria, write_wiod2013_xlsx

from valuechain.glue.retrieve import RetrieveError, retrieve_members, retrieve_table
from valuechain.icio import accounting as ac
from valuechain.icio import tables as icio
from valuechain.icio.cli import main
from valuechain.icio.formats import FORMATS, read_table, table_files

OECD = Path(__file__).resolve().parent / "fixtures" / "oecd_icio_small.csv"
SMALL = make_table(["DEU", "USA", "CHN"], ["A", "B", "C", "D"], ["HFCE", "GFCF"], seed=3)
WRITERS = {"eora26": write_eora26_zip, "exiobase3": write_exiobase3_zip, "gloria": write_gloria}
#: EXIOBASE names its regions with two letters; pymrio renames the three-letter codes some releases carry.
CODES = {"eora26": ["DEU", "USA", "CHN"], "exiobase3": ["DE", "US", "CN"], "gloria": ["DEU", "USA", "CHN"]}


def _exio_table(table):
    """The EXIOBASE fixture uses two-letter codes, as the release does."""
    return make_table(["DE", "US", "CN"], table.sectors, table.categories, seed=3)


def _written(fmt, folder):
    table = _exio_table(SMALL) if fmt == "exiobase3" else SMALL
    return table, WRITERS[fmt](table, folder)


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_pymrio_formats_give_the_written_table(fmt, tmp_path):
    table, path = _written(fmt, tmp_path)
    t = read_table(path, fmt)
    assert t.countries == CODES[fmt] and t.industries == SMALL.sectors and t.is_square_block
    assert t.Y.columns.get_level_values(1)[:2].tolist() == SMALL.categories
    # Eora's ROW (0.5 in each of its cells) is dropped; EXIOBASE and GLORIA come as coefficients: Z = A diag(x).
    np.testing.assert_allclose(t.Z.to_numpy(), table.Z, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(t.Y.to_numpy(), table.Y, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(t.x.to_numpy(), table.x, rtol=1e-12)
    np.testing.assert_allclose(t.va.to_numpy(), table.x - table.Z.sum(axis=0), rtol=1e-9)


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_accounting_on_a_pymrio_table(fmt, tmp_path):
    """Gross exports of each country, worked out from the written arrays: every sale to another country."""
    table, path = _written(fmt, tmp_path)
    m = ac.model_from_file(path, fmt)
    home = np.repeat(np.arange(3), 4)
    foreign = home[:, None] != home[None, :]
    exports = (table.Z * foreign).sum(axis=1) + (table.Y_by_country() * (home[:, None] != np.arange(3))).sum(axis=1)
    expected = np.bincount(home, weights=exports)
    got = ac.aggregate(ac.bm_source(m)).set_index("exporter").loc[CODES[fmt], "GEXP"]
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-10)


def test_wiod_xlsx_through_pymrio_equals_the_parquet_layout(tmp_path):
    """The WIOD release workbook (pymrio) and the mirror's Parquet layout (own reader) give one table."""
    sectors = [f"c{i}" for i in range(1, 36)]  # pymrio finds the end of the block at c35
    t = make_table(["DEU", "USA", "RoW"], sectors, ["c37", "c38", "c39", "c41", "c42"], seed=1)
    xlsx = write_wiod2013_xlsx(t, tmp_path / "wiot11_row_sep12.xlsx")
    labels = [f"{c}_{s}" for c in t.countries for s in sectors]
    fd = [f"{c}_{k}" for c in t.countries for k in ("HFCE", "NPISH", "GGFC", "GFCF", "INVNT")]
    frame = pd.DataFrame(np.hstack([t.Z, t.Y, t.x[:, None]]), index=pd.Index(labels, name="row"),
                         columns=labels + fd + ["GO"])
    frame.to_parquet(tmp_path / "wiot_2011.parquet")
    a, b = read_table(xlsx, "wiod2013"), read_table(tmp_path / "wiot_2011.parquet", "wiod")
    pd.testing.assert_frame_equal(a.Z, b.Z)
    pd.testing.assert_frame_equal(a.Y, b.Y)
    pd.testing.assert_series_equal(a.x, b.x)
    assert table_files(tmp_path, "wiod2013", None) == [(2011, xlsx)]


def test_oecd_reader_equals_pymrio_where_pymrio_keeps_the_split(tmp_path):
    """2021 layout (no CHN rows): pymrio keeps CN1/CN2 and the two readers agree exactly."""
    ours = icio.read_oecd_icio(OECD)
    theirs = pymrio.parse_oecd(OECD)
    np.testing.assert_array_equal(theirs.Z.to_numpy(), ours.Z.to_numpy())
    np.testing.assert_array_equal(theirs.Y.to_numpy(), ours.Y.to_numpy())
    assert theirs.Z.index.tolist() == ours.Z.index.tolist()


def test_pymrio_merges_the_split_parts_in_the_2018_layout(tmp_path):
    """2016/2018 layout (CHN and MEX rows beside the parts): pymrio sums CN1/CN2 into CHN before anything is
    computed, so its table is our merged one, which is why the oecd format keeps its own reader."""
    raw = pd.read_csv(OECD, index_col=0)
    industries = ["D01T02", "D10T12", "D97T98"]
    extra = [f"{c}_{i}" for c in ("CHN", "MEX") for i in industries]
    block = [r for r in raw.index if r not in ("TLS", "VA", "OUT")]
    at = raw.columns.get_loc("AUS_HFCE")
    for k, label in enumerate(extra):
        raw.insert(at + k, label, 0.0)
    zero_rows = pd.DataFrame(0.0, index=extra, columns=raw.columns)
    raw = pd.concat([raw.loc[block], zero_rows, raw.loc[["TLS", "VA", "OUT"]]])
    path = tmp_path / "ICIO2018_2015.csv"
    raw.to_csv(path)
    ours = icio.read_oecd_icio(path)
    assert {"CN1", "CN2", "CHN"} <= set(ours.countries)
    merged = icio.merge_split_countries(ours)
    theirs = pymrio.parse_oecd(path)
    assert "CN1" not in theirs.get_regions()
    Z = theirs.Z.loc[merged.Z.index, merged.Z.index]
    np.testing.assert_allclose(Z.to_numpy(), merged.Z.to_numpy(), atol=1e-9)
    np.testing.assert_allclose(theirs.Y.loc[merged.Z.index].to_numpy().sum(axis=1),
                               merged.Y.to_numpy().sum(axis=1), atol=1e-9)


@pytest.mark.parametrize(("fmt", "written", "expects"), [
    ("exiobase3", "eora26", "EXIOBASE 3 IOT_YYYY_ixi"),
    ("eora26", "exiobase3", "Eora26 zip or folder"),
    ("gloria", "eora26", "GLORIA_MRIOs_VV_YYYY"),
    ("wiod2013", "oecd", "WIOD 2013 release xlsx"),
    ("oecd", "wiod2013", "OECD ICIO CSV"),
])
def test_a_table_read_as_another_format_names_the_expected_layout(fmt, written, expects, tmp_path):
    if written == "oecd":
        path = OECD
    elif written == "wiod2013":
        path = write_wiod2013_xlsx(make_table(["USA", "DEU"], [f"c{i}" for i in range(1, 36)], ["c37"]),
                                   tmp_path / "wiot11_row_sep12.xlsx")
    else:
        _, path = _written(written, tmp_path)
    with pytest.raises(ValueError, match=f"not a {fmt} table .*expects {expects}"):
        read_table(path, fmt)


def test_unknown_and_missing_tables(tmp_path):
    with pytest.raises(ValueError, match="unknown table format 'csv'; known: wiod, oecd"):
        read_table(OECD, "csv")
    with pytest.raises(FileNotFoundError, match="eora26 table .*Eora26_2015_bp.zip not found"):
        read_table(tmp_path / "Eora26_2015_bp.zip", "eora26")


def test_table_files_find_years_and_unpacked_folders(tmp_path):
    for year in (2014, 2015):
        (tmp_path / f"Eora26_{year}_bp.zip").write_bytes(b"")
    (tmp_path / "Eora26_2015_pp.zip").write_bytes(b"")  # purchasers' prices: not the format's file
    assert table_files(tmp_path, "eora26", None) == [(2015, tmp_path / "Eora26_2015_bp.zip")]
    assert [y for y, _ in table_files(tmp_path, "eora26", [2014, 2015])] == [2014, 2015]
    with pytest.raises(ValueError, match=r"no table for years \[2016\] \(found \[2014, 2015\]\)"):
        table_files(tmp_path, "eora26", [2016])
    gloria = write_gloria(SMALL, tmp_path / "g")
    assert table_files(gloria, "gloria", None) == [(None, gloria)]  # the MRIO folder is one table
    assert table_files(tmp_path / "g", "gloria", None) == [(2022, gloria)]
    assert FORMATS["wiod2013"].year_of(Path("wiot95_row_apr12.xlsx")) == 1995
    # one table: a year asked must be the one in its name, and a table without one takes no --year
    one = tmp_path / "Eora26_2014_bp.zip"
    assert table_files(one, "eora26", [2014, 2014]) == [(2014, one)]
    with pytest.raises(ValueError, match=r"--year 2015: .*Eora26_2014_bp.zip is the table of 2014 \(by its name\)"):
        table_files(one, "eora26", [2015])
    xlsx = tmp_path / "wiot10_row_sep12.xlsx"
    xlsx.write_bytes(b"")
    with pytest.raises(ValueError, match=r"wiot10_row_sep12.xlsx is the table of 2010"):
        table_files(xlsx, "wiod2013", [2011])
    (tmp_path / "world.csv").write_bytes(b"")
    with pytest.raises(ValueError, match=r"--year 2011: the year of .*world.csv is unknown \(its name has none\)"):
        table_files(tmp_path / "world.csv", "oecd", [2011])


def test_cli_reads_a_pymrio_format(tmp_path):
    _written("eora26", tmp_path)  # a folder of years holding Eora26_2015_bp.zip
    out = tmp_path / "gvc.csv"
    assert main([str(tmp_path), "--format", "eora26", "--method", "gvc", "--save", str(out)]) == 0
    df = pd.read_csv(out)
    assert df.year.unique().tolist() == [2015] and df.exporter.tolist() == ["DEU", "USA", "CHN"]


def _zip(tmp_path, member="ICIO2021_2016.csv"):
    archive = tmp_path / "ICIO2021_2015-2018.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(OECD, member)
    return archive


def test_retrieve_table_takes_the_member_out_of_the_archive(tmp_path):
    archive = _zip(tmp_path)
    dest = tmp_path / "resources" / "ICIO2021_2016.csv"
    digest = retrieve_table(archive.as_uri(), dest, member="ICIO2021_2016.csv")
    assert dest.read_bytes() == OECD.read_bytes() and len(digest) == 64
    assert sorted(p.name for p in dest.parent.iterdir()) == ["ICIO2021_2016.csv"]  # no partial files left
    again = tmp_path / "again.csv"
    assert retrieve_table(OECD.as_uri(), again, sha256=digest) == digest  # a plain file, pinned


def test_several_years_come_out_of_one_download(tmp_path):
    """The OECD archive is downloaded once for all its years (rule retrieve_oecd_icio): each member extracted and
    checked; a year missing from the archive leaves none of them behind."""
    archive = tmp_path / "ICIO2021_2015-2018.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(OECD, "ICIO2021_2016.csv")
        zf.writestr("ICIO2021_2017.csv", "other")
    out = tmp_path / "resources"
    digests = retrieve_members(archive.as_uri(), {"ICIO2021_2016.csv": out / "a.csv", "ICIO2021_2017.csv": out / "b.csv"})
    assert (out / "a.csv").read_bytes() == OECD.read_bytes() and (out / "b.csv").read_text() == "other"
    assert digests["ICIO2021_2017.csv"] == hashlib.sha256(b"other").hexdigest()
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", "b.csv"]
    with pytest.raises(RetrieveError, match="no member 'ICIO2021_2018.csv'"):
        retrieve_members(archive.as_uri(), {"ICIO2021_2018.csv": tmp_path / "x" / "c.csv"})
    assert list((tmp_path / "x").iterdir()) == []


def test_retrieve_table_refuses_what_it_cannot_check(tmp_path):
    archive = _zip(tmp_path)
    dest = tmp_path / "out" / "t.csv"
    with pytest.raises(RetrieveError, match="no member 'ICIO2021_2017.csv'; the archive holds \\['ICIO2021_2016"):
        retrieve_table(archive.as_uri(), dest, member="ICIO2021_2017.csv")
    with pytest.raises(RetrieveError, match="does not match the pinned sha256"):
        retrieve_table(archive.as_uri(), dest, member="ICIO2021_2016.csv", sha256="0" * 64)
    with pytest.raises(RetrieveError, match="not a zip archive"):
        retrieve_table(OECD.as_uri(), dest, member="ICIO2021_2016.csv")
    assert list(dest.parent.iterdir()) == []  # nothing half-written, no wrong download kept
