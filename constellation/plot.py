"""Maps and plots of constellation results, drawn offline with matplotlib.

* :func:`coverage_map` - any figure of merit of a :func:`constellation.coverage` result on a world or
  regional map: regular grids as cells (edges computed from the centres, so the map reaches the poles and
  has no seam at +-180), equal-area grids row by row, point grids as labelled markers.
* :func:`ground_tracks` - sub-satellite tracks of a :func:`constellation.propagate` result, coloured by
  sub-constellation, broken (and closed onto the map edge) where they cross the antimeridian.
* :func:`footprints` - a snapshot of sub-satellite points with the ground footprint for a minimum
  elevation, drawn as small circles on the sphere split at the antimeridian (also around a pole).
* :func:`area_covered_series`, :func:`sats_in_view_series` - time series of a coverage result.
* :func:`animate` - a coverage result with snapshots (``coverage(..., snapshots=...)``) as frames: the
  satellites serving each cell, footprints, sub-satellite points and recent tracks, written as GIF or MP4.
* :func:`add_land` - the shipped Natural Earth 1:110m land and coastline (public domain; see
  ``constellation/data/README.md``); nothing is downloaded.

Maps are in Plate Carree (longitude/latitude as x/y) on plain matplotlib axes.  Other projections go
through cartopy when it is installed (``projection="robinson"`` or any ``cartopy.crs`` object); cartopy is
optional and never required.  Every plotting function returns ``(fig, ax)`` and accepts ``ax=`` to draw into
an existing axes.  The same functions are reachable from a Dataset as ``ds.constellation.map(...)``,
``ds.constellation.tracks()``, and so on, once this module is imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib import colors as mcolors
from matplotlib import dates as mdates
from matplotlib import patheffects
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.path import Path as MplPath
from matplotlib.ticker import FuncFormatter, MultipleLocator

__all__ = [
    "coverage_map", "ground_tracks", "footprints", "area_covered_series", "sats_in_view_series",
    "add_land", "land_outline", "footprint_half_angle_deg", "small_circle", "footprint_polygons",
    "split_track", "cell_edges", "EARTH_RADIUS_KM", "animate", "CoverageAnimation", "track_between",
    "cone_footprint_deg",
]

#: Mean Earth radius (km), IUGG: used for footprint circles, which treat the Earth as a sphere.
EARTH_RADIUS_KM = 6371.0088

_LAND_FACE = "#e6e2d8"
_SEA_FACE = "#f7fbff"
_COAST = "#333333"
_NAN_COLOUR = "#c8c8c8"
#: Cells covered the whole window, where gap statistics have no value: drawn in their own colour.
_CONTINUOUS_COLOUR = "#f4a3c0"
#: Figures of merit that are NaN where a cell has no gap (see ``constellation.api``'s note on them).
_NAN_WHEN_NO_GAP = ("revisit_max_s", "revisit_mean_s", "revisit_std_s")

# figures of merit where a large value is bad (long gaps, long waits): drawn with a reversed colour map
_BAD_WHEN_HIGH = ("revisit", "gap", "response", "first_access")
#: Dilution-of-precision maps: the colour scale stops here by default (a DOP above 10 is a poor geometry,
#: above 20 an unusable one); larger values take the over colour and the colour bar gets an arrow.
DOP_MAP_MAX = 10.0
_DOP_MAP_FOMS = ("gdop_", "pdop_", "hdop_", "vdop_", "tdop_")
_OVER_COLOUR = "#e41a1c"


# --------------------------------------------------------------------------------------------- land
@lru_cache(maxsize=1)
def land_outline() -> dict[str, np.ndarray]:
    """The shipped Natural Earth 1:110m outline: ``land_lon``/``land_lat`` (outer rings of the country
    polygons) and ``coast_lon``/``coast_lat`` (coastline), float32 degrees with NaN between pieces."""
    ref = resources.files("constellation").joinpath("data", "land_110m.npz")
    with resources.as_file(ref) as path, np.load(path) as f:
        return {k: f[k].astype(np.float64) for k in f.files}


def _pieces(lon: np.ndarray, lat: np.ndarray) -> list[np.ndarray]:
    breaks = np.flatnonzero(np.isnan(lon))
    bounds = np.concatenate([[-1], breaks, [lon.size]])
    return [np.column_stack([lon[a + 1:b], lat[a + 1:b]]) for a, b in zip(bounds[:-1], bounds[1:]) if b - a > 2]


@lru_cache(maxsize=1)
def _land_paths() -> tuple[MplPath, list[np.ndarray]]:
    d = land_outline()
    rings = _pieces(d["land_lon"], d["land_lat"])
    verts = np.concatenate([np.vstack([r, r[:1]]) for r in rings])
    codes = np.concatenate([[MplPath.MOVETO] + [MplPath.LINETO] * (len(r) - 1) + [MplPath.CLOSEPOLY]
                            for r in rings]).astype(MplPath.code_type)
    return MplPath(verts, codes), _pieces(d["coast_lon"], d["coast_lat"])


def _is_geoaxes(ax: Any) -> bool:
    return hasattr(ax, "projection") and hasattr(ax, "set_extent")


def _plate_carree():
    import cartopy.crs as ccrs

    return ccrs.PlateCarree()


def _lon_offsets(ax: Any) -> list[float]:
    """Multiples of 360 degrees by which to repeat world-wide artists so they fill the x range."""
    if _is_geoaxes(ax):
        return [0.0]
    lo, hi = sorted(ax.get_xlim())
    return [k * 360.0 for k in range(-2, 3) if lo < 180.0 + k * 360.0 and hi > -180.0 + k * 360.0]


def add_land(ax: Any, *, fill: bool = True, coast: bool = True, facecolor: str = _LAND_FACE,
             edgecolor: str = _COAST, linewidth: float = 0.6, zorder: float = 1.5, halo: bool = False) -> None:
    """Draw the shipped land (filled) and coastline onto ``ax``.

    Call it after the axes limits are set: on plain axes the outline is repeated every 360 degrees of
    longitude as far as the limits reach, so maps shifted across the antimeridian (x beyond 180) get land
    too.  ``halo`` draws a thin white line under the coastline so it reads over dark colours.
    """
    land, coast_lines = _land_paths()
    kw = {"transform": _plate_carree()} if _is_geoaxes(ax) else {}
    for off in _lon_offsets(ax):
        if fill:
            path = MplPath(land.vertices + [off, 0.0], land.codes)
            pc = PathCollection([path], facecolors=facecolor, edgecolors="none", zorder=zorder, **kw)
            ax.add_collection(pc, autolim=False)
        if coast:
            lines = [c + [off, 0.0] for c in coast_lines]
            lc = LineCollection(lines, colors=edgecolor, linewidths=linewidth, zorder=zorder + 0.1, **kw)
            if halo:
                lc.set_path_effects([patheffects.Stroke(linewidth=linewidth + 1.2, foreground="white",
                                                        alpha=0.7), patheffects.Normal()])
            ax.add_collection(lc, autolim=False)


# ---------------------------------------------------------------------------------------- helpers
def cell_edges(centres: Sequence[float], *, lon: bool = False) -> np.ndarray:
    """Cell edges (n + 1) from cell centres (n): midpoints inside, half a step beyond each end.

    Latitude edges are clipped to [-90, 90], so a grid whose first centre is half a step from a pole
    reaches the pole.  Longitude centres are first unwrapped to increase (a box across the antimeridian
    such as ``170.5 ... 179.5, -179.5 ...`` becomes ``170.5 ... 180.5 ...``) so the cells are contiguous.
    """
    c = np.asarray(centres, dtype=float)
    if lon:
        c = c[0] + np.concatenate([[0.0], np.cumsum(np.diff(c) % 360.0)])
    if c.size == 1:
        half = 0.5
        e = np.array([c[0] - half, c[0] + half])
    else:
        mid = 0.5 * (c[1:] + c[:-1])
        e = np.concatenate([[c[0] - (mid[0] - c[0])], mid, [c[-1] + (c[-1] - mid[-1])]])
    if not lon:
        e = np.clip(e, -90.0, 90.0)
    return e


def _fmt_lon(x: float, _pos: Any = None) -> str:
    x = (x + 180.0) % 360.0 - 180.0
    if np.isclose(abs(x), 180.0):
        return "180°"
    if np.isclose(x, 0.0):
        return "0°"
    return f"{abs(x):g}°{'E' if x > 0 else 'W'}"


def _fmt_lat(y: float, _pos: Any = None) -> str:
    if np.isclose(y, 0.0):
        return "0°"
    return f"{abs(y):g}°{'N' if y > 0 else 'S'}"


def _nice_step(span: float) -> float:
    for s in (1, 2, 5, 10, 15, 20, 30, 45, 60, 90):
        if span / s <= 8:
            return float(s)
    return 90.0


def _setup_map_axes(ax: Any, x0: float, x1: float, y0: float, y1: float) -> None:
    """Limits, degree ticks and equal aspect for a Plate Carree map (or extent on a cartopy map)."""
    if _is_geoaxes(ax):
        if x1 - x0 >= 359.9 and y1 - y0 >= 179.9:
            ax.set_global()
        else:
            ax.set_extent([x0, x1, y0, y1], crs=_plate_carree())
        return
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.xaxis.set_major_locator(MultipleLocator(_nice_step(x1 - x0)))
    ax.yaxis.set_major_locator(MultipleLocator(_nice_step(y1 - y0)))
    ax.xaxis.set_major_formatter(FuncFormatter(_fmt_lon))
    ax.yaxis.set_major_formatter(FuncFormatter(_fmt_lat))
    ax.tick_params(labelsize=8)
    ax.set_facecolor(_SEA_FACE)


def _resolve_projection(projection: Any):
    if projection is None or (isinstance(projection, str) and projection.lower() in ("platecarree", "plate_carree")):
        return None
    try:
        import cartopy.crs as ccrs
    except ImportError:
        raise ImportError(f"projection {projection!r} needs cartopy (pip install cartopy); without it maps "
                          f"are drawn in Plate Carree (projection=None)") from None
    if isinstance(projection, str):
        names = {"robinson": ccrs.Robinson, "mollweide": ccrs.Mollweide, "equalearth": ccrs.EqualEarth,
                 "equal_earth": ccrs.EqualEarth, "orthographic": ccrs.Orthographic,
                 "northpolarstereo": ccrs.NorthPolarStereo, "southpolarstereo": ccrs.SouthPolarStereo,
                 "miller": ccrs.Miller, "mercator": ccrs.Mercator}
        try:
            return names[projection.lower()]()
        except KeyError:
            raise ValueError(f"unknown projection {projection!r}; use one of {sorted(names)} or a "
                             f"cartopy.crs object") from None
    return projection


def _new_axes(ax: Any, projection: Any, figsize: tuple[float, float]):
    if ax is not None:
        return ax.figure, ax
    proj = _resolve_projection(projection)
    kw = {"subplot_kw": {"projection": proj}} if proj is not None else {}
    fig, ax = plt.subplots(figsize=figsize, layout="constrained", **kw)
    return fig, ax


def _transform_kw(ax: Any) -> dict:
    return {"transform": _plate_carree()} if _is_geoaxes(ax) else {}


def _short_time(value: Any) -> str:
    try:
        t = np.datetime64(str(value).replace("Z", "").replace("+00:00", ""), "s")
    except ValueError:
        return str(value)
    s = str(t).replace("T", " ")
    return s[:-3] if s.endswith(":00") else s


def scenario_text(attrs: dict) -> str:
    """One line describing the scenario of a coverage result from its attributes (elements, window, step,
    requirement); pieces that are absent are left out."""
    parts = []
    who = attrs.get("constellation") or attrs.get("source")
    if who:
        n = attrs.get("n_satellites")
        parts.append(f"{who}" + (f" ({int(n)} sats)" if n not in (None, "") else ""))
    t0, t1 = attrs.get("time_coverage_start"), attrs.get("time_coverage_end")
    if t0 and t1:
        parts.append(f"{_short_time(t0)} to {_short_time(t1)} UTC")
    if attrs.get("step_s") not in (None, ""):
        parts.append(f"step {float(attrs['step_s']):g} s")
    req = []
    if attrs.get("min_elevation_deg") not in (None, ""):
        req.append(f"elev >= {float(attrs['min_elevation_deg']):g}°")
    ha = attrs.get("half_angle_deg")
    if ha not in (None, "", "none", "None"):
        try:
            req.append(f"half-angle {float(ha):g}°")
        except (TypeError, ValueError):
            pass
    if attrs.get("min_sats") not in (None, ""):
        ms = int(attrs["min_sats"])
        if ms > 1:
            req.append(f">= {ms} sats")
    if req:
        parts.append(", ".join(req))
    return "; ".join(parts)


# --------------------------------------------------------------------------------- coverage maps
def _as_dataset(ds: Any, fom: str) -> tuple[xr.Dataset, str]:
    """A Dataset and the variable to draw, from a Dataset (and ``fom``) or a named DataArray."""
    import xarray as xr

    if isinstance(ds, xr.DataArray):
        name = ds.name if ds.name is not None else fom
        return ds.to_dataset(name=name), str(name)
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"expected a coverage result (xarray.Dataset) or one of its variables (DataArray), "
                        f"got {type(ds).__name__}")
    return ds, fom


def _select(ds: xr.Dataset, fom: str, service: str | None) -> tuple[xr.DataArray, str | None]:
    if fom not in ds.data_vars:
        grid_dims = {"lat", "lon", "cell"}
        avail = sorted(v for v in ds.data_vars if grid_dims & set(ds[v].dims) and "time" not in ds[v].dims
                       and v != "cell_area_km2")
        raise ValueError(f"no figure of merit {fom!r} in the dataset; it has {', '.join(avail) or 'none'}")
    da = ds[fom]
    if "service" in da.dims:
        services = [str(s) for s in np.asarray(da["service"].values)]
        if service is None:
            service = "any" if "any" in services else services[0]
        if service not in services:
            raise ValueError(f"no service {service!r}; the dataset has services {', '.join(services)}")
        da = da.isel(service=services.index(service))
    elif service is not None:
        raise ValueError(f"service {service!r} asked for, but the dataset has no service dimension "
                         f"(it was computed with one requirement)")
    extra = [d for d in da.dims if d not in ("lat", "lon", "cell")]
    if extra:
        raise ValueError(f"{fom} has dimensions {da.dims}; a map needs one value per cell (not {extra})")
    return da, service


def _grid_kind(ds: xr.Dataset, da: xr.DataArray) -> str:
    if "lat" in da.dims and "lon" in da.dims:
        return "regular"
    if "cell" not in da.dims:
        raise ValueError(f"{da.name} has dimensions {da.dims}; expected (lat, lon) or (cell,)")
    if "name" in ds.coords or "name" in ds.data_vars:
        return "points"
    return "equal_area"


def _display_units(units: str, values: np.ndarray) -> tuple[float, str]:
    """Scale factor and unit label: durations in seconds are shown in minutes or hours when long."""
    if units == "s":
        finite = values[np.isfinite(values)]
        peak = float(np.max(np.abs(finite))) if finite.size else 0.0
        if peak >= 3 * 3600:
            return 1.0 / 3600.0, "h"
        if peak >= 180:
            return 1.0 / 60.0, "min"
    return 1.0, units


def _style(fom: str, values: np.ndarray, cmap: Any, vmin: float | None, vmax: float | None,
           integer: bool) -> tuple[mcolors.Colormap, mcolors.Normalize, np.ndarray | None]:
    """Colour map, norm and colour-bar ticks: sequential for fractions and counts, reversed where a large
    value is bad, discrete levels for small integer ranges."""
    bad_high = any(k in fom for k in _BAD_WHEN_HIGH)
    if cmap is None:
        cmap = "viridis_r" if bad_high else "viridis"
    cm = plt.get_cmap(cmap).with_extremes(bad=_NAN_COLOUR)
    finite = values[np.isfinite(values)]
    lo = float(finite.min()) if finite.size else 0.0
    hi = float(finite.max()) if finite.size else 1.0
    if "fraction" in fom:
        lo, hi = 0.0, 1.0
    lo = lo if vmin is None else float(vmin)
    hi = hi if vmax is None else float(vmax)
    if integer and vmin is None and vmax is None and hi - lo <= 15:
        lo_i, hi_i = int(np.floor(lo)), int(np.ceil(hi))
        bounds = np.arange(lo_i, hi_i + 2) - 0.5
        return cm, mcolors.BoundaryNorm(bounds, cm.N), np.arange(lo_i, hi_i + 1)
    if hi <= lo:
        hi = lo + (abs(lo) * 0.01 if lo else 1.0)
    return cm, mcolors.Normalize(lo, hi), None


def _continuous(ds: xr.Dataset, fom: str, service: str | None, values: np.ndarray) -> np.ndarray:
    """Cells where ``fom`` is NaN because they were covered the whole window (coverage fraction 1): a gap
    statistic has no value there, which is the best case, not missing data."""
    if fom not in _NAN_WHEN_NO_GAP or "coverage_fraction" not in ds:
        return np.zeros(values.shape, bool)
    cf, _ = _select(ds, "coverage_fraction", service)
    return np.isnan(values) & (np.asarray(cf.values, dtype=float) >= 1.0)


def _draw_continuous(ax, kind: str, continuous: np.ndarray, lat, lon, tkw: dict, lon_e, lat_e, dims) -> None:
    """Draw the continuously covered cells in their own colour, with a legend entry."""
    from matplotlib.patches import Patch

    one = mcolors.ListedColormap([_CONTINUOUS_COLOUR])
    kw = dict(cmap=one, vmin=0, vmax=1, shading="flat", antialiased=False, edgecolors="none", rasterized=True,
              zorder=1)
    if kind == "regular":
        z = continuous if dims == ("lat", "lon") else continuous.T
        ax.pcolormesh(lon_e, lat_e, np.ma.masked_where(~z, np.ones(z.shape)), **kw, **tkw)
    elif kind == "equal_area":
        flags = continuous.astype(float)
        for edges, (s, n), row in _equal_area_rows(lat, lon, flags):
            row = np.ma.masked_where(row[None, :] < 0.5, np.ones((1, row.size)))
            ax.pcolormesh(edges, [s, n], row, **kw, **tkw)
            if edges[0] < -180.0 + 1e-9 and not tkw:
                ax.pcolormesh(edges + 360.0, [s, n], row, **kw)
    else:
        ax.scatter(np.asarray(lon)[continuous], np.asarray(lat)[continuous], c=_CONTINUOUS_COLOUR, s=70,
                   edgecolors="black", linewidths=0.7, zorder=3.5, **tkw)
    ax.legend(handles=[Patch(facecolor=_CONTINUOUS_COLOUR, edgecolor="0.3",
                             label="covered the whole window (no gap)")], loc="lower left", fontsize=8,
              framealpha=0.9)


def _equal_area_rows(lat: np.ndarray, lon: np.ndarray, values: np.ndarray):
    """Yield ``(lon_edges, (lat_s, lat_n), row_values)`` for each latitude row of an equal-area grid."""
    row_lat = np.unique(lat)
    lat_e = cell_edges(row_lat)
    for k, la in enumerate(row_lat):
        idx = np.flatnonzero(lat == la)
        order = np.argsort(lon[idx])
        lo = lon[idx][order]
        n = lo.size
        dlon = 360.0 / n
        edges = lo[0] - dlon / 2 + dlon * np.arange(n + 1)
        yield edges, (lat_e[k], lat_e[k + 1]), values[idx][order]


def _point_extent(lat: np.ndarray, lon: np.ndarray) -> tuple[float, float, float, float, np.ndarray]:
    ref = np.degrees(np.arctan2(np.mean(np.sin(np.radians(lon))), np.mean(np.cos(np.radians(lon)))))
    lon_u = ref + (lon - ref + 180.0) % 360.0 - 180.0
    x0, x1 = lon_u.min(), lon_u.max()
    y0, y1 = lat.min(), lat.max()
    if x1 - x0 > 200:
        return -180.0, 180.0, -90.0, 90.0, (lon + 180.0) % 360.0 - 180.0
    pad_x = max(8.0, 0.15 * (x1 - x0), (30.0 - (x1 - x0)) / 2)
    pad_y = max(6.0, 0.15 * (y1 - y0), (20.0 - (y1 - y0)) / 2)
    y0, y1 = max(-90.0, y0 - pad_y), min(90.0, y1 + pad_y)
    x0, x1 = x0 - pad_x, x1 + pad_x
    widen = 1.4 * (y1 - y0) - (x1 - x0)  # keep the box at least 1.4 times wider than tall
    if widen > 0:
        x0, x1 = x0 - widen / 2, x1 + widen / 2
    return x0, x1, y0, y1, lon_u


def coverage_map(ds: xr.Dataset, fom: str = "coverage_fraction", service: str | None = None, *,
                 ax: Any = None, cmap: Any = None, title: str | None = None, vmin: float | None = None,
                 vmax: float | None = None, projection: Any = None, land: bool = True,
                 colorbar: bool = True, label_points: bool = True):
    """Draw one figure of merit of a coverage result on a map; returns ``(fig, ax)``.

    Parameters
    ----------
    ds : xarray.Dataset or xarray.DataArray
        A :func:`constellation.coverage` result (or one read back with :func:`constellation.io.read_dataset`),
        or one of its variables (``cov["revisit_max_s"]``: then ``fom`` is its name).
    fom : str
        Name of a per-cell variable, e.g. ``"coverage_fraction"``, ``"revisit_max_s"``,
        ``"sats_in_view_mean"``.
    service : str, optional
        For results with a ``service`` dimension: which one (default ``"any"``).
    ax : matplotlib axes, optional
        Draw here instead of a new figure (a cartopy ``GeoAxes`` works too).
    cmap, vmin, vmax : optional
        Colour map and limits.  By default: ``viridis`` for fractions (0 to 1) and counts, ``viridis_r``
        for gaps, revisit, response and first access (long waits are dark), discrete levels for
        integer figures spanning few values.  NaN cells (e.g. gap statistics where there is no gap) are
        grey, and the colour bar says so.
    title : str, optional
        Default: the variable's long name (and service), then the scenario from ``ds.attrs``.
    projection : str or cartopy CRS, optional
        ``None`` (Plate Carree on plain axes) or, with cartopy installed, e.g. ``"robinson"``.
    land : bool
        Draw the shipped coastline (with land fill for point maps).

    Regular grids are drawn as cells whose edges come from the centres, so the map spans exactly the
    grid (global: -180..180, -90..90; a regional box: its box, shifted across the antimeridian when
    it crosses it).  Equal-area grids are drawn row by row with each row's own longitude edges.  Point
    grids are markers labelled with the site name and value.  Seconds are shown in minutes or hours when
    the values are long.
    """
    ds, fom = _as_dataset(ds, fom)
    if "cell" in ds.dims and str(ds.attrs.get("grid", "")).startswith("region "):
        from .regions import to_raster  # a region grid's cells, drawn on their raster

        ds = to_raster(ds)
    da, service = _select(ds, fom, service)
    kind = _grid_kind(ds, da)
    units = str(da.attrs.get("units", ""))
    raw = np.asarray(da.values, dtype=float)
    scale, shown_units = _display_units(units, raw)
    values = raw * scale
    continuous = _continuous(ds, fom, service, values)
    integer = np.issubdtype(da.dtype, np.integer) or fom.startswith("sats_in_view_m") and fom != "sats_in_view_mean"
    finite = values[np.isfinite(values)]
    dop_like = fom.startswith(_DOP_MAP_FOMS) and not any(k in fom for k in ("fraction", "ratio", "difference"))
    if dop_like and vmax is None and finite.size and finite.max() > DOP_MAP_MAX:
        vmax = DOP_MAP_MAX / scale  # clip DOP maps to a meaningful range; the overflow is shown
        if vmin is None:
            vmin = min(float(finite.min()), 1.0) / scale
    cm, norm, ticks = _style(fom, values, cmap, None if vmin is None else vmin * scale,
                             None if vmax is None else vmax * scale, integer)
    over = bool(finite.size and finite.max() > norm.vmax and not isinstance(norm, mcolors.BoundaryNorm))
    under = bool(finite.size and finite.min() < norm.vmin and not isinstance(norm, mcolors.BoundaryNorm))
    if over:
        cm = cm.with_extremes(over=_OVER_COLOUR)

    lat = np.asarray(ds["lat"].values, dtype=float)
    lon = np.asarray(ds["lon"].values, dtype=float)
    if kind == "regular":
        lat_e, lon_e = cell_edges(lat), cell_edges(lon, lon=True)
        if lon_e[0] >= 180.0:  # a box wholly east of the antimeridian after unwrapping: shift back
            lon_e -= 360.0
        extent = (lon_e[0], lon_e[-1], lat_e[0], lat_e[-1])
    elif kind == "equal_area":
        extent = (-180.0, 180.0, -90.0, 90.0)
    else:
        x0, x1, y0, y1, lon = _point_extent(lat, lon)
        extent = (x0, x1, y0, y1)
    width, height = extent[1] - extent[0], extent[3] - extent[2]
    horizontal = width / max(height, 1e-9) >= 1.3
    figsize = (10.0, 10.0 * height / width + 1.6) if horizontal else (10.0 * width / height + 2.2, 8.0)
    figsize = (min(max(figsize[0], 5.0), 14.0), min(max(figsize[1], 4.0), 10.0))
    fig, ax = _new_axes(ax, projection, figsize)
    tkw = _transform_kw(ax)
    _setup_map_axes(ax, *extent)

    if kind == "regular":
        z = values if da.dims == ("lat", "lon") else values.T
        mappable = ax.pcolormesh(lon_e, lat_e, np.ma.masked_invalid(z), cmap=cm, norm=norm, shading="flat",
                                 antialiased=False, edgecolors="none", rasterized=True, zorder=1, **tkw)
    elif kind == "equal_area":
        mappable = None
        for edges, (s, n), row in _equal_area_rows(lat, lon, values):
            m = ax.pcolormesh(edges, [s, n], np.ma.masked_invalid(row[None, :]), cmap=cm, norm=norm,
                              shading="flat", antialiased=False, edgecolors="none", rasterized=True, zorder=1,
                              **tkw)
            if edges[0] < -180.0 + 1e-9 and not tkw:  # wrap the overhang into view on plain axes
                ax.pcolormesh(edges + 360.0, [s, n], np.ma.masked_invalid(row[None, :]), cmap=cm, norm=norm,
                              shading="flat", antialiased=False, edgecolors="none", rasterized=True, zorder=1)
            mappable = mappable or m
    else:
        if land:
            add_land(ax, coast=True, fill=True)
        mappable = ax.scatter(lon, lat, c=values, cmap=cm, norm=norm, s=70,
                              edgecolors="black", linewidths=0.7, zorder=3, plotnonfinite=True, **tkw)
        if label_points:
            names = np.asarray(ds["name"].values).astype(str)
            for x, y, nm, v in zip(lon, lat, names, values):
                txt = f"{nm}\n{v:.3g} {shown_units}".rstrip() if np.isfinite(v) else f"{nm}\nno value"
                ann = ax.annotate(txt, (x, y), xytext=(6, 4), textcoords="offset points", fontsize=8,
                                  zorder=4, **({"xycoords": tkw["transform"]._as_mpl_transform(ax)}
                                               if tkw else {}))
                ann.set_path_effects([patheffects.withStroke(linewidth=2.5, foreground="white")])
    if continuous.any():
        _draw_continuous(ax, kind, continuous, lat, lon, tkw, lon_e if kind == "regular" else None,
                         lat_e if kind == "regular" else None, da.dims)
    if land and kind != "points":
        add_land(ax, fill=False, coast=True, halo=True, zorder=2)

    long_name = str(da.attrs.get("long_name", fom))
    if colorbar and not np.isfinite(values).any():
        colorbar = False  # nothing to scale: a colour bar would show a meaningless range
    if colorbar:
        label = long_name + (f" [{shown_units}]" if shown_units else "")
        if (np.isnan(values) & ~continuous).any():
            label += "; grey: " + str(da.attrs.get("nan_meaning") or "no value")
        if over:
            label += f"; red: above {norm.vmax:g} (up to {finite.max():.4g})"
        extend = {(False, False): "neither", (True, False): "max", (False, True): "min"}.get((over, under), "both")
        cb = fig.colorbar(mappable, ax=ax, orientation="horizontal" if horizontal else "vertical",
                          fraction=0.05, pad=0.02 if horizontal else 0.03, shrink=0.8, ticks=ticks,
                          extend=extend)
        cb.set_label(label, fontsize=9)
        cb.ax.tick_params(labelsize=8)
    if title is None:
        head = long_name[:1].upper() + long_name[1:] + (f" - service {service}" if service else "")
        scen = scenario_text(ds.attrs)
        title = head + (f"\n{scen}" if scen else "")
    ax.set_title(title, fontsize=10)
    return fig, ax


# ----------------------------------------------------------------------------------- ground tracks
def split_track(lon: np.ndarray, lat: np.ndarray) -> list[np.ndarray]:
    """Split a sub-satellite track into pieces that do not jump across the antimeridian.

    Where consecutive longitudes differ by more than 180 degrees the track crossed +-180: the piece before
    ends on the map edge and the next starts on the opposite edge, at the latitude interpolated linearly in
    unwrapped longitude.  NaN samples (failed propagation) break the track too.  Returns ``(n, 2)`` arrays of
    ``(lon, lat)`` degrees.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    pieces: list[np.ndarray] = []
    ok = np.isfinite(lon) & np.isfinite(lat)
    runs = np.flatnonzero(np.diff(np.concatenate([[0], ok.view(np.int8), [0]])))
    for a, b in zip(runs[::2], runs[1::2]):
        x, y = lon[a:b], lat[a:b]
        d = np.diff(x)
        jumps = np.flatnonzero(np.abs(d) > 180.0)
        start = 0
        head = None
        for j in jumps:
            s = -np.sign(d[j])  # +1: moving east across 180
            x2 = x[j + 1] + 360.0 * s
            edge = 180.0 * s
            f = (edge - x[j]) / (x2 - x[j]) if x2 != x[j] else 0.5
            yb = y[j] + f * (y[j + 1] - y[j])
            seg = np.column_stack([x[start:j + 1], y[start:j + 1]])
            parts = [seg] if head is None else [head, seg]
            parts.append([[edge, yb]])
            pieces.append(np.vstack(parts))
            head = np.array([[-edge, yb]])
            start = j + 1
        seg = np.column_stack([x[start:], y[start:]])
        pieces.append(seg if head is None else np.vstack([head, seg]))
    return [p for p in pieces if len(p) >= 2]


