"""The row model: a grid row as a circle of latitude, the arc of it a satellite serves, and the exact walk.

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
geocentric radial, so for masks of at least :data:`~.visibility.CONTIGUOUS_CONE_MIN_MASK_DEG` every point
passing the elevation test has ``u < K`` and the combined set is still one arc.  Otherwise (a cone with a
mask below that) the kernels test every cell a conservative cap can reach and keep whatever runs they find.
The argument writes the cone test as a function of ``u`` alone, which needs the cone's axis through the
Earth's centre; the axis of a cone about the geodetic nadir (:data:`~.visibility.CONE_GEODETIC`) misses
it, so such a cone always takes that scan, with the cap of the geocentric cone widened by the bound on the
axis deflection (:data:`~.visibility.GEODETIC_AXIS_BOUND_DEG`, in :func:`~.visibility.sat_geometry`).

In the arc case :func:`row_runs` solves for ``c*`` analytically only to *start*: it exact-tests the cell
nearest the satellite's meridian (if it fails, no cell of the row is served) and walks each end of the
arc from the estimate until the exact test (:func:`~.visibility.serves`) changes, so the arc's end cells
are decided by the exact test and contiguity (proved above for exact arithmetic) fills in the cells
between.  Floating-point rounding could only matter for a cell whose margin is within about 1e-15 of zero.
A satellite's cells in a row are kept as runs ``(satellite, first cell, length)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from . import CACHE
from .visibility import (
    CONE_GEODETIC,
    CONTIGUOUS_CONE_MIN_MASK_DEG,
    GEO_CAP,
    GEO_LAT,
    GEO_LON,
    GEO_R,
    GEO_SH,
    GEO_SZ,
    geodetic_up,
    serves,
    serves_about,
)

__all__ = ["RowTable", "row_geometry", "row_runs", "walk_row", "grow_runs", "emit_run", "contiguous_ok", "CELL_FIELDS",
           "ROW_F_FIELDS",
           "ROW_I_FIELDS"]

_TWO_PI = 2.0 * math.pi
_SAFETY = 10.0  # factor on every error bound of the analytic fast path (:mod:`.fastpath`)

#: Columns of the cell table: ITRS position (km) and unit WGS84 ellipsoid normal ("up") of each cell.
CELL_FIELDS = ("x_km", "y_km", "z_km", "up_x", "up_y", "up_z")
CELL_X, CELL_Y, CELL_Z, CELL_UX, CELL_UY, CELL_UZ = range(6)
#: Columns of the float row table: the row model (horizontal and polar ITRS components of its cells, km;
#: cosine and sine of their geodetic latitude; geocentric latitude, rad), the longitude of its first cell
#: and the spacing (rad), and the margin error budget of the exact test at its cells, ``em_a + em_b |S|``
#: (km; see :mod:`.fastpath`).
ROW_F_FIELDS = ("rho_km", "z_km", "cos_lat", "sin_lat", "lat_gc_rad", "lon0_rad", "dlon_rad", "em_a_km", "em_b")
ROW_RHO, ROW_Z, ROW_CPHI, ROW_SPHI, ROW_PHIGC, ROW_LON0, ROW_DLON, ROW_EM_A, ROW_EM_B = range(9)
#: Columns of the integer row table: first cell, number of cells, whether the row is a full circle of
#: latitude, whether its cells match the row model closely enough for the analytic fast path.
ROW_I_FIELDS = ("start", "count", "full_circle", "fast")
ROW_START, ROW_COUNT, ROW_FULL, ROW_FAST = range(4)


@dataclass(frozen=True)
class RowTable:
    """A grid as the kernels read it: ``cells`` float64 (n_cells, 6) with columns :data:`CELL_FIELDS`,
    ``rows_f`` float64 (n_rows, 9) with :data:`ROW_F_FIELDS`, ``rows_i`` int64 (n_rows, 4) with
    :data:`ROW_I_FIELDS`, and ``r_min_km``, the smallest geocentric radius of any cell."""

    cells: np.ndarray
    rows_f: np.ndarray
    rows_i: np.ndarray
    r_min_km: float

    @property
    def n_cells(self) -> int:
        return int(self.cells.shape[0])

    @property
    def n_rows(self) -> int:
        return int(self.rows_i.shape[0])


def row_geometry(grid) -> RowTable:
    """The :class:`RowTable` of a :class:`constellation.grid.Grid`.

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
    rows_f = np.empty((rs.size, len(ROW_F_FIELDS)))
    rows_f[:, ROW_RHO] = rho
    rows_f[:, ROW_Z] = z
    rows_f[:, ROW_CPHI] = cphi
    rows_f[:, ROW_SPHI] = sphi
    rows_f[:, ROW_PHIGC] = np.arctan2(z, rho)
    rows_f[:, ROW_LON0] = lon0
    rows_f[:, ROW_DLON] = dlon
    rows_f[:, ROW_EM_A] = _SAFETY * (1e-10 + 2.0 * err_p + pnorm * err_u)
    rows_f[:, ROW_EM_B] = _SAFETY * (1e-10 / 7000.0 + err_u)
    rows_i = np.empty((rs.size, len(ROW_I_FIELDS)), np.int64)
    rows_i[:, ROW_START] = rs
    rows_i[:, ROW_COUNT] = rc
    rows_i[:, ROW_FULL] = np.asarray(grid.row_full_circle, np.bool_)
    rows_i[:, ROW_FAST] = row_fast
    cells = np.ascontiguousarray(np.concatenate([p.reshape(-1, 3), u.reshape(-1, 3)], axis=1))
    r_min = float(np.sqrt((p ** 2).sum(1)).min()) if p.size else 6356.0
    return RowTable(cells, rows_f, rows_i, r_min)


