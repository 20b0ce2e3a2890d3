"""Coverage snapshots in time: the satellites serving every cell, and where the satellites are, at chosen
samples of a coverage run, on any grid.

:func:`constellation.coverage` keeps per-sample counts only for point grids (``sats_in_view(time, cell)``);
a regular or equal-area grid has no time axis.  ``coverage(..., snapshots=...)`` adds one at a subset of
the samples (a stride, a time interval, or listed sample times), computed by :func:`snapshot_variables`:

* ``sats_in_view_snapshot([service,] snapshot_time, cells...)`` (int16): satellites serving each cell at
  each snapshot, the same count as :func:`constellation.api.coverage_counts` at those samples;
* ``sat_lat_deg``, ``sat_lon_deg``, ``sat_alt_km`` ``(snapshot_time, satellite)``: geodetic sub-satellite
  points and altitudes (WGS84) at the snapshots, with the satellites' ``satellite_name`` and ``group``, for
  footprints and tracks.

The counts are computed at the snapshot samples alone, with SGP4 at each of them (``positions="exact"``),
so they cost a small fraction of the run and leave the run's other results untouched (bit-identical to a
run without snapshots).  The array must fit in :data:`SNAPSHOT_MAX_BYTES`; a larger request is refused
with the largest stride that would fit.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np

from .grid import Grid
from .runners import run_serial
from .timescale import as_datetime64, parse_duration

__all__ = ["snapshot_indices", "snapshot_variables", "SNAPSHOT_MAX_BYTES"]

#: Largest snapshot count array (int16, services x snapshots x cells) a run may ask for: 512 MiB.
SNAPSHOT_MAX_BYTES = 512 * 2**20


def snapshot_indices(times: Any, snapshots: Any) -> np.ndarray:
    """Indices into ``times`` (the run's samples) of the snapshots ``snapshots`` asks for.

    ``snapshots`` is a whole number ``k`` (every k-th sample, from the first), a duration (``"10m"``,
    seconds as a float, a ``timedelta64``: every sample that far apart, so a multiple of the run's uniform
    step), or a sequence of times, each one of the run's samples.  Raises ``ValueError`` naming
    ``snapshots`` otherwise.
    """
    t = as_datetime64(times)
    n = t.size
    if n == 0:
        raise ValueError("snapshots: the run has no samples")
    if isinstance(snapshots, (bool, np.bool_)):
        raise ValueError(f"snapshots: expected a stride, a duration or sample times, got {snapshots!r}")
    if isinstance(snapshots, timedelta):
        snapshots = snapshots.total_seconds()
    if isinstance(snapshots, (int, np.integer)) and not isinstance(snapshots, np.timedelta64):
        if snapshots < 1:
            raise ValueError(f"snapshots: a stride must be at least 1 sample, got {snapshots}")
        return np.arange(0, n, int(snapshots))
    if isinstance(snapshots, (str, float, np.floating, np.timedelta64)):
        try:
            every_s = parse_duration(snapshots)
        except ValueError as exc:
            raise ValueError(f"snapshots: {exc}") from None
        if not (np.isfinite(every_s) and every_s > 0):
            raise ValueError(f"snapshots: the interval must be positive, got {snapshots!r}")
        if n == 1:
            return np.arange(1)
        dt_ns = np.diff(t).astype(np.int64)
        if dt_ns.min() != dt_ns.max():
            raise ValueError("snapshots: an interval needs uniformly spaced samples; give a stride or the "
                             "sample times instead")
        step_s = dt_ns[0] * 1e-9
        k = every_s / step_s
        if abs(k - round(k)) > 1e-6 or round(k) < 1:
            raise ValueError(f"snapshots: {snapshots!r} ({every_s:g} s) is not a whole multiple of the run's "
                             f"step ({step_s:g} s)")
        return np.arange(0, n, int(round(k)))
    try:
        wanted = as_datetime64(snapshots)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"snapshots: expected a stride, a duration or sample times ({exc})") from None
    if wanted.size == 0:
        raise ValueError("snapshots: no times given")
    if np.any(np.diff(wanted) <= np.timedelta64(0, "ns")):
        raise ValueError("snapshots: the times must be strictly increasing")
    idx = np.searchsorted(t, wanted)
    ok = (idx < n) & (t[np.minimum(idx, n - 1)] == wanted)
    if not ok.all():
        bad = wanted[~ok][0]
        raise ValueError(f"snapshots: {np.datetime_as_string(bad, unit='s')}Z is not one of the run's samples "
                         f"({np.datetime_as_string(t[0], unit='s')}Z .. {np.datetime_as_string(t[-1], unit='s')}Z)")
    return idx.astype(np.int64)


def check_size(n_out: int, n_snap: int, n_cells: int, n_samples: int, max_bytes: int | None = None) -> None:
    """Refuse a snapshot array over ``max_bytes`` (default :data:`SNAPSHOT_MAX_BYTES`), saying how large it
    would be and what would fit."""
    max_bytes = SNAPSHOT_MAX_BYTES if max_bytes is None else int(max_bytes)
    size = 2 * n_out * n_snap * n_cells
    if size <= max_bytes:
        return
    fit = max(1, max_bytes // (2 * n_out * n_cells))
    stride = -(-n_samples // fit) if fit < n_samples else 1
    raise ValueError(f"snapshots: {n_snap} snapshots of {n_cells} cells x {n_out} service(s) would take "
                     f"{size / 2**20:.0f} MiB, over the {max_bytes / 2**20:.0f} MiB limit; at most {fit} fit "
                     f"(a stride of {stride} samples or more), or use a coarser grid")


def snapshot_variables(sats: Any, times: Any, grid: Grid, index: np.ndarray, *, min_elevation_deg: float,
                       half_angle_deg: float | None, requirements: dict | None,
                       with_any: bool, nadir: str = "geocentric") -> tuple[dict, dict, dict]:
    """The snapshot variables, coordinates and attributes for a coverage Dataset (see the module's text):
    ``(data_vars, coords, attrs)`` in the ``(dims, values, attrs)`` form of ``xarray.Dataset``."""
    from .propagation import propagate
    from .satellite import as_constellation

    c = as_constellation(sats)
    t = as_datetime64(times)[index]
    out = run_serial(c, t, grid, min_elevation_deg=min_elevation_deg, half_angle_deg=half_angle_deg, min_sats=1,
                     requirements=requirements, refine_edges=False, chunk_steps=None, progress=False,
                     want_siv=True, positions="exact", nadir=nadir)
    siv = out["siv"]  # (n_out, n_snap, n_cells)
    siv = siv.reshape(siv.shape[:2] + grid.shape)
    lead = ("service",) if with_any else ()
    data_vars = {"sats_in_view_snapshot": (lead + ("snapshot_time",) + grid.dims, siv if with_any else siv[0], dict(
        long_name="number of satellites serving the cell at each snapshot", units="1",
        comment="computed at the snapshot samples with SGP4 at each (positions exact); equal to "
                "coverage_counts at those samples"))}
    pos = propagate(c, t)
    for name, src, units, long_name in (
            ("sat_lat_deg", "lat_deg", "degrees_north", "geodetic latitude of the sub-satellite point (WGS84)"),
            ("sat_lon_deg", "lon_deg", "degrees_east", "longitude of the sub-satellite point"),
            ("sat_alt_km", "alt_km", "km", "altitude above the WGS84 ellipsoid")):
        vals = np.asarray(pos[src].transpose("time", "satellite").values, dtype=np.float64)
        data_vars[name] = (("snapshot_time", "satellite"), vals, dict(units=units, long_name=long_name))
    coords = {
        "snapshot_time": ("snapshot_time", t, dict(long_name="time of the snapshot", standard_name="time")),
        "satellite": ("satellite", np.arange(len(c))),
        "satellite_name": ("satellite", np.asarray(pos["name"].values).astype(object)),
        "group": ("satellite", np.asarray(pos["group"].values).astype(object)),
    }
    step = np.diff(index)
    attrs = dict(snapshots=(f"every {int(step[0])} samples" if step.size and (step == step[0]).all()
                            else f"{index.size} listed samples"))
    return data_vars, coords, attrs
