"""The coverage kernels against a brute-force oracle: identical counts, cell for cell and step for step.

The oracle (``oracle_counts`` in ``helpers.py``, shared with the figure-of-merit tests) is deliberately
slow and obvious: every satellite against every cell at every step with numpy, on WGS84, using the
visibility test of the contract (``d . U >= sin(eps) |d|`` and, for a cone, ``S . d >= cos(eta) |S| |d|``).
The kernels prune rows with a footprint cap and decide only the ends of each satellite's served arc per
row by the exact test, so any pruning or walking error shows up as a count mismatch.  Satellites are random
(seeded) Satrec.sgp4init element sets: LEO, MEO, GEO, Molniya.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import START, make_sat, oracle_counts, random_sats

from constellation import time_range
from constellation.api import Requirement, coverage, coverage_counts
from constellation.grid import equal_area, global_grid, points, region
from constellation.propagation import itrs_chunks
from constellation.satellite import Constellation


def assert_same(got, want, what):
    bad = np.argwhere(got != want)
    assert bad.size == 0, f"{what}: {len(bad)} (step, cell) mismatches, first {bad[:5].tolist()}"
    assert want.sum() > 0, f"{what}: the case serves nothing, so it tests nothing"


CASES = [
    # name, kinds, grid, min elevation, cone half-angle, duration, step
    ("leo_global_10deg", ("leo",), lambda: global_grid(10.0), 10.0, None, "3h", 300),
    ("leo_fine_grid_high_mask", ("leo",), lambda: global_grid(2.0), 40.0, None, "40m", 120),
    ("meo_geo_molniya_mask0", ("meo", "geo", "molniya"), lambda: global_grid(6.0), 0.0, None, "12h", 1800),
    ("negative_mask", ("leo", "meo"), lambda: global_grid(5.0), -3.0, None, "2h", 600),
    ("antimeridian_region", ("leo",), lambda: region((-30, 45), (170, -150), 1.5), 5.0, None, "3h", 120),
    ("polar_cap_partial_rows", ("polar",), lambda: region((70, 90), (-180, 179), 1.0), 10.0, None, "3h", 180),
    ("polar_full_rows", ("polar",), lambda: global_grid(1.5), 10.0, None, "1h", 240),
    ("narrow_partial_row", ("leo",), lambda: region((-60, 60), (-179, 179), 2.0), 10.0, None, "2h", 300),
    ("small_cone_high_mask", ("leo",), lambda: global_grid(1.0), 30.0, 8.0, "30m", 60),
    ("cone_low_mask_general_path", ("leo", "geo"), lambda: global_grid(4.0), 0.0, 30.0, "3h", 600),
    ("cone_negative_mask", ("leo",), lambda: global_grid(5.0), -5.0, 50.0, "2h", 600),
    # below a mask of 0 the cone's cap prunes when no cell under the horizon can be in the cone
    ("cone_mask0_leo_meo", ("leo", "meo"), lambda: global_grid(3.0), 0.0, 60.0, "3h", 600),
    ("wide_cone_just_inside_horizon", ("leo",), lambda: global_grid(3.0), -1.0, 66.0, "2h", 300),
    # a cone of 90 deg or more holds the whole Earth (its edge formula does not apply)
    ("cone_over_90_deg", ("leo", "meo"), lambda: global_grid(5.0), 5.0, 120.0, "2h", 600),
    ("cone_180_deg_mask0", ("leo",), lambda: global_grid(5.0), 0.0, 180.0, "2h", 600),
    ("geo_huge_footprint", ("geo",), lambda: global_grid(3.0), 0.0, None, "6h", 3600),
    ("equal_area", ("leo", "meo"), lambda: equal_area(5.0), 10.0, None, "3h", 300),
]


@pytest.mark.parametrize("name,kinds,make_grid,mask,cone,duration,step", CASES, ids=[c[0] for c in CASES])
def test_counts_equal_brute_force(name, kinds, make_grid, mask, cone, duration, step):
    sats = random_sats(abs(hash(name)) % 2 ** 32, kinds, n_each=4)
    times = time_range(START, duration=duration, step_s=step)
    grid = make_grid()
    got = coverage_counts(sats, times, grid, min_elevation_deg=mask, half_angle_deg=cone, positions="exact")
    assert_same(got, oracle_counts(sats, times, grid, mask, cone), name)


def test_cone_cap_prunes_below_a_zero_mask():
    """The row-pruning cap of a 40 deg cone at 535 km is the cone's footprint (about 4.2 deg of central
    angle), not the horizon's (about 23.4 deg with the widening), under a 0 deg mask too (the widened mask
    is then below the horizon, where no cell can be inside so narrow a cone); and it stays the horizon's
    for cones of 90 deg or more."""
    from constellation.kernels.sweep import satellite_tables
    from constellation.kernels.visibility import GEO_CAP, sat_geometry

    r = 6378.137 + 535.0
    pos = np.array([[[r, 0.0, 0.0]]])
    caps = {}
    for mask, half in ((10.0, 40.0), (0.0, 40.0), (-1.0, 40.0), (0.0, None), (0.0, 120.0)):
        use_cone = half is not None
        f, i = satellite_tables(np.zeros(1, np.int64), math.sin(math.radians(mask)), use_cone,
                                math.cos(math.radians(half if use_cone else 180.0)))
        caps[mask, half] = math.degrees(sat_geometry(pos, f, i, 6356.752)[0, 0, GEO_CAP])
    assert 4.0 < caps[10.0, 40.0] == caps[0.0, 40.0] == caps[-1.0, 40.0] < 4.5
    assert 22.5 < caps[0.0, None] == caps[0.0, 120.0] < 24.0


def test_points_poles_antimeridian_and_height():
    """Sites on the poles, on the antimeridian, at 5 km and an aircraft at 10 km."""
    sats = random_sats(7, ("leo", "meo", "molniya"), n_each=5)
    times = time_range(START, duration="6h", step_s=120)
    grid = points([90.0, -90.0, 0.0, 12.0, -33.0, 45.0, 64.5, 0.0],
                  [0.0, 0.0, 180.0, -180.0, 151.0, 7.0, -147.0, 0.0],
                  height_m=[0, 0, 0, 0, 0, 5000, 10000, 10000])
    for mask, cone in ((10.0, None), (0.0, None), (5.0, 40.0)):
        got = coverage_counts(sats, times, grid, min_elevation_deg=mask, half_angle_deg=cone, positions="exact")
        assert_same(got, oracle_counts(sats, times, grid, mask, cone), f"points mask={mask} cone={cone}")


def test_point_grid_dataset_sats_in_view_matches_oracle():
    sats = random_sats(3, ("leo",), n_each=8)
    times = time_range(START, duration="4h", step_s=60)
    grid = points([30.0, -10.0, 70.0], [100.0, -60.0, 20.0], names=["a", "b", "c"], height_m=[0, 5000, 0])
    ds = coverage(sats, times, grid, min_elevation_deg=5.0, positions="exact")
    want = oracle_counts(sats, times, grid, 5.0)
    assert ds["sats_in_view"].dtype == np.int16 and ds["sats_in_view"].dims == ("time", "cell")
    assert_same(ds["sats_in_view"].values.astype(np.int64), want, "sats_in_view")
    np.testing.assert_array_equal(ds["sats_in_view_max"].values, want.max(0))
    np.testing.assert_array_equal(ds["sats_in_view_min"].values, want.min(0))
    np.testing.assert_allclose(ds["sats_in_view_mean"].values, want.mean(0), rtol=1e-15)


def test_per_service_counts_equal_oracle_per_group():
    """Each service counts its own group's satellites under its own requirement; 'any' is the sum."""
    sats = random_sats(11, ("leo", "meo"), n_each=4, group_of={"leo": "eo", "meo": "nav"})
    times = time_range(START, duration="3h", step_s=300)
    grid = global_grid(6.0)
    reqs = {"eo": Requirement(min_elevation_deg=20.0, half_angle_deg=40.0),
            "nav": Requirement(min_elevation_deg=5.0)}
    got = coverage_counts(sats, times, grid, requirements=reqs, positions="exact")
    eo = oracle_counts(sats, times, grid, 20.0, 40.0, group="eo")
    nav = oracle_counts(sats, times, grid, 5.0, None, group="nav")
    assert_same(got[0], eo, "eo")
    assert_same(got[1], nav, "nav")
    assert_same(got[2], eo + nav, "any")


