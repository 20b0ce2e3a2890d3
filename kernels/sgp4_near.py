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

How it is made fast: satellites are processed in blocks of :data:`BLOCK` lanes whose coefficients are
gathered once per block into structure-of-arrays rows, with the per-satellite constants ``(xke /
no_unkozai)^(2/3)``, ``sin`` and ``cos`` of the inclination, ``bstar * cc4``, ``bstar * cc5`` and the
velocity unit hoisted out of the time loop; the satellites left over after the last whole block are packed
one satellite-time a lane (:func:`_task_pairs`), so a small set wastes no lanes. Every pass over a block
(each lane carries its own time) runs three branch-free loops over the lanes that LLVM turns into SIMD code:
the secular and long-period terms (:func:`_secular`), Kepler's equation (:func:`_kepler_step`), and the
short-period terms with the orientation vectors (:func:`_short_period`). Branches of the reference code
become selects (both sides are evaluated; the error code is assembled in python-sgp4's order of precedence).
``sin``, ``cos`` and ``atan2`` are inline polynomials (:func:`~.fastmath.poly_sincos`,
:func:`~.fastmath.poly_atan2`; libm calls would stop the vectoriser, as numba has no vector math library
here), within about one unit in the last place of libm's; ``fmod(x, 2 pi)`` is :func:`~.fastmath.fmod_2pi`,
which returns the same bits. A few rewrites change only rounding: ``am^1.5 = am sqrt(am)``, ``nm / xke =
am^-1.5``, ``sqrt(pl) = sqrt(am) betal`` and one reciprocal of ``rl``. Against python-sgp4 the differences
stay near 1e-11 km and 1e-14 km/s on LEO shells.

Kepler's equation keeps the reference iteration exactly: Newton-Raphson from ``E = U``, steps clamped to
0.95 rad, stop once a step is below 1e-12 rad, at most 10 steps, and the sine and cosine of the
last-but-one iterate used afterwards.  Each lane stops on its own condition (a stopped lane is left
untouched by the masked update) and the block iterates until every lane has stopped.

Every loop runs all :data:`BLOCK` lanes (a last partial pass repeats a lane), one lane a step (the
vectoriser takes several lanes a step and interleaves them), so the trip count is a constant, every lane
goes through the same SIMD instructions and there is no scalar remainder: a satellite's numbers never depend
on which others share its block or call. Nothing is reassociated. The Kepler and short-period loops let LLVM
fuse multiply-adds (numba ``fastmath={"contract"}`` only); the secular loop does not, because its angles
reach thousands of radians and must round as python-sgp4's do (a fused ``mdot * t`` moves them by an ulp, a
few 1e-9 km). The sine and cosine polynomials use explicit fused multiply-adds (:func:`~.fastmath.fma`), so
they give the same bits in either kind of loop; the inline arctangent follows its loop's rule.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from . import CACHE
from .fastmath import fmod_2pi, poly_atan2, poly_sincos
from .parallel import run_ranges

__all__ = ["FIELDS", "BLOCK", "sgp4_near", "sgp4_tasks", "split_tasks"]

#: Columns of the coefficient table ``params`` (python-sgp4 ``Satrec`` attribute names).
FIELDS = ("jdsatepoch", "jdsatepochF", "mo", "mdot", "argpo", "argpdot", "nodeo", "nodedot", "nodecf",
          "cc1", "cc4", "cc5", "bstar", "t2cof", "t3cof", "t4cof", "t5cof", "isimp", "omgcof", "eta",
          "xmcof", "delmo", "d2", "d3", "d4", "sinmao", "no_unkozai", "ecco", "inclo", "aycof", "xlcof",
          "con41", "x1mth2", "x7thm1", "xke", "j2", "radiusearthkm")

#: Satellites per block (SIMD lanes are formed within a block).
BLOCK = 64

# Per block, coefficients and state live in one flat array, one row of BLOCK lanes per quantity; the names
# below are the rows' offsets (compile-time constants, so that LLVM sees every access as one base pointer
# plus a constant and vectorises without run-time aliasing checks or a scalar fallback loop).
# coefficient rows: FIELDS' columns, then the hoisted per-satellite constants
(_JD, _JDF, _MO, _MDOT, _ARGPO, _ARGPDOT, _NODEO, _NODEDOT, _NODECF, _CC1, _CC4, _CC5, _BSTAR, _T2COF,
 _T3COF, _T4COF, _T5COF, _ISIMP, _OMGCOF, _ETA, _XMCOF, _DELMO, _D2, _D3, _D4, _SINMAO, _NO, _ECCO, _INCLO,
 _AYCOF, _XLCOF, _CON41, _X1MTH2, _X7THM1, _XKE, _J2, _RE) = range(0, 37 * BLOCK, BLOCK)
