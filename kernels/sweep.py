"""The row sweep: per grid row, the cells each satellite serves at each step, counts, and coverage transitions.

Rows are independent, so a time chunk runs row by row (in parallel over rows).  For each row and step,
the satellites whose cap reaches the row (:mod:`.sattables`) contribute runs of served cells, from the
analytic fast path (:mod:`.fastpath`) where its bound decides and from the exact walk (:mod:`.rowmodel`)
elsewhere.  Counts per cell come from a difference array and a prefix sum.  Consecutive samples' runs
also give, for a cell whose coverage changes, the satellites that rose or set there, whose margins
(:func:`~.visibility.margin`) are interpolated to refine the transition time (see :func:`coverage_rows`).
"""

from __future__ import annotations


import numpy as np
from numba import njit, prange

from . import CACHE

from .fastpath import arcs_full_row, fast_segments
from .reductions import CNT_LAST, CNT_MAX, CNT_MIN, CNT_PREV, CNT_SUM, IEND, T1, add_edge, begin
from .rowmodel import emit_run, row_runs
from .sattables import sat_tables, seek_sorted
from .visibility import crossing_fraction, margin

__all__ = ['coverage_rows']

_BIG = np.int32(2 ** 31 - 1)  # "no sample yet" for a running minimum

@njit(cache=CACHE)
def _grow(runs, nr, need):
    """A bigger copy of the run buffer (first ``nr`` rows kept) holding at least ``need`` runs."""
    bigger = np.empty((2 * runs.shape[0] + need, 3), np.int64)
    bigger[:nr] = runs[:nr]
    return bigger


@njit(cache=CACHE)
def _collect_in(k_s, k_lo, k_len, n_arcs, k, n, stamp, mark, sat_list, m):
    """Satellites of the runs ``(k_s[q], k_lo[q], k_len[q])``, ``q < n_arcs``, whose run contains cell
    offset ``k`` (modulo ``n``; empty runs allowed): marked ``stamp`` in ``mark`` and listed in
    ``sat_list`` from position ``m``; returns the new length of the list."""
    for q in range(n_arcs):
        off = k - k_lo[q]
        if off < 0:
            off += n
        if off < k_len[q]:
            s = k_s[q]
            mark[s] = stamp
            sat_list[m] = s
            m += 1
    return m


@njit(cache=CACHE)
def _walk(r, t, s, pos, geo, cell_p, cell_u, row_start, row_count, row_full, row_lon0, row_dlon, row_rho, row_z,
          row_cphi, row_sphi, row_phigc, sat_sin_el, sat_use_cone, sat_cos_half, sat_contig, runs, nr, spare):
    """Append satellite ``s``'s runs in row ``r`` at step ``t`` by the exact walk of :func:`row_runs`,
    growing ``runs`` (by ``spare`` more) when full; returns ``(runs, n_runs)``."""
    while True:
        nr2 = row_runs(r, t, s, pos, geo, cell_p, cell_u, row_start, row_count, row_full, row_lon0, row_dlon,
                       row_rho, row_z, row_cphi, row_sphi, row_phigc, sat_sin_el[s], sat_use_cone[s],
                       sat_cos_half[s], sat_contig[s], runs, nr)
        if nr2 <= runs.shape[0]:
            return runs, nr2
        runs = _grow(runs, nr, nr2 + spare)


@njit(cache=CACHE, inline="always")
def _add_run(diff, j, a, length, n):
    """+1 on the cells ``a .. a + length - 1`` (modulo ``n``) of ``diff[j]``'s prefix sum."""
    end = a + length
    wrap = end > n
    diff[j, a] += 1
    diff[j, end - n if wrap else end] -= 1
    diff[j, 0] += 1 if wrap else 0


