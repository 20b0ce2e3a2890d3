"""The row sweep: per grid row, the cells each satellite serves at each step, counts, and coverage transitions.

Rows are independent, so a time chunk runs row by row (:func:`coverage_rows`, rows shared among threads).
For each row and step, the satellites whose cap reaches the row (:mod:`.sattables`) contribute runs of
served cells (:func:`_collect_runs`): from the analytic fast path (:mod:`.fastpath`) where its bound
decides, from the exact walk (:mod:`.rowmodel`) elsewhere.  Counts per cell and service come from a
difference array and a prefix sum.  Consecutive samples' runs also give, for a cell whose coverage
changes, the satellites that rose or set there, whose margins (:func:`~.visibility.margin`) are
interpolated to refine the transition time (:func:`_transitions`).

The sweep never writes the reduction state itself: it hands each cell's timeline to the reductions of
:mod:`.reductions` (``begin``, ``add_edge``, ``absorb_counts``), which own its layout.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from . import CACHE
from .fastpath import arcs_full_row, fast_ok, fast_segments
from .parallel import run_ranges
from .reductions import absorb_counts, add_day_edge, add_edge, begin, count_stats, set_day
from .rowmodel import (
    ROW_COUNT,
    ROW_CPHI,
    ROW_DLON,
    ROW_FAST,
    ROW_FULL,
    ROW_LON0,
    ROW_PHIGC,
    ROW_SPHI,
    ROW_START,
    contiguous_ok,
    emit_run,
    grow_runs,
    walk_row,
)
from .sattables import TAB_CAP, TAB_LAT, sat_tables, seek_sorted
from .visibility import (
    SAT_CONE,
    SAT_CONTIG,
    SAT_COS_HALF,
    SAT_F_FIELDS,
    SAT_FAST,
    SAT_I_FIELDS,
    SAT_SERV,
    SAT_SIN_EL,
    chord_bend,
    crossing_fraction_bent,
    sun_crossing_fraction,
)

__all__ = ["coverage_rows", "sweep_rows", "satellite_tables", "OPT_FIELDS"]

#: The run options :func:`coverage_rows` takes as one int64 array: how many lead samples (0 to 2) precede
#: the chunk's first new sample, the global index of that sample, whether arc ends may come from the
#: analytic fast path, whether an output "any" (covered when any service covers) follows the services,
#: whether transition times are refined between samples, whether ``state`` already holds the timelines
#: up to the last lead sample.
OPT_FIELDS = ("n_lead", "i0", "fast", "any", "refine", "resume")
OPT_N_LEAD, OPT_I0, OPT_FAST, OPT_ANY, OPT_REFINE, OPT_RESUME = range(6)
_BIG = np.int32(2 ** 31 - 1)  # "no sample yet" for a running minimum


def satellite_tables(service: np.ndarray, sin_el: np.ndarray, use_cone: np.ndarray,
                     cos_half: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The satellite tables ``(sats_f, sats_i)`` (columns of :mod:`.visibility`: ``SAT_*``) for satellites
    with service index ``service`` (int, -1: serves nothing), elevation mask sine ``sin_el``, whether a
    nadir cone applies (False/0, True/1 about the geocentric nadir, 2 about the geodetic nadir:
    :data:`~.visibility.CONE_GEODETIC`) and its half-angle's cosine; the arc and fast-path flags are derived
    here (:func:`~.rowmodel.contiguous_ok`, :func:`~.fastpath.fast_ok`)."""
    n = np.shape(service)[0]
    sin_el = np.broadcast_to(np.asarray(sin_el, np.float64), (n,))
    use_cone = np.broadcast_to(np.asarray(use_cone).astype(np.int64), (n,))
    sats_f = np.empty((n, len(SAT_F_FIELDS)))
    sats_f[:, SAT_SIN_EL] = sin_el
    sats_f[:, SAT_COS_HALF] = np.broadcast_to(np.asarray(cos_half, np.float64), (n,))
    sats_i = np.empty((n, len(SAT_I_FIELDS)), np.int64)
    sats_i[:, SAT_SERV] = service
    sats_i[:, SAT_CONE] = use_cone
    sats_i[:, SAT_CONTIG] = contiguous_ok(sin_el, use_cone)
    sats_i[:, SAT_FAST] = fast_ok(sin_el, use_cone)
    return sats_f, sats_i