_AM0, _SINIP, _COSIP, _VKM, _BC4, _BC5 = range(37 * BLOCK, 43 * BLOCK, BLOCK)
_NCOEF = 43
# state rows
(_TJD, _TFR, _U, _AXNL, _AYNL, _AM, _NODEP, _CODE, _EO1, _TEM5, _SINE, _COSE, _RX, _RY, _RZ, _VX, _VY,
 _VZ) = range(_NCOEF * BLOCK, (_NCOEF + 18) * BLOCK, BLOCK)
_NSTATE = 18
# satellite-time lanes per task of the remainder (satellites beyond the last whole block)
_PAIR_TASK = 16 * BLOCK
# the work is cut into at least this many tasks when there is enough (the numbers do not depend on the cut)
_MIN_TASKS = 32


@njit(cache=CACHE, inline="always", nogil=True, error_model="numpy")
def _gather(params, i, w, l):
    """Copy the coefficients of satellite ``i`` (row of ``params``) into lane ``l`` of ``w`` and add the
    per-satellite constants that do not depend on time."""
    for f in range(37):
        w[f * BLOCK + l] = params[i, f]
    no = params[i, 26]
    xke = params[i, 34]
    w[_AM0 + l] = math.pow(xke / no, 2.0 / 3.0) if no > 0.0 else np.nan
    w[_SINIP + l] = math.sin(params[i, 28])
    w[_COSIP + l] = math.cos(params[i, 28])
    w[_VKM + l] = params[i, 36] * xke / 60.0
    w[_BC4 + l] = params[i, 12] * params[i, 10]
    w[_BC5 + l] = params[i, 12] * params[i, 11]


@njit(cache=CACHE, inline="always", nogil=True, error_model="numpy")
def _secular(w):
    """Secular gravity and drag, then the long-period periodics, for every lane of the block at its UTC time
    (AIAA 2006-6753 ``sgp4()`` up to Kepler's equation); codes 2 and 1 in the state."""
    for l in range(BLOCK):
        t = (w[_TJD + l] - w[_JD + l]) * 1440.0 + (w[_TFR + l] - w[_JDF + l]) * 1440.0
        xmdf = w[_MO + l] + w[_MDOT + l] * t
        argpdf = w[_ARGPO + l] + w[_ARGPDOT + l] * t
        nodedf = w[_NODEO + l] + w[_NODEDOT + l] * t
        t2 = t * t
        nodem = nodedf + w[_NODECF + l] * t2
        tempa = 1.0 - w[_CC1 + l] * t
        tempe = w[_BC4 + l] * t
        templ = w[_T2COF + l] * t2
        # the isimp != 1 terms, evaluated for every lane and selected
        delomg = w[_OMGCOF + l] * t
        _, cxm = poly_sincos(xmdf)
        delmtemp = 1.0 + w[_ETA + l] * cxm
        delm = w[_XMCOF + l] * (delmtemp * delmtemp * delmtemp - w[_DELMO + l])
        temp = delomg + delm
        mm_f = xmdf + temp
        t3 = t2 * t
        t4 = t3 * t
        smm, _ = poly_sincos(mm_f)
        full = w[_ISIMP + l] != 1.0
        mm = mm_f if full else xmdf
        argpm = argpdf - temp if full else argpdf
        tempa = tempa - w[_D2 + l] * t2 - w[_D3 + l] * t3 - w[_D4 + l] * t4 if full else tempa
        tempe = tempe + w[_BC5 + l] * (smm - w[_SINMAO + l]) if full else tempe
        templ = templ + w[_T3COF + l] * t3 + t4 * (w[_T4COF + l] + t * w[_T5COF + l]) if full else templ
        nm0 = w[_NO + l]
        am = w[_AM0 + l] * tempa * tempa
        em = w[_ECCO + l] - tempe
        code = 1.0 if (em >= 1.0) | (em < -0.001) else 0.0
        code = 2.0 if nm0 <= 0.0 else code
        em = 1.0e-6 if em < 1.0e-6 else em
        mm = mm + nm0 * templ
        xlm = mm + argpm + nodem
        nodem = fmod_2pi(nodem)
        argpm = fmod_2pi(argpm)
        xlm = fmod_2pi(xlm)
        mm = fmod_2pi(xlm - argpm - nodem)
        # long-period periodics
        sargp, cargp = poly_sincos(argpm)
        axnl = em * cargp
        temp = 1.0 / (am * (1.0 - em * em))
        aynl = em * sargp + temp * w[_AYCOF + l]
        xl = mm + argpm + nodem + temp * w[_XLCOF + l] * axnl
        u = fmod_2pi(xl - nodem)
        w[_U + l] = u
        w[_AXNL + l] = axnl
        w[_AYNL + l] = aynl
        w[_AM + l] = am
        w[_NODEP + l] = nodem
        w[_CODE + l] = code
        w[_EO1 + l] = u
        w[_TEM5 + l] = 9999.9


