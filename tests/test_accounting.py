"""Value-added accounting (valuechain.icio.accounting) against decompr 6.8.0's leather oracle, brute-force
inversions, and the accounting identities on leather and on the vendored WIOD 2011 table."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from data_files import data_file

from valuechain.icio import accounting as ac
from valuechain.icio import tables as icio

ROOT = Path(__file__).resolve().parents[1]
LEATHER = ROOT / "tests" / "fixtures" / "leather"
COUNTRIES = ["Argentina", "Turkey", "Germany"]
SECTORS = ["Agriculture", "Textile_and_Leather", "Transport_Equipment"]


def leather_table() -> icio.IcioTable:
    raw = pd.read_csv(LEATHER / "leather_input_Z_Y_out.csv").iloc[:, 1:].to_numpy(dtype=float)
    idx = pd.MultiIndex.from_product([COUNTRIES, SECTORS], names=["country", "industry"])
    Z = pd.DataFrame(raw[:, :9], index=idx, columns=idx)
    Y = pd.DataFrame(raw[:, 9:12], index=idx, columns=pd.MultiIndex.from_product([COUNTRIES, ["FD"]]))
    x = pd.Series(raw[:, 12], index=idx)
    return icio.IcioTable(Z=Z, Y=Y, va=x - Z.sum(axis=0), x=x)


@pytest.fixture(scope="module")
def leather() -> ac.Model:
    return ac.build_model(leather_table(), rebalance=False)


@pytest.fixture(scope="module")
def wiod() -> ac.Model:
    with pytest.warns(ac.AccountingWarning, match="LUX_c24"):
        return ac.build_model(icio.read_wiod(data_file("wiod2013/wiot_2011.parquet")))


# --- decompr 6.8.0 oracle ------------------------------------------------------------------------------


def test_leontief_matches_decompr(leather):
    got = ac.leontief_exports(leather)
    ref = pd.read_csv(LEATHER / "decompr680_leather_leontief_exports.csv")
    labels = [(a, b, c, d) for a, b in got.index for c, d in got.columns]  # row-major, as the oracle
    assert labels == list(ref.iloc[:, :4].itertuples(index=False, name=None))
    np.testing.assert_allclose(got.to_numpy().reshape(-1), ref.FVAX, rtol=0, atol=1e-6)
    fd = ac.va_by_destination(leather).stack().to_numpy()
    ref = pd.read_csv(LEATHER / "decompr680_leather_leontief_finaldemand.csv")
    np.testing.assert_allclose(fd, ref.Final_Demand, rtol=0, atol=1e-6)


def test_kww_matches_decompr(leather):
    got = ac.kww(leather)
    ref = pd.read_csv(LEATHER / "decompr680_leather_kww.csv", index_col=0).set_index("Country")
    assert list(got.index) == list(ref.index)
    np.testing.assert_allclose(got[list(ac.KWW_TERMS)].to_numpy(), ref[list(ac.KWW_TERMS)].to_numpy(), atol=1e-6, rtol=0)


def test_wwz_all_16_terms_match_decompr(leather):
    got = ac.wwz(leather)
    ref = pd.read_csv(LEATHER / "decompr680_leather_wwz.csv")
    own = ref.Exporting_Country == ref.Importing_Country
    assert (ref.loc[own, list(ac.WWZ_TERMS)] == 0).all().all()  # decompr's own-country rows: all 0, dropped by us
    ref = ref[~own].reset_index(drop=True)
    assert len(got) == len(ref) == 18
    assert (got.exporter == ref.Exporting_Country).all() and (got.sector == ref.Exporting_Industry).all()
    assert (got.importer == ref.Importing_Country).all()
    np.testing.assert_allclose(got.GEXP, ref.texp, atol=1e-9, rtol=0)
    for term in ac.WWZ_TERMS:
        np.testing.assert_allclose(got[term], ref[term], atol=1e-6, rtol=0, err_msg=term)


def test_upstreamness_downstreamness_match_gvc(leather):
    got = ac.position(leather)
    ref = pd.read_csv(LEATHER / "leather_upstream_downstream.csv")
    assert list(got.country + "." + got.sector) == list(ref.country_industry)
    np.testing.assert_allclose(got.upstreamness, ref.upstream_AC, atol=1e-9, rtol=0)
    np.testing.assert_allclose(got.downstreamness, ref.downstream_gvc, atol=1e-9, rtol=0)


# --- Borin-Mancini against explicit hypothetical extraction (naive inversions, leather only) ------------


def _extracted_inverse(m: ac.Model, s: int) -> np.ndarray:
    """``B^{/s} = (I - A^{/s})^-1`` with s's export coefficients set to 0 [BBM eq. C.3-C.4], by inversion."""
    N = m.N
    A = m.A.copy()
    rows = slice(s * N, (s + 1) * N)
    keep = A[rows, rows].copy()
    A[rows, :] = 0.0
    A[rows, rows] = keep
    return np.linalg.inv(np.eye(len(A)) - A)