def coverage_rows(pos: np.ndarray, geo: np.ndarray, t_ticks: np.ndarray, cells: np.ndarray, rows_f: np.ndarray,
                  rows_i: np.ndarray, sats_f: np.ndarray, sats_i: np.ndarray, serv_min: np.ndarray,
                  opts: np.ndarray, state: np.ndarray, row_cov: np.ndarray, siv: np.ndarray, *,
                  sun: np.ndarray | None = None, serv_sun: np.ndarray | None = None,
                  gw_frac: np.ndarray | None = None, parallel: bool = True) -> None:
    """One time chunk's partial reduction state, rows shared among threads.

    Parameters
    ----------
    pos : float64 (n_t1, n_sat, 3), C-contiguous
        ITRS km positions; the first ``opts[OPT_N_LEAD]`` (0 to 2) steps are the samples just before the
        chunk (0 only for the chunk that starts the window).
    geo : float64 (n_t1, n_sat, N_GEO) from :func:`~.visibility.sat_geometry`
    t_ticks : int64 (n_t1,)
        Microsecond ticks from the window start of the steps of ``pos``.
    cells, rows_f, rows_i : the :class:`~.rowmodel.RowTable` of the grid
    sats_f, sats_i : the satellite tables of :mod:`.visibility` (requirement of each satellite's service;
        service -1 serves nothing; the ``fast`` column and ``opts[OPT_FAST]`` (and the row's ``fast``)
        let arc ends come from the analytic bound of :mod:`.fastpath`: identical cells; without it every
        arc end is walked with the exact test)
    serv_min : int64 (n_serv,)
        Satellites each service needs for coverage.
    opts : int64 (6,), fields :data:`OPT_FIELDS`
    state : int64 (n_out, n_cells, N_FIELDS)
        Output: the chunk's reduction state (:mod:`.reductions`), overwritten.  With a lead, each cell's
        timeline opens at the last lead sample (:func:`.reductions.begin`), so the state meets the
        previous chunk's in :func:`.reductions.combine`; without one it opens at sample 0.  With
        ``resume``, ``state`` already holds the timelines up to the last lead sample (a previous call on
        the steps just before, which must be that sample's own chunk): they go on from there instead of
        opening, exactly as if both calls had been one (needs a lead).  A long chunk done as several
        shorter calls keeps each call's satellite table (:func:`~.sattables.sat_tables`, read again for
        every row) small enough to stay in cache.
    row_cov : int32 (n_out, n_rows, n_new)
        Output: covered cells per row at each new sample.
    siv : int16 (n_out, n_new, n_cells) or (0, 0, 0)
        Output when non-empty: satellites in view per cell at each new sample.
    sun : float64 (n_t1, 3) or None
        Unit Sun directions (ITRS) at the steps of ``pos``, when some service has a Sun limit.
    serv_sun : float64 (n_serv, 2) or None
        Per service, the sines of the lowest and highest Sun elevation above a cell's horizon while it
        may be served (``-2, 2``: no limit).  Where the Sun is outside them a service's satellites do not
        serve the cell: they are not counted and the cell is not covered (:func:`~.visibility.sun_margin`).
    gw_frac : float64 (n_t1, n_sat) or None
        Bent pipe (:mod:`.gatewaylinks`): where a satellite gained or lost its gateway link between steps
        ``t - 1`` and ``t``, the fraction of that step where it did (NaN elsewhere).  The caller leaves the
        unlinked satellites out of ``geo`` (NaN cap) at each step; their rise or set at a cell is then placed
        at the later of the geometric rise and the link's gain, or the earlier of the set and the loss.
    parallel : bool
        Rows on every thread, or on the calling thread only.

    Each row keeps its cells' counts of the previous sample in a compact array; only cells whose
    coverage changed touch the state's timeline.  Transition time (``refine``): each satellite that rose
    or set at the cell between the two samples contributes one event at ``t_prev + f (t - t_prev)``,
    ``f`` the zero of its service margin (:func:`~.visibility.margin`) on the positions interpolated
    between the samples ``t-1`` and ``t`` (:func:`~.visibility.crossing_time_fraction`), and each service
    whose Sun limit was met at one sample and not the other one event at the zero of the Sun margin
    (:func:`~.visibility.sun_crossing_fraction`); events are replayed in time order (ties: the Sun first,
    then satellite order) from the previous sample's satellites and daylight, and the transition is placed
    at the last event that switched the output's coverage.  (A satellite that rises and sets between two
    samples is not seen, as at the samples.)
    """
    if opts[OPT_RESUME] and opts[OPT_N_LEAD] < 1:
        raise ValueError("coverage_rows: resume needs the lead sample (n_lead >= 1)")
    st2 = state.reshape((state.shape[0] * state.shape[1], state.shape[2]))  # one flat view per cell
    tab, order, n_ok, cap_max = sat_tables(geo, sats_f, sats_i, parallel=parallel)
    if sun is None or serv_sun is None:
        sun = np.zeros((0, 3))
        serv_sun = np.zeros((serv_min.shape[0], 2))
    if gw_frac is None:
        gw_frac = np.zeros((0, 0))
    # rows in several ranges per thread, taken in turn: a Sun limit makes rows' costs uneven (rows where the
    # limit is never met in the step skip their satellites), and a loaded machine makes threads' speeds uneven
    run_ranges(sweep_rows, rows_i.shape[0], pos, geo, tab, order, n_ok, cap_max, t_ticks, cells, rows_f, rows_i,
               sats_f, sats_i, serv_min, serv_sun, sun, opts, st2, row_cov, siv, gw_frac, parallel=parallel,
               tasks_per_thread=4)


