"""Interpolation kernels: SGP4 states at coarse nodes -> Earth-fixed positions at the analysis times.

Between two nodes ``t_k`` and ``t_k + h`` where SGP4 gave position ``p`` and velocity ``v`` (TEME, km and
km/s), the position at ``t = t_k + u h`` (``0 <= u <= 1``) is the cubic Hermite polynomial

    r(u) = h00(u) p_k + h10(u) h v_k + h01(u) p_k+1 + h11(u) h v_k+1,
    h00 = 2u^3 - 3u^2 + 1,  h10 = u^3 - 2u^2 + u,  h01 = -2u^3 + 3u^2,  h11 = u^3 - u^2

(the cubic that matches both end positions and velocities: de Boor, "A Practical Guide to Splines",
ch. II; Burden & Faires, "Numerical Analysis", sec. 3.4).  Its error is
``r''''(xi) h^4 u^2 (1 - u)^2 / 24``, largest at the middle of an interval: ``|r''''| h^4 / 384``.  The
interpolated TEME position is then turned into ITRS with the per-time matrix ``M = W^T R3(theta)`` of
:func:`constellation.kernels.frames.teme_to_itrs_matrices` (AIAA 2006-6753 Appendix C).

With a wider stencil (positions and velocities at ``s`` nodes around the interval, ``s = 4`` or ``6``)
the polynomial has degree ``2 s - 1`` and the truncation error falls like ``h^(2 s)``, so the nodes can be
several times further apart for the same accuracy; see :func:`hermite_weights`.

The kernels write time-major ``(n_time, n_sat, 3)`` arrays, the layout the coverage kernels read, and
work on scalars only, so a given output element is computed by the same instructions whatever block of
times it belongs to (results do not depend on how a caller splits the window).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from . import CACHE
from .frames import rotate_one

__all__ = ["hermite_weights", "hermite_itrs", "hermite_itrs_serial", "rotate_time_major"]


@njit(cache=CACHE, nogil=True, error_model="numpy")
def hermite_weights(u, stencil, h_s):
    """Hermite weights for positions and velocities at ``stencil`` equally spaced nodes.

    The nodes sit at ``x_l = l - (stencil/2 - 1)`` node steps (``l = 0 .. stencil - 1``), so the interval
    ``[0, 1]`` is the middle one; ``u`` (n_time,) is the fraction of it at each output time.  Returns
    ``(w_r, w_v)``, each (n_time, stencil): the interpolated position is
    ``sum_l w_r[l] r_l + w_v[l] v_l``, the polynomial of degree ``2 stencil - 1`` matching every node's
    position and velocity, from the Lagrange basis ``L_l``:
    ``w_r = (1 - 2 L_l'(x_l) (u - x_l)) L_l(u)^2`` and ``w_v = h (u - x_l) L_l(u)^2`` (Burden & Faires,
    "Numerical Analysis", Theorem 3.9).  ``stencil = 2`` gives the cubic Hermite of the module notes.
    Plain arithmetic per time, so a time's weights never depend on the other times passed with it.
    """
    nt = u.shape[0]
    w_r = np.empty((nt, stencil))
    w_v = np.empty((nt, stencil))
    shift = stencil // 2 - 1
    for j in range(nt):
        x = u[j]
        for l in range(stencil):
            xl = float(l - shift)
            lag = 1.0
            dsum = 0.0
            for q in range(stencil):
                if q != l:
                    xq = float(q - shift)
                    lag *= (x - xq) / (xl - xq)
                    dsum += 1.0 / (xl - xq)
            l2 = lag * lag
            w_r[j, l] = (1.0 - 2.0 * dsum * (x - xl)) * l2
            w_v[j, l] = h_s * (x - xl) * l2
    return w_r, w_v


@njit(cache=CACHE, parallel=True, nogil=True, error_model="numpy")
def hermite_itrs(r_node, v_node, n0, kidx, u, w_r, w_v, fail_node, m, out):
    """Hermite interpolation of TEME node states over a stencil of nodes, rotated to ITRS, into ``out``.

    Parameters
    ----------
    r_node, v_node : float64 (n_node, n_sat, 3), C-contiguous
        SGP4 TEME positions (km) and velocities (km/s) at window nodes ``n0 .. n0 + n_node - 1``,
        node-major so that neighbouring satellites read neighbouring memory.
    n0 : int
        Window index of the first node in ``r_node``.
    kidx : int64 (n_time,)
        Window index of the first node of each output time's stencil; its interval starts at node
        ``kidx + stencil/2 - 1``.
    u : float64 (n_time,)
        Fraction of that interval, in ``[0, 1]``.
    w_r, w_v : float64 (n_time, stencil)
        Weights from :func:`hermite_weights` (``w_v`` already scaled by the node step).
    fail_node : int64 (n_sat,)
        Window index of each satellite's first node where SGP4 failed (any number above the last node
        when none).  A time is NaN when its stencil reaches a failed node, except the start node of the
        first interval whose stencil does (``u == 0``), which is returned as it is.  So each satellite is
        valid up to a time and NaN from there on, and no failed node is ever interpolated through.
    m : float64 (n_time, 3, 3)
        TEME -> ITRS matrices at the output times.
    out : float64 (n_time, n_sat, 3), C-contiguous
        ITRS positions (km), written in place.
    """
    for j in prange(kidx.shape[0]):
        _hermite_time(r_node, v_node, n0, kidx, u, w_r, w_v, fail_node, m, out, j)


@njit(cache=CACHE, nogil=True, error_model="numpy")
def hermite_itrs_serial(r_node, v_node, n0, kidx, u, w_r, w_v, fail_node, m, out):
    """:func:`hermite_itrs` on the calling thread only, for small blocks: the same operations per element
    (so the same numbers), without waking a thread team (milliseconds when the cores are shared)."""
    for j in range(kidx.shape[0]):
        _hermite_time(r_node, v_node, n0, kidx, u, w_r, w_v, fail_node, m, out, j)


@njit(cache=CACHE, inline="always", nogil=True, error_model="numpy")
def _hermite_time(r_node, v_node, n0, kidx, u, w_r, w_v, fail_node, m, out, j):
    """All satellites at output time ``j`` (see :func:`hermite_itrs`)."""
    ns = r_node.shape[1]
    st = w_r.shape[1]
    mid = st // 2 - 1
    nan = np.nan
    k = kidx[j]
    a = k - n0
    m00, m01, m02 = m[j, 0, 0], m[j, 0, 1], m[j, 0, 2]
    m10, m11, m12 = m[j, 1, 0], m[j, 1, 1], m[j, 1, 2]
    m20, m21, m22 = m[j, 2, 0], m[j, 2, 1], m[j, 2, 2]
    on_node = u[j] == 0.0
    for i in range(ns):
        f = fail_node[i]
        if k + st - 1 < f:
            if st == 2:
                x = _sum2(w_r, w_v, r_node, v_node, j, a, i, 0)
                y = _sum2(w_r, w_v, r_node, v_node, j, a, i, 1)
                z = _sum2(w_r, w_v, r_node, v_node, j, a, i, 2)
            elif st == 4:
                x = _sum4(w_r, w_v, r_node, v_node, j, a, i, 0)
                y = _sum4(w_r, w_v, r_node, v_node, j, a, i, 1)
                z = _sum4(w_r, w_v, r_node, v_node, j, a, i, 2)
            else:
                x = _sum_any(w_r, w_v, r_node, v_node, j, a, i, 0)
                y = _sum_any(w_r, w_v, r_node, v_node, j, a, i, 1)
                z = _sum_any(w_r, w_v, r_node, v_node, j, a, i, 2)
        elif on_node and k + st - 1 == f:  # the last good time: on a node, first stencil to reach f
            x = r_node[a + mid, i, 0]
            y = r_node[a + mid, i, 1]
            z = r_node[a + mid, i, 2]
        else:
            out[j, i, 0] = nan
            out[j, i, 1] = nan
            out[j, i, 2] = nan
            continue
        out[j, i, 0] = m00 * x + m01 * y + m02 * z
        out[j, i, 1] = m10 * x + m11 * y + m12 * z
        out[j, i, 2] = m20 * x + m21 * y + m22 * z


@njit(cache=CACHE, inline="always", nogil=True, error_model="numpy")
def _sum2(w_r, w_v, r, v, j, a, i, c):
    # pairwise sums: short dependency chains, so independent satellites overlap in the pipeline
    return ((w_r[j, 0] * r[a, i, c] + w_r[j, 1] * r[a + 1, i, c])
            + (w_v[j, 0] * v[a, i, c] + w_v[j, 1] * v[a + 1, i, c]))


@njit(cache=CACHE, inline="always", nogil=True, error_model="numpy")
def _sum4(w_r, w_v, r, v, j, a, i, c):
    return (((w_r[j, 0] * r[a, i, c] + w_r[j, 1] * r[a + 1, i, c])
             + (w_r[j, 2] * r[a + 2, i, c] + w_r[j, 3] * r[a + 3, i, c]))
            + ((w_v[j, 0] * v[a, i, c] + w_v[j, 1] * v[a + 1, i, c])
               + (w_v[j, 2] * v[a + 2, i, c] + w_v[j, 3] * v[a + 3, i, c])))


@njit(cache=CACHE, inline="always", nogil=True, error_model="numpy")
def _sum_any(w_r, w_v, r, v, j, a, i, c):
    x = 0.0
    for l in range(w_r.shape[1]):
        x += w_r[j, l] * r[a + l, i, c] + w_v[j, l] * v[a + l, i, c]
    return x


@njit(cache=CACHE, parallel=True, nogil=True, error_model="numpy")
def rotate_time_major(r_teme, m, out):
    """TEME ``(n_sat, n_time, 3)`` km -> ITRS into ``out`` ``(n_time, n_sat, 3)`` with matrices ``m``
    ``(n_time, 3, 3)``; NaN in, NaN out.  The exact-SGP4 path's transpose + rotation in one pass."""
    ns, nt = r_teme.shape[0], r_teme.shape[1]
    for q in prange(nt * ns):
        j = q // ns
        i = q - j * ns
        rotate_one(r_teme, i, j, m, out, j, i)