@njit(cache=CACHE, error_model="numpy")
def _vis(pos, t, s, cells, c, sin_el, use_cone, cos_half):
    return serves(pos[t, s, 0], pos[t, s, 1], pos[t, s, 2], cells[c, CELL_X], cells[c, CELL_Y], cells[c, CELL_Z],
                  cells[c, CELL_UX], cells[c, CELL_UY], cells[c, CELL_UZ], sin_el, use_cone, cos_half)


@njit(cache=CACHE, error_model="numpy")
def _vis_about(pos, t, s, cells, c, sin_el, use_cone, cos_half, ax, ay, az):
    return serves_about(pos[t, s, 0], pos[t, s, 1], pos[t, s, 2], cells[c, CELL_X], cells[c, CELL_Y], cells[c, CELL_Z],
                        cells[c, CELL_UX], cells[c, CELL_UY], cells[c, CELL_UZ], sin_el, use_cone, cos_half, ax, ay, az)


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
def emit_run(runs, nr, s, start, length):
    """Write run ``nr`` of ``runs`` (int64 (3, cap): rows satellite, first cell offset in the row, length)
    if it fits; return ``nr + 1`` (more than ``cap`` tells the caller to grow the buffer and redo)."""
    if nr < runs.shape[1]:
        runs[0, nr] = s
        runs[1, nr] = start
        runs[2, nr] = length
    return nr + 1


@njit(cache=CACHE, error_model="numpy")
def grow_runs(runs, nr, need):
    """A bigger copy of the run buffer ``runs`` (int64 (3, cap), see :func:`emit_run`; its first ``nr`` runs
    kept) holding at least ``need`` runs."""
    bigger = np.empty((3, 2 * runs.shape[1] + need), np.int64)
    for f in range(3):
        for q in range(nr):
            bigger[f, q] = runs[f, q]
    return bigger


@njit(cache=CACHE, nogil=True, error_model="numpy")
def walk_row(r, t, s, pos, geo, cells, rows_f, rows_i, sin_el, use_cone, cos_half, contiguous, runs, nr, spare):
    """:func:`row_runs` into a buffer that grows (by ``spare`` runs more than it needs) when full; returns
    ``(runs, n_runs)``, ``runs`` a bigger copy when it grew."""
    while True:
        nr2 = row_runs(r, t, s, pos, geo, cells, rows_f, rows_i, sin_el, use_cone, cos_half, contiguous, runs, nr)
        if nr2 <= runs.shape[1]:
            return runs, nr2
        runs = grow_runs(runs, nr, nr2 + spare)