def _groups(ds: xr.Dataset) -> np.ndarray:
    if "group" in ds.coords or "group" in ds.data_vars:
        g = np.asarray(ds["group"].values).astype(str)
        return np.where(g == "", "(none)", g)
    return np.full(ds.sizes["satellite"], "satellites")


#: Fixed colours for the Jinan-368 sub-constellations, so every figure shows a group in the same colour.
GROUP_COLOURS = {"eo": "tab:blue", "comm": "tab:orange", "nav": "tab:green"}


def _group_colours(groups: Sequence[str]) -> dict[str, Any]:
    palette = [c for c in plt.get_cmap("tab10").colors
               if mcolors.to_hex(c) not in {mcolors.to_hex(v) for v in GROUP_COLOURS.values()}]
    out, k = {}, 0
    for g in groups:
        if g in GROUP_COLOURS:
            out[g] = GROUP_COLOURS[g]
        else:
            out[g] = palette[k % len(palette)]
            k += 1
    return out


def _time_window_text(times: np.ndarray) -> str:
    if times.size == 0:
        return ""
    t0, t1 = _short_time(times[0].astype("datetime64[s]")), _short_time(times[-1].astype("datetime64[s]"))
    return f"{t0} to {t1} UTC"


def ground_tracks(pos: xr.Dataset, *, ax: Any = None, title: str | None = None, legend: bool = True,
                  linewidth: float = 0.7, alpha: float = 0.8, projection: Any = None, land: bool = True):
    """Draw the sub-satellite tracks of a :func:`constellation.propagate` result; returns ``(fig, ax)``.

    ``pos`` needs ``lat_deg`` and ``lon_deg`` with dims ``(satellite, time)``; tracks are coloured by its
    ``group`` coordinate (sub-constellation), with a legend giving each group's satellite count.  Tracks
    are split where they cross the antimeridian (:func:`split_track`).
    """
    for v in ("lat_deg", "lon_deg"):
        if v not in pos:
            raise ValueError(f"ground_tracks needs {v}(satellite, time) as returned by constellation.propagate")
    lat = np.asarray(pos["lat_deg"].transpose("satellite", "time").values, dtype=float)
    lon = np.asarray(pos["lon_deg"].transpose("satellite", "time").values, dtype=float)
    groups = _groups(pos)
    names = list(dict.fromkeys(groups))
    colours = _group_colours(names)
    fig, ax = _new_axes(ax, projection, (11.0, 6.2))
    _setup_map_axes(ax, -180.0, 180.0, -90.0, 90.0)
    if land:
        add_land(ax, zorder=0.5)
    tkw = _transform_kw(ax)
    for g in names:
        segs = [p for i in np.flatnonzero(groups == g) for p in split_track(lon[i], lat[i])]
        n = int(np.sum(groups == g))
        lc = LineCollection(segs, colors=[colours[g]], linewidths=linewidth, alpha=alpha, zorder=2,
                            label=f"{g} ({n})", **tkw)
        ax.add_collection(lc, autolim=False)
    if legend:
        ax.legend(loc="lower left", fontsize=8, title="group (satellites)", title_fontsize=8, framealpha=0.9)
    if title is None:
        times = np.asarray(pos["time"].values) if "time" in pos.coords else np.array([], "datetime64[ns]")
        title = f"Ground tracks of {lat.shape[0]} satellites" + (f"\n{_time_window_text(times)}" if times.size
                                                                  else "")
    ax.set_title(title, fontsize=10)
    return fig, ax


