"""Frame kernels: TEME -> ITRS and ITRS <-> WGS84 geodetic, parallel over satellite-steps.

References
----------
* Vallado, Crawford, Hujsak, Kelso, "Revisiting Spacetrack Report #3", AIAA 2006-6753, Appendix C:
  TEME -> PEF is a rotation about z by GMST 1982 evaluated with UT1; PEF -> ITRF applies the transpose of
  the polar-motion matrix ``W`` (IAU-76/FK5 convention, small-angle-free form, Vallado's ``polarm``
  for the 1980 theory).  Velocities also lose the frame rotation ``omega x r_PEF``.
* GMST 1982: Aoki et al. (1982), "The new definition of universal time", A&A 105, 359, in the form of
  AIAA 2006-6753 Appendix C and Vallado, "Fundamentals of Astrodynamics and Applications", eq. 3-47.
* Geodetic latitude and height from Cartesian coordinates: B. R. Bowring (1976), "Transformation from
  spatial to geographical coordinates", Survey Review 23(181), 323-327, iterated twice on the parametric
  latitude; height by the formula valid at every latitude, h = p cos(lat) + z sin(lat) - a sqrt(1 - e^2
  sin^2 lat).  Inverse: NIMA TR8350.2 (WGS84), eq. 4-14.  Constants: WGS84 (NIMA TR8350.2, table 3.1).

The rotation for each sample time is folded into one 3x3 matrix ``M = W^T R3(theta)`` (and its time
derivative ``Mdot``), computed once per time in NumPy by :func:`teme_to_itrs_matrices`; the kernels then do
nine multiply-adds per satellite-step plus the geodetic conversion, writing straight into the caller's
output arrays.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from . import CACHE
from .parallel import run_ranges

__all__ = [
    "WGS84_A_KM", "WGS84_F", "WGS84_E2",
    "gmst1982", "teme_to_itrs_matrices", "teme_to_itrs_full", "teme_to_itrs_positions",
    "rotate_geodetic_into", "rotate_positions", "geodetic_rad", "geodetic_from_itrs",
    "itrs_from_geodetic",
]

WGS84_A_KM = 6378.137
WGS84_F = 1.0 / 298.257223563
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
_TAU = 2.0 * math.pi
_DAY_S = 86400.0
_JD_J2000 = 2451545.0
_RAD2DEG = 180.0 / math.pi


def gmst1982(jd_ut1: np.ndarray, fraction_ut1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Greenwich mean sidereal time, IAU 1982 model, and its rate.

    Parameters
    ----------
    jd_ut1, fraction_ut1 : arrays
        UT1 as a two-part Julian date (whole day ending in .5, plus day fraction).

    Returns
    -------
    theta_rad : array
        GMST angle in radians, in ``[0, 2 pi)``.
    theta_dot_rad_s : array
        Its rate in radians per second (the rotation of PEF relative to TEME, used for velocities).

    The polynomial is GMST(s) = 67310.54841 + (876600 h + 8640184.812866 s) T + 0.093104 s T^2
    - 6.2e-6 s T^3 with T in Julian centuries of UT1 from J2000 (AIAA 2006-6753; Vallado eq. 3-47).  The
    876600 h term is a whole number of turns per day, so it is carried by the day fraction to keep
    precision.
    """
    jd_ut1 = np.asarray(jd_ut1, dtype=np.float64)
    fraction_ut1 = np.asarray(fraction_ut1, dtype=np.float64)
    t = (jd_ut1 - _JD_J2000 + fraction_ut1) / 36525.0
    g = 67310.54841 + (8640184.812866 + (0.093104 + (-6.2e-6) * t) * t) * t
    dg = 8640184.812866 + (0.093104 * 2.0 + (-6.2e-6 * 3.0) * t) * t
    theta = ((jd_ut1 % 1.0) + fraction_ut1 + g / _DAY_S) % 1.0 * _TAU
    theta_dot = (1.0 + dg / (_DAY_S * 36525.0)) * _TAU / _DAY_S
    return theta, theta_dot


