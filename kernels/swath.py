"""Pushbroom swath crossings: which cells the along-track plane of one satellite sweeps over between two
samples.

The cross-track plane of a satellite at ``S`` moving with Earth-fixed velocity ``V`` passes a ground point
``P`` when ``f = (P - S) . V`` turns from positive (the point ahead) to negative.  For one satellite this
kernel tests every cell at the sample intervals it is given and returns the ``(cell, interval)`` pairs
where ``f`` changes sign so and the cell lies within a given angle of the sub-satellite point at the
interval's first sample (the caller's bound on where a crossing inside the swath can be).  The caller
refines each crossing and applies the swath limits (:mod:`constellation.imaging`).
"""

from __future__ import annotations

import math

from numba import njit

from . import CACHE

__all__ = ["swath_candidates"]


@njit(cache=CACHE, nogil=True)
def swath_candidates(S, V, P, Pn, ks, cos_reach, sum_limit, out_cell, out_k):  # pragma: no cover - compiled
    """Candidate crossings of one satellite.

    ``S``, ``V``: ITRS positions (km) and velocities (km/s) at the samples, float64 ``(n_t, 3)``; ``P``,
    ``Pn``: cell positions (km) and their unit vectors, ``(n_cell, 3)``; ``ks``: int64 indices of the sample
    intervals ``[k, k + 1]`` to test; ``cos_reach``: cosine of the largest angle between a cell and the
    sub-satellite direction at sample ``k``; ``sum_limit``: the largest sum of the angles (rad) between the
    cell and the sub-satellite directions at samples ``k`` and ``k + 1`` (a cell within ``lam`` of the
    sub-satellite point at an instant between them, which moves at most ``w`` rad/s, has a sum of at most
    ``2 lam + w (t[k + 1] - t[k])``, by the triangle inequality).  Writes up to ``out_cell.size`` pairs
    into ``out_cell`` / ``out_k`` (int64) and returns how many there are (more than the buffers hold
    means: call again with larger buffers).
    """
    n = 0
    cap = out_cell.size
    for j in range(ks.size):
        k = ks[j]
        sx, sy, sz = S[k, 0], S[k, 1], S[k, 2]
        r = math.sqrt(sx * sx + sy * sy + sz * sz)
        ux, uy, uz = sx / r, sy / r, sz / r
        ax, ay, az = V[k, 0], V[k, 1], V[k, 2]
        bx, by, bz = V[k + 1, 0], V[k + 1, 1], V[k + 1, 2]
        sva = sx * ax + sy * ay + sz * az
        svb = S[k + 1, 0] * bx + S[k + 1, 1] * by + S[k + 1, 2] * bz
        tx, ty, tz = S[k + 1, 0], S[k + 1, 1], S[k + 1, 2]
        rt = math.sqrt(tx * tx + ty * ty + tz * tz)
        tx, ty, tz = tx / rt, ty / rt, tz / rt
        for c in range(P.shape[0]):
            ca = Pn[c, 0] * ux + Pn[c, 1] * uy + Pn[c, 2] * uz
            if ca < cos_reach:
                continue
            if P[c, 0] * ax + P[c, 1] * ay + P[c, 2] * az <= sva:
                continue
            if P[c, 0] * bx + P[c, 1] * by + P[c, 2] * bz > svb:
                continue
            cb = Pn[c, 0] * tx + Pn[c, 1] * ty + Pn[c, 2] * tz
            if math.acos(min(1.0, ca)) + math.acos(max(-1.0, min(1.0, cb))) > sum_limit:
                continue
            if n < cap:
                out_cell[n] = c
                out_k[n] = k
            n += 1
    return n
