"""Imaging opportunities of a pushbroom (swath) imager, their revisit, and their data latency.

**The swath sensor.**  A pushbroom imager looks along a line of detectors across the ground track: it
sees the ground in the *cross-track plane*, the plane through the satellite perpendicular to its velocity
relative to the rotating Earth (ITRS velocity).  A ground cell at ``P`` is imaged at the instant the
plane sweeps over it, when

    ``f(t) = (P - S(t)) . V(t) = 0``   with ``f`` turning from positive (the cell ahead) to negative,

provided the line of sight ``P - S`` then makes a **cross-track angle** with the nadir of at most the
instrument's half-angle and the cell sees the satellite at least ``min_elevation_deg`` above its horizon
(WGS84 normal).  The cross-track angle is measured in the cross-track plane from the nadir projected into
that plane (geocentric nadir ``-S/|S|`` by default, or the geodetic nadir, the inward WGS84 normal under
the satellite), signed positive to the right of the ground track.  Because the crossing is an instant it
is found from the sign of ``f`` at every sample and never lost between samples: ``f`` changes sign once
per overflight whatever the step.  The states at the samples are SGP4 positions and velocities at every
sample, turned into ITRS as at the coverage engine's nodes
(:func:`constellation.propagation.itrs_state_chunks`).  The instant is then the root of ``f`` evaluated on
the cubic Hermite interpolant of the ITRS position through the two bracketing samples (positions and SGP4
velocities at both ends), ``f`` using the interpolant's position and first derivative: Newton's method on
``f`` (a quintic in the fraction of the step; its derivative exact), started where the straight line
between the two sample values of ``f`` crosses zero, kept inside the shrinking bracket (a bisection where
a step would leave it), until a step moves the time by less than 1e-7 s (:mod:`constellation.kernels.swath`,
one numba kernel for the search and the refinement).  Only samples where the satellite is
within reach of the grid's cells (a spherical cap around them) and cells within reach of the satellite
at the earlier sample (the swath's Earth central angle ``lam`` plus the largest angle the sub-satellite
point turns in one step, ``w h``, plus 0.01 rad), and whose angles to the sub-satellite points at the two
samples add up to at most ``2 (lam + 0.01) + w h`` (triangle inequality), are examined; the kernel finds
the cells that can pass those tests in a band of latitudes (each angle bounds a difference of latitudes)
by bisection over the cells sorted by latitude.

**Duration.**  An opportunity has no duration: a pushbroom image of a cell is an instant.  Figures of merit
count opportunities and measure the gaps between them; an agile imager that can point anywhere within a
maximum off-nadir angle has a *field of regard* that is a cone around the nadir, and its opportunities are
accesses with durations: use the coverage engine's cone sensor for it.

**Revisit** (:func:`imaging_figures`), per cell, from the opportunity times in the window:
``opportunities`` (their number, opportunities at the same millisecond counted once), ``revisit_mean_s``
and ``revisit_max_s`` (mean and largest gap between successive opportunities; the stretches before the
first and after the last opportunity are left out, as TAT-C's mean revisit does; NaN with fewer than two),
and ``max_wait_s``, the largest gap when those two stretches count too (the window length for a cell never
imaged).

**Data latency**, per opportunity: the time from the observation to the end of the first contact of the
same satellite with any station of the network that ends at or after the observation (a contact in
progress at the observation counts: the image can be sent before it ends).  Per cell:
``latency_mean_s``, ``latency_max_s`` and ``latency_p95_s`` (95th percentile, linear interpolation between
order statistics, numpy's default) over the delivered opportunities, and ``undelivered``, the
opportunities whose satellite has no contact ending inside the window after them.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from .contacts import window
from .grid import Grid
from .groundlink import downlink_ends
from .kernels import precompile
from .kernels import swath as K
from .kernels.frames import WGS84_A_KM, WGS84_E2
from .propagation import itrs_state_chunks
from .satellite import as_constellation

__all__ = ["swath_opportunities", "imaging_figures", "opportunity_latency_s", "OPPORTUNITY_COLUMNS",
           "NADIRS"]

#: Columns of the table :func:`swath_opportunities` returns.
OPPORTUNITY_COLUMNS = ["cell", "satellite_index", "satellite", "group", "time", "cross_track_deg",
                       "elevation_deg", "ascending"]

#: The nadir definitions the cross-track angle can be measured from.
NADIRS = ("geocentric", "geodetic")

_OMEGA_EARTH_RAD_S = 7.292115e-5
_B_KM = WGS84_A_KM * math.sqrt(1.0 - WGS84_E2)
_CHUNK_SATSTEPS = 1_000_000  # satellite-steps of positions and velocities held at once (48 MB)
_BUFFER_ROWS = 65_536  # opportunities the kernel's first output buffer holds (it grows when needed)


def swath_opportunities(sats: Any, grid: Grid, start: Any = None, stop: Any = None, *, duration: Any = None,
                        half_angle_deg: float, step_s: float = 30.0, min_elevation_deg: float = 0.0,
                        nadir: str = "geocentric", dut1: Any = None,
                        min_sun_elevation_deg: float | None = None) -> pd.DataFrame:
    """Every instant a pushbroom imager images each cell of ``grid`` (method: see the module notes).

    Parameters
    ----------
    sats : Constellation, Satellite, sgp4 Satrec, Skyfield EarthSatellite, or a list of them
    grid : Grid
        The cells (any :mod:`constellation.grid` kind).
    start, stop : ISO 8601 text, ``datetime``, ``datetime64`` (UTC)
        The window (or ``duration``, seconds or text such as ``"1d"``, instead of ``stop``).
    half_angle_deg : float
        The swath's cross-track half-angle from the nadir, degrees in (0, 90).
    step_s : float
        Sampling step (s) of the positions, at most 120 s (the Hermite interpolation's accuracy; the
        opportunities themselves are found between samples whatever the step).
    min_elevation_deg : float
        The satellite must also be at least this high above the cell's horizon (degrees; default 0).
    nadir : ``"geocentric"`` or ``"geodetic"``
        Which nadir the cross-track angle is measured from (default geocentric).
    dut1 : float or array, optional
        UT1 - UTC (s); default Skyfield's built-in IERS table.
    min_sun_elevation_deg : float, optional
        Keep only the opportunities with the Sun at least this high above the cell's horizon at the
        imaging instant (degrees; geometric elevation of the apparent Sun, from
        :func:`constellation.sun.sun_directions_itrs`, as the coverage engine's Sun limits).  Adds the
        column ``sun_elevation_deg``.

    Returns
    -------
    pandas.DataFrame, one row per opportunity, sorted by cell then time, columns
    :data:`OPPORTUNITY_COLUMNS`: ``cell`` (flat cell index of ``grid``), ``satellite_index``
    (position in ``sats``), ``satellite``, ``group``, ``time`` (UTC ``datetime64[ns]``),
    ``cross_track_deg`` (signed, positive right of the ground track), ``elevation_deg`` (of the satellite
    seen from the cell), ``ascending`` (the satellite moves north).  ``attrs``: ``start``, ``stop``,
    ``half_angle_deg``, ``nadir``, ``min_elevation_deg``, ``step_s``.
    """
    c = as_constellation(sats)
    if not isinstance(grid, Grid):
        raise ValueError(f"grid must be a constellation.grid.Grid, got {type(grid).__name__}")
    half = float(half_angle_deg)
    if not (math.isfinite(half) and 0.0 < half < 90.0):
        raise ValueError(f"half_angle_deg must lie in (0, 90) degrees, got {half_angle_deg}")
    step = float(step_s)
    if not (math.isfinite(step) and 0.0 < step <= 120.0):
        raise ValueError(f"step_s must lie in (0, 120] seconds, got {step_s}")
    if not -90.0 <= float(min_elevation_deg) < 90.0:
        raise ValueError(f"min_elevation_deg must lie in [-90, 90) degrees, got {min_elevation_deg}")
    if nadir not in NADIRS:
        raise ValueError(f"nadir must be one of {NADIRS}, got {nadir!r}")
    if min_sun_elevation_deg is not None and not -90.0 <= float(min_sun_elevation_deg) <= 90.0:
        raise ValueError(f"min_sun_elevation_deg must lie in [-90, 90] degrees, got {min_sun_elevation_deg}")
    t0, t1 = window(c, start, stop, duration)
    span_s = float((t1 - t0) / np.timedelta64(1, "ns")) * 1e-9
    n_steps = max(1, int(math.ceil(span_s / step - 1e-9)))
    h_s = span_s / n_steps
    t_s = np.arange(n_steps + 1) * h_s
    times = t0 + np.round(t_s * 1e9).astype(np.int64).astype("timedelta64[ns]")
    P = np.ascontiguousarray(grid.itrs_km(), dtype=np.float64)
    U = grid.up()
    Pn = np.ascontiguousarray(P / np.linalg.norm(P, axis=1, keepdims=True))
    sin_mask = math.sin(math.radians(float(min_elevation_deg)))
    rows: dict[str, list] = {k: [] for k in ("cell", "sat", "t", "xt", "el", "asc")}
    if len(c) and P.shape[0]:
        # the cells' spherical cap: mean direction and largest angle from it (the whole sphere if need be)
        mean = Pn.sum(0)
        norm = float(np.linalg.norm(mean))
        cap_dir = mean / norm if norm > 1e-9 * Pn.shape[0] else np.array([0.0, 0.0, 1.0])
        cap_rad = (float(np.arccos(np.clip((Pn @ cap_dir).min(), -1.0, 1.0))) if norm > 1e-9 * Pn.shape[0]
                   else math.pi)
        # the cells sorted by the z of their unit vectors, so that the kernel takes a band of latitudes
        by_z = np.argsort(Pn[:, 2], kind="stable")
        Ps, Pns, Us = (np.ascontiguousarray(a[by_z]) for a in (P, Pn, np.asarray(U, dtype=np.float64)))
        zs = np.ascontiguousarray(Pns[:, 2])
        precompile.ensure(["imaging"])
        buf, q, e = np.empty((_BUFFER_ROWS, 7)), np.empty((4, 3)), np.empty(7)  # kernel output and scratch
        chunks = itrs_state_chunks(c, times, chunk_satsteps=max(2 * len(c), _CHUNK_SATSTEPS), overlap=1,
                                   dut1=dut1)
        for sl, S, V, err in chunks:  # samples sl (intervals sl.start .. sl.stop - 2), states NaN after a failure
            ok_t = err == 0
            if not ok_t.any():
                continue
            rs = np.sqrt(np.einsum("tik,tik->ti", S, S))
            # prune: a cell inside the swath at the crossing lies within the Earth central angle lam of
            # the sub-satellite point then, so within lam + (angular rate x step) at the sample before
            with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN satellites: never examined
                r_max = np.nanmax(rs, axis=0)
                rate = np.nanmax(np.sqrt(np.einsum("tik,tik->ti", V, V)) / rs, axis=0) + _OMEGA_EARTH_RAD_S
            sin_off = r_max / _B_KM * math.sin(math.radians(half))
            lam = np.where(sin_off >= 1.0, np.arccos(np.minimum(1.0, _B_KM / r_max)),
                           np.arcsin(np.minimum(1.0, sin_off)) - math.radians(half))
            reach = np.minimum(math.pi, lam + rate * h_s + 0.01)
            sum_limit = 2.0 * (lam + 0.01) + rate * h_s
            Sn = S / np.where(ok_t, rs, 1.0)[:, :, None]
            # sample intervals whose earlier sample is within reach of the cells' cap
            seen = (Sn[:-1] @ cap_dir >= np.cos(np.minimum(math.pi, cap_rad + reach))) & ok_t[:-1] & ok_t[1:]
            if not seen.any():
                continue
            args = (S, V, Ps, Pns, Us, zs, seen, np.cos(reach), reach, sum_limit, h_s, half, sin_mask,
                    nadir == "geodetic")
            n_found = K.swath_events(*args, buf, q, e)
            if n_found > buf.shape[0]:  # more than the buffer holds: again with room for them all
                buf = np.empty((n_found + n_found // 4, 7))
                n_found = K.swath_events(*args, buf, q, e)
            found = buf[:n_found]
            ci, ki = found[:, 0].astype(np.int64), found[:, 2].astype(np.int64)
            si, dt, xt, el, asc = found[:, 1].astype(np.int64), found[:, 3], found[:, 4], found[:, 5], found[:, 6]
            rows["cell"].append(by_z[ci])
            rows["sat"].append(si)
            rows["t"].append(t_s[sl.start + ki] + dt)
            rows["xt"].append(xt.copy())
            rows["el"].append(el.copy())
            rows["asc"].append(asc > 0.5)
    cat = {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in rows.items()}
    cell = cat["cell"].astype(np.int64)
    sat = cat["sat"].astype(np.int64)
    t_ns = np.round(cat["t"] * 1e9).astype(np.int64)
    order = np.lexsort((sat, t_ns, cell))  # by cell, then time, then satellite
    cell, sat, t_ns = cell[order], sat[order], t_ns[order]
    table = pd.DataFrame({
        "cell": cell, "satellite_index": sat,
        "satellite": np.asarray(c.names, dtype=object)[sat] if sat.size else np.zeros(0, object),
        "group": np.asarray(c.groups, dtype=object)[sat] if sat.size else np.zeros(0, object),
        "time": t0 + t_ns.astype("timedelta64[ns]"),
        "cross_track_deg": cat["xt"][order],
        "elevation_deg": np.degrees(np.arcsin(np.clip(cat["el"][order], -1.0, 1.0))),
        "ascending": cat["asc"][order].astype(bool),
    })
    table.attrs.update(start=str(t0), stop=str(t1), half_angle_deg=half, nadir=nadir,
                       min_elevation_deg=float(min_elevation_deg), step_s=h_s)
    if min_sun_elevation_deg is not None:
        from .sun import sun_directions_itrs

        u = sun_directions_itrs(table["time"].to_numpy("datetime64[ns]")) if len(table) else np.zeros((0, 3))
        up = U[table["cell"].to_numpy()] if len(table) else np.zeros((0, 3))
        table["sun_elevation_deg"] = np.degrees(np.arcsin(np.clip(np.einsum("ij,ij->i", u, up), -1.0, 1.0)))
        attrs = dict(table.attrs, min_sun_elevation_deg=float(min_sun_elevation_deg))
        table = table[table["sun_elevation_deg"] >= float(min_sun_elevation_deg)].reset_index(drop=True)
        table.attrs.update(attrs)
    return table


def opportunity_latency_s(opportunities: pd.DataFrame, contact_table: pd.DataFrame, n_sat: int) -> np.ndarray:
    """Data latency (s) of each opportunity of ``opportunities`` (a :func:`swath_opportunities` table):
    the time to the end of the first contact of the same satellite (``satellite_index``, both tables
    from the same satellites, ``n_sat`` of them) with any station that ends at or after the observation;
    NaN where no such contact ends inside the contact table's window."""
    ends = downlink_ends(contact_table, n_sat)
    t = opportunities["time"].to_numpy("datetime64[ns]")
    sat = opportunities["satellite_index"].to_numpy(np.int64)
    out = np.full(t.size, np.nan)
    for i in np.unique(sat):
        sel = np.flatnonzero(sat == i)
        e = ends[i]
        j = np.searchsorted(e, t[sel], side="left")
        ok = j < e.size
        out[sel[ok]] = (e[j[ok]] - t[sel[ok]]) / np.timedelta64(1, "ns") * 1e-9
    return out


def imaging_figures(opportunities: pd.DataFrame, grid: Grid, contact_table: pd.DataFrame | None = None,
                    n_sat: int | None = None, percentile: float = 95.0):
    """Per-cell revisit (and, given contacts, data latency) figures of merit as an ``xarray.Dataset``.

    ``opportunities``: a :func:`swath_opportunities` table over ``grid`` (filter its rows first to keep,
    say, one group or the descending passes); its ``attrs`` give the window.  ``contact_table``: a
    :func:`constellation.groundlink.contacts` table of the same satellites (``n_sat`` of them) over at
    least that window.  Variables (definitions in the module notes): ``opportunities``,
    ``revisit_mean_s``, ``revisit_max_s``, ``max_wait_s``, and with contacts ``latency_mean_s``,
    ``latency_max_s``, ``latency_p95_s`` (named for the ``percentile`` given, default 95) and
    ``undelivered``.  Dims: the
    grid's (``lat``, ``lon`` or ``cell``).
    """
    import xarray as xr

    if not (0.0 <= float(percentile) <= 100.0):
        raise ValueError(f"percentile must lie in [0, 100], got {percentile}")
    if "start" not in opportunities.attrs or "stop" not in opportunities.attrs:
        raise ValueError("opportunities: the table's attrs must give the window (start, stop), as "
                         "swath_opportunities sets them; after filtering rows, copy them back "
                         "(table.attrs.update(full.attrs))")
    t0 = np.datetime64(opportunities.attrs["start"], "ns")
    t1 = np.datetime64(opportunities.attrs["stop"], "ns")
    window_s = float((t1 - t0) / np.timedelta64(1, "ns")) * 1e-9
    n = grid.n_cells
    cell = opportunities["cell"].to_numpy(np.int64)
    if cell.size and (cell.min() < 0 or cell.max() >= n):
        raise ValueError(f"opportunities: cell indices must lie in [0, {n}) for this grid")
    t = (opportunities["time"].to_numpy("datetime64[ns]") - t0) / np.timedelta64(1, "ns") * 1e-9
    order = np.lexsort((t, cell))
    cell, t = cell[order], t[order]
    count = np.zeros(n, np.int64)
    present = np.bincount(cell, minlength=n)
    rev_mean = np.full(n, np.nan)
    rev_max = np.full(n, np.nan)
    wait = np.full(n, window_s)
    cut = np.searchsorted(cell, np.arange(n + 1))
    for k in np.flatnonzero(present):
        tk = np.unique(np.round(t[cut[k]:cut[k + 1]], 3))
        count[k] = tk.size
        gaps = np.diff(tk)
        if gaps.size:
            rev_mean[k] = gaps.mean()
            rev_max[k] = gaps.max()
        wait[k] = max(tk[0], window_s - tk[-1], gaps.max() if gaps.size else 0.0)
    data = {
        "opportunities": (count, dict(long_name="imaging opportunities in the window, coincident ones (same "
                                                "millisecond) counted once", units="1")),
        "revisit_mean_s": (rev_mean, dict(long_name="mean gap between successive opportunities, window "
                                                    "edges left out (TAT-C mean revisit)", units="s")),
        "revisit_max_s": (rev_max, dict(long_name="largest gap between successive opportunities, window "
                                                  "edges left out", units="s")),
        "max_wait_s": (wait, dict(long_name="largest time without an opportunity, window edges included",
                                  units="s")),
    }
    if contact_table is not None:
        if n_sat is None:
            raise ValueError("give n_sat (the number of satellites) with contact_table")
        lat_s = opportunity_latency_s(opportunities, contact_table, int(n_sat))[order]
        l_mean, l_max, l_pct = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
        undelivered = np.zeros(n, np.int64)
        for k in np.flatnonzero(present):
            lk = lat_s[cut[k]:cut[k + 1]]
            good = lk[np.isfinite(lk)]
            undelivered[k] = lk.size - good.size
            if good.size:
                l_mean[k], l_max[k] = good.mean(), good.max()
                l_pct[k] = np.percentile(good, float(percentile))
        data.update({
            "latency_mean_s": (l_mean, dict(long_name="mean time from observation to the end of the "
                                                      "satellite's next contact with the network", units="s")),
            "latency_max_s": (l_max, dict(long_name="largest time from observation to the end of the "
                                                    "satellite's next contact", units="s")),
            f"latency_p{float(percentile):g}_s": (l_pct, dict(
                long_name=f"{float(percentile):g}th percentile of the time from observation to the end of the "
                          "next contact", units="s", percentile=float(percentile))),
            "undelivered": (undelivered, dict(long_name="opportunities with no contact ending after them "
                                                        "inside the window", units="1")),
        })
    dims, shape = grid.dims, grid.shape
    coords: dict[str, Any] = grid.coords()
    if grid.kind == "points" and grid.names is not None:
        coords["name"] = ("cell", grid.names.astype(object))
    ds = xr.Dataset({k: (dims, np.asarray(v).reshape(shape), a) for k, (v, a) in data.items()}, coords=coords)
    ds.attrs.update({k: v for k, v in opportunities.attrs.items() if isinstance(v, (str, int, float))})
    ds.attrs["window_s"] = window_s
    return ds