# --------------------------------------------------------------------------------------- footprints
def footprint_half_angle_deg(alt_km: Any, min_elevation_deg: float = 10.0,
                             earth_radius_km: float = EARTH_RADIUS_KM) -> np.ndarray:
    """Earth central angle (degrees) from the sub-satellite point to the edge of the footprint.

    A ground point sees a satellite at altitude ``h`` at elevation >= eps within the central angle
    ``lambda = 90 - eps - eta`` with nadir angle ``eta = asin(R cos(eps) / (R + h))`` on a spherical Earth
    of radius ``R`` (Wertz & Larson, *Space Mission Analysis and Design*, 3rd ed., 1999, eqs. 5-26, 5-27).
    """
    eps = np.radians(min_elevation_deg)
    h = np.asarray(alt_km, dtype=float)
    eta = np.arcsin(earth_radius_km * np.cos(eps) / (earth_radius_km + h))
    return np.degrees(np.pi / 2 - eps - eta)


def cone_footprint_deg(alt_km: Any, half_angle_deg: float, earth_radius_km: float = EARTH_RADIUS_KM) -> np.ndarray:
    """Earth central angle (degrees) from the sub-satellite point to the edge of a nadir cone of half-angle
    ``half_angle_deg`` on a spherical Earth: ``lambda = asin(sin(eta) / sin(rho)) - eta`` with
    ``sin(rho) = R / (R + h)`` (Wertz & Larson, SMAD 3rd ed., eqs. 5-26 to 5-28); a cone wider than the
    Earth's disc reaches the horizon, ``lambda = 90 - rho``."""
    eta = np.radians(half_angle_deg)
    h = np.asarray(alt_km, dtype=float)
    sin_rho = earth_radius_km / (earth_radius_km + h)
    x = np.sin(eta) / sin_rho
    lam = np.where(x < 1.0, np.arcsin(np.minimum(x, 1.0)) - eta, np.pi / 2 - np.arcsin(sin_rho))
    return np.degrees(lam)


