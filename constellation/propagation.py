"""Propagation: SGP4 for every satellite and time, then TEME -> ITRS -> WGS84 geodetic.

The data flow is ``Constellation`` -> :func:`teme_states` (python-sgp4 ``SatrecArray``, UTC two-part
Julian dates) -> :func:`earth_orientation` (GMST 1982 with UT1, polar motion) -> kernels in
:mod:`constellation.kernels.frames`.  :func:`propagate` wraps it all into an ``xarray.Dataset`` and works in
time chunks so memory stays bounded; :func:`itrs_chunks` is the streaming form the coverage engine uses.

:func:`itrs_block` (and :class:`ItrsWindow`) is the fast feed for the coverage kernels: time-major ITRS
positions for any block of the analysis window, either SGP4 at every time (``method="exact"``) or SGP4 at
coarse nodes aligned to the window plus Hermite interpolation (``method="hermite"``, the default), with
:func:`hermite_error_km` to measure the interpolation error of a run and :func:`auto_node_step_s` to pick a
node step from the orbits.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from sgp4.api import SGP4_ERRORS

from .budget import check_fits
from .checks import finite_array, pair, whole
from .kernels import frames, interp, precompile, sgp4_near
from .satellite import Constellation, as_constellation
from .timescale import as_datetime64, dut1_s, julian_utc

if TYPE_CHECKING:  # xarray is imported on first use: it costs seconds at start-up
    import xarray as xr

__all__ = ["propagate", "teme_states", "earth_orientation", "EarthOrientation", "itrs_chunks",
           "PropagationWarning", "DEFAULT_CHUNK_SATSTEPS", "PIPELINE_CHUNK_SATSTEPS", "propagate_arrays",
           "itrs_block", "ItrsWindow", "hermite_error_km", "auto_node_step_s", "DEFAULT_NODE_STEP_S",
           "sgp4_tables", "cached_sgp4_tables", "adopt_sgp4_tables", "warn_failures", "itrs_state_chunks",
           "runaway_radius_km", "RUNAWAY_APOGEE_FACTOR"]

#: Satellite-steps per chunk: bounds the working memory of :func:`propagate` (about 100 bytes each).
DEFAULT_CHUNK_SATSTEPS = 2_000_000

_ARCSEC = np.pi / (180.0 * 3600.0)


class PropagationWarning(UserWarning):
    """Some satellites failed to propagate (decayed or invalid elements); they carry NaN from then on."""


#: A near-Earth satellite (SGP4 ``method 'n'``) farther from the Earth's centre than this many times its
#: epoch apogee radius is reported decayed (code 6).  SGP4's drag theory scales the mean semi-major axis by
#: ``tempa^2``, a polynomial in time that falls to zero as the orbit decays; past its zero, ``tempa^2``
#: grows again and SGP4 returns orbits that swell without bound (hundreds of millions of km) with error
#: code 0.  Drag only shrinks a near-Earth orbit and its periodic terms move it by tens of km, so no valid
#: propagation comes near twice the apogee radius.
RUNAWAY_APOGEE_FACTOR = 2.0


def runaway_radius_km(sats: Any) -> np.ndarray:
    """Per satellite, the radius (km) beyond which a propagated position is reported decayed:
    :data:`RUNAWAY_APOGEE_FACTOR` times the epoch apogee radius ``a (1 + e)`` for near-Earth element sets,
    infinite for deep-space ones (their resonance and lunar-solar terms are left to SGP4).  ``sats``:
    anything :func:`constellation.satellite.as_constellation` takes, or a list of python-sgp4 ``Satrec``."""
    recs = sats if isinstance(sats, list) else as_constellation(sats).satrecs
    a_km = np.fromiter((r.a * r.radiusearthkm for r in recs), np.float64, len(recs))
    e = np.fromiter((r.ecco for r in recs), np.float64, len(recs))
    near = np.fromiter((r.method == "n" for r in recs), bool, len(recs))
    return _runaway_bound(a_km, e, near)


def _runaway_bound(a_km: np.ndarray, e: np.ndarray, near: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        bound = RUNAWAY_APOGEE_FACTOR * a_km * (1.0 + e)
    return np.where(near & np.isfinite(bound) & (bound > 0), bound, np.inf)


def _flag_runaway(err: np.ndarray, r: np.ndarray, bound_km: np.ndarray, sat_axis: int) -> None:
    """Set code 6 (decayed) in ``err`` where a position of ``r`` lies beyond its satellite's ``bound_km``
    and ``err`` is still 0; ``sat_axis`` is the satellite axis of ``err`` (0 or 1; ``r`` has a last axis of
    3 more)."""
    if not np.isfinite(bound_km).any():
        return
    b = bound_km[:, None] if sat_axis == 0 else bound_km[None, :]
    with np.errstate(invalid="ignore"):
        far = np.einsum("...i,...i->...", r, r) > b * b
    far &= err == 0
    if far.any():
        err[far] = 6


@dataclass(frozen=True)
class EarthOrientation:
    """Earth orientation at each sample time: what turns TEME into ITRS.

    ``theta_rad`` and ``theta_dot_rad_s`` are GMST 1982 and its rate; ``xp_rad``/``yp_rad`` polar motion.
    """

    theta_rad: np.ndarray
    theta_dot_rad_s: np.ndarray
    xp_rad: np.ndarray
    yp_rad: np.ndarray


def _per_time(value: Any, name: str, shape: tuple[int, ...], bound: float) -> np.ndarray:
    """``value`` (a number, or one per time) as finite floats of magnitude at most ``bound``, one per
    time."""
    arr = finite_array(value, name, low=-bound, high=bound)
    if arr.size == 1:
        return np.full(shape, arr.ravel()[0])
    if arr.shape != shape:
        raise ValueError(f"{name} must be one number or one per time ({shape[0] if shape else 1}), got shape "
                         f"{np.shape(value)}")
    return arr.copy()


def earth_orientation(times: np.ndarray, dut1: Any = None, polar_motion_arcsec: Any = None) -> EarthOrientation:
    """Return :class:`EarthOrientation` at UTC ``times``.

    Parameters
    ----------
    times : datetime64 array
    dut1 : float or array, optional
        UT1 - UTC in seconds.  By default from Skyfield's built-in IERS table (:func:`dut1_s`).
    polar_motion_arcsec : (xp, yp) pair of floats or arrays, optional
        Pole coordinates in arcseconds (IERS Bulletin A).  By default none is applied, as Skyfield does
        unless given a polar-motion table; its effect on positions is at most about 15 m.
    """
    times = as_datetime64(times)
    d = dut1_s(times) if dut1 is None else _per_time(dut1, "dut1", times.shape, 10.0)
    jd, fr = julian_utc(times)
    theta, theta_dot = frames.gmst1982(jd, fr + d / 86400.0)
    if polar_motion_arcsec is None:
        xp = yp = np.zeros(times.shape)
    else:
        x, y = pair(polar_motion_arcsec, "polar_motion_arcsec (xp, yp)")
        xp = _per_time(x, "polar_motion_arcsec xp", times.shape, 10.0) * _ARCSEC
        yp = _per_time(y, "polar_motion_arcsec yp", times.shape, 10.0) * _ARCSEC
    return EarthOrientation(theta, theta_dot, xp, yp)


def teme_states(sats: Any, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run SGP4 for every satellite at every UTC time.

    Returns ``(error, r_km, v_km_s)`` with shapes ``(n_sat, n_time)`` (python-sgp4 error codes, 0 = ok) and
    ``(n_sat, n_time, 3)`` in the TEME frame.  Failed steps are NaN (python-sgp4 itself returns numbers
    for a decayed satellite, code 6; and a near-Earth satellite past the end of SGP4's drag theory, beyond
    :data:`RUNAWAY_APOGEE_FACTOR` times its epoch apogee radius, is reported decayed here, code 6, where
    python-sgp4 says 0).  Each time is judged on its own here; :func:`propagate` also carries a
    failure forward to later times.  TLE epochs are UTC
    (AIAA 2006-6753), so SGP4 is driven with UTC Julian dates.
    """
    c = as_constellation(sats)
    jd, fr = julian_utc(as_datetime64(times))
    if len(c) == 0:
        return (np.zeros((0, jd.size), np.uint8), np.zeros((0, jd.size, 3)), np.zeros((0, jd.size, 3)))
    err, r, v = c.satrec_array().sgp4(jd, fr)
    _flag_runaway(err, r, runaway_radius_km(c), 0)
    bad = err != 0
    if bad.any():  # python-sgp4 leaves numbers in place for some codes (6, decayed): make them NaN
        r[bad] = np.nan
        v[bad] = np.nan
    return err, r, v