@njit(cache=CACHE, nogil=True, error_model="numpy")
def sweep_rows(r0, r1, pos, geo, tab, order, n_ok, cap_max, t_ticks, cells, rows_f, rows_i, sats_f, sats_i, serv_min,
               serv_sun, sun, opts, st2, row_cov, siv, gw_frac):
    """Rows ``r0 .. r1 - 1`` of :func:`coverage_rows` (each row's cells are its call's alone)."""
    for r in range(r0, r1):
        n_t1, ns = pos.shape[0], pos.shape[1]
        n_cells = cells.shape[0]
        first_new = opts[OPT_N_LEAD]
        i0 = opts[OPT_I0]
        with_any = opts[OPT_ANY] != 0
        refine = opts[OPT_REFINE] != 0
        resume = opts[OPT_RESUME] != 0
        n_serv = serv_min.shape[0]
        n_out = n_serv + (1 if with_any else 0)
        write_siv = siv.shape[0] > 0
        sun_on = sun.shape[0] > 0
        one = n_serv == 1 and not with_any
        ms0 = np.int32(min(serv_min[0], 2 ** 31 - 1))
        n = rows_i[r, ROW_COUNT]
        c0 = rows_i[r, ROW_START]
        phi = rows_f[r, ROW_PHIGC]
        fast_row = opts[OPT_FAST] != 0 and rows_i[r, ROW_FAST] != 0
        vec_row = fast_row and rows_i[r, ROW_FULL] != 0 and n > 1 and rows_f[r, ROW_CPHI] > 0.0
        # with Sun limits, on such a row the Sun test is decided from the row model (:func:`_sun_row`), and at
        # the steps where no cell of it can be within any service's limits (``dark``, before, at and after
        # the step) nothing is served there whatever is in view: its satellites are not looked for
        dark = np.zeros(n_t1 if (sun_on and vec_row) else 0, np.bool_)
        for t in range(dark.shape[0]):
            dark[t] = _row_dark(sun[t], rows_f[r, ROW_CPHI], rows_f[r, ROW_SPHI], serv_sun)
        # runs of served cells (rows: satellite, first cell offset, length) at the previous step and this one
        runs_a = np.empty((3, 2 * ns + 8), np.int64)
        runs_b = np.empty((3, 2 * ns + 8), np.int64)
        n_prev = np.int64(0)
        code = np.empty(ns, np.int64)
        # arcs of the fast path (:func:`arcs_full_row`, rows as the runs) at the previous step (p_arc) and this one
        arcs = np.zeros((2, 3, ns), np.int64)
        p_arc = np.int64(0)
        n_arc_prev = np.int64(0)
        # per-cell arrays of this row: counts in int32 (twice the SIMD width), sums in int64
        diff = np.zeros((n_serv, n + 1), np.int32)
        cur = np.zeros((n_out, n), np.int32)   # satellites serving each cell at this sample, per output
        prv = np.zeros((n_out, n), np.int32)   # ... at the previous sample
        cov_cur = np.zeros((n_out, n), np.int32)
        cov_prev = np.zeros((n_out, n), np.int32)
        loc_sum = np.zeros((n_out, n), np.int64)
        loc_min = np.zeros((n_out, n), np.int32)
        loc_max = np.zeros((n_out, n), np.int32)
        flip_k = np.empty(n + 1, np.int64)
        flip_seen = np.empty(n, np.int64)
        flip_seen[:] = -1
        day_c = np.ones((n_serv, n), np.int32)  # each service's Sun limit met at this sample ...
        day_p = np.ones((n_serv, n), np.int32)  # ... and at the previous one
        up = np.empty((3, n if sun_on else 0))  # the cells' normals, contiguous per component
        for k in range(up.shape[1]):
            for q in range(3):
                up[q, k] = cells[c0 + k, 3 + q]
        work = _transition_work(ns, n_serv)
        rcov = np.zeros(n_out, np.int64)
        t_start = max(first_new - 1, 0)
        lo = np.int64(0)
        hi = np.int64(0)
        for t in range(t_start, n_t1):
            # -- the runs of this row at step t: satellites whose cap reaches the row (bounds from the last step) --
            m_ok = n_ok[t]
            cm = cap_max[t]
            lo = seek_sorted(tab[t, TAB_LAT], m_ok, phi - cm, False, lo)
            hi = seek_sorted(tab[t, TAB_LAT], m_ok, phi + cm, True, hi)
            cb = 1 - p_arc
            n_cur = np.int64(0)
            n_arc = np.int64(0)
            if not (dark.shape[0] > 0 and dark[t] and (t == t_start or dark[t - 1]) and (t == n_t1 - 1 or dark[t + 1])):
                if vec_row:
                    # arcs decided by the bound stay in arcs as they are; the undecided ones walk into runs
                    n_arc = hi - lo
                    n_walk = arcs_full_row(tab, order, t, lo, hi, rows_f, r, n, code, arcs[cb, 0], arcs[cb, 1],
                                           arcs[cb, 2])
                    if n_walk > 0:
                        runs_b, n_cur = _walk_undecided(r, t, lo, n_arc, n_walk, pos, geo, order, cells, rows_f,
                                                        rows_i, sats_f, sats_i, code, runs_b)
                else:
                    runs_b, n_cur = _collect_runs(r, t, lo, hi, fast_row, n, pos, geo, tab, order, cells, rows_f,
                                                  rows_i, sats_f, sats_i, runs_b)
                # -- satellites in view per cell and service: difference array, prefix sum --
                _add_runs(diff, arcs[cb], n_arc, runs_b, n_cur, sats_i, n)
            day_flips = np.int32(0)
            if sun_on:
                day_flips = _sun_row(sun[t], up, vec_row, rows_f[r], serv_sun, day_c, day_p)
            if one and t >= first_new and i0 + (t - first_new) != 0:
                # one service, an ordinary sample: prefix sum, count statistics, the cells whose coverage flipped
                tt = t - first_new
                n_flip = _sample_one_service(diff[0], cur[0], cov_cur[0], cov_prev[0], loc_sum[0], loc_min[0],
                                             loc_max[0], ms0, flip_k, day_c[0], sun_on)
                if write_siv:
                    for k in range(n):
                        siv[0, tt, c0 + k] = cur[0, k]
                if day_flips != 0:
                    _day_edges(t, n, c0, n_cells, cells, t_ticks, serv_sun, sun, day_p, day_c, n_out, st2)
                if n_flip > 0:
                    _transitions(t, n, c0, n_cells, pos, cells, sats_f, sats_i, serv_min, refine, t_ticks, runs_a,
                                 n_prev, runs_b, n_cur, arcs[p_arc], n_arc_prev, arcs[cb], n_arc, prv, cur, cov_cur,
                                 cov_prev, rcov, st2, work, flip_k, n_flip, serv_sun, sun, day_p, day_c, gw_frac)
                row_cov[0, r, tt] = rcov[0]
            else:
                _prefix_sums(diff, serv_min, with_any, cur, cov_cur)
                if sun_on:
                    _apply_day(serv_sun, serv_min, with_any, cur, cov_cur, day_c)
                if t < first_new:
                    _open_row(t_ticks[t], i0, resume, sun_on, n_cells, c0, cov_cur, cov_prev, day_c, loc_sum,
                              loc_min, loc_max, rcov, st2)
                else:
                    tt = t - first_new
                    if write_siv:
                        for o in range(n_out):
                            for k in range(n):
                                siv[o, tt, c0 + k] = cur[o, k]
                    if i0 + tt == 0:
                        _first_sample(t_ticks[t], sun_on, n_cells, c0, cur, cov_cur, cov_prev, day_c, loc_sum,
                                      loc_min, loc_max, rcov, st2)
                    else:
                        n_flip = _sample_all_outputs(t, cur, cov_cur, cov_prev, loc_sum, loc_min, loc_max, flip_seen,
                                                     flip_k)
                        if day_flips != 0:
                            _day_edges(t, n, c0, n_cells, cells, t_ticks, serv_sun, sun, day_p, day_c, n_out, st2)
                        if n_flip > 0:
                            _transitions(t, n, c0, n_cells, pos, cells, sats_f, sats_i, serv_min, refine, t_ticks,
                                         runs_a, n_prev, runs_b, n_cur, arcs[p_arc], n_arc_prev, arcs[cb], n_arc, prv,
                                         cur, cov_cur, cov_prev, rcov, st2, work, flip_k, n_flip, serv_sun, sun, day_p,
                                         day_c, gw_frac)
                    for o in range(n_out):
                        row_cov[o, r, tt] = rcov[o]
            runs_a, runs_b = runs_b, runs_a
            n_prev = n_cur
            p_arc = cb
            n_arc_prev = n_arc
            cur, prv = prv, cur
            day_c, day_p = day_p, day_c
        # the chunk's count statistics into the state: sum over its samples, the last count, minimum, maximum
        _close_row(n_cells, c0, loc_sum, prv, loc_min, loc_max, t_ticks[n_t1 - 1], i0 + (n_t1 - first_new), st2)