def small_circle(lat_deg: float, lon_deg: float, radius_deg: float, n: int = 181) -> np.ndarray:
    """Points ``(n, 2)`` of (lon, lat) degrees on the circle of central angle ``radius_deg`` around a point.

    Destination points on the sphere for bearings 0..360 degrees (Snyder, *Map Projections - A Working
    Manual*, USGS PP 1395, 1987, eqs. 5-5 and 5-6).  Longitudes are unwrapped so the outline is
    continuous (it may pass beyond +-180).  When the circle contains a pole, the outline is returned over
    longitudes -180..180 and closed along that pole, so it bounds the cap in Plate Carree.
    """
    phi1, lam0, c = np.radians(lat_deg), np.radians(lon_deg), np.radians(radius_deg)
    az = np.linspace(0.0, 2 * np.pi, n)
    sphi = np.sin(phi1) * np.cos(c) + np.cos(phi1) * np.sin(c) * np.cos(az)
    phi = np.arcsin(np.clip(sphi, -1.0, 1.0))
    lam = lam0 + np.arctan2(np.sin(az) * np.sin(c) * np.cos(phi1), np.cos(c) - np.sin(phi1) * sphi)
    lon = np.degrees(np.unwrap(lam))
    lat = np.degrees(phi)
    if abs(lon[-1] - lon[0]) < 180.0:
        return np.column_stack([lon, lat])
    # The cap holds a pole: its edge crosses every meridian once, so draw it as latitude against
    # longitude over -180..180 and close it along the pole, so no seam is drawn inside the map.
    wrapped = (lon[:-1] + 180.0) % 360.0 - 180.0
    order = np.argsort(wrapped)
    x, y = wrapped[order], lat[:-1][order]
    y_edge = float(np.interp(180.0, x, y, period=360.0))
    pole = 90.0 if lat_deg >= 0 else -90.0
    return np.vstack([[[-180.0, y_edge]], np.column_stack([x, y]), [[180.0, y_edge], [180.0, pole],
                                                                     [-180.0, pole]]])


