"""Bent-pipe (transparent relay) service: a satellite serves a cell only while it also sees a gateway.

Coverage that ignores the gateways overstates the service of a transparent communication satellite far
from them.  :func:`bent_pipe_coverage` samples the window and, at every step, counts a cell as served when
at least one satellite is above the cell's elevation mask *and* above the elevation mask of at least one
gateway (the same exact test, ``d . U >= sin(mask) |d|`` with the WGS84 ellipsoid normal, for cells and
gateways).  It reports per cell the fraction of steps served directly (any satellite in view, as
:func:`constellation.coverage` counts them at the samples) and through the bent pipe, their difference, and
the fraction served through each gateway.  The satellites in view come from the coverage engine's footprint
search (kernels in :mod:`constellation.kernels.bentpipe`).

Gateways are a station network: a point grid (:func:`constellation.grid.points`) or a sites CSV file
(``name, lat, lon[, height_m]``, :func:`constellation.grid.points_from_csv`).

Sampled figures only: fractions of samples, not refined access intervals.  The coverage engine applies
the same condition to every figure of merit, with refined edges: ``constellation.coverage(...,
gateways=...)`` (``Requirement(gateways=...)``; ``by_gateway=True`` for the time through each gateway).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from .grid import Grid, global_grid, points_from_csv
from .kernels import bentpipe as K
from .kernels import precompile, rowmodel, sattables, sweep, visibility
from .propagation import itrs_chunks
from .satellite import as_constellation
from .timescale import as_datetime64

__all__ = ["bent_pipe_coverage", "as_gateways", "gateway_links"]

_CHUNK_SATSTEPS = 200_000


def as_gateways(gateways: Any) -> Grid:
    """The gateways as a point grid: a :class:`~constellation.grid.Grid` of kind ``points`` or the path of a
    sites CSV file."""
    if isinstance(gateways, Grid):
        if gateways.kind != "points":
            raise ValueError(f"gateways must be a point grid (constellation.grid.points), got a {gateways.kind} "
                             "grid")
        g = gateways
    elif isinstance(gateways, (str, Path)):
        g = points_from_csv(Path(gateways), what="gateways file")
    else:
        raise TypeError(f"gateways must be a point grid or a sites CSV path, got {type(gateways).__name__}")
    if not 1 <= g.n_cells <= K.MAX_GATEWAYS:
        raise ValueError(f"gateways: give 1 to {K.MAX_GATEWAYS} gateways, got {g.n_cells}")
    return g


def gateway_links(r_itrs_km: np.ndarray, gateways: Grid, min_elevation_deg: float) -> np.ndarray:
    """Bit masks int64 ``(n_time, n_sat)`` of the gateways each satellite sees: bit ``g`` set where the
    satellite at ``r_itrs_km`` (n_sat, n_time, 3; NaN sees nothing) is at least ``min_elevation_deg``
    above gateway ``g``'s horizon (``d . U >= sin(mask) |d|``, WGS84 ellipsoid normal)."""
    r = np.asarray(r_itrs_km, dtype=np.float64)
    p, u = gateways.itrs_km(), gateways.up()
    s = math.sin(math.radians(float(min_elevation_deg)))
    out = np.zeros((r.shape[1], r.shape[0]), np.int64)
    with np.errstate(invalid="ignore"):
        for g in range(p.shape[0]):
            d = r - p[g]
            up = d @ u[g]
            ok = up >= s * np.sqrt(np.einsum("ijk,ijk->ij", d, d))
            out |= ok.T.astype(np.int64) << np.int64(g)
    return out