@njit(cache=CACHE, inline="always")
def row_runs(r, t, s, pos, geo, cells, rows_f, rows_i, sin_el, use_cone, cos_half, contiguous, runs, nr):
    """Append to ``runs`` (int64 (3, cap), see :func:`emit_run`) the runs of cells of row ``r`` that
    satellite ``s`` serves at step ``t``; return the new run count (which may exceed ``cap``: the caller
    must then grow ``runs`` and call again).  Offsets wrap modulo the row length for full-circle rows.
    ``contiguous`` selects the arc walk (see the module docstring); otherwise every cell the satellite's
    cap can reach is tested."""
    cap = geo[t, s, GEO_CAP]
    if not (abs(rows_f[r, ROW_PHIGC] - geo[t, s, GEO_LAT]) <= cap):
        return nr
    n = rows_i[r, ROW_COUNT]
    c0 = rows_i[r, ROW_START]
    if n == 1:
        if _vis(pos, t, s, cells, c0, sin_el, use_cone, cos_half):
            nr = emit_run(runs, nr, s, 0, 1)
        return nr
    d = rows_f[r, ROW_DLON]
    M = _TWO_PI / d
    x = ((geo[t, s, GEO_LON] - rows_f[r, ROW_LON0]) % _TWO_PI) / d  # satellite meridian in cell units, [0, M)
    full = rows_i[r, ROW_FULL] != 0
    if not contiguous:
        return _scan_cap(r, t, s, pos, geo, cells, rows_f, n, c0, d, M, x, full, sin_el, use_cone, cos_half,
                         runs, nr)
    ce = _arc_cos(geo[t, s, GEO_SH], geo[t, s, GEO_SZ], geo[t, s, GEO_R], rows_f[r, ROW_RHO], rows_f[r, ROW_Z],
                  rows_f[r, ROW_CPHI], rows_f[r, ROW_SPHI], sin_el, use_cone, cos_half)
    if ce <= -1.0:
        wc = M
    elif ce >= 1.0:
        wc = 0.0
    else:
        wc = math.acos(ce) / d
    if full:
        return _walk_full(t, s, pos, cells, n, c0, x, wc, sin_el, use_cone, cos_half, runs, nr)
    return _walk_partial(t, s, pos, cells, n, c0, M, x, wc, sin_el, use_cone, cos_half, runs, nr)


@njit(cache=CACHE, error_model="numpy")
def _walk_full(t, s, pos, cells, n, c0, x, wc, sin_el, use_cone, cos_half, runs, nr):
    """:func:`row_runs` for a full-circle row whose served cells are one arc: from the cell nearest the
    satellite's meridian ``x`` (cell units), each end walked from the estimate ``x +- wc`` until the exact
    test changes."""
    kn = int(math.floor(x + 0.5))
    if not _vis(pos, t, s, cells, c0 + kn % n, sin_el, use_cone, cos_half):
        return nr
    hi_lim = kn + n - 1
    kr = int(math.floor(x + wc)) if wc < n else hi_lim
    kr = min(max(kr, kn), hi_lim)
    if kr > kn and not _vis(pos, t, s, cells, c0 + kr % n, sin_el, use_cone, cos_half):
        kr -= 1
        while kr > kn and not _vis(pos, t, s, cells, c0 + kr % n, sin_el, use_cone, cos_half):
            kr -= 1
    else:
        while kr < hi_lim and _vis(pos, t, s, cells, c0 + (kr + 1) % n, sin_el, use_cone, cos_half):
            kr += 1
    lo_lim = kr - n + 1
    kl = int(math.ceil(x - wc)) if wc < n else lo_lim
    kl = max(min(kl, kn), lo_lim)
    if kl < kn and not _vis(pos, t, s, cells, c0 + kl % n, sin_el, use_cone, cos_half):
        kl += 1
        while kl < kn and not _vis(pos, t, s, cells, c0 + kl % n, sin_el, use_cone, cos_half):
            kl += 1
    else:
        while kl > lo_lim and _vis(pos, t, s, cells, c0 + (kl - 1) % n, sin_el, use_cone, cos_half):
            kl -= 1
    length = kr - kl + 1
    if length >= n:
        return emit_run(runs, nr, s, 0, n)
    return emit_run(runs, nr, s, kl % n, length)


