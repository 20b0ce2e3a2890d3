"""Visibility: the exact test that decides whether a satellite serves a ground point, and per-satellite geometry.

A satellite at ``S`` serves a ground point ``P`` with unit WGS84 ellipsoid normal ``U`` (all ITRS, km)
when, with ``d = S - P``,

* elevation: ``d . U >= sin(eps) |d|`` (the elevation above the local horizon plane is at least the mask
  ``eps``; Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed., 2013, sec. 4.4), and
* optionally a nadir cone of half-angle ``eta``: ``S . d >= cos(eta) |S| |d|`` (the angle at ``S``
  between the nadir ``-S`` and ``P - S`` is at most ``eta``), about the geocentric nadir; or, for a
  geodetic-nadir cone (``use_cone == 2``), ``N . d >= cos(eta) |d|`` with ``N`` the unit WGS84 ellipsoid
  normal at the satellite's geodetic sub-point (:func:`geodetic_up`; the nadir is ``-N``).

:func:`serves` evaluates exactly these expressions; a brute force of every satellite against every cell
with them is what the coverage kernels reproduce, cell for cell.  :func:`margin` is the signed distance
from the threshold that edge refinement interpolates, and :func:`sat_geometry` gives each satellite's
geocentric coordinates and the conservative cap angle that prunes grid rows: the Earth central angle
``lambda = 90 deg - eps' - asin(r_min cos(eps') / |S|)`` with ``eps' = eps - 0.25 deg`` (the normal vs
radial bound) and ``r_min`` the smallest geocentric radius of any cell, and for a cone of less than 90 deg
(when ``eps' >= 0``, or when ``|S| sin(eta) < r_min cos(eps')``) ``asin(|S| sin(eta) / r_min) - eta``; a row can
only hold served cells if its geocentric latitude is within ``lambda`` of the sub-satellite point's.

The cone's cap: a cell at geocentric radius ``rho >= r_min`` and geocentric elevation ``eps_c >= 0`` lies
farther from nadir, seen from the satellite, the larger its central angle, and the cone's edge on the
sphere of radius ``rho`` is at ``asin(|S| sin(eta) / rho) - eta``, at most the cap.  A cell below the
geocentric horizon that the mask still admits (``eps' <= eps_c < 0``, with a mask near 0) is seen at
``asin(rho cos(eps_c) / |S|) >= asin(r_min cos(eps') / |S|)`` from nadir (the law of sines in the triangle
Earth centre - satellite - cell, whose angle at the cell is ``90 deg + eps_c``), outside the cone when
``|S| sin(eta) < r_min cos(eps')``.  For a geodetic-nadir cone ``eta`` is widened
by :data:`GEODETIC_AXIS_BOUND_DEG`: that cone lies inside the geocentric cone of the widened half-angle.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from . import CACHE
from .fastmath import poly_atan2
from .parallel import run_ranges

__all__ = ["serves", "margin", "crossing_time_fraction", "crossing_fraction_bent", "chord_bend", "sun_margin",
           "sun_crossing_fraction", "sat_geometry", "sat_geometry_steps", "GEO_FIELDS", "N_GEO",
           "SAT_F_FIELDS", "SAT_I_FIELDS", "NORMAL_RADIAL_BOUND_DEG", "CONTIGUOUS_CONE_MIN_MASK_DEG",
           "geodetic_up", "serves_about", "GEODETIC_AXIS_BOUND_DEG", "CONE_GEOCENTRIC", "CONE_GEODETIC"]

#: Bound on the angle between the WGS84 ellipsoid normal and the geocentric radial of any point at or
#: above the ellipsoid (the maximum is 0.1924 deg, at 45 deg latitude on the surface), with margin.
NORMAL_RADIAL_BOUND_DEG = 0.25
#: With a nadir cone, masks from this elevation up keep each satellite's served cells in a row one arc.
CONTIGUOUS_CONE_MIN_MASK_DEG = NORMAL_RADIAL_BOUND_DEG
#: Bound on the angle at a satellite between its geocentric nadir ``-S`` and its geodetic nadir (the
#: inward ellipsoid normal at its geodetic sub-point ``F``).  ``S = F + h N`` with ``h >= 0``, so ``S``
#: lies in the plane of ``F`` and ``N``, between them, and the angle between ``S`` and ``N`` is at most
#: the angle between ``F`` and ``N``: geodetic minus geocentric latitude of a point on the ellipsoid,
#: at most 0.1924 deg (at 45 deg latitude; Torge & Mueller, *Geodesy*, 4th ed., 2012, sec. 4.1).  Kept
#: equal to :data:`NORMAL_RADIAL_BOUND_DEG`, which already carries the margin.
GEODETIC_AXIS_BOUND_DEG = NORMAL_RADIAL_BOUND_DEG
#: Values of the ``cone`` column of ``sats_i``: no cone (0), a cone about the geocentric nadir (1) or
#: about the geodetic nadir (2).
CONE_GEOCENTRIC = 1
CONE_GEODETIC = 2
#: WGS84 (NIMA TR8350.2): equatorial radius (km), flattening, and derived polar radius and eccentricities.
_WGS84_A_KM = 6378.137
_WGS84_F = 1.0 / 298.257223563
_WGS84_B_KM = _WGS84_A_KM * (1.0 - _WGS84_F)
_WGS84_E2 = _WGS84_F * (2.0 - _WGS84_F)
_WGS84_EP2 = _WGS84_E2 / (1.0 - _WGS84_E2)
_CAP_MARGIN_RAD = 1e-5  # 64 m of extra cap radius for rounding in the pruning (exactness is not at stake)
#: Per-satellite, per-step geometry columns from :func:`sat_geometry`: horizontal and polar ITRS components
#: and radius (km), geocentric latitude and longitude, the cap angle that prunes rows (rad).
GEO_FIELDS = ("s_h_km", "s_z_km", "r_km", "lat_gc_rad", "lon_rad", "cap_rad")
GEO_SH, GEO_SZ, GEO_R, GEO_LAT, GEO_LON, GEO_CAP = range(6)
N_GEO = len(GEO_FIELDS)

#: The satellite requirement tables every kernel takes, one row per satellite: ``sats_f`` (float64) holds
#: the sine of the elevation mask and the cosine of the cone half-angle (-1 without a cone); ``sats_i``
#: (int64) the service index (-1: serves nothing), whether a cone applies and about which nadir
#: (:data:`CONE_GEOCENTRIC`, :data:`CONE_GEODETIC`; 0: none), whether the satellite's cells in
#: a row are provably one arc (:func:`constellation.kernels.rowmodel.contiguous_ok`) and whether its arc
#: ends may come from the analytic fast path (:func:`constellation.kernels.fastpath.fast_ok`).
SAT_F_FIELDS = ("sin_el", "cos_half")
SAT_SIN_EL, SAT_COS_HALF = range(2)
SAT_I_FIELDS = ("service", "cone", "contiguous", "fast")
SAT_SERV, SAT_CONE, SAT_CONTIG, SAT_FAST = range(4)

@njit(cache=CACHE, inline="always")
def serves(sx, sy, sz, px, py, pz, ux, uy, uz, sin_el, use_cone, cos_half):
    """Whether a satellite at ``(sx, sy, sz)`` serves the point ``(px, py, pz)`` with unit normal
    ``(ux, uy, uz)`` (ITRS km): elevation ``>= asin(sin_el)`` and, if ``use_cone``, inside the nadir
    cone of half-angle ``acos(cos_half)``.  NaN positions serve nothing."""
    ax = ay = az = 0.0
    if use_cone == CONE_GEODETIC:
        ax, ay, az = geodetic_up(sx, sy, sz)
    return serves_about(sx, sy, sz, px, py, pz, ux, uy, uz, sin_el, use_cone, cos_half, ax, ay, az)


@njit(cache=CACHE, inline="always")
def serves_about(sx, sy, sz, px, py, pz, ux, uy, uz, sin_el, use_cone, cos_half, ax, ay, az):
    """:func:`serves` with a geodetic-nadir cone's axis given: ``(ax, ay, az)``, the satellite's
    :func:`geodetic_up`, computed once for all the cells a satellite is tested against at a step (read
    only when ``use_cone`` is :data:`CONE_GEODETIC`)."""
    dx = sx - px
    dy = sy - py
    dz = sz - pz
    du = dx * ux + dy * uy + dz * uz
    rd = math.sqrt(dx * dx + dy * dy + dz * dz)
    if not (du >= sin_el * rd):
        return False
    if use_cone == CONE_GEODETIC:
        return ax * dx + ay * dy + az * dz >= cos_half * rd
    if use_cone:
        sd = sx * dx + sy * dy + sz * dz
        if not (sd >= cos_half * math.sqrt(sx * sx + sy * sy + sz * sz) * rd):
            return False
    return True


@njit(cache=CACHE, error_model="numpy")
def geodetic_up(sx, sy, sz):
    """Unit WGS84 ellipsoid normal ``(ux, uy, uz)`` at the geodetic sub-point of the ITRS position
    ``(sx, sy, sz)`` km (its geodetic latitude and longitude); the geodetic nadir is its opposite.

    Bowring's formula (Bowring 1976, *Survey Review* 23(181)) with one update of the reduced latitude:
    from ``tan(beta) = a z / (b p)``, ``tan(phi) = (z + e'^2 b sin^3 beta) / (p - e^2 a cos^3 beta)``,
    then ``tan(beta) = (b / a) tan(phi)`` and the formula once more.  Within 1e-12 rad of the converged
    latitude from LEO to beyond GEO (tests); no trigonometric call.  On the polar axis: ``(0, 0, +-1)``."""
    p = math.sqrt(sx * sx + sy * sy)
    if not (p > 0.0):
        return 0.0, 0.0, math.copysign(1.0, sz)
    cb = _WGS84_B_KM * p  # (cos beta, sin beta) up to a common factor
    sb = _WGS84_A_KM * sz
    num = den = 0.0
    for _ in range(2):  # Bowring's formula, then once more from the updated reduced latitude
        nn = math.sqrt(cb * cb + sb * sb)
        cb /= nn
        sb /= nn
        num = sz + _WGS84_EP2 * _WGS84_B_KM * sb * sb * sb  # (sin phi, cos phi) up to a common factor
        den = p - _WGS84_E2 * _WGS84_A_KM * cb * cb * cb
        cb = _WGS84_A_KM * den  # tan(beta) = (b / a) tan(phi)
        sb = _WGS84_B_KM * num
    nn = math.sqrt(num * num + den * den)
    c = den / (nn * p)
    return c * sx, c * sy, num / nn


@njit(cache=CACHE, error_model="numpy")
def margin(sx, sy, sz, px, py, pz, ux, uy, uz, sin_el, use_cone, cos_half):
    """Signed service margin, >= 0 exactly where :func:`serves` is true (up to rounding):
    ``min(sin(el) - sin_el, cos(nadir angle) - cos_half)`` (the cone term only with ``use_cone``; the
    nadir geocentric, or geodetic where ``use_cone`` is :data:`CONE_GEODETIC`).
    Its zero between two samples, on the interpolated positions, is a refined rise or set time
    (:func:`crossing_time_fraction`).  NaN for NaN positions."""
    dx = sx - px
    dy = sy - py
    dz = sz - pz
    rd = math.sqrt(dx * dx + dy * dy + dz * dz)
    m = (dx * ux + dy * uy + dz * uz) / rd - sin_el
    if use_cone == CONE_GEODETIC:
        nx, ny, nz = geodetic_up(sx, sy, sz)
        mc = (nx * dx + ny * dy + nz * dz) / rd - cos_half
        if mc < m:
            m = mc
    elif use_cone:
        mc = (sx * dx + sy * dy + sz * dz) / (math.sqrt(sx * sx + sy * sy + sz * sz) * rd) - cos_half
        if mc < m:
            m = mc
    return m


#: Constants of the position interpolation between two samples (:func:`interpolated_position`): the
#: WGS84 gravitational parameter (km^3/s^2), equatorial radius (km), the EGM96 J2 and the Earth's rotation
#: rate (rad/s, IERS).
MU_KM3_S2 = 398600.4418
RE_KM = 6378.137
J2 = 1.08262668e-3
OMEGA_RAD_S = 7.292115e-5
#: Refined crossing times stop when the root finder's last step is below this many seconds
#: (:func:`crossing_time_fraction`): 100 times finer than the 0.1 s the edges are held to, and far below
#: the interpolated positions' own error; the step that follows is taken, so the time is closer still.
CROSSING_TOL_S = 1e-3


@njit(cache=CACHE, inline="always")
def _accel(x, y, z, vx, vy):
    """Acceleration (km/s^2) of a satellite at ITRS ``(x, y, z)`` km moving at ``(vx, vy, .)`` km/s in the
    Earth-fixed frame: two-body + J2 gravity, Coriolis and centrifugal terms."""
    r2 = x * x + y * y + z * z
    r = math.sqrt(r2)
    g = -MU_KM3_S2 / (r2 * r)
    k = 1.5 * J2 * RE_KM * RE_KM / r2
    zz = 5.0 * z * z / r2
    w2 = OMEGA_RAD_S * OMEGA_RAD_S
    ax = g * x * (1.0 + k * (1.0 - zz)) + 2.0 * OMEGA_RAD_S * vy + w2 * x
    ay = g * y * (1.0 + k * (1.0 - zz)) - 2.0 * OMEGA_RAD_S * vx + w2 * y
    az = g * z * (1.0 + k * (3.0 - zz))
    return ax, ay, az


@njit(cache=CACHE, inline="always")
def chord_bend(p0, p1, h_s):
    """The curvature term ``h^2 a / 2`` (km) of :func:`crossing_time_fraction`'s interpolation between the
    positions ``p0`` and ``p1`` (ITRS km) ``h_s`` seconds apart: one per satellite and step, whatever the
    ground point, so callers refining several cells may compute it once and use
    :func:`crossing_fraction_bent`."""
    h2 = h_s * h_s
    vx = (p1[0] - p0[0]) / h_s
    vy = (p1[1] - p0[1]) / h_s
    mx = 0.5 * (p0[0] + p1[0])
    my = 0.5 * (p0[1] + p1[1])
    mz = 0.5 * (p0[2] + p1[2])
    ax, ay, az = _accel(mx, my, mz, vx, vy)
    # the chord's middle lies h^2 a / 8 off the orbit: evaluate the acceleration there once more
    ax, ay, az = _accel(mx - 0.125 * h2 * ax, my - 0.125 * h2 * ay, mz - 0.125 * h2 * az, vx, vy)
    return 0.5 * h2 * ax, 0.5 * h2 * ay, 0.5 * h2 * az


@njit(cache=CACHE, error_model="numpy")
def crossing_time_fraction(p0, p1, h_s, px, py, pz, ux, uy, uz, sin_el, use_cone, cos_half):
    """Fraction ``f`` of the step from a sample with satellite position ``p0`` to the next, ``p1`` (ITRS
    km, ``h_s`` seconds apart), where the service :func:`margin` at the point ``P`` (normal ``U``) crosses
    zero; -1 when the margins at the two samples do not bracket a zero (or are NaN).

    Between the samples the position is ``r(f) = (1 - f) p0 + f p1 - f (1 - f) h^2 a / 2``: the chord
    bent by the acceleration ``a`` (:func:`_accel`: two-body + J2 gravity, Coriolis and centrifugal, at the
    chord's middle moved onto the orbit, with the chord's velocity).  It matches both samples and the
    orbit's curvature; what it leaves out is the change of ``a`` over the step, about ``0.008 h^3 |da/dt|``
    (15 m for a 500 km orbit at 60 s steps).  The zero of the exact margin of ``r(f)`` is then found by
    inverse quadratic interpolation (Press et al., *Numerical Recipes*, 3rd ed., 2007, sec. 9.3) through
    the latest three points, starting from the two samples and their false-position point, each estimate
    kept inside the bracket that the evaluated signs leave (bisection when it falls outside); it stops
    when the last step is at most :data:`CROSSING_TOL_S` seconds, and returns the estimate that step
    reached."""
    cx, cy, cz = chord_bend(p0, p1, h_s)
    return crossing_fraction_bent(p0[0], p0[1], p0[2], p1[0], p1[1], p1[2], cx, cy, cz, h_s, px, py, pz, ux, uy, uz,
                                  sin_el, use_cone, cos_half)


@njit(cache=CACHE, error_model="numpy")
def crossing_fraction_bent(x0, y0, z0, x1, y1, z1, cx, cy, cz, h_s, px, py, pz, ux, uy, uz, sin_el, use_cone,
                           cos_half):
    """:func:`crossing_time_fraction` for the positions ``(x0, y0, z0)`` and ``(x1, y1, z1)`` with the
    curvature term ``(cx, cy, cz)`` of :func:`chord_bend` given (scalars: no array views per call)."""
    m0 = margin(x0, y0, z0, px, py, pz, ux, uy, uz, sin_el, use_cone, cos_half)
    m1 = margin(x1, y1, z1, px, py, pz, ux, uy, uz, sin_el, use_cone, cos_half)
    if not ((m0 < 0.0 <= m1) or (m1 < 0.0 <= m0)):
        return -1.0
    tol = CROSSING_TOL_S / h_s
    a, b, fa = 0.0, 1.0, m0
    # the latest three points (v0, g0), (v1, g1), (u, fu); first the samples and their false position
    v0, g0, v1, g1 = 0.0, m0, 1.0, m1
    u = m0 / (m0 - m1)
    if not (0.0 < u < 1.0):
        u = 0.5
    for _ in range(64):
        w = u * (1.0 - u)
        fu = margin((1.0 - u) * x0 + u * x1 - w * cx, (1.0 - u) * y0 + u * y1 - w * cy,
                    (1.0 - u) * z0 + u * z1 - w * cz, px, py, pz, ux, uy, uz, sin_el, use_cone, cos_half)
        if fu == 0.0 or not (fu == fu):
            break
        if (fu < 0.0) == (fa < 0.0):
            a, fa = u, fu
        else:
            b = u
        d = (g0 - g1) * (g0 - fu) * (g1 - fu)
        un = 0.5 * (a + b)
        if d != 0.0:
            un = (v0 * g1 * fu * (g1 - fu) - v1 * g0 * fu * (g0 - fu) + u * g0 * g1 * (g0 - g1)) / d
            if not (a < un < b):
                un = 0.5 * (a + b)
        v0, g0, v1, g1 = v1, g1, u, fu
        step = abs(un - u)
        u = un
        if step <= tol:
            break
    return u


@njit(cache=CACHE, inline="always")
def sun_margin(sx, sy, sz, ux, uy, uz, sin_lo, sin_hi):
    """Signed Sun margin at a point with unit normal ``U`` for the unit Sun direction ``s``: with
    ``e = s . U`` (the sine of the Sun's elevation), ``min(e - sin_lo, sin_hi - e)``, >= 0 exactly when
    the Sun's elevation lies within the limits."""
    e = sx * ux + sy * uy + sz * uz
    return min(e - sin_lo, sin_hi - e)


@njit(cache=CACHE, error_model="numpy")
def sun_crossing_fraction(s0, s1, ux, uy, uz, sin_lo, sin_hi):
    """Fraction of the step between two samples with unit Sun directions ``s0`` and ``s1`` where
    :func:`sun_margin` crosses zero, -1 when the two margins do not bracket a zero.  The direction between
    the samples is the normalised chord ``s(f) = ((1 - f) s0 + f s1) / |...|`` (the Sun turns 0.25 deg a
    minute in the Earth-fixed frame, so this is within 1e-8 rad of the arc at minute steps).  The limit
    ``k`` crossed is the one the sample outside the limits violates; ``s(f) . U = k`` is, squared,
    ``(a0 + f (a1 - a0))^2 = k^2 |(1 - f) s0 + f s1|^2`` with ``a0 = s0 . U``, ``a1 = s1 . U``: a
    quadratic in ``f``, solved in closed form (the root in the step whose unsquared side has the sign of
    ``k``)."""
    m0 = sun_margin(s0[0], s0[1], s0[2], ux, uy, uz, sin_lo, sin_hi)
    m1 = sun_margin(s1[0], s1[1], s1[2], ux, uy, uz, sin_lo, sin_hi)
    if not ((m0 < 0.0 <= m1) or (m1 < 0.0 <= m0)):
        return -1.0
    a0 = s0[0] * ux + s0[1] * uy + s0[2] * uz
    a1 = s1[0] * ux + s1[1] * uy + s1[2] * uz
    e_out = a0 if m0 < 0.0 else a1
    k = sin_lo if e_out < sin_lo else sin_hi
    dx, dy, dz = s1[0] - s0[0], s1[1] - s0[1], s1[2] - s0[2]
    n00 = s0[0] * s0[0] + s0[1] * s0[1] + s0[2] * s0[2]
    p = s0[0] * dx + s0[1] * dy + s0[2] * dz     # s0 . (s1 - s0)
    dd = dx * dx + dy * dy + dz * dz             # |s1 - s0|^2
    da = a1 - a0
    k2 = k * k
    qa = da * da - k2 * dd                       # qa f^2 + 2 qb f + qc = 0
    qb = a0 * da - k2 * p
    qc = (a0 - k) * (a0 + k) + k2 * (1.0 - n00)
    disc = qb * qb - qa * qc
    f_lin = m0 / (m0 - m1)
    best = -1.0
    if disc >= 0.0:
        q = -(qb + math.copysign(math.sqrt(disc), qb))
        for i in range(2):
            f = (q / qa if qa != 0.0 else np.nan) if i == 0 else (qc / q if q != 0.0 else np.nan)
            if 0.0 <= f <= 1.0 and (a0 + f * da >= 0.0) == (k >= 0.0):
                if best < 0.0 or abs(f - f_lin) < abs(best - f_lin):
                    best = f
    return best if best >= 0.0 else f_lin


def sat_geometry(pos: np.ndarray, sats_f: np.ndarray, sats_i: np.ndarray, r_min_km: float, *,
                 parallel: bool = True) -> np.ndarray:
    """Per satellite and step: horizontal and polar ITRS components, radius, geocentric latitude,
    longitude and the conservative cap angle used to prune rows.

    Parameters
    ----------
    pos : float64 (n_t, n_sat, 3), C-contiguous, ITRS km
    sats_f, sats_i : the satellite requirement tables (columns ``SAT_*`` of this module)
    r_min_km : float
        Smallest geocentric radius of any cell.
    parallel : bool
        Steps on every thread, or on the calling thread only.

    Returns float64 (n_t, n_sat, :data:`N_GEO`) with columns ``GEO_*`` (:data:`GEO_FIELDS`); a NaN
    position gives NaNs.

    The angles come from the branch-free polynomial ``atan2`` of :mod:`.fastmath` (within about 5e-16
    rad of libm's; ``asin(a) = atan2(a, sqrt(1 - a^2))``), so the per-satellite loop vectorises; the
    fast arc path allows 1e-13 rad for the longitude's rounding and the cap carries
    ``_CAP_MARGIN_RAD``, both far above that.
    """
    nt, ns = pos.shape[0], pos.shape[1]
    out = np.empty((nt, ns, N_GEO))
    run_ranges(sat_geometry_steps, nt, pos, sats_f, sats_i, float(r_min_km), out, parallel=parallel)
    return out


@njit(cache=CACHE, nogil=True, error_model="numpy")
def sat_geometry_steps(t0, t1, pos, sats_f, sats_i, r_min_km, out):
    """Steps ``t0 .. t1 - 1`` of :func:`sat_geometry`, into ``out``."""
    ns = pos.shape[1]
    bound = math.radians(NORMAL_RADIAL_BOUND_DEG)
    # per satellite: widened mask e, r_min cos(e), and the cone's half-angle (if it prunes; else -1)
    e_s = np.empty(ns)
    rcos_e = np.empty(ns)
    eta_s = np.empty(ns)
    sin_eta = np.empty(ns)
    for s in range(ns):
        e = math.asin(min(1.0, max(-1.0, sats_f[s, SAT_SIN_EL]))) - bound
        e_s[s] = e
        rcos_e[s] = r_min_km * math.cos(e)
        eta_s[s] = -1.0
        sin_eta[s] = 0.0
        if sats_i[s, SAT_CONE] != 0:
            eta_s[s] = math.acos(min(1.0, max(-1.0, sats_f[s, SAT_COS_HALF])))
            if sats_i[s, SAT_CONE] == CONE_GEODETIC:  # inside the geocentric cone of the widened half-angle
                eta_s[s] = min(eta_s[s] + math.radians(GEODETIC_AXIS_BOUND_DEG), math.pi)
            sin_eta[s] = math.sin(eta_s[s])
    for t in range(t0, t1):
        _sat_geometry_step(pos[t].reshape(-1), out[t].reshape(-1), e_s, rcos_e, eta_s, sin_eta, r_min_km)


@njit(cache=CACHE, inline="always")
def _sat_geometry_step(p, o, e_s, rcos_e, eta_s, sin_eta, r_min_km):
    """One step of :func:`sat_geometry` on flat views ``p`` (3 per satellite) and ``o`` (:data:`N_GEO` per
    satellite)."""
    half_pi = 0.5 * math.pi
    inv_rmin = 1.0 / r_min_km
    for s in range(e_s.shape[0]):
        x = p[3 * s]
        y = p[3 * s + 1]
        z = p[3 * s + 2]
        h2 = x * x + y * y
        r2 = h2 + z * z
        h = math.sqrt(h2)
        r = math.sqrt(r2)
        e = e_s[s]
        arg = rcos_e[s] / r
        arg_c = min(arg, 1.0)
        cap = half_pi - e - poly_atan2(arg_c, math.sqrt(max(1.0 - arg_c * arg_c, 0.0)))
        cap = math.pi if (arg >= 1.0) | (e <= -half_pi) else cap
        eta = eta_s[s]
        a2 = r * sin_eta[s] * inv_rmin
        a2c = min(a2, 1.0)
        cc = poly_atan2(a2c, math.sqrt(max(1.0 - a2c * a2c, 0.0))) - eta
        # below the horizon (e < 0) only while no cell there can be in the cone: |S| sin(eta) < r_min cos(e)
        # (a cone of 90 deg or more holds the whole Earth: the mask's cap stays)
        cap = cc if (eta >= 0.0) & (eta < half_pi) & (a2 < 1.0) & (cc < cap) & (
            (e >= 0.0) | (sin_eta[s] < arg - 1e-9)) else cap
        bad = r != r
        o[N_GEO * s + GEO_SH] = h
        o[N_GEO * s + GEO_SZ] = z
        o[N_GEO * s + GEO_R] = r
        o[N_GEO * s + GEO_LAT] = np.nan if bad else poly_atan2(z, h)
        o[N_GEO * s + GEO_LON] = np.nan if bad else poly_atan2(y, x)
        o[N_GEO * s + GEO_CAP] = np.nan if bad else cap + _CAP_MARGIN_RAD