@njit(cache=CACHE, error_model="numpy")
def _open_row(t_tick, i0, resume, sun_on, n_cells, c0, cov_cur, cov_prev, day_c, loc_sum, loc_min, loc_max, rcov,
              st2):
    """The previous chunk's last sample (at ``t_tick``) for the row's cells from ``c0``: this chunk's
    timelines open there (:func:`~.reductions.begin`), or, ``resume``-ing, the state's timelines go on from
    it with their count statistics."""
    n_out, n = cov_cur.shape[0], cov_cur.shape[1]
    for o in range(n_out):
        for k in range(n):
            oc = o * n_cells + c0 + k
            if resume:
                loc_sum[o, k], loc_min[o, k], loc_max[o, k] = count_stats(st2, oc)
            else:
                begin(st2, oc, t_tick, cov_cur[o, k], i0)
                if sun_on:
                    set_day(st2, oc, _out_day(day_c, o, k))
                loc_sum[o, k] = 0
                loc_min[o, k] = _BIG
                loc_max[o, k] = -1
            cov_prev[o, k] = cov_cur[o, k]
            rcov[o] += cov_cur[o, k]


@njit(cache=CACHE, error_model="numpy")
def _first_sample(t_tick, sun_on, n_cells, c0, cur, cov_cur, cov_prev, day_c, loc_sum, loc_min, loc_max, rcov, st2):
    """The run's first sample (at ``t_tick``) for the row's cells from ``c0``: the timelines open
    (:func:`~.reductions.begin`) and the count statistics start from its counts."""
    n_out, n = cur.shape[0], cur.shape[1]
    for o in range(n_out):
        for k in range(n):
            begin(st2, o * n_cells + c0 + k, t_tick, cov_cur[o, k], 0)
            if sun_on:
                set_day(st2, o * n_cells + c0 + k, _out_day(day_c, o, k))
            cov_prev[o, k] = cov_cur[o, k]
            rcov[o] += cov_cur[o, k]
            loc_sum[o, k] = cur[o, k]
            loc_min[o, k] = cur[o, k]
            loc_max[o, k] = cur[o, k]


@njit(cache=CACHE, error_model="numpy")
def _close_row(n_cells, c0, loc_sum, prv, loc_min, loc_max, t_end, i_end, st2):
    """The chunk's count statistics of the row's cells from ``c0`` into the state
    (:func:`~.reductions.absorb_counts`): sum over its samples, the last count ``prv``, minimum, maximum."""
    n_out, n = loc_sum.shape[0], loc_sum.shape[1]
    for o in range(n_out):
        for k in range(n):
            absorb_counts(st2, o * n_cells + c0 + k, loc_sum[o, k], prv[o, k], loc_min[o, k], loc_max[o, k], t_end,
                          i_end)


@njit(cache=CACHE, error_model="numpy")
def _walk_undecided(r, t, lo, n_arc, n_walk, pos, geo, order, cells, rows_f, rows_i, sats_f, sats_i, code, runs):
    """On a full-circle row of the fast path, the satellites of table columns ``lo .. lo + n_arc - 1`` at
    step ``t`` that :func:`~.fastpath.arcs_full_row` left undecided (``code`` 2, ``n_walk`` of them), walked
    with the exact test into ``runs`` from its start.  Returns ``(runs, n_runs)`` (``runs`` is a bigger
    copy when it had to grow)."""
    n_cur = np.int64(0)
    for q in range(n_arc):
        if code[q] == 2:
            runs, n_cur = _walk(r, t, order[t, lo + q], pos, geo, cells, rows_f, rows_i, sats_f, sats_i, runs, n_cur,
                                2 * n_walk)
    return runs, n_cur


@njit(cache=CACHE, error_model="numpy")
def _collect_runs(r, t, lo, hi, fast_row, n, pos, geo, tab, order, cells, rows_f, rows_i, sats_f, sats_i, runs):
    """The runs of cells of row ``r`` that the satellites of table columns ``lo .. hi - 1`` serve at step
    ``t``, one satellite at a time, into ``runs`` from its start (rows other than the full-circle rows of the
    fast path, which :func:`~.fastpath.arcs_full_row` does): partial, near-polar and off-model rows, and
    requirements off the fast path.  Returns ``(runs, n_runs)`` (``runs`` is a bigger copy when it had to
    grow)."""
    n_cur = np.int64(0)
    if 2 * (hi - lo) > runs.shape[1]:
        runs = grow_runs(runs, n_cur, 2 * (hi - lo))
    full = rows_i[r, ROW_FULL] != 0
    phi = rows_f[r, ROW_PHIGC]
    for iq in range(lo, hi):
        s = order[t, iq]
        if not (abs(phi - tab[t, TAB_LAT, iq]) <= tab[t, TAB_CAP, iq]):
            continue
        if fast_row and sats_i[s, SAT_FAST] != 0:
            cd, a0, l0, a1, l1 = fast_segments(tab, t, iq, rows_f, r, n, full, sats_f[s, SAT_SIN_EL])
            if cd == 0:
                continue
            if cd == 1:
                if n_cur + 2 > runs.shape[1]:
                    runs = grow_runs(runs, n_cur, n_cur + 2)
                if l0 > 0:
                    n_cur = emit_run(runs, n_cur, s, a0, l0)
                if l1 > 0:
                    n_cur = emit_run(runs, n_cur, s, a1, l1)
                continue
        runs, n_cur = _walk(r, t, s, pos, geo, cells, rows_f, rows_i, sats_f, sats_i, runs, n_cur, 2 * (hi - iq))
    return runs, n_cur


@njit(cache=CACHE, inline="always")
def _walk(r, t, s, pos, geo, cells, rows_f, rows_i, sats_f, sats_i, runs, nr, spare):
    """Append satellite ``s``'s runs in row ``r`` at step ``t`` by the exact walk
    (:func:`~.rowmodel.walk_row`); returns ``(runs, n_runs)``."""
    return walk_row(r, t, s, pos, geo, cells, rows_f, rows_i, sats_f[s, SAT_SIN_EL], sats_i[s, SAT_CONE],
                    sats_f[s, SAT_COS_HALF], sats_i[s, SAT_CONTIG] != 0, runs, nr, spare)


