"""Maps and plots: the shipped coastline, map extents, colours, antimeridian and pole handling, the CLI.

Coverage results are synthetic Datasets built here to follow the coverage contract (dims, coords, attrs),
plus, where ``constellation.coverage`` is available, a small real result.  Pictures are checked by reading
pixels back from the Agg canvas: land/sea colours at known places, no unpainted rows at the poles, no seam
at +-180.
"""

from __future__ import annotations

import importlib.util

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib import colors as mcolors  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.path import Path as MplPath  # noqa: E402

from constellation import grid as G  # noqa: E402
from constellation import plot as P  # noqa: E402

HAVE_CARTOPY = importlib.util.find_spec("cartopy") is not None

ATTRS = dict(Conventions="CF-1.10", title="synthetic coverage", source="jinan368.tle", constellation="Jinan-368",
             n_satellites=368, time_coverage_start="2026-01-01T00:00:00Z",
             time_coverage_end="2026-01-01T06:00:00Z", step_s=60.0, min_elevation_deg=10.0,
             half_angle_deg="none", min_sats=1, window_edges="count", refine_edges=1, grid="",
             history="synthetic", software="constellation 0.1.0")
UNITS = {"coverage_fraction": ("1", "coverage fraction"), "revisit_max_s": ("s", "maximum revisit time"),
         "sats_in_view_mean": ("1", "mean number of satellites in view"),
         "sats_in_view_max": ("1", "maximum number of satellites in view")}


def synthetic_coverage(g: G.Grid, values=None, services=None, n_time: int = 7) -> xr.Dataset:
    """A Dataset shaped like a ``constellation.coverage`` result (contract dims, coords and attrs)."""
    if g.kind == "regular":
        lat, lon = np.meshgrid(g.lat, g.lon, indexing="ij")
    else:
        lat = g.lat_deg
    f = np.clip(0.3 + 0.7 * np.exp(-((np.abs(lat) - 45) / 20) ** 2), 0, 1) if values is None else \
        np.broadcast_to(values, lat.shape).astype(float)
    vals = {"coverage_fraction": f, "revisit_max_s": np.where(f > 0.95, np.nan, (1 - f) * 20000),
            "sats_in_view_mean": 4 * f, "sats_in_view_max": np.round(6 * f)}
    dims = g.dims
    coords = {}
    if g.kind == "regular":
        coords["lat"] = ("lat", g.lat, {"units": "degrees_north", "standard_name": "latitude", "axis": "Y"})
        coords["lon"] = ("lon", g.lon, {"units": "degrees_east", "standard_name": "longitude", "axis": "X"})
    else:
        coords["lat"] = ("cell", g.lat_deg, {"units": "degrees_north", "standard_name": "latitude"})
        coords["lon"] = ("cell", g.lon_deg, {"units": "degrees_east", "standard_name": "longitude"})
    if g.kind == "points":
        coords["name"] = ("cell", g.names)
        coords["height_m"] = ("cell", g.height_m)
    coords["time"] = np.datetime64("2026-01-01T00:00", "ns") + np.arange(n_time) * np.timedelta64(1, "h")
    lead = ("service",) if services else ()
    dv = {}
    for k, (u, ln) in UNITS.items():
        v = np.stack([vals[k]] * len(services)) if services else vals[k]
        dv[k] = (lead + dims, v, {"units": u, "long_name": ln, "stk_name": k})
    dv["cell_area_km2"] = (dims, g.area_km2.reshape(g.shape), {"units": "km2"})
    acf = 0.5 + 0.1 * np.sin(np.arange(n_time))
    dv["area_covered_fraction"] = (lead + ("time",), np.stack([acf] * len(services)) if services else acf,
                                   {"units": "1", "long_name": "area covered fraction"})
    if g.kind == "points":
        dv["sats_in_view"] = (("time", "cell"), ((np.arange(n_time)[:, None] + np.arange(g.n_cells)) % 4)
                              .astype(np.int16), {"units": "1"})
    if services:
        coords["service"] = ("service", np.array(services))
    return xr.Dataset(dv, coords=coords, attrs=dict(ATTRS, grid=g.description))


def pixel(fig, ax, lon, lat) -> np.ndarray:
    """RGB (0..1) of the rendered figure at data coordinates (lon, lat)."""
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())
    x, y = ax.transData.transform((lon, lat))
    h = img.shape[0]
    return img[int(round(h - y)), int(round(x)), :3] / 255.0