def _mask_after_failure(err: np.ndarray, *arrays: np.ndarray) -> np.ndarray:
    """Carry each satellite's first error code forward in time and NaN the arrays from there on."""
    failed = err != 0
    if not failed.any():
        return err
    first = np.where(failed.any(axis=1), failed.argmax(axis=1), err.shape[1])
    after = np.arange(err.shape[1])[None, :] >= first[:, None]
    code = err[np.arange(err.shape[0]), np.minimum(first, err.shape[1] - 1)]
    err = np.where(after, code[:, None], 0).astype(err.dtype)
    for a in arrays:
        a[after] = np.nan
    return err


def _chunks(n_time: int, n_sat: int, chunk_satsteps: int) -> Iterator[slice]:
    step = max(1, chunk_satsteps // max(n_sat, 1))
    for i in range(0, n_time, step):
        yield slice(i, min(i + step, n_time))


def _sgp4_chunks(c: Constellation, times: np.ndarray, chunk_satsteps: int
                 ) -> Iterator[tuple[slice, np.ndarray, np.ndarray, np.ndarray]]:
    """Yield ``(slice, error, r_teme, v_teme)`` per time chunk; a failure stays failed in later chunks."""
    failed_code = np.zeros(len(c), dtype=np.uint8)
    for sl in _chunks(times.size, len(c), chunk_satsteps):
        err, r, v = teme_states(c, times[sl])
        prev = failed_code != 0
        if prev.any():
            err[prev] = failed_code[prev, None]
        err = _mask_after_failure(err, r, v)
        if err.shape[1]:
            failed_code = err[:, -1].astype(np.uint8)
        yield sl, err, r, v


def itrs_chunks(sats: Any, times: np.ndarray, *, chunk_satsteps: int = DEFAULT_CHUNK_SATSTEPS,
                dut1: Any = None, polar_motion_arcsec: Any = None, warn: bool = True,
                ) -> Iterator[tuple[slice, np.ndarray, np.ndarray]]:
    """Yield ``(time_slice, r_itrs_km, error)`` over consecutive time chunks.

    ``r_itrs_km`` has shape ``(n_sat, len(chunk), 3)``; failed steps are NaN and ``error`` holds the
    python-sgp4 code, carried forward from each satellite's first failure (also across chunks).  This is
    the streaming form for consumers that need positions only (coverage, passes), so memory stays bounded.
    With ``warn``, one :class:`PropagationWarning` names the satellites that failed once the last chunk
    is consumed.
    """
    c = as_constellation(sats)
    times = as_datetime64(times)
    eo = earth_orientation(times, dut1, polar_motion_arcsec)
    m, _ = frames.teme_to_itrs_matrices(eo.theta_rad, eo.theta_dot_rad_s, eo.xp_rad, eo.yp_rad)
    first = np.full(len(c), -1)
    code = np.zeros(len(c), dtype=np.uint8)
    for sl, err, r, _ in _sgp4_chunks(c, times, chunk_satsteps):
        f, k = _first_failures(err)
        new = (first < 0) & (f >= 0)
        first[new], code[new] = f[new] + sl.start, k[new]
        yield sl, frames.rotate_positions(r, m[sl]), err
    if warn:
        warn_failures(c, first, code, times, stacklevel=2)


def itrs_state_chunks(sats: Any, times: np.ndarray, *, chunk_satsteps: int = DEFAULT_CHUNK_SATSTEPS,
                      overlap: int = 0, dut1: Any = None, polar_motion_arcsec: Any = None,
                      ) -> Iterator[tuple[slice, np.ndarray, np.ndarray, np.ndarray]]:
    """Yield ``(time_slice, r_itrs_km, v_itrs_km_s, error)`` over consecutive time chunks: SGP4 states at
    every time, turned into ITRS (``r = M r_teme``, ``v = M v_teme + dM/dt r_teme``), time-major.

    ``r_itrs_km`` and ``v_itrs_km_s`` are float64 ``(len(chunk), n_sat, 3)``, C-contiguous, in km and
    km/s; ``error`` uint8 ``(len(chunk), n_sat)``, the python-sgp4 code, carried forward from each
    satellite's first failure (also across chunks), and the states are NaN wherever it is not 0.
    Consecutive chunks share ``overlap`` times (a consumer of sample intervals passes 1).  SGP4 runs as
    at the coverage engine's nodes (:func:`sgp4_tables`: near-Earth satellites in the numba kernel, on every
    core, agreeing with python-sgp4 to about 1e-12 km; the others in python-sgp4), and the frames as
    there too (:func:`constellation.kernels.interp.states_to_itrs`); each time's numbers do not depend on
    the chunks.  No warning is given: the caller reads ``error``.
    """
    c = as_constellation(sats)
    times = as_datetime64(times)
    eo = earth_orientation(times, dut1, polar_motion_arcsec)
    m, mdot = frames.teme_to_itrs_matrices(eo.theta_rad, eo.theta_dot_rad_s, eo.xp_rad, eo.yp_rad)
    ns, nt = len(c), times.size
    if ns == 0 or nt == 0:
        return
    tables = sgp4_tables(c)
    step = max(overlap + 1, chunk_satsteps // ns)
    fail_code = np.zeros(ns, dtype=np.uint8)  # each satellite's first failure's code, 0 while none
    a = 0
    while True:
        b = min(nt, a + step)
        r, v, err = _sgp4_states(tables, times[a:b])
        interp.states_to_itrs(r, v, m, mdot, a, parallel=r.shape[0] * ns >= _PARALLEL_SGP4)
        err[:, fail_code != 0] = fail_code[fail_code != 0]
        err = _mask_after_failure(err.T, r.transpose(1, 0, 2), v.transpose(1, 0, 2)).T
        fail_code = err[-1].copy()
        yield slice(a, b), r, v, err
        if b == nt:
            return
        a = b - overlap


#: Chunk size :func:`propagate` uses by default: small enough that the frame kernel of the last chunk
#: (the only one not overlapped with SGP4) is short and each chunk's TEME states stay in cache, large
#: enough that per-chunk overheads vanish.
PIPELINE_CHUNK_SATSTEPS = 1 << 17


def propagate(sats: Any, times: Any, *, dut1: Any = None, polar_motion_arcsec: Any = None,
              chunk_satsteps: int | None = None, velocities: bool = False,
              warn: bool = True) -> xr.Dataset:
    """Propagate every satellite to every time and return Earth-fixed positions.

    Parameters
    ----------
    sats : Constellation, Satellite, sgp4 Satrec, Skyfield EarthSatellite, or a list of them
    times : datetime64 array, ISO strings, or a Skyfield ``Time`` (UTC)
    dut1 : float or array, optional
        UT1 - UTC (s); default from Skyfield's built-in IERS data.
    polar_motion_arcsec : (xp, yp), optional
        Pole coordinates (arcsec); default none.
    chunk_satsteps : int, optional
        Satellite-steps per SGP4/frames batch (bounds working memory; the result itself is
        n_sat x n_time).  Default :data:`PIPELINE_CHUNK_SATSTEPS`.
    velocities : bool
        Also return ITRS velocities ``vx_km_s``, ``vy_km_s``, ``vz_km_s``.
    warn : bool
        Emit one :class:`PropagationWarning` naming the satellites that failed.

    Returns
    -------
    xarray.Dataset with dims ``(satellite, time)``:
        ``x_km``, ``y_km``, ``z_km`` (ITRS), ``lat_deg``, ``lon_deg`` (WGS84 geodetic), ``alt_km`` (height
        above the WGS84 ellipsoid), ``sgp4_error`` (python-sgp4 code; 0 = ok).  Coordinates: ``time``,
        ``name``, ``catalog_number``, ``group``, ``launched`` and ``epoch`` along ``satellite``.  A satellite
        that fails is NaN from its first failing time on and keeps its error code.

    SGP4 (python-sgp4's ``SatrecArray``, which holds the GIL) runs chunk by chunk in the calling thread
    while one helper thread runs the numba frame + geodetic kernel (which releases the GIL, and takes much
    less time than SGP4 per step) on the chunk before, so that work hides behind SGP4 on any machine with
    a second core.
    """
    c = as_constellation(sats)
    times = as_datetime64(times)
    # the Dataset's variables (up to 9 float64 and one uint8 per satellite-time) and SGP4's working arrays
    check_fits(len(c) * times.size * 8 * 16, f"positions of {len(c):,} satellites at {times.size:,} times",
               "propagate fewer satellites or times at once (e.g. a longer step, or the window in parts)")
    out, error = propagate_arrays(c, times, dut1=dut1, polar_motion_arcsec=polar_motion_arcsec,
                                  chunk_satsteps=chunk_satsteps, velocities=velocities, warn=False)
    if warn:
        warn_failures(c, *_first_failures(error), times)
    return _to_dataset(c, times, out, error, polar_motion_arcsec is not None)


def propagate_arrays(sats: Any, times: Any, *, dut1: Any = None, polar_motion_arcsec: Any = None,
                     chunk_satsteps: int | None = None, velocities: bool = False, warn: bool = True,
                     ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """:func:`propagate` without xarray: ``({name: (n_sat, n_time) float64 array}, sgp4_error)``.

    The names and meanings are those of :func:`propagate`'s data variables (``x_km`` ... ``alt_km``, and
    ``vx_km_s`` ... with ``velocities``).  For quick command-line answers, where importing xarray would
    cost more than the computation.
    """
    c = as_constellation(sats)
    times = as_datetime64(times)
    ns, nt = len(c), times.size
    precompile.ensure(["propagate"])
    eo = earth_orientation(times, dut1, polar_motion_arcsec)
    m, mdot = frames.teme_to_itrs_matrices(eo.theta_rad, eo.theta_dot_rad_s, eo.xp_rad, eo.yp_rad)
    names = ["x_km", "y_km", "z_km", "lat_deg", "lon_deg", "alt_km"]
    vnames = ["vx_km_s", "vy_km_s", "vz_km_s"]
    out = {k: np.empty((ns, nt)) for k in names}
    vout = {k: np.empty((ns, nt) if velocities else (0, 0)) for k in vnames}
    error = np.empty((ns, nt), dtype=np.uint8)

    def frame_kernel(sl: slice, r: np.ndarray, v: np.ndarray) -> None:
        frames.rotate_geodetic_into(r, v, m[sl], mdot[sl], sl.start, *out.values(), *vout.values(),
                                    parallel=False)

    chunk = PIPELINE_CHUNK_SATSTEPS if chunk_satsteps is None else whole(chunk_satsteps, "chunk_satsteps", low=1)
    if ns * nt <= chunk:  # one chunk: nothing to overlap, skip the helper thread
        for sl, err, r, v in _sgp4_chunks(c, times, chunk):
            error[:, sl] = err
            frame_kernel(sl, r, v)
    else:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="constellation-frames") as pool:
            pending = None
            for sl, err, r, v in _sgp4_chunks(c, times, chunk):
                error[:, sl] = err
                if pending is not None:
                    pending.result()
                pending = pool.submit(frame_kernel, sl, r, v)
            if pending is not None:
                pending.result()
    if warn:
        warn_failures(c, *_first_failures(error), times)
    if velocities:
        out.update(vout)
    return out, error


def _first_failures(error: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per satellite: the index of its first failed step (-1 if none) and that step's error code."""
    failed = error != 0
    if failed.size == 0:
        return np.full(error.shape[0], -1), np.zeros(error.shape[0], dtype=error.dtype)
    first = np.where(failed.any(axis=1), failed.argmax(axis=1), -1)
    code = np.where(first >= 0, error[np.arange(error.shape[0]), np.maximum(first, 0)], 0)
    return first, code


def warn_failures(c: Constellation, first: np.ndarray, code: np.ndarray, times: np.ndarray,
                  stacklevel: int = 3) -> None:
    """One :class:`PropagationWarning` naming the satellites that failed, when, and why: ``first`` is each
    satellite's first failed index into ``times`` (-1 where none) and ``code`` its python-sgp4 error code.
    Every streamed propagation (coverage runs, on one machine or a cluster) reports failures this way."""
    bad = np.flatnonzero(first >= 0)
    if bad.size == 0:
        return
    parts = []
    for i in bad[:20]:
        sat, k = c[int(i)], int(code[i])
        parts.append(f"{sat.name or sat.catalog_number} (#{sat.catalog_number}) from "
                     f"{np.datetime_as_string(times[first[i]], 's')}: error {k}, {SGP4_ERRORS.get(k, 'unknown')}")
    more = f"; and {bad.size - 20} more" if bad.size > 20 else ""
    warnings.warn(f"{bad.size} of {len(c)} satellites failed to propagate and are skipped (NaN) from then on: "
                  + "; ".join(parts) + more, PropagationWarning, stacklevel=stacklevel)


_VAR_ATTRS = {
    "x_km": dict(long_name="ITRS x position", units="km"),
    "y_km": dict(long_name="ITRS y position", units="km"),
    "z_km": dict(long_name="ITRS z position", units="km"),
    "vx_km_s": dict(long_name="ITRS x velocity", units="km s-1"),
    "vy_km_s": dict(long_name="ITRS y velocity", units="km s-1"),
    "vz_km_s": dict(long_name="ITRS z velocity", units="km s-1"),
    "lat_deg": dict(long_name="WGS84 geodetic latitude of the sub-satellite point", units="degrees_north",
                    standard_name="latitude"),
    "lon_deg": dict(long_name="WGS84 longitude of the sub-satellite point", units="degrees_east",
                    standard_name="longitude"),
    "alt_km": dict(long_name="height above the WGS84 ellipsoid", units="km"),
}


def _to_dataset(c: Constellation, times: np.ndarray, out: dict, error: np.ndarray, pm: bool) -> xr.Dataset:
    import xarray as xr

    data_vars = {k: (("satellite", "time"), v, _VAR_ATTRS[k]) for k, v in out.items()}
    data_vars["sgp4_error"] = (("satellite", "time"), error, dict(
        long_name="python-sgp4 error code (0 = ok; 1-4 invalid elements, 6 decayed)",
        flag_values=np.array([0, 1, 2, 3, 4, 6], np.uint8),
        flag_meanings="ok mean_eccentricity_out_of_range mean_motion_negative "
                      "perturbed_eccentricity_out_of_range semilatus_rectum_negative decayed"))
    coords = {
        "satellite": ("satellite", np.arange(len(c)), dict(long_name="satellite index")),
        "time": ("time", times, dict(long_name="time", standard_name="time")),
        "name": ("satellite", c.names.astype(object)),
        "catalog_number": ("satellite", c.catalog_numbers, dict(long_name="NORAD catalogue number")),
        "group": ("satellite", c.groups.astype(object), dict(long_name="sub-constellation")),
        "launched": ("satellite", c.launched, dict(long_name="whether the satellite is launched")),
        "epoch": ("satellite", c.epochs, dict(long_name="element-set epoch (UTC)")),
    }
    attrs = dict(
        Conventions="CF-1.10",
        title="Satellite positions propagated with SGP4",
        frame="ITRS (TEME -> ITRS by GMST 1982 with UT1 - UTC; AIAA 2006-6753 Appendix C)",
        polar_motion="applied" if pm else "not applied",
        ellipsoid="WGS84",
        propagator="SGP4 (python-sgp4, WGS-72 constants, opsmode 'i')",
        time_scale="UTC",
        source=c.source or "",
        constellation=c.name or "",
    )
    # satellites are selected by name too: pos.sel(name="JINAN-EO-001") (the satellite index stays 0..n-1)
    return xr.Dataset(data_vars, coords=coords, attrs=attrs).set_xindex("name")


# -- fast Earth-fixed positions: SGP4 at coarse nodes + Hermite interpolation -----------------------------

#: Default spacing of the SGP4 nodes that :func:`itrs_block` interpolates between (seconds).
DEFAULT_NODE_STEP_S = 120.0

#: Satellite-nodes per SGP4 call while scanning nodes for failures (bounds working memory).
_SCAN_SATSTEPS = 1 << 18

#: Below these sizes (SGP4 satellite-nodes; interpolated satellite-steps) the kernels run on the calling
#: thread only: handing out the work to the kernel threads (:mod:`constellation.kernels.parallel`) would
#: cost more than the work.  Each element gets the same operations either way, so results do not change.
_PARALLEL_SGP4 = 20_000
_PARALLEL_INTERP = 400_000

_WINDOW_CACHE: OrderedDict[tuple, ItrsWindow] = OrderedDict()
_WINDOW_CACHE_SIZE = 2
_WINDOW_CACHE_LOCK = threading.Lock()


_TABLE_CACHE: OrderedDict[int, tuple[Constellation, _Sgp4Tables]] = OrderedDict()
_TABLE_CACHE_SIZE = 4
_TABLE_CACHE_LOCK = threading.Lock()


@dataclass(frozen=True)
class _Sgp4Tables:
    """How the nodes of a constellation are propagated: ``params`` rows (see
    :data:`constellation.kernels.sgp4_near.FIELDS`) for the near-Earth satellites ``near`` (numba kernel,
    parallel, GIL released) and a python-sgp4 ``SatrecArray`` for the others, ``deep``."""

    params: np.ndarray
    near: np.ndarray
    deep: np.ndarray
    deep_array: Any
    runaway_km: np.ndarray  # per satellite: :func:`runaway_radius_km`


def sgp4_tables(c: Constellation) -> _Sgp4Tables:
    """Build (once per constellation object, then cached) the tables :meth:`ItrsWindow._node_states` uses.

    The near-Earth coefficients come from python-sgp4's own pure-Python ``sgp4init`` run on the same
    elements, gravity model and operation mode as each compiled ``Satrec``;
    the numba propagation step then agrees with python-sgp4 to about 1e-12 km with the same error codes
    (``tests/test_positions.py``).  Satellites whose model cannot be rebuilt that way stay with
    python-sgp4.
    """
    hit = cached_sgp4_tables(c)
    if hit is not None:
        return hit
    from sgp4 import model as sgp4_model
    from sgp4.api import WGS72, WGS72OLD, WGS84
    from sgp4.earth_gravity import wgs72, wgs72old, wgs84

    from .kernels.sgp4_near import FIELDS

    gravity = [(WGS72, wgs72), (WGS84, wgs84), (WGS72OLD, wgs72old)]
    recs = c.satrecs
    params = np.zeros((len(recs), len(FIELDS)))
    near = []
    for i, s in enumerate(recs):
        if s.method != "n":
            continue
        which = next((k for k, g in gravity if g.radiusearthkm == s.radiusearthkm and g.xke == s.xke), None)
        if which is None:
            continue
        m = sgp4_model.Satrec()
        try:
            m.sgp4init(which, s.operationmode, s.satnum, (s.jdsatepoch - 2433281.5) + s.jdsatepochF, s.bstar,
                       s.ndot, s.nddot, s.ecco, s.argpo, s.inclo, s.mo, s.no_kozai, s.nodeo)
        except Exception:  # noqa: BLE001 - anything python-sgp4 cannot rebuild stays on the compiled path
            continue
        if m.method != "n" or m.error != 0:
            continue
        m.jdsatepoch, m.jdsatepochF = s.jdsatepoch, s.jdsatepochF
        params[i] = [float(getattr(m, f)) for f in FIELDS]
        near.append(i)
    return adopt_sgp4_tables(c, params, np.asarray(near, dtype=np.int64))


def cached_sgp4_tables(c: Constellation) -> _Sgp4Tables | None:
    """The tables :func:`sgp4_tables` has built for this constellation object, or None (nothing is built)."""
    with _TABLE_CACHE_LOCK:
        hit = _TABLE_CACHE.get(id(c))
        if hit is not None and hit[0] is c:
            _TABLE_CACHE.move_to_end(id(c))
            return hit[1]
    return None


def adopt_sgp4_tables(c: Constellation, params: np.ndarray, near: np.ndarray) -> _Sgp4Tables:
    """Cache (and return) the tables for ``c`` from its near-Earth coefficient rows ``params`` and the
    indices ``near`` of the satellites they serve, as :func:`sgp4_tables` built them for the same models
    (``constellation.distributed`` sends them with a pickled constellation, so that a worker does not
    rerun python-sgp4's pure-Python ``sgp4init`` for every satellite).  The other
    satellites go to a ``SatrecArray`` of their compiled models."""
    from sgp4.api import SatrecArray

    n = len(c)
    params = np.asarray(params, dtype=np.float64)
    near_idx = np.asarray(near, dtype=np.int64)
    if params.shape[0] != n or near_idx.ndim != 1 or (near_idx.size and not (
            0 <= near_idx.min() and near_idx.max() < n)):
        raise ValueError(f"SGP4 tables for {params.shape[0]} satellites do not fit a constellation of {n}")
    deep_idx = np.setdiff1d(np.arange(n, dtype=np.int64), near_idx)
    # (only the deep-space models are looked at: a constellation unpickled on a dask worker builds its
    # satellites on first use, and an all-near-Earth one never needs them there)
    deep_recs = [c[int(i)].satrec for i in deep_idx]
    deep_array = SatrecArray(deep_recs) if deep_idx.size else None
    # the runaway bound from the coefficients of the near-Earth satellites (their a is (xke / n)^(2/3)
    # Earth radii, as python-sgp4's), so that a worker's satellites stay unbuilt
    runaway = np.full(n, np.inf)
    if near_idx.size:
        from .kernels.sgp4_near import FIELDS

        col = {f: params[near_idx, FIELDS.index(f)] for f in ("xke", "no_unkozai", "ecco", "radiusearthkm")}
        with np.errstate(all="ignore"):
            a_km = np.where(col["no_unkozai"] > 0, (col["xke"] / col["no_unkozai"]) ** (2.0 / 3.0), np.nan)
        runaway[near_idx] = _runaway_bound(a_km * col["radiusearthkm"], col["ecco"], np.ones(near_idx.size, bool))
    if deep_idx.size:
        runaway[deep_idx] = runaway_radius_km(deep_recs)
    tables = _Sgp4Tables(params, near_idx, deep_idx, deep_array, runaway)
    with _TABLE_CACHE_LOCK:
        _TABLE_CACHE[id(c)] = (c, tables)
        while len(_TABLE_CACHE) > _TABLE_CACHE_SIZE:
            _TABLE_CACHE.popitem(last=False)
    return tables


def _stencil_constants(stencil: int) -> tuple[float, float]:
    """``(c_trunc, c_vel)`` for Hermite interpolation over ``stencil`` nodes one step apart: the largest
    ``prod_l (u - x_l)^2 / (2 stencil)!`` (the truncation-error factor of ``f^(2 stencil) h^(2 stencil)``)
    and the largest ``|sum_l w_v(u)| / h`` (what a common velocity offset becomes) over ``u`` in [0, 1]."""
    u = np.linspace(0.0, 1.0, 201)
    xs = np.arange(stencil) - (stencil // 2 - 1.0)
    prod = np.prod((u[:, None] - xs[None, :]) ** 2, axis=1) / math.factorial(2 * stencil)
    _, w_v = interp.hermite_weights(u, stencil, 1.0)
    return float(prod.max()), float(np.abs(w_v.sum(axis=1)).max())


#: The Earth's rotation rate (rad/s; IERS Conventions 2010, table 1.1), added to the orbit's angular rate
#: in the Hermite error rule because the interpolation runs in the Earth-fixed frame.
_EARTH_RATE_RAD_S = 7.292115e-5


def auto_node_step_s(sats: Any, tol_km: float = 0.005, *, stencil: int = 2, min_s: float = 1.0,
                     max_s: float = 3600.0) -> float:
    """A node step (whole seconds) that keeps the Hermite error near ``tol_km`` for every satellite.

    Two terms make up the error of :func:`itrs_block`'s interpolation at node step ``h`` over ``s``
    (``stencil``) nodes:

    * truncation, at most ``|r^(2s)| h^(2s) c_s`` with ``c_s = max_u prod_l (u - x_l)^2 / (2s)!``
      (``1/384`` for the cubic, ``s = 2``; Burden & Faires, "Numerical Analysis", Theorem 3.9).  For a
      Keplerian orbit the derivatives peak at perigee, of order ``r_p w^(2s)`` with ``w = w_p + w_E``:
      ``w_p = v_p / r_p`` the perigee angular rate, ``v_p`` from the vis-viva equation (SGP4's mean
      semi-major axis and eccentricity), and ``w_E`` the Earth's rotation rate, because the interpolation
      runs in the Earth-fixed frame; the rule uses ``3 (1 + 2 e) r_p w^(2s)``, above what was measured
      for circular LEO to GEO and a Molniya orbit (``tests/test_positions.py``);
    * SGP4's velocity is not exactly the time derivative of its position (central differences: about 3e-6
      of the speed for LEO and GPS, 2.4e-4 at a Molniya perigee), and the Hermite velocity weights turn an
      offset ``dv`` into up to ``c_v h dv`` of position (``c_v = max_u |sum_l w_v| / h``, 0.0962 for the
      cubic).  The rule takes ``dv = (1e-5 + 3.5e-4 e) v_p``.

    Returns the largest step at which the sum stays within ``tol_km`` for the worst satellite, clipped to
    ``[min_s, max_s]`` and rounded down to a whole second.
    """
    if stencil not in (2, 4, 6):
        raise ValueError(f"stencil must be 2, 4 or 6 nodes, got {stencil!r}")
    c = as_constellation(sats)
    if len(c) == 0:
        return float(max_s)
    rec = c.satrecs
    r_e = np.array([s.radiusearthkm for s in rec])
    mu = np.array([s.mu for s in rec])
    a = np.array([s.a for s in rec]) * r_e
    e = np.clip(np.array([s.ecco for s in rec]), 0.0, 0.999)
    r_p = a * (1.0 - e)
    with np.errstate(all="ignore"):
        v_p = np.sqrt(mu * np.maximum(2.0 / r_p - 1.0 / a, 0.0))
        w_p = v_p / r_p + _EARTH_RATE_RAD_S
        amp = 3.0 * (1.0 + 2.0 * e) * r_p
        dv = (1e-5 + 3.5e-4 * e) * v_p
    ok = np.isfinite(amp) & np.isfinite(w_p) & np.isfinite(dv) & (a > 0)
    if not ok.any():
        return float(max_s)
    amp, w_p, dv = amp[ok], w_p[ok], dv[ok]
    c_trunc, c_vel = _stencil_constants(stencil)
    lo, hi = 0.0, float(max_s)  # the error model grows with h: bisect on the worst satellite
    for _ in range(60):
        h = 0.5 * (lo + hi)
        if np.max(amp * (w_p * h) ** (2 * stencil) * c_trunc + c_vel * h * dv) <= tol_km:
            lo = h
        else:
            hi = h
    return float(math.floor(min(max(lo, min_s), max_s)))


def _fingerprint(x: Any) -> Any:
    if x is None:
        return None
    return hash(np.ascontiguousarray(np.asarray(x, dtype=np.float64)).tobytes())


def _at_nodes(x: Any, t_ns: np.ndarray, node_t: np.ndarray) -> Any:
    """An Earth-orientation input given per analysis time (``dut1`` or a pole coordinate) at the node
    times: linear in time between the analysis times, held at the ends; ``None`` and scalars as they are."""
    if x is None or np.ndim(x) == 0:
        return x
    x = np.broadcast_to(np.asarray(x, dtype=float), t_ns.shape)
    return np.interp(node_t.view(np.int64).astype(float), t_ns.astype(float), x)


class ItrsWindow:
    """Earth-fixed positions over one analysis window, served block by block.

    ``ItrsWindow(sats, times, method="hermite", node_step_s=120.0, stencil=2)`` holds what every block of
    the window shares: the TEME -> ITRS matrices at all ``times``, the node grid
    ``times[0] + k * node_step_s`` (``k = -(stencil/2 - 1) .. `` up to ``stencil/2 - 1`` nodes past the first
    node at or after ``times[-1]``; :attr:`node_times`), and each satellite's first failed node (or, for
    ``method="exact"``, first failed time) found so far.  :meth:`block` returns positions for
    ``times[start:stop]``; blocks may be asked for in any order and any size, and a given time gets
    bit-identical positions whatever the blocks.  Blocks in increasing order cost nothing extra; a block
    that starts past the nodes scanned so far first runs SGP4 over the skipped nodes (error codes only),
    because a failure there decides which later positions are NaN.

    Methods
    -------
    ``"hermite"``: SGP4 positions and velocities at the nodes (near-Earth satellites in the numba kernel
    :func:`constellation.kernels.sgp4_near.sgp4_near`, which runs on every core without the GIL; the others
    with python-sgp4's ``SatrecArray``), turned into ITRS positions and velocities at the nodes
    (``v_itrs = M v_teme + dM/dt r_teme``), then Hermite interpolation over ``stencil`` nodes to each time
    (2: cubic; 4: degree 7; 6: degree 11; :func:`constellation.kernels.interp.hermite_itrs`) in the
    Earth-fixed frame, where the motion is as smooth as in TEME (the Earth's rotation adds its rate,
    ``7.29e-5 rad/s``, to the orbit's; :func:`auto_node_step_s` allows for it).  Earth orientation given
    per analysis time (``dut1``, polar motion) is taken at the nodes linearly in time.
    ``"exact"``: SGP4 at every time, then TEME -> ITRS (the same numbers as :func:`itrs_chunks`).
    """

    def __init__(self, sats: Any, times: Any, *, method: str = "hermite", node_step_s: Any = DEFAULT_NODE_STEP_S,
                 dut1: Any = None, polar_motion_arcsec: Any = None, stencil: int = 2):
        if method not in ("hermite", "exact"):
            raise ValueError(f"method must be 'hermite' or 'exact', got {method!r}")
        self.constellation = c = as_constellation(sats)
        self.times = times = as_datetime64(times)
        if times.ndim != 1 or times.size == 0:
            raise ValueError(f"times must be a non-empty 1-D array, got shape {times.shape}")
        t_ns = times.view(np.int64)
        if np.any(np.diff(t_ns) < 0):
            bad = int(np.flatnonzero(np.diff(t_ns) < 0)[0])
            raise ValueError(f"times must be non-decreasing; times[{bad + 1}] = {times[bad + 1]} comes before "
                             f"times[{bad}] = {times[bad]}")
        self.method = method
        if stencil not in (2, 4, 6):
            raise ValueError(f"stencil must be 2, 4 or 6 nodes, got {stencil!r}")
        self.stencil = int(stencil)
        self._shift = self.stencil // 2 - 1  # nodes before times[0] (and after the last interval)
        if isinstance(node_step_s, str):
            if node_step_s != "auto":
                raise ValueError(f"node_step_s must be a number of seconds or 'auto', got {node_step_s!r}")
            node_step_s = auto_node_step_s(c, stencil=self.stencil)
        step_ns = int(round(float(node_step_s) * 1e9))
        if not step_ns > 0:
            raise ValueError(f"node_step_s must be positive, got {node_step_s!r}")
        self.node_step_s = step_ns / 1e9
        self._step_ns = step_ns
        self._t0_ns = int(t_ns[0])
        self._dt_ns = t_ns - t_ns[0]
        n_int = max(1, -(-int(self._dt_ns[-1]) // step_ns))  # intervals, the last ending at/after times[-1]
        self.n_node = n_int + 1 + 2 * self._shift
        if method == "exact":  # TEME -> ITRS at every time
            eo = earth_orientation(times, dut1, polar_motion_arcsec)
            self._m, _ = frames.teme_to_itrs_matrices(eo.theta_rad, eo.theta_dot_rad_s, eo.xp_rad, eo.yp_rad)
        else:  # at the nodes only: node states are turned into ITRS, and interpolation happens there
            node_t = self._node_times(0, self.n_node)
            eo = earth_orientation(node_t, _at_nodes(dut1, t_ns, node_t),
                                   None if polar_motion_arcsec is None else
                                   (_at_nodes(polar_motion_arcsec[0], t_ns, node_t),
                                    _at_nodes(polar_motion_arcsec[1], t_ns, node_t)))
            self._m_node, self._mdot_node = frames.teme_to_itrs_matrices(eo.theta_rad, eo.theta_dot_rad_s,
                                                                         eo.xp_rad, eo.yp_rad)
        # interval k = [t0 + k h, t0 + (k + 1) h]; its stencil starts at window node k (node times are
        # t0 + (n - shift) h for window node n)
        self._kidx = np.minimum(self._dt_ns // step_ns, n_int - 1).astype(np.int64)
        self._u = (self._dt_ns - self._kidx * step_ns).astype(np.float64) / float(step_ns)
        ns = len(c)
        self._never = np.iinfo(np.int64).max
        self._fail = np.full(ns, self._never, dtype=np.int64)  # first failed node (hermite) / time (exact)
        self._code = np.zeros(ns, dtype=np.uint8)
        self._scanned = 0  # nodes (hermite) / times (exact) [0, _scanned) already checked for failures
        self._lock = threading.Lock()
        self._tables = sgp4_tables(c) if method == "hermite" else None
        # per thread: node buffers (r, v, err) and the nodes [n0, n1) they hold from that thread's last block
        self._local = threading.local()

    @property
    def node_times(self) -> np.ndarray:
        """UTC ``datetime64[ns]`` of every node of the window (``times[0] + k * node_step_s``)."""
        return self._node_times(0, self.n_node)

    def _node_times(self, n0: int, n1: int) -> np.ndarray:
        k = np.arange(n0, n1, dtype=np.int64) - self._shift
        return (self._t0_ns + k * self._step_ns).view("datetime64[ns]")

    def _record(self, err: np.ndarray, offset: int) -> None:
        """Note first failures from SGP4 error codes ``err`` (n, n_sat), time- or node-major, at window
        indices ``offset ..``."""
        bad = err != 0
        if not bad.any():
            return
        rows = np.flatnonzero(bad.any(axis=0))
        first = bad[:, rows].argmax(axis=0)
        new = first + offset < self._fail[rows]
        rows, first = rows[new], first[new]
        self._fail[rows] = first + offset
        self._code[rows] = err[first, rows]

    def _node_states(self, k0: int, k1: int, r: np.ndarray | None = None, v: np.ndarray | None = None,
                     err: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """SGP4 at nodes ``k0 .. k1 - 1``: node-major TEME ``(r_km, v_km_s)`` (n, n_sat, 3) and error codes
        (n, n_sat), into the given arrays when passed.  Near-Earth satellites run in the numba kernel, the
        others in python-sgp4."""
        return _sgp4_states(self._tables, self._node_times(k0, k1), r, v, err)

    def _nodes_reusing_last(self, n0: int, n1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """ITRS node states ``(r_km, v_km_s)`` (n, n_sat, 3) and SGP4 codes (n, n_sat) for nodes
        ``n0 .. n1 - 1``, in this thread's node buffers, reusing the nodes this thread's previous block
        shares with this one (consecutive blocks share ``stencil - 1`` or more nodes).  Returns views of
        the buffers, valid until the thread's next block."""
        loc = self._local
        n, ns = n1 - n0, len(self.constellation)
        a0, a1 = getattr(loc, "nodes", (0, 0))
        bufs = getattr(loc, "bufs", None)
        keep = a1 - n0 if a0 <= n0 < a1 else 0  # nodes already in the buffers, from row n0 - a0
        if bufs is None or bufs[0].shape[0] < n:
            new = (np.empty((n, ns, 3)), np.empty((n, ns, 3)), np.zeros((n, ns), np.uint8))
            if keep:
                for old, nb in zip(bufs, new):
                    nb[:min(keep, n)] = old[n0 - a0:n0 - a0 + min(keep, n)]
            bufs = loc.bufs = new
        elif keep and n0 > a0:
            for buf in bufs:
                buf[:keep] = buf[n0 - a0:a1 - a0].copy()
        keep = min(keep, n)
        r, v, err = bufs[0][:n], bufs[1][:n], bufs[2][:n]
        if keep < n:
            self._node_states(n0 + keep, n1, r[keep:], v[keep:], err[keep:])
            interp.states_to_itrs(r[keep:], v[keep:], self._m_node, self._mdot_node, n0 + keep,
                                  parallel=(n - keep) * ns >= _PARALLEL_SGP4)
        loc.nodes = (n0, n1)
        return r, v, err

    def _scan(self, upto: int) -> None:
        """Check nodes / times ``[_scanned, upto)`` for failures (SGP4 error codes only), in bounded chunks."""
        step = max(1, _SCAN_SATSTEPS // max(len(self.constellation), 1))
        for a in range(self._scanned, upto, step):
            b = min(a + step, upto)
            if self.method == "exact":
                err = self.constellation.satrec_array().sgp4(*julian_utc(self.times[a:b]))[0].T
            else:
                err = self._node_states(a, b)[2]
            self._record(err, a)
        self._scanned = max(self._scanned, upto)

    def block(self, start: int, stop: int, out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Positions for ``times[start:stop]``: ``(r_itrs_km, error)``.

        ``r_itrs_km`` is float64 ``(stop - start, n_sat, 3)``, time-major and C-contiguous, in km (ITRS):
        ``out`` when given (a C-contiguous float64 array of that shape, filled in place; a caller that
        streams blocks through one buffer saves allocating, and first touching, a new one each time);
        ``error`` is uint8 ``(stop - start, n_sat)``: the python-sgp4 code (0 = ok) of the satellite's first
        failure wherever its position is NaN.  ``"exact"``: NaN from the first failed time on, as
        :func:`itrs_chunks`.  ``"hermite"``: a satellite whose SGP4 fails at a node is NaN from the first
        time whose stencil of nodes reaches that node on (with the cubic, ``stencil=2``: every time after
        the last good node; with ``stencil=s``, up to ``s/2`` node steps before the failure), so no failed
        node is ever interpolated through.
        """
        nt = self.times.size
        if not (0 <= start <= stop <= nt):
            raise ValueError(f"block [{start}, {stop}) is outside the window's {nt} times")
        c = self.constellation
        ns, nb = len(c), stop - start
        if out is None:
            out = np.empty((nb, ns, 3))
        elif out.shape != (nb, ns, 3) or out.dtype != np.float64 or not out.flags.c_contiguous:
            raise ValueError(f"out must be a C-contiguous float64 array of shape {(nb, ns, 3)}, got "
                             f"{out.dtype} {out.shape}")
        error = np.zeros((nb, ns), dtype=np.uint8)
        if nb == 0 or ns == 0:
            return out, error
        with self._lock:
            if self.method == "exact":
                self._scan(start)
                err, r, _ = teme_states(c, self.times[start:stop])
                if self._scanned < stop:
                    lo = max(self._scanned, start)
                    self._record(err[:, lo - start:].T, lo)
                    self._scanned = stop
                fail = self._fail.copy()
                code = self._code.copy()
            else:
                k_lo = int(self._kidx[start])
                k_hi = int(self._kidx[stop - 1]) + self.stencil - 1
                self._scan(k_lo)
                r, v, err = self._nodes_reusing_last(k_lo, k_hi + 1)
                if self._scanned <= k_hi:
                    lo = max(self._scanned, k_lo)
                    self._record(err[lo - k_lo:], lo)
                    self._scanned = k_hi + 1
                fail = self._fail.copy()
                code = self._code.copy()
        if self.method == "exact":
            m = self._m[start:stop]
            hit = np.flatnonzero(fail < stop)
            if hit.size:
                after = np.arange(start, stop)[:, None] >= fail[None, hit]
                rr = r[hit]
                rr[after.T] = np.nan
                r[hit] = rr
                error[:, hit] = np.where(after, code[hit][None, :], 0)
            interp.rotate_time_major(r, m, out)
            return out, error
        kidx, u = self._kidx[start:stop], self._u[start:stop]
        w_r, w_v = interp.hermite_weights(u, self.stencil, self.node_step_s)
        interp.hermite_itrs(r, v, k_lo, kidx, w_r, w_v, out, parallel=nb * ns >= _PARALLEL_INTERP)
        hit = np.flatnonzero(fail <= k_hi)
        if hit.size:  # NaN where the stencil reaches a failure, except on good nodes
            interp.mask_failures(r, k_lo, kidx, u, self.stencil, fail, hit, out)
            f = fail[hit][None, :]
            k = kidx[:, None]
            bad = (k + (self.stencil - 1) >= f) & ~((u[:, None] == 0.0) & (k + (self.stencil - 1) == f))
            error[:, hit] = np.where(bad, code[hit][None, :], 0)
        return out, error

    def failures(self) -> tuple[np.ndarray, np.ndarray]:
        """``(first_index, code)`` per satellite for what has been scanned so far: the first failed node
        (``"hermite"``, an index into :attr:`node_times`) or time (``"exact"``, into ``times``), -1 where
        none, and its python-sgp4 code."""
        first = np.where(self._fail == self._never, -1, self._fail)
        return first, self._code.copy()


def itrs_block(sats: Any, times: Any, start: int, stop: int, *, method: str = "hermite",
               node_step_s: Any = DEFAULT_NODE_STEP_S, dut1: Any = None, polar_motion_arcsec: Any = None,
               stencil: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Earth-fixed (ITRS) positions of every satellite at ``times[start:stop]``.

    Parameters
    ----------
    sats : anything :func:`~constellation.satellite.as_constellation` takes
    times : datetime64 array (UTC), non-decreasing; the whole analysis window (need not be uniform)
    start, stop : int
        The block of ``times`` wanted.
    method : ``"hermite"`` (default) or ``"exact"``
        ``"hermite"``: SGP4 positions and velocities at nodes ``times[0] + k * node_step_s`` aligned to
        the whole window, cubic Hermite interpolation between them (error about ``|r''''| h^4 / 384``:
        a few metres for LEO at 120 s; :func:`hermite_error_km` measures it for a run).  ``"exact"``: SGP4
        at every time.
    node_step_s : float or ``"auto"``
        Node spacing in seconds (``"auto"``: :func:`auto_node_step_s`, 5 m target).  Eccentric orbits
        need shorter steps than circular ones at the same perigee height (a Molniya orbit: about 20 s).
    dut1, polar_motion_arcsec : as for :func:`propagate`.
    stencil : 2, 4 or 6
        Nodes each interpolation uses (positions and velocities): 2 is the cubic Hermite; 4 (degree 7)
        keeps LEO within about 4.5 m at 600 s nodes, a fifth of the SGP4 work of the cubic at 120 s.

    Returns
    -------
    r_itrs_km : float64 ``(stop - start, n_sat, 3)``, time-major, C-contiguous (km)
    error : uint8 ``(stop - start, n_sat)``, python-sgp4 code (0 = ok) wherever the position is NaN.

    The window's shared state (matrices, node grid, failures found so far) is kept in an
    :class:`ItrsWindow` cached for the last two windows asked for (same constellation object, same times,
    method, node step and Earth orientation), so consecutive blocks do not repeat work; results are
    bit-identical for any blocking, cached or not.
    """
    c = as_constellation(sats)
    t = as_datetime64(times)
    key = (id(c), len(c), t.size, hash(t.view(np.int64).tobytes()), method, int(stencil),
           node_step_s if isinstance(node_step_s, str) else float(node_step_s),
           _fingerprint(dut1), None if polar_motion_arcsec is None
           else (_fingerprint(polar_motion_arcsec[0]), _fingerprint(polar_motion_arcsec[1])))
    with _WINDOW_CACHE_LOCK:
        win = _WINDOW_CACHE.get(key)
        if win is not None and win.constellation is c:
            _WINDOW_CACHE.move_to_end(key)
        else:
            win = ItrsWindow(c, t, method=method, node_step_s=node_step_s, dut1=dut1,
                             polar_motion_arcsec=polar_motion_arcsec, stencil=stencil)
            _WINDOW_CACHE[key] = win
            while len(_WINDOW_CACHE) > _WINDOW_CACHE_SIZE:
                _WINDOW_CACHE.popitem(last=False)
    return win.block(start, stop)


def _sgp4_states(tab: _Sgp4Tables, times: np.ndarray, r: np.ndarray | None = None, v: np.ndarray | None = None,
                 err: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SGP4 of every satellite at ``times``: time-major ``(r, v, err)``, (n, n_sat, 3) TEME km and km/s and
    (n, n_sat) codes, into the arrays given (else new ones).  Near-Earth satellites run in the numba
    kernel (parallel above a size), the others in python-sgp4.  Positions beyond ``tab.runaway_km`` get
    code 6 (decayed), as in :func:`teme_states`."""
    n, ns = times.size, tab.params.shape[0]
    r = np.empty((n, ns, 3)) if r is None else r
    v = np.empty((n, ns, 3)) if v is None else v
    err = np.zeros((n, ns), dtype=np.uint8) if err is None else err
    jd, fr = julian_utc(times)
    if tab.near.size:
        big = times.size * tab.near.size >= _PARALLEL_SGP4
        sgp4_near.sgp4_near(tab.params, tab.near, jd, fr, r, v, err, parallel=big)
    if tab.deep.size:
        e, rd, vd = tab.deep_array.sgp4(jd, fr)
        r[:, tab.deep] = rd.transpose(1, 0, 2)
        v[:, tab.deep] = vd.transpose(1, 0, 2)
        err[:, tab.deep] = e.T
    _flag_runaway(err, r, tab.runaway_km, 1)
    return r, v, err


def hermite_error_km(sats: Any, times: Any, *, node_step_s: Any = DEFAULT_NODE_STEP_S, stencil: int = 2,
                     n_intervals: int = 32) -> float:
    """Largest Hermite position error (km) over a sample of node intervals of the window.

    Takes ``n_intervals`` node intervals spread evenly over the window's node grid (the one
    :func:`itrs_block` uses with the same ``node_step_s`` and ``stencil``), runs SGP4 (the nodes' kernels:
    numba for near-Earth satellites, python-sgp4 for the others) at the stencil's nodes and at three
    points inside each interval, turns the nodes' states into ITRS as
    :class:`ItrsWindow` does, and returns the largest distance between interpolated and exact ITRS
    positions over all satellites and samples (Earth orientation from :func:`earth_orientation`'s
    defaults).  The points are ``u = 1/2``, where the truncation error (``prod_l (u - x_l)^2``) peaks,
    and ``u = 1/4, 3/4``, near where an offset ``dv`` between SGP4's velocity and the derivative of its
    position peaks (for the cubic, ``u (1 - u) (1 - 2u) h dv``, which cancels at ``u = 1/2``).  Satellites
    failing at a sampled time are left out.  Cost: ``(stencil + 3) * n_intervals`` SGP4 steps per
    satellite.  Returns 0.0 when nothing could be sampled.
    """
    c = as_constellation(sats)
    t = as_datetime64(times)
    if stencil not in (2, 4, 6):
        raise ValueError(f"stencil must be 2, 4 or 6 nodes, got {stencil!r}")
    if len(c) == 0 or t.size == 0:
        return 0.0
    if isinstance(node_step_s, str):
        if node_step_s != "auto":
            raise ValueError(f"node_step_s must be a number of seconds or 'auto', got {node_step_s!r}")
        node_step_s = auto_node_step_s(c, stencil=stencil)
    step_ns = int(round(float(node_step_s) * 1e9))
    if step_ns <= 0:
        raise ValueError(f"node_step_s must be positive, got {node_step_s!r}")
    t_ns = t.view(np.int64)
    n_int = max(1, -(-int(t_ns.max() - t_ns[0]) // step_ns))
    ks = np.unique(np.linspace(0, n_int - 1, min(n_intervals, n_int)).round().astype(np.int64))
    n = ks.size
    t0 = t_ns[0] + ks * step_ns
    shift = stencil // 2 - 1
    offsets = [step_ns // 4, step_ns // 2, (3 * step_ns) // 4]
    parts = [t0 + (l - shift) * step_ns for l in range(stencil)] + [t0 + o for o in offsets]
    t_all = np.concatenate(parts).view("datetime64[ns]")
    r, v, err = _sgp4_states(sgp4_tables(c), t_all)  # time-major
    eo = earth_orientation(t_all)
    m, mdot = frames.teme_to_itrs_matrices(eo.theta_rad, eo.theta_dot_rad_s, eo.xp_rad, eo.yp_rad)
    interp.states_to_itrs(r, v, m, mdot, 0)  # in place, as the window turns its nodes
    ok_nodes = np.ones((n, len(c)), dtype=bool)
    for l in range(stencil):
        ok_nodes &= err[l * n:(l + 1) * n] == 0
    w_r, w_v = interp.hermite_weights(np.array([o / step_ns for o in offsets]), stencil, step_ns / 1e9)
    worst = 0.0
    for q in range(len(offsets)):
        guess = np.zeros((n, len(c), 3))
        for l in range(stencil):
            sl = slice(l * n, (l + 1) * n)
            guess += w_r[q, l] * r[sl] + w_v[q, l] * v[sl]
        sl = slice((stencil + q) * n, (stencil + q + 1) * n)
        ok = ok_nodes & (err[sl] == 0)
        d = np.linalg.norm(guess - r[sl], axis=-1)[ok]
        if d.size:
            worst = max(worst, float(d.max()))
    return worst