def teme_to_itrs_matrices(theta: np.ndarray, theta_dot: np.ndarray, xp: np.ndarray | float = 0.0,
                          yp: np.ndarray | float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Rotation matrices TEME -> ITRS at each time, and their time derivatives.

    ``r_itrs = M @ r_teme`` and ``v_itrs = M @ v_teme + Mdot @ r_teme`` with ``M = W^T R3(theta)`` and
    ``Mdot = W^T dR3/dt`` (AIAA 2006-6753 eqs. C-2 to C-4).  ``theta`` is GMST 1982 (rad), ``theta_dot``
    its rate (rad/s), ``xp``/``yp`` polar motion (rad).  Returns two ``(n, 3, 3)`` float64 arrays.
    """
    theta = np.atleast_1d(np.asarray(theta, dtype=np.float64))
    n = theta.shape[0]
    theta_dot = np.broadcast_to(np.asarray(theta_dot, dtype=np.float64), (n,))
    xp = np.broadcast_to(np.asarray(xp, dtype=np.float64), (n,))
    yp = np.broadcast_to(np.asarray(yp, dtype=np.float64), (n,))
    c, s = np.cos(theta), np.sin(theta)
    zero, one = np.zeros(n), np.ones(n)
    r3 = np.stack([np.stack([c, s, zero], -1), np.stack([-s, c, zero], -1),
                   np.stack([zero, zero, one], -1)], -2)
    dr3 = theta_dot[:, None, None] * np.stack([np.stack([-s, c, zero], -1), np.stack([-c, -s, zero], -1),
                                               np.stack([zero, zero, zero], -1)], -2)
    cx, sx, cy, sy = np.cos(xp), np.sin(xp), np.cos(yp), np.sin(yp)
    # W^T, the transpose of Vallado's polar-motion matrix (r_PEF = W r_ITRF, IAU-76/FK5).
    wt = np.stack([np.stack([cx, sx * sy, sx * cy], -1), np.stack([zero, cy, -sy], -1),
                   np.stack([-sx, cx * sy, cx * cy], -1)], -2)
    return np.ascontiguousarray(wt @ r3), np.ascontiguousarray(wt @ dr3)


@njit(cache=CACHE, inline="always", nogil=True)
def _bowring(x, y, z):
    """``(num, den, h)``: geodetic latitude as ``atan2(num, den)`` and height (km) of one ITRS point (km).

    Bowring (1976): start from the parametric latitude of the point's direction, evaluate Bowring's
    latitude formula, and repeat once with the parametric latitude that this gives.  Kept as unnormalised
    (sin, cos) pairs, so only square roots are needed; two steps reach rounding level (< 1e-8 m) from
    1000 km below the surface to beyond GEO.  The arctangent is left to the caller so that it can be
    taken in bulk with NumPy's SIMD ``arctan2``.
    """
    a = WGS84_A_KM
    b = a * (1.0 - WGS84_F)
    e2 = WGS84_E2
    ep2 = e2 / (1.0 - e2)
    p = math.sqrt(x * x + y * y)
    sb = a * z  # parametric latitude beta: tan(beta) = a z / (b p)
    cb = b * p
    num = z
    den = p
    for _ in range(2):
        hyp = math.sqrt(sb * sb + cb * cb)
        sb /= hyp
        cb /= hyp
        num = z + ep2 * b * sb * sb * sb  # Bowring: tan(lat) = num / den
        den = p - e2 * a * cb * cb * cb
        sb = (1.0 - WGS84_F) * num  # tan(beta) = (1 - f) tan(lat)
        cb = den
    hyp = math.sqrt(num * num + den * den)
    sl = num / hyp
    cl = den / hyp
    h = p * cl + z * sl - a * math.sqrt(1.0 - e2 * sl * sl)
    return num, den, h


@njit(cache=CACHE, inline="always", nogil=True)
def geodetic_rad(x, y, z):
    """WGS84 geodetic latitude (rad), longitude (rad) and height (km) of one ITRS point in km.

    Bowring (1976), iterated twice (see the module notes); usable from other njit kernels.
    """
    num, den, h = _bowring(x, y, z)
    return math.atan2(num, den), math.atan2(y, x), h


@njit(cache=CACHE, inline="always", nogil=True)
def _rotate_bowring_row(i, r_teme, v_teme, m, mdot, j0, x, y, z, lat_num, lat_den, alt_km, vx, vy, vz):
    # One satellite over the chunk's times: contiguous and branch-free, so LLVM vectorises it (AVX2).
    nt = r_teme.shape[1]
    for j in range(nt):
        a = r_teme[i, j, 0]
        b = r_teme[i, j, 1]
        c = r_teme[i, j, 2]
        X = m[j, 0, 0] * a + m[j, 0, 1] * b + m[j, 0, 2] * c
        Y = m[j, 1, 0] * a + m[j, 1, 1] * b + m[j, 1, 2] * c
        Z = m[j, 2, 0] * a + m[j, 2, 1] * b + m[j, 2, 2] * c
        x[i, j0 + j] = X
        y[i, j0 + j] = Y
        z[i, j0 + j] = Z
        num, den, h = _bowring(X, Y, Z)
        lat_num[i, j0 + j] = num
        lat_den[i, j0 + j] = den
        alt_km[i, j0 + j] = h
    if vx.shape[0] > 0:
        for j in range(nt):
            a = r_teme[i, j, 0]
            b = r_teme[i, j, 1]
            c = r_teme[i, j, 2]
            d = v_teme[i, j, 0]
            e = v_teme[i, j, 1]
            f = v_teme[i, j, 2]
            vx[i, j0 + j] = (m[j, 0, 0] * d + m[j, 0, 1] * e + m[j, 0, 2] * f
                             + mdot[j, 0, 0] * a + mdot[j, 0, 1] * b + mdot[j, 0, 2] * c)
            vy[i, j0 + j] = (m[j, 1, 0] * d + m[j, 1, 1] * e + m[j, 1, 2] * f
                             + mdot[j, 1, 0] * a + mdot[j, 1, 1] * b + mdot[j, 1, 2] * c)
            vz[i, j0 + j] = (m[j, 2, 0] * d + m[j, 2, 1] * e + m[j, 2, 2] * f
                             + mdot[j, 2, 0] * a + mdot[j, 2, 1] * b + mdot[j, 2, 2] * c)


@njit(cache=CACHE, nogil=True)
def rotate_bowring_sats(i0, i1, r_teme, v_teme, m, mdot, j0, x, y, z, lat_num, lat_den, alt_km, vx, vy, vz):
    """Satellites ``i0 .. i1 - 1`` of :func:`rotate_geodetic_into` (before the arctangents)."""
    for i in range(i0, i1):
        _rotate_bowring_row(i, r_teme, v_teme, m, mdot, j0, x, y, z, lat_num, lat_den, alt_km, vx, vy, vz)


def _finish_angles(x, y, lat_deg, lon_deg) -> None:
    """In place: ``lat_deg`` holds Bowring's (num) and ``lon_deg`` its (den); make both angles in degrees."""
    np.arctan2(lat_deg, lon_deg, out=lat_deg)
    np.arctan2(y, x, out=lon_deg)
    np.multiply(lat_deg, _RAD2DEG, out=lat_deg)
    np.multiply(lon_deg, _RAD2DEG, out=lon_deg)


def rotate_geodetic_into(r_teme, v_teme, m, mdot, j0, x, y, z, lat_deg, lon_deg, alt_km, vx, vy, vz,
                         parallel: bool = True) -> None:
    """Rotate TEME states of one time chunk to ITRS and write ITRS + geodetic into (n_sat, n_time) arrays.

    ``r_teme``/``v_teme`` are C-contiguous ``(n_sat, n_chunk, 3)`` float64 (km, km/s); ``m``/``mdot`` the
    ``(n_chunk, 3, 3)`` matrices of :func:`teme_to_itrs_matrices`; results go to columns
    ``j0 .. j0 + n_chunk`` of the C-contiguous ``(n_sat, n_time)`` float64 arrays ``x, y, z`` (km),
    ``lat_deg, lon_deg`` (degrees, longitude in (-180, 180]) and ``alt_km`` (height above the WGS84
    ellipsoid).  Velocities go to ``vx, vy, vz`` (km/s) unless those have zero rows.  NaN in, NaN out.
    Releases the GIL throughout (numba ``nogil`` kernel, then NumPy's SIMD ``arctan2``).  With
    ``parallel=False`` it runs on the calling thread only: the form for a helper thread that works
    alongside SGP4.
    """
    run_ranges(rotate_bowring_sats, r_teme.shape[0], r_teme, v_teme, m, mdot, np.int64(j0), x, y, z, lat_deg,
               lon_deg, alt_km, vx, vy, vz, parallel=parallel)
    cols = slice(j0, j0 + r_teme.shape[1])
    _finish_angles(x[:, cols], y[:, cols], lat_deg[:, cols], lon_deg[:, cols])


@njit(cache=CACHE, inline="always", nogil=True)
def rotate_one(r_teme, i, j, m, out, oi, oj):
    """``out[oi, oj] = m[j] @ r_teme[i, j]``: one TEME position (km) to ITRS with the matrix of time ``j``."""
    rotate_xyz(m, j, r_teme[i, j, 0], r_teme[i, j, 1], r_teme[i, j, 2], out, oi, oj)


@njit(cache=CACHE, inline="always", nogil=True)
def rotate_xyz(m, j, a, b, c, out, oi, oj):
    """``out[oi, oj] = m[j] @ (a, b, c)``: the single expression every rotation of positions uses, so all
    give the same numbers."""
    out[oi, oj, 0] = m[j, 0, 0] * a + m[j, 0, 1] * b + m[j, 0, 2] * c
    out[oi, oj, 1] = m[j, 1, 0] * a + m[j, 1, 1] * b + m[j, 1, 2] * c
    out[oi, oj, 2] = m[j, 2, 0] * a + m[j, 2, 1] * b + m[j, 2, 2] * c


def rotate_positions(r_teme: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Positions only: TEME ``(n_sat, n_time, 3)`` km -> ITRS km with per-time matrices ``m`` (n_time, 3, 3)."""
    out = np.empty_like(r_teme)
    run_ranges(rotate_positions_items, r_teme.shape[0] * r_teme.shape[1], r_teme, m, out)
    return out


@njit(cache=CACHE, nogil=True)
def rotate_positions_items(k0, k1, r_teme, m, out):
    """Satellite-times ``k0 .. k1 - 1`` of :func:`rotate_positions` (``k = i n_time + j``)."""
    nt = r_teme.shape[1]
    for k in range(k0, k1):
        i = k // nt
        j = k - i * nt
        rotate_one(r_teme, i, j, m, out, i, j)


def teme_to_itrs_full(r_teme, v_teme, theta, theta_dot, xp, yp):
    """Rotate SGP4 TEME states to ITRS and add WGS84 geodetic coordinates.

    Parameters
    ----------
    r_teme, v_teme : float64 (n_sat, n_time, 3)
        Positions (km) and velocities (km/s) in TEME, as python-sgp4's ``SatrecArray.sgp4`` returns them.
    theta, theta_dot : float64 (n_time,)
        GMST 1982 (rad) and its rate (rad/s), from :func:`gmst1982` with UT1.
    xp, yp : float64 (n_time,)
        Polar motion angles in radians (zeros to leave polar motion out).

    Returns
    -------
    r_itrs (km), v_itrs (km/s) : float64 (n_sat, n_time, 3)
    lat_deg, lon_deg, alt_km : float64 (n_sat, n_time)
        WGS84 geodetic latitude and longitude in degrees (longitude in (-180, 180]) and height in km.
    NaN inputs (failed SGP4 steps) give NaN outputs.
    """
    r_teme = np.ascontiguousarray(r_teme, dtype=np.float64)
    v_teme = np.ascontiguousarray(v_teme, dtype=np.float64)
    ns, nt = r_teme.shape[0], r_teme.shape[1]
    m, mdot = teme_to_itrs_matrices(theta, theta_dot, xp, yp)
    r_out = np.empty((3, ns, nt))
    v_out = np.empty((3, ns, nt))
    geo = np.empty((3, ns, nt))
    rotate_geodetic_into(r_teme, v_teme, m, mdot, 0, r_out[0], r_out[1], r_out[2], geo[0], geo[1], geo[2],
                         v_out[0], v_out[1], v_out[2])
    return np.moveaxis(r_out, 0, -1), np.moveaxis(v_out, 0, -1), geo[0], geo[1], geo[2]


def teme_to_itrs_positions(r_teme, theta, xp, yp):
    """Positions only: TEME (n_sat, n_time, 3) km -> ITRS km, for the coverage kernels' hot path.

    ``theta`` is GMST 1982 (rad, from :func:`gmst1982` with UT1), ``xp``/``yp`` polar motion (rad).
    """
    m, _ = teme_to_itrs_matrices(theta, 0.0, xp, yp)
    return rotate_positions(np.ascontiguousarray(r_teme, dtype=np.float64), m)


@njit(cache=CACHE, nogil=True)
def bowring_items(k0, k1, r_itrs, lat_num, lat_den, alt):
    """Points ``k0 .. k1 - 1`` of :func:`geodetic_from_itrs` (before the arctangents)."""
    for k in range(k0, k1):
        lat_num[k], lat_den[k], alt[k] = _bowring(r_itrs[k, 0], r_itrs[k, 1], r_itrs[k, 2])


def geodetic_from_itrs(r_itrs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """WGS84 geodetic ``(lat_deg, lon_deg, alt_km)`` of ITRS points ``(..., 3)`` in km; each result has
    shape ``(...)``.  Bowring (1976), see :func:`geodetic_rad`."""
    r = np.asarray(r_itrs, dtype=np.float64)
    if r.shape[-1:] != (3,):
        raise ValueError(f"ITRS positions must have a last axis of length 3, got shape {r.shape}")
    shape = r.shape[:-1]
    flat = np.ascontiguousarray(r.reshape(-1, 3))
    n = flat.shape[0]
    lat, lon, alt = np.empty(n), np.empty(n), np.empty(n)
    run_ranges(bowring_items, n, flat, lat, lon, alt)
    _finish_angles(flat[:, 0], flat[:, 1], lat, lon)
    return lat.reshape(shape), lon.reshape(shape), alt.reshape(shape)


def itrs_from_geodetic(lat_deg, lon_deg, alt_km=0.0) -> np.ndarray:
    """ITRS position (km), shape ``(..., 3)``, of WGS84 geodetic points (NIMA TR8350.2 eq. 4-14)."""
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    h = np.asarray(alt_km, dtype=np.float64)
    sl, cl = np.sin(lat), np.cos(lat)
    n = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * sl * sl)
    x = (n + h) * cl * np.cos(lon)
    y = (n + h) * cl * np.sin(lon)
    z = (n * (1.0 - WGS84_E2) + h) * sl
    return np.stack(np.broadcast_arrays(x, y, z), axis=-1)