@njit(cache=CACHE, nogil=True, error_model="numpy", fastmath={"contract"})
def _kepler_step(w):
    """One Newton-Raphson step of Kepler's equation for every lane of the block that has not stopped
    (``|tem5| < 1e-12``, or NaN: it is left as it is); returns how many lanes go on."""
    going = 0
    for l in range(BLOCK):
        e = w[_EO1 + l]
        d = w[_TEM5 + l]
        act = abs(d) >= 1.0e-12
        s, c = poly_sincos(e)
        ax = w[_AXNL + l]
        ay = w[_AYNL + l]
        dn = (w[_U + l] - ay * c + ax * s - e) / (1.0 - c * ax - s * ay)
        dn = (0.95 if dn > 0.0 else -0.95) if abs(dn) >= 0.95 else dn
        w[_EO1 + l] = e + dn if act else e
        w[_TEM5 + l] = dn if act else d
        w[_SINE + l] = s if act else w[_SINE + l]
        w[_COSE + l] = c if act else w[_COSE + l]
        going += 1 if act & (abs(dn) >= 1.0e-12) else 0
    return going


@njit(cache=CACHE, nogil=True, error_model="numpy", fastmath={"contract"})
def _short_period(w):
    """Short-period periodics and the orientation vectors (AIAA 2006-6753 ``sgp4()`` after Kepler's
    equation) for every lane of the block: TEME km and km/s into the state's ``_RX .. _VZ``; codes 4 and 6
    added."""
    for l in range(BLOCK):
        ax = w[_AXNL + l]
        ay = w[_AYNL + l]
        a = w[_AM + l]
        s = w[_SINE + l]
        c = w[_COSE + l]
        ecose = ax * c + ay * s
        esine = ax * s - ay * c
        el2 = ax * ax + ay * ay
        pl = a * (1.0 - el2)
        rl = a * (1.0 - ecose)
        irl = 1.0 / rl
        sa = math.sqrt(a)
        rdotl = sa * esine * irl
        betal = math.sqrt(1.0 - el2)
        rvdotl = sa * betal * irl  # sqrt(pl) / rl
        temp = esine / (1.0 + betal)
        arl = a * irl
        sinu = arl * (s - ay - ax * temp)
        cosu = arl * (c - ax + ay * temp)
        su = poly_atan2(sinu, cosu)
        sin2u = (cosu + cosu) * sinu
        cos2u = 1.0 - 2.0 * sinu * sinu
        temp = 1.0 / pl
        temp1 = 0.5 * w[_J2 + l] * temp
        temp2 = temp1 * temp
        cip = w[_COSIP + l]
        con41 = w[_CON41 + l]
        x1mth2 = w[_X1MTH2 + l]
        nmk = 1.0 / (a * sa)  # nm / xke, with nm = xke / am^1.5
        mrt = rl * (1.0 - 1.5 * temp2 * betal * con41) + 0.5 * temp1 * x1mth2 * cos2u
        su = su - 0.25 * temp2 * w[_X7THM1 + l] * sin2u
        xnode = w[_NODEP + l] + 1.5 * temp2 * cip * sin2u
        xinc = w[_INCLO + l] + 1.5 * temp2 * cip * w[_SINIP + l] * cos2u
        mvt = rdotl - nmk * temp1 * x1mth2 * sin2u
        rvdot = rvdotl + nmk * temp1 * (x1mth2 * cos2u + 1.5 * con41)
        sinsu, cossu = poly_sincos(su)
        snod, cnod = poly_sincos(xnode)
        sini, cosi = poly_sincos(xinc)
        xmx = -snod * cosi
        xmy = cnod * cosi
        ux = xmx * sinsu + cnod * cossu
        uy = xmy * sinsu + snod * cossu
        uz = sini * sinsu
        wx = xmx * cossu - cnod * sinsu
        wy = xmy * cossu - snod * sinsu
        wz = sini * cossu
        mr = mrt * w[_RE + l]
        vk = w[_VKM + l]
        w[_RX + l] = mr * ux
        w[_RY + l] = mr * uy
        w[_RZ + l] = mr * uz
        w[_VX + l] = (mvt * ux + rvdot * wx) * vk
        w[_VY + l] = (mvt * uy + rvdot * wy) * vk
        w[_VZ + l] = (mvt * uz + rvdot * wz) * vk
        k = w[_CODE + l]
        k = 6.0 if (k == 0.0) & (mrt < 1.0) else k
        w[_CODE + l] = 4.0 if ((k == 0.0) | (k == 6.0)) & (pl < 0.0) else k


