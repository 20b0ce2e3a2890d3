"""Visibility: the exact test that decides whether a satellite serves a ground point, and per-satellite geometry.

A satellite at ``S`` serves a ground point ``P`` with unit WGS84 ellipsoid normal ``U`` (all ITRS, km)
when, with ``d = S - P``,

* elevation: ``d . U >= sin(eps) |d|`` (the elevation above the local horizon plane is at least the mask
  ``eps``; Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed., 2013, sec. 4.4), and
* optionally a nadir cone of half-angle ``eta``: ``S . d >= cos(eta) |S| |d|`` (the angle at ``S``
  between the nadir ``-S`` and ``P - S`` is at most ``eta``).

:func:`serves` evaluates exactly these expressions; a brute force of every satellite against every cell
with them is what the coverage kernels reproduce, cell for cell.  :func:`margin` is the signed distance
from the threshold that edge refinement interpolates, and :func:`sat_geometry` gives each satellite's
geocentric coordinates and the conservative cap angle that prunes grid rows: the Earth central angle
``lambda = 90 deg - eps' - asin(r_min cos(eps') / |S|)`` with ``eps' = eps - 0.25 deg`` (the normal vs
radial bound) and ``r_min`` the smallest geocentric radius of any cell, and for a cone (when
``eps' >= 0``) ``asin(|S| sin(eta) / r_min) - eta``; a row can only hold served cells if its geocentric
latitude is within ``lambda`` of the sub-satellite point's.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from . import CACHE
from .fastmath import poly_atan2
from .parallel import run_ranges

__all__ = ["serves", "margin", "crossing_fraction", "sat_geometry", "sat_geometry_steps", "GEO_FIELDS", "N_GEO",
           "SAT_F_FIELDS", "SAT_I_FIELDS", "NORMAL_RADIAL_BOUND_DEG", "CONTIGUOUS_CONE_MIN_MASK_DEG"]

#: Bound on the angle between the WGS84 ellipsoid normal and the geocentric radial of any point at or
#: above the ellipsoid (the maximum is 0.1924 deg, at 45 deg latitude on the surface), with margin.
NORMAL_RADIAL_BOUND_DEG = 0.25
#: With a nadir cone, masks from this elevation up keep each satellite's served cells in a row one arc.
CONTIGUOUS_CONE_MIN_MASK_DEG = NORMAL_RADIAL_BOUND_DEG
_CAP_MARGIN_RAD = 1e-5  # 64 m of extra cap radius for rounding in the pruning (exactness is not at stake)
#: Per-satellite, per-step geometry columns from :func:`sat_geometry`: horizontal and polar ITRS components
#: and radius (km), geocentric latitude and longitude, the cap angle that prunes rows (rad).
GEO_FIELDS = ("s_h_km", "s_z_km", "r_km", "lat_gc_rad", "lon_rad", "cap_rad")
GEO_SH, GEO_SZ, GEO_R, GEO_LAT, GEO_LON, GEO_CAP = range(6)
N_GEO = len(GEO_FIELDS)

#: The satellite requirement tables every kernel takes, one row per satellite: ``sats_f`` (float64) holds
#: the sine of the elevation mask and the cosine of the cone half-angle (-1 without a cone); ``sats_i``
#: (int64) the service index (-1: serves nothing), whether a cone applies, whether the satellite's cells in
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
    dx = sx - px
    dy = sy - py
    dz = sz - pz
    du = dx * ux + dy * uy + dz * uz
    rd = math.sqrt(dx * dx + dy * dy + dz * dz)
    if not (du >= sin_el * rd):
        return False
    if use_cone:
        sd = sx * dx + sy * dy + sz * dz
        if not (sd >= cos_half * math.sqrt(sx * sx + sy * sy + sz * sz) * rd):
            return False
    return True


@njit(cache=CACHE, error_model="numpy")
def margin(sx, sy, sz, px, py, pz, ux, uy, uz, sin_el, use_cone, cos_half):
    """Signed service margin, >= 0 exactly where :func:`serves` is true (up to rounding):
    ``min(sin(el) - sin_el, cos(nadir angle) - cos_half)`` (the cone term only with ``use_cone``).
    Interpolated linearly in time to refine rise and set times.  NaN for NaN positions."""
    dx = sx - px
    dy = sy - py
    dz = sz - pz
    rd = math.sqrt(dx * dx + dy * dy + dz * dz)
    m = (dx * ux + dy * uy + dz * uz) / rd - sin_el
    if use_cone:
        mc = (sx * dx + sy * dy + sz * dz) / (math.sqrt(sx * sx + sy * sy + sz * sz) * rd) - cos_half
        if mc < m:
            m = mc
    return m


@njit(cache=CACHE, inline="always")
def crossing_fraction(m2, m0, m1, rising):
    """Fraction ``f`` of the step from sample ``t-1`` (margin ``m0``) to ``t`` (``m1``) where the margin
    crosses zero, from the parabola through ``(t-2, m2), (t-1, m0), (t, m1)`` (``m2`` NaN: the straight
    line).  Falls back to the on-sample rule (1 for a rise, 0 for a set) when the margins do not
    bracket a zero."""
    if not (m0 == m0 and m1 == m1) or (rising and not (m0 < m1)) or (not rising and not (m0 > m1)):
        return 1.0 if rising else 0.0
    f = m0 / (m0 - m1)
    if m2 == m2:
        # m(u) = a u^2 + b u + m1 on u in [-2, 0]; the zero in [-1, 0]
        a = 0.5 * (m2 - 2.0 * m0 + m1)
        b = a - (m0 - m1)
        if abs(a) > 1e-12 * (abs(b) + abs(m1)):
            disc = b * b - 4.0 * a * m1
            if disc >= 0.0:
                sq = math.sqrt(disc)
                q = -0.5 * (b + (sq if b >= 0.0 else -sq))
                for u in (q / a, (m1 / q) if q != 0.0 else 1.0):
                    if -1.0 <= u <= 0.0:
                        f = 1.0 + u
                        break
    if not (f >= 0.0):
        f = 0.0
    if f > 1.0:
        f = 1.0
    return f


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
        if sats_i[s, SAT_CONE] != 0 and e >= 0.0:
            eta_s[s] = math.acos(min(1.0, max(-1.0, sats_f[s, SAT_COS_HALF])))
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
        cap = cc if (eta >= 0.0) & (a2 < 1.0) & (cc < cap) else cap
        bad = r != r
        o[N_GEO * s + GEO_SH] = h
        o[N_GEO * s + GEO_SZ] = z
        o[N_GEO * s + GEO_R] = r
        o[N_GEO * s + GEO_LAT] = np.nan if bad else poly_atan2(z, h)
        o[N_GEO * s + GEO_LON] = np.nan if bad else poly_atan2(y, x)
        o[N_GEO * s + GEO_CAP] = np.nan if bad else cap + _CAP_MARGIN_RAD
