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

Which satellites can be in view of which cells is narrowed row by row (:func:`row_candidates`): on a
sphere a satellite at geocentric distance ``r`` is above elevation ``e`` only within the geocentric angle
``psi = acos(R cos(e) / r) - e`` of its sub-satellite point, and a latitude row meets that cap in one
longitude interval, ``cos(dlon) >= (cos(psi) - sin(lat) sin(lat_s)) / (cos(lat) cos(lat_s))``.  The cap
is widened by a margin that covers the ellipsoid (normal vs. radius, under 0.2 degree; Earth radius
between the polar and equatorial values), and every candidate is then tested exactly.  The candidate
search is a separate function so the coverage engine's footprint helpers can replace it.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from . import CACHE

__all__ = ["row_candidates", "dop_from_sums", "accumulate_dop", "N_STATS", "DOP_NAMES"]

#: Order of the five DOP values in every array the kernels fill.
DOP_NAMES = ("gdop", "pdop", "hdop", "vdop", "tdop")
N_STATS = 5

_R_POLAR_KM = 6356.752
_MARGIN_RAD = math.radians(1.0)


@njit(cache=CACHE)
def footprint_cos_psi(r_km, sin_mask, cos_mask):
    """Cosine of the widest geocentric angle at which a satellite at ``r_km`` from the centre can be above
    the mask (spherical Earth of polar radius, widened by one degree)."""
    arg = _R_POLAR_KM * cos_mask / r_km
    if arg >= 1.0:
        return 2.0  # not above the mask anywhere (satellite inside the Earth): nothing
    mask = math.atan2(sin_mask, cos_mask)
    psi = math.acos(arg) - mask + _MARGIN_RAD
    if psi >= math.pi:
        return -2.0  # everywhere
    return math.cos(psi)


@njit(cache=CACHE)
def row_candidates(sat_lat, sat_lon, cos_psi, row_lat, lon0, dlon, count, full_circle):
    """Candidate cells of one grid row for one satellite: up to two index ranges ``(a0, b0, a1, b1)``
    (inclusive; ``a > b`` means empty), cells ``lon0 + i * dlon`` for ``0 <= i < count``.

    ``sat_lat``, ``sat_lon``: geocentric latitude and longitude of the satellite (rad); ``cos_psi`` from
    :func:`footprint_cos_psi`; ``row_lat``, ``lon0``, ``dlon`` in radians.
    """
    sl, cl = math.sin(row_lat), math.cos(row_lat)
    ss, cs = math.sin(sat_lat), math.cos(sat_lat)
    den = cl * cs
    num = cos_psi - sl * ss
    if den <= 1e-12:
        if num <= 0.0:
            return 0, count - 1, 1, 0
        return 1, 0, 1, 0
    rhs = num / den
    if rhs > 1.0:
        return 1, 0, 1, 0
    if rhs <= -1.0:
        return 0, count - 1, 1, 0
    half = math.acos(rhs)
    if dlon <= 0.0:  # a single point
        d = (sat_lon - lon0 + math.pi) % (2.0 * math.pi) - math.pi
        if abs(d) <= half:
            return 0, 0, 1, 0
        return 1, 0, 1, 0
    # window [sat_lon - half, sat_lon + half] relative to lon0, brought into [0, 2 pi)
    start = (sat_lon - half - lon0) % (2.0 * math.pi)
    lo = int(math.ceil(start / dlon - 1e-9))
    hi = int(math.floor((start + 2.0 * half) / dlon + 1e-9))
    if full_circle:
        if hi - lo + 1 >= count:
            return 0, count - 1, 1, 0
        lo_m = lo % count
        hi_m = lo_m + (hi - lo)
        if hi_m < count:
            return lo_m, hi_m, 1, 0
        return lo_m, count - 1, 0, hi_m - count
    # partial row (spans less than a turn): the part of the window past one turn from lon0 comes back
    # round to the row start
    w_hi = int(math.floor((start + 2.0 * half - 2.0 * math.pi) / dlon + 1e-9))
    return lo, min(hi, count - 1), 0, min(w_hi, count - 1)


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


