"""Regions: exact cell areas inside polygons, the shipped Natural Earth outlines, coverage on region grids.

Authorities: the closed-form WGS84 zone area (Snyder 1987, eq. 3-12) for boxes; a brute-force point-in-polygon
oracle on a fine sub-grid for the area of each cut cell; national statistical figures for country areas;
the coverage of the same cells on a global grid.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import constellation as C
from constellation import regions as R
from constellation.grid import zone_area_km2


def _star(n=17, seed=3):
    rng = np.random.default_rng(seed)
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    rad = rng.uniform(3.0, 9.0, n)
    lon, lat = 105.0 + rad * np.cos(ang) * 1.3, 32.0 + rad * np.sin(ang)
    ring = np.column_stack([lon, lat])
    return {"type": "Polygon", "coordinates": [np.vstack([ring, ring[:1]]).tolist()]}


def _inside(lon, lat, ring):
    """Even-odd point in polygon (straight lon/lat edges), vectorised over points."""
    x0, y0, x1, y1 = ring[:-1, 0], ring[:-1, 1], ring[1:, 0], ring[1:, 1]
    out = np.zeros(lon.shape, bool)
    for a, b, c, d in zip(x0, y0, x1, y1):
        cross = (b > lat) != (d > lat)
        with np.errstate(divide="ignore", invalid="ignore"):
            xi = a + (lat - b) * (c - a) / (d - b)
        out ^= cross & (lon < xi)
    return out


def test_box_area_equals_the_closed_form_zone_area():
    box = {"type": "Polygon", "coordinates": [[[10.3, 20.2], [30.7, 20.2], [30.7, 40.9], [10.3, 40.9], [10.3, 20.2]]]}
    exact = float(zone_area_km2(20.2, 40.9, 20.4))
    assert R.area_km2(box) == pytest.approx(exact, rel=1e-12)
    g = R.region_grid(box, 1.0)
    assert g.area_km2.sum() == pytest.approx(exact, rel=1e-12)
    assert g.n_cells == 21 * 21  # columns 10..30 east, rows 20..40 north, cut on every side


def test_cut_cells_match_a_point_in_polygon_oracle():
    """Each cell's inside area against a 200 x 200 sub-cell point-in-polygon count (oracle error: about
    perimeter-in-cell x sub-cell size, under 1 % of a cell)."""
    poly = _star()
    ring = np.asarray(poly["coordinates"][0])
    g = R.region_grid(poly, 1.0)
    assert g.kind == "region" and g.area_km2.sum() == pytest.approx(R.area_km2(poly), rel=1e-9)
    rng = np.random.default_rng(0)
    full = zone_area_km2(g.lat_deg - 0.5, g.lat_deg + 0.5, 1.0)
    frac = g.area_km2 / full
    cut = np.flatnonzero((frac > 0.02) & (frac < 0.98))
    assert cut.size > 20
    sub = (np.arange(200) + 0.5) / 200 - 0.5
    for c in rng.choice(cut, 12, replace=False):
        lo, la = np.meshgrid(g.lon_deg[c] + sub, g.lat_deg[c] + sub)
        w = zone_area_km2(la - 0.0025, la + 0.0025, 0.005)
        oracle = float(np.sum(w * _inside(lo, la, ring)))
        assert g.area_km2[c] == pytest.approx(oracle, abs=0.005 * full[c])


def test_holes_are_subtracted_whatever_their_orientation():
    outer = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]
    hole = [[2, 2], [2, 5], [5, 5], [5, 2], [2, 2]]  # same orientation as the outer ring: still a hole
    poly = {"type": "Feature", "properties": {"name": "frame"},
            "geometry": {"type": "Polygon", "coordinates": [outer, hole]}}
    exact = float(zone_area_km2(0, 10, 10) - zone_area_km2(2, 5, 3))
    reg = R.from_geojson(poly)
    assert reg.name == "frame"
    assert R.area_km2(reg) == pytest.approx(exact, rel=1e-12)
    g = R.region_grid(reg, 1.0)
    assert g.n_cells == 100 - 9 and g.area_km2.sum() == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize("name, published_km2", [
    ("Australia", 7_688_287),   # Geoscience Australia: mainland and Tasmania
    ("Brazil", 8_510_346),      # IBGE, 2020
    ("Germany", 357_588),       # Destatis
    ("Kazakhstan", 2_724_900),  # CIA World Factbook, total
])
def test_shipped_outline_areas_match_national_figures(name, published_km2):
    assert R.area_km2(name) == pytest.approx(published_km2, rel=0.01)


def test_china_outline_and_its_documented_gap():
    """China's de facto 1:110m outline excludes Taiwan and the areas India administers: 1.95 % under the
    official 9,596,961 km^2 (UN Demographic Yearbook), as the data README states."""
    area = R.area_km2("CHN")
    assert area / 9_596_961 - 1 == pytest.approx(-0.0195, abs=0.0005)
    g = C.regions.region_grid("China", 0.5)
    assert g.area_km2.sum() == pytest.approx(area, rel=1e-9)
    assert 4000 < g.n_cells < 4200


def test_china_as_claimed_by_the_prc_within_one_percent_of_the_official_area():
    """China as the PRC defines its territory (Natural Earth's China and Taiwan with the Natural Earth disputed
    areas that name China): within 1 % of the official 9,596,961 km^2 (UN Demographic Yearbook), where the de
    facto outline is 1.95 % short; it contains the whole de facto outline and Taiwan."""
    claimed = R.country("China", view="claimed")
    area = R.area_km2(claimed)
    assert area == pytest.approx(9_596_961, rel=0.01)
    assert area / 9_596_961 - 1 == pytest.approx(-0.0083, abs=0.0005)
    assert R.area_km2("China (claimed)") == area and R.load("china (claimed)").name == "China (claimed)"
    # the de facto default is unchanged, and the claim adds at least Taiwan and Arunachal Pradesh's 1:10m area
    assert R.area_km2("China") < area and area - R.area_km2("China") > R.area_km2("Taiwan") + 60_000
    g = R.region_grid(claimed, 0.5)
    assert g.area_km2.sum() == pytest.approx(area, rel=1e-9)
    fine = R.region_grid("China", 0.5)
    cells = set(zip(g.lat_deg.round(3), g.lon_deg.round(3)))
    assert set(zip(fine.lat_deg.round(3), fine.lon_deg.round(3))) <= cells
    assert (23.75, 121.25) in cells  # Taiwan
    assert (28.25, 94.25) in cells  # south of the McMahon Line, administered by India
    with pytest.raises(ValueError, match="no claimed view of 'India'"):
        R.country("India", view="claimed")
    with pytest.raises(ValueError, match="view must be one of"):
        R.country("China", view="official")


def test_bad_regions_are_refused(tmp_path):
    with pytest.raises(ValueError, match="did you mean China"):
        R.country("Chnia")
    with pytest.raises(ValueError, match="no such GeoJSON file"):
        R.load(str(tmp_path / "none.geojson"))
    p = tmp_path / "line.geojson"
    p.write_text(json.dumps({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}))
    with pytest.raises(ValueError, match="has no area"):
        R.load(str(p))
    across = {"type": "Polygon", "coordinates": [[[170, 0], [-170, 0], [-170, 10], [170, 10], [170, 0]]]}
    with pytest.raises(ValueError, match="antimeridian"):
        R.from_geojson(across)
    with pytest.raises(ValueError, match="res_deg"):
        R.region_grid("China", 0.7)


def test_coverage_on_a_region_grid_equals_the_global_grid_cells():
    """The region grid's cells are global-grid cells: their figures of merit are the same numbers."""
    sats = C.design.walker_delta(12, 3, 1, 55.0, 1200.0, "2026-01-01")
    times = C.time_range("2026-01-01", duration="2h", step_s=60)
    g = R.region_grid("Germany", 1.0)
    reg = C.coverage(sats, times, g)
    glob = C.coverage(sats, times, C.grid.region((47, 56), (5, 16), 1.0))
    sel = glob.sel(lat=xr_vals(reg, "lat"), lon=xr_vals(reg, "lon"), method="nearest")
    for fom in ("coverage_fraction", "revisit_max_s", "sats_in_view_mean"):
        a = reg[fom].values
        b = sel[fom].values
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6, equal_nan=True)
    w = reg["cell_area_km2"].values
    assert np.isclose(w.sum(), R.area_km2("Germany"), rtol=1e-9)