def _clip_half(poly: np.ndarray, x: float, keep_above: bool) -> np.ndarray:
    """Sutherland-Hodgman clip of a closed polygon against the vertical line ``lon = x``."""
    if len(poly) == 0:
        return poly
    inside = poly[:, 0] >= x if keep_above else poly[:, 0] <= x
    out = []
    n = len(poly)
    for i in range(n):
        p, q = poly[i], poly[(i + 1) % n]
        pin, qin = inside[i], inside[(i + 1) % n]
        if pin:
            out.append(p)
        if pin != qin:
            f = (x - p[0]) / (q[0] - p[0])
            out.append([x, p[1] + f * (q[1] - p[1])])
    return np.array(out, dtype=float).reshape(-1, 2)


def footprint_polygons(lat_deg: float, lon_deg: float, alt_km: float, min_elevation_deg: float = 10.0,
                       n: int = 181) -> list[np.ndarray]:
    """The footprint of a satellite as (lon, lat) polygons inside [-180, 180], split at the antimeridian.

    The footprint is the small circle of central angle :func:`footprint_half_angle_deg` around the
    sub-satellite point (:func:`small_circle`); a piece beyond +-180 is clipped off and moved by 360 degrees.
    """
    lam = float(footprint_half_angle_deg(alt_km, min_elevation_deg))
    ring = small_circle(lat_deg, lon_deg, lam, n)
    out = []
    lo, hi = ring[:, 0].min(), ring[:, 0].max()
    for k in range(-2, 3):
        a, b = -180.0 + 360.0 * k, 180.0 + 360.0 * k
        if hi <= a or lo >= b:
            continue
        piece = ring if (lo >= a and hi <= b) else _clip_half(_clip_half(ring, a, True), b, False)
        if len(piece) >= 3:
            out.append(piece - [360.0 * k, 0.0])
    return out


def _pick_time(pos: xr.Dataset, time: Any) -> int:
    if "time" not in pos.dims:
        return 0
    if time is None:
        return 0
    if isinstance(time, (int, np.integer)):
        return int(time) % pos.sizes["time"]
    t = np.datetime64(str(time).replace("Z", ""), "ns") if not isinstance(time, np.datetime64) else time
    times = np.asarray(pos["time"].values)
    return int(np.argmin(np.abs(times - t)))


def footprints(pos: xr.Dataset, time: Any = None, *, min_elevation_deg: float = 10.0, ax: Any = None,
               title: str | None = None, legend: bool = True, projection: Any = None, land: bool = True,
               alpha: float | None = None):
    """Snapshot of sub-satellite points and their footprints (ground seen at >= ``min_elevation_deg``).

    ``pos`` is a :func:`constellation.propagate` result; ``time`` an index into its ``time`` (default the
    first sample) or a time (nearest sample).  Footprints are filled per group colour and split at the
    antimeridian; circles over a pole are closed through it.  ``alpha`` is the fill opacity (default:
    lighter for larger groups, so overlaps stay readable).  Returns ``(fig, ax)``.
    """
    k = _pick_time(pos, time)
    sub = pos.isel(time=k) if "time" in pos.dims else pos
    lat = np.asarray(sub["lat_deg"].values, dtype=float)
    lon = np.asarray(sub["lon_deg"].values, dtype=float)
    alt = np.asarray(sub["alt_km"].values, dtype=float)
    groups = _groups(pos)
    names = list(dict.fromkeys(groups))
    colours = _group_colours(names)
    fig, ax = _new_axes(ax, projection, (11.0, 6.2))
    _setup_map_axes(ax, -180.0, 180.0, -90.0, 90.0)
    if land:
        add_land(ax, zorder=0.5, coast=False)
        add_land(ax, zorder=2.5, fill=False, linewidth=0.5)
    tkw = _transform_kw(ax)
    for g in names:
        idx = [i for i in np.flatnonzero(groups == g) if np.isfinite(lat[i] + lon[i] + alt[i])]
        polys = [p for i in idx for p in footprint_polygons(lat[i], lon[i], alt[i], min_elevation_deg)]
        paths = [MplPath(np.vstack([p, p[:1]]), closed=True) for p in polys]
        a = alpha if alpha is not None else float(np.clip(6.0 / max(len(idx), 1), 0.04, 0.2))
        pc = PathCollection(paths, facecolors=[mcolors.to_rgba(colours[g], a)],
                            edgecolors=[mcolors.to_rgba(colours[g], 0.6)], linewidths=0.4, zorder=2, **tkw)
        ax.add_collection(pc, autolim=False)
        ax.scatter(lon[idx], lat[idx], s=9, color=colours[g], edgecolors="black", linewidths=0.3, zorder=3,
                   label=f"{g} ({len(idx)})", **tkw)
    if legend:
        ax.legend(loc="lower left", fontsize=8, title="group (satellites)", title_fontsize=8, framealpha=0.9)
    if title is None:
        when = ""
        if "time" in sub.coords:
            when = f" at {_short_time(np.asarray(sub['time'].values).astype('datetime64[s]'))} UTC"
        title = (f"Sub-satellite points and footprints (elevation >= {min_elevation_deg:g}°){when}\n"
                 f"{len(lat)} satellites, spherical Earth")
    ax.set_title(title, fontsize=10)
    return fig, ax


# -------------------------------------------------------------------------------------- time series
def _date_axis(ax: Any) -> None:
    loc = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))


def _series_limits(series) -> tuple[float, float]:
    """Percent axis limits that show the variation of ``series``: their range padded by a tenth, within
    0 .. 100.5; a flat series gets a band of 5 points below it."""
    y = np.concatenate([np.asarray(v, dtype=float).ravel() for v in series]) if series else np.zeros(0)
    y = y[np.isfinite(y)]
    if not y.size:
        return 0.0, 100.5
    lo, hi = float(y.min()), float(y.max())
    pad = 0.1 * (hi - lo) if hi > lo else 5.0
    return max(0.0, lo - pad), min(100.5, hi + (pad if hi > lo else 0.5))