def bent_pipe_coverage(sats: Any, times: Any, grid: Grid | None = None, gateways: Any = None,
                       min_elevation_deg: float = 10.0, gateway_min_elevation_deg: float = 10.0, *,
                       dut1: Any = None, chunk_satsteps: int | None = None):
    """Per cell, the fraction of samples served directly and through the bent pipe (and per gateway).

    Parameters
    ----------
    sats : anything :func:`constellation.as_constellation` takes (e.g. ``C.jinan368().select(group="comm")``)
    times : datetime64 array (UTC)
    grid : :class:`constellation.grid.Grid`, default ``global_grid(2.0)``
    gateways : point grid or sites CSV path (1 to 63 gateways); required
    min_elevation_deg : float
        Elevation mask of the users (cells), degrees (default 10).
    gateway_min_elevation_deg : float
        Elevation mask of the gateways, degrees (default 10).
    dut1 : UT1 - UTC (s), optional
    chunk_satsteps : int, optional
        Satellite-steps propagated at once.

    Returns
    -------
    xarray.Dataset with the grid's dims and ``served_direct_fraction`` (samples with a satellite in view),
    ``served_fraction`` (samples with a satellite in view that also sees a gateway),
    ``served_lost_fraction`` (their difference: service lost for want of a gateway),
    ``served_by_gateway_fraction`` (gateway, cell dims: samples served through each gateway; a cell
    served through two gateways at once counts for both), ``cell_area_km2``; per satellite
    ``gateway_visible_fraction``; coordinates ``gateway`` (name) with ``gateway_lat``/``gateway_lon``.  For
    point grids also ``sats_in_view`` and ``served`` along ``(time, cell)``.
    """
    import xarray as xr

    if gateways is None:
        raise ValueError("gateways: give the gateway stations (a point grid or a sites CSV path)")
    gw = as_gateways(gateways)
    c = as_constellation(sats)
    times = as_datetime64(times)
    if times.size == 0:
        raise ValueError("bent_pipe_coverage needs at least one time")
    if len(c) == 0:
        raise ValueError("sats: no satellites")
    grid = global_grid(2.0) if grid is None else grid
    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be a constellation.grid.Grid, got {type(grid).__name__}")
    for name, v in (("min_elevation_deg", min_elevation_deg),
                    ("gateway_min_elevation_deg", gateway_min_elevation_deg)):
        if not -90.0 <= float(v) < 90.0:
            raise ValueError(f"{name} must lie in [-90, 90), got {v}")
    precompile.ensure(["bent-pipe"])
    n_cell, n_t, n_gw, n_sat = grid.n_cells, times.size, gw.n_cells, len(c)
    rg = rowmodel.row_geometry(grid)
    sin_el = math.sin(math.radians(float(min_elevation_deg)))
    contiguous = bool(rowmodel.contiguous_ok(np.array([sin_el]), np.array([False]))[0])
    counts = np.zeros((2, n_cell), np.int64)
    by_gw = np.zeros((n_cell, n_gw), np.int64)
    sat_link = np.zeros(n_sat, np.int64)
    points = grid.kind == "points"
    series_view = np.zeros((n_t, n_cell), np.int64) if points else np.zeros((0, 0), np.int64)
    series_link = np.zeros((n_t, n_cell), np.int64) if points else np.zeros((0, 0), np.int64)
    chunk = int(chunk_satsteps or _CHUNK_SATSTEPS)
    sats_f, sats_i = sweep.satellite_tables(np.zeros(n_sat, np.int64), sin_el, False, -1.0)
    for sl, r, _ in itrs_chunks(c, times, chunk_satsteps=max(chunk, n_sat), dut1=dut1):
        link = np.ascontiguousarray(gateway_links(r, gw, gateway_min_elevation_deg))
        sat_link += (link != 0).sum(axis=0)
        pos = np.ascontiguousarray(np.transpose(r, (1, 0, 2)), dtype=np.float64)
        geo = visibility.sat_geometry(pos, sats_f, sats_i, rg.r_min_km)
        order, lat_sorted, n_ok, cap_max = sattables.sat_table(geo, sats_i)
        sv = series_view[sl] if points else series_view
        sk = series_link[sl] if points else series_link
        K.accumulate_served(pos, geo, order, lat_sorted, n_ok, cap_max, rg.cells, rg.rows_f, rg.rows_i, sin_el,
                            contiguous, link, n_gw, counts, by_gw, sv, sk)
    return _dataset(xr, c, times, grid, gw, counts, by_gw, sat_link, series_view, series_link,
                    float(min_elevation_deg), float(gateway_min_elevation_deg))


def _dataset(xr, c, times, grid, gw, counts, by_gw, sat_link, series_view, series_link, min_el, gw_el):
    n_t = times.size
    dims, shape = grid.dims, grid.shape

    def cellvar(values, attrs):
        return (dims, np.asarray(values, float).reshape(shape), attrs)

    direct, bent = counts[0] / n_t, counts[1] / n_t
    data = {
        "served_direct_fraction": cellvar(direct, dict(
            long_name="fraction of samples with at least one satellite in view (gateways ignored)", units="1")),
        "served_fraction": cellvar(bent, dict(
            long_name="fraction of samples with at least one satellite in view that also sees a gateway "
                      "(bent pipe)", units="1")),
        "served_lost_fraction": cellvar(direct - bent, dict(
            long_name="fraction of samples covered directly but not served for want of a gateway", units="1")),
        "served_by_gateway_fraction": (("gateway", *dims), (by_gw.T / n_t).reshape((gw.n_cells, *shape)), dict(
            long_name="fraction of samples served through each gateway", units="1")),
        "gateway_visible_fraction": (("satellite",), sat_link / n_t, dict(
            long_name="fraction of samples the satellite sees at least one gateway", units="1")),
        "cell_area_km2": cellvar(grid.area_km2, dict(long_name="cell area on the WGS84 ellipsoid", units="km2")),
    }
    coords: dict[str, Any] = {
        "gateway": ("gateway", np.asarray(gw.names).astype(object), dict(long_name="gateway station")),
        "gateway_lat": ("gateway", gw.lat_deg, dict(units="degrees_north", long_name="gateway latitude")),
        "gateway_lon": ("gateway", gw.lon_deg, dict(units="degrees_east", long_name="gateway longitude")),
        "satellite": ("satellite", np.asarray(c.names).astype(object), dict(long_name="satellite name")),
    }
    coords.update(grid.coords())
    if grid.kind == "points":
        coords["time"] = ("time", times, dict(long_name="time", standard_name="time"))
        coords["name"] = ("cell", np.asarray(grid.names).astype(object), dict(long_name="site name"))
        data["sats_in_view"] = (("time", "cell"), series_view.astype(np.int16),
                                dict(long_name="satellites in view", units="1"))
        data["served"] = (("time", "cell"), series_link != 0,
                          dict(long_name="served through at least one gateway (bent pipe)"))
    step_s = float(np.median(np.diff(times)) / np.timedelta64(1, "s")) if n_t > 1 else 0.0
    from .version import __version__

    attrs = dict(
        Conventions="CF-1.10", title="Bent-pipe coverage", source=c.source or "", constellation=c.name or "",
        n_satellites=len(c), n_gateways=gw.n_cells,
        time_coverage_start=np.datetime_as_string(times[0], "s") + "Z",
        time_coverage_end=np.datetime_as_string(times[-1], "s") + "Z", step_s=step_s,
        min_elevation_deg=min_el, gateway_min_elevation_deg=gw_el,
        method="samples: a cell is served at a sample when a satellite above its mask is also above a gateway's",
        grid=grid.description or grid.kind,
        history=f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} constellation.relay.bent_pipe_coverage",
        software=f"constellation {__version__}")
    return xr.Dataset(data, coords=coords, attrs=attrs)
