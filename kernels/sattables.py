"""Satellite tables: per step, the serving satellites sorted by geocentric latitude.

A grid row can only be served by satellites whose cap (:func:`~.visibility.sat_geometry`) reaches its
latitude, so per step the satellites are sorted by latitude once and each row visits only those within
the largest cap of its latitude (:func:`seek_sorted` walks to the bounds from the previous step's).
:func:`sat_tables` gives the contiguous column table the coverage sweep reads; :func:`sat_table` the plain
per-step order the DOP kernels use.
"""

from __future__ import annotations


import numpy as np
from numba import njit, prange

from . import CACHE

__all__ = ['sat_table', 'sat_tables', 'seek_sorted']


@njit(cache=CACHE, parallel=True)
def sat_table(geo, sat_serv):
    """Per step, the serving satellites sorted by geocentric latitude (so a row finds the satellites
    whose cap can reach it by a search in latitude).

    Returns ``order`` int64 (n_t, n_sat) (satellite indices, the first ``n_ok[t]`` valid), ``lat_sorted``
    float64 (n_t, n_sat) (their latitudes, rad), ``n_ok`` int64 (n_t,) and ``cap_max`` float64 (n_t,)
    (largest cap angle of the step, rad).  Satellites with NaN geometry or no service are left out.
    """
    nt, ns = geo.shape[0], geo.shape[1]
    order = np.zeros((nt, ns), np.int64)
    lat_sorted = np.zeros((nt, ns))
    n_ok = np.zeros(nt, np.int64)
    cap_max = np.zeros(nt)
    for t in prange(nt):
        lat = np.empty(ns)
        idx = np.empty(ns, np.int64)
        m = _sort_step(geo, t, sat_serv, lat, idx)
        cm = 0.0
        for i in range(m):
            order[t, i] = idx[i]
            lat_sorted[t, i] = lat[i]
            cm = max(cm, geo[t, idx[i], 5])
        n_ok[t] = m
        cap_max[t] = cm
    return order, lat_sorted, n_ok, cap_max


@njit(cache=CACHE)
def _sort_step(geo, t, sat_serv, lat, idx):
    """The serving satellites of step ``t`` with valid geometry, sorted by latitude (stable) into ``lat``
    and ``idx``; returns how many."""
    m = 0
    for s in range(geo.shape[1]):
        cap = geo[t, s, 5]
        if sat_serv[s] >= 0 and cap == cap:
            lat[m] = geo[t, s, 3]
            idx[m] = s
            m += 1
    o = np.argsort(lat[:m], kind="mergesort")
    tmp_l = lat[:m].copy()
    tmp_i = idx[:m].copy()
    for i in range(m):
        lat[i] = tmp_l[o[i]]
        idx[i] = tmp_i[o[i]]
    return m


@njit(cache=CACHE, inline="always")
def seek_sorted(a, n, v, strict, i):
    """First index in ``a[:n]`` (sorted) with ``a[i] >= v`` (``strict``: ``a[i] > v``), found by walking
    from the guess ``i``: the previous step's answer, a few places away at most, as the table's latitudes
    move little between steps (a row's first step walks from 0)."""
    i = min(max(i, 0), n)
    while i > 0 and not (a[i - 1] < v or (strict and a[i - 1] == v)):
        i -= 1
    while i < n and (a[i] < v or (strict and a[i] == v)):
        i += 1
    return i


#: Runs of steps :func:`sat_tables` splits a chunk into (each starts with a full sort; enough for 16 threads).
_TABLE_RUNS = 16


@njit(cache=CACHE, parallel=True, nogil=True)
def sat_tables(geo, sat_serv, sat_sin_el, sat_fast):
    """Per step, the serving satellites sorted by geocentric latitude, as contiguous columns (so a row
    reaches the satellites whose cap can reach it by a short search and reads their geometry in order).

    Returns ``tab`` float64 (n_t, 8, n_sat) - rows ``s_h, s_z, r, lat_gc, lon, cap`` (as
    :data:`GEO_FIELDS`), ``sin_el`` (NaN where the satellite may not take the analytic fast path, see
    :func:`fast_ok`) and ``1 / s_h`` - ``order`` int64 (n_t, n_sat) (satellite index of each column),
    ``n_ok`` int64 (n_t,) (valid columns) and ``cap_max`` float64 (n_t,).  Only the first ``n_ok[t]``
    columns of a step are written.  Satellites with NaN geometry or no service are left out.  The steps
    are split into :data:`_TABLE_RUNS` runs done in parallel; each step starts from the previous step's
    order, in which latitudes have barely moved, and finishes it by insertion sort (a full sort at a run's
    first step and where the set changes).  Satellites of equal latitude may come in either order: nothing
    downstream depends on it.
    """
    nt, ns = geo.shape[0], geo.shape[1]
    tab = np.empty((nt, 8, ns))
    order = np.empty((nt, ns), np.int64)
    n_ok = np.zeros(nt, np.int64)
    cap_max = np.zeros(nt)
    # (a fixed count, not numba.get_num_threads(): that call would keep the kernels out of the cache)
    n_seg = max(1, min(nt, _TABLE_RUNS))
    for g in prange(n_seg):
        _sat_tables_run(geo, sat_serv, sat_sin_el, sat_fast, g * nt // n_seg, (g + 1) * nt // n_seg, tab, order,
                        n_ok, cap_max)
    return tab, order, n_ok, cap_max


@njit(cache=CACHE, nogil=True)
def _sat_tables_run(geo, sat_serv, sat_sin_el, sat_fast, t_a, t_b, tab, order, n_ok, cap_max):
    """:func:`sat_tables` for the steps ``t_a .. t_b - 1``."""
    ns = geo.shape[1]
    lat = np.empty(ns)
    idx = np.empty(ns, np.int64)
    valid_prev = -1
    for t in range(t_a, t_b):
        m = 0
        cm = 0.0
        n_valid = 0
        for s in range(ns):
            cap = geo[t, s, 5]
            if sat_serv[s] >= 0 and cap == cap:
                n_valid += 1
        same = t > t_a and n_valid == valid_prev
        if same:
            for i in range(n_valid):
                if not (geo[t, order[t - 1, i], 5] == geo[t, order[t - 1, i], 5]):
                    same = False
                    break
        if same:
            # the same satellites as the previous step: finish its order by insertion sort
            for i in range(n_valid):
                s = order[t - 1, i]
                idx[i] = s
                lat[i] = geo[t, s, 3]
            m = n_valid
            for i in range(1, m):
                v = lat[i]
                si = idx[i]
                w = i
                while w > 0 and lat[w - 1] > v:
                    lat[w] = lat[w - 1]
                    idx[w] = idx[w - 1]
                    w -= 1
                lat[w] = v
                idx[w] = si
        else:
            m = _sort_step(geo, t, sat_serv, lat, idx)
        valid_prev = n_valid
        for i in range(m):
            s = idx[i]
            order[t, i] = s
            for f in range(6):
                tab[t, f, i] = geo[t, s, f]
            tab[t, 6, i] = sat_sin_el[s] if sat_fast[s] else np.nan
            tab[t, 7, i] = 1.0 / geo[t, s, 0]
            if geo[t, s, 5] > cm:
                cm = geo[t, s, 5]
        n_ok[t] = m
        cap_max[t] = cm
