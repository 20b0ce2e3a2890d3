"""Satellite tables: per step, the serving satellites sorted by geocentric latitude.

A grid row can only be served by satellites whose cap (:func:`~.visibility.sat_geometry`) reaches its
latitude, so per step the satellites are sorted by latitude once and each row visits only those within
the largest cap of its latitude (:func:`seek_sorted` walks to the bounds from the previous step's).
:func:`sat_tables` gives the contiguous column table the coverage sweep reads; :func:`sat_table` the plain
per-step order the DOP kernels use.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import CACHE
from .parallel import run_ranges
from .visibility import GEO_CAP, GEO_FIELDS, GEO_LAT, GEO_SH, N_GEO, SAT_FAST, SAT_SERV, SAT_SIN_EL

__all__ = ["sat_table", "sat_tables", "seek_sorted", "TAB_FIELDS", "N_TAB"]

#: Rows of the table :func:`sat_tables` returns for each step (one column per satellite, in latitude
#: order): the geometry of :data:`constellation.kernels.visibility.GEO_FIELDS`, then the sine of the
#: satellite's elevation mask where its arc ends may come from the analytic fast path (NaN where not,
#: see :func:`constellation.kernels.fastpath.fast_ok`) and ``1 / s_h``.
TAB_FIELDS = GEO_FIELDS + ("sin_el_fast", "inv_s_h_km")
TAB_SH, TAB_SZ, TAB_R, TAB_LAT, TAB_LON, TAB_CAP, TAB_SIN_EL, TAB_INV_SH = range(8)
N_TAB = len(TAB_FIELDS)
#: Runs of steps :func:`sat_tables` splits a chunk into (each starts with a full sort).
_TABLE_RUNS = 16


def sat_table(geo: np.ndarray, sats_i: np.ndarray, *, parallel: bool = True):
    """Per step, the serving satellites sorted by geocentric latitude (stable: ties in satellite order), so
    a row finds the satellites whose cap can reach it by a search in latitude.

    ``geo`` from :func:`constellation.kernels.visibility.sat_geometry`; ``sats_i`` the integer satellite
    table (only its service column is read).  Returns ``order`` int64 (n_t, n_sat) (satellite indices, the
    first ``n_ok[t]`` valid), ``lat_sorted`` float64 (n_t, n_sat) (their latitudes, rad), ``n_ok`` int64
    (n_t,) and ``cap_max`` float64 (n_t,) (largest cap angle of the step, rad).  Satellites with NaN
    geometry or no service are left out.
    """
    nt, ns = geo.shape[0], geo.shape[1]
    order = np.zeros((nt, ns), np.int64)
    lat_sorted = np.zeros((nt, ns))
    n_ok = np.zeros(nt, np.int64)
    cap_max = np.zeros(nt)
    run_ranges(sat_table_steps, nt, geo, sats_i, order, lat_sorted, n_ok, cap_max, parallel=parallel)
    return order, lat_sorted, n_ok, cap_max


@njit(cache=CACHE, nogil=True)
def sat_table_steps(t0, t1, geo, sats_i, order, lat_sorted, n_ok, cap_max):
    """Steps ``t0 .. t1 - 1`` of :func:`sat_table`."""
    ns = geo.shape[1]
    lat = np.empty(ns)
    idx = np.empty(ns, np.int64)
    for t in range(t0, t1):
        m = _sort_step(geo, t, sats_i, lat, idx)
        cm = 0.0
        for i in range(m):
            order[t, i] = idx[i]
            lat_sorted[t, i] = lat[i]
            cm = max(cm, geo[t, idx[i], GEO_CAP])
        n_ok[t] = m
        cap_max[t] = cm


@njit(cache=CACHE)
def _sort_step(geo, t, sats_i, lat, idx):
    """The serving satellites of step ``t`` with valid geometry, sorted by latitude (stable) into ``lat``
    and ``idx``; returns how many."""
    m = 0
    for s in range(geo.shape[1]):
        cap = geo[t, s, GEO_CAP]
        if sats_i[s, SAT_SERV] >= 0 and cap == cap:
            lat[m] = geo[t, s, GEO_LAT]
            idx[m] = s
            m += 1
    _merge_sort(lat, idx, m)
    return m


@njit(cache=CACHE, inline="always")
def _merge_sort(key, idx, m):
    """Sort ``key[:m]`` ascending in place, carrying ``idx[:m]`` along; stable (equal keys keep their order,
    as NumPy's ``kind="stable"``).  Bottom-up merge sort: runs of 1, 2, 4, ... merged between ``key`` and a
    scratch copy, ``O(m log m)``."""
    a_k, a_i = key, idx
    b_k = np.empty(m)
    b_i = np.empty(m, np.int64)
    in_key = True
    width = 1
    while width < m:
        src_k, src_i = (a_k, a_i) if in_key else (b_k, b_i)
        dst_k, dst_i = (b_k, b_i) if in_key else (a_k, a_i)
        for lo in range(0, m, 2 * width):
            mid = min(lo + width, m)
            hi = min(lo + 2 * width, m)
            i = lo
            j = mid
            for k in range(lo, hi):
                if j >= hi or (i < mid and not (src_k[j] < src_k[i])):
                    dst_k[k] = src_k[i]
                    dst_i[k] = src_i[i]
                    i += 1
                else:
                    dst_k[k] = src_k[j]
                    dst_i[k] = src_i[j]
                    j += 1
        in_key = not in_key
        width *= 2
    if not in_key:
        for k in range(m):
            a_k[k] = b_k[k]
            a_i[k] = b_i[k]


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


def sat_tables(geo: np.ndarray, sats_f: np.ndarray, sats_i: np.ndarray, *, parallel: bool = True):
    """Per step, the serving satellites sorted by geocentric latitude, as contiguous columns (so a row
    reaches the satellites whose cap can reach it by a short search and reads their geometry in order).

    ``geo`` from :func:`constellation.kernels.visibility.sat_geometry`; ``sats_f``, ``sats_i`` the
    satellite tables.  Returns ``tab`` float64 (n_t, :data:`N_TAB`, n_sat) with rows :data:`TAB_FIELDS`,
    ``order`` int64 (n_t, n_sat) (satellite index of each column), ``n_ok`` int64 (n_t,) (valid columns)
    and ``cap_max`` float64 (n_t,).  Only the first ``n_ok[t]`` columns of a step are written.  Satellites
    with NaN geometry or no service are left out.  The steps are split into :data:`_TABLE_RUNS` runs done
    in parallel; each step starts from the previous step's order, in which latitudes have barely moved,
    and finishes it by insertion sort (a full sort at a run's first step and where the set changes).
    Satellites of equal latitude may come in either order: nothing downstream depends on it.
    """
    nt, ns = geo.shape[0], geo.shape[1]
    tab = np.empty((nt, N_TAB, ns))
    order = np.empty((nt, ns), np.int64)
    n_ok = np.zeros(nt, np.int64)
    cap_max = np.zeros(nt)
    n_seg = max(1, min(nt, _TABLE_RUNS))
    run_ranges(sat_table_runs, n_seg, geo, sats_f, sats_i, tab, order, n_ok, cap_max, np.int64(n_seg),
               parallel=parallel)
    return tab, order, n_ok, cap_max


@njit(cache=CACHE, nogil=True)
def sat_table_runs(g0, g1, geo, sats_f, sats_i, tab, order, n_ok, cap_max, n_seg):
    """Runs ``g0 .. g1 - 1`` of :func:`sat_tables` (run ``g``: steps ``g nt / n_seg`` up to the next)."""
    nt = geo.shape[0]
    for g in range(g0, g1):
        _sat_tables_run(geo, sats_f, sats_i, g * nt // n_seg, (g + 1) * nt // n_seg, tab, order, n_ok, cap_max)


@njit(cache=CACHE, inline="always")
def _sat_tables_run(geo, sats_f, sats_i, t_a, t_b, tab, order, n_ok, cap_max):
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
            cap = geo[t, s, GEO_CAP]
            if sats_i[s, SAT_SERV] >= 0 and cap == cap:
                n_valid += 1
        same = t > t_a and n_valid == valid_prev
        if same:
            for i in range(n_valid):
                if not (geo[t, order[t - 1, i], GEO_CAP] == geo[t, order[t - 1, i], GEO_CAP]):
                    same = False
                    break
        if same:
            # the same satellites as the previous step: finish its order by insertion sort
            for i in range(n_valid):
                s = order[t - 1, i]
                idx[i] = s
                lat[i] = geo[t, s, GEO_LAT]
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
            m = _sort_step(geo, t, sats_i, lat, idx)
        valid_prev = n_valid
        for i in range(m):
            s = idx[i]
            order[t, i] = s
            for f in range(N_GEO):
                tab[t, f, i] = geo[t, s, f]
            tab[t, TAB_SIN_EL, i] = sats_f[s, SAT_SIN_EL] if sats_i[s, SAT_FAST] != 0 else np.nan
            tab[t, TAB_INV_SH, i] = 1.0 / geo[t, s, GEO_SH]
            if geo[t, s, GEO_CAP] > cm:
                cm = geo[t, s, GEO_CAP]
        n_ok[t] = m
        cap_max[t] = cm