@njit(cache=CACHE, inline="always")
def _add_runs(diff, arcs, n_arc, runs, n_run, sats_i, n):
    """+1 on the difference arrays ``diff[service]`` (prefix sums to come) over the cells of the arcs
    ``arcs[:, :n_arc]`` and the runs ``runs[:, :n_run]`` (rows: satellite, first cell, length; modulo
    ``n``; an empty arc adds and takes one at offset 0)."""
    if n_arc > 0:
        a_lo = arcs[1]
        a_len = arcs[2]
        if diff.shape[0] == 1:
            d_0 = diff[0]
            for q in range(n_arc):
                a = a_lo[q]
                end = a + a_len[q]
                wrap = end > n
                d_0[a] += 1
                d_0[end - n if wrap else end] -= 1
                d_0[0] += 1 if wrap else 0
        else:
            a_s = arcs[0]
            for q in range(n_arc):
                _add_run(diff, sats_i[a_s[q], SAT_SERV], a_lo[q], a_len[q], n)
    for q in range(n_run):
        _add_run(diff, sats_i[runs[0, q], SAT_SERV], runs[1, q], runs[2, q], n)


@njit(cache=CACHE, inline="always")
def _add_run(diff, j, a, length, n):
    """+1 on the cells ``a .. a + length - 1`` (modulo ``n``) of ``diff[j]``'s prefix sum."""
    end = a + length
    wrap = end > n
    diff[j, a] += 1
    diff[j, end - n if wrap else end] -= 1
    diff[j, 0] += 1 if wrap else 0


@njit(cache=CACHE, inline="always")
def _sample_one_service(d_0, cur_0, cc_0, cp_0, ls_0, lmin_0, lmax_0, ms0, flip_k, day_0, use_day):
    """One service, an ordinary sample: the prefix sum of ``d_0`` (a serial chain; ``d_0`` zeroed after
    it) into the counts ``cur_0`` (with ``use_day``, 0 where the Sun limit is not met: ``day_0`` 0),
    coverage ``cc_0`` (at least ``ms0`` satellites), the count statistics, in a loop that vectorises, and
    the cells whose coverage differs from ``cp_0`` listed in ``flip_k``; returns how many."""
    n = cur_0.shape[0]
    acc = 0
    for k in range(n):
        acc += d_0[k]
        cur_0[k] = acc
    d_0[:] = 0  # one pass after the chain (stores inside it make it slower)
    if use_day:
        for k in range(n):
            cur_0[k] *= day_0[k]
    n_flip = np.int64(0)
    for k in range(n):
        v = cur_0[k]
        cv = np.int32(1) if v >= ms0 else np.int32(0)
        n_flip += cv ^ cp_0[k]
        cc_0[k] = cv
        ls_0[k] += v
        lmin_0[k] = min(lmin_0[k], v)
        lmax_0[k] = max(lmax_0[k], v)
    if n_flip > 0:
        n_flip = np.int64(0)
        for k in range(n):
            if cc_0[k] != cp_0[k]:
                flip_k[n_flip] = k
                n_flip += 1
    return n_flip


@njit(cache=CACHE, error_model="numpy")
def _prefix_sums(diff, serv_min, with_any, cur, cov_cur):
    """Counts ``cur`` and coverage ``cov_cur`` of every service (and of "any": the sum of the counts,
    covered where some service covers) from the difference arrays, which are zeroed."""
    n_serv = diff.shape[0]
    n = cur.shape[1]
    for j in range(n_serv):
        acc = 0
        mj = serv_min[j]
        for k in range(n):
            acc += diff[j, k]
            cur[j, k] = acc
            cov_cur[j, k] = 1 if acc >= mj else 0
        diff[j, :] = 0
    if with_any:
        _form_any(n_serv, n, cur, cov_cur)


@njit(cache=CACHE, inline="always")
def _form_any(n_serv, n, cur, cov_cur):
    """The "any" output (row ``n_serv``) formed from the services': satellites summed, coverage or-ed."""
    for k in range(n):
        cur[n_serv, k] = 0
        cov_cur[n_serv, k] = 0
    for j in range(n_serv):
        for k in range(n):
            cur[n_serv, k] += cur[j, k]
            cov_cur[n_serv, k] |= cov_cur[j, k]


#: Bound on the difference between the Sun test at a cell of a fast row (:func:`_sun_row`) and the row
#: model's value: the cells' normals are within 1e-12 of the model's per component, the rounding of either
#: side is near 1e-15.
_SUN_TOL = 1e-9


@njit(cache=CACHE, inline="always")
def _row_dark(s, cphi, sphi, serv_sun):
    """Whether no cell of a fast row (its model's geodetic latitude: cosine ``cphi``, sine ``sphi``) can be
    within any service's Sun limits for the unit Sun direction ``s``: the Sun test along the row model is
    ``a cos(lon - lon_sun) + b`` (``a = cphi |s_xy|``, ``b = sphi s_z``), whose range ``b +- a``, widened
    by :data:`_SUN_TOL`, lies below every service's lower limit or above its upper one.  False where some
    service has no limit."""
    a = cphi * math.hypot(s[0], s[1])
    b = sphi * s[2]
    for j in range(serv_sun.shape[0]):
        if not (b + a + _SUN_TOL < serv_sun[j, 0] or b - a - _SUN_TOL > serv_sun[j, 1]):
            return False
    return True


