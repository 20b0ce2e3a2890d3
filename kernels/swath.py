"""Pushbroom swath crossings: the instants the cross-track plane of a satellite sweeps over ground cells.

The cross-track plane of a satellite at ``S`` moving with Earth-fixed velocity ``V`` passes a ground point
``P`` when ``f = (P - S) . V`` turns from positive (the point ahead) to negative.  For every satellite and
every sample interval ``[k, k + 1]`` it is given, :func:`swath_events` finds the cells where ``f`` changes
sign so, refines each crossing on the interval's cubic Hermite interpolant and keeps those inside the
swath.  The method, with the caller's pruning bounds, is described in :mod:`constellation.imaging`.

Refinement.  With ``u = (t - t_k) / h`` the interpolant through the two samples' positions and velocities
is ``s(u) = q0 + q1 u + q2 u^2 + q3 u^3`` (``q0 = S_k``, ``q1 = h V_k``,
``q2 = 3 (S_k+1 - S_k) - h (2 V_k + V_k+1)``, ``q3 = 2 (S_k - S_k+1) + h (V_k + V_k+1)``: the Hermite basis
of :mod:`constellation.kernels.interp` in powers of ``u``), so
``h f(u) = P . s'(u) - g(u)`` where ``g = s . s'`` is a quintic in ``u`` that depends on the interval only
(``g = sum_m m e_m u^(m-1) / 2`` with ``e_m = sum_(a+b=m) q_a . q_b``) and ``P . s'`` a quadratic with three
dot products per cell.  Newton's method on it starts where the straight line between the two samples'
values of ``f`` crosses zero, stays inside the shrinking bracket (a bisection where a step would leave
it), and stops when a step moves the time by less than :data:`TOL_S`.
"""

from __future__ import annotations

import math

from numba import njit

from . import CACHE
from .frames import WGS84_A_KM, WGS84_E2

__all__ = ["swath_events", "ITERATIONS", "TOL_S"]

#: Newton steps at most per crossing (bisection where a step would leave the bracket).
ITERATIONS = 40
#: Stop when a step moves the crossing time by less than this (s).
TOL_S = 1e-7
_B_KM = WGS84_A_KM * math.sqrt(1.0 - WGS84_E2)