@njit(cache=CACHE, parallel=True)
def accumulate_dop(pos, sat_lat, sat_lon, sat_r, cells, east, north, up, row_start, row_count, row_lat,
                   row_lon0, row_dlon, row_full, sin_mask, cos_mask, threshold,
                   dop_sum, dop_max, dop_min, dop_n, below, few, nview_sum, nview_min, nview_max,
                   series, series_n, scratch):
    """Add ``n_t`` steps to the per-cell DOP statistics, parallel over grid rows.

    ``pos`` (n_t, n_sat, 3): ITRS km; ``sat_lat``/``sat_lon``/``sat_r`` (n_t, n_sat): geocentric latitude,
    longitude (rad) and distance (km); ``cells``, ``east``, ``north``, ``up`` (n_cell, 3); rows as in
    :class:`constellation.grid.Grid` (angles in radians).  Per cell (updated in place): ``dop_sum``,
    ``dop_max``, ``dop_min`` (n_cell, 5) and ``dop_n`` (n_cell, 5) over the steps where the DOP is
    defined; ``below`` steps with PDOP <= ``threshold``; ``few`` steps with fewer than 4 in view;
    satellites in view sum/min/max.  When ``series`` has ``n_t`` rows, per-step DOPs (n_t, n_cell, 5) and
    counts ``series_n`` (n_t, n_cell) are written too.  ``scratch`` (n_cell, 10) holds the sums.
    NaN satellite positions are skipped.
    """
    n_t, n_sat = pos.shape[0], pos.shape[1]
    n_rows = row_start.size
    write_series = series.shape[0] == n_t
    for k in prange(n_rows):
        c0 = row_start[k]
        nc = row_count[k]
        for t in range(n_t):
            for c in range(c0, c0 + nc):
                for m in range(10):
                    scratch[c, m] = 0.0
            for s in range(n_sat):
                r = sat_r[t, s]
                if not (r > 0.0):
                    continue
                cpsi = footprint_cos_psi(r, sin_mask, cos_mask)
                a0, b0, a1, b1 = row_candidates(sat_lat[t, s], sat_lon[t, s], cpsi, row_lat[k], row_lon0[k],
                                                row_dlon[k], nc, row_full[k])
                px, py, pz = pos[t, s, 0], pos[t, s, 1], pos[t, s, 2]
                for part in range(2):
                    lo = a0 if part == 0 else a1
                    hi = b0 if part == 0 else b1
                    for i in range(lo, hi + 1):
                        c = c0 + i
                        dx, dy, dz = px - cells[c, 0], py - cells[c, 1], pz - cells[c, 2]
                        d = math.sqrt(dx * dx + dy * dy + dz * dz)
                        u = (dx * up[c, 0] + dy * up[c, 1] + dz * up[c, 2]) / d
                        if u < sin_mask:
                            continue
                        e = (dx * east[c, 0] + dy * east[c, 1] + dz * east[c, 2]) / d
                        n = (dx * north[c, 0] + dy * north[c, 1] + dz * north[c, 2]) / d
                        scratch[c, 0] += e * e
                        scratch[c, 1] += e * n
                        scratch[c, 2] += e * u
                        scratch[c, 3] += n * n
                        scratch[c, 4] += n * u
                        scratch[c, 5] += u * u
                        scratch[c, 6] += e
                        scratch[c, 7] += n
                        scratch[c, 8] += u
                        scratch[c, 9] += 1.0
            for c in range(c0, c0 + nc):
                nv = scratch[c, 9]
                nview_sum[c] += nv
                if nv < nview_min[c]:
                    nview_min[c] = nv
                if nv > nview_max[c]:
                    nview_max[c] = nv
                out = dop_from_sums(scratch[c])
                if nv < 4.0:
                    few[c] += 1
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