@njit(cache=CACHE, nogil=True, error_model="numpy")
def _propagate_lanes(w):
    """SGP4 for every lane of ``w`` (coefficients and times filled in)."""
    _secular(w)
    for _ in range(10):
        if _kepler_step(w) == 0:
            break
    _short_period(w)


@njit(cache=CACHE, inline="always", nogil=True, error_model="numpy")
def _write_lane(w, l, r_out, v_out, err_out, j, i):
    """Lane ``l``'s result into satellite ``i`` at time ``j`` of the outputs (NaN positions and velocities
    for codes 1, 2 and 4, as python-sgp4)."""
    code = w[_CODE + l]
    bad = (code == 1.0) | (code == 2.0) | (code == 4.0)
    r_out[j, i, 0] = np.nan if bad else w[_RX + l]
    r_out[j, i, 1] = np.nan if bad else w[_RY + l]
    r_out[j, i, 2] = np.nan if bad else w[_RZ + l]
    v_out[j, i, 0] = np.nan if bad else w[_VX + l]
    v_out[j, i, 1] = np.nan if bad else w[_VY + l]
    v_out[j, i, 2] = np.nan if bad else w[_VZ + l]
    err_out[j, i] = np.uint8(code)


@njit(cache=CACHE, inline="always", nogil=True, error_model="numpy")
def _task_block(params, rows, jd, fr, r_out, v_out, err_out, k0, j0, j1):
    """The :data:`BLOCK` satellites ``rows[k0:k0 + BLOCK]`` (one a lane, coefficients gathered once) at
    times ``j0:j1``."""
    w = np.zeros((_NCOEF + _NSTATE) * BLOCK)
    for l in range(BLOCK):
        _gather(params, rows[k0 + l], w, l)
    for j in range(j0, j1):
        tj = jd[j]
        tf = fr[j]
        for l in range(BLOCK):
            w[_TJD + l] = tj
            w[_TFR + l] = tf
        _propagate_lanes(w)
        for l in range(BLOCK):
            i = rows[k0 + l]
            _write_lane(w, l, r_out, v_out, err_out, j, i)


@njit(cache=CACHE, inline="always", nogil=True, error_model="numpy")
def _task_pairs(params, rows, jd, fr, r_out, v_out, err_out, k0, mt, p0, p1):
    """Satellite-times ``p0:p1`` of the satellites ``rows[k0:k0 + mt]`` (fewer than a block) at all times,
    numbered time-major (``p = j mt + k``), :data:`BLOCK` of them a pass, one a lane; a last partial pass
    repeats its last satellite-time in the spare lanes (their results are not written, and such a copy
    stops Kepler's iteration exactly when its original does)."""
    w = np.zeros((_NCOEF + _NSTATE) * BLOCK)
    tail = np.zeros(_NCOEF * BLOCK)  # the mt satellites' coefficients, gathered once
    for k in range(mt):
        _gather(params, rows[k0 + k], tail, k)
    for q0 in range(p0, p1, BLOCK):
        q1 = min(p1, q0 + BLOCK)
        for l in range(BLOCK):
            p = min(q0 + l, q1 - 1)
            j = p // mt
            k = p - j * mt
            for f in range(_NCOEF):
                w[f * BLOCK + l] = tail[f * BLOCK + k]
            w[_TJD + l] = jd[j]
            w[_TFR + l] = fr[j]
        _propagate_lanes(w)
        for l in range(q1 - q0):
            p = q0 + l
            j = p // mt
            i = rows[k0 + p - j * mt]
            _write_lane(w, l, r_out, v_out, err_out, j, i)