def test_coverage_dataset_sample_statistics_match_oracle_global():
    """Per-cell sample statistics of the Dataset (refine_edges=False) from the oracle's counts."""
    sats = random_sats(5, ("leo",), n_each=6)
    times = time_range(START, duration="3h", step_s=120)
    grid = global_grid(10.0)
    ds = coverage(sats, times, grid, min_elevation_deg=10.0, refine_edges=False, positions="exact")
    want = oracle_counts(sats, times, grid, 10.0)
    cov = want >= 1
    np.testing.assert_array_equal(ds["sats_in_view_max"].values.ravel(), want.max(0))
    np.testing.assert_array_equal(ds["sats_in_view_min"].values.ravel(), want.min(0))
    np.testing.assert_allclose(ds["sats_in_view_mean"].values.ravel(), want.mean(0), rtol=1e-15)
    # accesses = runs of covered samples
    starts = cov & ~np.vstack([np.zeros((1, cov.shape[1]), bool), cov[:-1]])
    np.testing.assert_array_equal(ds["access_count"].values.ravel(), starts.sum(0))
    w = grid.weights()
    np.testing.assert_allclose(ds["area_covered_fraction"].values, (cov * w).sum(1) / w.sum(), rtol=1e-12)


def _margin_at(S, lat, lon, sin_el):
    """The exact test's margin ``d . U - sin_el |d|`` (km) of a cell at (lat, lon) deg, as the oracle computes it."""
    g = points([lat], [lon])
    P, U = g.itrs_km()[0], g.up()[0]
    d = S - P
    return d[0] * U[0] + d[1] * U[1] + d[2] * U[2] - sin_el * math.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2])