@njit(cache=CACHE, inline="always")
def _ring(th, a, b, ks, dlon, n):
    """The cells of a full fast row where the Sun test ``a cos(lon - lon_sun) + b`` (:func:`_row_dark`) is
    surely at least ``th`` and where it may be (the model widened by :data:`_SUN_TOL`), as index ranges
    centred on ``ks`` (the Sun's longitude in cells from the row's first): ``(sure_first, sure_count,
    may_first, may_count)``, first indices unwrapped (modulo ``n`` to read), counts at most ``n``."""
    c_in = (th + _SUN_TOL - b) / a
    c_out = (th - _SUN_TOL - b) / a
    s_a, s_n = 0, 0
    if c_in <= -1.0:
        s_n = n
    elif c_in < 1.0:
        h = math.acos(c_in) / dlon - 1e-6  # cells strictly within h of ks (1e-6 cell: index rounding)
        s_a = np.int64(math.floor(ks - h)) + 1
        s_n = min(max(np.int64(math.ceil(ks + h)) - 1 - s_a + 1, 0), n)
    p_a, p_n = 0, 0
    if c_out <= -1.0:
        p_n = n
    elif c_out < 1.0:
        h = math.acos(c_out) / dlon + 1e-6
        p_a = np.int64(math.ceil(ks - h))
        p_n = min(max(np.int64(math.floor(ks + h)) - p_a + 1, 0), n)
    return s_a, s_n, p_a, p_n


@njit(cache=CACHE, inline="always")
def _fill(d, a, m, v):
    """``d[k] = v`` for the ``m`` cells from index ``a`` (unwrapped, modulo ``len(d)``)."""
    n = d.shape[0]
    a = a % n
    e = min(a + m, n)
    d[a:e] = v
    d[0:m - (e - a)] = v


@njit(cache=CACHE, inline="always")
def _test_cells(d, up, sx, sy, sz, lo, hi, a, m):
    """The exact Sun test at the ``m`` cells from index ``a`` (unwrapped) into ``d``."""
    n = d.shape[0]
    ux, uy, uz = up[0], up[1], up[2]
    for i in range(a, a + min(m, n)):
        k = i % n
        e = sx * ux[k] + sy * uy[k] + sz * uz[k]
        d[k] = np.int32((e >= lo) & (e <= hi))


@njit(cache=CACHE, error_model="numpy")
def _sun_row(s, up, model, row_f, serv_sun, day, day_prev):
    """Sun limits at one sample in one row (unit Sun direction ``s``): for each service with a limit,
    ``day[j, k]`` whether the Sun's elevation at the row's cell ``k`` (normal ``up[:, k]``) is within it,
    ``serv_sun[j, 0] <= dot(s, up) <= serv_sun[j, 1]``; returns 1 if some cell's differs from
    ``day_prev``, else 0.

    With ``model`` (a full-circle row of the fast path, ``row_f`` its float row table) the test is
    decided from the row model (:func:`_row_dark`) wherever the model's value is farther than
    :data:`_SUN_TOL` from a limit (a range of cells about the Sun's longitude for each limit,
    :func:`_ring`); the cells within it take the exact test.  Every cell gets the exact test's value."""
    n = day.shape[1]
    sx, sy, sz = s[0], s[1], s[2]
    a = row_f[ROW_CPHI] * math.hypot(sx, sy)
    b = row_f[ROW_SPHI] * sz
    dlon = row_f[ROW_DLON]
    ks = (math.atan2(sy, sx) - row_f[ROW_LON0]) / dlon
    flips = np.int32(0)
    for j in range(serv_sun.shape[0]):
        lo = serv_sun[j, 0]
        hi = serv_sun[j, 1]
        if lo <= -1.0 and hi >= 1.0:
            continue
        dj = day[j]
        if model and a > 1e-6:
            s_a, s_n, p_a, p_n = 0, n, 0, n
            if lo > -1.0:
                s_a, s_n, p_a, p_n = _ring(lo, a, b, ks, dlon, n)
            dj[:] = 0
            _fill(dj, s_a, s_n, 1)
            if hi < 1.0:  # cells where the Sun may be above the upper limit are night, those near it tested
                h_a, h_n, q_a, q_n = _ring(hi, a, b, ks, dlon, n)
                _fill(dj, q_a, q_n, 0)
                _test_cells(dj, up, sx, sy, sz, lo, hi, q_a, h_a - q_a if h_n > 0 else q_n)
                if h_n > 0:
                    _test_cells(dj, up, sx, sy, sz, lo, hi, h_a + h_n, q_a + q_n - h_a - h_n)
            if p_n < n or s_n < n:  # cells near the lower limit
                _test_cells(dj, up, sx, sy, sz, lo, hi, p_a, s_a - p_a if s_n > 0 else p_n)
                if s_n > 0:
                    _test_cells(dj, up, sx, sy, sz, lo, hi, s_a + s_n, p_a + p_n - s_a - s_n)
        else:
            ux, uy, uz = up[0], up[1], up[2]
            for k in range(n):  # (a loop of its own, so that it vectorises)
                e = sx * ux[k] + sy * uy[k] + sz * uz[k]
                dj[k] = np.int32((e >= lo) & (e <= hi))
        pj = day_prev[j]
        for k in range(n):
            flips |= dj[k] ^ pj[k]
    return flips


@njit(cache=CACHE, error_model="numpy")
def _apply_day(serv_sun, serv_min, with_any, cur, cov_cur, day):
    """Where a service's Sun limit is not met (``day[j, k]`` 0), none of its satellites counts and the cell
    is not covered by it; "any" is formed again from the services."""
    n_serv = serv_min.shape[0]
    n = cur.shape[1]
    for j in range(n_serv):
        if serv_sun[j, 0] <= -1.0 and serv_sun[j, 1] >= 1.0:
            continue
        mj = serv_min[j]
        for k in range(n):
            v = cur[j, k] * day[j, k]
            cur[j, k] = v
            cov_cur[j, k] = 1 if v >= mj else 0
    if with_any:
        _form_any(n_serv, n, cur, cov_cur)


@njit(cache=CACHE, inline="always")
def _out_day(day, o, k):
    """Output ``o``'s Sun limits met at the row's cell ``k``: service ``o``'s, or for "any" (``o`` past the
    services) any service's."""
    n_serv = day.shape[0]
    if o < n_serv:
        return day[o, k]
    v = 0
    for j in range(n_serv):
        v |= day[j, k]
    return v