@njit(cache=CACHE, error_model="numpy")
def _walk_partial(t, s, pos, cells, n, c0, M, x, wc, sin_el, use_cone, cos_half, runs, nr):
    """:func:`row_runs` for a partial row (``M`` cells would make the full circle) whose served cells are
    one arc per copy of the satellite's meridian."""
    for m in range(-1, 2):
        xc = x + m * M
        a = max(0, int(math.ceil(xc - 0.5 * M)))
        b = min(n - 1, int(math.ceil(xc + 0.5 * M)) - 1)
        if a > b:
            continue
        kn = min(max(int(math.floor(xc + 0.5)), a), b)
        if not _vis(pos, t, s, cells, c0 + kn, sin_el, use_cone, cos_half):
            continue
        kr = int(math.floor(xc + wc)) if wc < M else b
        kr = min(max(kr, kn), b)
        if kr > kn and not _vis(pos, t, s, cells, c0 + kr, sin_el, use_cone, cos_half):
            kr -= 1
            while kr > kn and not _vis(pos, t, s, cells, c0 + kr, sin_el, use_cone, cos_half):
                kr -= 1
        else:
            while kr < b and _vis(pos, t, s, cells, c0 + kr + 1, sin_el, use_cone, cos_half):
                kr += 1
        kl = int(math.ceil(xc - wc)) if wc < M else a
        kl = max(min(kl, kn), a)
        if kl < kn and not _vis(pos, t, s, cells, c0 + kl, sin_el, use_cone, cos_half):
            kl += 1
            while kl < kn and not _vis(pos, t, s, cells, c0 + kl, sin_el, use_cone, cos_half):
                kl += 1
        else:
            while kl > a and _vis(pos, t, s, cells, c0 + kl - 1, sin_el, use_cone, cos_half):
                kl -= 1
        nr = emit_run(runs, nr, s, kl, kr - kl + 1)
    return nr


@njit(cache=CACHE, error_model="numpy")
def _scan_cap(r, t, s, pos, geo, cells, rows_f, n, c0, d, M, x, full, sin_el, use_cone, cos_half, runs, nr):
    """:func:`row_runs` where the served cells need not be one arc (a cone under a low mask): every cell the
    satellite's spherical cap can reach, tested, runs of served cells as found."""
    cap = geo[t, s, GEO_CAP]
    ax = ay = az = 0.0
    if use_cone == CONE_GEODETIC:  # the cone's axis, once for the row
        ax, ay, az = geodetic_up(pos[t, s, 0], pos[t, s, 1], pos[t, s, 2])
    phi, phis = rows_f[r, ROW_PHIGC], geo[t, s, GEO_LAT]
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
            if _vis_about(pos, t, s, cells, c0 + k % n, sin_el, use_cone, cos_half, ax, ay, az):
                if not inside:
                    run0 = k
                    inside = True
            elif inside:
                nr = emit_run(runs, nr, s, run0 % n, k - run0)
                inside = False
        if inside:
            nr = emit_run(runs, nr, s, run0 % n, k_hi + 1 - run0)
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
            if _vis_about(pos, t, s, cells, c0 + k, sin_el, use_cone, cos_half, ax, ay, az):
                if run0 < 0:
                    run0 = k
            elif run0 >= 0:
                nr = emit_run(runs, nr, s, run0, k - run0)
                run0 = -1
        if run0 >= 0:
            nr = emit_run(runs, nr, s, run0, b + 1 - run0)
    return nr


def contiguous_ok(sin_el: np.ndarray, use_cone: np.ndarray) -> np.ndarray:
    """Per satellite: whether its served cells in a row are provably one arc (module docstring);
    ``use_cone`` as the ``cone`` column of the satellite table (0, 1 or :data:`~.visibility.CONE_GEODETIC`)."""
    cone = np.asarray(use_cone)
    ok = (~cone.astype(bool)) | (np.asarray(sin_el, float) >= math.sin(math.radians(CONTIGUOUS_CONE_MIN_MASK_DEG)))
    return ok & (cone != CONE_GEODETIC)