def _arc_end_case(side):
    """One LEO satellite at its middle sample, a row 2 deg poleward of it, and the longitude (deg) where
    its 10 deg-mask arc ends on the ``side`` of its meridian, bisected on the oracle's exact margin.
    Returns ``(sats, times, r_itrs, sin_mask, row_lat_deg, end_lon_deg, sign)``."""
    sats = Constellation([make_sat(1, 6378.137 + 550.0, 0.001, 53.0, 40.0, 0.0, 0.0)])
    times = time_range(START, duration="2m", step_s=60)
    _, r, _ = next(itrs_chunks(sats, times))
    S = r[0, 1]  # the middle sample
    s_el = math.sin(math.radians(10.0))
    lat = round(math.degrees(math.atan2(S[2], math.hypot(S[0], S[1])))) + 2.0
    lon_s = math.degrees(math.atan2(S[1], S[0]))
    sgn = 1.0 if side == "east" else -1.0
    lo, hi = lon_s, lon_s + sgn * 40.0  # served at the meridian, not 40 deg away: bisect the end
    assert _margin_at(S, lat, lo, s_el) > 0 > _margin_at(S, lat, hi, s_el)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if _margin_at(S, lat, mid, s_el) >= 0 else (lo, mid)
    return sats, times, r, s_el, lat, lo, sgn


@pytest.mark.parametrize("side", ["east", "west"])
def test_cell_centres_on_the_arc_end_guard_band(side):
    """Cell centres placed within 1e-13 to 1e-4 deg of a served arc's end (the analytic fast path must
    hand the ones inside its error bound to the exact test, and decide the others right): counts equal
    the oracle's, and both paths are exercised."""
    from constellation.kernels import fastpath, rowmodel, sattables, sweep, visibility

    sats, times, r, s_el, lat, end, sgn = _arc_end_case(side)
    mask = 10.0
    codes = set()
    served = set()
    for delta_deg in (-1e-4, -1e-7, -1e-9, -1e-11, -1e-13, 0.0, 1e-13, 1e-11, 1e-9, 1e-7, 1e-4):
        c = end + sgn * delta_deg  # the cell centre next to the arc end; 3 more cells beyond it
        w = c - 0.5 if side == "east" else c - 3.5
        w = (w + 180.0) % 360.0 - 180.0
        grid = region((lat - 0.5, lat + 0.5), (w, (w + 184.0) % 360.0 - 180.0), 1.0)
        got = coverage_counts(sats, times, grid, min_elevation_deg=mask, positions="exact")
        want = oracle_counts(sats, times, grid, mask)
        bad = np.argwhere(got != want)
        assert bad.size == 0, f"{side} delta={delta_deg} deg: mismatches {bad[:5].tolist()}"
        k = 0 if side == "east" else 3
        served.add(int(want[1, k]))
        rg = rowmodel.row_geometry(grid)
        sats_f, sats_i = sweep.satellite_tables(np.zeros(1, np.int64), s_el, False, -1.0)
        geo = visibility.sat_geometry(r[:, 1:2].transpose(1, 0, 2).copy(), sats_f, sats_i, rg.r_min_km)
        tab = sattables.sat_tables(geo, sats_f, sats_i)[0]
        code = fastpath.fast_segments(tab, 0, 0, rg.rows_f, 0, rg.rows_i[0, rowmodel.ROW_COUNT],
                                      rg.rows_i[0, rowmodel.ROW_FULL] != 0, s_el)[0]
        codes.add(int(code))
    assert served == {0, 1}, "the cells straddle the arc end"
    assert codes == {1, 2}, f"both the analytic path and the exact fallback are exercised, got {codes}"


