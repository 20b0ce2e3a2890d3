"""Near-Earth SGP4 propagation step in numba: many satellites and times, parallel, without the GIL.

This is the propagation half of SGP4 (``sgp4()`` in Vallado, Crawford, Hujsak and Kelso, "Revisiting
Spacetrack Report #3", AIAA 2006-6753, and Hoots and Roehrich, Spacetrack Report No. 3, 1980) for
near-Earth element sets (``method 'n'``, orbital period under 225 minutes), written from that paper's
equations in the order of its reference implementation so that results agree with python-sgp4 to
rounding.  The initialisation half (``sgp4init``) is not repeated here: the caller passes the
per-satellite coefficients that python-sgp4's own ``sgp4init`` computed, one row per satellite in the
column order of :data:`FIELDS`.  Deep-space element sets (``method 'd'``, SDP4's lunar-solar and
resonance terms) are left to python-sgp4.

Error codes are python-sgp4's: 1 mean eccentricity out of range, 2 mean motion not positive,
4 semilatus rectum negative, 6 decayed (radius below one Earth radius; positions are still written, as
python-sgp4 does).  Codes 1, 2 and 4 leave NaN positions.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from . import CACHE

__all__ = ["FIELDS", "sgp4_near", "sgp4_near_serial"]

#: Columns of the coefficient table ``params`` (python-sgp4 ``Satrec`` attribute names).
FIELDS = ("jdsatepoch", "jdsatepochF", "mo", "mdot", "argpo", "argpdot", "nodeo", "nodedot", "nodecf",
          "cc1", "cc4", "cc5", "bstar", "t2cof", "t3cof", "t4cof", "t5cof", "isimp", "omgcof", "eta",
          "xmcof", "delmo", "d2", "d3", "d4", "sinmao", "no_unkozai", "ecco", "inclo", "aycof", "xlcof",
          "con41", "x1mth2", "x7thm1", "xke", "j2", "radiusearthkm")


@njit(cache=CACHE, inline="always", nogil=True, error_model="numpy")
def _one(params, i, tsince, r_out, v_out, j):
    """Propagate satellite ``i`` (row of ``params``) to ``tsince`` minutes; write ``r_out[j, i]`` (km) and
    ``v_out[j, i]`` (km/s); return the error code.  Scalars only: no array views inside the parallel loop."""
    twopi = 2.0 * math.pi
    x2o3 = 2.0 / 3.0
    mo = params[i, 2]
    mdot = params[i, 3]
    argpo = params[i, 4]
    argpdot = params[i, 5]
    nodeo = params[i, 6]
    nodedot = params[i, 7]
    nodecf = params[i, 8]
    cc1 = params[i, 9]
    cc4 = params[i, 10]
    cc5 = params[i, 11]
    bstar = params[i, 12]
    t2cof = params[i, 13]
    t3cof = params[i, 14]
    t4cof = params[i, 15]
    t5cof = params[i, 16]
    isimp = params[i, 17]
    omgcof = params[i, 18]
    eta = params[i, 19]
    xmcof = params[i, 20]
    delmo = params[i, 21]
    d2 = params[i, 22]
    d3 = params[i, 23]
    d4 = params[i, 24]
    sinmao = params[i, 25]
    no_unkozai = params[i, 26]
    ecco = params[i, 27]
    inclo = params[i, 28]
    aycof = params[i, 29]
    xlcof = params[i, 30]
    con41 = params[i, 31]
    x1mth2 = params[i, 32]
    x7thm1 = params[i, 33]
    xke = params[i, 34]
    j2 = params[i, 35]
    radiusearthkm = params[i, 36]
    vkmpersec = radiusearthkm * xke / 60.0
    t = tsince
    # secular gravity and atmospheric drag
    xmdf = mo + mdot * t
    argpdf = argpo + argpdot * t
    nodedf = nodeo + nodedot * t
    argpm = argpdf
    mm = xmdf
    t2 = t * t
    nodem = nodedf + nodecf * t2
    tempa = 1.0 - cc1 * t
    tempe = bstar * cc4 * t
    templ = t2cof * t2
    if isimp != 1.0:
        delomg = omgcof * t
        delmtemp = 1.0 + eta * math.cos(xmdf)
        delm = xmcof * (delmtemp * delmtemp * delmtemp - delmo)
        temp = delomg + delm
        mm = xmdf + temp
        argpm = argpdf - temp
        t3 = t2 * t
        t4 = t3 * t
        tempa = tempa - d2 * t2 - d3 * t3 - d4 * t4
        tempe = tempe + bstar * cc5 * (math.sin(mm) - sinmao)
        templ = templ + t3cof * t3 + t4 * (t4cof + t * t5cof)
    nm = no_unkozai
    em = ecco
    inclm = inclo
    if nm <= 0.0:
        return 2
    am = math.pow(xke / nm, x2o3) * tempa * tempa
    nm = xke / math.pow(am, 1.5)
    em = em - tempe
    if em >= 1.0 or em < -0.001:
        return 1
    if em < 1.0e-6:
        em = 1.0e-6
    mm = mm + no_unkozai * templ
    xlm = mm + argpm + nodem
    nodem = np.fmod(nodem, twopi)
    argpm = np.fmod(argpm, twopi)
    xlm = np.fmod(xlm, twopi)
    mm = np.fmod(xlm - argpm - nodem, twopi)
    sinip = math.sin(inclm)
    cosip = math.cos(inclm)
    ep = em
    xincp = inclm
    argpp = argpm
    nodep = nodem
    mp = mm
    # long-period periodics
    axnl = ep * math.cos(argpp)
    temp = 1.0 / (am * (1.0 - ep * ep))
    aynl = ep * math.sin(argpp) + temp * aycof
    xl = mp + argpp + nodep + temp * xlcof * axnl
    # Kepler's equation (Newton-Raphson, steps limited to 0.95 rad, at most 10 iterations)
    u = np.fmod(xl - nodep, twopi)
    eo1 = u
    tem5 = 9999.9
    ktr = 1
    sineo1 = 0.0
    coseo1 = 0.0
    while abs(tem5) >= 1.0e-12 and ktr <= 10:
        sineo1 = math.sin(eo1)
        coseo1 = math.cos(eo1)
        tem5 = 1.0 - coseo1 * axnl - sineo1 * aynl
        tem5 = (u - aynl * coseo1 + axnl * sineo1 - eo1) / tem5
        if abs(tem5) >= 0.95:
            tem5 = 0.95 if tem5 > 0.0 else -0.95
        eo1 = eo1 + tem5
        ktr = ktr + 1
    # short-period preliminary quantities
    ecose = axnl * coseo1 + aynl * sineo1
    esine = axnl * sineo1 - aynl * coseo1
    el2 = axnl * axnl + aynl * aynl
    pl = am * (1.0 - el2)
    if pl < 0.0:
        return 4
    rl = am * (1.0 - ecose)
    rdotl = math.sqrt(am) * esine / rl
    rvdotl = math.sqrt(pl) / rl
    betal = math.sqrt(1.0 - el2)
    temp = esine / (1.0 + betal)
    sinu = am / rl * (sineo1 - aynl - axnl * temp)
    cosu = am / rl * (coseo1 - axnl + aynl * temp)
    su = math.atan2(sinu, cosu)
    sin2u = (cosu + cosu) * sinu
    cos2u = 1.0 - 2.0 * sinu * sinu
    temp = 1.0 / pl
    temp1 = 0.5 * j2 * temp
    temp2 = temp1 * temp
    # short-period periodics
    mrt = rl * (1.0 - 1.5 * temp2 * betal * con41) + 0.5 * temp1 * x1mth2 * cos2u
    su = su - 0.25 * temp2 * x7thm1 * sin2u
    xnode = nodep + 1.5 * temp2 * cosip * sin2u
    xinc = xincp + 1.5 * temp2 * cosip * sinip * cos2u
    mvt = rdotl - nm * temp1 * x1mth2 * sin2u / xke
    rvdot = rvdotl + nm * temp1 * (x1mth2 * cos2u + 1.5 * con41) / xke
    # orientation vectors
    sinsu = math.sin(su)
    cossu = math.cos(su)
    snod = math.sin(xnode)
    cnod = math.cos(xnode)
    sini = math.sin(xinc)
    cosi = math.cos(xinc)
    xmx = -snod * cosi
    xmy = cnod * cosi
    ux = xmx * sinsu + cnod * cossu
    uy = xmy * sinsu + snod * cossu
    uz = sini * sinsu
    vx = xmx * cossu - cnod * sinsu
    vy = xmy * cossu - snod * sinsu
    vz = sini * cossu
    mr = mrt * radiusearthkm
    r_out[j, i, 0] = mr * ux
    r_out[j, i, 1] = mr * uy
    r_out[j, i, 2] = mr * uz
    v_out[j, i, 0] = (mvt * ux + rvdot * vx) * vkmpersec
    v_out[j, i, 1] = (mvt * uy + rvdot * vy) * vkmpersec
    v_out[j, i, 2] = (mvt * uz + rvdot * vz) * vkmpersec
    if mrt < 1.0:
        return 6
    return 0


@njit(cache=CACHE, parallel=True, nogil=True, error_model="numpy")
def sgp4_near(params, rows, jd, fr, r_out, v_out, err_out):
    """SGP4 (near-Earth) for satellites ``rows`` at UTC two-part Julian dates ``jd + fr``.

    Parameters
    ----------
    params : float64 (n_sat, len(FIELDS))
        Coefficients from python-sgp4's ``sgp4init``, columns as :data:`FIELDS`.
    rows : int64 (m,)
        Which satellites (rows of ``params`` and columns of the outputs) to propagate.
    jd, fr : float64 (n_time,)
        Whole and fractional parts of the UTC Julian dates; minutes since epoch are formed as
        python-sgp4 forms them, ``(jd - jdsatepoch) * 1440 + (fr - jdsatepochF) * 1440``.
    r_out, v_out : float64 (n_time, n_sat, 3)
        TEME positions (km) and velocities (km/s), time-major; written for ``rows`` only (NaN where the
        code is 1, 2 or 4).
    err_out : uint8 (n_time, n_sat)
        python-sgp4 error codes, written for ``rows`` only.
    """
    m = rows.shape[0]
    for q in prange(jd.shape[0] * m):
        _step(params, rows, jd, fr, r_out, v_out, err_out, q // m, q - (q // m) * m)


@njit(cache=CACHE, nogil=True, error_model="numpy")
def sgp4_near_serial(params, rows, jd, fr, r_out, v_out, err_out):
    """:func:`sgp4_near` on the calling thread only, for small batches (same numbers, no thread team)."""
    m = rows.shape[0]
    for q in range(jd.shape[0] * m):
        _step(params, rows, jd, fr, r_out, v_out, err_out, q // m, q - (q // m) * m)


@njit(cache=CACHE, inline="always", nogil=True, error_model="numpy")
def _step(params, rows, jd, fr, r_out, v_out, err_out, j, k):
    i = rows[k]
    tsince = (jd[j] - params[i, 0]) * 1440.0 + (fr[j] - params[i, 1]) * 1440.0
    code = _one(params, i, tsince, r_out, v_out, j)
    if code != 0 and code != 6:
        for c in range(3):
            r_out[j, i, c] = np.nan
            v_out[j, i, c] = np.nan
    err_out[j, i] = code