@njit(cache=CACHE, error_model="numpy")
def _day_edges(t, n, c0, n_cells, cells, t_ticks, serv_sun, sun, day_p, day_c, n_out, st2):
    """Hand the row's Sun-limit changes between samples ``t-1`` and ``t`` to the reductions' daylight clocks
    (:func:`~.reductions.add_day_edge`), at the times :func:`_transitions` gives the coverage edges they cause
    (:func:`~.visibility.sun_crossing_fraction`, else the on-sample rule); "any" changes at the first service
    to enter the limits, or the last to leave them."""
    n_serv = day_c.shape[0]
    t_prev = t_ticks[t - 1]
    t_cur = t_ticks[t]
    for k in range(n):
        changed = np.int32(0)
        for j in range(n_serv):
            changed |= day_p[j, k] ^ day_c[j, k]
        if changed == 0:
            continue
        c = c0 + k
        e_rise = np.int64(-1)
        e_set = np.int64(-1)
        for j in range(n_serv):
            if day_p[j, k] == day_c[j, k]:
                continue
            rise = day_c[j, k] == 1
            f = sun_crossing_fraction(sun[t - 1], sun[t], cells[c, 3], cells[c, 4], cells[c, 5], serv_sun[j, 0],
                                      serv_sun[j, 1])
            if f < 0.0:
                f = 1.0 if rise else 0.0
            e = t_prev + int(round(f * (t_cur - t_prev)))
            if j < n_out:
                add_day_edge(st2, j * n_cells + c, e)
            if rise:
                e_rise = e if e_rise < 0 else min(e_rise, e)
            else:
                e_set = max(e_set, e)
        if n_out > n_serv:
            was, now = _out_day(day_p, n_serv, k), _out_day(day_c, n_serv, k)
            if was != now:
                add_day_edge(st2, n_serv * n_cells + c, e_rise if now == 1 else e_set)


@njit(cache=CACHE, error_model="numpy")
def _sample_all_outputs(t, cur, cov_cur, cov_prev, loc_sum, loc_min, loc_max, flip_seen, flip_k):
    """An ordinary sample ``t`` for every output: the count statistics (vectorised) and the cells where
    some output's coverage flipped, listed once each in ``flip_k``; returns how many."""
    n_out, n = cur.shape[0], cur.shape[1]
    n_flip = np.int64(0)
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
    return n_flip


@njit(cache=CACHE, inline="always")
def _transition_work(ns, n_serv):
    """Scratch arrays of :func:`_transitions` for a row: the events (``ev_f`` fraction of the step; rows of
    ``ev_i``: satellite, service, +1 rise / -1 set), the satellites listed at the previous and this sample
    (``lists``) with their markers (``marks``: the stamp of the cell they were last listed for), the
    counts and daylight flags being replayed and, with Sun limits, the previous sample's counts before the
    limits and its daylight (rows of ``sim``), the current stamp (``stamp[0]``) and, per satellite, the
    curvature term of its position between the samples (:func:`~.visibility.chord_bend`; rows of ``bend``:
    the step it belongs to, -1 for none yet, and its three components), computed once per step and row."""
    ev_f = np.empty(ns + n_serv + 1)
    ev_i = np.empty((3, ns + n_serv + 1), np.int64)
    marks = np.empty((2, ns), np.int64)
    marks[:, :] = -1
    lists = np.empty((2, ns), np.int64)
    sim = np.zeros((4, n_serv), np.int64)  # replayed counts and daylight; the previous sample's (Sun limits)
    stamp = np.zeros(1, np.int64)
    bend = np.empty((4, ns))
    bend[0, :] = -1.0
    return ev_f, ev_i, marks, lists, sim, stamp, bend


@njit(cache=CACHE, error_model="numpy")
def _collect_in(runs, n_runs, k, n, stamp, mark, sat_list, m):
    """Satellites of the runs ``runs[:, :n_runs]`` (rows: satellite, first cell, length; empty runs
    allowed) whose run contains cell offset ``k`` (modulo ``n``): marked ``stamp`` in ``mark`` and listed
    in ``sat_list`` from position ``m``; returns the new length of the list."""
    k_s = runs[0]
    k_lo = runs[1]
    k_len = runs[2]
    for q in range(n_runs):
        off = k - k_lo[q]
        if off < 0:
            off += n
        if off < k_len[q]:
            s = k_s[q]
            mark[s] = stamp
            sat_list[m] = s
            m += 1
    return m


