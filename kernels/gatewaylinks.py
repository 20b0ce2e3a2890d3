"""Gateway links of bent-pipe satellites: when each satellite sees at least one gateway, with exact edges.

A transparent (bent-pipe) satellite serves a cell only while it also sees a gateway on the ground.  That
condition belongs to the satellite alone, not to the cell, so it is found once per satellite and sample
(:func:`relay_steps`): the satellite is *linked* at a sample when at least one of its gateways sees it at
or above that gateway's elevation mask, with the exact test the cells use (:func:`~.visibility.serves`:
``d . U >= sin(mask) |d|``, WGS84 ellipsoid normal).  Where the link changes between two samples, the
instant it changes is found by root finding on the interpolated positions
(:func:`~.visibility.crossing_time_fraction`, the refinement of every other edge): a satellite gains its
link when the first of the gateways it sees at the later sample rises, and loses it when the last of the
gateways it saw at the earlier sample sets.  (A gateway that rises and sets between two samples is not
seen, as at the samples.)

The coverage engine then leaves unlinked satellites out of the row sweep at that sample and moves the
edges of the cells they start or stop serving to the link's instant (:mod:`.sweep`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import CACHE
from .parallel import run_ranges
from .visibility import crossing_time_fraction, serves

__all__ = ["GW_FIELDS", "relay_links", "relay_steps"]

#: Columns of the gateway table: ITRS position (km), unit WGS84 ellipsoid normal, sine of the mask.
GW_FIELDS = ("x_km", "y_km", "z_km", "ux", "uy", "uz", "sin_el")


def relay_links(pos: np.ndarray, t_ticks: np.ndarray, gw: np.ndarray, sat_gw: np.ndarray, *,
                parallel: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Each satellite's gateway link at each step, and the instant it changes.

    Parameters
    ----------
    pos : float64 (n_t, n_sat, 3), C-contiguous
        ITRS km positions (NaN: no position, not linked).
    t_ticks : int64 (n_t,)
        Microsecond ticks of the steps.
    gw : float64 (n_gw, 7)
        The gateways, columns :data:`GW_FIELDS`.
    sat_gw : int64 (n_sat, 2)
        Rows ``sat_gw[s, 0] .. sat_gw[s, 1] - 1`` of ``gw`` are satellite ``s``'s gateways; an empty range:
        the satellite needs none (always linked).

    Returns
    -------
    linked : int8 (n_t, n_sat)
        1 where the satellite sees at least one of its gateways (or needs none).
    frac : float64 (n_t, n_sat)
        At step ``t >= 1`` where ``linked`` differs from step ``t - 1``: the fraction of the step
        ``t - 1 .. t`` where the link was gained or lost (the on-sample rule, 1 for a gain and 0 for a
        loss, where no root is bracketed); NaN elsewhere.
    """
    nt, ns = pos.shape[0], pos.shape[1]
    linked = np.empty((nt, ns), np.int8)
    frac = np.empty((nt, ns))
    run_ranges(relay_steps, ns, pos, t_ticks, gw, sat_gw, linked, frac, parallel=parallel)
    return linked, frac


@njit(cache=CACHE, nogil=True, error_model="numpy")
def relay_steps(s0, s1, pos, t_ticks, gw, sat_gw, linked, frac):
    """Satellites ``s0 .. s1 - 1`` of :func:`relay_links`."""
    nt = pos.shape[0]
    for s in range(s0, s1):
        g0 = sat_gw[s, 0]
        g1 = sat_gw[s, 1]
        prev = np.int8(1)
        for t in range(nt):
            frac[t, s] = np.nan
            a = np.int8(1)
            if g1 > g0:
                a = np.int8(0)
                for g in range(g0, g1):
                    if serves(pos[t, s, 0], pos[t, s, 1], pos[t, s, 2], gw[g, 0], gw[g, 1], gw[g, 2], gw[g, 3],
                              gw[g, 4], gw[g, 5], gw[g, 6], False, -1.0):
                        a = np.int8(1)
                        break
                if t > 0 and a != prev:
                    frac[t, s] = _link_switch(pos, t, s, (t_ticks[t] - t_ticks[t - 1]) * 1e-6, gw, g0, g1, a == 1)
            linked[t, s] = a
            prev = a


@njit(cache=CACHE, inline="always")
def _link_switch(pos, t, s, h_s, gw, g0, g1, gain):
    """Fraction of the step ``t - 1 .. t`` where satellite ``s`` gains (``gain``) or loses its link: the
    earliest rise of the gateways it sees at ``t``, or the latest set of those it saw at ``t - 1``."""
    p0 = pos[t - 1, s]
    p1 = pos[t, s]
    best = 2.0 if gain else -1.0
    for g in range(g0, g1):
        p = p1 if gain else p0
        if not serves(p[0], p[1], p[2], gw[g, 0], gw[g, 1], gw[g, 2], gw[g, 3], gw[g, 4], gw[g, 5], gw[g, 6],
                      False, -1.0):
            continue
        f = crossing_time_fraction(p0, p1, h_s, gw[g, 0], gw[g, 1], gw[g, 2], gw[g, 3], gw[g, 4], gw[g, 5],
                                   gw[g, 6], np.int64(0), -1.0)
        if f < 0.0:
            f = 1.0 if gain else 0.0  # no zero between the samples: the on-sample rule
        best = min(best, f) if gain else max(best, f)
    return best