def area_covered_series(ds: xr.Dataset, service: str | None = None, *, ax: Any = None, title: str | None = None):
    """Percentage of the grid's area covered at each sample (``area_covered_fraction(time)``), with its
    time average; all services when the result has several and ``service`` is not given."""
    if "area_covered_fraction" not in ds:
        raise ValueError("the dataset has no area_covered_fraction(time) variable")
    da = ds["area_covered_fraction"]
    if ax is None:
        fig, ax = plt.subplots(figsize=(10.0, 4.0), layout="constrained")
    else:
        fig = ax.figure
    t = np.asarray(da["time"].values)
    if "service" in da.dims:
        services = [str(s) for s in np.asarray(da["service"].values)]
        chosen = services if service is None else [service]
        for s in chosen:
            if s not in services:
                raise ValueError(f"no service {s!r}; the dataset has services {', '.join(services)}")
            y = 100.0 * np.asarray(da.isel(service=services.index(s)).values, dtype=float)
            ax.plot(t, y, lw=1.2, label=f"{s} (mean {np.nanmean(y):.1f} %)")
        ax.legend(fontsize=8, loc="lower right")
    else:
        y = 100.0 * np.asarray(da.values, dtype=float)
        ax.plot(t, y, lw=1.2, color="C0")
        ax.axhline(np.nanmean(y), color="C1", ls="--", lw=1, label=f"mean {np.nanmean(y):.1f} %")
        ax.legend(fontsize=8, loc="lower right")
    ax.set_ylabel("area covered [%]")
    ax.set_xlabel("time [UTC]")
    ax.set_ylim(*_series_limits([line.get_ydata() for line in ax.get_lines()]))
    ax.grid(True, alpha=0.3)
    _date_axis(ax)
    if title is None:
        scen = scenario_text(ds.attrs)
        title = "Area covered" + (f" ({ds.attrs['grid']})" if ds.attrs.get("grid") else "") + \
            (f"\n{scen}" if scen else "")
    ax.set_title(title, fontsize=10)
    return fig, ax


def sats_in_view_series(ds: xr.Dataset, cells: Sequence[str] | Sequence[int] | None = None,
                        service: str | None = None, *, ax: Any = None, title: str | None = None,
                        max_sites: int = 8):
    """Number of satellites in view at each sample for the sites of a point-grid result
    (``sats_in_view(time, cell)``), as step lines, one per site (the first ``max_sites`` by default)."""
    if "sats_in_view" not in ds:
        raise ValueError("the dataset has no sats_in_view(time, cell) variable (only point grids have it)")
    da = ds["sats_in_view"]
    if "service" in da.dims:
        services = [str(s) for s in np.asarray(da["service"].values)]
        service = service if service is not None else ("any" if "any" in services else services[0])
        if service not in services:
            raise ValueError(f"no service {service!r}; the dataset has services {', '.join(services)}")
        da = da.isel(service=services.index(service))
    names = np.asarray(ds["name"].values).astype(str) if "name" in ds.coords else \
        np.array([str(i) for i in range(ds.sizes["cell"])])
    if cells is None:
        idx = list(range(min(max_sites, names.size)))
    else:
        idx = []
        for c in cells:
            if isinstance(c, (int, np.integer)):
                idx.append(int(c))
            elif c in names:
                idx.append(int(np.flatnonzero(names == c)[0]))
            else:
                raise ValueError(f"no site {c!r}; the dataset has {', '.join(names)}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(10.0, 4.0), layout="constrained")
    else:
        fig = ax.figure
    t = np.asarray(da["time"].values)
    vals = np.asarray(da.transpose("time", "cell").values)
    for i in idx:
        ax.step(t, vals[:, i], where="post", lw=1.1, label=f"{names[i]} (mean {np.mean(vals[:, i]):.1f})")
    ax.set_ylabel("satellites in view")
    ax.set_xlabel("time [UTC]")
    ax.yaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="site", title_fontsize=8)
    _date_axis(ax)
    if title is None:
        scen = scenario_text(ds.attrs)
        title = "Satellites in view" + (f" - service {service}" if service else "") + (f"\n{scen}" if scen else "")
    ax.set_title(title, fontsize=10)
    return fig, ax


# ------------------------------------------------------------------------------------------ accessor
@xr.register_dataset_accessor("constellation")
class ConstellationAccessor:
    """``ds.constellation.map("revisit_max_s")`` and friends: the plotting functions of this module bound
    to a Dataset (available once :mod:`constellation.plot` is imported)."""

    def __init__(self, ds: xr.Dataset):
        self._ds = ds

    def map(self, fom: str = "coverage_fraction", service: str | None = None, **kw):
        """:func:`coverage_map` of this coverage result."""
        return coverage_map(self._ds, fom, service, **kw)

    def tracks(self, **kw):
        """:func:`ground_tracks` of this propagation result."""
        return ground_tracks(self._ds, **kw)

    def footprints(self, time: Any = None, **kw):
        """:func:`footprints` of this propagation result."""
        return footprints(self._ds, time, **kw)

    def area_series(self, service: str | None = None, **kw):
        """:func:`area_covered_series` of this coverage result."""
        return area_covered_series(self._ds, service, **kw)

    def sats_series(self, cells: Sequence[Any] | None = None, **kw):
        """:func:`sats_in_view_series` of this point-grid coverage result."""
        return sats_in_view_series(self._ds, cells, **kw)


# --------------------------------------------------------------------------------------- animation
def _unit_vectors(lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat_deg), np.radians(lon_deg)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


#: Earth rotation rate (rad/s), IERS Conventions (2010) nominal value.
_OMEGA_EARTH = 7.292115e-5