@njit(cache=CACHE, error_model="numpy")
def _transitions(t, n, c0, n_cells, pos, cells, sats_f, sats_i, serv_min, refine, t_ticks, runs_a, n_prev, runs_b,
                 n_cur, arcs_prev, n_arc_prev, arcs_cur, n_arc_cur, prv, cur, cov_cur, cov_prev, rcov, st2, work,
                 flip_k, n_flip, serv_sun, sun, day_p, day_c, gw_frac):
    """Hand the coverage transitions of the row between samples ``t-1`` and ``t`` at the cells
    ``flip_k[:n_flip]`` (where some output's ``cov_cur`` differs from ``cov_prev``) to the reductions
    (:func:`~.reductions.add_edge`), refined as :func:`coverage_rows` describes.  The runs of sample
    ``t-1`` are ``runs_a[:, :n_prev]`` and ``arcs_prev[:, :n_arc_prev]``; those of sample ``t`` are
    ``runs_b[:, :n_cur]`` and ``arcs_cur[:, :n_arc_cur]``; ``day_p`` and ``day_c`` the services' Sun
    limits met at the two samples (all 1 without Sun limits: ``sun`` empty); ``gw_frac`` the instants of
    the satellites' gateway link changes (empty without gateways)."""
    ev_f, ev_i, marks, lists, sim, stamp_box, bend = work
    sun_on = sun.shape[0] > 0
    h_s = (t_ticks[t] - t_ticks[t - 1]) * 1e-6
    n_serv = serv_min.shape[0]
    n_out = cur.shape[0]
    mark_p = marks[0]
    mark_c = marks[1]
    list_p = lists[0]
    list_c = lists[1]
    t_prev = t_ticks[t - 1]
    t_cur = t_ticks[t]
    for q_f in range(n_flip):
        k = flip_k[q_f]
        c = c0 + k
        ne = 0
        if refine:
            stamp_box[0] += 1
            stamp = stamp_box[0]
            n_p = 0
            n_c = 0
            for j in range(n_serv):
                n_p += prv[j, k]
                n_c += cur[j, k]
            # (no satellite served the cell at a sample: nothing to look for in that sample's runs; with Sun
            # limits the counts are 0 where the Sun is out of a service's limits, whatever is in view there)
            night_p = False
            night_c = False
            if sun_on:
                for j in range(n_serv):
                    night_p |= day_p[j, k] == 0
                    night_c |= day_c[j, k] == 0
            mp = np.int64(0)
            mc = np.int64(0)
            if n_p > 0 or night_p:
                mp = _collect_in(runs_a, n_prev, k, n, stamp, mark_p, list_p, mp)
                mp = _collect_in(arcs_prev, n_arc_prev, k, n, stamp, mark_p, list_p, mp)
            if n_c > 0 or night_c:
                mc = _collect_in(runs_b, n_cur, k, n, stamp, mark_c, list_c, mc)
                mc = _collect_in(arcs_cur, n_arc_cur, k, n, stamp, mark_c, list_c, mc)
            # satellites that rose (in cur only) or set (in prev only), each one event
            for side in range(2):
                inc = side == 0
                cnt_side = mc if inc else mp
                for q in range(cnt_side):
                    s = list_c[q] if inc else list_p[q]
                    if (mark_p[s] if inc else mark_c[s]) == stamp:
                        continue
                    if bend[0, s] != t:  # (the satellite's curvature term: once per step in this row)
                        bend[1, s], bend[2, s], bend[3, s] = chord_bend(pos[t - 1, s], pos[t, s], h_s)
                        bend[0, s] = t
                    f = crossing_fraction_bent(pos[t - 1, s, 0], pos[t - 1, s, 1], pos[t - 1, s, 2], pos[t, s, 0],
                                               pos[t, s, 1], pos[t, s, 2], bend[1, s], bend[2, s], bend[3, s], h_s,
                                               cells[c, 0], cells[c, 1], cells[c, 2], cells[c, 3], cells[c, 4],
                                               cells[c, 5], sats_f[s, SAT_SIN_EL], sats_i[s, SAT_CONE],
                                               sats_f[s, SAT_COS_HALF])
                    if gw_frac.shape[0] > 0:
                        g = gw_frac[t, s]
                        if g == g:  # the satellite gained (rise) or lost (set) its gateway link in this step
                            f = g if f < 0.0 else (max(f, g) if inc else min(f, g))
                    if f < 0.0:
                        f = 1.0 if inc else 0.0  # no zero between the samples: the on-sample rule
                    # insertion in time order, ties in satellite order
                    w = ne
                    while w > 0 and (ev_f[w - 1] > f or (ev_f[w - 1] == f and ev_i[0, w - 1] > s)):
                        ev_f[w] = ev_f[w - 1]
                        ev_i[0, w] = ev_i[0, w - 1]
                        ev_i[1, w] = ev_i[1, w - 1]
                        ev_i[2, w] = ev_i[2, w - 1]
                        w -= 1
                    ev_f[w] = f
                    ev_i[0, w] = s
                    ev_i[1, w] = sats_i[s, SAT_SERV]
                    ev_i[2, w] = 1 if inc else -1
                    ne += 1
            if sun_on:
                for j in range(n_serv):
                    sim[3, j] = day_p[j, k]
                    sim[2, j] = 0
                for q in range(mp):
                    sim[2, sats_i[list_p[q], SAT_SERV]] += 1
                for j in range(n_serv):
                    if day_p[j, k] == day_c[j, k]:
                        continue
                    rise = day_c[j, k] == 1
                    f = sun_crossing_fraction(sun[t - 1], sun[t], cells[c, 3], cells[c, 4], cells[c, 5],
                                              serv_sun[j, 0], serv_sun[j, 1])
                    if f < 0.0:
                        f = 1.0 if rise else 0.0
                    w = ne
                    while w > 0 and ev_f[w - 1] >= f:  # ties: the Sun before the satellites
                        ev_f[w] = ev_f[w - 1]
                        ev_i[0, w] = ev_i[0, w - 1]
                        ev_i[1, w] = ev_i[1, w - 1]
                        ev_i[2, w] = ev_i[2, w - 1]
                        w -= 1
                    ev_f[w] = f
                    ev_i[0, w] = -1
                    ev_i[1, w] = j
                    ev_i[2, w] = 2 if rise else -2
                    ne += 1
        for o in range(n_out):
            now = cov_cur[o, k]
            if now == cov_prev[o, k]:
                continue
            e = -1
            if refine and ne > 0:
                fs = _switch_fraction(o, k, prv, serv_min, cov_prev[o, k], ev_f, ev_i, ne, sim, sun_on)
                if fs >= 0.0:
                    e = t_prev + int(round(fs * (t_cur - t_prev)))
            if e < 0:
                e = t_cur if now == 1 else t_prev
            add_edge(st2, o * n_cells + c, e)
            cov_prev[o, k] = now
            rcov[o] += 1 if now == 1 else -1


@njit(cache=CACHE, inline="always")
def _switch_fraction(o, k, prv, serv_min, cov, ev_f, ev_i, ne, sim, sun_on):
    """Replay the events ``0 .. ne - 1`` (in time order) from the previous sample's counts of cell ``k``
    (with Sun limits: its satellites in view before the limits, ``sim[2]``, and daylight, ``sim[3]``;
    events ``+-2`` switch a service's daylight); return the fraction of the step of the last event that
    switched output ``o``'s coverage (from ``cov``), or -1 if none did."""
    n_serv = serv_min.shape[0]
    cnt = sim[0]
    day = sim[1]
    for j in range(n_serv):
        if sun_on:
            cnt[j] = sim[2, j]
            day[j] = sim[3, j]
        else:
            cnt[j] = prv[j, k]  # the previous sample's counts
            day[j] = 1
    fs = -1.0
    for w in range(ne):
        d = ev_i[2, w]
        if d == 2 or d == -2:
            day[ev_i[1, w]] = 1 if d > 0 else 0
        else:
            cnt[ev_i[1, w]] += d
        if o < n_serv:
            nv = 1 if day[o] == 1 and cnt[o] >= serv_min[o] else 0
        else:
            nv = 0
            for j in range(n_serv):
                if day[j] == 1 and cnt[j] >= serv_min[j]:
                    nv = 1
        if nv != cov:
            cov = nv
            fs = ev_f[w]
    return fs
