"""The Sun test decided per row from the row model (kernels.sweep._sun_row), against the exact test of every
cell, and the Sun-limited counts of a global grid against Skyfield's Sun at every cell and sample."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_sats

from constellation import time_range
from constellation.grid import global_grid, region
from constellation.kernels.rowmodel import ROW_CPHI, ROW_FAST, ROW_FULL, ROW_SPHI, row_geometry
from constellation.kernels.sweep import _sun_row
from constellation.runners import run_serial


def _exact_day(s, up, lo, hi):
    """The Sun test as the kernels evaluate it, in numpy: the same operations in the same order."""
    e = s[0] * up[0] + s[1] * up[1] + s[2] * up[2]
    return ((e >= lo) & (e <= hi)).astype(np.int32)


@pytest.mark.parametrize("make_grid", [lambda: global_grid(1.0), lambda: region((-60, 75), (-180, 180), 0.5),
                                       lambda: global_grid(7.5)], ids=["global-1", "band-0.5", "global-7.5"])
def test_row_model_sun_test_equals_the_exact_test_of_every_cell(make_grid):
    """For random Sun directions and limits (lower only, upper only, both, and limits placed on the model's
    own extremes and near a cell's value, where the exact test decides), every cell of every full-circle
    fast row gets the exact test's value, and the reported change against the previous sample is exact."""
    rg = row_geometry(make_grid())
    rng = np.random.default_rng(17)
    rows = [r for r in range(rg.n_rows) if rg.rows_i[r, ROW_FAST] and rg.rows_i[r, ROW_FULL]
            and rg.rows_f[r, ROW_CPHI] > 0]
    assert len(rows) > 10
    n_checked = 0
    for r in rng.choice(rows, size=min(len(rows), 40), replace=False):
        c0, n = rg.rows_i[r, 0], rg.rows_i[r, 1]
        up = np.ascontiguousarray(rg.cells[c0:c0 + n, 3:6].T)
        for _ in range(60):
            s = rng.normal(size=3)
            s /= np.linalg.norm(s)
            a = rg.rows_f[r, ROW_CPHI] * np.hypot(s[0], s[1])
            b = rg.rows_f[r, ROW_SPHI] * s[2]
            e_cells = s @ up
            pick = rng.integers(6)
            lo = [np.sin(np.radians(rng.uniform(-20, 40))), -2.0, b - a, b + a, e_cells[rng.integers(n)],
                  np.sin(np.radians(-5.0))][pick]
            hi = [2.0, np.sin(np.radians(rng.uniform(-30, 10))), 2.0, 2.0, 2.0,
                  max(lo, e_cells[rng.integers(n)])][pick]
            if pick == 1:
                lo = -2.0
            serv_sun = np.array([[lo, hi], [-2.0, 2.0]])
            prev = rng.integers(0, 2, size=(2, n)).astype(np.int32)
            want = _exact_day(s, up, lo, hi)
            for model in (True, False):
                day = np.full((2, n), 7, np.int32)
                day[1] = 1
                flips = _sun_row(s, up, model, rg.rows_f[r], serv_sun, day, prev)
                np.testing.assert_array_equal(day[0], want)
                assert day[1].min() == 1  # (a service without limits is left as it was)
                assert flips == int((want != prev[0]).any())
                n_checked += 1
    assert n_checked > 1000


@pytest.mark.parametrize("date,lo,hi", [("2026-01-01", 10.0, None), ("2026-06-21", None, -6.0),
                                        ("2026-03-20", 5.0, 60.0)])
def test_sun_limited_counts_of_a_global_grid_against_skyfield(date, lo, hi):
    """Satellites serving each cell of a 3 deg global grid at each sample under a Sun limit, against the
    counts without the limit times the Sun test with Skyfield's apparent geocentric DE421 direction at the
    cells' WGS84 normals: identical except where the Sun is within 1e-6 deg of a limit.  Covers the rows
    decided from the row model and the rows where no cell can meet the limit (their satellites are not
    looked for)."""
    from test_coverage_exact_edges import _skyfield_sun_itrs

    sats = random_sats(21, ("leo", "polar", "meo"), n_each=4)
    times = time_range(np.datetime64(date), duration="12h", step_s=600)
    grid = global_grid(3.0)
    kw = dict(min_elevation_deg=5.0, half_angle_deg=None, min_sats=1, requirements=None, refine_edges=False,
              chunk_steps=None, progress=False, want_siv=True)
    plain = run_serial(sats, times, grid, **kw)["siv"][0]
    got = run_serial(sats, times, grid, min_sun_elevation_deg=lo, max_sun_elevation_deg=hi, **kw)["siv"][0]
    sun = _skyfield_sun_itrs(times)[3]
    el = np.degrees(np.arcsin(np.clip(sun @ np.asarray(grid.up()).T, -1.0, 1.0)))
    day = (el >= (lo if lo is not None else -91.0)) & (el <= (hi if hi is not None else 91.0))
    close = np.zeros_like(day)
    for x in (lo, hi):
        if x is not None:
            close |= np.abs(el - x) < 1e-6
    want = plain * day
    assert np.array_equal(got[~close], want[~close])
    assert 0.1 < day.mean() < 0.9 and (want > 0).any() and (plain[~day] > 0).any()


def test_sun_limited_figures_equal_the_all_exact_path(monkeypatch):
    """Every figure of merit of a Sun-limited run (refined edges, daylight revisit), one service and two
    with "any", bit for bit the same with the row model's Sun test and the skipped dark rows as with the
    analytic fast path off (every arc end walked, every cell's Sun test exact, every row's satellites
    looked for), in January and in June."""
    import importlib

    from constellation.api import Requirement, coverage

    eng = importlib.import_module("constellation.engine")
    sats = random_sats(23, ("leo", "polar", "meo"), n_each=4, group_of={"leo": "eo", "polar": "eo", "meo": "nav"})
    grid = global_grid(4.0)
    runs = [dict(min_elevation_deg=10.0, min_sun_elevation_deg=10.0),
            dict(requirements={"eo": Requirement(10.0, min_sun_elevation_deg=5.0, max_sun_elevation_deg=70.0),
                               "nav": Requirement(5.0, max_sun_elevation_deg=-6.0)})]
    for date in ("2026-01-01", "2026-06-21"):
        times = time_range(np.datetime64(date), duration="12h", step_s=120)
        for kw in runs:
            monkeypatch.setattr(eng, "_FAST_ARCS", True)
            fast = coverage(sats, times, grid, **kw)
            monkeypatch.setattr(eng, "_FAST_ARCS", False)
            exact = coverage(sats, times, grid, **kw)
            assert np.isfinite(fast["revisit_daylight_max_s"].values).any()
            for name in fast.data_vars:
                np.testing.assert_array_equal(fast[name].values, exact[name].values, err_msg=f"{date} {name}")


def test_a_row_that_leaves_the_dark_is_refined_as_on_the_exact_path(monkeypatch):
    """Rows at 79-81 N near the March equinox: the Sun first reaches 10 deg there on the morning of the
    19th, so these rows go from skipped (no cell can meet the limit) to served; the edges and figures of
    merit equal the all-exact path's bit for bit (the satellites of the last skipped sample are looked for,
    so the first sunrise is refined as anywhere else)."""
    import importlib

    from constellation.api import coverage

    eng = importlib.import_module("constellation.engine")
    sats = random_sats(29, ("polar",), n_each=12)
    grid = region((79, 81), (-180, 180), 0.5)
    times = time_range(np.datetime64("2026-03-18"), duration="3d", step_s=60)
    kw = dict(min_elevation_deg=5.0, min_sun_elevation_deg=10.0)
    monkeypatch.setattr(eng, "_FAST_ARCS", True)
    fast = coverage(sats, times, grid, **kw)
    monkeypatch.setattr(eng, "_FAST_ARCS", False)
    exact = coverage(sats, times, grid, **kw)
    assert 0 < np.isfinite(fast["first_access_s"].values).mean() < 1
    for name in fast.data_vars:
        np.testing.assert_array_equal(fast[name].values, exact[name].values, err_msg=name)