def track_between(lat_deg: np.ndarray, lon_deg: np.ndarray, dt_s: float, n: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Sub-satellite points between two snapshots ``dt_s`` seconds apart, for drawing tracks.

    ``lat_deg``/``lon_deg`` have shape ``(2, n_sat)`` (the two snapshots).  Each satellite's direction is
    carried into a frame that does not turn with the Earth (rotated back by ``omega * t``), interpolated
    along the great circle there (the track of a circular orbit), and turned with the Earth again.  Returns
    ``(lat, lon)`` of shape ``(n + 1, n_sat)`` including both ends; where the two directions are more than
    120 degrees apart in that frame (snapshots too far apart to tell the way round) the points are NaN.
    """
    u0 = _unit_vectors(lat_deg[0], lon_deg[0])
    u1 = _unit_vectors(lat_deg[1], lon_deg[1])
    a = _OMEGA_EARTH * dt_s
    rot = np.array([[np.cos(a), -np.sin(a), 0.0], [np.sin(a), np.cos(a), 0.0], [0.0, 0.0, 1.0]])
    u1i = u1 @ rot.T  # the second direction, seen in the frame of the first snapshot
    cos_w = np.clip(np.sum(u0 * u1i, axis=-1), -1.0, 1.0)
    w = np.arccos(cos_w)
    f = np.linspace(0.0, 1.0, n + 1)[:, None]
    s = np.sin(w)
    with np.errstate(invalid="ignore", divide="ignore"):
        c0 = np.where(s > 1e-12, np.sin((1 - f) * w) / s, 1 - f)
        c1 = np.where(s > 1e-12, np.sin(f * w) / s, f)
    v = c0[..., None] * u0 + c1[..., None] * u1i
    v /= np.linalg.norm(v, axis=-1, keepdims=True)
    back = -a * f  # undo part of the rotation: at fraction f the Earth has turned by a * f since snapshot 0
    x = v[..., 0] * np.cos(back) - v[..., 1] * np.sin(back)
    y = v[..., 0] * np.sin(back) + v[..., 1] * np.cos(back)
    lat = np.degrees(np.arcsin(np.clip(v[..., 2], -1, 1)))
    lon = np.degrees(np.arctan2(y, x))
    far = w > np.radians(120.0)
    lat[:, far] = np.nan
    lon[:, far] = np.nan
    lat[0], lon[0] = lat_deg[0], (np.asarray(lon_deg[0]) + 180.0) % 360.0 - 180.0
    ok1 = ~far
    lat[-1, ok1], lon[-1, ok1] = lat_deg[1][ok1], (np.asarray(lon_deg[1])[ok1] + 180.0) % 360.0 - 180.0
    return lat, lon


def _footprint_paths(lat: np.ndarray, lon: np.ndarray, radius_deg: np.ndarray, n: int = 73,
                     x_range: tuple[float, float] = (-180.0, 180.0)) -> list[MplPath]:
    """Closed footprint outlines (small circles of central angle ``radius_deg``) of many satellites at once,
    for plain (Plate Carree) axes showing the longitudes ``x_range``: :func:`small_circle` vectorised over
    the satellites, each outline drawn at every multiple of 360 degrees that reaches into ``x_range`` (the
    axes clip the rest); a circle holding a pole through :func:`small_circle` itself."""
    if lat.size == 0:
        return []
    x0, x1 = x_range
    shifts = [360.0 * k for k in range(-2, 3)]
    phi1, lam0 = np.radians(lat)[:, None], np.radians(lon)[:, None]
    c = np.radians(np.asarray(radius_deg, dtype=float))[:, None]
    az = np.linspace(0.0, 2 * np.pi, n)[None, :]
    sphi = np.sin(phi1) * np.cos(c) + np.cos(phi1) * np.sin(c) * np.cos(az)
    phi = np.arcsin(np.clip(sphi, -1.0, 1.0))
    lam = lam0 + np.arctan2(np.sin(az) * np.sin(c) * np.cos(phi1), np.cos(c) - np.sin(phi1) * sphi)
    x = np.degrees(np.unwrap(lam, axis=1))
    y = np.degrees(phi)
    simple = np.abs(x[:, -1] - x[:, 0]) < 180.0  # no pole inside
    rings = [np.column_stack([x[i], y[i]]) for i in np.flatnonzero(simple)]
    rings += [small_circle(lat[i], lon[i], float(np.degrees(c[i, 0])), n) for i in np.flatnonzero(~simple)]
    return [MplPath(ring + [shift, 0.0], closed=True) for ring in rings for shift in shifts
            if ring[:, 0].max() + shift > x0 and ring[:, 0].min() + shift < x1]


def _requirements_by_group(attrs: dict) -> dict[str, tuple[float, float | None]]:
    """``{group: (min_elevation_deg, half_angle_deg or None)}`` from a multi-service result's
    ``requirements`` attribute (as :func:`constellation.coverage` writes it); empty when absent."""
    import re

    out = {}
    for m in re.finditer(r"(?:^|;\s*)([^:;]+): min_elevation_deg=([^,]+), half_angle_deg=([^,]+),",
                         str(attrs.get("requirements", ""))):
        half = m.group(3).strip()
        out[m.group(1).strip()] = (float(m.group(2)), None if half == "none" else float(half))
    return out


def _snapshot_cmap(vmax: int) -> tuple[mcolors.Colormap, mcolors.BoundaryNorm]:
    """Discrete colours for 0..vmax satellites: light grey for none, then light to dark blue-green."""
    base = plt.get_cmap("YlGnBu")
    cols = ["#eeeeee"] + [base(0.25 + 0.75 * i / max(vmax - 1, 1)) for i in range(vmax)]
    return mcolors.ListedColormap(cols), mcolors.BoundaryNorm(np.arange(vmax + 2) - 0.5, vmax + 1)


class CoverageAnimation:
    """Frames of a coverage result with snapshots (``coverage(..., snapshots=...)``): the satellites
    serving each cell, the footprints and sub-satellite points, and the recent ground tracks, one frame per
    snapshot.  Made by :func:`animate`; :meth:`draw` sets the figure to a frame, :meth:`counts` is the
    array a frame shows, :meth:`save` writes a GIF (Pillow) or MP4 (ffmpeg) atomically."""

    def __init__(self, ds: xr.Dataset, *, service: str | None = None, footprints: bool = True,
                 tracks: bool = True, trail: int = 1, min_elevation_deg: float | None = None,
                 land: bool = True, title: str | None = None, figsize: tuple[float, float] = (10.0, 6.0)):
        if "sats_in_view_snapshot" not in ds:
            raise ValueError("the dataset has no snapshots: compute it with coverage(..., snapshots='10m') or "
                             "'constellation coverage --snapshots 10m'")
        if int(trail) < 0:
            raise ValueError(f"trail must be 0 or more snapshots, got {trail}")
        da = ds["sats_in_view_snapshot"]
        if "service" in da.dims:
            services = [str(s) for s in np.asarray(da["service"].values)]
            service = service if service is not None else ("any" if "any" in services else services[0])
            if service not in services:
                raise ValueError(f"no service {service!r}; the dataset has services {', '.join(services)}")
            da = da.isel(service=services.index(service))
        elif service is not None:
            raise ValueError(f"service {service!r} asked for, but the dataset has no service dimension")
        self.ds, self.service = ds, service
        self.times = np.asarray(ds["snapshot_time"].values)
        self._values = np.asarray(da.transpose("snapshot_time", ...).values)
        self.n_frames = int(self.times.size)
        self.trail = int(trail)
        elev = min_elevation_deg if min_elevation_deg is not None else float(ds.attrs.get("min_elevation_deg", 10.0))
        self.min_elevation_deg = float(elev)
        half = ds.attrs.get("half_angle_deg")
        self.half_angle_deg = None if half in (None, "", "none", "None") else float(half)
        # footprints follow each group's requirement in a multi-service result (elevation mask, nadir cone)
        self._requirements = _requirements_by_group(ds.attrs)
        if min_elevation_deg is not None:
            self._requirements = {g: (self.min_elevation_deg, h) for g, (_, h) in self._requirements.items()}
        vmax = max(int(self._values.max(initial=0)), 1)
        cm, norm = _snapshot_cmap(vmax)
        self.fig, self.ax = plt.subplots(figsize=figsize, layout="constrained")
        ax = self.ax
        kind = _grid_kind(ds, ds["coverage_fraction"] if "service" not in ds["coverage_fraction"].dims
                          else ds["coverage_fraction"].isel(service=0))
        self.kind = kind
        lat = np.asarray(ds["lat"].values, dtype=float)
        lon = np.asarray(ds["lon"].values, dtype=float)
        self._meshes: list[tuple[Any, np.ndarray | None]] = []
        self._background: tuple[float, Any] | None = None
        first = self._values[0].astype(float)
        if kind == "regular":
            lat_e, lon_e = cell_edges(lat), cell_edges(lon, lon=True)
            if lon_e[0] >= 180.0:
                lon_e -= 360.0
            extent = (lon_e[0], lon_e[-1], lat_e[0], lat_e[-1])
            _setup_map_axes(ax, *extent)
            self._transpose = da.dims[-2:] != ("lat", "lon")
            z = first.T if self._transpose else first
            m = ax.pcolormesh(lon_e, lat_e, z, cmap=cm, norm=norm, shading="flat", antialiased=False,
                              edgecolors="none", rasterized=True, zorder=1)
            self._meshes.append((m, None))
        elif kind == "equal_area":
            _setup_map_axes(ax, -180.0, 180.0, -90.0, 90.0)
            idx_all = np.arange(lat.size)
            for edges, (s, n_), row in _equal_area_rows(lat, lon, idx_all.astype(float)):
                rows = row.astype(np.int64)
                for shift in ([0.0, 360.0] if edges[0] < -180.0 + 1e-9 else [0.0]):
                    m = ax.pcolormesh(edges + shift, [s, n_], first[rows][None, :], cmap=cm, norm=norm,
                                      shading="flat", antialiased=False, edgecolors="none", rasterized=True,
                                      zorder=1)
                    self._meshes.append((m, rows))
        else:
            x0, x1, y0, y1, lon_u = _point_extent(lat, lon)
            _setup_map_axes(ax, -180.0, 180.0, -90.0, 90.0)
            m = ax.scatter(lon, lat, c=first, cmap=cm, norm=norm, s=60, edgecolors="black", linewidths=0.7,
                           zorder=4)
            self._meshes.append((m, None))
        n_before = len(ax.collections)
        if land:
            add_land(ax, fill=False, coast=True, halo=True, zorder=2)
        self._coast = list(ax.collections[n_before:])
        # map x range, and the multiples of 360 degrees at which the satellites are drawn to fill it (a
        # regional box across the antimeridian reaches past 180)
        self._x_range = tuple(sorted(ax.get_xlim()))
        self._offsets = _lon_offsets(ax)
        cb = self.fig.colorbar(self._meshes[0][0], ax=ax, orientation="vertical", fraction=0.04, pad=0.02,
                               shrink=0.8, ticks=np.arange(vmax + 1))
        cb.set_label("satellites serving the cell" + (f" (service {service})" if service else ""), fontsize=9)
        cb.ax.tick_params(labelsize=8)
        # satellites: footprints, points and trails per group
        self._lat = np.asarray(ds["sat_lat_deg"].transpose("snapshot_time", "satellite").values, dtype=float)
        self._lon = np.asarray(ds["sat_lon_deg"].transpose("snapshot_time", "satellite").values, dtype=float)
        self._alt = np.asarray(ds["sat_alt_km"].transpose("snapshot_time", "satellite").values, dtype=float)
        groups = _groups(ds)
        names = list(dict.fromkeys(groups))
        colours = _group_colours(names)
        if service is not None and service in names:  # a group's service: only that group's satellites
            names = [service]
        self._groups = [(g, np.flatnonzero(groups == g), colours[g]) for g in names]
        self._fp, self._pts, self._trails = {}, {}, {}
        for g, idx, col in self._groups:
            if footprints:  # outlines only: the cells underneath carry the counts
                pc = PathCollection([], facecolors="none", edgecolors=[mcolors.to_rgba(col, 0.55)],
                                    linewidths=0.5, zorder=2.6)
                ax.add_collection(pc, autolim=False)
                self._fp[g] = pc
            if tracks and self.trail > 0:
                lc = LineCollection([], colors=[col], linewidths=0.6, alpha=0.7, zorder=2.7)
                ax.add_collection(lc, autolim=False)
                self._trails[g] = lc
            self._pts[g] = ax.scatter([], [], s=9, color=col, edgecolors="black", linewidths=0.3, zorder=3,
                                      label=f"{g} ({idx.size})")
        ax.legend(loc="lower left", fontsize=8, title="group (satellites)", title_fontsize=8, framealpha=0.9)
        self._clock = ax.text(0.01, 0.98, "", transform=ax.transAxes, ha="left", va="top", fontsize=11,
                              family="monospace", zorder=5,
                              bbox=dict(boxstyle="round,pad=0.3", facecolor="white", alpha=0.85, lw=0.5))
        if title is None:
            scen = scenario_text(ds.attrs)
            what = ["satellites serving each cell"]
            if footprints and self._requirements:
                what.append("footprints (each group's requirement, spherical Earth)")
            elif footprints:
                cone = "" if self.half_angle_deg is None else f", half-angle {self.half_angle_deg:g}°"
                what.append(f"footprints (elevation >= {self.min_elevation_deg:g}°{cone}, spherical Earth)")
            if tracks and self.trail > 0:
                what.append("recent ground tracks")
            title = ", ".join(what) + (f"\n{scen}" if scen else "")
            title = title[:1].upper() + title[1:]
        ax.set_title(title, fontsize=10)
        self.draw(0)
        self.fig.canvas.draw()  # lay the figure out once, then keep it: frames only change data
        self.fig.set_layout_engine("none")

    def footprint_radius_deg(self, group: str, alt_km: np.ndarray) -> np.ndarray:
        """Central angle (degrees) of the footprints of ``group``'s satellites at ``alt_km``: the ground that
        sees them above the elevation mask (:func:`footprint_half_angle_deg`), within the nadir cone where
        the requirement has one (:func:`cone_footprint_deg`), on a spherical Earth."""
        elev, half = self._requirements.get(group, (self.min_elevation_deg, self.half_angle_deg))
        lam = footprint_half_angle_deg(alt_km, elev)
        return lam if half is None else np.minimum(lam, cone_footprint_deg(alt_km, half))

    def counts(self, k: int) -> np.ndarray:
        """The counts frame ``k`` shows, in the layout of the grid (the values the artists hold)."""
        m, rows = self._meshes[0]
        if self.kind == "equal_area":
            out = np.empty(self._values.shape[1:], dtype=float)
            for m, rows in self._meshes:
                out[rows] = np.asarray(m.get_array()).ravel()
            return out
        arr = np.asarray(m.get_array(), dtype=float)
        if self.kind == "regular":
            arr = arr.reshape(self._values.shape[1:][::-1] if self._transpose else self._values.shape[1:])
            return arr.T if self._transpose else arr
        return arr

    def draw(self, k: int) -> list:
        """Set the figure to frame ``k`` (snapshot ``k``); returns the artists changed."""
        if not 0 <= k < self.n_frames:
            raise IndexError(f"frame {k} out of range 0..{self.n_frames - 1}")
        v = self._values[k].astype(float)
        changed = []
        for m, rows in self._meshes:
            if self.kind == "regular":
                m.set_array(v.T if self._transpose else v)
            elif self.kind == "equal_area":
                m.set_array(v[rows][None, :])
            else:
                m.set_array(v)
            changed.append(m)
        lat, lon, alt = self._lat[k], self._lon[k], self._alt[k]
        segs_by_sat = None
        if self._trails and k > 0:
            k0 = max(0, k - self.trail)
            pieces = []
            for j in range(k0, k):
                dt = float((self.times[j + 1] - self.times[j]) / np.timedelta64(1, "s"))
                pieces.append(track_between(self._lat[j:j + 2], self._lon[j:j + 2], dt))
            tl = np.concatenate([p[0][(0 if i == 0 else 1):] for i, p in enumerate(pieces)])
            tn = np.concatenate([p[1][(0 if i == 0 else 1):] for i, p in enumerate(pieces)])
            segs_by_sat = (tl, tn)
        for g, idx, _col in self._groups:
            ok = idx[np.isfinite(lat[idx] + lon[idx] + alt[idx])]
            if g in self._fp:
                self._fp[g].set_paths(_footprint_paths(lat[ok], lon[ok], self.footprint_radius_deg(g, alt[ok]),
                                                       x_range=self._x_range))
                changed.append(self._fp[g])
            xy = np.column_stack([lon[ok], lat[ok]]) if ok.size else np.empty((0, 2))
            self._pts[g].set_offsets(np.vstack([xy + [off, 0.0] for off in self._offsets]))
            changed.append(self._pts[g])
            if g in self._trails:
                segs = [] if segs_by_sat is None else \
                    [p for i in ok for p in split_track(segs_by_sat[1][:, i], segs_by_sat[0][:, i])]
                self._trails[g].set_segments([p + [off, 0.0] for off in self._offsets for p in segs])
                changed.append(self._trails[g])
        self._clock.set_text(_short_time(self.times[k].astype("datetime64[s]")) + " UTC"
                             + f"  ({k + 1}/{self.n_frames})")
        changed.append(self._clock)
        return changed

    def animation(self, fps: float = 8.0):
        """A matplotlib ``FuncAnimation`` over every frame."""
        from matplotlib.animation import FuncAnimation

        return FuncAnimation(self.fig, self.draw, frames=self.n_frames, interval=1000.0 / fps, blit=False,
                             repeat=True)

    def frame_image(self, k: int):
        """Frame ``k`` rendered as an RGB ``PIL.Image`` at the figure's current dpi."""
        from PIL import Image

        self.draw(k)
        canvas = self.fig.canvas
        dynamic = self._dynamic_artists()
        if self._background is None or self._background[0] != self.fig.dpi:
            # everything that does not change (ticks, colour bar, title) drawn once, as the background
            for a in dynamic:
                a.set_animated(True)
            try:
                canvas.draw()
                self._background = (self.fig.dpi, canvas.copy_from_bbox(self.fig.bbox))
            finally:
                for a in dynamic:
                    a.set_animated(False)
        canvas.restore_region(self._background[1])
        for a in sorted(dynamic, key=lambda a: a.get_zorder()):
            self.ax.draw_artist(a)
        return Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3].copy())

    def _dynamic_artists(self) -> list:
        """What a frame redraws over the background: the cells and everything drawn above them."""
        arts = [m for m, _ in self._meshes] + self._coast + list(self._fp.values()) + \
            list(self._trails.values()) + list(self._pts.values()) + [self._clock] + list(self.ax.spines.values())
        legend = self.ax.get_legend()
        return arts + ([legend] if legend is not None else [])

    def _write_gif(self, path: Any, fps: float) -> None:
        from PIL import Image

        # one palette for every frame, from the first (whose colour bar holds every count colour), no
        # dithering: quick, and flat colours compress well
        first = self.frame_image(0).quantize(256, method=Image.Quantize.FASTOCTREE)
        frames = [first] + [self.frame_image(k).quantize(palette=first, dither=Image.Dither.NONE)
                            for k in range(1, self.n_frames)]
        frames[0].save(path, format="GIF", save_all=True, append_images=frames[1:], loop=0,
                       duration=int(round(1000.0 / fps)), optimize=False)

    def save(self, path: Any, *, fps: float = 8.0, dpi: float = 80.0) -> Any:
        """Write the animation to ``path``: ``.gif`` with Pillow (always available), ``.mp4`` with ffmpeg
        (where it is installed; otherwise a ``RuntimeError`` says so).  Atomic: the file appears complete or
        not at all.  Returns the path."""
        import os
        from pathlib import Path

        from matplotlib import animation as manim

        from .atomic import remove_path, write_atomically

        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".gif", ".mp4"):
            raise ValueError(f"animation output {str(path)!r}: use a .gif or .mp4 file name")
        if not fps > 0:
            raise ValueError(f"fps must be positive, got {fps}")
        if suffix == ".mp4" and not manim.writers.is_available("ffmpeg"):
            raise RuntimeError("writing .mp4 needs ffmpeg on the PATH (e.g. 'apt-get install ffmpeg'); "
                               "write a .gif instead (Pillow, always available)")
        self.fig.set_dpi(dpi)

        def write(tmp: Path) -> None:
            if suffix == ".gif":
                self._write_gif(tmp, fps)
                return
            named = tmp.with_name(tmp.name + suffix)  # ffmpeg picks the container from the suffix
            writer = manim.FFMpegWriter(fps=fps, codec="h264", extra_args=["-pix_fmt", "yuv420p"])
            try:
                with writer.saving(self.fig, str(named), dpi):
                    for k in range(self.n_frames):
                        self.draw(k)
                        writer.grab_frame()
                os.replace(named, tmp)
            finally:
                remove_path(named)

        return write_atomically(path, write)