def axes_pixels(fig, ax, inset: int = 3) -> np.ndarray:
    """The rendered pixels inside the axes frame (RGB 0..1), ``inset`` pixels in from the frame."""
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., :3] / 255.0
    bb = ax.get_window_extent()
    h = img.shape[0]
    return img[int(h - bb.y1) + inset:int(h - bb.y0) - inset, int(bb.x0) + inset:int(bb.x1) - inset]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ------------------------------------------------------------------------------------ coastline data
def test_shipped_coastline_is_small_and_sane(repo_root):
    path = repo_root / "constellation" / "data" / "land_110m.npz"
    assert path.stat().st_size < 1_000_000
    d = P.land_outline()
    for key in ("land_lon", "land_lat", "coast_lon", "coast_lat"):
        assert key in d and d[key].size > 1000
    for lon_key, lat_key in (("land_lon", "land_lat"), ("coast_lon", "coast_lat")):
        lon, lat = d[lon_key], d[lat_key]
        assert np.array_equal(np.isnan(lon), np.isnan(lat))
        assert np.nanmin(lon) >= -180 and np.nanmax(lon) <= 180
        assert np.nanmin(lat) >= -90 and np.nanmax(lat) <= 90
    readme = (repo_root / "constellation" / "data" / "README.md").read_text()
    assert "public domain" in readme and "geopandas 0.14.4" in readme and "naturalearth_lowres" in readme


def test_coastline_has_no_artificial_edges():
    """The coastline drops the antimeridian and south-pole closures of Antarctica/Russia/Fiji."""
    d = P.land_outline()
    lon, lat = d["coast_lon"], d["coast_lat"]
    seg_a = np.column_stack([lon[:-1], lat[:-1]])
    seg_b = np.column_stack([lon[1:], lat[1:]])
    ok = np.isfinite(seg_a).all(1) & np.isfinite(seg_b).all(1)
    on_meridian = (np.abs(np.abs(seg_a[:, 0]) - 180) < 1e-4) & (np.abs(np.abs(seg_b[:, 0]) - 180) < 1e-4)
    on_pole = (seg_a[:, 1] < -89.99) & (seg_b[:, 1] < -89.99)
    assert not np.any(ok & (on_meridian | on_pole))
    assert np.all(np.abs(seg_b[ok, 0] - seg_a[ok, 0]) < 180)  # no line across the map


@pytest.mark.parametrize("lon, lat, land", [
    (20.0, 0.0, True),      # Congo basin
    (11.0, 0.5, True),      # Gabon, just inland of the coast near 9.3 E
    (5.0, -2.0, False),     # Gulf of Guinea, off that coast
    (-150.0, 0.0, False),   # mid-Pacific
    (135.0, -25.0, True),   # central Australia
    (-40.0, 40.0, False),   # North Atlantic
    (100.0, 60.0, True),    # Siberia
    (0.0, -85.0, True),     # Antarctica
])
def test_land_pixels_are_land_and_sea_pixels_are_sea(lon, lat, land):
    fig, ax = plt.subplots(figsize=(7.2, 3.6), dpi=100)
    ax.set_xlim(-180, 180)
    ax.set_ylim(-90, 90)
    ax.set_facecolor("white")
    P.add_land(ax, facecolor="#00ff00", coast=False)
    rgb = pixel(fig, ax, lon, lat)
    expected = np.array(mcolors.to_rgb("#00ff00" if land else "white"))
    assert np.allclose(rgb, expected, atol=0.02), (lon, lat, rgb)


def test_land_repeats_across_the_antimeridian():
    """A box shifted to 150..250 E still shows land east of 180 (Alaska at 210 E = 150 W, 64 N)."""
    fig, ax = plt.subplots(figsize=(5, 4), dpi=100)
    ax.set_xlim(150, 250)
    ax.set_ylim(30, 75)
    ax.set_facecolor("white")
    P.add_land(ax, facecolor="#00ff00", coast=False)
    assert np.allclose(pixel(fig, ax, 210.0, 64.0), [0, 1, 0], atol=0.02)
    assert np.allclose(pixel(fig, ax, 200.0, 40.0), [1, 1, 1], atol=0.02)  # North Pacific