@njit(cache=CACHE, nogil=True, error_model="numpy")
def _row_chunk(r, pos, tab, order, n_ok, cap_max, n_lead, i0, t_ticks, cell_p, cell_u, row_start,
               row_count, row_full, row_lon0, row_dlon, row_rho, row_z, row_cphi, row_sphi, row_phigc, row_fast,
               row_em_a, row_em_b, sat_serv, sat_sin_el, sat_use_cone, sat_cos_half, sat_contig, sat_fast,
               use_fast, serv_min_sats, with_any, refine, geo, st2, n_cells, row_cov, siv, resume):
    """One row of :func:`coverage_rows` over the chunk (its cells are this call's alone)."""
    n_t1, ns = pos.shape[0], pos.shape[1]
    n_serv = serv_min_sats.shape[0]
    n_out = n_serv + (1 if with_any else 0)
    first_new = n_lead
    write_siv = siv.shape[0] > 0
    one = n_serv == 1 and not with_any
    ms0 = np.int32(min(serv_min_sats[0], 2 ** 31 - 1))
    n = row_count[r]
    c0 = row_start[r]
    phi = row_phigc[r]
    fast_row = use_fast and row_fast[r]
    vec_row = fast_row and row_full[r] and n > 1 and row_cphi[r] > 0.0
    inv_cphi_r = 1.0 / row_cphi[r] if vec_row else 0.0
    rho_r, z_r, cphi_r, sphi_r = row_rho[r], row_z[r], row_cphi[r], row_sphi[r]
    lon0_r, dlon_r, full_r, em_a_r, em_b_r = row_lon0[r], row_dlon[r], row_full[r], row_em_a[r], row_em_b[r]
    runs_a = np.empty((2 * ns + 8, 3), np.int64)
    runs_b = np.empty((2 * ns + 8, 3), np.int64)
    n_prev = 0
    code = np.empty(ns, np.int64)
    # arcs of the fast path (:func:`arcs_full_row`) at the previous step (index p_arc) and this one
    arc_s = np.zeros((2, ns), np.int64)
    arc_lo = np.zeros((2, ns), np.int64)
    arc_len = np.zeros((2, ns), np.int64)
    p_arc = 0
    n_arc_prev = 0
    # per-cell arrays of this row: counts in int32 (twice the SIMD width), sums in int64
    diff = np.zeros((n_serv, n + 1), np.int32)
    cur = np.zeros((n_out, n), np.int32)   # satellites serving each cell at this sample, per output
    prv = np.zeros((n_out, n), np.int32)   # ... at the previous sample
    cov_cur = np.zeros((n_out, n), np.int32)
    cov_prev = np.zeros((n_out, n), np.int32)
    loc_sum = np.zeros((n_out, n), np.int64)
    loc_min = np.zeros((n_out, n), np.int32)
    loc_max = np.zeros((n_out, n), np.int32)
    sim = np.zeros(n_serv, np.int64)
    flip_k = np.empty(n + 1, np.int64)
    flip_seen = np.full(n, -1, np.int64)
    ev_f = np.empty(ns + 1)
    ev_s = np.empty(ns + 1, np.int64)
    ev_j = np.empty(ns + 1, np.int64)
    ev_d = np.empty(ns + 1, np.int64)
    mark_p = np.full(ns, -1, np.int64)
    mark_c = np.full(ns, -1, np.int64)
    list_p = np.empty(ns, np.int64)
    list_c = np.empty(ns, np.int64)
    stamp = 0
    rcov = np.zeros(n_out, np.int64)
    t_start = max(first_new - 1, 0)
    lo = 0
    hi = 0
    for t in range(t_start, n_t1):
        # -- the runs of this row at step t: satellites whose cap reaches the row (bounds walked from the last step) --
        n_cur = 0
        m_ok = n_ok[t]
        cm = cap_max[t]
        lo = seek_sorted(tab[t, 3], m_ok, phi - cm, False, lo)
        hi = seek_sorted(tab[t, 3], m_ok, phi + cm, True, hi)
        cb = 1 - p_arc
        n_arc = 0
        if vec_row:
            # arcs decided by the bound stay in arc_*[cb] as they are; the undecided ones walk into runs_b
            n_arc = hi - lo
            n_walk = arcs_full_row(tab, order, t, lo, hi, phi, rho_r, z_r, cphi_r, sphi_r, inv_cphi_r, lon0_r,
                                    dlon_r, n, em_a_r, em_b_r, code, arc_s[cb], arc_lo[cb], arc_len[cb])
            if n_walk > 0:
                for q in range(n_arc):
                    if code[q] == 2:
                        runs_b, n_cur = _walk(r, t, order[t, lo + q], pos, geo, cell_p, cell_u, row_start,
                                              row_count, row_full, row_lon0, row_dlon, row_rho, row_z, row_cphi,
                                              row_sphi, row_phigc, sat_sin_el, sat_use_cone, sat_cos_half,
                                              sat_contig, runs_b, n_cur, 2 * n_walk)
        elif n_cur + 2 * (hi - lo) > runs_b.shape[0]:
            runs_b = _grow(runs_b, n_cur, 2 * (hi - lo))
        for iq in range(lo, lo if vec_row else hi):
            # other rows (partial, near-polar, off-model) and requirements: one satellite at a time
            s = order[t, iq]
            if not (abs(phi - tab[t, 3, iq]) <= tab[t, 5, iq]):
                continue
            if fast_row and sat_fast[s]:
                cd, a0, l0, a1, l1 = fast_segments(tab[t, 0, iq], tab[t, 1, iq], tab[t, 2, iq], tab[t, 4, iq],
                                                    rho_r, z_r, cphi_r, sphi_r, lon0_r, dlon_r, n, full_r,
                                                    sat_sin_el[s], em_a_r, em_b_r)
                if cd == 0:
                    continue
                if cd == 1:
                    if n_cur + 2 > runs_b.shape[0]:
                        runs_b = _grow(runs_b, n_cur, n_cur + 2)
                    if l0 > 0:
                        n_cur = emit_run(runs_b, n_cur, s, a0, l0)
                    if l1 > 0:
                        n_cur = emit_run(runs_b, n_cur, s, a1, l1)
                    continue
            runs_b, n_cur = _walk(r, t, s, pos, geo, cell_p, cell_u, row_start, row_count, row_full, row_lon0,
                                  row_dlon, row_rho, row_z, row_cphi, row_sphi, row_phigc, sat_sin_el,
                                  sat_use_cone, sat_cos_half, sat_contig, runs_b, n_cur, 2 * (hi - iq))
        # -- satellites in view per cell and service: difference array, prefix sum --
        if n_arc > 0:
            a_lo = arc_lo[cb]
            a_len = arc_len[cb]
            if n_serv == 1:
                d_0 = diff[0]
                for q in range(n_arc):
                    # _add_run on service 0 (an empty run adds and takes one at offset 0)
                    a = a_lo[q]
                    end = a + a_len[q]
                    wrap = end > n
                    d_0[a] += 1
                    d_0[end - n if wrap else end] -= 1
                    d_0[0] += 1 if wrap else 0
            else:
                a_s = arc_s[cb]
                for q in range(n_arc):
                    _add_run(diff, sat_serv[a_s[q]], a_lo[q], a_len[q], n)
        for q in range(n_cur):
            _add_run(diff, sat_serv[runs_b[q, 0]], runs_b[q, 1], runs_b[q, 2], n)
        if one and t >= first_new and i0 + (t - first_new) != 0:
            # one service, an ordinary sample: prefix sum (a serial chain), then the count statistics
            # and the coverage flips in a loop that vectorises, then the (few) flipped cells listed
            tt = t - first_new
            d_0 = diff[0]
            cur_0 = cur[0]
            cc_0 = cov_cur[0]
            cp_0 = cov_prev[0]
            ls_0 = loc_sum[0]
            lmin_0 = loc_min[0]
            lmax_0 = loc_max[0]
            acc = 0
            for k in range(n):
                acc += d_0[k]
                cur_0[k] = acc
            d_0[:] = 0  # one pass after the chain (stores inside it made it 1.7x slower)
            n_flip = 0
            for k in range(n):
                v = cur_0[k]
                cv = np.int32(1) if v >= ms0 else np.int32(0)
                n_flip += cv ^ cp_0[k]
                cc_0[k] = cv
                ls_0[k] += v
                lmin_0[k] = min(lmin_0[k], v)
                lmax_0[k] = max(lmax_0[k], v)
            if n_flip > 0:
                n_flip = 0
                for k in range(n):
                    if cc_0[k] != cp_0[k]:
                        flip_k[n_flip] = k
                        n_flip += 1
            if write_siv:
                for k in range(n):
                    siv[0, tt, c0 + k] = cur[0, k]
            if n_flip > 0:
                stamp = _flips(r, t, n, c0, n_cells, n_serv, n_out, pos, cell_p, cell_u, sat_serv,
                               sat_sin_el, sat_use_cone, sat_cos_half, serv_min_sats, refine, t_ticks,
                               runs_a, n_prev, runs_b, n_cur, arc_s, arc_lo, arc_len, p_arc, n_arc_prev, n_arc,
                               prv, cur, cov_cur, cov_prev, rcov, st2, sim,
                               ev_f, ev_s, ev_j, ev_d, mark_p, mark_c, list_p, list_c, stamp, flip_k, n_flip)
            row_cov[0, r, tt] = rcov[0]
            runs_a, runs_b = runs_b, runs_a
            n_prev = n_cur
            p_arc = cb
            n_arc_prev = n_arc
            cur, prv = prv, cur
            continue
        for j in range(n_serv):
            acc = 0
            mj = serv_min_sats[j]
            for k in range(n):
                acc += diff[j, k]
                cur[j, k] = acc
                cov_cur[j, k] = 1 if acc >= mj else 0
            diff[j, :] = 0
        if with_any:
            for k in range(n):
                cur[n_serv, k] = 0
                cov_cur[n_serv, k] = 0
            for j in range(n_serv):
                for k in range(n):
                    cur[n_serv, k] += cur[j, k]
                    cov_cur[n_serv, k] |= cov_cur[j, k]
        if t < first_new:
            # the previous chunk's last sample: this chunk's timelines open there (reductions.begin), or,
            # resuming, the state's timelines go on from it with their count statistics
            for o in range(n_out):
                for k in range(n):
                    oc = o * n_cells + c0 + k
                    if resume:
                        loc_sum[o, k] = st2[oc, CNT_SUM]
                        loc_min[o, k] = st2[oc, CNT_MIN]
                        loc_max[o, k] = st2[oc, CNT_MAX]
                    else:
                        begin(st2, oc, t_ticks[t], cov_cur[o, k], i0)
                        loc_sum[o, k] = 0
                        loc_min[o, k] = _BIG
                        loc_max[o, k] = -1
                    cov_prev[o, k] = cov_cur[o, k]
                    rcov[o] += cov_cur[o, k]
        else:
            tt = t - first_new
            i = i0 + tt
            if write_siv:
                for o in range(n_out):
                    for k in range(n):
                        siv[o, tt, c0 + k] = cur[o, k]
            if i == 0:
                for o in range(n_out):
                    for k in range(n):
                        begin(st2, o * n_cells + c0 + k, t_ticks[t], cov_cur[o, k], 0)
                        cov_prev[o, k] = cov_cur[o, k]
                        rcov[o] += cov_cur[o, k]
                        loc_sum[o, k] = cur[o, k]
                        loc_min[o, k] = cur[o, k]
                        loc_max[o, k] = cur[o, k]
            else:
                # count statistics of every cell (vectorised); coverage flips counted on the way
                n_flip = 0
                for o in range(n_out):
                    for k in range(n):
                        v = cur[o, k]
                        loc_sum[o, k] += v
                        loc_min[o, k] = min(loc_min[o, k], v)
                        loc_max[o, k] = max(loc_max[o, k], v)
                        f_o = cov_cur[o, k] ^ cov_prev[o, k]
                        if f_o and flip_seen[k] != t:
                            flip_seen[k] = t
                            flip_k[n_flip] = k
                            n_flip += 1
                if n_flip > 0:
                    stamp = _flips(r, t, n, c0, n_cells, n_serv, n_out, pos, cell_p, cell_u, sat_serv,
                                   sat_sin_el, sat_use_cone, sat_cos_half, serv_min_sats, refine, t_ticks,
                                   runs_a, n_prev, runs_b, n_cur, arc_s, arc_lo, arc_len, p_arc, n_arc_prev,
                                   n_arc, prv, cur, cov_cur, cov_prev, rcov, st2, sim,
                                   ev_f, ev_s, ev_j, ev_d, mark_p, mark_c, list_p, list_c, stamp, flip_k,
                                   n_flip)
            for o in range(n_out):
                row_cov[o, r, tt] = rcov[o]
        runs_a, runs_b = runs_b, runs_a
        n_prev = n_cur
        p_arc = cb
        n_arc_prev = n_arc
        cur, prv = prv, cur
    # counts into the state: sum over the chunk's samples, the last count, minimum and maximum
    i_end = i0 + (n_t1 - first_new)
    for o in range(n_out):
        for k in range(n):
            oc = o * n_cells + c0 + k
            st2[oc, CNT_SUM] = loc_sum[o, k]
            st2[oc, CNT_PREV] = prv[o, k]
            st2[oc, CNT_LAST] = i_end
            st2[oc, CNT_MIN] = loc_min[o, k]
            st2[oc, CNT_MAX] = loc_max[o, k]
            st2[oc, T1] = t_ticks[n_t1 - 1]
            st2[oc, IEND] = i_end


