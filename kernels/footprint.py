"""Footprint kernels: which grid cells each satellite serves, row by row, exactly.

Visibility test (exact, the only thing that decides)
----------------------------------------------------
A satellite at ``S`` serves a ground point ``P`` with unit WGS84 ellipsoid normal ``U`` (all ITRS, km)
when, with ``d = S - P``,

* elevation: ``d . U >= sin(eps) |d|`` (the elevation above the local horizon plane is at least the mask
  ``eps``; Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed., 2013, sec. 4.4), and
* optionally a nadir cone of half-angle ``eta``: ``S . d >= cos(eta) |S| |d|`` (the angle at ``S``
  between the nadir ``-S`` and ``P - S`` is at most ``eta``).

:func:`serves` evaluates exactly these expressions; a brute force of every satellite against every cell
with them is what the kernels reproduce, cell for cell.

Row search (what makes it fast)
-------------------------------
Grids are rows of equal latitude and height with uniform longitude spacing (:class:`constellation.grid.
Grid`).  Rotate longitudes so the satellite is on meridian 0: along a row, with ``c = cos(lon)``, the
point is ``P = (rho c, rho sin, z)``, the normal ``U = (cos phi c, cos phi sin, sin phi)`` and with
``S = (s_h, 0, s_z)``::

    d . U  = A c + B,   A = s_h cos phi >= 0,   B = s_z sin phi - rho cos phi - z sin phi
    |d|^2  = C - D c,   D = 2 s_h rho >= 0,     C = s_h^2 + s_z^2 + rho^2 + z^2 - 2 s_z z

*Elevation alone.*  For ``sin(eps) >= 0`` the left side ``A c + B`` never decreases with ``c`` and the
right side ``sin(eps) sqrt(C - D c)`` never increases, so the cells a satellite sees in a row are those
with ``c >= c*``: one arc centred on the satellite's meridian.  For ``sin(eps) < 0`` the set is again
``c >= r1`` (the smaller root of ``(A c + B)^2 = sin^2(eps) (C - D c)``, since every point with
``A c + B >= 0`` passes).  *With a cone.*  Writing ``u = |d|^2`` and ``K = |S|^2 - |P|^2``,
``S . d = (K + u) / 2``, so ``|S| cos(nadir angle) = (K + u) / (2 sqrt u)``, which decreases in ``u`` for
``u < K`` - the points above the geocentric horizon.  The ellipsoid normal is within 0.1924 deg of the
geocentric radial, so for masks of at least :data:`CONTIGUOUS_CONE_MIN_MASK_DEG` every point passing the
elevation test has ``u < K`` and the combined set is still one arc.  Otherwise (a cone with a mask below
that) the kernels test every cell a conservative cap can reach and keep whatever runs they find.

In the arc case the kernel solves for ``c*`` analytically only to *start*: it exact-tests the cell
nearest the satellite's meridian (if it fails, no cell of the row is served) and walks each end of the
arc from the estimate until the exact test changes, so the arc's end cells are decided by :func:`serves`
and contiguity (proved above for exact arithmetic) fills in the cells between.  Floating-point rounding
could only matter for a cell whose margin is within about 1e-15 of zero.

Analytic fast path (elevation mask of at least ``asin(FAST_MIN_SIN_EL)``, no cone, rows whose cells match
the row model to 1e-9 km, as :func:`row_geometry` measures).  :func:`_arc_fast` bounds the error of
``c*`` and turns it into an angular slack around each arc end: every cell centre farther than the slack
from the end has an exact margin larger than the rounding of :func:`serves` (and the cells' departure
from the model) by a safety factor of 10, so its exact test is certain and is skipped.  Where the slack
reaches a cell centre, or the bound does not apply (``c*`` near +-1, small ``A``, a large cancellation),
the exact walk above decides, so the cells are the same either way.  Full-circle rows evaluate this bound
for all their candidate satellites in one vectorised, branch-free loop (:func:`_arcs_full_row`: a
polynomial ``acos`` whose error joins the slack, bounds loosened so no division is needed); in the
default case 99.5 % of the candidates are decided there and the rest walk.

Rows are pruned first by a conservative cap: the Earth central angle
``lambda = 90 deg - eps' - asin(r_min cos(eps') / |S|)`` with ``eps' = eps - 0.25 deg`` (the normal vs
radial bound) and ``r_min`` the smallest geocentric radius of any cell (smaller radius, larger cap), and for
a cone (when ``eps' >= 0``) ``asin(|S| sin(eta) / r_min) - eta``; a row can only hold served cells if
its geocentric latitude is within ``lambda`` of the sub-satellite point's.

The satellites' visibility within a row is kept as runs ``(satellite, first cell, length)``; counts per
cell come from a difference array and a prefix sum.  Per step, the serving satellites are sorted by
latitude once (:func:`sat_tables`, insertion sort from the previous step), so each row only visits those
whose cap can reach it.  Consecutive samples' runs also give, for a cell
whose coverage changes, the satellites that rose or set there, whose margins are interpolated to refine
the transition time (see :func:`coverage_rows`).

Public njit helpers (reused by navigation DOP): :func:`serves`, :func:`margin`, :func:`sat_geometry`,
:func:`sat_table`, :func:`row_runs`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from . import CACHE
from .sgp4_near import _atan2
from .reductions import CNT_LAST, CNT_MAX, CNT_MIN, CNT_PREV, CNT_SUM, IEND, T1, add_edge, begin

__all__ = ["serves", "margin", "sat_geometry", "row_runs", "coverage_rows", "sat_table", "sat_tables", "fast_ok",
           "row_geometry", "contiguous_ok", "CONTIGUOUS_CONE_MIN_MASK_DEG", "NORMAL_RADIAL_BOUND_DEG", "GEO_FIELDS"]

#: Bound on the angle between the WGS84 ellipsoid normal and the geocentric radial of any point at or
#: above the ellipsoid (the maximum is 0.1924 deg, at 45 deg latitude on the surface), with margin.
NORMAL_RADIAL_BOUND_DEG = 0.25
#: With a nadir cone, masks from this elevation up keep each satellite's served cells in a row one arc.
CONTIGUOUS_CONE_MIN_MASK_DEG = NORMAL_RADIAL_BOUND_DEG
_CAP_MARGIN_RAD = 1e-5  # 64 m of extra cap radius for rounding in the pruning (exactness is not at stake)
#: Per-satellite, per-step geometry columns from :func:`sat_geometry`.
GEO_FIELDS = ("s_h_km", "s_z_km", "r_km", "lat_gc_rad", "lon_rad", "cap_rad")
_TWO_PI = 2.0 * math.pi
_SAFETY = 10.0  # factor on every error bound of the analytic fast path
#: The analytic arc ends are trusted only for masks of at least this (sine): well-separated roots.
FAST_MIN_SIN_EL = 0.02


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


@njit(cache=CACHE, inline="always")
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


@njit(cache=CACHE, parallel=True, nogil=True, error_model="numpy")
def sat_geometry(pos, sat_sin_el, sat_use_cone, sat_cos_half, r_min_km):
    """Per satellite and step: horizontal and polar ITRS components, radius, geocentric latitude,
    longitude and the conservative cap angle used to prune rows.

    Parameters
    ----------
    pos : float64 (n_t, n_sat, 3), ITRS km
    sat_sin_el, sat_cos_half : float64 (n_sat,); sat_use_cone : bool (n_sat,)
    r_min_km : float
        Smallest geocentric radius of any cell.

    Returns float64 (n_t, n_sat, 6) with columns :data:`GEO_FIELDS`; a NaN position gives NaNs.

    The angles come from the branch-free polynomial ``atan2`` of :mod:`.sgp4_near` (within about 5e-16
    rad of libm's; ``asin(a) = atan2(a, sqrt(1 - a^2))``), so the per-satellite loop vectorises; the
    fast arc path allows 1e-13 rad for the longitude's rounding and the cap carries
    ``_CAP_MARGIN_RAD``, both far above that.
    """
    nt, ns = pos.shape[0], pos.shape[1]
    out = np.empty((nt, ns, 6))
    bound = math.radians(NORMAL_RADIAL_BOUND_DEG)
    # per satellite: widened mask e, r_min cos(e), and the cone's half-angle (if it prunes; else -1)
    e_s = np.empty(ns)
    rcos_e = np.empty(ns)
    eta_s = np.full(ns, -1.0)
    sin_eta = np.zeros(ns)
    for s in range(ns):
        e = math.asin(min(1.0, max(-1.0, sat_sin_el[s]))) - bound
        e_s[s] = e
        rcos_e[s] = r_min_km * math.cos(e)
        if sat_use_cone[s] and e >= 0.0:
            eta_s[s] = math.acos(min(1.0, max(-1.0, sat_cos_half[s])))
            sin_eta[s] = math.sin(eta_s[s])
    for t in prange(nt):
        _sat_geometry_step(pos[t].reshape(-1), out[t].reshape(-1), e_s, rcos_e, eta_s, sin_eta, r_min_km)
    return out


@njit(cache=CACHE, nogil=True, error_model="numpy")
def _sat_geometry_step(p, o, e_s, rcos_e, eta_s, sin_eta, r_min_km):
    """One step of :func:`sat_geometry` on flat views ``p`` (3 per satellite) and ``o`` (6 per satellite)."""
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
        cap = half_pi - e - _atan2(arg_c, math.sqrt(max(1.0 - arg_c * arg_c, 0.0)))
        cap = math.pi if (arg >= 1.0) | (e <= -half_pi) else cap
        eta = eta_s[s]
        a2 = r * sin_eta[s] * inv_rmin
        a2c = min(a2, 1.0)
        cc = _atan2(a2c, math.sqrt(max(1.0 - a2c * a2c, 0.0))) - eta
        cap = cc if (eta >= 0.0) & (a2 < 1.0) & (cc < cap) else cap
        bad = r != r
        o[6 * s] = h
        o[6 * s + 1] = z
        o[6 * s + 2] = r
        o[6 * s + 3] = np.nan if bad else _atan2(z, h)
        o[6 * s + 4] = np.nan if bad else _atan2(y, x)
        o[6 * s + 5] = np.nan if bad else cap + _CAP_MARGIN_RAD


def row_geometry(grid) -> dict[str, np.ndarray]:
    """Per-row arrays the kernels need, from a :class:`constellation.grid.Grid`.

    Checks that every row has one latitude and height (true for every grid constructor).
    """
    p = np.ascontiguousarray(grid.itrs_km(), dtype=np.float64)
    u = np.ascontiguousarray(grid.up(), dtype=np.float64)
    rs = np.asarray(grid.row_start, np.int64)
    rc = np.asarray(grid.row_count, np.int64)
    first = rs
    lat = np.radians(np.asarray(grid.lat_deg, float))
    for name, a in (("latitude", grid.lat_deg), ("height", grid.height_m)):
        a = np.asarray(a, float)
        ref = np.repeat(a[first], rc)
        if a.size and np.any(np.abs(a - ref) > 1e-9):
            raise ValueError(f"grid rows must share one {name}")
    rho = np.hypot(p[first, 0], p[first, 1]) if rs.size else np.zeros(0)
    z = p[first, 2] if rs.size else np.zeros(0)
    cphi = np.cos(lat[first]) if rs.size else np.zeros(0)
    sphi = np.sin(lat[first]) if rs.size else np.zeros(0)
    lon0 = np.radians(np.asarray(grid.row_lon0_deg, float))
    dlon = np.radians(np.asarray(grid.row_dlon_deg, float))
    # How far the cells are from the row model the analytic arc ends assume (km for positions, 1 for
    # normals): cell k at longitude lon0 + k dlon, P = (rho cos, rho sin, z), U = (cphi cos, cphi sin, sphi).
    if rs.size:
        row_of = np.repeat(np.arange(rs.size), rc)
        k = np.arange(p.shape[0]) - rs[row_of]
        lon = lon0[row_of] + k * dlon[row_of]
        cl, sl = np.cos(lon), np.sin(lon)
        ep = np.maximum.reduce([np.abs(rho[row_of] * cl - p[:, 0]), np.abs(rho[row_of] * sl - p[:, 1]),
                                np.abs(z[row_of] - p[:, 2])])
        eu = np.maximum.reduce([np.abs(cphi[row_of] * cl - u[:, 0]), np.abs(cphi[row_of] * sl - u[:, 1]),
                                np.abs(sphi[row_of] - u[:, 2])])
        err_p = np.maximum.reduceat(ep, rs)
        err_u = np.maximum.reduceat(eu, rs)
    else:
        err_p = err_u = np.zeros(0)
    # the analytic fast path only where the model holds to well under a micrometre
    row_fast = (err_p <= 1e-9) & (err_u <= 1e-12) & (rc > 1)
    pnorm = np.hypot(rho, z)
    return dict(
        cell_p=p, cell_u=u, row_start=rs, row_count=rc,
        row_full=np.asarray(grid.row_full_circle, np.bool_),
        row_lon0=lon0, row_dlon=dlon,
        row_rho=rho, row_z=z, row_cphi=cphi, row_sphi=sphi,
        row_phigc=np.arctan2(z, rho),
        row_fast=row_fast,
        # margin error budget of the exact test at a cell (km): em_a + em_b * |S| (see _arc_fast)
        row_em_a=_SAFETY * (1e-10 + 2.0 * err_p + pnorm * err_u),
        row_em_b=_SAFETY * (1e-10 / 7000.0 + err_u),
        r_min_km=float(np.sqrt((p ** 2).sum(1)).min()) if p.size else 6356.0,
    )


@njit(cache=CACHE)
def _vis(pos, t, s, cell_p, cell_u, c, sin_el, use_cone, cos_half):
    return serves(pos[t, s, 0], pos[t, s, 1], pos[t, s, 2], cell_p[c, 0], cell_p[c, 1], cell_p[c, 2],
                  cell_u[c, 0], cell_u[c, 1], cell_u[c, 2], sin_el, use_cone, cos_half)


@njit(cache=CACHE, inline="always")
def _arc_cos(s_h, s_z, r, rho, z, cphi, sphi, sin_el, use_cone, cos_half):
    """Estimated cosine of the served arc's half-width in a row (see module docstring); outside
    [-1, 1] means "all" (< -1) or "none" (> 1).  Only a starting point for the exact walk."""
    A = s_h * cphi
    B = s_z * sphi - (rho * cphi + z * sphi)
    C = s_h * s_h + s_z * s_z + rho * rho + z * z - 2.0 * s_z * z
    D = 2.0 * s_h * rho
    s = sin_el
    if A <= 1e-12 * (abs(B) + 1.0) or D <= 0.0:
        return -2.0  # the row is all or nothing: let the walk decide
    qa = A * A
    qb = 2.0 * A * B + s * s * D
    qc = B * B - s * s * C
    disc = qb * qb - 4.0 * qa * qc
    if disc < 0.0:
        ce = -B / A
    else:
        sq = math.sqrt(disc)
        q = -0.5 * (qb + (sq if qb >= 0.0 else -sq))
        r1 = q / qa
        r2 = qc / q if q != 0.0 else r1
        hi = r1 if r1 > r2 else r2
        lo = r1 if r1 <= r2 else r2
        ce = hi if s >= 0.0 else lo
    if use_cone:
        K = r * r - (rho * rho + z * z)
        R = cos_half * r
        if K <= 0.0:
            cc = 2.0
        else:
            dd = R * R - K
            if dd < 0.0 or R <= 0.0:
                cc = -2.0
            else:
                v1 = K / (R + math.sqrt(dd))
                cc = (C - v1 * v1) / D
        if cc > ce:
            ce = cc
    return ce


@njit(cache=CACHE, inline="always")
def _emit(runs, nr, s, start, length):
    if nr < runs.shape[0]:
        runs[nr, 0] = s
        runs[nr, 1] = start
        runs[nr, 2] = length
    return nr + 1


@njit(cache=CACHE)
def row_runs(r, t, s, pos, geo, cell_p, cell_u, row_start, row_count, row_full, row_lon0, row_dlon,
             row_rho, row_z, row_cphi, row_sphi, row_phigc, sin_el, use_cone, cos_half, contiguous,
             runs, nr):
    """Append to ``runs`` (int64 (cap, 3): satellite, first cell offset in the row, length) the runs of
    cells of row ``r`` that satellite ``s`` serves at step ``t``; return the new run count (which may
    exceed ``cap``: the caller must then grow ``runs`` and call again).  Offsets wrap modulo the row
    length for full-circle rows.  ``contiguous`` selects the arc walk (see the module docstring)."""
    cap = geo[t, s, 5]
    if not (abs(row_phigc[r] - geo[t, s, 3]) <= cap):
        return nr
    n = row_count[r]
    c0 = row_start[r]
    if n == 1:
        if _vis(pos, t, s, cell_p, cell_u, c0, sin_el, use_cone, cos_half):
            nr = _emit(runs, nr, s, 0, 1)
        return nr
    d = row_dlon[r]
    lon_s = geo[t, s, 4]
    full = row_full[r]
    M = _TWO_PI / d
    x = ((lon_s - row_lon0[r]) % _TWO_PI) / d  # satellite meridian in cell units, [0, M)
    if contiguous:
        ce = _arc_cos(geo[t, s, 0], geo[t, s, 1], geo[t, s, 2], row_rho[r], row_z[r], row_cphi[r],
                      row_sphi[r], sin_el, use_cone, cos_half)
        if ce <= -1.0:
            wc = M
        elif ce >= 1.0:
            wc = 0.0
        else:
            wc = math.acos(ce) / d
        if full:
            kn = int(math.floor(x + 0.5))
            if not _vis(pos, t, s, cell_p, cell_u, c0 + kn % n, sin_el, use_cone, cos_half):
                return nr
            hi_lim = kn + n - 1
            kr = int(math.floor(x + wc)) if wc < n else hi_lim
            kr = min(max(kr, kn), hi_lim)
            if kr > kn and not _vis(pos, t, s, cell_p, cell_u, c0 + kr % n, sin_el, use_cone, cos_half):
                kr -= 1
                while kr > kn and not _vis(pos, t, s, cell_p, cell_u, c0 + kr % n, sin_el, use_cone,
                                           cos_half):
                    kr -= 1
            else:
                while kr < hi_lim and _vis(pos, t, s, cell_p, cell_u, c0 + (kr + 1) % n, sin_el, use_cone,
                                           cos_half):
                    kr += 1
            lo_lim = kr - n + 1
            kl = int(math.ceil(x - wc)) if wc < n else lo_lim
            kl = max(min(kl, kn), lo_lim)
            if kl < kn and not _vis(pos, t, s, cell_p, cell_u, c0 + kl % n, sin_el, use_cone, cos_half):
                kl += 1
                while kl < kn and not _vis(pos, t, s, cell_p, cell_u, c0 + kl % n, sin_el, use_cone,
                                           cos_half):
                    kl += 1
            else:
                while kl > lo_lim and _vis(pos, t, s, cell_p, cell_u, c0 + (kl - 1) % n, sin_el, use_cone,
                                           cos_half):
                    kl -= 1
            length = kr - kl + 1
            if length >= n:
                return _emit(runs, nr, s, 0, n)
            return _emit(runs, nr, s, kl % n, length)
        # partial row: up to two segments, one per copy of the satellite meridian
        for m in range(-1, 2):
            xc = x + m * M
            a = max(0, int(math.ceil(xc - 0.5 * M)))
            b = min(n - 1, int(math.ceil(xc + 0.5 * M)) - 1)
            if a > b:
                continue
            kn = min(max(int(math.floor(xc + 0.5)), a), b)
            if not _vis(pos, t, s, cell_p, cell_u, c0 + kn, sin_el, use_cone, cos_half):
                continue
            kr = int(math.floor(xc + wc)) if wc < M else b
            kr = min(max(kr, kn), b)
            if kr > kn and not _vis(pos, t, s, cell_p, cell_u, c0 + kr, sin_el, use_cone, cos_half):
                kr -= 1
                while kr > kn and not _vis(pos, t, s, cell_p, cell_u, c0 + kr, sin_el, use_cone, cos_half):
                    kr -= 1
            else:
                while kr < b and _vis(pos, t, s, cell_p, cell_u, c0 + kr + 1, sin_el, use_cone, cos_half):
                    kr += 1
            kl = int(math.ceil(xc - wc)) if wc < M else a
            kl = max(min(kl, kn), a)
            if kl < kn and not _vis(pos, t, s, cell_p, cell_u, c0 + kl, sin_el, use_cone, cos_half):
                kl += 1
                while kl < kn and not _vis(pos, t, s, cell_p, cell_u, c0 + kl, sin_el, use_cone, cos_half):
                    kl += 1
            else:
                while kl > a and _vis(pos, t, s, cell_p, cell_u, c0 + kl - 1, sin_el, use_cone, cos_half):
                    kl -= 1
            nr = _emit(runs, nr, s, kl, kr - kl + 1)
        return nr
    # general case: every cell the spherical cap can reach, runs of served cells as found
    phi, phis = row_phigc[r], geo[t, s, 3]
    den = math.cos(phi) * math.cos(phis)
    if den <= 1e-12:
        wc = M
    else:
        cd = (math.cos(cap) - math.sin(phi) * math.sin(phis)) / den
        wc = M if cd <= -1.0 else (0.0 if cd >= 1.0 else math.acos(cd) / d)
    wc += 1.0
    if full:
        if 2.0 * wc + 1.0 >= n:
            k_lo, k_hi = 0, n - 1
        else:
            k_lo, k_hi = int(math.ceil(x - wc)), int(math.floor(x + wc))
        run0 = 0
        inside = False  # (k may be negative here: keep the flag apart from the run start)
        for k in range(k_lo, k_hi + 1):
            if _vis(pos, t, s, cell_p, cell_u, c0 + k % n, sin_el, use_cone, cos_half):
                if not inside:
                    run0 = k
                    inside = True
            elif inside:
                nr = _emit(runs, nr, s, run0 % n, k - run0)
                inside = False
        if inside:
            nr = _emit(runs, nr, s, run0 % n, k_hi + 1 - run0)
        return nr
    for m in range(-1, 2):
        xc = x + m * M
        a = max(0, int(math.ceil(xc - wc)))
        b = min(n - 1, int(math.floor(xc + wc)))
        a2 = max(0, int(math.ceil(xc - 0.5 * M)))
        b2 = min(n - 1, int(math.ceil(xc + 0.5 * M)) - 1)
        a = max(a, a2)
        b = min(b, b2)
        run0 = -1
        for k in range(a, b + 1):
            if _vis(pos, t, s, cell_p, cell_u, c0 + k, sin_el, use_cone, cos_half):
                if run0 < 0:
                    run0 = k
            elif run0 >= 0:
                nr = _emit(runs, nr, s, run0, k - run0)
                run0 = -1
        if run0 >= 0:
            nr = _emit(runs, nr, s, run0, b + 1 - run0)
    return nr


def contiguous_ok(sin_el: np.ndarray, use_cone: np.ndarray) -> np.ndarray:
    """Per satellite: whether its served cells in a row are provably one arc (module docstring)."""
    return (~np.asarray(use_cone, bool)) | (np.asarray(sin_el, float)
                                            >= math.sin(math.radians(CONTIGUOUS_CONE_MIN_MASK_DEG)))


@njit(cache=CACHE, inline="always")
def _arc_fast(s_h, s_z, r, rho, z, cphi, sphi, sin_el, em_a, em_b):
    """Analytic arc of one satellite in one row, with a bound on its error (elevation mask only,
    ``sin_el >= FAST_MIN_SIN_EL``).

    Returns ``(status, w_rad, slack_rad)``: status 0 - no cell of the row is served (proved); 1 - the
    served cells are those within ``w_rad`` of the satellite's meridian, for every cell whose angular
    distance from the arc end ``w_rad`` exceeds ``slack_rad``; 2 - no bound: use the exact walk.

    Error analysis.  With ``c = cos(lon)`` the exact margin ``m(c) = A c + B - s sqrt(C - D c)`` (module
    docstring) has ``dm/dc >= A``, so at a cell with ``c`` the margin is at least ``A |c - c*|`` in
    magnitude, ``c*`` the zero of ``m``; the exact test evaluated in floating point can only err where
    the margin is below ``em = em_a + em_b |S|`` (rounding of :func:`serves`, about 1e-11 km, and the
    cells' measured departure from the row model, times a safety factor).  ``c*`` is the larger root of
    ``(A c + B)^2 = s^2 (C - D c)``, ``(-qb + s sqrt(E)) / (2 A^2)`` with the discriminant factored as
    ``s^2 E``, ``E = 4 A^2 C + 4 A B D + s^2 D^2`` (no cancellation of the ``4 A^2 B^2`` terms); its
    rounding error is bounded by ``eps_c`` = 1e-13 (450 ulp) times the sum of the magnitudes of the
    terms, times the cancellation ratio of ``E`` (up to 1e4 accepted).  A cell at angle ``w +- delta`` from the meridian has
    ``|c - c*| >= sin(w) sin(delta) - (1 - cos(delta))``, so ``delta >= 2.5 K / sin(w)`` with
    ``K = eps_c + em / A <= 0.1 sin(w)^2`` guarantees ``A |c - c*| > A eps_c + em``; 1e-13 rad more
    covers the rounding of the longitudes and of ``acos``.  Anything outside these conditions (small
    ``A``: near-polar rows or a satellite over the pole; ``c*`` near +-1; a root that is not the zero of
    ``m``) returns 2.
    """
    A = s_h * cphi
    Bp = s_z * sphi
    Bq = rho * cphi + z * sphi
    B = Bp - Bq
    rr = rho * rho + z * z
    C = s_h * s_h + s_z * s_z + rr - 2.0 * s_z * z
    D = 2.0 * s_h * rho
    s = sin_el
    if not (A > 1.0 and D > 0.0):
        return 2, 0.0, 0.0
    a2 = A * A
    s2 = s * s
    E = 4.0 * a2 * C + 4.0 * A * B * D + s2 * D * D
    Bm = abs(Bp) + abs(Bq)
    Em = 4.0 * a2 * (s_h * s_h + s_z * s_z + rr + 2.0 * abs(s_z * z)) + 4.0 * A * Bm * D + s2 * D * D
    # E cancels by about (altitude / radius)^2 (E = 4 A^2 |d|^2 at the horizon point + s^2 D^2): accept a
    # ratio Em / E up to 1e4, and carry it into the bound (then sqrt(Em) <= 100 sqrt(E))
    if not (E > 1e-4 * Em):
        return 2, 0.0, 0.0
    sqE = math.sqrt(E)
    inv = 0.5 / a2
    ce = (s * sqE - (2.0 * A * B + s2 * D)) * inv
    inv_a = 2.0 * A * inv
    eps_c = 1e-13 * (Em / E) * (1.0 + Bm * inv_a + 2.0 * inv * (s2 * D + s * math.sqrt(Em)))
    # the root must be the zero of m (A c + B = s |d| > 0), not of A c + B + s |d|
    if not (A * ce + B > 1e-6 * (Bm + A)):
        return 2, 0.0, 0.0
    em = em_a + em_b * r
    K = eps_c + em * inv_a
    if ce >= 1.0:
        if A * (ce - 1.0) > A * eps_c + em:
            return 0, 0.0, 0.0  # every cell has c <= 1 < c*: margin < -(A eps_c + em)
        return 2, 0.0, 0.0
    if ce <= -1.0:
        return 2, 0.0, 0.0
    sw2 = (1.0 - ce) * (1.0 + ce)
    if not (K <= 0.1 * sw2):
        return 2, 0.0, 0.0
    return 1, math.acos(ce), 2.5 * K / math.sqrt(sw2) + 1e-13


@njit(cache=CACHE, inline="always")
def _clear_of_cells(u, slack):
    """Whether the point ``u`` (cell units) is farther than ``slack`` from every cell centre (integers)."""
    f = u - math.floor(u)
    return f > slack and 1.0 - f > slack


@njit(cache=CACHE)
def _fast_segments(s_h, s_z, r, lon_s, rho, z, cphi, sphi, lon0, d, n, full, sin_el, em_a, em_b):
    """The cells of one row (``n`` cells from ``lon0``, spacing ``d`` rad; ``full``: a whole circle) that a
    satellite (``s_h, s_z, r`` km, longitude ``lon_s`` rad) serves under an elevation mask, from the
    analytic arc of :func:`_arc_fast` where its error bound clears every cell centre.

    Returns ``(code, a0, l0, a1, l1)``: code 0 - proved empty; 1 - served cells are the (wrapping) runs
    ``a0, l0`` and ``a1, l1`` (cell offsets and lengths, a zero length is no run); 2 - undecided, walk
    with the exact test.  Scalars only, so the call is cheap in the hot loop."""
    st, w, slack = _arc_fast(s_h, s_z, r, rho, z, cphi, sphi, sin_el, em_a, em_b)
    if st != 1:
        return st, 0, 0, 0, 0
    inv_d = 1.0 / d
    M = _TWO_PI * inv_d
    wc = w * inv_d
    sl = slack * inv_d
    if not (wc + 1.0 < 0.5 * M):  # the cells just outside the arc must be under 180 deg from the meridian
        return 2, 0, 0, 0, 0
    dx = lon_s - lon0
    if dx < 0.0:
        dx += _TWO_PI
    if dx >= _TWO_PI:
        dx -= _TWO_PI
    x = dx * inv_d
    if full:
        ur = x + wc
        ul = x - wc
        if not (_clear_of_cells(ur, sl) and _clear_of_cells(ul, sl)):
            return 2, 0, 0, 0, 0
        kr = int(math.floor(ur))
        kl = int(math.ceil(ul))
        if kl > kr:
            return 0, 0, 0, 0, 0
        length = kr - kl + 1
        if length >= n:
            return 1, 0, n, 0, 0
        if kl < 0:
            kl += n
        elif kl >= n:
            kl -= n
        return 1, kl, length, 0, 0
    # partial row: one copy of the arc per copy of the meridian (x - M, x, x + M), clipped to the row
    for m in range(-1, 2):
        xc = x + m * M
        ur = xc + wc
        ul = xc - wc
        if ur >= -1.0 and ul <= n and not (_clear_of_cells(ur, sl) and _clear_of_cells(ul, sl)):
            return 2, 0, 0, 0, 0
    a0 = l0 = a1 = l1 = 0
    got = 0
    for m in range(-1, 2):
        xc = x + m * M
        kr = min(int(math.floor(xc + wc)), n - 1)
        kl = max(int(math.ceil(xc - wc)), 0)
        if kl <= kr:
            if got == 0:
                a0, l0 = kl, kr - kl + 1
            else:
                a1, l1 = kl, kr - kl + 1
            got += 1
    return 1, a0, l0, a1, l1


@njit(cache=CACHE, parallel=True)
def sat_table(geo, sat_serv):
    """Per step, the serving satellites sorted by geocentric latitude (so a row finds the satellites
    whose cap can reach it by a search in latitude).

    Returns ``order`` int64 (n_t, n_sat) (satellite indices, the first ``n_ok[t]`` valid), ``lat_sorted``
    float64 (n_t, n_sat) (their latitudes, rad), ``n_ok`` int64 (n_t,) and ``cap_max`` float64 (n_t,)
    (largest cap angle of the step, rad).  Satellites with NaN geometry or no service are left out.
    """
    nt, ns = geo.shape[0], geo.shape[1]
    order = np.zeros((nt, ns), np.int64)
    lat_sorted = np.zeros((nt, ns))
    n_ok = np.zeros(nt, np.int64)
    cap_max = np.zeros(nt)
    for t in prange(nt):
        lat = np.empty(ns)
        idx = np.empty(ns, np.int64)
        m = _sort_step(geo, t, sat_serv, lat, idx)
        cm = 0.0
        for i in range(m):
            order[t, i] = idx[i]
            lat_sorted[t, i] = lat[i]
            cm = max(cm, geo[t, idx[i], 5])
        n_ok[t] = m
        cap_max[t] = cm
    return order, lat_sorted, n_ok, cap_max


@njit(cache=CACHE)
def _sort_step(geo, t, sat_serv, lat, idx):
    """The serving satellites of step ``t`` with valid geometry, sorted by latitude (stable) into ``lat``
    and ``idx``; returns how many."""
    m = 0
    for s in range(geo.shape[1]):
        cap = geo[t, s, 5]
        if sat_serv[s] >= 0 and cap == cap:
            lat[m] = geo[t, s, 3]
            idx[m] = s
            m += 1
    o = np.argsort(lat[:m], kind="mergesort")
    tmp_l = lat[:m].copy()
    tmp_i = idx[:m].copy()
    for i in range(m):
        lat[i] = tmp_l[o[i]]
        idx[i] = tmp_i[o[i]]
    return m


@njit(cache=CACHE, inline="always")
def _seek(a, n, v, strict, i):
    """First index in ``a[:n]`` (sorted) with ``a[i] >= v`` (``strict``: ``a[i] > v``), found by walking
    from the guess ``i``: the previous step's answer, a few places away at most, as the table's latitudes
    move little between steps (a row's first step walks from 0)."""
    i = min(max(i, 0), n)
    while i > 0 and not (a[i - 1] < v or (strict and a[i - 1] == v)):
        i -= 1
    while i < n and (a[i] < v or (strict and a[i] == v)):
        i += 1
    return i


@njit(cache=CACHE)
def _grow(runs, nr, need):
    """A bigger copy of the run buffer (first ``nr`` rows kept) holding at least ``need`` runs."""
    bigger = np.empty((2 * runs.shape[0] + need, 3), np.int64)
    bigger[:nr] = runs[:nr]
    return bigger


@njit(cache=CACHE)
def _collect_in(k_s, k_lo, k_len, n_arcs, k, n, stamp, mark, sat_list, m):
    """Satellites of the runs ``(k_s[q], k_lo[q], k_len[q])``, ``q < n_arcs``, whose run contains cell
    offset ``k`` (modulo ``n``; empty runs allowed): marked ``stamp`` in ``mark`` and listed in
    ``sat_list`` from position ``m``; returns the new length of the list."""
    for q in range(n_arcs):
        off = k - k_lo[q]
        if off < 0:
            off += n
        if off < k_len[q]:
            s = k_s[q]
            mark[s] = stamp
            sat_list[m] = s
            m += 1
    return m


def fast_ok(sin_el: np.ndarray, use_cone: np.ndarray) -> np.ndarray:
    """Per satellite: whether its arc ends may come from the analytic bound (:func:`_arc_fast`)."""
    return (~np.asarray(use_cone, bool)) & (np.asarray(sin_el, float) >= FAST_MIN_SIN_EL)


#: A&S 4.4.46 (Abramowitz and Stegun, *Handbook of Mathematical Functions*, 1964): for 0 <= x <= 1,
#: ``acos(x) = sqrt(1 - x) (a0 + a1 x + ... + a7 x^7) + e(x)`` with ``|e(x)| <= 2e-8``.
_AS_ACOS = (1.5707963050, -0.2145988016, 0.0889789874, -0.0501743046, 0.0308918810, -0.0170881256,
            0.0066700901, -0.0012624911)
#: Error bound (rad) carried into the fast path's slack for :func:`_acos_poly`: the published 2e-8 plus
#: margin for rounding (``tests/test_coverage_oracle.py`` checks it on a dense sample).
ACOS_POLY_ERR = 5e-8
_BIG = np.int32(2 ** 31 - 1)  # "no sample yet" for a running minimum


@njit(cache=CACHE, inline="always", error_model="numpy")
def _acos_poly(x):
    """``acos(x)`` for ``-1 <= x <= 1`` to within :data:`ACOS_POLY_ERR` rad, branch-free (vectorises)."""
    ax = abs(x)
    p = _AS_ACOS[7]
    p = p * ax + _AS_ACOS[6]
    p = p * ax + _AS_ACOS[5]
    p = p * ax + _AS_ACOS[4]
    p = p * ax + _AS_ACOS[3]
    p = p * ax + _AS_ACOS[2]
    p = p * ax + _AS_ACOS[1]
    p = p * ax + _AS_ACOS[0]
    a = math.sqrt(max(1.0 - ax, 0.0)) * p
    return a if x >= 0.0 else math.pi - a


@njit(cache=CACHE, error_model="numpy")
def acos_poly(x):
    """Array form of the fast path's ``acos`` (for tests of its error bound)."""
    out = np.empty(x.size)
    for i in range(x.size):
        out[i] = _acos_poly(x[i])
    return out


#: Runs of steps :func:`sat_tables` splits a chunk into (each starts with a full sort; enough for 16 threads).
_TABLE_RUNS = 16


@njit(cache=CACHE, parallel=True, nogil=True)
def sat_tables(geo, sat_serv, sat_sin_el, sat_fast):
    """Per step, the serving satellites sorted by geocentric latitude, as contiguous columns (so a row
    reaches the satellites whose cap can reach it by a short search and reads their geometry in order).

    Returns ``tab`` float64 (n_t, 8, n_sat) - rows ``s_h, s_z, r, lat_gc, lon, cap`` (as
    :data:`GEO_FIELDS`), ``sin_el`` (NaN where the satellite may not take the analytic fast path, see
    :func:`fast_ok`) and ``1 / s_h`` - ``order`` int64 (n_t, n_sat) (satellite index of each column),
    ``n_ok`` int64 (n_t,) (valid columns) and ``cap_max`` float64 (n_t,).  Only the first ``n_ok[t]``
    columns of a step are written.  Satellites with NaN geometry or no service are left out.  The steps
    are split into :data:`_TABLE_RUNS` runs done in parallel; each step starts from the previous step's
    order, in which latitudes have barely moved, and finishes it by insertion sort (a full sort at a run's
    first step and where the set changes).  Satellites of equal latitude may come in either order: nothing
    downstream depends on it.
    """
    nt, ns = geo.shape[0], geo.shape[1]
    tab = np.empty((nt, 8, ns))
    order = np.empty((nt, ns), np.int64)
    n_ok = np.zeros(nt, np.int64)
    cap_max = np.zeros(nt)
    # (a fixed count, not numba.get_num_threads(): that call would keep the kernels out of the cache)
    n_seg = max(1, min(nt, _TABLE_RUNS))
    for g in prange(n_seg):
        _sat_tables_run(geo, sat_serv, sat_sin_el, sat_fast, g * nt // n_seg, (g + 1) * nt // n_seg, tab, order,
                        n_ok, cap_max)
    return tab, order, n_ok, cap_max


@njit(cache=CACHE, nogil=True)
def _sat_tables_run(geo, sat_serv, sat_sin_el, sat_fast, t_a, t_b, tab, order, n_ok, cap_max):
    """:func:`sat_tables` for the steps ``t_a .. t_b - 1``."""
    ns = geo.shape[1]
    lat = np.empty(ns)
    idx = np.empty(ns, np.int64)
    valid_prev = -1
    for t in range(t_a, t_b):
        m = 0
        cm = 0.0
        n_valid = 0
        for s in range(ns):
            cap = geo[t, s, 5]
            if sat_serv[s] >= 0 and cap == cap:
                n_valid += 1
        same = t > t_a and n_valid == valid_prev
        if same:
            for i in range(n_valid):
                if not (geo[t, order[t - 1, i], 5] == geo[t, order[t - 1, i], 5]):
                    same = False
                    break
        if same:
            # the same satellites as the previous step: finish its order by insertion sort
            for i in range(n_valid):
                s = order[t - 1, i]
                idx[i] = s
                lat[i] = geo[t, s, 3]
            m = n_valid
            for i in range(1, m):
                v = lat[i]
                si = idx[i]
                w = i
                while w > 0 and lat[w - 1] > v:
                    lat[w] = lat[w - 1]
                    idx[w] = idx[w - 1]
                    w -= 1
                lat[w] = v
                idx[w] = si
        else:
            m = _sort_step(geo, t, sat_serv, lat, idx)
        valid_prev = n_valid
        for i in range(m):
            s = idx[i]
            order[t, i] = s
            for f in range(6):
                tab[t, f, i] = geo[t, s, f]
            tab[t, 6, i] = sat_sin_el[s] if sat_fast[s] else np.nan
            tab[t, 7, i] = 1.0 / geo[t, s, 0]
            if geo[t, s, 5] > cm:
                cm = geo[t, s, 5]
        n_ok[t] = m
        cap_max[t] = cm


@njit(cache=CACHE, error_model="numpy", fastmath={"contract"})
def _arcs_full_row(tab, order, t, lo, hi, phi, rho, z, cphi, sphi, inv_cphi, lon0, d, n, em_a, em_b, code,
                   k_s, k_lo, k_len):
    """Fast path for a full-circle row: for the table columns ``lo..hi`` of step ``t``
    (:func:`sat_tables`), the served arc of each satellite from the analytic bound of :func:`_arc_fast`,
    written without branches, divisions or ``acos`` so that the loop vectorises.

    Writes, for column ``lo + i``, the run ``(k_s[i], k_lo[i], k_len[i])``: the satellite (``order[t, lo +
    i]``) serves the ``k_len[i]`` cells from offset ``k_lo[i]`` (wrapping), and ``code[i]``: 0 - it serves
    no cell of the row (outside its cap, or proved empty); 1 - the run is its arc; 2 - undecided: the exact
    walk of :func:`row_runs` decides.  Runs of codes 0 and 2 are empty (``k_lo = k_len = 0``), so the
    arrays can be used as they are, as a list of runs with some empty ones.  Returns how many have code 2.

    The conditions are :func:`_arc_fast`'s and :func:`_fast_segments`'s with three bounds loosened so
    that no accepted cell can differ: (1) the cancellation ratio ``Em / E`` (at most 1e4, as there) and
    ``sqrt(Em)`` (at most ``100 sqrt(E)``) are replaced by those maxima in ``eps_c``, so
    ``eps_c = 1e-9 (1 + Bm / A + (s^2 D + 100 s sqrt(E)) / A^2)`` bounds :func:`_arc_fast`'s; the
    reciprocals ``1 / A`` come from ``1 / s_h`` and ``1 / cos(phi)`` (a few ulp, far inside the 1e-9);
    (2) ``acos`` is :func:`_acos_poly`, whose error :data:`ACOS_POLY_ERR` is added to the slack; (3) the
    slack test ``dist > 2.5 K / sin(w)`` (``dist`` the angular distance of the arc end from the nearest
    cell centre, less the acos and longitude-rounding allowances) is evaluated squared,
    ``dist^2 sin^2(w) > (2.5 K)^2``, with a factor 1.01 on ``2.5 K`` for its rounding.

    LLVM may fuse multiply-adds here (numba ``fastmath={"contract"}``, nothing else): a fused
    ``a * b + c`` rounds once where the separate operations round twice, so every bound above, which
    allows a rounding error per operation, holds as it is (the loop ran 15-20% faster with it).
    """
    rr = rho * rho + z * z
    Bq = rho * cphi + z * sphi
    aBq = abs(Bq)
    inv_d = 1.0 / d
    M = _TWO_PI * inv_d
    extra = (ACOS_POLY_ERR + 1e-13) * inv_d
    # 1-D views indexed from 0: no negative-index wraparound in the loop, so it vectorises
    v_sh = tab[t, 0, lo:hi]
    v_sz = tab[t, 1, lo:hi]
    v_r = tab[t, 2, lo:hi]
    v_lat = tab[t, 3, lo:hi]
    v_lon = tab[t, 4, lo:hi]
    v_cap = tab[t, 5, lo:hi]
    v_s = tab[t, 6, lo:hi]
    v_ish = tab[t, 7, lo:hi]
    v_ord = order[t, lo:hi]
    n_undecided = 0
    for i in range(hi - lo):
        s_h = v_sh[i]
        s_z = v_sz[i]
        r = v_r[i]
        lat = v_lat[i]
        lon = v_lon[i]
        capv = v_cap[i]
        s = v_s[i]
        inv_sh = v_ish[i]
        A = s_h * cphi
        Bp = s_z * sphi
        B = Bp - Bq
        hz = s_h * s_h + s_z * s_z
        C = hz + rr - 2.0 * s_z * z
        D = 2.0 * s_h * rho
        a2 = A * A
        s2 = s * s
        E = 4.0 * a2 * C + 4.0 * A * B * D + s2 * D * D
        Bm = abs(Bp) + aBq
        Em = 4.0 * a2 * (hz + rr + 2.0 * abs(s_z * z)) + 4.0 * A * Bm * D + s2 * D * D
        sqE = math.sqrt(max(E, 0.0))
        inv_a = inv_sh * inv_cphi
        inv = 0.5 * inv_a * inv_a
        ce = (s * sqE - (2.0 * A * B + s2 * D)) * inv
        eps_c = 1e-9 * (1.0 + Bm * inv_a + 2.0 * inv * (s2 * D + 100.0 * s * sqE))
        good = (A > 1.0) & (D > 0.0) & (E > 1e-4 * Em) & (A * ce + B > 1e-6 * (Bm + A))
        em = em_a + em_b * r
        K = eps_c + em * inv_a
        none = (ce >= 1.0) & (A * (ce - 1.0) > A * eps_c + em)
        sw2 = (1.0 - ce) * (1.0 + ce)
        cec = min(max(ce, -1.0), 1.0)
        wc = _acos_poly(cec) * inv_d
        dx = lon - lon0
        dx = dx + _TWO_PI if dx < 0.0 else dx
        dx = dx - _TWO_PI if dx >= _TWO_PI else dx
        x = dx * inv_d
        ur = x + wc
        ul = x - wc
        fr = math.floor(ur)
        cl = math.ceil(ul)
        gr = ur - fr
        gl = cl - ul
        dist = min(min(gr, 1.0 - gr), min(gl, 1.0 - gl)) - extra
        kk = 2.525 * K * inv_d
        arc = (ce < 1.0) & (ce > -1.0) & (wc + 1.0 < 0.5 * M) & (K <= 0.1 * sw2) & (dist > 0.0) & \
            (dist * dist * sw2 > kk * kk)
        inside = abs(phi - lat) <= capv
        cd = 1 if arc else 2
        cd = 0 if none else cd
        cd = cd if good else 2
        cd = cd if inside else 0
        ln = fr - cl + 1.0
        cd = 0 if (cd == 1) & (ln <= 0.0) else cd
        kl = cl if cl >= 0.0 else cl + n
        kl = kl - n if kl >= n else kl
        code[i] = cd
        k_s[i] = v_ord[i]
        k_lo[i] = int(kl) if cd == 1 else 0
        k_len[i] = int(min(ln, n)) if cd == 1 else 0
        n_undecided += 1 if cd == 2 else 0
    return n_undecided


@njit(cache=CACHE)
def _walk(r, t, s, pos, geo, cell_p, cell_u, row_start, row_count, row_full, row_lon0, row_dlon, row_rho, row_z,
          row_cphi, row_sphi, row_phigc, sat_sin_el, sat_use_cone, sat_cos_half, sat_contig, runs, nr, spare):
    """Append satellite ``s``'s runs in row ``r`` at step ``t`` by the exact walk of :func:`row_runs`,
    growing ``runs`` (by ``spare`` more) when full; returns ``(runs, n_runs)``."""
    while True:
        nr2 = row_runs(r, t, s, pos, geo, cell_p, cell_u, row_start, row_count, row_full, row_lon0, row_dlon,
                       row_rho, row_z, row_cphi, row_sphi, row_phigc, sat_sin_el[s], sat_use_cone[s],
                       sat_cos_half[s], sat_contig[s], runs, nr)
        if nr2 <= runs.shape[0]:
            return runs, nr2
        runs = _grow(runs, nr, nr2 + spare)


@njit(cache=CACHE, inline="always")
def _add_run(diff, j, a, length, n):
    """+1 on the cells ``a .. a + length - 1`` (modulo ``n``) of ``diff[j]``'s prefix sum."""
    end = a + length
    wrap = end > n
    diff[j, a] += 1
    diff[j, end - n if wrap else end] -= 1
    diff[j, 0] += 1 if wrap else 0


@njit(cache=CACHE, nogil=True, error_model="numpy")
def _row_chunk(r, pos, tab, order, n_ok, cap_max, n_lead, i0, t_ticks, cell_p, cell_u, row_start,
               row_count, row_full, row_lon0, row_dlon, row_rho, row_z, row_cphi, row_sphi, row_phigc, row_fast,
               row_em_a, row_em_b, sat_serv, sat_sin_el, sat_use_cone, sat_cos_half, sat_contig, sat_fast,
               use_fast, serv_min_sats, with_any, refine, geo, st2, n_cells, row_cov, siv, resume):
    """One row of :func:`coverage_rows` over the chunk (its cells are this call's alone)."""
    n_t1, ns = pos.shape[0], pos.shape[1]
    n_serv = serv_min_sats.shape[0]
    n_out = n_serv + (1 if with_any else 0)
    first_new = n_lead
    write_siv = siv.shape[0] > 0
    one = n_serv == 1 and not with_any
    ms0 = np.int32(min(serv_min_sats[0], 2 ** 31 - 1))
    n = row_count[r]
    c0 = row_start[r]
    phi = row_phigc[r]
    fast_row = use_fast and row_fast[r]
    vec_row = fast_row and row_full[r] and n > 1 and row_cphi[r] > 0.0
    inv_cphi_r = 1.0 / row_cphi[r] if vec_row else 0.0
    rho_r, z_r, cphi_r, sphi_r = row_rho[r], row_z[r], row_cphi[r], row_sphi[r]
    lon0_r, dlon_r, full_r, em_a_r, em_b_r = row_lon0[r], row_dlon[r], row_full[r], row_em_a[r], row_em_b[r]
    runs_a = np.empty((2 * ns + 8, 3), np.int64)
    runs_b = np.empty((2 * ns + 8, 3), np.int64)
    n_prev = 0
    code = np.empty(ns, np.int64)
    # arcs of the fast path (:func:`_arcs_full_row`) at the previous step (index p_arc) and this one
    arc_s = np.zeros((2, ns), np.int64)
    arc_lo = np.zeros((2, ns), np.int64)
    arc_len = np.zeros((2, ns), np.int64)
    p_arc = 0
    n_arc_prev = 0
    # per-cell arrays of this row: counts in int32 (twice the SIMD width), sums in int64
    diff = np.zeros((n_serv, n + 1), np.int32)
    cur = np.zeros((n_out, n), np.int32)   # satellites serving each cell at this sample, per output
    prv = np.zeros((n_out, n), np.int32)   # ... at the previous sample
    cov_cur = np.zeros((n_out, n), np.int32)
    cov_prev = np.zeros((n_out, n), np.int32)
    loc_sum = np.zeros((n_out, n), np.int64)
    loc_min = np.zeros((n_out, n), np.int32)
    loc_max = np.zeros((n_out, n), np.int32)
    sim = np.zeros(n_serv, np.int64)
    flip_k = np.empty(n + 1, np.int64)
    flip_seen = np.full(n, -1, np.int64)
    ev_f = np.empty(ns + 1)
    ev_s = np.empty(ns + 1, np.int64)
    ev_j = np.empty(ns + 1, np.int64)
    ev_d = np.empty(ns + 1, np.int64)
    mark_p = np.full(ns, -1, np.int64)
    mark_c = np.full(ns, -1, np.int64)
    list_p = np.empty(ns, np.int64)
    list_c = np.empty(ns, np.int64)
    stamp = 0
    rcov = np.zeros(n_out, np.int64)
    t_start = max(first_new - 1, 0)
    lo = 0
    hi = 0
    for t in range(t_start, n_t1):
        # -- the runs of this row at step t: satellites whose cap reaches the row (bounds walked from the last step) --
        n_cur = 0
        m_ok = n_ok[t]
        cm = cap_max[t]
        lo = _seek(tab[t, 3], m_ok, phi - cm, False, lo)
        hi = _seek(tab[t, 3], m_ok, phi + cm, True, hi)
        cb = 1 - p_arc
        n_arc = 0
        if vec_row:
            # arcs decided by the bound stay in arc_*[cb] as they are; the undecided ones walk into runs_b
            n_arc = hi - lo
            n_walk = _arcs_full_row(tab, order, t, lo, hi, phi, rho_r, z_r, cphi_r, sphi_r, inv_cphi_r, lon0_r,
                                    dlon_r, n, em_a_r, em_b_r, code, arc_s[cb], arc_lo[cb], arc_len[cb])
            if n_walk > 0:
                for q in range(n_arc):
                    if code[q] == 2:
                        runs_b, n_cur = _walk(r, t, order[t, lo + q], pos, geo, cell_p, cell_u, row_start,
                                              row_count, row_full, row_lon0, row_dlon, row_rho, row_z, row_cphi,
                                              row_sphi, row_phigc, sat_sin_el, sat_use_cone, sat_cos_half,
                                              sat_contig, runs_b, n_cur, 2 * n_walk)
        elif n_cur + 2 * (hi - lo) > runs_b.shape[0]:
            runs_b = _grow(runs_b, n_cur, 2 * (hi - lo))
        for iq in range(lo, lo if vec_row else hi):
            # other rows (partial, near-polar, off-model) and requirements: one satellite at a time
            s = order[t, iq]
            if not (abs(phi - tab[t, 3, iq]) <= tab[t, 5, iq]):
                continue
            if fast_row and sat_fast[s]:
                cd, a0, l0, a1, l1 = _fast_segments(tab[t, 0, iq], tab[t, 1, iq], tab[t, 2, iq], tab[t, 4, iq],
                                                    rho_r, z_r, cphi_r, sphi_r, lon0_r, dlon_r, n, full_r,
                                                    sat_sin_el[s], em_a_r, em_b_r)
                if cd == 0:
                    continue
                if cd == 1:
                    if n_cur + 2 > runs_b.shape[0]:
                        runs_b = _grow(runs_b, n_cur, n_cur + 2)
                    if l0 > 0:
                        n_cur = _emit(runs_b, n_cur, s, a0, l0)
                    if l1 > 0:
                        n_cur = _emit(runs_b, n_cur, s, a1, l1)
                    continue
            runs_b, n_cur = _walk(r, t, s, pos, geo, cell_p, cell_u, row_start, row_count, row_full, row_lon0,
                                  row_dlon, row_rho, row_z, row_cphi, row_sphi, row_phigc, sat_sin_el,
                                  sat_use_cone, sat_cos_half, sat_contig, runs_b, n_cur, 2 * (hi - iq))
        # -- satellites in view per cell and service: difference array, prefix sum --
        if n_arc > 0:
            a_lo = arc_lo[cb]
            a_len = arc_len[cb]
            if n_serv == 1:
                d_0 = diff[0]
                for q in range(n_arc):
                    # _add_run on service 0 (an empty run adds and takes one at offset 0)
                    a = a_lo[q]
                    end = a + a_len[q]
                    wrap = end > n
                    d_0[a] += 1
                    d_0[end - n if wrap else end] -= 1
                    d_0[0] += 1 if wrap else 0
            else:
                a_s = arc_s[cb]
                for q in range(n_arc):
                    _add_run(diff, sat_serv[a_s[q]], a_lo[q], a_len[q], n)
        for q in range(n_cur):
            _add_run(diff, sat_serv[runs_b[q, 0]], runs_b[q, 1], runs_b[q, 2], n)
        if one and t >= first_new and i0 + (t - first_new) != 0:
            # one service, an ordinary sample: prefix sum (a serial chain), then the count statistics
            # and the coverage flips in a loop that vectorises, then the (few) flipped cells listed
            tt = t - first_new
            d_0 = diff[0]
            cur_0 = cur[0]
            cc_0 = cov_cur[0]
            cp_0 = cov_prev[0]
            ls_0 = loc_sum[0]
            lmin_0 = loc_min[0]
            lmax_0 = loc_max[0]
            acc = 0
            for k in range(n):
                acc += d_0[k]
                cur_0[k] = acc
            d_0[:] = 0  # one pass after the chain (stores inside it made it 1.7x slower)
            n_flip = 0
            for k in range(n):
                v = cur_0[k]
                cv = np.int32(1) if v >= ms0 else np.int32(0)
                n_flip += cv ^ cp_0[k]
                cc_0[k] = cv
                ls_0[k] += v
                lmin_0[k] = min(lmin_0[k], v)
                lmax_0[k] = max(lmax_0[k], v)
            if n_flip > 0:
                n_flip = 0
                for k in range(n):
                    if cc_0[k] != cp_0[k]:
                        flip_k[n_flip] = k
                        n_flip += 1
            if write_siv:
                for k in range(n):
                    siv[0, tt, c0 + k] = cur[0, k]
            if n_flip > 0:
                stamp = _flips(r, t, n, c0, n_cells, n_serv, n_out, pos, cell_p, cell_u, sat_serv,
                               sat_sin_el, sat_use_cone, sat_cos_half, serv_min_sats, refine, t_ticks,
                               runs_a, n_prev, runs_b, n_cur, arc_s, arc_lo, arc_len, p_arc, n_arc_prev, n_arc,
                               prv, cur, cov_cur, cov_prev, rcov, st2, sim,
                               ev_f, ev_s, ev_j, ev_d, mark_p, mark_c, list_p, list_c, stamp, flip_k, n_flip)
            row_cov[0, r, tt] = rcov[0]
            runs_a, runs_b = runs_b, runs_a
            n_prev = n_cur
            p_arc = cb
            n_arc_prev = n_arc
            cur, prv = prv, cur
            continue
        for j in range(n_serv):
            acc = 0
            mj = serv_min_sats[j]
            for k in range(n):
                acc += diff[j, k]
                cur[j, k] = acc
                cov_cur[j, k] = 1 if acc >= mj else 0
            diff[j, :] = 0
        if with_any:
            for k in range(n):
                cur[n_serv, k] = 0
                cov_cur[n_serv, k] = 0
            for j in range(n_serv):
                for k in range(n):
                    cur[n_serv, k] += cur[j, k]
                    cov_cur[n_serv, k] |= cov_cur[j, k]
        if t < first_new:
            # the previous chunk's last sample: this chunk's timelines open there (reductions.begin), or,
            # resuming, the state's timelines go on from it with their count statistics
            for o in range(n_out):
                for k in range(n):
                    oc = o * n_cells + c0 + k
                    if resume:
                        loc_sum[o, k] = st2[oc, CNT_SUM]
                        loc_min[o, k] = st2[oc, CNT_MIN]
                        loc_max[o, k] = st2[oc, CNT_MAX]
                    else:
                        begin(st2, oc, t_ticks[t], cov_cur[o, k], i0)
                        loc_sum[o, k] = 0
                        loc_min[o, k] = _BIG
                        loc_max[o, k] = -1
                    cov_prev[o, k] = cov_cur[o, k]
                    rcov[o] += cov_cur[o, k]
        else:
            tt = t - first_new
            i = i0 + tt
            if write_siv:
                for o in range(n_out):
                    for k in range(n):
                        siv[o, tt, c0 + k] = cur[o, k]
            if i == 0:
                for o in range(n_out):
                    for k in range(n):
                        begin(st2, o * n_cells + c0 + k, t_ticks[t], cov_cur[o, k], 0)
                        cov_prev[o, k] = cov_cur[o, k]
                        rcov[o] += cov_cur[o, k]
                        loc_sum[o, k] = cur[o, k]
                        loc_min[o, k] = cur[o, k]
                        loc_max[o, k] = cur[o, k]
            else:
                # count statistics of every cell (vectorised); coverage flips counted on the way
                n_flip = 0
                for o in range(n_out):
                    for k in range(n):
                        v = cur[o, k]
                        loc_sum[o, k] += v
                        loc_min[o, k] = min(loc_min[o, k], v)
                        loc_max[o, k] = max(loc_max[o, k], v)
                        f_o = cov_cur[o, k] ^ cov_prev[o, k]
                        if f_o and flip_seen[k] != t:
                            flip_seen[k] = t
                            flip_k[n_flip] = k
                            n_flip += 1
                if n_flip > 0:
                    stamp = _flips(r, t, n, c0, n_cells, n_serv, n_out, pos, cell_p, cell_u, sat_serv,
                                   sat_sin_el, sat_use_cone, sat_cos_half, serv_min_sats, refine, t_ticks,
                                   runs_a, n_prev, runs_b, n_cur, arc_s, arc_lo, arc_len, p_arc, n_arc_prev,
                                   n_arc, prv, cur, cov_cur, cov_prev, rcov, st2, sim,
                                   ev_f, ev_s, ev_j, ev_d, mark_p, mark_c, list_p, list_c, stamp, flip_k,
                                   n_flip)
            for o in range(n_out):
                row_cov[o, r, tt] = rcov[o]
        runs_a, runs_b = runs_b, runs_a
        n_prev = n_cur
        p_arc = cb
        n_arc_prev = n_arc
        cur, prv = prv, cur
    # counts into the state: sum over the chunk's samples, the last count, minimum and maximum
    i_end = i0 + (n_t1 - first_new)
    for o in range(n_out):
        for k in range(n):
            oc = o * n_cells + c0 + k
            st2[oc, CNT_SUM] = loc_sum[o, k]
            st2[oc, CNT_PREV] = prv[o, k]
            st2[oc, CNT_LAST] = i_end
            st2[oc, CNT_MIN] = loc_min[o, k]
            st2[oc, CNT_MAX] = loc_max[o, k]
            st2[oc, T1] = t_ticks[n_t1 - 1]
            st2[oc, IEND] = i_end


@njit(cache=CACHE, error_model="numpy")
def _flips(r, t, n, c0, n_cells, n_serv, n_out, pos, cell_p, cell_u, sat_serv, sat_sin_el, sat_use_cone,
           sat_cos_half, serv_min_sats, refine, t_ticks, runs_a, n_prev, runs_b, n_cur, arc_s, arc_lo, arc_len,
           p_arc, n_arc_prev, n_arc_cur, prv, cur, cov_cur, cov_prev, rcov, st2, sim, ev_f, ev_s, ev_j, ev_d,
           mark_p, mark_c, list_p, list_c, stamp, flip_k, n_flip):
    """Record the coverage transitions of row ``r`` between samples ``t-1`` and ``t`` at the cells
    ``flip_k[:n_flip]`` (where some output's ``cov_cur`` differs from ``cov_prev``), refined as
    :func:`coverage_rows` describes.  The runs of sample ``t-1`` are ``runs_a[:n_prev]`` and the arcs
    ``arc_*[p_arc, :n_arc_prev]``; those of sample ``t`` are ``runs_b[:n_cur]`` and ``arc_*[1 - p_arc,
    :n_arc_cur]``.  Returns the updated marker stamp."""
    t_prev = t_ticks[t - 1]
    t_cur = t_ticks[t]
    for q_f in range(n_flip):
        k = flip_k[q_f]
        c = c0 + k
        ne = 0
        if refine:
            stamp += 1
            n_p = 0
            n_c = 0
            for j in range(n_serv):
                n_p += prv[j, k]
                n_c += cur[j, k]
            # (no satellite served the cell at a sample: nothing to look for in that sample's runs)
            mp = 0
            mc = 0
            if n_p > 0:
                mp = _collect_in(runs_a[:, 0], runs_a[:, 1], runs_a[:, 2], n_prev, k, n, stamp, mark_p, list_p, 0)
                mp = _collect_in(arc_s[p_arc], arc_lo[p_arc], arc_len[p_arc], n_arc_prev, k, n, stamp, mark_p,
                                 list_p, mp)
            if n_c > 0:
                mc = _collect_in(runs_b[:, 0], runs_b[:, 1], runs_b[:, 2], n_cur, k, n, stamp, mark_c, list_c, 0)
                mc = _collect_in(arc_s[1 - p_arc], arc_lo[1 - p_arc], arc_len[1 - p_arc], n_arc_cur, k, n, stamp,
                                 mark_c, list_c, mc)
            # satellites that rose (in cur only) or set (in prev only), each one event
            for side in range(2):
                inc = side == 0
                cnt_side = mc if inc else mp
                for q in range(cnt_side):
                    s = list_c[q] if inc else list_p[q]
                    if (mark_p[s] if inc else mark_c[s]) == stamp:
                        continue
                    m0 = margin(pos[t - 1, s, 0], pos[t - 1, s, 1], pos[t - 1, s, 2], cell_p[c, 0],
                                cell_p[c, 1], cell_p[c, 2], cell_u[c, 0], cell_u[c, 1],
                                cell_u[c, 2], sat_sin_el[s], sat_use_cone[s], sat_cos_half[s])
                    m1 = margin(pos[t, s, 0], pos[t, s, 1], pos[t, s, 2], cell_p[c, 0],
                                cell_p[c, 1], cell_p[c, 2], cell_u[c, 0], cell_u[c, 1],
                                cell_u[c, 2], sat_sin_el[s], sat_use_cone[s], sat_cos_half[s])
                    m2 = np.nan
                    if t >= 2:
                        m2 = margin(pos[t - 2, s, 0], pos[t - 2, s, 1], pos[t - 2, s, 2],
                                    cell_p[c, 0], cell_p[c, 1], cell_p[c, 2], cell_u[c, 0],
                                    cell_u[c, 1], cell_u[c, 2], sat_sin_el[s], sat_use_cone[s],
                                    sat_cos_half[s])
                    f = crossing_fraction(m2, m0, m1, inc)
                    # insertion in time order, ties in satellite order
                    w = ne
                    while w > 0 and (ev_f[w - 1] > f or (ev_f[w - 1] == f and ev_s[w - 1] > s)):
                        ev_f[w] = ev_f[w - 1]
                        ev_s[w] = ev_s[w - 1]
                        ev_j[w] = ev_j[w - 1]
                        ev_d[w] = ev_d[w - 1]
                        w -= 1
                    ev_f[w] = f
                    ev_s[w] = s
                    ev_j[w] = sat_serv[s]
                    ev_d[w] = 1 if inc else -1
                    ne += 1
        for o in range(n_out):
            now = cov_cur[o, k]
            if now == cov_prev[o, k]:
                continue
            e = -1
            if refine and ne > 0:
                for j in range(n_serv):
                    sim[j] = prv[j, k]  # the previous sample's counts
                cov = cov_prev[o, k]
                fs = -1.0
                for w in range(ne):
                    sim[ev_j[w]] += ev_d[w]
                    if o < n_serv:
                        nv = 1 if sim[o] >= serv_min_sats[o] else 0
                    else:
                        nv = 0
                        for j in range(n_serv):
                            if sim[j] >= serv_min_sats[j]:
                                nv = 1
                    if nv != cov:
                        cov = nv
                        fs = ev_f[w]
                if fs >= 0.0:
                    e = t_prev + int(round(fs * (t_cur - t_prev)))
            if e < 0:
                e = t_cur if now == 1 else t_prev
            add_edge(st2, o * n_cells + c, e)
            cov_prev[o, k] = now
            rcov[o] += 1 if now == 1 else -1
    return stamp


@njit(cache=CACHE, parallel=True, nogil=True)
def coverage_rows(pos, geo, n_lead, i0, t_ticks, cell_p, cell_u, row_start, row_count, row_full, row_lon0,
                  row_dlon, row_rho, row_z, row_cphi, row_sphi, row_phigc, row_fast, row_em_a, row_em_b,
                  sat_serv, sat_sin_el, sat_use_cone, sat_cos_half, sat_contig, sat_fast, use_fast,
                  serv_min_sats, with_any, refine, state, row_cov, siv, resume=False):
    """One time chunk's partial reduction state, parallel over grid rows.

    Parameters
    ----------
    pos : float64 (n_t1, n_sat, 3)
        ITRS km positions; the first ``n_lead`` (0 to 2) steps are the samples just before the chunk
        (``n_lead`` is 0 only for the chunk that starts the window).
    geo : float64 (n_t1, n_sat, 6) from :func:`sat_geometry`
    i0 : int
        Global index of this chunk's first new sample.
    t_ticks : int64 (n_t1,)
        Microsecond ticks from the window start of the steps of ``pos``.
    cell_p ... row_em_b : arrays from :func:`row_geometry`
    sat_serv : int64 (n_sat,)
        Service index of each satellite (-1: serves nothing).
    sat_sin_el, sat_use_cone, sat_cos_half, sat_contig : per-satellite requirement
    sat_fast : bool (n_sat,) from :func:`fast_ok`; use_fast : bool
        Where both (and the row's ``row_fast``) allow it, arc ends come from the analytic bound of
        :func:`_arc_fast` (identical cells; ``use_fast=False`` walks every end with the exact test).
    serv_min_sats : int64 (n_serv,)
    with_any : bool
        Add an output "any" (covered when any service covers; count = sum of service counts).
    refine : bool
        Interpolate transition times between samples from the margins of the satellites that rose or set.
    state : int64 (n_out, n_cells, N_FIELDS)
        Output: the chunk's reduction state (:mod:`.reductions`), overwritten.  With a lead, each cell's
        timeline opens at the last lead sample (:func:`.reductions.begin`), so the state meets the
        previous chunk's in :func:`.reductions.combine`; without one it opens at sample 0.
    row_cov : int32 (n_out, n_rows, n_new)
        Output: covered cells per row at each new sample.
    siv : int16 (n_out, n_new, n_cells) or (0, 0, 0)
        Output when non-empty: satellites in view per cell at each new sample.
    resume : bool
        ``state`` already holds the timelines up to the last lead sample (a previous call on the steps
        just before, which must be that sample's own chunk): they go on from there instead of opening,
        exactly as if both calls had been one.  Needs ``n_lead >= 1``.  A long chunk done as several
        shorter calls keeps each call's satellite table (:func:`sat_tables`, 72 B per satellite-step,
        read again for every row) small enough to stay in cache.

    Each row keeps its cells' counts of the previous sample in a compact array; only cells whose
    coverage changed touch the state's timeline.  Transition time (``refine``): each satellite that rose
    or set at the cell between the two samples contributes one event at ``t_prev + f (t - t_prev)``,
    ``f`` the zero of its service margin (:func:`margin`) interpolated through the samples ``t-2, t-1,
    t`` (:func:`crossing_fraction`); events are replayed in time order (ties in satellite order) from the
    previous counts and the transition is placed at the last event that switched the output's coverage.
    (For one required satellite this is the first rise or the last set; with N > 1 each satellite's
    crossing is interpolated independently, which is the approximation.)
    """
    if resume and n_lead < 1:
        raise ValueError("coverage_rows: resume needs the lead sample (n_lead >= 1)")
    n_rows = row_start.shape[0]
    n_cells = state.shape[1]
    st2 = state.reshape((state.shape[0] * n_cells, state.shape[2]))  # one flat view: no per-cell slicing
    tab, order, n_ok, cap_max = sat_tables(geo, sat_serv, sat_sin_el, sat_fast)
    for r in prange(n_rows):
        _row_chunk(np.int64(r), pos, tab, order, n_ok, cap_max, n_lead, i0, t_ticks, cell_p, cell_u, row_start,
                   row_count, row_full, row_lon0, row_dlon, row_rho, row_z, row_cphi, row_sphi, row_phigc,
                   row_fast, row_em_a, row_em_b, sat_serv, sat_sin_el, sat_use_cone, sat_cos_half, sat_contig,
                   sat_fast, use_fast, serv_min_sats, with_any, refine, geo, st2, n_cells, row_cov, siv, resume)
