"""Pushbroom swath opportunities against a brute-force oracle on Skyfield's ITRS states every second (both
nadirs), revisit figures against their definitions on a hand-made table, and data latency against a
brute-force contact search on Skyfield elevations every second; and a published case, Landsat 8 on the
Worldwide Reference System 2.

Tolerances: opportunity times within 0.05 s of the oracle (linear interpolation of the along-track
product between 1-second samples), cross-track angles within 0.01 degree; opportunities within 0.02
degree of the swath edge may fall either side.  Latency within 1 s.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import data_file
from test_groundlink import _sky_station

import constellation as C
from constellation.groundlink import contacts
from constellation.imaging import imaging_figures, opportunity_latency_s, swath_opportunities
from constellation.stations import china_network

START, STOP = "2026-01-01T00:00", "2026-01-01T03:00"
HALF = 25.0


@pytest.fixture(scope="module")
def sats(jinan):
    return jinan.select(group="eo")[[0, 17, 40]]


@pytest.fixture(scope="module")
def cells():
    rng = np.random.default_rng(17)
    return C.grid.points(rng.uniform(-70, 70, 150), rng.uniform(-180, 180, 150))


_STATES: dict = {}


def _sky_states(sat, times):
    """ITRS position (km) and velocity (km/s) from Skyfield every step of ``times`` (kept per satellite
    for the module's one window)."""
    key = (sat.name, str(times[0]), str(times[-1]), len(times))
    if key in _STATES:
        return _STATES[key]
    from skyfield.api import load
    from skyfield.framelib import itrs

    ts = load.timescale(builtin=True)
    t0 = pd.Timestamp(times[0])
    sec = np.asarray((pd.DatetimeIndex(times) - t0) / pd.Timedelta(1, "s"), float)
    t = ts.utc(t0.year, t0.month, t0.day, t0.hour, t0.minute, t0.second + sec)
    r, v = sat.to_skyfield(ts).at(t).frame_xyz_and_velocity(itrs)
    _STATES[key] = r.km.T, v.km_per_s.T
    return _STATES[key]


def _oracle(sat, grid, nadir):
    """Brute force: the along-track product every second; each + to - change, linearly interpolated;
    the cross-track angle from the interpolated state."""
    from skyfield.api import load, wgs84
    from skyfield.constants import AU_KM
    from skyfield.framelib import itrs
    from skyfield.positionlib import Geocentric

    ts = load.timescale(builtin=True)

    times = pd.date_range(START, STOP, freq="1s")
    r, v = _sky_states(sat, times)
    out = []
    for k in range(grid.n_cells):
        pos, up = _sky_station(grid.lat_deg[k], grid.lon_deg[k], 0.0)
        f = np.einsum("ij,ij->i", pos[None, :] - r, v)
        for j in np.flatnonzero((f[:-1] > 0) & (f[1:] <= 0)):
            w = f[j] / (f[j] - f[j + 1])
            s = r[j] + w * (r[j + 1] - r[j])
            vel = v[j] + w * (v[j + 1] - v[j])
            los = pos - s
            if los @ up > 0:  # below the cell's horizon
                continue
            vhat = vel / np.linalg.norm(vel)
            if nadir == "geocentric":
                down = -s / np.linalg.norm(s)
            else:
                tt = pd.Timestamp(times[j]) + pd.Timedelta(seconds=float(w))
                t = ts.utc(tt.year, tt.month, tt.day, tt.hour, tt.minute, tt.second + tt.microsecond * 1e-6)
                sub = wgs84.subpoint_of(Geocentric(itrs.rotation_at(t).T @ (s / AU_KM), t=t))
                la, lo = sub.latitude.radians, sub.longitude.radians
                down = -np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
            down = down - (down @ vhat) * vhat
            down /= np.linalg.norm(down)
            xt = np.degrees(np.arctan2(los @ np.cross(down, vhat), los @ down))
            out.append((k, times[j] + pd.Timedelta(seconds=float(w)), xt))
    return pd.DataFrame(out, columns=["cell", "time", "xt"])


@pytest.mark.parametrize("nadir", ["geocentric", "geodetic"])
def test_swath_against_bruteforce(sats, cells, nadir):
    table = swath_opportunities(sats, cells, START, STOP, half_angle_deg=HALF, step_s=60.0, nadir=nadir)
    assert len(table) > 10
    for i, sat in enumerate(sats):
        ref = _oracle(sat, cells, nadir)
        mine = table[table.satellite_index == i]
        inside = ref[np.abs(ref.xt) <= HALF - 0.02]
        maybe = ref[np.abs(ref.xt) <= HALF + 0.02]
        assert len(inside) <= len(mine) <= len(maybe), (nadir, sat.name)
        for row in mine.itertuples():
            cand = maybe[maybe.cell == row.cell]
            dt = np.abs((cand.time - row.time).dt.total_seconds().to_numpy())
            assert dt.size and dt.min() <= 0.05, (nadir, sat.name, row)
            assert abs(cand.xt.to_numpy()[dt.argmin()] - row.cross_track_deg) <= 0.01


def test_step_does_not_lose_opportunities(sats, cells):
    """Coarse steps find the same instants: they are roots between samples, not samples."""
    fine = swath_opportunities(sats, cells, START, STOP, half_angle_deg=HALF, step_s=10.0)
    coarse = swath_opportunities(sats, cells, START, STOP, half_angle_deg=HALF, step_s=120.0)
    assert len(fine) == len(coarse) > 0
    dt = (fine.time - coarse.time).dt.total_seconds().abs()
    assert dt.max() < 0.01


def test_revisit_definitions():
    """Revisit on a hand-made table: gaps between distinct instants, window edges left out (TAT-C), and the
    longest wait with the edges."""
    grid = C.grid.points([0, 10, 20], [0, 0, 0])
    t0 = np.datetime64("2026-01-01T00:00:00", "ns")
    sec = np.array([100, 100, 400, 1000, 500])
    table = pd.DataFrame({"cell": [0, 0, 0, 0, 1], "satellite_index": [0, 1, 0, 1, 0],
                          "time": t0 + (sec * 1e9).astype("timedelta64[ns]")})
    table.attrs.update(start=str(t0), stop=str(t0 + np.timedelta64(2000, "s")))
    ds = imaging_figures(table, grid)
    np.testing.assert_array_equal(ds.opportunities, [3, 1, 0])  # the two at 100 s count once
    np.testing.assert_allclose(ds.revisit_mean_s, [450.0, np.nan, np.nan])
    np.testing.assert_allclose(ds.revisit_max_s, [600.0, np.nan, np.nan])
    np.testing.assert_allclose(ds.max_wait_s, [1000.0, 1500.0, 2000.0])
    with pytest.raises(ValueError, match="attrs must give the window"):
        imaging_figures(table[table.cell == 0].copy().pipe(lambda t: setattr(t, "attrs", {}) or t), grid)


def test_latency_against_bruteforce(sats, cells):
    """Latency: the end of the satellite's first contact (any station) ending at or after the observation,
    from Skyfield elevations every second."""
    net = china_network()
    stop = STOP
    opp = swath_opportunities(sats, cells, START, STOP, half_angle_deg=HALF, step_s=60.0)
    ct = contacts(sats, net, START, stop)
    lat = opportunity_latency_s(opp, ct, len(sats))
    times = pd.date_range(START, stop, freq="1s")
    t_s = np.asarray((times - times[0]) / pd.Timedelta(1, "s"), float)
    stations = [_sky_station(a, b, h) for a, b, h in zip(net.lat_deg, net.lon_deg, net.height_m)]
    checked = 0
    for i, sat in enumerate(sats):
        r, _ = _sky_states(sat, times)
        ends = []
        for (pos, up), mask in zip(stations, net.min_elevation_deg):
            rho = r - pos
            vis = rho @ up / np.linalg.norm(rho, axis=1) >= np.sin(np.radians(mask))
            ends.extend(t_s[np.flatnonzero(vis[:-1] & ~vis[1:])])
        ends = np.sort(ends)
        sel = np.flatnonzero(opp.satellite_index.to_numpy() == i)
        obs = ((opp.time.to_numpy()[sel] - times[0].to_datetime64()) / np.timedelta64(1, "ns")) * 1e-9
        j = np.searchsorted(ends, obs)
        ref = np.where(j < ends.size, ends[np.minimum(j, ends.size - 1)] - obs, np.nan)
        np.testing.assert_allclose(lat[sel], ref, atol=1.0, equal_nan=True)
        checked += np.isfinite(ref).sum()
    assert checked > 5
    ds = imaging_figures(opp, cells, ct, len(sats), percentile=90)
    assert "latency_p90_s" in ds and np.all(ds.latency_p90_s.fillna(0) <= ds.latency_max_s.fillna(0))
    assert np.nanmax(ds.latency_max_s) == pytest.approx(np.nanmax(lat))
    assert int(ds.undelivered.sum()) == int(np.isnan(lat).sum())


def test_bad_arguments(sats, cells):
    with pytest.raises(ValueError, match="half_angle_deg"):
        swath_opportunities(sats, cells, START, STOP, half_angle_deg=95)
    with pytest.raises(ValueError, match="nadir"):
        swath_opportunities(sats, cells, START, STOP, half_angle_deg=10, nadir="up")
    with pytest.raises(ValueError, match="step_s"):
        swath_opportunities(sats, cells, START, STOP, half_angle_deg=10, step_s=600)


def test_landsat8_wrs2_published_geometry():
    """A published case: Landsat 8 (CelesTrak elements of 2025-05-24) with the OLI's 15-degree field of view
    (7.5-degree half-angle, the published 185 km swath) on the Worldwide Reference System 2: 233 paths in a
    16-day repeat cycle, 172.4 km apart at the equator, adjacent paths imaged 7 (or 9) days apart.

    Over one cycle every equatorial point is imaged on descending (daytime) passes once or, in the sidelap
    between adjacent paths, twice, 7 or 9 days apart.  The sidelap fraction follows from the published
    figures: the swath, 2 x 92.9 km for 7.5 degrees from 705 km, spans 185.8 km / cos(12.1 deg) along the
    equator (the ground track crosses it 12.1 degrees from north at 98.2 degrees inclination), so
    190.0 / 172.4 - 1 = 10.2 % of the equator lies in two paths; 400 points must show it within 2 points
    in a hundred."""
    sats = C.load(data_file("celestrak_resource_2025-05-25_omm.json"))
    l8 = sats[[i for i, n in enumerate(sats.names) if n == "LANDSAT 8"]]
    assert len(l8) == 1
    lon = np.linspace(-180.0, 180.0, 400, endpoint=False)
    equator = C.grid.points(np.zeros(lon.size), lon)
    opp = swath_opportunities(l8, equator, "2025-05-25", duration="16d", half_angle_deg=7.5, step_s=60.0)
    day = opp[~opp.ascending.to_numpy()]
    count = np.bincount(day.cell, minlength=equator.n_cells)
    assert count.min() == 1 and count.max() == 2
    assert abs((count == 2).mean() - 0.102) <= 0.02, (count == 2).mean()
    for k in np.flatnonzero(count == 2):
        gap_d = float(np.diff(day.time[day.cell == k].to_numpy())[0] / np.timedelta64(1, "h")) / 24.0
        assert min(abs(gap_d - 7.0), abs(gap_d - 9.0)) < 0.1, (k, gap_d)


def test_satellite_chunks_give_the_same_table(sats, cells, monkeypatch):
    """Propagating a few samples at a time (a small memory bound; chunks share one sample), and an output
    buffer too small for a chunk's opportunities (the kernel runs again with a larger one), change
    nothing."""
    from constellation import imaging

    whole = swath_opportunities(sats, cells, START, STOP, half_angle_deg=HALF, step_s=60.0)
    monkeypatch.setattr(imaging, "_BUFFER_ROWS", 3)
    small = swath_opportunities(sats, cells, START, STOP, half_angle_deg=HALF, step_s=60.0)
    pd.testing.assert_frame_equal(whole, small)
    monkeypatch.setattr(imaging, "_CHUNK_SATSTEPS", 10)
    pieces = swath_opportunities(sats, cells, START, STOP, half_angle_deg=HALF, step_s=60.0)
    pd.testing.assert_frame_equal(whole, pieces)


def test_sun_limit_against_skyfield(sats, cells):
    """``min_sun_elevation_deg`` keeps exactly the opportunities with the Sun at least that high over the
    cell, judged by Skyfield's topocentric Sun altitude (DE421, no refraction) at each imaging instant,
    up to 0.01 deg (the Sun's parallax and the interpolation between hourly nodes are far smaller)."""
    import os

    import skyfield_data
    from skyfield.api import load, load_file, wgs84

    every = swath_opportunities(sats, cells, START, STOP, half_angle_deg=HALF, step_s=60)
    lit = swath_opportunities(sats, cells, START, STOP, half_angle_deg=HALF, step_s=60, min_sun_elevation_deg=10.0)
    assert lit.attrs["min_sun_elevation_deg"] == 10.0 and "sun_elevation_deg" not in every
    eph = load_file(os.path.join(os.path.dirname(skyfield_data.__file__), "data", "de421.bsp"))
    ts = load.timescale(builtin=True)
    t = ts.from_datetimes(pd.DatetimeIndex(every["time"]).tz_localize("UTC").to_pydatetime())
    places = wgs84.latlon(cells.lat_deg[every["cell"].to_numpy()], cells.lon_deg[every["cell"].to_numpy()])
    alt = (eph["earth"] + places).at(t).observe(eph["sun"]).apparent().altaz()[0].degrees
    assert 0 < len(lit) < len(every)  # the limit keeps some and drops some
    clear = np.abs(alt - 10.0) > 0.01
    kept = every.merge(lit[["cell", "satellite_index", "time"]], how="left", indicator=True)["_merge"] == "both"
    assert np.array_equal(kept.to_numpy()[clear], alt[clear] >= 10.0)
    assert np.abs(lit["sun_elevation_deg"].to_numpy() - alt[kept.to_numpy()]).max() < 0.01
    for col in every.columns:  # the rows kept are the rows found, unchanged
        assert np.array_equal(lit[col].to_numpy(), every[col].to_numpy()[kept.to_numpy()])