@njit(cache=CACHE, error_model="numpy")
def _flips(r, t, n, c0, n_cells, n_serv, n_out, pos, cell_p, cell_u, sat_serv, sat_sin_el, sat_use_cone,
           sat_cos_half, serv_min_sats, refine, t_ticks, runs_a, n_prev, runs_b, n_cur, arc_s, arc_lo, arc_len,
           p_arc, n_arc_prev, n_arc_cur, prv, cur, cov_cur, cov_prev, rcov, st2, sim, ev_f, ev_s, ev_j, ev_d,
           mark_p, mark_c, list_p, list_c, stamp, flip_k, n_flip):
    """Record the coverage transitions of row ``r`` between samples ``t-1`` and ``t`` at the cells
    ``flip_k[:n_flip]`` (where some output's ``cov_cur`` differs from ``cov_prev``), refined as
    :func:`coverage_rows` describes.  The runs of sample ``t-1`` are ``runs_a[:n_prev]`` and the arcs
    ``arc_*[p_arc, :n_arc_prev]``; those of sample ``t`` are ``runs_b[:n_cur]`` and ``arc_*[1 - p_arc,
    :n_arc_cur]``.  Returns the updated marker stamp."""
    t_prev = t_ticks[t - 1]
    t_cur = t_ticks[t]
    for q_f in range(n_flip):
        k = flip_k[q_f]
        c = c0 + k
        ne = 0
        if refine:
            stamp += 1
            n_p = 0
            n_c = 0
            for j in range(n_serv):
                n_p += prv[j, k]
                n_c += cur[j, k]
            # (no satellite served the cell at a sample: nothing to look for in that sample's runs)
            mp = 0
            mc = 0
            if n_p > 0:
                mp = _collect_in(runs_a[:, 0], runs_a[:, 1], runs_a[:, 2], n_prev, k, n, stamp, mark_p, list_p, 0)
                mp = _collect_in(arc_s[p_arc], arc_lo[p_arc], arc_len[p_arc], n_arc_prev, k, n, stamp, mark_p,
                                 list_p, mp)
            if n_c > 0:
                mc = _collect_in(runs_b[:, 0], runs_b[:, 1], runs_b[:, 2], n_cur, k, n, stamp, mark_c, list_c, 0)
                mc = _collect_in(arc_s[1 - p_arc], arc_lo[1 - p_arc], arc_len[1 - p_arc], n_arc_cur, k, n, stamp,
                                 mark_c, list_c, mc)
            # satellites that rose (in cur only) or set (in prev only), each one event
            for side in range(2):
                inc = side == 0
                cnt_side = mc if inc else mp
                for q in range(cnt_side):
                    s = list_c[q] if inc else list_p[q]
                    if (mark_p[s] if inc else mark_c[s]) == stamp:
                        continue
                    m0 = margin(pos[t - 1, s, 0], pos[t - 1, s, 1], pos[t - 1, s, 2], cell_p[c, 0],
                                cell_p[c, 1], cell_p[c, 2], cell_u[c, 0], cell_u[c, 1],
                                cell_u[c, 2], sat_sin_el[s], sat_use_cone[s], sat_cos_half[s])
                    m1 = margin(pos[t, s, 0], pos[t, s, 1], pos[t, s, 2], cell_p[c, 0],
                                cell_p[c, 1], cell_p[c, 2], cell_u[c, 0], cell_u[c, 1],
                                cell_u[c, 2], sat_sin_el[s], sat_use_cone[s], sat_cos_half[s])
                    m2 = np.nan
                    if t >= 2:
                        m2 = margin(pos[t - 2, s, 0], pos[t - 2, s, 1], pos[t - 2, s, 2],
                                    cell_p[c, 0], cell_p[c, 1], cell_p[c, 2], cell_u[c, 0],
                                    cell_u[c, 1], cell_u[c, 2], sat_sin_el[s], sat_use_cone[s],
                                    sat_cos_half[s])
                    f = crossing_fraction(m2, m0, m1, inc)
                    # insertion in time order, ties in satellite order
                    w = ne
                    while w > 0 and (ev_f[w - 1] > f or (ev_f[w - 1] == f and ev_s[w - 1] > s)):
                        ev_f[w] = ev_f[w - 1]
                        ev_s[w] = ev_s[w - 1]
                        ev_j[w] = ev_j[w - 1]
                        ev_d[w] = ev_d[w - 1]
                        w -= 1
                    ev_f[w] = f
                    ev_s[w] = s
                    ev_j[w] = sat_serv[s]
                    ev_d[w] = 1 if inc else -1
                    ne += 1
        for o in range(n_out):
            now = cov_cur[o, k]
            if now == cov_prev[o, k]:
                continue
            e = -1
            if refine and ne > 0:
                for j in range(n_serv):
                    sim[j] = prv[j, k]  # the previous sample's counts
                cov = cov_prev[o, k]
                fs = -1.0
                for w in range(ne):
                    sim[ev_j[w]] += ev_d[w]
                    if o < n_serv:
                        nv = 1 if sim[o] >= serv_min_sats[o] else 0
                    else:
                        nv = 0
                        for j in range(n_serv):
                            if sim[j] >= serv_min_sats[j]:
                                nv = 1
                    if nv != cov:
                        cov = nv
                        fs = ev_f[w]
                if fs >= 0.0:
                    e = t_prev + int(round(fs * (t_cur - t_prev)))
            if e < 0:
                e = t_cur if now == 1 else t_prev
            add_edge(st2, o * n_cells + c, e)
            cov_prev[o, k] = now
            rcov[o] += 1 if now == 1 else -1
    return stamp