def test_bm_source_and_sink_equal_hypothetical_extraction(leather):
    m, N = leather, leather.N
    src = ac.bm_source(m)
    snk = ac.bm_sink(m)
    for s, exporter in enumerate(COUNTRIES):
        rows = slice(s * N, (s + 1) * N)
        Bs = _extracted_inverse(m, s)
        E = m.E[rows]
        dva = m.v[rows] @ Bs[rows, rows] @ E
        fva = sum(m.v[t * N : (t + 1) * N] @ Bs[t * N : (t + 1) * N, rows] @ E for t in range(m.G) if t != s)
        tot = src[src.exporter == exporter]
        assert tot.DVA.sum() == pytest.approx(dva, abs=1e-9)
        assert tot.FVA.sum() == pytest.approx(fva, abs=1e-9)
        # sink: ultimate exports Y_sr + A_sr X_r^{/s}, X^{/s} = B^{/s} Y^{/s} (s's final exports removed)
        y_nos = m.Y.sum(axis=1)
        y_nos[rows] = m.Yd[rows].sum(axis=1)
        X_nos = Bs @ y_nos
        for r, importer in enumerate(COUNTRIES):
            if r == s:
                continue
            cols = slice(r * N, (r + 1) * N)
            e_star = m.Ym[rows, r] + m.A[rows, cols] @ X_nos[cols]
            pair = snk[(snk.exporter == exporter) & (snk.importer == importer)]
            assert pair.DVA.sum() == pytest.approx(m.v[rows] @ m.B[rows, rows] @ e_star, abs=1e-9)


def test_bm_known_values_leather(leather):
    """Exporter totals, pinned (computed once, cross-checked above against explicit extraction and KWW)."""
    tot = ac.aggregate(ac.bm_source(leather)).set_index("exporter")
    np.testing.assert_allclose(tot.DVA, [52.817561565028, 89.824816841536, 106.842403066469], atol=1e-9)
    np.testing.assert_allclose(tot.FVA, [10.434837168977, 20.555641870408, 35.064887993508], atol=1e-9)
    kww = ac.kww(leather)
    # VAX = KWW's first three terms (Johnson-Noguera value-added exports); DVA = VAX + KWW's returned DVA
    np.testing.assert_allclose(tot.VAX, kww[["DVA_FIN", "DVA_INT", "DVA_INTrex"]].sum(axis=1), atol=1e-9)
    np.testing.assert_allclose(
        tot.DVA, kww[["DVA_FIN", "DVA_INT", "DVA_INTrex", "RDV_FIN", "RDV_INT"]].sum(axis=1), atol=1e-9
    )


# --- identities on leather and WIOD 2011 --------------------------------------------------------------


@pytest.fixture(params=["leather", "wiod"])
def model(request):
    return request.getfixturevalue(request.param)


def test_decompositions_add_up_to_gross_exports(model):
    scale = max(1.0, model.E.max())
    tol = 1e-9 * scale
    w = ac.wwz(model)
    assert np.abs(w[list(ac.WWZ_TERMS)].sum(axis=1) - w.GEXP).max() < tol
    k = ac.kww(model)
    assert np.abs(k[list(ac.KWW_TERMS)].sum(axis=1) - k.GEXP).max() < tol
    for frame in (ac.bm_source(model), ac.bm_sink(model)):
        assert np.abs(frame[["DVA", "DDC", "FVA", "FDC"]].sum(axis=1) - frame.GEXP).max() < tol
        assert np.abs(frame[["DC", "FC"]].sum(axis=1) - frame.GEXP).max() < tol
    src = ac.bm_source(model)
    assert np.abs(src.VAX + src.REF - src.DVA).max() < tol
    assert np.abs(src.GVCB + src.GVCF - src.GVC).max() < tol
    assert np.abs(src.GVC + src.DAVAX - src.GEXP).max() < tol
    # WWZ and BM agree on gross exports; source and sink agree on every exporter's totals
    assert np.abs(ac.aggregate(w).GEXP.to_numpy() - ac.aggregate(src).GEXP.to_numpy()).max() < tol
    a, b = ac.aggregate(src), ac.aggregate(ac.bm_sink(model))
    for c in ("DVA", "DDC", "FVA", "FDC"):
        assert np.abs(a[c] - b[c]).max() < tol * 10, c


