"""Dilution of precision: a closed-form geometry, a brute-force numpy oracle, and GPS's known figures.

Tolerances: 1e-9 against the closed form and against the brute-force numpy DOP (same arithmetic up to
rounding).  GPS (31 satellites, 2022-02-04, 5 deg mask): PDOP over a near-uniform global set of points and
a day has median in [1, 3] and 95th percentile below 3.5 (the usual GPS figures: PDOP mostly 1-3, rarely
above ~3 with a full constellation), and at least 4 satellites are always in view.
Satellites in view: exactly (integer equality) the counts of the coverage engine
(:func:`constellation.coverage.coverage_counts`) for the same satellites, times, grid and mask, since DOP
uses the same footprint search and elevation test.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import xarray as xr

import constellation as C
from constellation.api import coverage_counts
from constellation.grid import equal_area, global_grid, points, region
from constellation.kernels.frames import itrs_from_geodetic
from constellation.navigation import dop, dop_from_positions

NAMES = ("gdop", "pdop", "hdop", "vdop", "tdop")


def enu_basis(lat_deg, lon_deg):
    la, lo = np.radians(lat_deg), np.radians(lon_deg)
    east = np.array([-np.sin(lo), np.cos(lo), 0.0])
    north = np.array([-np.sin(la) * np.cos(lo), -np.sin(la) * np.sin(lo), np.cos(la)])
    up = np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
    return east, north, up


def brute_dop(r, cells_lat, cells_lon, cells_h_m, mask_deg):
    """Per (time, cell): DOPs (5) and count in view, by numpy linear algebra on the full H matrix."""
    n_sat, n_t, _ = r.shape
    out = np.full((n_t, cells_lat.size, 5), np.nan)
    count = np.zeros((n_t, cells_lat.size), int)
    for c in range(cells_lat.size):
        site = itrs_from_geodetic(cells_lat[c], cells_lon[c], cells_h_m[c] / 1000.0)
        e, n, u = enu_basis(cells_lat[c], cells_lon[c])
        for t in range(n_t):
            d = r[:, t] - site
            d = d / np.linalg.norm(d, axis=1)[:, None]
            los = np.stack([d @ e, d @ n, d @ u], -1)
            vis = los[:, 2] >= np.sin(np.radians(mask_deg))
            count[t, c] = vis.sum()
            if vis.sum() < 4:
                continue
            H = np.hstack([-los[vis], np.ones((vis.sum(), 1))])
            q = np.diag(np.linalg.inv(H.T @ H))
            out[t, c] = np.sqrt([q.sum(), q[:3].sum(), q[:2].sum(), q[2], q[3]])
    return out, count


def test_closed_form_geometry():
    # one satellite at the zenith and three at elevation a, azimuths 0/120/240: with s = sin(a),
    # Q_ee = Q_nn = 1 / (1.5 cos^2 a), Q_uu = 4 / (3 (1 - s)^2), Q_tt = (1 + 3 s^2) / (3 (1 - s)^2)
    lat, lon, h = 36.65, 117.0, 120.0
    a = np.radians(30.0)
    e, n, u = enu_basis(lat, lon)
    site = itrs_from_geodetic(lat, lon, h / 1000.0)
    dirs = [u] + [np.cos(a) * (np.sin(az) * e + np.cos(az) * n) + np.sin(a) * u
                  for az in np.radians([0.0, 120.0, 240.0])]
    r = np.array([[site + 20200.0 * d] for d in dirs])  # (4 sats, 1 time, 3)
    ds = dop_from_positions(r, np.array(["2026-01-01"], "datetime64[ns]"), points([lat], [lon], ["x"], [h]), 5.0)
    s = np.sin(a)
    qe = 1.0 / (1.5 * np.cos(a) ** 2)
    qu = 4.0 / (3.0 * (1.0 - s) ** 2)
    qt = (1.0 + 3.0 * s * s) / (3.0 * (1.0 - s) ** 2)
    expect = dict(gdop=np.sqrt(2 * qe + qu + qt), pdop=np.sqrt(2 * qe + qu), hdop=np.sqrt(2 * qe),
                  vdop=np.sqrt(qu), tdop=np.sqrt(qt))
    for k, v in expect.items():
        assert float(ds[k].values[0, 0]) == pytest.approx(v, rel=1e-9, abs=0)
        assert float(ds[f"{k}_mean"].values[0]) == pytest.approx(v, rel=1e-9, abs=0)
    assert int(ds.sats_in_view.values[0, 0]) == 4
    # drop one satellite: fewer than 4 in view, no DOP
    ds3 = dop_from_positions(r[:3], np.array(["2026-01-01"], "datetime64[ns]"), points([lat], [lon]), 5.0)
    assert np.isnan(ds3.pdop.values).all() and float(ds3.insufficient_fraction.values[0]) == 1.0


@pytest.mark.parametrize("make_grid, mask_deg", [
    (lambda: global_grid(15.0), 5.0),
    (lambda: global_grid(15.0), -3.0),  # a negative mask (below the horizon plane)
    (lambda: region(lat=(-40, 70), lon=(150, -120), res_deg=10.0), 5.0),
    (lambda: region(lat=(-40, 70), lon=(150, -120), res_deg=10.0), 25.0),
    (lambda: equal_area(20.0), 5.0),
    (lambda: points([0.0, 89.5, -60.0, 36.65], [179.9, 10.0, -75.0, 117.0], height_m=[0, 0, 2500.0, 50.0]),
     5.0),
])
def test_equals_brute_force_numpy(make_grid, mask_deg):
    rng = np.random.default_rng(7)
    n_sat, n_t = 40, 6
    v = rng.normal(size=(n_sat, n_t, 3))
    radius = rng.uniform(6900.0, 16000.0, size=(n_sat, 1, 1))  # LEO to MEO: small and large footprints
    r = v / np.linalg.norm(v, axis=-1, keepdims=True) * radius
    r[3, 2] = np.nan  # a failed propagation: in view nowhere at that step
    times = C.time_range("2026-01-01", duration=(n_t - 1) * 60, step_s=60)
    grid = make_grid()
    ds = dop_from_positions(r, times, grid, min_elevation_deg=mask_deg, threshold=3.0)
    ref, count = brute_dop(r, grid.lat_deg, grid.lon_deg, grid.height_m, mask_deg)
    assert (count >= 4).any() and (count < 4).any()  # both cases exercised
    flat = lambda name: np.asarray(ds[name].values, float).reshape(-1)  # noqa: E731
    with warnings.catch_warnings():  # nanmean/nanmax of cells that never have 4 in view: NaN, as ours
        warnings.simplefilter("ignore", RuntimeWarning)
        for m, name in enumerate(NAMES):
            np.testing.assert_allclose(flat(f"{name}_mean"), np.nanmean(ref[..., m], axis=0), rtol=1e-9)
            np.testing.assert_allclose(flat(f"{name}_max"), np.nanmax(ref[..., m], axis=0), rtol=1e-9)
            np.testing.assert_allclose(flat(f"{name}_min"), np.nanmin(ref[..., m], axis=0), rtol=1e-9)
    np.testing.assert_allclose(flat("sats_in_view_mean"), count.mean(axis=0), rtol=1e-12)
    np.testing.assert_array_equal(flat("sats_in_view_max"), count.max(axis=0))
    np.testing.assert_allclose(flat("insufficient_fraction"), (count < 4).mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(flat("pdop_below_threshold_fraction"), (ref[..., 1] <= 3.0).mean(axis=0),
                               rtol=1e-12)
    if grid.kind == "points":
        for m, name in enumerate(NAMES):
            np.testing.assert_allclose(ds[name].values, ref[..., m], rtol=1e-9)
        np.testing.assert_array_equal(ds.sats_in_view.values, count)
    assert ds["pdop_mean"].dims == grid.dims


@pytest.mark.parametrize("make_grid", [
    lambda: global_grid(10.0),
    lambda: region(lat=(-35, 60), lon=(160, -150), res_deg=4.0),  # crosses the antimeridian
    lambda: points([36.65, -33.9, 0.0, 64.1, -77.8], [117.0, 18.4, -179.95, -21.9, 166.7],
                   names=list("abcde"), height_m=[50.0, 1200.0, 0.0, 3000.0, 8000.0]),
])
@pytest.mark.parametrize("seed", [1, 2])
def test_sats_in_view_equal_coverage_counts(make_grid, seed):
    # DOP and the coverage engine must see the same satellites in every cell at every step: random
    # satellites of the plan (all three shells), a random start and mask; integer equality.
    rng = np.random.default_rng(seed)
    plan = C.jinan368()
    sats = plan.select(mask=np.isin(np.arange(len(plan)), rng.choice(len(plan), 60, replace=False)))
    start = np.datetime64("2026-01-01T00:00") + np.timedelta64(int(rng.integers(0, 86400)), "s")
    times = C.time_range(start, duration=5 * 120, step_s=120)
    mask_deg = float(rng.uniform(0.0, 30.0))
    grid = make_grid()
    expect = coverage_counts(sats, times, grid, min_elevation_deg=mask_deg, positions="exact")  # (time, cell)
    assert expect.shape == (times.size, grid.n_cells) and expect.max() >= 4 and (expect < 4).any()
    flat = lambda ds, name: np.asarray(ds[name].values, float).reshape(-1)  # noqa: E731
    if grid.kind == "points":
        ds = dop(sats, times, grid, min_elevation_deg=mask_deg)
        np.testing.assert_array_equal(ds.sats_in_view.values, expect)
    else:  # per-step counts of a grid: one step per call (sats_in_view_min = max = the count)
        for i in range(times.size):
            ds = dop(sats, times[i:i + 1], grid, min_elevation_deg=mask_deg)
            np.testing.assert_array_equal(flat(ds, "sats_in_view_min"), expect[i])
            np.testing.assert_array_equal(flat(ds, "sats_in_view_max"), expect[i])
        ds = dop(sats, times, grid, min_elevation_deg=mask_deg)
    np.testing.assert_array_equal(flat(ds, "sats_in_view_min"), expect.min(axis=0))
    np.testing.assert_array_equal(flat(ds, "sats_in_view_max"), expect.max(axis=0))
    np.testing.assert_allclose(flat(ds, "sats_in_view_mean"), expect.mean(axis=0), rtol=1e-12)
    np.testing.assert_array_equal(flat(ds, "insufficient_fraction"), (expect < 4).mean(axis=0))


def test_gps_figures(gps):
    cells = equal_area(15.0)
    sites = points(cells.lat_deg, cells.lon_deg)
    times = C.time_range("2022-02-04T00:00", duration="1d", step_s=900)
    ds = dop(gps, times, sites, min_elevation_deg=5.0)
    pdop = ds.pdop.values
    assert np.isfinite(pdop).all()                       # >= 4 in view everywhere, always
    assert float(ds.insufficient_fraction.max()) == 0.0
    median, p95 = np.median(pdop), np.percentile(pdop, 95)
    assert 1.0 <= median <= 3.0, median
    assert p95 < 3.5, p95
    assert (ds.hdop.values <= ds.pdop.values).all() and (ds.vdop.values <= ds.pdop.values).all()
    assert (ds.pdop.values <= ds.gdop.values).all()
    assert 6 <= float(ds.sats_in_view_mean.mean()) <= 14   # GPS users typically see 8-12 above 5 deg


def test_dataset_layout_and_attrs():
    sats = C.jinan368().select(group="nav")
    times = C.time_range("2026-01-01", duration="20m", step_s=300)
    ds = dop(sats, times, global_grid(10.0), min_elevation_deg=5.0)
    assert ds.pdop_mean.dims == ("lat", "lon") and ds.pdop_mean.shape == (18, 36)
    assert ds.lat.attrs["standard_name"] == "latitude" and ds.lon.attrs["units"] == "degrees_east"
    for key in ("Conventions", "title", "n_satellites", "time_coverage_start", "time_coverage_end", "step_s",
                "min_elevation_deg", "pdop_threshold", "grid", "software"):
        assert key in ds.attrs
    assert ds.attrs["n_satellites"] == 32 and ds.attrs["step_s"] == 300.0
    assert ds.pdop_below_threshold_fraction.attrs["units"] == "1"
    frac = ds.insufficient_fraction.values
    assert ((0 <= frac) & (frac <= 1)).all()


def test_cli_dop_writes_netcdf(tmp_path, capsys):
    from constellation.cli import main

    out = tmp_path / "dop.nc"
    rc = main(["dop", "--group", "nav", "--duration", "30m", "--step", "10m", "--grid-deg", "10", "--output",
               str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "DOP of 32 satellites" in text and "fewer than 4 satellites in view" in text
    ds = xr.open_dataset(out, engine="h5netcdf")
    assert "pdop_mean" in ds and ds.attrs["min_elevation_deg"] == 5.0
    ds.close()
    assert main(["dop", "--group", "nope", "--output", str(out)]) == 2
    assert main(["dop", "--grid-deg", "7", "--output", str(out)]) == 2
