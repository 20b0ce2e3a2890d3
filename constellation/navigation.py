"""Navigation geometry: dilution of precision (GDOP, PDOP, HDOP, VDOP, TDOP) over a grid or sites.

:func:`dop` propagates the satellites in time chunks (:func:`constellation.propagation.itrs_chunks`), and at
every step accumulates, for every grid cell, the 10 unique sums of ``H^T H`` over the satellites above
the elevation mask, then inverts it (kernels in :mod:`constellation.kernels.dop`, where the formulas and
their sources are given).  The satellites in view of each cell come from the coverage engine's footprint
search (:mod:`constellation.kernels.rowmodel`: per row, the runs of cells each satellite serves, decided
by the same exact elevation test), so DOP and :func:`constellation.coverage` count the same
satellites, and the work grows with the footprints, not with satellites x cells.

The result follows the coverage contract's layout (dims ``lat``/``lon`` for regular grids, ``cell``
otherwise; CF attributes) with per-cell figures of merit: mean, maximum and minimum of each DOP over the
steps where it is defined, the fraction of steps with PDOP at or below a threshold, the fraction of steps
with fewer than four satellites in view, and satellites in view.  For point grids the per-step DOP
series come too.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import numpy as np

from .grid import Grid, global_grid
from .kernels import dop as K
from .kernels import precompile, rowmodel, sattables, sweep, visibility
from .propagation import itrs_chunks
from .satellite import as_constellation
from .timescale import as_datetime64

__all__ = ["dop", "dop_from_positions", "DEFAULT_PDOP_THRESHOLD"]

#: PDOP threshold of ``pdop_below_threshold_fraction``: 6 is the PDOP mask commonly quoted for usable
#: GPS positioning (the GPS SPS Performance Standard, 2008, section 3.6, uses PDOP <= 6 for availability).
DEFAULT_PDOP_THRESHOLD = 6.0

#: Satellite-steps per streamed chunk (positions of about 24 bytes each, plus per-step geometry).
_CHUNK_SATSTEPS = 200_000

_STK = {"gdop": "GDOP", "pdop": "PDOP", "hdop": "HDOP", "vdop": "VDOP", "tdop": "TDOP"}
_LONG = {"gdop": "geometric", "pdop": "position", "hdop": "horizontal", "vdop": "vertical", "tdop": "time"}


def _enu_axes(grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    la, lo = np.radians(grid.lat_deg), np.radians(grid.lon_deg)
    east = np.stack([-np.sin(lo), np.cos(lo), np.zeros_like(lo)], -1)
    north = np.stack([-np.sin(la) * np.cos(lo), -np.sin(la) * np.sin(lo), np.cos(la)], -1)
    return np.ascontiguousarray(east), np.ascontiguousarray(north)


def dop(sats: Any, times: Any, grid: Grid | None = None, min_elevation_deg: float = 5.0,
        threshold: float = DEFAULT_PDOP_THRESHOLD, *, dut1: Any = None, chunk_satsteps: int | None = None,
        progress: bool = False):
    """Dilution of precision of a constellation over a grid (or sites) and a time window.

    Parameters
    ----------
    sats : anything :func:`constellation.as_constellation` takes (e.g. ``C.jinan368().select(group="nav")``
        or a GNSS element file loaded with :func:`constellation.load`)
    times : datetime64 array (UTC), e.g. ``C.time_range(start, duration="1d", step_s=60)``
    grid : :class:`constellation.grid.Grid`, default ``global_grid(1.0)``
    min_elevation_deg : float
        Elevation mask (degrees above the plane normal to the WGS84 ellipsoid at each cell), default 5.
    threshold : float
        PDOP threshold for ``pdop_below_threshold_fraction`` (default 6).
    dut1 : float or array, optional
        UT1 - UTC (s); default Skyfield's built-in IERS table.
    chunk_satsteps : int, optional
        Satellite-steps propagated at once (bounds memory).
    progress : bool
        Show a progress bar over time chunks (tqdm).

    Returns
    -------
    xarray.Dataset with the grid's dims (``lat``, ``lon`` or ``cell``) and, per cell:
    ``{g,p,h,v,t}dop_mean``, ``_max``, ``_min`` (over the steps where the DOP is defined, i.e. at least 4
    satellites in view; NaN if never), ``pdop_below_threshold_fraction`` (fraction of all steps with
    PDOP <= ``threshold``; steps without a DOP count as not below), ``dop_available_fraction`` (steps with
    a DOP), ``insufficient_fraction`` (steps with fewer than 4 satellites in view),
    ``sats_in_view_mean``/``_min``/``_max`` and ``cell_area_km2``.  For point grids also ``gdop``, ``pdop``,
    ``hdop``, ``vdop``, ``tdop`` and ``sats_in_view`` along ``(time, cell)``.
    """
    c = as_constellation(sats)
    times = as_datetime64(times)
    chunk = int(chunk_satsteps or _CHUNK_SATSTEPS)
    chunks = itrs_chunks(c, times, chunk_satsteps=max(chunk, max(1, len(c))), dut1=dut1)
    if progress:
        from tqdm import tqdm

        chunks = tqdm(chunks, total=-(-times.size // max(1, chunk // max(1, len(c)))), desc="dop",
                      unit="chunk")
    return _run(((sl, r) for sl, r, _ in chunks), c, times, grid, min_elevation_deg, threshold)


def dop_from_positions(r_itrs_km: np.ndarray, times: Any, grid: Grid | None = None,
                       min_elevation_deg: float = 5.0, threshold: float = DEFAULT_PDOP_THRESHOLD):
    """:func:`dop` for satellite positions from elsewhere: ``r_itrs_km`` (n_sat, n_time, 3), ITRS km, at
    UTC ``times`` (n_time,).  Returns the same Dataset (``n_satellites`` from the array)."""
    r = np.asarray(r_itrs_km, dtype=np.float64)
    times = as_datetime64(times)
    if r.ndim != 3 or r.shape[2] != 3 or r.shape[1] != times.size:
        raise ValueError(f"r_itrs_km must have shape (n_sat, {times.size}, 3), got {r.shape}")
    from .satellite import Constellation

    return _run([(slice(0, times.size), r)], Constellation([]), times, grid, min_elevation_deg, threshold,
                n_sat=r.shape[0])


def _run(chunks, c, times, grid, min_elevation_deg, threshold, n_sat=None):
    import xarray as xr

    if times.size == 0:
        raise ValueError("dop needs at least one time")
    precompile.ensure(["dop"])
    grid = global_grid(1.0) if grid is None else grid
    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be a constellation.grid.Grid, got {type(grid).__name__}")
    if not -90.0 <= float(min_elevation_deg) < 90.0:
        raise ValueError(f"min_elevation_deg must lie in [-90, 90), got {min_elevation_deg}")
    if not float(threshold) > 0:
        raise ValueError(f"threshold must be a positive PDOP, got {threshold}")
    n_cell, n_t = grid.n_cells, times.size
    rg = rowmodel.row_geometry(grid)  # cell positions, ellipsoid normals (up) and rows, as coverage uses them
    east, north = _enu_axes(grid)
    enu = np.ascontiguousarray(np.concatenate([east, north], axis=1))
    sin_el = math.sin(math.radians(float(min_elevation_deg)))
    contiguous = bool(rowmodel.contiguous_ok(np.array([sin_el]), np.array([False]))[0])

    dop_stats = np.empty((3, n_cell, 5))  # sum, maximum, minimum
    dop_stats[0] = 0.0
    dop_stats[1] = -np.inf
    dop_stats[2] = np.inf
    dop_sum, dop_max, dop_min = dop_stats
    dop_n = np.zeros((n_cell, 5), np.int64)
    counts = np.zeros((2, n_cell), np.int64)  # steps with PDOP <= threshold, steps with fewer than 4 in view
    below, few = counts
    nview = np.empty((3, n_cell))  # satellites in view: sum, minimum, maximum
    nview[0] = 0.0
    nview[1] = np.inf
    nview[2] = 0.0
    nv_sum, nv_min, nv_max = nview
    sats_i = None
    points = grid.kind == "points"
    series = np.full((n_t, n_cell, 5), np.nan) if points else np.zeros((0, 0, 5))
    series_n = np.zeros((n_t, n_cell)) if points else np.zeros((0, 0))

    for sl, r in chunks:
        pos = np.ascontiguousarray(np.transpose(r, (1, 0, 2)), dtype=np.float64)  # (n_t, n_sat, 3)
        ns = pos.shape[1]
        if sats_i is None or sats_i.shape[0] != ns:  # every satellite serves, elevation mask only
            sats_f, sats_i = sweep.satellite_tables(np.zeros(ns, np.int64), sin_el, False, -1.0)
        geo = visibility.sat_geometry(pos, sats_f, sats_i, rg.r_min_km)
        order, lat_sorted, n_ok, cap_max = sattables.sat_table(geo, sats_i)
        ser = series[sl] if points else series
        ser_n = series_n[sl] if points else series_n
        K.accumulate_dop(pos, geo, order, lat_sorted, n_ok, cap_max, rg.cells, rg.rows_f, rg.rows_i, enu, sin_el,
                         contiguous, float(threshold), dop_stats, dop_n, counts, nview, ser, ser_n)

    with np.errstate(invalid="ignore", divide="ignore"):
        mean = dop_sum / dop_n
    ok = dop_n > 0
    mean[~ok] = np.nan
    dop_max[~ok] = np.nan
    dop_min[~ok] = np.nan
    return _dataset(xr, c, times, grid, mean, dop_max, dop_min, dop_n, below, few, nv_sum, nv_min, nv_max,
                    series, series_n, float(min_elevation_deg), float(threshold),
                    len(c) if n_sat is None else n_sat)


def _dataset(xr, c, times, grid, mean, dmax, dmin, dop_n, below, few, nv_sum, nv_min, nv_max, series,
             series_n, min_el, threshold, n_sat):
    n_t = times.size
    dims = grid.dims
    shape = grid.shape

    def cellvar(values, attrs):
        return (dims, np.asarray(values).reshape(shape), attrs)

    data = {}
    for m, name in enumerate(K.DOP_NAMES):
        label = _STK[name]
        for stat, arr, word in (("mean", mean, "time average"), ("max", dmax, "maximum"),
                                ("min", dmin, "minimum")):
            data[f"{name}_{stat}"] = cellvar(arr[:, m], dict(
                long_name=f"{_LONG[name]} dilution of precision ({label}), {word} over steps with >= 4 "
                          f"satellites in view", units="1",
                stk_name=f"Dilution of Precision: {label}, {'Average' if stat == 'mean' else stat.capitalize()}"))
    data["pdop_below_threshold_fraction"] = cellvar(below / n_t, dict(
        long_name=f"fraction of time with PDOP <= {threshold:g} (no DOP counts as above)", units="1",
        threshold=threshold, stk_name=f"Dilution of Precision: PDOP, Percent Below {threshold:g} (as a fraction)"))
    data["dop_available_fraction"] = cellvar(dop_n[:, 1] / n_t, dict(
        long_name="fraction of time with a defined DOP (at least 4 satellites in view, non-degenerate)",
        units="1"))
    data["insufficient_fraction"] = cellvar(few / n_t, dict(
        long_name="fraction of time with fewer than 4 satellites in view", units="1"))
    data["sats_in_view_mean"] = cellvar(nv_sum / n_t, dict(long_name="satellites in view, time average",
                                                           units="1", stk_name="N Asset Coverage: Average"))
    data["sats_in_view_min"] = cellvar(nv_min, dict(long_name="satellites in view, minimum", units="1",
                                                    stk_name="N Asset Coverage: Minimum"))
    data["sats_in_view_max"] = cellvar(nv_max, dict(long_name="satellites in view, maximum", units="1",
                                                    stk_name="N Asset Coverage: Maximum"))
    data["cell_area_km2"] = cellvar(grid.area_km2, dict(long_name="cell area on the WGS84 ellipsoid",
                                                        units="km2"))
    coords: dict[str, Any] = {"time": ("time", times, dict(long_name="time", standard_name="time"))}
    lat_attrs = dict(units="degrees_north", standard_name="latitude", long_name="latitude", axis="Y")
    lon_attrs = dict(units="degrees_east", standard_name="longitude", long_name="longitude", axis="X")
    if grid.kind == "regular":
        coords["lat"] = ("lat", grid.lat, lat_attrs)
        coords["lon"] = ("lon", grid.lon, lon_attrs)
    else:
        coords["lat"] = ("cell", grid.lat_deg, lat_attrs)
        coords["lon"] = ("cell", grid.lon_deg, lon_attrs)
    if grid.kind == "points":
        coords["name"] = ("cell", np.asarray(grid.names).astype(object), dict(long_name="site name"))
        coords["height_m"] = ("cell", grid.height_m, dict(long_name="height above the WGS84 ellipsoid",
                                                          units="m"))
        for m, name in enumerate(K.DOP_NAMES):
            data[name] = (("time", "cell"), series[:, :, m], dict(
                long_name=f"{_LONG[name]} dilution of precision ({_STK[name]})", units="1"))
        data["sats_in_view"] = (("time", "cell"), series_n.astype(np.int16),
                                dict(long_name="satellites in view", units="1"))
    step_s = float(np.median(np.diff(times)) / np.timedelta64(1, "s")) if n_t > 1 else 0.0
    from .version import __version__

    attrs = dict(
        Conventions="CF-1.10",
        title="Dilution of precision",
        source=c.source or "",
        constellation=c.name or "",
        n_satellites=n_sat,
        time_coverage_start=np.datetime_as_string(times[0], "s") + "Z",
        time_coverage_end=np.datetime_as_string(times[-1], "s") + "Z",
        step_s=step_s,
        min_elevation_deg=min_el,
        pdop_threshold=threshold,
        geometry="rows of H: [-e, -n, -u, 1] (local ENU line of sight, WGS84 ellipsoid normal); Q = (H^T H)^-1",
        grid=grid.description or grid.kind,
        history=f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} constellation.dop",
        software=f"constellation {__version__}",
    )
    ds = xr.Dataset(data, coords=coords, attrs=attrs)
    return ds.set_xindex("name") if grid.kind == "points" else ds  # sites by name: ds.sel(name="Jinan")
