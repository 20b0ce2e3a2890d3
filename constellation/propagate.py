"""Propagation: SGP4 for every satellite and time, then TEME -> ITRS -> WGS84 geodetic.

The data flow is ``Constellation`` -> :func:`teme_states` (python-sgp4 ``SatrecArray``, UTC two-part
Julian dates) -> :func:`earth_orientation` (GMST 1982 with UT1, polar motion) -> kernels in
:mod:`constellation.kernels.frames`.  :func:`propagate` wraps it all into an ``xarray.Dataset`` and works in
time chunks so memory stays bounded; :func:`itrs_chunks` is the streaming form the coverage engine uses.
"""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np
from sgp4.api import SGP4_ERRORS

from .kernels import frames
from .satellite import Constellation, as_constellation
from .timescale import as_datetime64, dut1_s, julian_utc

if TYPE_CHECKING:  # xarray is imported on first use: it costs seconds at start-up
    import xarray as xr

__all__ = ["propagate", "teme_states", "earth_orientation", "EarthOrientation", "itrs_chunks",
           "PropagationWarning", "DEFAULT_CHUNK_SATSTEPS", "PIPELINE_CHUNK_SATSTEPS", "propagate_arrays"]

#: Satellite-steps per chunk: bounds the working memory of :func:`propagate` (about 100 bytes each).
DEFAULT_CHUNK_SATSTEPS = 2_000_000

_ARCSEC = np.pi / (180.0 * 3600.0)


class PropagationWarning(UserWarning):
    """Some satellites failed to propagate (decayed or invalid elements); they carry NaN from then on."""


@dataclass(frozen=True)
class EarthOrientation:
    """Earth orientation at each sample time: what turns TEME into ITRS.

    ``theta_rad`` and ``theta_dot_rad_s`` are GMST 1982 and its rate; ``xp_rad``/``yp_rad`` polar motion.
    """

    theta_rad: np.ndarray
    theta_dot_rad_s: np.ndarray
    xp_rad: np.ndarray
    yp_rad: np.ndarray


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
    d = dut1_s(times) if dut1 is None else np.broadcast_to(np.asarray(dut1, dtype=float), times.shape)
    jd, fr = julian_utc(times)
    theta, theta_dot = frames.gmst1982(jd, fr + d / 86400.0)
    if polar_motion_arcsec is None:
        xp = yp = np.zeros(times.shape)
    else:
        xp = np.broadcast_to(np.asarray(polar_motion_arcsec[0], dtype=float) * _ARCSEC, times.shape).copy()
        yp = np.broadcast_to(np.asarray(polar_motion_arcsec[1], dtype=float) * _ARCSEC, times.shape).copy()
    return EarthOrientation(theta, theta_dot, xp, yp)


def teme_states(sats: Any, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run SGP4 for every satellite at every UTC time.

    Returns ``(error, r_km, v_km_s)`` with shapes ``(n_sat, n_time)`` (python-sgp4 error codes, 0 = ok) and
    ``(n_sat, n_time, 3)`` in the TEME frame.  Failed steps are NaN (python-sgp4 itself returns numbers
    for a decayed satellite, code 6).  Each time is judged on its own here; :func:`propagate` also carries a
    failure forward to later times.  TLE epochs are UTC
    (AIAA 2006-6753), so SGP4 is driven with UTC Julian dates.
    """
    c = as_constellation(sats)
    jd, fr = julian_utc(as_datetime64(times))
    if len(c) == 0:
        return (np.zeros((0, jd.size), np.uint8), np.zeros((0, jd.size, 3)), np.zeros((0, jd.size, 3)))
    err, r, v = c.satrec_array().sgp4(jd, fr)
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
        _warn_failures(c, first, code, times, stacklevel=2)


#: Chunk size :func:`propagate` uses by default: small enough that the frame kernel of the last chunk
#: (the only one not overlapped with SGP4) is short and each chunk's TEME states stay in cache, large
#: enough that per-chunk overheads vanish.
PIPELINE_CHUNK_SATSTEPS = 1 << 17


def propagate(sats: Any, times: Any, *, dut1: Any = None, polar_motion_arcsec: Any = None,
              chunk_satsteps: int | None = None, velocities: bool = False,
              warn: bool = True) -> "xr.Dataset":
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
    while one helper thread runs the numba frame + geodetic kernel (which releases the GIL, and is about
    ten times faster than SGP4 per step) on the chunk before, so that work hides behind SGP4 on any
    machine with a second core.  A parallel (OpenMP) kernel would spin its threads between chunks and
    compete with SGP4, which measured slower.
    """
    c = as_constellation(sats)
    times = as_datetime64(times)
    out, error = propagate_arrays(c, times, dut1=dut1, polar_motion_arcsec=polar_motion_arcsec,
                                  chunk_satsteps=chunk_satsteps, velocities=velocities, warn=False)
    if warn:
        _warn_failures(c, *_first_failures(error), times)
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

    chunk = PIPELINE_CHUNK_SATSTEPS if chunk_satsteps is None else int(chunk_satsteps)
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
        _warn_failures(c, *_first_failures(error), times)
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


def _warn_failures(c: Constellation, first: np.ndarray, code: np.ndarray, times: np.ndarray,
                   stacklevel: int = 3) -> None:
    """One :class:`PropagationWarning` naming the satellites that failed, when, and why."""
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


def _to_dataset(c: Constellation, times: np.ndarray, out: dict, error: np.ndarray, pm: bool) -> "xr.Dataset":
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
        "launched": ("satellite", c.launched),
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
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)

