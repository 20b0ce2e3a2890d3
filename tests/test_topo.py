"""Look angles (azimuth, elevation, range) against geometry and against Skyfield's ``altaz``."""

from __future__ import annotations

import numpy as np
import pytest

import constellation
from constellation.kernels.frames import itrs_from_geodetic
from constellation.topo import enu_basis, look_angles, look_angles_itrs

SITE = (36.67, 117.02, 50.0)  # Jinan


def test_geometry_overhead_north_east_and_horizon():
    lat, lon, h = SITE
    site = itrs_from_geodetic(lat, lon, h / 1000)
    east, north, up = enu_basis(lat, lon)
    pts = np.array([site + 500 * up, site + 100 * north, site + 100 * east, site - 100 * north,
                    site + 100 * (north + up) / np.sqrt(2)])
    az, el, rng = look_angles_itrs(pts, lat, lon, h)
    np.testing.assert_allclose(el, [90, 0, 0, 0, 45], atol=1e-9)
    np.testing.assert_allclose((az[1:] - [0, 90, 180, 0] + 180) % 360 - 180, 0, atol=1e-9)
    assert ((az >= 0) & (az < 360)).all()
    np.testing.assert_allclose(rng, [500, 100, 100, 100, 100], atol=1e-9)
    # the up vector is the ellipsoid normal (geodetic), not the geocentric direction
    geocentric = site / np.linalg.norm(site)
    assert np.degrees(np.arccos(up @ geocentric)) > 0.15


def test_basis_is_orthonormal_and_right_handed():
    b = enu_basis(-33.9, 18.4)
    np.testing.assert_allclose(b @ b.T, np.eye(3), atol=1e-15)
    np.testing.assert_allclose(np.cross(b[0], b[1]), b[2], atol=1e-15)


def test_against_skyfield_altaz(stations):
    from skyfield.api import wgs84

    from constellation.timescale import skyfield_time

    sats = stations[:12]
    times = constellation.time_range("2020-06-25T12:00", duration="6h", step_s=613)
    ds = look_angles(sats, *SITE, times=times)
    assert set(ds.data_vars) >= {"azimuth_deg", "elevation_deg", "range_km"}
    assert ds.azimuth_deg.dims == ("satellite", "time")
    topos = wgs84.latlon(SITE[0], SITE[1], elevation_m=SITE[2])
    t = skyfield_time(times)
    for i, es in enumerate(sats.to_skyfield()):
        alt, az, dist = (es - topos).at(t).altaz()
        # Skyfield works through GCRS with full precession-nutation; the two agree to metres, so at a
        # few hundred km and more the angles agree to ~1e-3 deg (3.6 arcsec)
        np.testing.assert_allclose(ds.elevation_deg.values[i], alt.degrees, atol=2e-3)
        daz = (ds.azimuth_deg.values[i] - az.degrees + 180) % 360 - 180
        ok = alt.degrees < 89.5  # azimuth is ill-defined at the zenith
        assert np.abs(daz[ok] * np.cos(np.radians(alt.degrees[ok]))).max() < 2e-3
        np.testing.assert_allclose(ds.range_km.values[i], dist.km, atol=2e-3)


def test_dataset_input_and_array_input_agree():
    sats = constellation.jinan368()[:5]
    times = constellation.time_range("2026-01-01", duration="1h", step_s=600)
    pos = constellation.propagate(sats, times)
    a = look_angles(pos, *SITE)
    b = look_angles(sats, *SITE, times=times)
    np.testing.assert_array_equal(a.elevation_deg.values, b.elevation_deg.values)
    r = np.stack([pos.x_km.values, pos.y_km.values, pos.z_km.values], -1)
    az, el, rng = look_angles(r, *SITE)
    np.testing.assert_array_equal(el, a.elevation_deg.values)
    assert ((az >= 0) & (az < 360)).all() and (rng > 0).all()
    assert a.attrs["site_lat_deg"] == SITE[0]


def test_bad_input():
    with pytest.raises(ValueError, match="latitude"):
        look_angles_itrs(np.zeros(3) + 7000, 91.0, 0.0)
    with pytest.raises(ValueError, match="last axis"):
        look_angles_itrs(np.zeros((4, 2)), 0.0, 0.0)
    with pytest.raises(ValueError, match="needs times"):
        look_angles(constellation.jinan368()[:1], 0.0, 0.0)
    assert np.isnan(look_angles_itrs(np.full(3, np.nan), 0.0, 0.0)[1])
