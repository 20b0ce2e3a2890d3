"""Frame kernels: TEME -> ITRS and ITRS -> WGS84 geodetic, parallel over satellite-steps.

References
----------
* Vallado, Crawford, Hujsak, Kelso, "Revisiting Spacetrack Report #3", AIAA 2006-6753, Appendix C:
  TEME -> PEF is a rotation about z by GMST 1982 evaluated with UT1; PEF -> ITRF applies polar motion
  ``W = R1(yp) R2(xp)`` (IAU-76/FK5 convention) transposed.
* GMST 1982: Aoki et al. (1982), "The new definition of universal time", A&A 105, 359, in the form of
  AIAA 2006-6753 Appendix C and Vallado, "Fundamentals of Astrodynamics and Applications", eq. 3-47.
* Geodetic latitude and height: Bowring (1976), "Transformation from spatial to geographical
  coordinates", Survey Review 23(181), refined by fixed-point iteration; WGS84 constants from NIMA TR8350.2.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from . import CACHE

__all__ = [
    "WGS84_A_KM", "WGS84_F", "WGS84_E2",
    "gmst1982", "teme_to_itrs_full", "teme_to_itrs_positions", "geodetic_from_itrs",
    "itrs_from_geodetic",
]

WGS84_A_KM = 6378.137
WGS84_F = 1.0 / 298.257223563
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
_TAU = 2.0 * math.pi
_DAY_S = 86400.0
_JD_J2000 = 2451545.0


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
        Its rate in radians per second (Earth rotation rate used for TEME -> PEF velocities).

    The polynomial is GMST(s) = 67310.54841 + (876600 h + 8640184.812866 s) T + 0.093104 s T^2
    - 6.2e-6 s T^3 with T in Julian centuries of UT1 from J2000 (AIAA 2006-6753; Vallado eq. 3-47).  The
    876600 h term is a whole number of days, so it is carried by the day fraction to keep precision.
    """
    jd_ut1 = np.asarray(jd_ut1, dtype=np.float64)
    fraction_ut1 = np.asarray(fraction_ut1, dtype=np.float64)
    t = (jd_ut1 - _JD_J2000 + fraction_ut1) / 36525.0
    g = 67310.54841 + (8640184.812866 + (0.093104 + (-6.2e-6) * t) * t) * t
    dg = 8640184.812866 + (0.093104 * 2.0 + (-6.2e-6 * 3.0) * t) * t
    theta = ((jd_ut1 % 1.0) + fraction_ut1 + g / _DAY_S) % 1.0 * _TAU
    theta_dot = (1.0 + dg / (_DAY_S * 36525.0)) * _TAU / _DAY_S
    return theta, theta_dot


@njit(cache=CACHE, inline="always")
def _polar(x, y, z, xp, yp):
    """Apply W^T (PEF -> ITRF) for polar motion angles xp, yp in radians (AIAA 2006-6753 eq. C-4)."""
    if xp == 0.0 and yp == 0.0:
        return x, y, z
    cx, sx = math.cos(xp), math.sin(xp)
    cy, sy = math.cos(yp), math.sin(yp)
    return (cx * x + sx * sy * y + sx * cy * z,
            cy * y - sy * z,
            -sx * x + cx * sy * y + cx * cy * z)


@njit(cache=CACHE, inline="always")
def _geodetic(x, y, z):
    """WGS84 geodetic latitude (rad), longitude (rad) and height (km) of an ITRS point in km."""
    a = WGS84_A_KM
    e2 = WGS84_E2
    b = a * (1.0 - WGS84_F)
    ep2 = e2 / (1.0 - e2)
    p = math.hypot(x, y)
    lon = math.atan2(y, x)
    th = math.atan2(z * a, p * b)
    st, ct = math.sin(th), math.cos(th)
    lat = math.atan2(z + ep2 * b * st * st * st, p - e2 * a * ct * ct * ct)
    for _ in range(2):  # Bowring's start is already sub-metre to GEO; two fixed-point steps reach ~1e-12
        sl = math.sin(lat)
        n = a / math.sqrt(1.0 - e2 * sl * sl)
        h = p * math.cos(lat) + z * sl - a * a / n
        lat = math.atan2(z, p * (1.0 - e2 * n / (n + h)))
    sl, cl = math.sin(lat), math.cos(lat)
    h = p * cl + z * sl - a * math.sqrt(1.0 - e2 * sl * sl)
    return lat, lon, h


@njit(cache=CACHE, parallel=True)
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
    ns, nt = r_teme.shape[0], r_teme.shape[1]
    r_out = np.empty_like(r_teme)
    v_out = np.empty_like(v_teme)
    lat_deg = np.empty((ns, nt))
    lon_deg = np.empty((ns, nt))
    alt_km = np.empty((ns, nt))
    for k in prange(ns * nt):
        i = k // nt
        j = k - i * nt
        c, s = math.cos(theta[j]), math.sin(theta[j])
        x, y, z = r_teme[i, j, 0], r_teme[i, j, 1], r_teme[i, j, 2]
        vx, vy, vz = v_teme[i, j, 0], v_teme[i, j, 1], v_teme[i, j, 2]
        # TEME -> PEF: R3(theta); velocity also loses the frame rotation  omega x r_pef.
        xp_ = c * x + s * y
        yp_ = -s * x + c * y
        w = theta_dot[j]
        vxp = c * vx + s * vy + w * yp_
        vyp = -s * vx + c * vy - w * xp_
        X, Y, Z = _polar(xp_, yp_, z, xp[j], yp[j])
        VX, VY, VZ = _polar(vxp, vyp, vz, xp[j], yp[j])
        r_out[i, j, 0], r_out[i, j, 1], r_out[i, j, 2] = X, Y, Z
        v_out[i, j, 0], v_out[i, j, 1], v_out[i, j, 2] = VX, VY, VZ
        lat, lon, h = _geodetic(X, Y, Z)
        lat_deg[i, j] = math.degrees(lat)
        lon_deg[i, j] = math.degrees(lon)
        alt_km[i, j] = h
    return r_out, v_out, lat_deg, lon_deg, alt_km


@njit(cache=CACHE, parallel=True)
def teme_to_itrs_positions(r_teme, theta, xp, yp):
    """Positions only: TEME (n_sat, n_time, 3) km -> ITRS km, for the coverage kernels' hot path."""
    ns, nt = r_teme.shape[0], r_teme.shape[1]
    out = np.empty_like(r_teme)
    for k in prange(ns * nt):
        i = k // nt
        j = k - i * nt
        c, s = math.cos(theta[j]), math.sin(theta[j])
        x, y, z = r_teme[i, j, 0], r_teme[i, j, 1], r_teme[i, j, 2]
        X, Y, Z = _polar(c * x + s * y, -s * x + c * y, z, xp[j], yp[j])
        out[i, j, 0], out[i, j, 1], out[i, j, 2] = X, Y, Z
    return out


@njit(cache=CACHE, parallel=True)
def geodetic_from_itrs(r_itrs):
    """WGS84 geodetic (lat_deg, lon_deg, alt_km) of ITRS points ``(..., 3)`` flattened to ``(n, 3)``."""
    n = r_itrs.shape[0]
    lat = np.empty(n)
    lon = np.empty(n)
    alt = np.empty(n)
    for k in prange(n):
        a, b, h = _geodetic(r_itrs[k, 0], r_itrs[k, 1], r_itrs[k, 2])
        lat[k] = math.degrees(a)
        lon[k] = math.degrees(b)
        alt[k] = h
    return lat, lon, alt


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