@pytest.mark.parametrize("side", ["east", "west"])
def test_full_circle_row_guard_band(side):
    """The vectorised fast path of full-circle rows (:func:`_arcs_full_row`, polynomial acos and
    loosened bounds) next to a served arc's end: a whole-circle row whose cell centre sits 1e-13 to
    1e-4 deg from the end gives the oracle's counts, and the bound both decides (code 1) and hands over
    (code 2)."""
    from constellation.grid import _rows_grid
    from constellation.kernels import fastpath, rowmodel, sattables, sweep, visibility

    sats, times, r, s_el, lat, end, sgn = _arc_end_case(side)
    mask = 10.0
    codes = set()
    served = set()
    one = np.ones(1)
    for delta_deg in (-1e-4, -1e-7, -1e-9, -1e-11, -1e-13, 0.0, 1e-13, 1e-11, 1e-9, 1e-7, 1e-4):
        c = end + sgn * delta_deg  # a cell centre of the 1-degree full-circle row
        grid = _rows_grid("rows", np.array([lat]), np.array([c - 100.0]), one, np.array([360]),
                          np.array([True]), one)
        got = coverage_counts(sats, times, grid, min_elevation_deg=mask, positions="exact")
        want = oracle_counts(sats, times, grid, mask)
        bad = np.argwhere(got != want)
        assert bad.size == 0, f"{side} delta={delta_deg} deg: mismatches {bad[:5].tolist()}"
        served.add(int(want[1, 100]))
        rg = rowmodel.row_geometry(grid)
        assert rg.rows_i[0, rowmodel.ROW_FAST] and rg.rows_i[0, rowmodel.ROW_FULL]
        sats_f, sats_i = sweep.satellite_tables(np.zeros(1, np.int64), s_el, False, -1.0)
        geo = visibility.sat_geometry(r[:, 1:2].transpose(1, 0, 2).copy(), sats_f, sats_i, rg.r_min_km)
        tab, order, n_ok, cap_max = sattables.sat_tables(geo, sats_f, sats_i)
        code, k_s, k_lo, k_len = (np.full(1, -7, np.int64) for _ in range(4))
        n_undecided = fastpath.arcs_full_row(tab, order, 0, 0, 1, rg.rows_f, 0, 360, code, k_s, k_lo, k_len)
        codes.add(int(code[0]))
        assert n_undecided == (1 if code[0] == 2 else 0) and k_s[0] == 0
        if code[0] == 1:  # the bound's run is the served cells of the oracle, around the arc end
            run_cells = np.sort((k_lo[0] + np.arange(k_len[0])) % 360)
            assert np.array_equal(run_cells, np.flatnonzero(want[1]))
        else:  # undecided or empty: an empty run, so the arrays can be used as a list of runs
            assert k_lo[0] == 0 and k_len[0] == 0
    assert served == {0, 1}, "the cells straddle the arc end"
    assert codes == {1, 2}, f"both the vectorised bound and the exact fallback are exercised, got {codes}"


def test_acos_poly_error_bound():
    """The fast path's acos (A&S 4.4.46) stays within ACOS_POLY_ERR of numpy's on a dense sample."""
    from constellation.kernels import fastmath

    x = np.concatenate([np.linspace(-1.0, 1.0, 2_000_001), 1.0 - np.logspace(-16, -1, 2001),
                        -1.0 + np.logspace(-16, -1, 2001)])
    err = np.abs(fastmath.poly_acos_array(x) - np.arccos(x))
    assert err.max() < 2.5e-8 < fastmath.ACOS_POLY_ERR


def test_fast_arc_ends_equal_exact_walk(monkeypatch):
    """The analytic arc ends against the exact walk of every end: the same counts on a fine grid."""
    import importlib

    cov_mod = importlib.import_module("constellation.engine")
    sats = random_sats(13, ("leo", "polar"), n_each=6)
    times = time_range(START, duration="40m", step_s=120)
    grid = global_grid(1.0)
    fast = coverage_counts(sats, times, grid, min_elevation_deg=10.0)
    monkeypatch.setattr(cov_mod, "_FAST_ARCS", False)
    exact = coverage_counts(sats, times, grid, min_elevation_deg=10.0)
    assert_same(fast, exact, "fast vs exact arc ends")