def split_tasks(m: int, n: int, tasks: int = _MIN_TASKS) -> tuple[int, int, int, int, int]:
    """How :func:`sgp4_near` cuts ``m`` satellites at ``n`` times into tasks: whole blocks of satellites
    times chunks of times, ``(n_blocks, n_chunks, chunk_len)``, at least about ``tasks`` of them when there
    is enough work, and the remaining satellites' satellite-times in tasks of :data:`_PAIR_TASK`,
    ``(n_tail_sats, n_pair_tasks)``."""
    nb = m // BLOCK
    nc = min(n, max(1, (tasks + nb - 1) // nb)) if nb > 0 else 1
    cl = (n + nc - 1) // nc
    nc = (n + cl - 1) // cl
    mt = m - nb * BLOCK
    npt = (mt * n + _PAIR_TASK - 1) // _PAIR_TASK
    return nb, nc, cl, mt, npt


@njit(cache=CACHE, nogil=True, error_model="numpy")
def sgp4_tasks(q0, q1, params, rows, jd, fr, r_out, v_out, err_out, nc, cl):
    """Tasks ``q0 .. q1 - 1`` of :func:`sgp4_near` (numbered as :func:`split_tasks` cuts the work: the
    block tasks first, block-major, then the tasks of the remaining satellites)."""
    m = rows.shape[0]
    n = jd.shape[0]
    nb = m // BLOCK
    mt = m - nb * BLOCK
    for q in range(q0, q1):
        if q < nb * nc:
            b = q // nc
            c = q - b * nc
            _task_block(params, rows, jd, fr, r_out, v_out, err_out, b * BLOCK, c * cl, min(n, (c + 1) * cl))
        else:
            p0 = (q - nb * nc) * _PAIR_TASK
            _task_pairs(params, rows, jd, fr, r_out, v_out, err_out, nb * BLOCK, mt, p0,
                        min(mt * n, p0 + _PAIR_TASK))


def sgp4_near(params: np.ndarray, rows: np.ndarray, jd: np.ndarray, fr: np.ndarray, r_out: np.ndarray,
              v_out: np.ndarray, err_out: np.ndarray, *, parallel: bool = True) -> None:
    """SGP4 (near-Earth) for satellites ``rows`` at UTC two-part Julian dates ``jd + fr``.

    Parameters
    ----------
    params : float64 (n_sat, len(FIELDS)), C-contiguous
        Coefficients from python-sgp4's ``sgp4init``, columns as :data:`FIELDS`.
    rows : int64 (m,)
        Which satellites (rows of ``params`` and columns of the outputs) to propagate.
    jd, fr : float64 (n_time,)
        Whole and fractional parts of the UTC Julian dates; minutes since epoch are formed as
        python-sgp4 forms them, ``(jd - jdsatepoch) * 1440 + (fr - jdsatepochF) * 1440``.
    r_out, v_out : float64 (n_time, n_sat, 3), C-contiguous
        TEME positions (km) and velocities (km/s), time-major; written for ``rows`` only (NaN where the
        code is 1, 2 or 4).
    err_out : uint8 (n_time, n_sat)
        python-sgp4 error codes, written for ``rows`` only.
    parallel : bool
        Run the tasks on every thread (:func:`constellation.kernels.parallel.run_ranges`) or on the calling
        thread only.

    Every satellite-time gets the same numbers however the work is split (over threads, or between
    calls).
    """
    m = rows.shape[0]
    n = jd.shape[0]
    if m == 0 or n == 0:
        return
    nb, nc, cl, mt, npt = split_tasks(m, n)
    run_ranges(sgp4_tasks, nb * nc + npt, params, rows, jd, fr, r_out, v_out, err_out, nc, cl,
               parallel=parallel)
