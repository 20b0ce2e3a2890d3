"""The analytic fast path: arc ends from the row model's closed form, where a proved error bound allows.

For an elevation mask of at least ``asin(FAST_MIN_SIN_EL)``, no cone, and rows whose cells match the row
model (:mod:`.rowmodel`) to 1e-9 km, as :func:`~.rowmodel.row_geometry` measures, :func:`_arc_fast` bounds
the error of the arc's ``c*`` and turns it into an angular slack around each arc end: every cell centre
farther than the slack from the end has an exact margin larger than the rounding of
:func:`~.visibility.serves` (and the cells' departure from the model) by a safety factor of 10, so its
exact test is certain and is skipped.  Where the slack reaches a cell centre, or the bound does not apply
(``c*`` near +-1, small ``A``, a large cancellation), the exact walk of :func:`~.rowmodel.row_runs`
decides, so the cells are the same either way.  Full-circle rows evaluate this bound for all their
candidate satellites in one vectorised, branch-free loop (:func:`arcs_full_row`: a polynomial ``acos``
whose error joins the slack, bounds loosened so no division is needed); nearly all candidates are decided
there and the rest walk.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from . import CACHE
from .fastmath import ACOS_POLY_ERR, poly_acos
from .rowmodel import ROW_CPHI, ROW_DLON, ROW_EM_A, ROW_EM_B, ROW_LON0, ROW_PHIGC, ROW_RHO, ROW_SPHI, ROW_Z
from .sattables import TAB_CAP, TAB_INV_SH, TAB_LAT, TAB_LON, TAB_R, TAB_SH, TAB_SIN_EL, TAB_SZ

__all__ = ["fast_ok", "fast_segments", "arcs_full_row", "FAST_MIN_SIN_EL"]

_TWO_PI = 2.0 * math.pi
#: The analytic arc ends are trusted only for masks of at least this (sine): well-separated roots.
FAST_MIN_SIN_EL = 0.02

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
    terms, times the cancellation ratio of ``E`` (up to 1e4 accepted).  A cell at angle ``w +- delta`` from the
    meridian has
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


@njit(cache=CACHE, inline="always")
def fast_segments(tab, t, i, rows_f, row, n, full, sin_el):
    """The cells of row ``row`` (``n`` cells; ``full``: a whole circle; ``rows_f`` the float row table of
    :mod:`.rowmodel`) that the satellite of table column ``i`` of step ``t`` (:func:`~.sattables.sat_tables`)
    serves under the elevation mask ``asin(sin_el)``, from the analytic arc of :func:`_arc_fast` where its
    error bound clears every cell centre.

    Returns ``(code, a0, l0, a1, l1)``: code 0 - proved empty; 1 - served cells are the (wrapping) runs
    ``a0, l0`` and ``a1, l1`` (cell offsets and lengths, a zero length is no run); 2 - undecided, walk
    with the exact test."""
    lon_s = tab[t, TAB_LON, i]
    lon0 = rows_f[row, ROW_LON0]
    d = rows_f[row, ROW_DLON]
    st, w, slack = _arc_fast(tab[t, TAB_SH, i], tab[t, TAB_SZ, i], tab[t, TAB_R, i], rows_f[row, ROW_RHO],
                             rows_f[row, ROW_Z], rows_f[row, ROW_CPHI], rows_f[row, ROW_SPHI], sin_el,
                             rows_f[row, ROW_EM_A], rows_f[row, ROW_EM_B])
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


def fast_ok(sin_el: np.ndarray, use_cone: np.ndarray) -> np.ndarray:
    """Per satellite: whether its arc ends may come from the analytic bound (:func:`_arc_fast`)."""
    return (~np.asarray(use_cone, bool)) & (np.asarray(sin_el, float) >= FAST_MIN_SIN_EL)


@njit(cache=CACHE, error_model="numpy", fastmath={"contract"})
def arcs_full_row(tab, order, t, lo, hi, rows_f, r, n, code, k_s, k_lo, k_len):
    """Fast path for the full-circle row ``r`` (``n`` cells; ``rows_f`` the float row table of
    :mod:`.rowmodel`): for the table columns ``lo..hi`` of step ``t``
    (:func:`~.sattables.sat_tables`), the served arc of each satellite from the analytic bound of :func:`_arc_fast`,
    written without branches, divisions or ``acos`` so that the loop vectorises.

    Writes, for column ``lo + i``, the run ``(k_s[i], k_lo[i], k_len[i])``: the satellite (``order[t, lo +
    i]``) serves the ``k_len[i]`` cells from offset ``k_lo[i]`` (wrapping), and ``code[i]``: 0 - it serves
    no cell of the row (outside its cap, or proved empty); 1 - the run is its arc; 2 - undecided: the exact
    walk of :func:`row_runs` decides.  Runs of codes 0 and 2 are empty (``k_lo = k_len = 0``), so the
    arrays can be used as they are, as a list of runs with some empty ones.  Returns how many have code 2.

    The conditions are :func:`_arc_fast`'s and :func:`fast_segments`'s with three bounds loosened so
    that no accepted cell can differ: (1) the cancellation ratio ``Em / E`` (at most 1e4, as there) and
    ``sqrt(Em)`` (at most ``100 sqrt(E)``) are replaced by those maxima in ``eps_c``, so
    ``eps_c = 1e-9 (1 + Bm / A + (s^2 D + 100 s sqrt(E)) / A^2)`` bounds :func:`_arc_fast`'s; the
    reciprocals ``1 / A`` come from ``1 / s_h`` and ``1 / cos(phi)`` (a few ulp, far inside the 1e-9);
    (2) ``acos`` is :func:`~.fastmath.poly_acos`, whose error :data:`ACOS_POLY_ERR` is added to the slack; (3) the
    slack test ``dist > 2.5 K / sin(w)`` (``dist`` the angular distance of the arc end from the nearest
    cell centre, less the acos and longitude-rounding allowances) is evaluated squared,
    ``dist^2 sin^2(w) > (2.5 K)^2``, with a factor 1.01 on ``2.5 K`` for its rounding.

    LLVM may fuse multiply-adds here (numba ``fastmath={"contract"}``, nothing else): a fused
    ``a * b + c`` rounds once where the separate operations round twice, so every bound above, which
    allows a rounding error per operation, holds as it is.
    """
    phi = rows_f[r, ROW_PHIGC]
    rho = rows_f[r, ROW_RHO]
    z = rows_f[r, ROW_Z]
    cphi = rows_f[r, ROW_CPHI]
    sphi = rows_f[r, ROW_SPHI]
    inv_cphi = 1.0 / cphi
    lon0 = rows_f[r, ROW_LON0]
    d = rows_f[r, ROW_DLON]
    em_a = rows_f[r, ROW_EM_A]
    em_b = rows_f[r, ROW_EM_B]
    rr = rho * rho + z * z
    Bq = rho * cphi + z * sphi
    aBq = abs(Bq)
    inv_d = 1.0 / d
    M = _TWO_PI * inv_d
    extra = (ACOS_POLY_ERR + 1e-13) * inv_d
    # 1-D views indexed from 0: no negative-index wraparound in the loop, so it vectorises
    v_sh = tab[t, TAB_SH, lo:hi]
    v_sz = tab[t, TAB_SZ, lo:hi]
    v_r = tab[t, TAB_R, lo:hi]
    v_lat = tab[t, TAB_LAT, lo:hi]
    v_lon = tab[t, TAB_LON, lo:hi]
    v_cap = tab[t, TAB_CAP, lo:hi]
    v_s = tab[t, TAB_SIN_EL, lo:hi]
    v_ish = tab[t, TAB_INV_SH, lo:hi]
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
        wc = poly_acos(cec) * inv_d
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