@njit(cache=CACHE, parallel=True, nogil=True)
def coverage_rows(pos, geo, n_lead, i0, t_ticks, cell_p, cell_u, row_start, row_count, row_full, row_lon0,
                  row_dlon, row_rho, row_z, row_cphi, row_sphi, row_phigc, row_fast, row_em_a, row_em_b,
                  sat_serv, sat_sin_el, sat_use_cone, sat_cos_half, sat_contig, sat_fast, use_fast,
                  serv_min_sats, with_any, refine, state, row_cov, siv, resume=False):
    """One time chunk's partial reduction state, parallel over grid rows.

    Parameters
    ----------
    pos : float64 (n_t1, n_sat, 3)
        ITRS km positions; the first ``n_lead`` (0 to 2) steps are the samples just before the chunk
        (``n_lead`` is 0 only for the chunk that starts the window).
    geo : float64 (n_t1, n_sat, 6) from :func:`sat_geometry`
    i0 : int
        Global index of this chunk's first new sample.
    t_ticks : int64 (n_t1,)
        Microsecond ticks from the window start of the steps of ``pos``.
    cell_p ... row_em_b : arrays from :func:`row_geometry`
    sat_serv : int64 (n_sat,)
        Service index of each satellite (-1: serves nothing).
    sat_sin_el, sat_use_cone, sat_cos_half, sat_contig : per-satellite requirement
    sat_fast : bool (n_sat,) from :func:`fast_ok`; use_fast : bool
        Where both (and the row's ``row_fast``) allow it, arc ends come from the analytic bound of
        :func:`_arc_fast` (identical cells; ``use_fast=False`` walks every end with the exact test).
    serv_min_sats : int64 (n_serv,)
    with_any : bool
        Add an output "any" (covered when any service covers; count = sum of service counts).
    refine : bool
        Interpolate transition times between samples from the margins of the satellites that rose or set.
    state : int64 (n_out, n_cells, N_FIELDS)
        Output: the chunk's reduction state (:mod:`.reductions`), overwritten.  With a lead, each cell's
        timeline opens at the last lead sample (:func:`.reductions.begin`), so the state meets the
        previous chunk's in :func:`.reductions.combine`; without one it opens at sample 0.
    row_cov : int32 (n_out, n_rows, n_new)
        Output: covered cells per row at each new sample.
    siv : int16 (n_out, n_new, n_cells) or (0, 0, 0)
        Output when non-empty: satellites in view per cell at each new sample.
    resume : bool
        ``state`` already holds the timelines up to the last lead sample (a previous call on the steps
        just before, which must be that sample's own chunk): they go on from there instead of opening,
        exactly as if both calls had been one.  Needs ``n_lead >= 1``.  A long chunk done as several
        shorter calls keeps each call's satellite table (:func:`sat_tables`, 72 B per satellite-step,
        read again for every row) small enough to stay in cache.

    Each row keeps its cells' counts of the previous sample in a compact array; only cells whose
    coverage changed touch the state's timeline.  Transition time (``refine``): each satellite that rose
    or set at the cell between the two samples contributes one event at ``t_prev + f (t - t_prev)``,
    ``f`` the zero of its service margin (:func:`margin`) interpolated through the samples ``t-2, t-1,
    t`` (:func:`crossing_fraction`); events are replayed in time order (ties in satellite order) from the
    previous counts and the transition is placed at the last event that switched the output's coverage.
    (For one required satellite this is the first rise or the last set; with N > 1 each satellite's
    crossing is interpolated independently, which is the approximation.)
    """
    if resume and n_lead < 1:
        raise ValueError("coverage_rows: resume needs the lead sample (n_lead >= 1)")
    n_rows = row_start.shape[0]
    n_cells = state.shape[1]
    st2 = state.reshape((state.shape[0] * n_cells, state.shape[2]))  # one flat view: no per-cell slicing
    tab, order, n_ok, cap_max = sat_tables(geo, sat_serv, sat_sin_el, sat_fast)
    for r in prange(n_rows):
        _row_chunk(np.int64(r), pos, tab, order, n_ok, cap_max, n_lead, i0, t_ticks, cell_p, cell_u, row_start,
                   row_count, row_full, row_lon0, row_dlon, row_rho, row_z, row_cphi, row_sphi, row_phigc,
                   row_fast, row_em_a, row_em_b, sat_serv, sat_sin_el, sat_use_cone, sat_cos_half, sat_contig,
                   sat_fast, use_fast, serv_min_sats, with_any, refine, geo, st2, n_cells, row_cov, siv, resume)
