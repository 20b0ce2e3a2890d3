"""Dilution-of-precision kernels: per-cell geometry sums of the satellites in view, and the DOP values.

For a receiver at a cell and the satellites above its elevation mask, the geometry matrix has one row per
satellite, ``[-e, -n, -u, 1]``, where ``(e, n, u)`` is the unit line-of-sight vector from the cell to the
satellite in the local east/north/up frame (up = WGS84 ellipsoid normal).  With ``Q = (H^T H)^-1``:
``GDOP = sqrt(tr Q)``, ``PDOP = sqrt(Q_ee + Q_nn + Q_uu)``, ``HDOP = sqrt(Q_ee + Q_nn)``,
``VDOP = sqrt(Q_uu)``, ``TDOP = sqrt(Q_tt)`` (Misra and Enge, *Global Positioning System: Signals,
Measurements and Performance*, 2nd ed., 2006, section 6.1.2; Kaplan and Hegarty, *Understanding GPS*,
2nd ed., 2006, section 7.2).  ``H^T H`` is symmetric, so per cell and step we accumulate its 10 unique
sums over the satellites in view (``Σe², Σen, Σeu, Σn², Σnu, Σu², Σe, Σn, Σu, N``) and invert it by a
Cholesky factorisation; fewer than 4 satellites (or a singular geometry) gives NaN.

Which satellites are in view of which cells comes from the coverage engine's footprint search
(:mod:`.rowmodel`, :mod:`.sattables`), so DOP and coverage see exactly the same satellites: per step,
:func:`~.visibility.sat_geometry` gives each satellite's geocentric latitude,
longitude and conservative cap angle and :func:`~.sattables.sat_table` sorts the
satellites by latitude; per grid row, the satellites whose cap can reach the row are found by bisection,
and :func:`~.rowmodel.row_runs` returns the runs of that row's cells each one
serves, every run end decided by the exact elevation test
:func:`~.visibility.serves` (``d . U >= sin(mask) |d|``).  Only the cells of those
runs get the satellite's line of sight added to their sums, so the work grows with the footprints, not
with satellites x cells.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from . import CACHE
from .parallel import run_ranges
from .rowmodel import ROW_COUNT, ROW_PHIGC, ROW_START, walk_row
from .sattables import seek_sorted

__all__ = ["dop_from_sums", "accumulate_dop", "accumulate_dop_rows", "dop_from_clock_sums", "accumulate_dop_systems",
           "accumulate_dop_systems_rows", "N_STATS", "DOP_NAMES"]

#: Order of the five DOP values in every array the kernels fill.
DOP_NAMES = ("gdop", "pdop", "hdop", "vdop", "tdop")
N_STATS = 5


@njit(cache=CACHE)
def dop_from_sums(s):
    """GDOP, PDOP, HDOP, VDOP, TDOP from the 10 sums ``s`` (see the module docstring); NaN when fewer than
    4 satellites are in view or ``H^T H`` is not positive definite.

    ``H^T H`` (rows and columns e, n, u, clock; the geometry columns of ``H`` are ``-e, -n, -u`` and the
    clock column is 1) is factorised as ``L L^T`` (Cholesky); with ``M = L^-1``, ``Q = M^T M`` and its
    diagonal is the column sums of ``M**2``.  Written out for 4 x 4 so no memory is allocated per cell.
    """
    nan = np.nan
    n = s[9]
    if n < 4.0:
        return nan, nan, nan, nan, nan
    tiny = 1e-10 * n
    a00, a01, a02, a03 = s[0], s[1], s[2], -s[6]
    a11, a12, a13 = s[3], s[4], -s[7]
    a22, a23 = s[5], -s[8]
    a33 = n
    if a00 <= tiny:
        return nan, nan, nan, nan, nan
    l00 = math.sqrt(a00)
    l10, l20, l30 = a01 / l00, a02 / l00, a03 / l00
    d = a11 - l10 * l10
    if d <= tiny:
        return nan, nan, nan, nan, nan
    l11 = math.sqrt(d)
    l21, l31 = (a12 - l20 * l10) / l11, (a13 - l30 * l10) / l11
    d = a22 - l20 * l20 - l21 * l21
    if d <= tiny:
        return nan, nan, nan, nan, nan
    l22 = math.sqrt(d)
    l32 = (a23 - l30 * l20 - l31 * l21) / l22
    d = a33 - l30 * l30 - l31 * l31 - l32 * l32
    if d <= tiny:
        return nan, nan, nan, nan, nan
    l33 = math.sqrt(d)
    m00, m11, m22, m33 = 1.0 / l00, 1.0 / l11, 1.0 / l22, 1.0 / l33
    m10 = -l10 * m00 / l11
    m20 = -(l20 * m00 + l21 * m10) / l22
    m21 = -l21 * m11 / l22
    m30 = -(l30 * m00 + l31 * m10 + l32 * m20) / l33
    m31 = -(l31 * m11 + l32 * m21) / l33
    m32 = -l32 * m22 / l33
    qe = m00 * m00 + m10 * m10 + m20 * m20 + m30 * m30
    qn = m11 * m11 + m21 * m21 + m31 * m31
    qu = m22 * m22 + m32 * m32
    qt = m33 * m33
    return (math.sqrt(qe + qn + qu + qt), math.sqrt(qe + qn + qu), math.sqrt(qe + qn), math.sqrt(qu),
            math.sqrt(qt))


def accumulate_dop(pos: np.ndarray, geo: np.ndarray, order: np.ndarray, lat_sorted: np.ndarray, n_ok: np.ndarray,
                   cap_max: np.ndarray, cells: np.ndarray, rows_f: np.ndarray, rows_i: np.ndarray, enu: np.ndarray,
                   sin_el: float, contiguous: bool, threshold: float, dop_stats: np.ndarray, dop_n: np.ndarray,
                   counts: np.ndarray, nview: np.ndarray, series: np.ndarray, series_n: np.ndarray) -> None:
    """Add ``n_t`` steps to the per-cell DOP statistics, grid rows shared among threads.

    Parameters
    ----------
    pos : float64 (n_t, n_sat, 3)
        ITRS km (a NaN position is in view nowhere).
    geo : float64 (n_t, n_sat, N_GEO)
        From :func:`.visibility.sat_geometry` for these positions and the mask.
    order, lat_sorted, n_ok, cap_max
        From :func:`.sattables.sat_table` (every satellite serving).
    cells, rows_f, rows_i
        The grid's :class:`.rowmodel.RowTable`: cell positions (km), unit ellipsoid normals (the local up)
        and the row tables.
    enu : float64 (n_cell, 6)
        Unit east (columns 0-2) and north (3-5) vectors of each cell.
    sin_el : float
        Sine of the elevation mask; ``contiguous`` from :func:`~.rowmodel.contiguous_ok`.
    threshold : float
        PDOP threshold of the ``below`` count.

    Per cell (updated in place): ``dop_stats`` (3, n_cell, 5): the sum, maximum and minimum of each DOP
    over the steps where it is defined, ``dop_n`` (n_cell, 5) how many such steps; ``counts`` (2, n_cell):
    steps with PDOP <= ``threshold`` and steps with fewer than 4 in view; ``nview`` (3, n_cell): the sum,
    minimum and maximum of the satellites in view.  When ``series`` has ``n_t`` rows, per-step DOPs
    (n_t, n_cell, 5) and counts ``series_n`` (n_t, n_cell) are written too.

    The satellites in view of a cell are exactly those whose :func:`~.rowmodel.row_runs`
    runs contain it (the coverage engine's footprint search and elevation test).
    """
    run_ranges(accumulate_dop_rows, rows_i.shape[0], pos, geo, order, lat_sorted, n_ok, cap_max, cells, rows_f, rows_i,
               enu, float(sin_el), bool(contiguous), float(threshold), dop_stats, dop_n, counts, nview, series,
               series_n, tasks_per_thread=4)


@njit(cache=CACHE, nogil=True, error_model="numpy")
def accumulate_dop_rows(k0, k1, pos, geo, order, lat_sorted, n_ok, cap_max, cells, rows_f, rows_i, enu, sin_el,
                        contiguous, threshold, dop_stats, dop_n, counts, nview, series, series_n):
    """Rows ``k0 .. k1 - 1`` of :func:`accumulate_dop`."""
    n_t = pos.shape[0]
    write_series = series.shape[0] == n_t
    dop_sum, dop_max, dop_min = dop_stats[0], dop_stats[1], dop_stats[2]
    below, few = counts[0], counts[1]
    nview_sum, nview_min, nview_max = nview[0], nview[1], nview[2]
    no_cone = np.int64(0)
    for k in range(k0, k1):
        c0 = rows_i[k, ROW_START]
        nc = rows_i[k, ROW_COUNT]
        phi = rows_f[k, ROW_PHIGC]
        sums = np.zeros((nc, 10))
        runs = np.empty((3, 8), np.int64)
        lo = np.int64(0)  # first satellite whose cap can reach the row (sattables.seek_sorted walks from it)
        for t in range(n_t):
            sums[:, :] = 0.0
            # satellites whose cap can reach this row, in the latitude-sorted table
            m_ok = n_ok[t]
            cm = cap_max[t]
            lo = seek_sorted(lat_sorted[t], m_ok, phi - cm, False, lo)
            iq = lo
            while iq < m_ok and lat_sorted[t, iq] <= phi + cm:
                s = order[t, iq]
                iq += 1
                runs, nr = walk_row(k, t, s, pos, geo, cells, rows_f, rows_i, sin_el, no_cone, -1.0, contiguous, runs,
                                    np.int64(0), np.int64(0))
                px, py, pz = pos[t, s, 0], pos[t, s, 1], pos[t, s, 2]
                for q in range(nr):
                    first = runs[1, q]
                    for j in range(runs[2, q]):
                        i = first + j
                        if i >= nc:
                            i -= nc
                        c = c0 + i
                        dx, dy, dz = px - cells[c, 0], py - cells[c, 1], pz - cells[c, 2]
                        inv = 1.0 / math.sqrt(dx * dx + dy * dy + dz * dz)
                        u = (dx * cells[c, 3] + dy * cells[c, 4] + dz * cells[c, 5]) * inv
                        e = (dx * enu[c, 0] + dy * enu[c, 1] + dz * enu[c, 2]) * inv
                        n = (dx * enu[c, 3] + dy * enu[c, 4] + dz * enu[c, 5]) * inv
                        sums[i, 0] += e * e
                        sums[i, 1] += e * n
                        sums[i, 2] += e * u
                        sums[i, 3] += n * n
                        sums[i, 4] += n * u
                        sums[i, 5] += u * u
                        sums[i, 6] += e
                        sums[i, 7] += n
                        sums[i, 8] += u
                        sums[i, 9] += 1.0
            for i in range(nc):
                c = c0 + i
                nv = sums[i, 9]
                nview_sum[c] += nv
                if nv < nview_min[c]:
                    nview_min[c] = nv
                if nv > nview_max[c]:
                    nview_max[c] = nv
                if nv < 4.0:  # no DOP: NaN in the series, nothing in the statistics
                    few[c] += 1
                    if write_series:
                        for m in range(5):
                            series[t, c, m] = np.nan
                        series_n[t, c] = nv
                    continue
                out = dop_from_sums(sums[i])
                if out[1] <= threshold:
                    below[c] += 1
                for m in range(5):
                    v = out[m]
                    if v == v:
                        dop_sum[c, m] += v
                        dop_n[c, m] += 1
                        if v > dop_max[c, m]:
                            dop_max[c, m] = v
                        if v < dop_min[c, m]:
                            dop_min[c, m] = v
                if write_series:
                    for m in range(5):
                        series[t, c, m] = out[m]
                    series_n[t, c] = nv


# --- several systems, one receiver clock per system ------------------------------------------------------------
#
# With satellites of several systems (GPS, Galileo, ...), each system's signals carry its own time scale, so a
# receiver solves for one clock offset per system in view: H gets one clock column per such system (row
# ``[-e, -n, -u, 0 .. 1 .. 0]``, the 1 in the column of the satellite's system).  H^T H then has the blocks
# ``A = sum l l^T`` (3 x 3, l = (e, n, u)), ``B`` with column ``-b_c = -sum_{i in c} l_i`` per clock c and
# ``D = diag(N_c)``.  Eliminating the clocks (Schur complement; Kaplan and Hegarty 2006, section 7.2.2 for the
# normal equations, Golub and Van Loan, *Matrix Computations*, 4th ed., 2013, section 3.2.11 for the block
# inverse): the position block of Q is ``Q_p = (A - sum_c b_c b_c^T / N_c)^-1`` and the clock variances are
# ``Q_cc = 1 / N_c + m_c^T Q_p m_c`` with ``m_c = b_c / N_c``.  With a single clock this is the 4 x 4 inverse of
# :func:`dop_from_sums`.  PDOP, HDOP and VDOP come from ``Q_p``; TDOP = sqrt(sum_c Q_cc) over the clocks in view
# and GDOP = sqrt(PDOP^2 + TDOP^2) = sqrt(tr Q).  The DOP needs at least as many satellites as unknowns
# (3 + clocks in view) and a positive definite ``A - sum b b^T / N``.
#
# Per cell the sums are 6 + 4 n_clock numbers: ``Σe², Σen, Σeu, Σn², Σnu, Σu²``, then per clock c
# ``Σe, Σn, Σu, N`` at ``6 + 4 c``.


@njit(cache=CACHE)
def dop_from_clock_sums(s, n_clock):
    """GDOP, PDOP, HDOP, VDOP, TDOP and the number of unknowns (as a float) from the sums ``s`` (6 + 4 ``n_clock``, see
    above); the DOPs are NaN when fewer satellites are in view than unknowns or the geometry is singular."""
    nan = np.nan
    a00, a01, a02, a11, a12, a22 = s[0], s[1], s[2], s[3], s[4], s[5]
    n_tot = 0.0
    n_unk = 3.0
    for c in range(n_clock):
        nc = s[6 + 4 * c + 3]
        if nc > 0.0:
            n_tot += nc
            n_unk += 1.0
            be, bn, bu = s[6 + 4 * c], s[6 + 4 * c + 1], s[6 + 4 * c + 2]
            a00 -= be * be / nc
            a01 -= be * bn / nc
            a02 -= be * bu / nc
            a11 -= bn * bn / nc
            a12 -= bn * bu / nc
            a22 -= bu * bu / nc
    if n_tot < n_unk:
        return nan, nan, nan, nan, nan, n_unk
    tiny = 1e-10 * n_tot
    if a00 <= tiny:
        return nan, nan, nan, nan, nan, n_unk
    l00 = math.sqrt(a00)
    l10, l20 = a01 / l00, a02 / l00
    d = a11 - l10 * l10
    if d <= tiny:
        return nan, nan, nan, nan, nan, n_unk
    l11 = math.sqrt(d)
    l21 = (a12 - l20 * l10) / l11
    d = a22 - l20 * l20 - l21 * l21
    if d <= tiny:
        return nan, nan, nan, nan, nan, n_unk
    l22 = math.sqrt(d)
    # M = L^-1 (lower triangular); Q_p = M^T M
    m00, m11, m22 = 1.0 / l00, 1.0 / l11, 1.0 / l22
    m10 = -l10 * m00 / l11
    m21 = -l21 * m11 / l22
    m20 = -(l20 * m00 + l21 * m10) / l22
    q00 = m00 * m00 + m10 * m10 + m20 * m20
    q11 = m11 * m11 + m21 * m21
    q22 = m22 * m22
    q01 = m10 * m11 + m20 * m21
    q02 = m20 * m22
    q12 = m21 * m22
    qt = 0.0
    for c in range(n_clock):
        nc = s[6 + 4 * c + 3]
        if nc > 0.0:
            x, y, z = s[6 + 4 * c] / nc, s[6 + 4 * c + 1] / nc, s[6 + 4 * c + 2] / nc
            qt += 1.0 / nc + (q00 * x * x + q11 * y * y + q22 * z * z
                              + 2.0 * (q01 * x * y + q02 * x * z + q12 * y * z))
    qp = q00 + q11 + q22
    return math.sqrt(qp + qt), math.sqrt(qp), math.sqrt(q00 + q11), math.sqrt(q22), math.sqrt(qt), n_unk


def accumulate_dop_systems(pos: np.ndarray, geo: np.ndarray, order: np.ndarray, lat_sorted: np.ndarray,
                           n_ok: np.ndarray, cap_max: np.ndarray, cells: np.ndarray, rows_f: np.ndarray,
                           rows_i: np.ndarray, enu: np.ndarray, sin_el: float, contiguous: bool, threshold: float,
                           clock_of: np.ndarray, n_clock: int, sys_of: np.ndarray, in_base: np.ndarray,
                           dop_stats: np.ndarray, dop_n: np.ndarray, counts: np.ndarray, nview: np.ndarray,
                           nview_sys: np.ndarray, series: np.ndarray, series_n: np.ndarray) -> None:
    """:func:`accumulate_dop` for satellites of several systems: satellite ``s`` belongs to system
    ``sys_of[s]`` and its range carries receiver clock ``clock_of[s]`` (0 .. ``n_clock - 1``; all 0 for one
    common clock).  ``counts[., 1]`` counts the steps with fewer satellites in view than unknowns
    (3 + clocks in view); ``nview_sys`` (n_cell, n_system) accumulates the satellites in view per system.

    The statistics have a leading pass dimension (``dop_stats`` (n_pass, 3, n_cell, 5), ``dop_n``
    (n_pass, n_cell, 5), ``counts`` (n_pass, 2, n_cell), ``nview`` (n_pass, 3, n_cell)): pass 0 uses every
    satellite; with ``n_pass = 2``, pass 1 uses only the satellites with ``in_base[s] != 0`` (the same
    footprint walk serves both, so an augmentation costs one sweep).  A pass-1 result equals, bit for bit,
    the pass-0 result of a run of those satellites alone when their clocks are numbered first.  The series
    (``series``, ``series_n``) are of pass 0.  Other arguments as :func:`accumulate_dop`."""
    run_ranges(accumulate_dop_systems_rows, rows_i.shape[0], pos, geo, order, lat_sorted, n_ok, cap_max, cells,
               rows_f, rows_i, enu, float(sin_el), bool(contiguous), float(threshold), clock_of, int(n_clock),
               sys_of, in_base, dop_stats, dop_n, counts, nview, nview_sys, series, series_n, tasks_per_thread=4)


@njit(cache=CACHE, nogil=True, error_model="numpy")
def accumulate_dop_systems_rows(k0, k1, pos, geo, order, lat_sorted, n_ok, cap_max, cells, rows_f, rows_i, enu,
                                sin_el, contiguous, threshold, clock_of, n_clock, sys_of, in_base, dop_stats, dop_n,
                                counts, nview, nview_sys, series, series_n):
    """Rows ``k0 .. k1 - 1`` of :func:`accumulate_dop_systems`."""
    n_t = pos.shape[0]
    n_sys = nview_sys.shape[1]
    n_pass = dop_stats.shape[0]
    n_sum = 6 + 4 * n_clock
    write_series = series.shape[0] == n_t
    no_cone = np.int64(0)
    for k in range(k0, k1):
        c0 = rows_i[k, ROW_START]
        nc = rows_i[k, ROW_COUNT]
        phi = rows_f[k, ROW_PHIGC]
        sums = np.zeros((n_pass, nc, n_sum))
        n_in = np.zeros((n_pass, nc))
        per_sys = np.zeros((nc, n_sys))
        runs = np.empty((3, 8), np.int64)
        lo = np.int64(0)  # first satellite whose cap can reach the row (sattables.seek_sorted walks from it)
        for t in range(n_t):
            sums[:, :, :] = 0.0
            n_in[:, :] = 0.0
            per_sys[:, :] = 0.0
            m_ok = n_ok[t]
            cm = cap_max[t]
            lo = seek_sorted(lat_sorted[t], m_ok, phi - cm, False, lo)
            iq = lo
            while iq < m_ok and lat_sorted[t, iq] <= phi + cm:
                s = order[t, iq]
                iq += 1
                runs, nr = walk_row(k, t, s, pos, geo, cells, rows_f, rows_i, sin_el, no_cone, -1.0, contiguous, runs,
                                    np.int64(0), np.int64(0))
                px, py, pz = pos[t, s, 0], pos[t, s, 1], pos[t, s, 2]
                base = 6 + 4 * clock_of[s]
                js = sys_of[s]
                last = 1 if n_pass > 1 and in_base[s] != 0 else 0
                for q in range(nr):
                    first = runs[1, q]
                    for j in range(runs[2, q]):
                        i = first + j
                        if i >= nc:
                            i -= nc
                        c = c0 + i
                        dx, dy, dz = px - cells[c, 0], py - cells[c, 1], pz - cells[c, 2]
                        inv = 1.0 / math.sqrt(dx * dx + dy * dy + dz * dz)
                        u = (dx * cells[c, 3] + dy * cells[c, 4] + dz * cells[c, 5]) * inv
                        e = (dx * enu[c, 0] + dy * enu[c, 1] + dz * enu[c, 2]) * inv
                        n = (dx * enu[c, 3] + dy * enu[c, 4] + dz * enu[c, 5]) * inv
                        for p in range(last + 1):
                            sums[p, i, 0] += e * e
                            sums[p, i, 1] += e * n
                            sums[p, i, 2] += e * u
                            sums[p, i, 3] += n * n
                            sums[p, i, 4] += n * u
                            sums[p, i, 5] += u * u
                            sums[p, i, base] += e
                            sums[p, i, base + 1] += n
                            sums[p, i, base + 2] += u
                            sums[p, i, base + 3] += 1.0
                            n_in[p, i] += 1.0
                        per_sys[i, js] += 1.0
            for i in range(nc):
                c = c0 + i
                for js in range(n_sys):
                    nview_sys[c, js] += per_sys[i, js]
                for p in range(n_pass):
                    nv = n_in[p, i]
                    nview[p, 0, c] += nv
                    if nv < nview[p, 1, c]:
                        nview[p, 1, c] = nv
                    if nv > nview[p, 2, c]:
                        nview[p, 2, c] = nv
                    out = dop_from_clock_sums(sums[p, i], n_clock)
                    series_here = write_series and p == 0
                    if series_here:
                        series_n[t, c] = nv
                    if nv < out[5]:  # fewer satellites than unknowns: no DOP
                        counts[p, 1, c] += 1
                        if series_here:
                            for m in range(5):
                                series[t, c, m] = np.nan
                        continue
                    if out[1] <= threshold:
                        counts[p, 0, c] += 1
                    for m in range(5):
                        v = out[m]
                        if v == v:
                            dop_stats[p, 0, c, m] += v
                            dop_n[p, c, m] += 1
                            if v > dop_stats[p, 1, c, m]:
                                dop_stats[p, 1, c, m] = v
                            if v < dop_stats[p, 2, c, m]:
                                dop_stats[p, 2, c, m] = v
                    if series_here:
                        for m in range(5):
                            series[t, c, m] = out[m]