@njit(cache=CACHE, nogil=True, error_model="numpy")
def swath_events(S, V, P, Pn, U, zs, seen, cos_reach, reach_rad, sum_limit, h, half_deg, sin_mask, geodetic, out,
                 q, e):
    """Swath opportunities of every satellite in the sample intervals marked in ``seen``.

    ``S``, ``V``: ITRS positions (km) and velocities (km/s), float64 ``(n_t, n_sat, 3)``, time-major;
    ``P``, ``Pn``, ``U``: the cells' positions (km), unit vectors and unit WGS84 normals ``(n_cell, 3)``,
    **sorted by** ``Pn[:, 2]``, which ``zs`` holds; ``seen``: bool ``(n_t - 1, n_sat)``, the intervals
    ``[k, k + 1]`` to examine; per satellite, ``cos_reach`` and ``reach_rad``: the largest angle (rad)
    between a cell and the sub-satellite direction at sample ``k`` and its cosine, ``sum_limit``: the
    largest sum of the cell's angles to the sub-satellite directions at samples ``k`` and ``k + 1``; ``h``:
    the step (s); ``half_deg``: the swath's half-angle; ``sin_mask``: sine of the elevation mask;
    ``geodetic``: measure the cross-track angle from the geodetic nadir (else the geocentric one).

    Only cells whose latitude (of ``Pn``) lies within ``reach_rad`` of the sub-satellite point at ``k`` and
    within ``sum_limit / 2`` of the mean of the two sub-satellite latitudes are looked at (each angle
    bounds a difference of latitudes), a band of ``zs`` found by bisection.

    ``out``: float64 ``(cap, 7)``, filled with one row per opportunity, ``(cell, satellite, k, dt_s,
    cross_track_deg, sin_elevation, ascending)`` (``cell`` indexes the sorted cells, ``dt_s`` is the
    crossing's time after sample ``k``, ``ascending`` 1.0 where the satellite moves north); ``q``, ``e``:
    float64 scratch of shapes ``(4, 3)`` and ``(7,)``.  Returns the number of opportunities: more than
    ``cap`` means only the first ``cap`` were written (call again with a larger ``out``).
    """
    nt, ns = S.shape[0], S.shape[1]
    ncell = P.shape[0]
    cap = out.shape[0]
    n = 0
    for i in range(ns):
        cr, rch, lim = cos_reach[i], reach_rad[i], sum_limit[i]
        for k in range(nt - 1):
            if not seen[k, i]:
                continue
            sax, say, saz = S[k, i, 0], S[k, i, 1], S[k, i, 2]
            vax, vay, vaz = V[k, i, 0], V[k, i, 1], V[k, i, 2]
            sbx, sby, sbz = S[k + 1, i, 0], S[k + 1, i, 1], S[k + 1, i, 2]
            vbx, vby, vbz = V[k + 1, i, 0], V[k + 1, i, 1], V[k + 1, i, 2]
            r = math.sqrt(sax * sax + say * say + saz * saz)
            ux, uy, uz = sax / r, say / r, saz / r
            rt = math.sqrt(sbx * sbx + sby * sby + sbz * sbz)
            tx, ty, tz = sbx / rt, sby / rt, sbz / rt
            sva = sax * vax + say * vay + saz * vaz
            svb = sbx * vbx + sby * vby + sbz * vbz
            lat_a = math.asin(min(1.0, max(-1.0, uz)))
            lat_b = math.asin(min(1.0, max(-1.0, tz)))
            lat_lo = max(lat_a - rch, 0.5 * (lat_a + lat_b - lim))
            lat_hi = min(lat_a + rch, 0.5 * (lat_a + lat_b + lim))
            c0 = 0 if lat_lo <= -0.5 * math.pi else _first_at_least(zs, math.sin(lat_lo) - 1e-7)
            c1 = ncell if lat_hi >= 0.5 * math.pi else _first_at_least(zs, math.sin(lat_hi) + 1e-7)
            for j in range(3):
                a0, a1, b0, b1 = S[k, i, j], h * V[k, i, j], S[k + 1, i, j], h * V[k + 1, i, j]
                q[0, j] = a0
                q[1, j] = a1
                q[2, j] = 3.0 * (b0 - a0) - (2.0 * a1 + b1)
                q[3, j] = 2.0 * (a0 - b0) + (a1 + b1)
            for m in range(7):
                e[m] = 0.0
            for a in range(4):
                for b in range(4):
                    e[a + b] += q[a, 0] * q[b, 0] + q[a, 1] * q[b, 1] + q[a, 2] * q[b, 2]
            for c in range(c0, c1):
                ca = Pn[c, 0] * ux + Pn[c, 1] * uy + Pn[c, 2] * uz
                if ca < cr:
                    continue
                px, py, pz = P[c, 0], P[c, 1], P[c, 2]
                if px * vax + py * vay + pz * vaz <= sva:  # f <= 0 at k: not ahead
                    continue
                if px * vbx + py * vby + pz * vbz > svb:  # f > 0 at k + 1: still ahead
                    continue
                cb = Pn[c, 0] * tx + Pn[c, 1] * ty + Pn[c, 2] * tz
                if math.acos(min(1.0, ca)) + math.acos(max(-1.0, min(1.0, cb))) > lim:
                    continue
                fa = (px - sax) * vax + (py - say) * vay + (pz - saz) * vaz
                fb = (px - sbx) * vbx + (py - sby) * vby + (pz - sbz) * vbz
                u = min(1.0, max(0.0, fa / (fa - fb)))
                lo, hi = 0.0, 1.0
                p1 = px * q[1, 0] + py * q[1, 1] + pz * q[1, 2]
                p2 = px * q[2, 0] + py * q[2, 1] + pz * q[2, 2]
                p3 = px * q[3, 0] + py * q[3, 1] + pz * q[3, 2]
                for _ in range(ITERATIONS):
                    g = 0.5 * e[1] + u * (e[2] + u * (1.5 * e[3] + u * (2.0 * e[4]
                                                                   + u * (2.5 * e[5] + u * 3.0 * e[6]))))
                    dg = e[2] + u * (3.0 * e[3] + u * (6.0 * e[4] + u * (10.0 * e[5] + u * 15.0 * e[6])))
                    f = p1 + u * (2.0 * p2 + u * 3.0 * p3) - g
                    df = 2.0 * p2 + u * 6.0 * p3 - dg
                    if f > 0:
                        lo = u
                    else:
                        hi = u
                    nxt = u - f / df
                    if not (math.isfinite(nxt) and nxt > lo and nxt < hi):
                        nxt = 0.5 * (lo + hi)
                    moved = abs(nxt - u) * h
                    u = nxt
                    if not (moved > TOL_S and (hi - lo) * h > TOL_S):
                        break
                # the state at the crossing, the line of sight, and the nadir in the cross-track plane
                x = q[0, 0] + u * (q[1, 0] + u * (q[2, 0] + u * q[3, 0]))
                y = q[0, 1] + u * (q[1, 1] + u * (q[2, 1] + u * q[3, 1]))
                z = q[0, 2] + u * (q[1, 2] + u * (q[2, 2] + u * q[3, 2]))
                vx = q[1, 0] + u * (2.0 * q[2, 0] + u * 3.0 * q[3, 0])
                vy = q[1, 1] + u * (2.0 * q[2, 1] + u * 3.0 * q[3, 1])
                vz = q[1, 2] + u * (2.0 * q[2, 2] + u * 3.0 * q[3, 2])
                vn = math.sqrt(vx * vx + vy * vy + vz * vz)
                vx, vy, vz = vx / vn, vy / vn, vz / vn
                if geodetic:  # the inward WGS84 normal under the satellite (geodetic latitude by iteration)
                    pp = math.hypot(x, y)
                    la = math.atan2(z, pp * (1.0 - WGS84_E2))
                    for _ in range(6):
                        sl, cl = math.sin(la), math.cos(la)
                        nn = WGS84_A_KM / math.sqrt(1.0 - WGS84_E2 * sl * sl)
                        hh = pp / max(cl, 1e-300) - nn if abs(cl) > 1e-9 else abs(z) - _B_KM
                        la = math.atan2(z, pp * (1.0 - WGS84_E2 * nn / (nn + hh)))
                    lon = math.atan2(y, x)
                    dx, dy, dz = -(math.cos(la) * math.cos(lon)), -(math.cos(la) * math.sin(lon)), -math.sin(la)
                else:
                    rn = math.sqrt(x * x + y * y + z * z)
                    dx, dy, dz = -(x / rn), -(y / rn), -(z / rn)
                dv = dx * vx + dy * vy + dz * vz
                dx, dy, dz = dx - dv * vx, dy - dv * vy, dz - dv * vz
                dn = math.sqrt(dx * dx + dy * dy + dz * dz)
                dx, dy, dz = dx / dn, dy / dn, dz / dn
                lx, ly, lz = px - x, py - y, pz - z
                right = lx * (dy * vz - dz * vy) + ly * (dz * vx - dx * vz) + lz * (dx * vy - dy * vx)
                xt = math.atan2(right, lx * dx + ly * dy + lz * dz) * (180.0 / math.pi)
                sin_el = -(lx * U[c, 0] + ly * U[c, 1] + lz * U[c, 2]) / math.sqrt(lx * lx + ly * ly + lz * lz)
                if not (abs(xt) <= half_deg and sin_el >= sin_mask):
                    continue
                if n < cap:
                    out[n, 0], out[n, 1], out[n, 2], out[n, 3] = c, i, k, u * h
                    out[n, 4], out[n, 5], out[n, 6] = xt, sin_el, 1.0 if vz > 0 else 0.0
                n += 1
    return n


@njit(cache=CACHE, nogil=True)
def _first_at_least(zs, z):
    """The first index of the sorted ``zs`` whose value is at least ``z`` (``zs.size`` if none)."""
    lo, hi = 0, zs.shape[0]
    while lo < hi:
        mid = (lo + hi) // 2
        if zs[mid] < z:
            lo = mid + 1
        else:
            hi = mid
    return lo
