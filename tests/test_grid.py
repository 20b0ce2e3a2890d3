"""Grids: layout, areas on the WGS84 ellipsoid, regions across the antimeridian, sites."""

from __future__ import annotations

import math

import numpy as np
import pytest

from constellation import grid as G

# Surface area of the WGS84 ellipsoid, km^2 (NIMA TR8350.2 table 3.5: 5.10065621718e8 km^2).
WGS84_AREA_KM2 = 510_065_621.718


@pytest.mark.parametrize("res", [0.5, 1.0, 2.0, 5.0, 30.0])
def test_global_grid_tiles_the_ellipsoid(res):
    g = G.global_grid(res)
    assert g.shape == (round(180 / res), round(360 / res))
    assert g.n_cells == g.shape[0] * g.shape[1]
    assert g.area_km2.sum() == pytest.approx(WGS84_AREA_KM2, rel=1e-9)
    assert g.lat.min() == pytest.approx(-90 + res / 2) and g.lon.max() == pytest.approx(180 - res / 2)
    # row layout agrees with the flat cell arrays
    k = 7 % g.row_start.size
    cells = slice(g.row_start[k], g.row_start[k] + g.row_count[k])
    assert np.all(g.lat_deg[cells] == g.row_lat_deg[k])
    assert np.allclose(np.diff(g.lon_deg[cells]), g.row_dlon_deg[k])


def test_equal_area_cells_are_near_equal_and_tile_the_ellipsoid():
    g = G.equal_area(1.0)
    assert g.area_km2.sum() == pytest.approx(WGS84_AREA_KM2, rel=1e-9)
    interior = np.abs(g.lat_deg) < 80
    a = g.area_km2[interior]
    assert a.std() / a.mean() < 0.01


def test_region_across_antimeridian():
    g = G.region(lat=(-10, 10), lon=(170, -170), res_deg=1.0)
    assert g.shape == (20, 20)
    assert g.lon[0] == pytest.approx(170.5) and g.lon[-1] == pytest.approx(-170.5)
    assert np.all((g.lon >= 170) | (g.lon <= -170))


def test_region_full_circle():
    g = G.region(lat=(60, 90), lon=(-180, 180), res_deg=1.0)
    assert g.shape == (30, 360) and bool(g.row_full_circle.all())
    assert g.area_km2.sum() == pytest.approx(G.zone_area_km2(60, 90, 360), rel=1e-9)


@pytest.mark.parametrize("bad", [dict(lat=(10, 5), lon=(0, 10)), dict(lat=(0, 10), lon=(5, 5)),
                                 dict(lat=(0, 100), lon=(0, 10)), dict(lat=(0, 10), lon=(0, 10), res_deg=0)])
def test_region_rejects_bad_boxes(bad):
    with pytest.raises(ValueError):
        G.region(**bad)


def test_points_and_csv(tmp_path):
    p = G.points([36.65, -33.9], [117.0, 378.4], ["Jinan", "Cape Town"], height_m=[50, 0])
    assert p.dims == ("cell",) and p.n_cells == 2
    assert p.lon_deg[1] == pytest.approx(18.4)
    up = p.up()
    assert np.allclose(np.linalg.norm(up, axis=1), 1.0)
    # the ITRS point lies 50 m above the ellipsoid along the normal
    base = G.points([36.65], [117.0]).itrs_km()[0]
    assert np.linalg.norm(p.itrs_km()[0] - base) == pytest.approx(0.050, abs=1e-9)
    f = tmp_path / "sites.csv"
    f.write_text("name,latitude,longitude,height_m\nJinan,36.65,117.0,50\nPole,90,0,\n")
    q = G.points_from_csv(f)
    assert list(q.names) == ["Jinan", "Pole"] and q.height_m.tolist() == [50.0, 0.0]
    bad = tmp_path / "bad.csv"
    bad.write_text("name,lat,lon\nX,north,3\n")
    with pytest.raises(ValueError, match=r"bad.csv:2"):
        G.points_from_csv(bad)


def test_zone_area_matches_sphere_limit():
    # For a sphere-like check: a thin band at the equator has area ~ 2 pi a * (meridian arc length).
    a = 6378.137
    band = G.zone_area_km2(-0.001, 0.001, 360)
    meridian_radius = a * (1 - 0.00669437999014)  # radius of curvature in the meridian at the equator
    assert band == pytest.approx(2 * math.pi * a * meridian_radius * math.radians(0.002), rel=1e-6)
