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

Several systems at once (``systems=``, or a mapping ``{system: satellites}``): each system in view gets
its own receiver clock column in the geometry matrix (or one common clock), solved by eliminating the
clocks (:func:`constellation.kernels.dop.dop_from_clock_sums`); the single-system path above is untouched.
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

__all__ = ["dop", "dop_from_positions", "dop_pair", "system_labels", "DEFAULT_PDOP_THRESHOLD", "dop_estimate_bytes",
           "check_dop_fits"]

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
        progress: bool = False, systems: Any = None, clock: str | None = None):
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
    systems : None, "group" or a sequence of one system name per satellite, optional
        Several navigation systems at once (see :func:`system_labels`).  ``sats`` may also be a mapping
        ``{system name: satellites}`` (e.g. ``{"GPS": gps, "Galileo": galileo, "LEO": nav}``), whose keys are
        then the systems.  Without either (the default) all satellites are one system, as before.
    clock : "per_system" or "common", optional
        With several systems: one receiver clock offset per system in view (the default; H gets a clock
        column per system, as receivers that do not know the inter-system time offsets solve it) or one
        clock common to all.  TDOP is then ``sqrt`` of the sum of the clock variances and GDOP
        ``sqrt(PDOP^2 + TDOP^2)``; a DOP needs as many satellites in view as unknowns (3 + clocks in view),
        and ``insufficient_fraction`` counts the steps with fewer.  Adds ``sats_in_view_by_system_mean``
        (system, cell dims) and the ``system`` coordinate.

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
    c, sys_info = _systems(sats, systems, clock)
    times = as_datetime64(times)
    chunk = int(chunk_satsteps or _CHUNK_SATSTEPS)
    chunks = itrs_chunks(c, times, chunk_satsteps=max(chunk, max(1, len(c))), dut1=dut1)
    if progress:
        from tqdm import tqdm

        chunks = tqdm(chunks, total=-(-times.size // max(1, chunk // max(1, len(c)))), desc="dop",
                      unit="chunk")
    return _run(((sl, r) for sl, r, _ in chunks), c, times, grid, min_elevation_deg, threshold,
                sys_info=sys_info)


def dop_from_positions(r_itrs_km: np.ndarray, times: Any, grid: Grid | None = None,
                       min_elevation_deg: float = 5.0, threshold: float = DEFAULT_PDOP_THRESHOLD, *,
                       systems: Any = None, clock: str | None = None):
    """:func:`dop` for satellite positions from elsewhere: ``r_itrs_km`` (n_sat, n_time, 3), ITRS km, at
    UTC ``times`` (n_time,).  ``systems``: None, or one system name per satellite (``clock`` as for
    :func:`dop`).  Returns the same Dataset (``n_satellites`` from the array)."""
    r = np.asarray(r_itrs_km, dtype=np.float64)
    times = as_datetime64(times)
    if r.ndim != 3 or r.shape[2] != 3 or r.shape[1] != times.size:
        raise ValueError(f"r_itrs_km must have shape (n_sat, {times.size}, 3), got {r.shape}")
    from .satellite import Constellation

    sys_info = None
    if systems is not None or clock is not None:
        if isinstance(systems, str) or systems is None:
            raise ValueError("systems must be one system name per satellite for dop_from_positions")
        sys_info = _system_tables(np.asarray(systems).astype(str), r.shape[0], clock)
    return _run([(slice(0, times.size), r)], Constellation([]), times, grid, min_elevation_deg, threshold,
                n_sat=r.shape[0], sys_info=sys_info)


def system_labels(sats: Any, systems: Any = "group") -> tuple[Any, np.ndarray]:
    """The satellites and one system name per satellite.

    ``sats`` a mapping ``{system: satellites}``: the satellites of all entries in order, each labelled with
    its key (``systems`` must then be None or "group").  Otherwise ``systems="group"`` labels each
    satellite with its group (:attr:`constellation.Satellite.group`; an empty group is refused) and a
    sequence gives the label of each satellite explicitly.
    """
    from collections.abc import Mapping

    from .satellite import Constellation

    if isinstance(sats, Mapping):
        if systems not in (None, "group"):
            raise ValueError("systems: give either a mapping {system: satellites} or systems=, not both")
        if not sats:
            raise ValueError("sats: the mapping {system: satellites} is empty")
        parts = [(str(k), as_constellation(v)) for k, v in sats.items()]
        c = Constellation([s for _, p in parts for s in p], name=" + ".join(k for k, _ in parts),
                          source="; ".join(p.source for _, p in parts if p.source))
        return c, np.array([k for k, p in parts for _ in range(len(p))], dtype=str)
    c = as_constellation(sats)
    if systems is None:
        raise ValueError("systems: give 'group' or one system name per satellite (or a mapping as sats)")
    if isinstance(systems, str):
        if systems != "group":
            raise ValueError(f"systems must be None, 'group' or one name per satellite, got {systems!r}")
        labels = c.groups.astype(str) if len(c) else np.zeros(0, str)
        if (labels == "").any():
            raise ValueError("systems='group': some satellites have no group; give the systems explicitly "
                             "(a mapping {system: satellites} or one name per satellite)")
        return c, labels
    labels = np.asarray(list(systems)).astype(str)
    if labels.shape != (len(c),):
        raise ValueError(f"systems must name the system of each of the {len(c)} satellites, got "
                         f"{labels.size} names")
    return c, labels


def _system_tables(labels: np.ndarray, n_sat: int, clock: str | None) -> dict:
    clock = "per_system" if clock is None else clock
    if clock not in ("per_system", "common"):
        raise ValueError(f"clock must be 'per_system' or 'common', got {clock!r}")
    if labels.shape != (n_sat,):
        raise ValueError(f"systems must name the system of each of the {n_sat} satellites")
    if n_sat == 0:
        raise ValueError("dop needs at least one satellite")
    names = list(dict.fromkeys(labels.tolist()))  # in order of first appearance
    sys_of = np.array([names.index(x) for x in labels.tolist()], np.int64)
    clock_of = sys_of.copy() if clock == "per_system" else np.zeros(n_sat, np.int64)
    return dict(names=names, sys_of=sys_of, clock_of=clock_of, n_clock=len(names) if clock == "per_system" else 1,
                clock=clock)


def _systems(sats: Any, systems: Any, clock: str | None):
    from collections.abc import Mapping

    if systems is None and clock is None and not isinstance(sats, Mapping):
        return as_constellation(sats), None  # one system: the original kernel, unchanged
    if systems is None and not isinstance(sats, Mapping):
        raise ValueError("clock= applies to several systems: give systems= or a mapping {system: satellites}")
    c, labels = system_labels(sats, "group" if systems is None else systems)
    return c, _system_tables(labels, len(c), clock)


#: Memory of a DOP run, measured with tracemalloc (``C.dop`` of the nav group: 470 B per cell on global
#: grids at 0.5 and 1 deg, 470 B per time step at 2 x 10^5 steps, 57 B per site and step for a point grid's
#: series), rounded up; the kernels' own scratch and the position chunks are in the fixed part.
_DOP_BYTES_PER_TIME = 600.0
_DOP_BYTES_PER_CELL = 600.0           # per pass (two with a base-only comparison)
_DOP_BYTES_PER_SITE_TIME = 64.0       # per pass, point grids only (the per-step series)
_DOP_BYTES_FIXED = float(64 << 20)


def dop_estimate_bytes(n_t: int, n_cell: int, *, points: bool = False, n_pass: int = 1) -> float:
    """Memory (bytes) a DOP run over ``n_cell`` cells (sites when ``points``) and ``n_t`` time steps needs,
    about; ``n_pass`` 2 for :func:`dop_pair` (both, and the base alone)."""
    per_pair = _DOP_BYTES_PER_SITE_TIME * n_pass if points else 0.0
    return (_DOP_BYTES_FIXED + _DOP_BYTES_PER_TIME * n_t + _DOP_BYTES_PER_CELL * n_pass * n_cell
            + per_pair * float(n_t) * n_cell)


def check_dop_fits(n_t: int, n_cell: int, *, points: bool = False, n_pass: int = 1) -> None:
    """Refuse (:class:`constellation.budget.WorkTooLargeError`) a DOP run that cannot fit in memory before
    any work is done, with the estimate and what would fit: as many cells at these times, or as many
    times over these cells."""
    from .budget import available_bytes, check_fits

    need = dop_estimate_bytes(n_t, n_cell, points=points, n_pass=n_pass)
    have = available_bytes()
    if need <= have:
        return
    room = have - _DOP_BYTES_FIXED
    per_pair = _DOP_BYTES_PER_SITE_TIME * n_pass if points else 0.0
    per_cell = _DOP_BYTES_PER_CELL * n_pass
    cells = "sites" if points else "cells"
    fit = []
    if room > _DOP_BYTES_PER_TIME * n_t:
        fit.append(f"about {int((room - _DOP_BYTES_PER_TIME * n_t) // (per_cell + per_pair * n_t)):,} {cells} "
                   f"at these {n_t:,} times")
    if room > per_cell * n_cell:
        fit.append(f"about {int((room - per_cell * n_cell) // (_DOP_BYTES_PER_TIME + per_pair * n_cell)):,} "
                   f"times over these {n_cell:,} {cells}")
    advice = ("what fits: " + " or ".join(fit) if fit else "nothing of this size fits") + \
        " (a coarser grid, a region, fewer sites, a longer step or a shorter window)"
    check_fits(need, f"DOP over {n_cell:,} {cells} at {n_t:,} times", advice)


def _run(chunks, c, times, grid, min_elevation_deg, threshold, n_sat=None, sys_info=None):
    import xarray as xr

    if times.size == 0:
        raise ValueError("dop needs at least one time")
    precompile.ensure(["dop"] if sys_info is None else ["dop-systems"])
    grid = global_grid(1.0) if grid is None else grid
    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be a constellation.grid.Grid, got {type(grid).__name__}")
    if not -90.0 <= float(min_elevation_deg) < 90.0:
        raise ValueError(f"min_elevation_deg must lie in [-90, 90), got {min_elevation_deg}")
    if not float(threshold) > 0:
        raise ValueError(f"threshold must be a positive PDOP, got {threshold}")
    n_cell, n_t = grid.n_cells, times.size
    n_pass = 1 if sys_info is None or sys_info.get("in_base") is None else 2
    check_dop_fits(n_t, n_cell, points=grid.kind == "points", n_pass=n_pass)
    rg = rowmodel.row_geometry(grid)  # cell positions, ellipsoid normals (up) and rows, as coverage uses them
    east, north = _enu_axes(grid)
    enu = np.ascontiguousarray(np.concatenate([east, north], axis=1))
    sin_el = math.sin(math.radians(float(min_elevation_deg)))
    contiguous = bool(rowmodel.contiguous_ok(np.array([sin_el]), np.array([False]))[0])

    points = grid.kind == "points"
    series = np.full((n_t, n_cell, 5), np.nan) if points else np.zeros((0, 0, 5))
    series_n = np.zeros((n_t, n_cell)) if points else np.zeros((0, 0))
    dop_stats = np.empty((n_pass, 3, n_cell, 5))  # per pass: sum, maximum, minimum
    dop_stats[:, 0] = 0.0
    dop_stats[:, 1] = -np.inf
    dop_stats[:, 2] = np.inf
    dop_n = np.zeros((n_pass, n_cell, 5), np.int64)
    counts = np.zeros((n_pass, 2, n_cell), np.int64)  # steps with PDOP <= threshold, steps without a fix
    nview = np.empty((n_pass, 3, n_cell))  # satellites in view: sum, minimum, maximum
    nview[:, 0] = 0.0
    nview[:, 1] = np.inf
    nview[:, 2] = 0.0
    sats_i = None
    nview_sys = np.zeros((n_cell, len(sys_info["names"])) if sys_info is not None else (0, 0))
    in_base = np.zeros(0, np.int64) if n_pass == 1 else sys_info["in_base"]

    for sl, r in chunks:
        pos = np.ascontiguousarray(np.transpose(r, (1, 0, 2)), dtype=np.float64)  # (n_t, n_sat, 3)
        ns = pos.shape[1]
        if sats_i is None or sats_i.shape[0] != ns:  # every satellite serves, elevation mask only
            sats_f, sats_i = sweep.satellite_tables(np.zeros(ns, np.int64), sin_el, False, -1.0)
        geo = visibility.sat_geometry(pos, sats_f, sats_i, rg.r_min_km)
        order, lat_sorted, n_ok, cap_max = sattables.sat_table(geo, sats_i)
        ser = series[sl] if points else series
        ser_n = series_n[sl] if points else series_n
        if sys_info is None:
            K.accumulate_dop(pos, geo, order, lat_sorted, n_ok, cap_max, rg.cells, rg.rows_f, rg.rows_i, enu,
                             sin_el, contiguous, float(threshold), dop_stats[0], dop_n[0], counts[0], nview[0],
                             ser, ser_n)
        else:
            K.accumulate_dop_systems(pos, geo, order, lat_sorted, n_ok, cap_max, rg.cells, rg.rows_f, rg.rows_i,
                                     enu, sin_el, contiguous, float(threshold), sys_info["clock_of"],
                                     sys_info["n_clock"], sys_info["sys_of"], in_base, dop_stats, dop_n, counts,
                                     nview, nview_sys, ser, ser_n)

    out = []
    for p in range(n_pass):
        dop_sum, dop_max, dop_min = dop_stats[p]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = dop_sum / dop_n[p]
        ok = dop_n[p] > 0
        mean[~ok] = np.nan
        dop_max[~ok] = np.nan
        dop_min[~ok] = np.nan
        if p == 0:
            n = len(c) if n_sat is None else n_sat
            ser, ser_n = series, series_n
        else:  # the base satellites alone: no series (they are of pass 0)
            n = int(np.count_nonzero(in_base))
            ser = np.full((n_t, n_cell, 5), np.nan) if points else series
            ser_n = np.zeros((n_t, n_cell)) if points else series_n
        ds = _dataset(xr, c, times, grid, mean, dop_max, dop_min, dop_n[p], counts[p, 0], counts[p, 1],
                      nview[p, 0], nview[p, 1], nview[p, 2], ser, ser_n, float(min_elevation_deg), float(threshold),
                      n)
        if p == 1 and points:
            ds = ds.drop_vars(["gdop", "pdop", "hdop", "vdop", "tdop", "sats_in_view"])
        if sys_info is not None:
            info = sys_info if p == 0 else dict(sys_info, names=sys_info["base_names"])
            ds = _add_systems(ds, grid, info, nview_sys[:, :len(info["names"])] / n_t)
        out.append(ds)
    return out[0] if n_pass == 1 else tuple(out)


def dop_pair(base: Any, augment: Any, times: Any, grid: Grid | None = None, min_elevation_deg: float = 5.0,
             threshold: float = DEFAULT_PDOP_THRESHOLD, *, clock: str | None = None, dut1: Any = None,
             chunk_satsteps: int | None = None):
    """:func:`dop` of ``base`` + ``augment`` and of ``base`` alone, in one sweep: ``(both, base_only)``.

    ``base`` and ``augment`` are mappings ``{system: satellites}`` with distinct system names.  Each result
    equals, bit for bit, the corresponding :func:`dop` run (``dop({**base, **augment}, ...)`` and
    ``dop(base, ...)``), except that ``base_only`` of a point grid has no per-step series."""
    from collections.abc import Mapping

    if not isinstance(base, Mapping) or not isinstance(augment, Mapping):
        raise TypeError("dop_pair takes mappings {system: satellites} for base and augment")
    clash = set(map(str, base)) & set(map(str, augment))
    if clash:
        raise ValueError(f"augment: system names {sorted(clash)} are also base systems; rename them")
    c, labels = system_labels({**base, **augment}, None)
    info = _system_tables(labels, len(c), clock)
    n_base = sum(len(as_constellation(v)) for v in base.values())
    info["in_base"] = (np.arange(len(c)) < n_base).astype(np.int64)
    info["base_names"] = [str(k) for k in base]
    if info["names"][:len(base)] != info["base_names"]:  # an empty base system shifts the numbering
        raise ValueError("base: every base system needs at least one satellite")
    times = as_datetime64(times)
    chunk = int(chunk_satsteps or _CHUNK_SATSTEPS)
    chunks = itrs_chunks(c, times, chunk_satsteps=max(chunk, max(1, len(c))), dut1=dut1)
    both, alone = _run(((sl, r) for sl, r, _ in chunks), c, times, grid, min_elevation_deg, threshold,
                       sys_info=info)
    alone.attrs["constellation"] = " + ".join(info["base_names"])
    return both, alone


def _add_systems(ds, grid, sys_info, nview_sys_mean):
    names = sys_info["names"]
    ds = ds.assign_coords(system=("system", np.array(names, dtype=object), dict(long_name="navigation system")))
    per = np.moveaxis(nview_sys_mean, 1, 0).reshape((len(names), *grid.shape))
    ds["sats_in_view_by_system_mean"] = (("system", *grid.dims), per, dict(
        long_name="satellites in view of each system, time average", units="1"))
    unknowns = "3 + clocks in view" if sys_info["clock"] == "per_system" else "4"
    ds["insufficient_fraction"].attrs["long_name"] = (
        f"fraction of time with fewer satellites in view than unknowns ({unknowns})")
    ds.attrs["systems"] = ", ".join(names)
    ds.attrs["receiver_clock"] = sys_info["clock"]
    if sys_info["clock"] == "per_system":
        ds.attrs["geometry"] = ("rows of H: [-e, -n, -u, clock columns] with a 1 in the column of the "
                                "satellite's system (local ENU line of sight, WGS84 ellipsoid normal); "
                                "Q = (H^T H)^-1; TDOP = sqrt(sum of the clock variances)")
    return ds


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
    coords.update(grid.coords())
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
