"""Interpolation kernels: SGP4 states at coarse nodes -> Earth-fixed positions at the analysis times.

SGP4's TEME positions and velocities at the nodes are first turned into ITRS positions and velocities
(:func:`states_to_itrs`: ``r = M r_teme``, ``v = M v_teme + dM/dt r_teme`` with ``M = W^T R3(theta)`` of
:func:`constellation.kernels.frames.teme_to_itrs_matrices`, AIAA 2006-6753 Appendix C).  Between two nodes
``t_k`` and ``t_k + h`` where the position is ``p`` and the velocity ``v``, the position at
``t = t_k + u h`` (``0 <= u <= 1``) is then the cubic Hermite polynomial

    r(u) = h00(u) p_k + h10(u) h v_k + h01(u) p_k+1 + h11(u) h v_k+1,
    h00 = 2u^3 - 3u^2 + 1,  h10 = u^3 - 2u^2 + u,  h01 = -2u^3 + 3u^2,  h11 = u^3 - u^2

(the cubic that matches both end positions and velocities: de Boor, "A Practical Guide to Splines",
ch. II; Burden & Faires, "Numerical Analysis", sec. 3.4).  Its error is
``r''''(xi) h^4 u^2 (1 - u)^2 / 24``, largest at the middle of an interval: ``|r''''| h^4 / 384``.
Interpolating in the Earth-fixed frame leaves no rotation to do per output time; the Earth's rotation
only adds its rate to the orbit's in the derivatives.

With a wider stencil (positions and velocities at ``s`` nodes around the interval, ``s = 4`` or ``6``)
the polynomial has degree ``2 s - 1`` and the truncation error falls like ``h^(2 s)``, so the nodes can be
several times further apart for the same accuracy; see :func:`hermite_weights`.

The kernels write time-major ``(n_time, n_sat, 3)`` arrays, the layout the coverage kernels read, and
work on scalars only, so a given output element is computed by the same instructions whatever block of
times it belongs to (results do not depend on how a caller splits the window).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import CACHE
from .frames import rotate_one, rotate_xyz
from .parallel import run_ranges

__all__ = ["hermite_weights", "hermite_itrs", "hermite_tasks_2", "hermite_tasks_4", "hermite_tasks_6", "mask_failures",
           "rotate_time_major",
           "rotate_time_major_items", "states_to_itrs", "states_to_itrs_items"]


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


#: Satellites per tile and output times per task of :func:`hermite_itrs`: a tile's share of the stencil's
#: node rows (8 rows x 256 satellites x 24 bytes for the degree-7 stencil, 48 KiB) stays in the core's
#: cache while the task runs through its times, instead of streaming whole node rows from memory per time.
TILE_SATS = 256
TILE_TIMES = 32


def hermite_itrs(r_node: np.ndarray, v_node: np.ndarray, n0: int, kidx: np.ndarray, w_r: np.ndarray,
                 w_v: np.ndarray, out: np.ndarray, *, parallel: bool = True) -> None:
    """Hermite interpolation of ITRS node states over a stencil of nodes, into ``out``.

    Parameters
    ----------
    r_node, v_node : float64 (n_node, n_sat, 3), C-contiguous
        ITRS positions (km) and velocities (km/s) at window nodes ``n0 .. n0 + n_node - 1``
        (:func:`states_to_itrs`), node-major so that one node's states are one contiguous run of memory.
    n0 : int
        Window index of the first node in ``r_node``.
    kidx : int64 (n_time,)
        Window index of the first node of each output time's stencil.
    w_r, w_v : float64 (n_time, stencil)
        Weights from :func:`hermite_weights` (``w_v`` already scaled by the node step); stencil 2, 4 or 6.
    out : float64 (n_time, n_sat, 3), C-contiguous
        ITRS positions (km), written in place.
    parallel : bool
        Run the tasks on every thread or on the calling thread only (small blocks).

    Every satellite is interpolated as if all its nodes were good; :func:`mask_failures` then applies
    the rule for satellites with a failed node.  The work is cut into tasks of :data:`TILE_SATS`
    satellites by :data:`TILE_TIMES` times; per time a task takes the weighted sum of the stencil's node
    states as one flat run of ``3 x`` satellites numbers (a loop LLVM turns into packed SIMD arithmetic).
    Every element gets the same operations whatever the cut, so the numbers do not depend on it.
    """
    ns, nt = out.shape[1], kidx.shape[0]
    n_tile = (ns + TILE_SATS - 1) // TILE_SATS
    n_run = (nt + TILE_TIMES - 1) // TILE_TIMES
    kernel = {2: hermite_tasks_2, 4: hermite_tasks_4, 6: hermite_tasks_6}[w_r.shape[1]]
    run_ranges(kernel, n_tile * n_run, r_node, v_node, np.int64(n0), kidx, w_r, w_v, out, np.int64(n_tile),
               parallel=parallel)


@njit(cache=CACHE, inline="always", nogil=True, error_model="numpy")
def _time_2(r_node, v_node, a, w_r, w_v, o, j, s0, s1):
    """Output time ``j``, satellites ``s0 .. s1 - 1``, with the stencil's first node at row ``a``: the
    weighted sum of the nodes' states, each operand a contiguous flat run (pairwise sums: short dependency
    chains, the same grouping for every element)."""
    r0, r1 = r_node[a, s0:s1].reshape(-1), r_node[a + 1, s0:s1].reshape(-1)
    v0, v1 = v_node[a, s0:s1].reshape(-1), v_node[a + 1, s0:s1].reshape(-1)
    a0, a1 = w_r[j, 0], w_r[j, 1]
    b0, b1 = w_v[j, 0], w_v[j, 1]
    for q in range(o.shape[0]):
        o[q] = (a0 * r0[q] + a1 * r1[q]) + (b0 * v0[q] + b1 * v1[q])


@njit(cache=CACHE, inline="always", nogil=True, error_model="numpy")
def _time_4(r_node, v_node, a, w_r, w_v, o, j, s0, s1):
    """:func:`_time_2` for the 4-node stencil."""
    r0, r1 = r_node[a, s0:s1].reshape(-1), r_node[a + 1, s0:s1].reshape(-1)
    r2, r3 = r_node[a + 2, s0:s1].reshape(-1), r_node[a + 3, s0:s1].reshape(-1)
    v0, v1 = v_node[a, s0:s1].reshape(-1), v_node[a + 1, s0:s1].reshape(-1)
    v2, v3 = v_node[a + 2, s0:s1].reshape(-1), v_node[a + 3, s0:s1].reshape(-1)
    a0, a1, a2, a3 = w_r[j, 0], w_r[j, 1], w_r[j, 2], w_r[j, 3]
    b0, b1, b2, b3 = w_v[j, 0], w_v[j, 1], w_v[j, 2], w_v[j, 3]
    for q in range(o.shape[0]):
        o[q] = (((a0 * r0[q] + a1 * r1[q]) + (a2 * r2[q] + a3 * r3[q]))
                + ((b0 * v0[q] + b1 * v1[q]) + (b2 * v2[q] + b3 * v3[q])))


@njit(cache=CACHE, inline="always", nogil=True, error_model="numpy")
def _time_6(r_node, v_node, a, w_r, w_v, o, j, s0, s1):
    """:func:`_time_2` for the 6-node stencil."""
    r0, r1, r2 = r_node[a, s0:s1].reshape(-1), r_node[a + 1, s0:s1].reshape(-1), r_node[a + 2, s0:s1].reshape(-1)
    r3, r4, r5 = r_node[a + 3, s0:s1].reshape(-1), r_node[a + 4, s0:s1].reshape(-1), r_node[a + 5, s0:s1].reshape(-1)
    v0, v1, v2 = v_node[a, s0:s1].reshape(-1), v_node[a + 1, s0:s1].reshape(-1), v_node[a + 2, s0:s1].reshape(-1)
    v3, v4, v5 = v_node[a + 3, s0:s1].reshape(-1), v_node[a + 4, s0:s1].reshape(-1), v_node[a + 5, s0:s1].reshape(-1)
    a0, a1, a2, a3, a4, a5 = w_r[j, 0], w_r[j, 1], w_r[j, 2], w_r[j, 3], w_r[j, 4], w_r[j, 5]
    b0, b1, b2, b3, b4, b5 = w_v[j, 0], w_v[j, 1], w_v[j, 2], w_v[j, 3], w_v[j, 4], w_v[j, 5]
    for q in range(o.shape[0]):
        o[q] = ((((a0 * r0[q] + a1 * r1[q]) + (a2 * r2[q] + a3 * r3[q])) + (a4 * r4[q] + a5 * r5[q]))
                + (((b0 * v0[q] + b1 * v1[q]) + (b2 * v2[q] + b3 * v3[q])) + (b4 * v4[q] + b5 * v5[q])))


@njit(cache=CACHE, inline="always")
def _task_bounds(task, n_tile, n_sat, n_time):
    """Satellites ``s0 .. s1 - 1`` and output times ``j0 .. j1 - 1`` of task ``task`` of :func:`hermite_itrs`:
    tile ``task mod n_tile`` of :data:`TILE_SATS` satellites, run ``task // n_tile`` of :data:`TILE_TIMES`
    times."""
    run = task // n_tile
    s0 = (task - run * n_tile) * TILE_SATS
    return s0, min(s0 + TILE_SATS, n_sat), run * TILE_TIMES, min((run + 1) * TILE_TIMES, n_time)


@njit(cache=CACHE, nogil=True, error_model="numpy")
def hermite_tasks_2(q0, q1, r_node, v_node, n0, kidx, w_r, w_v, out, n_tile):
    """Tasks ``q0 .. q1 - 1`` of :func:`hermite_itrs` with the 2-node stencil (:func:`_task_bounds`).  One
    kernel per stencil, so a run compiles only the stencil it uses."""
    for task in range(q0, q1):
        s0, s1, j0, j1 = _task_bounds(task, n_tile, out.shape[1], kidx.shape[0])
        for j in range(j0, j1):
            _time_2(r_node, v_node, kidx[j] - n0, w_r, w_v, out[j, s0:s1].reshape(-1), j, s0, s1)


@njit(cache=CACHE, nogil=True, error_model="numpy")
def hermite_tasks_4(q0, q1, r_node, v_node, n0, kidx, w_r, w_v, out, n_tile):
    """:func:`hermite_tasks_2` with the 4-node stencil."""
    for task in range(q0, q1):
        s0, s1, j0, j1 = _task_bounds(task, n_tile, out.shape[1], kidx.shape[0])
        for j in range(j0, j1):
            _time_4(r_node, v_node, kidx[j] - n0, w_r, w_v, out[j, s0:s1].reshape(-1), j, s0, s1)


@njit(cache=CACHE, nogil=True, error_model="numpy")
def hermite_tasks_6(q0, q1, r_node, v_node, n0, kidx, w_r, w_v, out, n_tile):
    """:func:`hermite_tasks_2` with the 6-node stencil."""
    for task in range(q0, q1):
        s0, s1, j0, j1 = _task_bounds(task, n_tile, out.shape[1], kidx.shape[0])
        for j in range(j0, j1):
            _time_6(r_node, v_node, kidx[j] - n0, w_r, w_v, out[j, s0:s1].reshape(-1), j, s0, s1)


def states_to_itrs(r: np.ndarray, v: np.ndarray, m: np.ndarray, mdot: np.ndarray, n0: int, *,
                   parallel: bool = True) -> None:
    """TEME node states to ITRS in place: ``r = M r``, ``v = M v + dM/dt r`` (AIAA 2006-6753 eqs. C-2 to
    C-4, the matrices of :func:`constellation.kernels.frames.teme_to_itrs_matrices`).

    ``r``, ``v`` float64 (n, n_sat, 3) km and km/s at window nodes ``n0 .. n0 + n - 1``; ``m``, ``mdot``
    (n_node, 3, 3) for every node of the window.  Positions use the expression of
    :func:`constellation.kernels.frames.rotate_xyz`, so a node's ITRS position is the same number the
    exact path gives at that time.  ``parallel``: on every thread, or on the calling thread only.
    """
    run_ranges(states_to_itrs_items, r.shape[0] * r.shape[1], r, v, m, mdot, np.int64(n0), parallel=parallel)


@njit(cache=CACHE, nogil=True, error_model="numpy")
def states_to_itrs_items(q0, q1, r, v, m, mdot, n0):
    """Node states ``q0 .. q1 - 1`` of :func:`states_to_itrs`, numbered node-major (``q = j n_sat + i``)."""
    ns = r.shape[1]
    for q in range(q0, q1):
        j = q // ns
        _state_to_itrs(r, v, m, mdot, n0 + j, j, q - j * ns)


@njit(cache=CACHE, inline="always", nogil=True, error_model="numpy")
def _state_to_itrs(r, v, m, mdot, k, j, i):
    a, b, c = r[j, i, 0], r[j, i, 1], r[j, i, 2]
    d, e, f = v[j, i, 0], v[j, i, 1], v[j, i, 2]
    rotate_xyz(m, k, a, b, c, r, j, i)
    rotate_xyz(m, k, d, e, f, v, j, i)
    v[j, i, 0] += mdot[k, 0, 0] * a + mdot[k, 0, 1] * b + mdot[k, 0, 2] * c
    v[j, i, 1] += mdot[k, 1, 0] * a + mdot[k, 1, 1] * b + mdot[k, 1, 2] * c
    v[j, i, 2] += mdot[k, 2, 0] * a + mdot[k, 2, 1] * b + mdot[k, 2, 2] * c


@njit(cache=CACHE, nogil=True, error_model="numpy")
def mask_failures(r_node, n0, kidx, u, stencil, fail_node, hit, out):
    """Apply the failure rule to satellites ``hit`` (int64) after :func:`hermite_itrs`.

    ``fail_node`` (int64, n_sat) is each satellite's first node where SGP4 failed.  A time is NaN when
    its stencil (nodes ``kidx .. kidx + stencil - 1``) reaches a failed node, except the middle node of
    the first stencil that does when the time falls on it (``u == 0``), which gets the node's own ITRS
    position.  So each satellite is valid up to a time and NaN from there on, and no failed node is ever
    interpolated through.
    """
    mid = stencil // 2 - 1
    for j in range(kidx.shape[0]):
        k = kidx[j]
        a = k - n0
        for h in range(hit.shape[0]):
            i = hit[h]
            f = fail_node[i]
            if k + stencil - 1 < f:
                continue
            on_node = u[j] == 0.0 and k + stencil - 1 == f
            for c in range(3):
                out[j, i, c] = r_node[a + mid, i, c] if on_node else np.nan


def rotate_time_major(r_teme: np.ndarray, m: np.ndarray, out: np.ndarray) -> None:
    """TEME ``(n_sat, n_time, 3)`` km -> ITRS into ``out`` ``(n_time, n_sat, 3)`` with matrices ``m``
    ``(n_time, 3, 3)``; NaN in, NaN out.  The exact-SGP4 path's transpose + rotation in one pass."""
    run_ranges(rotate_time_major_items, r_teme.shape[0] * r_teme.shape[1], r_teme, m, out)


@njit(cache=CACHE, nogil=True, error_model="numpy")
def rotate_time_major_items(q0, q1, r_teme, m, out):
    """Satellite-times ``q0 .. q1 - 1`` of :func:`rotate_time_major`, numbered time-major
    (``q = j n_sat + i``)."""
    ns = r_teme.shape[0]
    for q in range(q0, q1):
        j = q // ns
        i = q - j * ns
        rotate_one(r_teme, i, j, m, out, j, i)