def test_downstreamness_upstreamness_output_identity(model):
    """docs/method.md section 10: ``sum_i y_i D_i = sum_i va_i U_i = sum_i x_i`` (y = total final demand of row i).

    Holds exactly because ``D = B^T 1`` (so ``y . D = 1^T B y = 1^T x``) and ``U = diag(x)^-1 B x`` with
    ``v B = 1^T`` on producing columns (so ``va . U = v B x = 1^T x``); it is an identity of sums, not row by row.
    """
    p = ac.position(model)
    y = model.Y.sum(axis=1)
    total = model.x.sum()
    assert (y * p.downstreamness).sum() == pytest.approx(total, rel=1e-10)
    assert (model.va * p.upstreamness).sum() == pytest.approx(total, rel=1e-10)
    assert (p.upstreamness >= 1 - 1e-12).all() and (p.downstreamness >= 1 - 1e-12).all()
    has_gvc = p.PLv_GVC > 0
    assert (p.PLv_GVC[has_gvc] >= 2 - 1e-9).all()  # a GVC path crosses at least one border: >= 2 stages


def test_production_decomposition_adds_up(model):
    d = ac.production_decomposition(model)
    tol = 1e-9 * max(1.0, model.x.max())
    assert np.abs(d[["V_D", "V_RT", "V_GVC_S", "V_GVC_C"]].sum(axis=1) - d.va).max() < tol
    assert np.abs(d[["Y_D", "Y_RT", "Y_GVC_S", "Y_GVC_C"]].sum(axis=1) - d.y).max() < tol
    assert d.va.sum() == pytest.approx(d.y.sum(), rel=1e-12)
    vd = ac.va_by_destination(model)
    assert np.abs(vd.sum(axis=1).to_numpy() - model.va).max() < tol
    np.testing.assert_allclose(vd.sum(axis=0).to_numpy(), model.Y.sum(axis=0), rtol=1e-10)


def test_wiod_numbers_from_the_raw_table(wiod):
    """Gross exports and VA absorbed abroad against sums taken straight from the parquet file."""
    raw = pd.read_parquet(data_file("wiod2013/wiot_2011.parquet"))
    deu_rows = raw.index.str.startswith("DEU_")
    foreign_cols = [c for c in raw.columns if not c.startswith("DEU_") and c != "GO"]
    gexp = raw.loc[deu_rows, foreign_cols].to_numpy().sum()
    tot = ac.aggregate(ac.bm_source(wiod)).set_index("exporter")
    assert tot.loc["DEU", "GEXP"] == pytest.approx(gexp, abs=1e-6) == 1601451
    assert len(tot) == 41
    nums = ac.bm_source(wiod).select_dtypes("number").to_numpy()
    assert np.isfinite(nums).all()
    p = ac.position(wiod)
    assert np.isfinite(p.select_dtypes("number").to_numpy()).all()
    zero = wiod.x == 0
    assert zero.sum() == 22 and (p.upstreamness[zero] == 1).all()
    gvc = ac.gvc_participation(wiod).set_index("exporter")
    assert 0.1 < gvc.loc["DEU", "gvc_backward"] < gvc.loc["LUX", "gvc_backward"] < 1


# --- helpers -------------------------------------------------------------------------------------------


def test_groups_and_levels(leather):
    g = {"Americas": ["Argentina"], "Europe": ["Turkey", "Germany"]}
    od = ac.va_origin_destination(leather, groups=g, by_sector=False)
    assert set(od.origin) == set(od.destination) == {"Americas", "Europe"}
    vd = ac.va_by_destination(leather)
    arg_to_eu = vd.loc["Argentina", ["Turkey", "Germany"]].to_numpy().sum()
    assert od.set_index(["origin", "destination"]).loc[("Americas", "Europe"), "va"] == pytest.approx(arg_to_eu)
    with pytest.raises(ValueError, match="Turkey is in both"):
        ac.group_labels(["Turkey"], {"a": ["Turkey"], "b": ["Turkey"]})
    src = ac.bm_source(leather)
    assert len(ac.aggregate(src, "bilateral")) == 6 and len(ac.aggregate(src, "sectoral")) == 9
    with pytest.raises(ValueError, match="level must be"):
        ac.aggregate(src, "world")


def test_zero_output_row_stays_finite():
    t = leather_table()
    Z, Y = t.Z.copy(), t.Y.copy()
    row = ("Turkey", "Transport_Equipment")
    Z.loc[row, :] = 0.0
    Z.loc[:, row] = 0.0
    Y.loc[row, :] = 0.0
    x = Z.sum(axis=1) + Y.sum(axis=1)
    m = ac.build_model(icio.IcioTable(Z=Z, Y=Y, va=x - Z.sum(axis=0), x=x), rebalance=False)
    for frame in (ac.wwz(m), ac.bm_source(m), ac.bm_sink(m), ac.position(m), ac.production_decomposition(m)):
        assert np.isfinite(frame.select_dtypes("number").to_numpy()).all()
    assert ac.position(m).set_index(["country", "sector"]).loc[row, "upstreamness"] == 1.0