# ---------------------------------------------------------------------------------------- edges
def test_cell_edges_global_reach_poles_and_antimeridian():
    g = G.global_grid(1.0)
    la, lo = P.cell_edges(g.lat), P.cell_edges(g.lon, lon=True)
    assert la[0] == -90 and la[-1] == 90 and la.size == 181
    assert lo[0] == pytest.approx(-180, abs=1e-12) and lo[-1] == pytest.approx(180, abs=1e-12)


def test_cell_edges_unwrap_across_the_antimeridian():
    g = G.region((-10, 10), (170, -170), 2.0)
    lo = P.cell_edges(g.lon, lon=True)
    assert np.all(np.diff(lo) > 0)
    assert lo[0] == pytest.approx(170) and lo[-1] == pytest.approx(190)


# ------------------------------------------------------------------------------------- coverage maps
def test_global_map_extent_colourbar_and_title():
    ds = synthetic_coverage(G.global_grid(5.0))
    fig, ax = P.coverage_map(ds, "revisit_max_s")
    assert ax.get_xlim() == pytest.approx((-180, 180))
    assert ax.get_ylim() == pytest.approx((-90, 90))
    cbar_ax = [a for a in fig.axes if a is not ax]
    assert len(cbar_ax) == 1
    label = cbar_ax[0].get_xlabel() or cbar_ax[0].get_ylabel()
    assert "maximum revisit time [h]" in label  # 20000 s at most: shown in hours
    assert "grey" in label  # NaN cells (no gap) are explained
    assert "Jinan-368" in ax.get_title() and "step 60 s" in ax.get_title() and "elev >= 10" in ax.get_title()
    # gaps are "bad when high": a reversed colour map
    mesh = ax.collections[0]
    assert mesh.get_cmap().name.endswith("_r")


def test_fraction_map_uses_zero_to_one_and_sequential_colours():
    ds = synthetic_coverage(G.global_grid(5.0))
    fig, ax = P.coverage_map(ds, "coverage_fraction")
    mesh = ax.collections[0]
    assert mesh.norm.vmin == 0 and mesh.norm.vmax == 1
    assert not mesh.get_cmap().name.endswith("_r")
    cbar = [a for a in fig.axes if a is not ax][0]
    assert "[1]" in cbar.get_xlabel()


def test_constant_global_field_paints_every_row_and_column():
    """No white band at the poles, no seam at +-180: every pixel inside the frame has the field colour."""
    ds = synthetic_coverage(G.global_grid(2.0), values=0.5)
    fig, ax = P.coverage_map(ds, "coverage_fraction", land=False, colorbar=False)
    fig.set_dpi(100)
    px = axes_pixels(fig, ax)
    expected = np.array(plt.get_cmap("viridis")(0.5)[:3])
    assert px.shape[0] > 100 and px.shape[1] > 200
    bad = np.abs(px - expected).max(axis=2) > 0.02
    assert not bad.any(), f"{bad.sum()} off-colour pixels, rows {np.unique(np.nonzero(bad)[0])[:10]}"


def test_equal_area_map_paints_the_whole_globe():
    ds = synthetic_coverage(G.equal_area(5.0), values=0.25)
    fig, ax = P.coverage_map(ds, "coverage_fraction", land=False, colorbar=False)
    assert ax.get_xlim() == pytest.approx((-180, 180)) and ax.get_ylim() == pytest.approx((-90, 90))
    px = axes_pixels(fig, ax)
    expected = np.array(plt.get_cmap("viridis")(0.25)[:3])
    assert np.abs(px - expected).max() < 0.02


def test_equal_area_rows_keep_their_own_edges():
    g = G.equal_area(10.0)
    vals = np.arange(g.n_cells, dtype=float)
    rows = list(P._equal_area_rows(g.lat_deg, g.lon_deg, vals))
    assert len(rows) == g.row_count.size
    for (edges, (s, n), _row), cnt, rl in zip(rows, g.row_count, g.row_lat_deg):
        assert edges.size == cnt + 1 and s < rl < n
        assert edges[0] == pytest.approx(-180) and edges[-1] == pytest.approx(180)


def test_regional_map_is_zoomed_to_its_box():
    ds = synthetic_coverage(G.region((15, 55), (73, 135), 1.0))
    fig, ax = P.coverage_map(ds, "coverage_fraction")
    assert ax.get_xlim() == pytest.approx((73, 135)) and ax.get_ylim() == pytest.approx((15, 55))