def xr_vals(ds, name):
    import xarray as xr

    return xr.DataArray(ds[name].values, dims="cell")


def test_cli_coverage_takes_a_named_region(tmp_path, capsys):
    from constellation.cli import main
    from constellation.io import read_dataset

    out = tmp_path / "de.nc"
    assert main(["coverage", "--region", "DEU", "--grid-deg", "1", "--duration", "20m", "--step", "60s",
                 "-o", str(out), "-q"]) == 0
    ds = read_dataset(out)
    assert ds["cell_area_km2"].values.sum() == pytest.approx(R.area_km2("Germany"), rel=1e-9)
    assert main(["coverage", "--region", "Atlantis", "-o", str(tmp_path / "x.nc")]) == 2
    assert "no country named 'Atlantis'" in capsys.readouterr().err


def test_region_results_are_mapped_on_their_raster(tmp_path):
    """A region result draws as cells of its raster (NaN outside), not as an equal-area grid."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sats = C.design.walker_delta(12, 3, 1, 55.0, 1200.0, "2026-01-01")
    ds = C.coverage(sats, C.time_range("2026-01-01", duration="30m", step_s=60), R.region_grid("Germany", 1.0))
    ras = R.to_raster(ds)
    assert ras["coverage_fraction"].dims == ("lat", "lon")
    assert int(np.isfinite(ras["coverage_fraction"].values).sum()) == ds.sizes["cell"]
    got = ras["coverage_fraction"].sel(lat=ds["lat"][5], lon=ds["lon"][5]).item()
    assert got == ds["coverage_fraction"].values[5]
    fig, ax = C.plot.coverage_map(ds, "coverage_fraction")
    x0, x1 = ax.get_xlim()
    assert 4.5 <= x0 < 6.5 and 14.5 < x1 <= 16.5  # Germany's cells, not the globe
    plt.close(fig)
