"""``propagate`` against Skyfield, and the Dataset it returns.

Skyfield (``EarthSatellite.at(t).frame_xyz(itrs)``, ``wgs84.geographic_position_of``) is an independent
implementation of the same chain (SGP4 TEME -> ITRS with the same IERS dUT1 table, its own WGS84
geodesy): we require agreement within 1 m in position, in the sub-satellite point (latitude and
longitude as metres on the ground) and in height, forwards and backwards from the element epochs.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import sample_file, sgp4_file

import constellation
from constellation.propagation import itrs_chunks, propagate, propagate_arrays, teme_states
from constellation.satellite import Constellation

TOL_M = 1.0
GNSS = ["gps-ops_2022-02-04.txt", "galileo_2022-02-04.txt", "glo-ops_2022-02-04.txt",
        "beidou_2022-02-04.txt", "iridium-NEXT_2025-07-19.tle"]


def _skyfield_times(times):
    import datetime as dt

    from skyfield.api import load

    ts = load.timescale(builtin=True)  # built from Python datetimes: independent of our conversion
    return ts.from_datetimes([dt.datetime.fromisoformat(str(t)[:26]).replace(tzinfo=dt.UTC)
                              for t in times])


def _compare_with_skyfield(sats: Constellation, times: np.ndarray) -> None:
    from skyfield.api import wgs84
    from skyfield.framelib import itrs

    ds = propagate(sats, times)
    t = _skyfield_times(times)
    r_ours = np.stack([ds.x_km.values, ds.y_km.values, ds.z_km.values], axis=-1)
    worst = dict(pos=0.0, ground=0.0, height=0.0)
    for i, es in enumerate(sats.to_skyfield()):
        g = es.at(t)
        ok = ds.sgp4_error.values[i] == 0
        r_sf = g.frame_xyz(itrs).km.T
        worst["pos"] = max(worst["pos"], np.linalg.norm(r_ours[i][ok] - r_sf[ok], axis=-1).max(initial=0) * 1e3)
        p = wgs84.geographic_position_of(g)
        dlat = (ds.lat_deg.values[i] - p.latitude.degrees)[ok]
        dlon = ((ds.lon_deg.values[i] - p.longitude.degrees + 180.0) % 360.0 - 180.0)[ok]
        coslat = np.cos(np.radians(p.latitude.degrees[ok]))
        ground = np.hypot(dlat, dlon * coslat) * (np.pi / 180.0) * 6371e3
        worst["ground"] = max(worst["ground"], ground.max(initial=0))
        worst["height"] = max(worst["height"],
                              np.abs(ds.alt_km.values[i] - p.elevation.km)[ok].max(initial=0) * 1e3)
    assert worst["pos"] <= TOL_M, worst
    assert worst["ground"] <= TOL_M, worst
    assert worst["height"] <= TOL_M, worst


def _window(sats):
    """-3 d .. +3 d around the latest epoch, every 4 h 7 min (so times fall all over the day)."""
    t0 = sats.epochs.max()
    return constellation.time_range(t0 - np.timedelta64(3, "D"), t0 + np.timedelta64(3, "D"), step_s=4 * 3600 + 420)


def test_jinan368_agrees_with_skyfield():
    sats = constellation.jinan368()
    _compare_with_skyfield(sats, _window(sats))


@pytest.mark.parametrize("name", GNSS)
def test_gnss_and_iridium_agree_with_skyfield(name):
    sats = constellation.load(sample_file(name))
    assert len(sats) > 20
    _compare_with_skyfield(sats, _window(sats))  # no satellite fails: a PropagationWarning is an error


def test_dataset_layout(stations):
    sats = stations[:5]
    times = constellation.time_range("2020-06-25T12:00", duration="1h", step_s=600)
    ds = propagate(sats, times, velocities=True)
    assert ds.sizes == {"satellite": 5, "time": 7}
    for k in ("x_km", "y_km", "z_km", "lat_deg", "lon_deg", "alt_km", "vx_km_s", "vy_km_s", "vz_km_s"):
        assert ds[k].dims == ("satellite", "time") and ds[k].dtype == np.float64 and ds[k].attrs["units"]
    assert ds.sgp4_error.dtype == np.uint8 and not ds.sgp4_error.values.any()
    assert list(ds.name.values) == list(sats.names)
    assert (ds.catalog_number.values == sats.catalog_numbers).all()
    assert ds.launched.dtype == bool and ds.group.dims == ("satellite",)
    assert ds.time.dtype == np.dtype("datetime64[ns]")
    assert "ITRS" in ds.attrs["frame"] and ds.attrs["ellipsoid"] == "WGS84"
    assert ds.attrs["polar_motion"] == "not applied"
    assert np.all((ds.lon_deg > -180) & (ds.lon_deg <= 180)) and np.all(np.abs(ds.lat_deg) <= 90)
    # speed of an ISS-like orbit in ITRS: ~7.2-7.7 km/s
    speed = np.sqrt(ds.vx_km_s ** 2 + ds.vy_km_s ** 2 + ds.vz_km_s ** 2)
    assert float(speed.min()) > 6.5 and float(speed.max()) < 8.0


def test_itrs_velocity_is_the_derivative_of_position(stations):
    sats = stations[:3]
    t = constellation.time_range("2020-06-25T12:00", duration="2s", step_s=1)
    ds = propagate(sats, t, velocities=True)
    for a, va in (("x_km", "vx_km_s"), ("y_km", "vy_km_s"), ("z_km", "vz_km_s")):
        fd = (ds[a].values[:, 2] - ds[a].values[:, 0]) / 2.0
        np.testing.assert_allclose(ds[va].values[:, 1], fd, atol=2e-5)  # central difference, 1 s


def test_chunking_does_not_change_results(stations):
    times = constellation.time_range("2020-06-25", duration="6h", step_s=97)
    full = propagate(stations, times, chunk_satsteps=10_000_000)
    small = propagate(stations, times, chunk_satsteps=50)  # many chunks through the helper thread
    for k in ("x_km", "lat_deg", "lon_deg", "alt_km", "sgp4_error"):
        np.testing.assert_array_equal(full[k].values, small[k].values)
    chunks = list(itrs_chunks(stations, times, chunk_satsteps=300))
    assert len(chunks) > 5
    r = np.concatenate([c[1] for c in chunks], axis=1)
    np.testing.assert_allclose(r[..., 0], full.x_km.values, rtol=0, atol=1e-9)
    assert [c[0].start for c in chunks] == sorted(c[0].start for c in chunks)


def test_dut1_and_polar_motion_arguments(stations):
    t = constellation.time_range("2020-06-25T12:00", duration="10m", step_s=300)
    base = propagate(stations[:2], t, dut1=0.0)
    shifted = propagate(stations[:2], t, dut1=1.0)  # UT1 one second later
    moved = np.hypot(shifted.x_km - base.x_km, shifted.y_km - base.y_km).values
    r_axis = np.hypot(base.x_km, base.y_km).values
    # a wrong dUT1 of ~1 s rotates the Earth by 7.29e-5 rad: displacement ~ 7.29e-5 * distance from axis
    np.testing.assert_allclose(moved, 7.292e-5 * r_axis, rtol=0.05)
    pm = propagate(stations[:2], t, dut1=0.0, polar_motion_arcsec=(0.2, 0.3))
    d = np.sqrt((pm.x_km - base.x_km) ** 2 + (pm.y_km - base.y_km) ** 2 + (pm.z_km - base.z_km) ** 2) * 1e3
    assert float(d.max()) < 20.0 and float(d.min()) > 1.0
    assert pm.attrs["polar_motion"] == "applied"


def test_arrays_form_equals_dataset(stations):
    t = constellation.time_range("2020-06-25T12:00", duration="1h", step_s=300)
    out, err = propagate_arrays(stations, t)
    ds = propagate(stations, t)
    for k, v in out.items():
        np.testing.assert_array_equal(v, ds[k].values)
    np.testing.assert_array_equal(err, ds.sgp4_error.values)


def test_empty_inputs(stations):
    t = constellation.time_range("2020-06-25T12:00", duration="1h", step_s=300)
    ds = propagate(Constellation([]), t)
    assert ds.sizes == {"satellite": 0, "time": t.size}
    ds = propagate(stations[:3], np.array([], dtype="datetime64[ns]"))
    assert ds.sizes == {"satellite": 3, "time": 0}


def test_teme_states_shapes(stations):
    t = constellation.time_range("2020-06-25T12:00", duration="1h", step_s=600)
    err, r, v = teme_states(stations[:4], t)
    assert err.shape == (4, 7) and r.shape == v.shape == (4, 7, 3)


def test_package_attribute_is_callable_even_after_importing_the_module(stations):
    import constellation.propagation  # noqa: F401  (binds the module to the package attribute)

    t = constellation.time_range("2020-06-25T12:00", duration="10m", step_s=600)
    ds = constellation.propagate(stations[:1], t)
    assert ds.sizes["time"] == 2


def test_streaming_chunks_report_decayed_satellites_once():
    """itrs_chunks (what coverage, DOP and passes stream from) names the satellites that decay in one
    warning once the last chunk is consumed, and they are NaN from their failing time on."""
    from sgp4.api import Satrec

    from constellation.propagation import PropagationWarning

    lines = [ln.rstrip() for ln in sgp4_file("SGP4-VER.TLE").read_text().splitlines()
             if ln.startswith(("1 28872", "2 28872", "1 29141", "2 29141"))]
    sats = constellation.as_constellation([Satrec.twoline2rv(a[:69], b[:69]) for a, b in zip(lines[::2], lines[1::2])])
    times = constellation.time_range(sats[0].epoch, duration="12h", step_s=600)
    with pytest.warns(PropagationWarning) as caught:
        chunks = list(itrs_chunks(sats, times, chunk_satsteps=10))
    messages = [str(w.message) for w in caught if issubclass(w.category, PropagationWarning)]
    assert len(messages) == 1 and "28872" in messages[0] and "error 6" in messages[0]
    r = np.concatenate([c[1] for c in chunks], axis=1)
    err = np.concatenate([c[2] for c in chunks], axis=1)
    bad = err != 0
    assert bad.any() and np.isnan(r[bad]).all() and np.isfinite(r[~bad]).all()
    # once failed, always failed
    assert (np.diff(bad.astype(int), axis=1) >= 0).all()