def test_regional_map_across_the_antimeridian_is_contiguous():
    ds = synthetic_coverage(G.region((-30, 10), (150, -150), 2.0), values=0.7)
    fig, ax = P.coverage_map(ds, "coverage_fraction", land=False, colorbar=False)
    assert ax.get_xlim() == pytest.approx((150, 210)) and ax.get_ylim() == pytest.approx((-30, 10))
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert "180°" in labels and "150°W" in labels
    px = axes_pixels(fig, ax)
    assert np.abs(px - np.array(plt.get_cmap("viridis")(0.7)[:3])).max() < 0.02


def test_point_map_markers_labels_and_extent():
    pts = G.points([39.9, 31.2, 1.35], [116.4, 121.5, 103.8], ["Beijing", "Shanghai", "Singapore"])
    ds = synthetic_coverage(pts, values=np.array([0.2, 0.6, 1.0]))
    fig, ax = P.coverage_map(ds, "coverage_fraction")
    texts = [t.get_text() for t in ax.texts]
    assert any(t.startswith("Beijing\n0.2") for t in texts) and any(t.startswith("Singapore\n1") for t in texts)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    assert x0 < 103.8 and x1 > 121.5 and y0 < 1.35 and y1 > 39.9
    assert x1 - x0 < 120  # zoomed, not the whole world
    offsets = ax.collections[-1].get_offsets()
    assert len(offsets) == 3


def test_point_map_across_the_antimeridian_keeps_sites_together():
    pts = G.points([-17.7, -13.8], [178.0, -171.8], ["Suva", "Apia"])
    ds = synthetic_coverage(pts, values=np.array([0.3, 0.8]))
    fig, ax = P.coverage_map(ds, "coverage_fraction")
    x0, x1 = ax.get_xlim()
    assert x1 - x0 < 60
    lons = ax.collections[-1].get_offsets()[:, 0]
    assert np.all((lons > x0) & (lons < x1))


def test_small_integer_figures_get_discrete_levels():
    ds = synthetic_coverage(G.global_grid(5.0))
    fig, ax = P.coverage_map(ds, "sats_in_view_max")
    mesh = ax.collections[0]
    assert isinstance(mesh.norm, mcolors.BoundaryNorm)
    assert np.allclose(np.diff(mesh.norm.boundaries), 1.0)


def test_service_selection_and_errors():
    ds = synthetic_coverage(G.global_grid(10.0), services=["eo", "comm", "any"])
    fig, ax = P.coverage_map(ds, "coverage_fraction")
    assert "service any" in ax.get_title()
    fig, ax = P.coverage_map(ds, "coverage_fraction", "comm")
    assert "service comm" in ax.get_title()
    with pytest.raises(ValueError, match="no service 'nav'.*eo, comm, any"):
        P.coverage_map(ds, "coverage_fraction", "nav")
    with pytest.raises(ValueError, match="no figure of merit 'revisit_mean_s'.*coverage_fraction"):
        P.coverage_map(ds, "revisit_mean_s")
    with pytest.raises(ValueError, match="no service dimension"):
        P.coverage_map(synthetic_coverage(G.global_grid(10.0)), "coverage_fraction", "comm")


def test_accessor_draws_the_same_map():
    ds = synthetic_coverage(G.global_grid(10.0))
    fig, ax = ds.constellation.map("revisit_max_s")
    assert ax.get_xlim() == pytest.approx((-180, 180))
    assert "Maximum revisit time" in ax.get_title()


@pytest.mark.skipif(HAVE_CARTOPY, reason="cartopy is installed; the fallback error cannot occur")
def test_projection_without_cartopy_says_what_to_install():
    ds = synthetic_coverage(G.global_grid(10.0))
    with pytest.raises(ImportError, match="cartopy"):
        P.coverage_map(ds, "coverage_fraction", projection="robinson")


def test_projection_with_cartopy():
    pytest.importorskip("cartopy")
    ds = synthetic_coverage(G.global_grid(10.0))
    fig, ax = P.coverage_map(ds, "coverage_fraction", projection="robinson")
    fig.canvas.draw()
    assert hasattr(ax, "projection")