def test_split_parts_stay_producers_unless_merged():
    t = icio.read_oecd_icio(ROOT / "tests" / "fixtures" / "oecd_icio_small.csv")
    kept = ac.build_model(t)
    assert kept.countries == ("AUS", "CHN", "MEX", "ROW") and len(kept.producers) > kept.G
    merged = ac.build_model(icio.merge_split_countries(t))
    assert merged.countries == kept.countries and len(merged.producers) == merged.G
    a, b = ac.aggregate(ac.bm_source(kept)), ac.aggregate(ac.bm_source(merged))
    np.testing.assert_allclose(a.GEXP, b.GEXP)  # the same flows, different A
    with pytest.raises(ValueError, match="without industry rows"):
        ac.build_model(t, split_countries={})


def test_real_wiod_tables_pass_the_checks_negative_value_added_warned():
    """WIOD 2013: no table is refused. LUX_c24 (water transport) publishes output 50, sales 32 and inputs 36;
    once the rounding gap is moved out of its output (x = 32, within the balance tolerance) its value added is
    32 - 36 = -4 in 2011 (coefficients 36/32 = 1.125) and 29 - 32 = -3 in 2010; in 2009 it is 0."""
    expected = {2009: None, 2010: "LUX_c24 (1.103: value added -3 of output 29)",
                2011: "LUX_c24 (1.125: value added -4 of output 32)"}
    for year, message in expected.items():
        table = icio.read_wiod(data_file(f"wiod2013/wiot_{year}.parquet"))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ac.AccountingWarning)
            m = ac.build_model(table, where=f"wiot_{year}")
        texts = [str(w.message) for w in caught if issubclass(w.category, ac.AccountingWarning)]
        if message is None:
            assert texts == []
        else:
            assert len(texts) == 1 and f"columns with negative value added (input coefficients summed above 1): " \
                f"1, {message}" in texts[0]
        assert m.B.min() >= 0 and m.B.max() < 3  # productive: a non-negative inverse, multipliers below 3


def test_check_accounting_refuses_what_it_cannot_compute():
    """Two countries, one industry, by hand: AAA_X's output is 10, all of it its own input (A[0, 0] = 1)."""
    idx = pd.MultiIndex.from_product([["AAA", "BBB"], ["X"]], names=["country", "industry"])
    fd = pd.MultiIndex.from_product([["AAA", "BBB"], ["HFCE"]])

    def table(Z, Y):
        Z = pd.DataFrame(Z, index=idx, columns=idx, dtype=float)
        Y = pd.DataFrame(Y, index=idx, columns=fd, dtype=float)
        x = Z.sum(axis=1) + Y.sum(axis=1)
        return icio.IcioTable(Z=Z, Y=Y, va=x - Z.sum(axis=0), x=x)

    with pytest.raises(ValueError, match=r"t: the table is not productive \(I - A is singular.*AAA_X \(1.5\)"):
        ac.build_model(table([[10, 0], [5, 10]], [[0, 0], [0, 20]]), where="t")
    with pytest.raises(ValueError, match=r"needs at least two countries; the table has only AAA"):
        ac.build_model(table([[10, 0], [5, 10]], [[1, 0], [0, 20]]), split_countries={"BBB": "AAA"})
    # zero output rows stay fine when they use nothing (decompr's convention) ...
    m = ac.build_model(table([[0, 0], [0, 10]], [[0, 0], [0, 20]]))
    assert m.A.tolist() == [[0, 0], [0, 1 / 3]]
    # ... and are refused when they use inputs no product carries
    with pytest.raises(ValueError, match=r"no output that use intermediate inputs.*: 1, AAA_X \(4\) \(inputs\)"):
        ac.build_model(table([[0, 0], [4, 10]], [[0, 0], [0, 20]]))


def test_measures_are_reported_for_every_country_and_each_group_as_one_exporter(leather):
    """A group is its own regrouped model: reported as one exporter beside the countries, its members' trade with
    each other not counted as its exports."""
    from valuechain.icio import perspectives as pv

    first, second = leather.countries[:2]
    units = pv.exporter_units(leather, {"G2": [first, second]})
    assert [ex for _, ex in units] == [list(leather.countries), ["G2"]]
    table = pv.for_every_exporter(units, pv.tripartite_gvc)
    assert list(dict.fromkeys(table["exporter"])) == [*leather.countries, "G2"]
    exports = pv.for_every_exporter(units, lambda m: pv.decompose(m, "exporter")).groupby("exporter")["GEXP"].sum()
    assert exports["G2"] < exports[first] + exports[second]  # trade between the two is no export of the group