def animate(ds: xr.Dataset, output: Any = None, *, service: str | None = None, footprints: bool = True,
            tracks: bool = True, trail: int = 1, min_elevation_deg: float | None = None, fps: float = 8.0,
            dpi: float = 80.0, land: bool = True, title: str | None = None) -> CoverageAnimation:
    """Animate a coverage result computed with snapshots (``coverage(..., snapshots="10m")``).

    Each frame is one snapshot: the satellites serving each cell (``sats_in_view_snapshot``, in discrete
    colours; the service ``"any"`` by default for multi-service results), the footprints (ground that sees
    the satellite at >= ``min_elevation_deg``, default the run's; :func:`footprint_polygons`) and the
    sub-satellite points coloured by group, the ground tracks over the last ``trail`` snapshot intervals
    (:func:`track_between`), a UTC clock, a legend and the scenario in the title.  With ``output`` (a
    ``.gif`` or ``.mp4`` path) the frames are written there (:meth:`CoverageAnimation.save`).  Returns the
    :class:`CoverageAnimation` (``.fig``, ``.draw(k)``, ``.counts(k)``, ``.animation()``, ``.save()``).
    """
    anim = CoverageAnimation(ds, service=service, footprints=footprints, tracks=tracks, trail=trail,
                             min_elevation_deg=min_elevation_deg, land=land, title=title)
    if output is not None:
        anim.save(output, fps=fps, dpi=dpi)
    return anim
