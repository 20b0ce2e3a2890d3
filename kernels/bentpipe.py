"""Bent-pipe (transparent) service kernels: cells served directly and through a gateway, per step.

A transparent satellite relays a user's signal to a gateway on the ground, so it serves a cell at a step
only while it sees the cell (elevation mask of the cell) *and* at least one gateway (elevation mask of the
gateway).  The caller gives, per step and satellite, a bit mask ``link`` of the gateways the satellite
sees (bit ``g`` for gateway ``g``, at most :data:`MAX_GATEWAYS`), computed with the same exact elevation
test as the cells (``d . U >= sin(mask) |d|``, WGS84 ellipsoid normal).  Per cell and step, the OR of the
masks of the satellites in view says through which gateways the cell is served; a cell is served (bent
pipe) when that OR is not zero, and covered (direct) when any satellite is in view at all.

The satellites in view of each cell come from the coverage engine's footprint search (:mod:`.rowmodel`,
:mod:`.sattables`), as in :mod:`.dop`, so direct coverage here counts exactly the satellites
:func:`constellation.api.coverage_counts` counts.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import CACHE
from .parallel import run_ranges
from .rowmodel import ROW_COUNT, ROW_PHIGC, ROW_START, walk_row
from .sattables import seek_sorted

__all__ = ["MAX_GATEWAYS", "accumulate_served", "accumulate_served_rows"]

#: Gateways one run can tell apart (bits of an int64 mask, the sign bit left alone).
MAX_GATEWAYS = 63


def accumulate_served(pos: np.ndarray, geo: np.ndarray, order: np.ndarray, lat_sorted: np.ndarray,
                      n_ok: np.ndarray, cap_max: np.ndarray, cells: np.ndarray, rows_f: np.ndarray,
                      rows_i: np.ndarray, sin_el: float, contiguous: bool, link: np.ndarray, n_gateway: int,
                      counts: np.ndarray, by_gateway: np.ndarray, series_view: np.ndarray,
                      series_link: np.ndarray) -> None:
    """Add ``n_t`` steps to the per-cell service counts, grid rows shared among threads.

    Parameters
    ----------
    pos, geo, order, lat_sorted, n_ok, cap_max, cells, rows_f, rows_i, sin_el, contiguous
        As for :func:`.dop.accumulate_dop` (every satellite serving, elevation mask only).
    link : int64 (n_t, n_sat)
        Bit ``g`` set where the satellite sees gateway ``g`` at that step.
    n_gateway : int
        Number of gateways (bits of ``link`` used).

    Per cell (updated in place): ``counts`` (2, n_cell): steps with at least one satellite in view
    (direct) and steps with at least one in view that also sees a gateway (bent pipe); ``by_gateway``
    (n_cell, n_gateway): steps served through each gateway.  When ``series_view`` has ``n_t`` rows, the
    satellites in view (n_t, n_cell) and the OR of their gateway masks ``series_link`` are written too.
    """
    run_ranges(accumulate_served_rows, rows_i.shape[0], pos, geo, order, lat_sorted, n_ok, cap_max, cells, rows_f,
               rows_i, float(sin_el), bool(contiguous), link, int(n_gateway), counts, by_gateway, series_view,
               series_link, tasks_per_thread=4)


@njit(cache=CACHE, nogil=True)
def accumulate_served_rows(k0, k1, pos, geo, order, lat_sorted, n_ok, cap_max, cells, rows_f, rows_i, sin_el,
                           contiguous, link, n_gateway, counts, by_gateway, series_view, series_link):
    """Rows ``k0 .. k1 - 1`` of :func:`accumulate_served`."""
    n_t = pos.shape[0]
    write_series = series_view.shape[0] == n_t
    direct, bent = counts[0], counts[1]
    no_cone = np.int64(0)
    for k in range(k0, k1):
        c0 = rows_i[k, ROW_START]
        nc = rows_i[k, ROW_COUNT]
        phi = rows_f[k, ROW_PHIGC]
        n_view = np.zeros(nc, np.int64)
        acc = np.zeros(nc, np.int64)
        runs = np.empty((3, 8), np.int64)
        lo = np.int64(0)  # first satellite whose cap can reach the row (sattables.seek_sorted walks from it)
        for t in range(n_t):
            n_view[:] = 0
            acc[:] = 0
            m_ok = n_ok[t]
            cm = cap_max[t]
            lo = seek_sorted(lat_sorted[t], m_ok, phi - cm, False, lo)
            iq = lo
            while iq < m_ok and lat_sorted[t, iq] <= phi + cm:
                s = order[t, iq]
                iq += 1
                runs, nr = walk_row(k, t, s, pos, geo, cells, rows_f, rows_i, sin_el, no_cone, -1.0, contiguous, runs,
                                    np.int64(0), np.int64(0))
                bits = link[t, s]
                for q in range(nr):
                    first = runs[1, q]
                    for j in range(runs[2, q]):
                        i = first + j
                        if i >= nc:
                            i -= nc
                        n_view[i] += 1
                        acc[i] |= bits
            for i in range(nc):
                c = c0 + i
                if n_view[i] > 0:
                    direct[c] += 1
                a = acc[i]
                if a != 0:
                    bent[c] += 1
                    for g in range(n_gateway):
                        if (a >> g) & 1:
                            by_gateway[c, g] += 1
                if write_series:
                    series_view[t, c] = n_view[i]
                    series_link[t, c] = a