# ---------------------------------------------------------------------------------- ground tracks
def test_split_track_breaks_and_closes_at_the_antimeridian():
    lon = np.array([170.0, 175.0, 179.0, -179.0, -175.0, np.nan, -170.0, -160.0])
    lat = np.array([0.0, 1.0, 2.0, 4.0, 5.0, 6.0, 7.0, 8.0])
    pieces = P.split_track(lon, lat)
    assert len(pieces) == 3
    a, b, c = pieces
    assert a[-1, 0] == 180.0 and b[0, 0] == -180.0
    assert a[-1, 1] == pytest.approx(3.0) and b[0, 1] == pytest.approx(3.0)  # halfway 179 -> 181
    assert c.tolist() == [[-170.0, 7.0], [-160.0, 8.0]]
    for p in pieces:
        assert np.all(np.abs(np.diff(p[:, 0])) <= 180)


def test_split_track_westward_crossing():
    pieces = P.split_track(np.array([-178.0, 178.0]), np.array([10.0, 12.0]))
    assert [p[:, 0].tolist() for p in pieces] == [[-178.0, -180.0], [180.0, 178.0]]
    assert pieces[0][-1, 1] == pytest.approx(11.0)


@pytest.fixture(scope="module")
def small_positions():
    import constellation as C
    from constellation import design

    a = design.walker_delta(12, 3, 1, 53.0, 550.0, "2026-01-01", group="comm", name_prefix="C")
    b = design.walker_delta(4, 2, 0, 97.5, 500.0, "2026-01-01", group="eo", name_prefix="E",
                            first_catalog_number=331_001)
    times = C.time_range("2026-01-01", duration="100m", step_s=60)
    return C.propagate(a + b, times)


def test_ground_tracks_by_group_without_jumps(small_positions):
    fig, ax = P.ground_tracks(small_positions)
    lcs = [c for c in ax.collections if isinstance(c, LineCollection) and c.get_label().startswith(("comm", "eo"))]
    assert sorted(c.get_label() for c in lcs) == ["comm (12)", "eo (4)"]
    for lc in lcs:
        for path in lc.get_paths():
            v = path.vertices
            assert np.all(np.abs(np.diff(v[:, 0])) <= 180) and np.all(np.abs(v[:, 0]) <= 180)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["comm (12)", "eo (4)"]
    assert ax.get_xlim() == pytest.approx((-180, 180))


def test_footprint_half_angle_matches_elevation_geometry():
    """At the edge of the footprint the satellite is exactly at the minimum elevation (vector oracle)."""
    R = P.EARTH_RADIUS_KM
    for h, eps in [(550.0, 10.0), (1200.0, 25.0), (20200.0, 5.0), (500.0, 0.0)]:
        lam = np.radians(P.footprint_half_angle_deg(h, eps))
        sat = np.array([0.0, 0.0, R + h])
        ground = R * np.array([np.sin(lam), 0.0, np.cos(lam)])
        los = sat - ground
        el = np.degrees(np.arcsin(np.dot(los, ground / R) / np.linalg.norm(los)))
        assert el == pytest.approx(eps, abs=1e-9)
    assert P.footprint_half_angle_deg(550.0, 10.0) < P.footprint_half_angle_deg(550.0, 0.0)


@pytest.mark.parametrize("lat0, lon0, alt", [(0.0, 179.0, 1200.0), (84.0, 30.0, 1200.0),
                                             (-80.0, -170.0, 800.0), (40.0, 0.0, 550.0)])
def test_footprint_polygons_contain_exactly_the_footprint(lat0, lon0, alt):
    lam = float(P.footprint_half_angle_deg(alt, 10.0))
    polys = P.footprint_polygons(lat0, lon0, alt, 10.0, n=721)
    for p in polys:
        assert p[:, 0].min() >= -180 - 1e-9 and p[:, 0].max() <= 180 + 1e-9
    if lat0 == 0.0 and lon0 == 179.0:
        assert len(polys) == 2
    rng = np.random.default_rng(1)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, 20000)))
    lon = rng.uniform(-180, 180, lat.size)
    p1, p2, dl = np.radians(lat0), np.radians(lat), np.radians(lon - lon0)
    dist = np.degrees(np.arccos(np.clip(np.sin(p1) * np.sin(p2) + np.cos(p1) * np.cos(p2) * np.cos(dl), -1, 1)))
    inside = np.zeros(lat.size, bool)
    for p in polys:
        inside |= MplPath(p).contains_points(np.column_stack([lon, lat]))
    clear = np.abs(dist - lam) > 0.3  # polygon chords: away from the edge only
    assert np.array_equal(inside[clear], (dist < lam)[clear])
    assert (dist < lam).sum() > 50


def test_footprints_snapshot(small_positions):
    fig, ax = P.footprints(small_positions, 3, min_elevation_deg=10.0)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["comm (12)", "eo (4)"]
    assert "elevation >= 10°" in ax.get_title() and "00:03" in ax.get_title()


# ------------------------------------------------------------------------------------- time series
def test_area_covered_series_per_service():
    ds = synthetic_coverage(G.global_grid(10.0), services=["eo", "any"])
    fig, ax = P.area_covered_series(ds)
    assert len(ax.lines) == 2 and ax.get_ylabel() == "area covered [%]"
    assert np.allclose(ax.lines[0].get_ydata(), 100 * (0.5 + 0.1 * np.sin(np.arange(7))))
    fig, ax = P.area_covered_series(synthetic_coverage(G.global_grid(10.0)))
    mean = 100 * np.mean(0.5 + 0.1 * np.sin(np.arange(7)))
    assert ax.get_legend().get_texts()[0].get_text() == f"mean {mean:.1f} %"


def test_sats_in_view_series_for_sites():
    pts = G.points([39.9, 31.2], [116.4, 121.5], ["Beijing", "Shanghai"])
    ds = synthetic_coverage(pts)
    fig, ax = P.sats_in_view_series(ds)
    assert [t.get_text().split(" (")[0] for t in ax.get_legend().get_texts()] == ["Beijing", "Shanghai"]
    fig, ax = P.sats_in_view_series(ds, ["Shanghai"])
    assert len(ax.lines) == 1
    with pytest.raises(ValueError, match="no site 'Paris'"):
        P.sats_in_view_series(ds, ["Paris"])


# --------------------------------------------------------------------------------------------- CLI
def test_cli_plot_map_series_list_and_errors(tmp_path, capsys):
    from constellation.cli import main
    from constellation.io import write_dataset

    nc = tmp_path / "cov.nc"
    write_dataset(synthetic_coverage(G.global_grid(10.0), services=["comm", "any"]), nc)
    out = tmp_path / "map.png"
    assert main(["plot", str(nc), "--fom", "revisit_max_s", "-o", str(out), "--service", "comm",
                 "--dpi", "50"]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["plot", str(nc), "--series", "-o", str(tmp_path / "s.png"), "--dpi", "50"]) == 0
    assert (tmp_path / "s.png").stat().st_size > 1000
    capsys.readouterr()
    assert main(["plot", str(nc), "--list"]) == 0
    assert "revisit_max_s" in capsys.readouterr().out
    assert main(["plot", str(nc), "--fom", "nonsense", "-o", str(out)]) == 2
    assert "no figure of merit 'nonsense'" in capsys.readouterr().err
    assert main(["plot", str(tmp_path / "missing.nc"), "-o", str(out)]) == 2


def test_cli_plot_tracks_of_the_shipped_plan(tmp_path):
    from constellation.cli import main

    out = tmp_path / "tracks.png"
    assert main(["plot", "--tracks", "--duration", "10m", "--step", "120s", "-o", str(out), "--dpi", "40"]) == 0
    assert out.stat().st_size > 1000
    assert main(["plot", "--footprints", "--group", "nav", "-o", str(tmp_path / "f.png"), "--dpi", "40"]) == 0
    assert main(["plot", "--tracks", "--group", "nope", "-o", str(out)]) == 2


# ------------------------------------------------------------------------------- real coverage output
def test_maps_of_a_real_coverage_result():
    import constellation as C
    from constellation import design

    sats = design.walker_delta(24, 4, 1, 53.0, 550.0, "2026-01-01", group="comm")
    times = C.time_range("2026-01-01", duration="30m", step_s=120)
    cov = C.coverage(sats, times, G.global_grid(10.0), min_elevation_deg=10.0)
    for fom in ("coverage_fraction", "revisit_max_s", "sats_in_view_mean"):
        fig, ax = P.coverage_map(cov, fom)
        assert ax.get_xlim() == pytest.approx((-180, 180)) and ax.get_ylim() == pytest.approx((-90, 90))
        label = [a for a in fig.axes if a is not ax][0].get_xlabel()
        assert "[" in label
    fig, ax = P.area_covered_series(cov)
    assert len(ax.lines) >= 1
