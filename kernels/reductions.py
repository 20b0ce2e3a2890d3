"""Coverage figures of merit as mergeable per-cell reductions (the datashader pattern).

Every figure of merit is computed from one small integer state per cell, built in four steps:

``start(n)``
    an empty state for ``n`` cells (a ``(n, N_FIELDS)`` int64 array);
absorb (in the time loop, numba)
    :func:`begin` opens the timeline of a cell at a time with a covered status, :func:`add_count` records
    the number of satellites in view whenever it changes, :func:`add_edge` records a covered/uncovered
    transition at a (possibly refined) time; :func:`absorb_samples` does all three for a block of samples;
``combine(left, right)``
    joins the states of two adjacent stretches of time (left's end is right's start);
``finish(state, window_edges)``
    turns a state that spans the whole analysis window into the figures of merit (float64 arrays).

Everything in the state is an integer: times are **ticks of one microsecond** from the window start,
sums of squared gaps are kept exactly as three integer parts (gap = q * 10^6 + r with q whole seconds:
sum q^2, sum 2 q r, sum r^2).  So ``finish(combine(a, b))`` is bit-identical to one pass over ``a + b``,
whatever the chunking.

Timeline model
--------------
Within the analysis window ``[0, T]`` (``T`` = last sample time - first sample time) each cell's coverage
is a piecewise-constant function: *accesses* (covered intervals) alternate with *gaps* (uncovered
intervals) and together they tile the window.  A transition between samples ``i-1`` and ``i`` lies at a
refined time in ``(t[i-1], t[i])`` when edges are refined, else on a sample: a rise at the first covered
sample ``t[i]``, a set at the last covered sample ``t[i-1]`` (an access spans its covered samples, a
gap the samples between two accesses).

Window-edge rule
----------------
``window_edges="count"`` (default)
    gaps that touch the start or the end of the window are gaps like any other: a cell never covered has
    one gap of length ``T``; the wait in a final gap is measured to the window end.
``window_edges="exclude"`` (STK's "optimistic" handling)
    gaps that touch the start or the end of the window are left out of every gap statistic
    (``revisit_*``, ``gap_count``, ``time_average_gap_s``, ``response_*``); ``T`` stays the whole window.
Accesses that touch a window edge are always counted, truncated at the edge.

Figures of merit (STK Coverage figure-of-merit names in brackets; seconds unless said)
---------------------------------------------------------------------------------------
``coverage_time_s``          total covered time [Coverage Time: Total Time Covered]
``coverage_fraction``        coverage_time / T [Coverage Time: Percent Time Covered, as a fraction]
``sats_in_view_min/mean/max`` over the samples [N Asset Coverage: Minimum / Average / Maximum]
``revisit_max_s``            longest gap [Revisit Time: Maximum]
``revisit_mean_s``           mean gap [Revisit Time: Average]
``revisit_std_s``            population standard deviation of the gaps [Revisit Time: Std Deviation]
``gap_count``                number of gaps [Number of Gaps]
``time_average_gap_s``       sum(gap^2) / T [Time Average Gap]
``response_mean_s``          sum(gap^2) / (2 T): mean wait from a uniformly random instant to the next
                             coverage [Response Time: Average]
``response_max_s``           longest wait = longest gap [Response Time: Maximum]
``access_count``             number of accesses [Number of Accesses]
``access_duration_mean_s/max_s`` [Access Duration: Average / Maximum]
``first_access_s``           start of the first access from the window start [Simple Coverage, first time]

Daylight revisit (:data:`DAYLIGHT_FOM_NAMES`, not in :data:`FOM_NAMES`)
-------------------------------------------------------------------------
``revisit_daylight_max_s``   longest gap measured on the cell's daylight clock
``revisit_daylight_mean_s``  mean of the gaps measured on the daylight clock

The daylight clock of a cell counts only the time within the Sun limits (the Sun's elevation at the cell
within ``[min_sun_elevation_deg, max_sun_elevation_deg]``; always, without limits): each gap counts the
daylight time between its two ends (the overlap of the gap with the cell's daylight intervals), a gap with
no daylight time (between an access that ends at sunset and one that begins at sunrise) is no gap, and the
window-edge rule applies as to the other gap figures.  The caller reports the daylight intervals with
:func:`add_day_edge` (and :func:`set_day` after :func:`begin`); a state without them has daylight
throughout, where these figures equal ``revisit_max_s`` and ``revisit_mean_s``.

Where a cell has no gap in the counted set, ``revisit_*`` are NaN and ``gap_count`` is 0; the
time-averaged gap and response times are then 0 if the cell is ever covered (no instant waits), NaN if
it is never covered (only possible with ``"exclude"``).  ``access_duration_*`` and ``first_access_s`` are
NaN for a cell never covered.  If ``T == 0`` (one sample) ``coverage_fraction`` is 1 or 0 by that sample.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import CACHE
from .parallel import run_ranges

__all__ = ["N_FIELDS", "TICKS_PER_S", "start", "begin", "begin_cells", "add_count", "add_edge", "absorb_samples",
           "absorb_counts", "count_stats", "combine", "combine_into", "finish", "FOM_NAMES", "DAYLIGHT_FOM_NAMES",
           "set_day", "add_day_edge"]

#: State time unit: ticks per second (microseconds).
TICKS_PER_S = 1_000_000

# -- field layout of one cell's state ----------------------------------------------------------------
S0 = 0          # covered status at the state's start (-1: empty state)
PREV = 1        # covered status at the state's end (last absorbed)
T0 = 2          # start tick of the state's timeline
T1 = 3          # end tick of the state's timeline
NEDGE = 4       # number of transitions inside
FIRST_EDGE = 5  # tick of the first transition
LAST_EDGE = 6   # tick of the last transition
GAP_N = 7       # closed (interior) gaps: count, sum, max, and sum of squares in three parts
GAP_SUM = 8
GAP_MAX = 9
GAP_SQA = 10    # sum q^2 (q = whole seconds of the gap)
GAP_SQB = 11    # sum 2 q r (r = remaining microseconds)
GAP_SQC = 12    # sum r^2
ACC_N = 13      # closed (interior) accesses: count, sum, max
ACC_SUM = 14
ACC_MAX = 15
FIRST_COV = 16  # tick of the first covered instant (-1: none yet)
CNT_SUM = 17    # sum of satellites-in-view over samples before CNT_LAST
CNT_PREV = 18   # satellites in view since sample CNT_LAST (-1: no sample yet)
CNT_LAST = 19
CNT_MIN = 20
CNT_MAX = 21
I0 = 22         # first sample index of the state
IEND = 23       # one past the last sample index
DAY = 24        # within the Sun limits (1) or not (0) since DCHG: the daylight clock (add_day_edge)
DCHG = 25       # tick of the last daylight change (the state's start if none)
DCLK = 26       # daylight ticks from the state's start to DCHG
DFIRST = 27     # daylight clock at the first transition, at the last one
DLAST = 28
DGAP_N = 29     # closed (interior) gaps with daylight: count, sum and max of their daylight ticks
DGAP_SUM = 30
DGAP_MAX = 31
N_FIELDS = 32

_EMPTY = -1


def start(n_cells: int) -> np.ndarray:
    """An empty state for ``n_cells`` cells: int64 array ``(n_cells, N_FIELDS)``."""
    st = np.zeros((n_cells, N_FIELDS), np.int64)
    st[:, S0] = _EMPTY
    st[:, FIRST_EDGE] = -1
    st[:, LAST_EDGE] = -1
    st[:, FIRST_COV] = -1
    st[:, CNT_PREV] = -1
    return st


@njit(cache=CACHE, inline="always")
def _close_interval(st, c, covered, length):
    """Add a closed interior interval of ``length`` ticks with status ``covered`` to the statistics."""
    if covered:
        st[c, ACC_N] += 1
        st[c, ACC_SUM] += length
        if length > st[c, ACC_MAX]:
            st[c, ACC_MAX] = length
    else:
        st[c, GAP_N] += 1
        st[c, GAP_SUM] += length
        if length > st[c, GAP_MAX]:
            st[c, GAP_MAX] = length
        q = length // TICKS_PER_S
        r = length - q * TICKS_PER_S
        st[c, GAP_SQA] += q * q
        st[c, GAP_SQB] += 2 * q * r
        st[c, GAP_SQC] += r * r


@njit(cache=CACHE, inline="always")
def _close_day_gap(st, c, day_len, length):
    """A closed interior gap of ``length`` ticks with ``day_len`` ticks of daylight: a daylight gap unless it
    has no daylight (a gap of length 0 counts, as in the other gap statistics)."""
    if day_len > 0 or length == 0:
        st[c, DGAP_N] += 1
        st[c, DGAP_SUM] += day_len
        if day_len > st[c, DGAP_MAX]:
            st[c, DGAP_MAX] = day_len


@njit(cache=CACHE, inline="always")
def _day_clock(day, dchg, dclk, tick):
    """The daylight clock (ticks from the state's start) at ``tick``, not before the change preceding the last
    one: after a sunset at ``dchg`` the time from ``tick`` to it was daylight; after a sunrise, night."""
    if day == 1:
        return dclk + max(tick - dchg, 0)
    return dclk - max(dchg - tick, 0)


@njit(cache=CACHE, inline="always")
def set_day(st, c, day):
    """Cell ``c``'s timeline, just begun, opens within the Sun limits (``day`` 1) or not (0)."""
    st[c, DAY] = day


@njit(cache=CACHE, inline="always")
def add_day_edge(st, c, tick):
    """Cell ``c`` enters or leaves the Sun limits at ``tick`` (the daylight clock's sunrise or sunset)."""
    tick = max(tick, st[c, DCHG])
    if st[c, DAY] == 1:
        st[c, DCLK] += tick - st[c, DCHG]
        st[c, DAY] = 0
    else:
        st[c, DAY] = 1
    st[c, DCHG] = tick


@njit(cache=CACHE, inline="always")
def begin(st, c, t_tick, covered, i_sample):
    """Open cell ``c``'s timeline at ``t_tick`` with status ``covered`` (0/1); samples start at
    ``i_sample``.  Clears whatever the cell held."""
    for f in range(N_FIELDS):
        st[c, f] = 0
    st[c, S0] = covered
    st[c, PREV] = covered
    st[c, T0] = t_tick
    st[c, T1] = t_tick
    st[c, FIRST_EDGE] = -1
    st[c, LAST_EDGE] = -1
    st[c, FIRST_COV] = t_tick if covered else -1
    st[c, CNT_PREV] = -1
    st[c, CNT_LAST] = i_sample
    st[c, I0] = i_sample
    st[c, IEND] = i_sample
    st[c, DAY] = 1
    st[c, DCHG] = t_tick


@njit(cache=CACHE, inline="always")
def add_count(st, c, i_sample, count):
    """From sample ``i_sample`` on, ``count`` satellites are in view of cell ``c`` (call on changes only;
    the sum over samples is kept lazily and closed by :func:`finish` / :func:`combine`)."""
    prev = st[c, CNT_PREV]
    if prev < 0:
        st[c, CNT_MIN] = count
        st[c, CNT_MAX] = count
    else:
        st[c, CNT_SUM] += prev * (i_sample - st[c, CNT_LAST])
        if count < st[c, CNT_MIN]:
            st[c, CNT_MIN] = count
        if count > st[c, CNT_MAX]:
            st[c, CNT_MAX] = count
    st[c, CNT_PREV] = count
    st[c, CNT_LAST] = i_sample


@njit(cache=CACHE, inline="always")
def add_edge(st, c, edge_tick):
    """Cell ``c`` toggles covered/uncovered at ``edge_tick`` (not before the previous edge)."""
    prev = st[c, PREV]
    d = _day_clock(st[c, DAY], st[c, DCHG], st[c, DCLK], edge_tick)
    if st[c, NEDGE] == 0:
        st[c, FIRST_EDGE] = edge_tick
        st[c, DFIRST] = d
    else:
        _close_interval(st, c, prev, edge_tick - st[c, LAST_EDGE])
        if prev == 0:
            _close_day_gap(st, c, d - st[c, DLAST], edge_tick - st[c, LAST_EDGE])
    st[c, LAST_EDGE] = edge_tick
    st[c, DLAST] = d
    st[c, NEDGE] += 1
    now = 1 - prev
    st[c, PREV] = now
    if now == 1 and st[c, FIRST_COV] < 0:
        st[c, FIRST_COV] = edge_tick


@njit(cache=CACHE, inline="always")
def count_stats(st, c):
    """``(sum, min, max)`` of cell ``c``'s satellites-in-view statistics, as :func:`absorb_counts` left
    them: what a later block of the same timeline goes on from."""
    return st[c, CNT_SUM], st[c, CNT_MIN], st[c, CNT_MAX]


@njit(cache=CACHE, inline="always")
def absorb_counts(st, c, cnt_sum, cnt_last, cnt_min, cnt_max, t_end, i_end):
    """Absorb a block of samples' satellites-in-view statistics, kept by the caller per cell: ``cnt_sum``
    summed over the timeline's samples so far, ``cnt_last`` the count at its last sample, ``cnt_min`` and
    ``cnt_max``; the timeline now ends at tick ``t_end``, one before sample ``i_end``."""
    st[c, CNT_SUM] = cnt_sum
    st[c, CNT_PREV] = cnt_last
    st[c, CNT_LAST] = i_end
    st[c, CNT_MIN] = cnt_min
    st[c, CNT_MAX] = cnt_max
    st[c, T1] = t_end
    st[c, IEND] = i_end


@njit(cache=CACHE)
def absorb_samples(st, i0, t_ticks, counts, covered, edge_ticks):
    """Absorb a block of consecutive samples into ``st``.

    Parameters
    ----------
    st : int64 (n_cells, N_FIELDS)
    i0 : int
        Global index of the block's first sample.
    t_ticks : int64 (n_t,)
        Sample times (microsecond ticks from the window start).
    counts : integer (n_t, n_cells)
        Satellites in view.
    covered : integer/bool (n_t, n_cells)
        Coverage flags (e.g. ``counts >= min_sats``).
    edge_ticks : int64 (n_t, n_cells)
        Refined time of a transition between the previous sample and this one, or -1 for the on-sample
        rule (rise at this sample, set at the previous sample).

    A cell whose state is empty begins at the block's first sample.  A cell already begun continues from
    its last sample (its ``T1``).
    """
    n_t, n = counts.shape
    for c in range(n):
        t_prev = st[c, T1]
        for k in range(n_t):
            cov = 1 if covered[k, c] else 0
            if st[c, S0] < 0:
                begin(st, c, t_ticks[k], cov, i0 + k)
            elif cov != st[c, PREV]:
                e = edge_ticks[k, c]
                if e < 0:
                    e = t_ticks[k] if cov == 1 else t_prev
                add_edge(st, c, e)
            if counts[k, c] != st[c, CNT_PREV]:
                add_count(st, c, i0 + k, counts[k, c])
            t_prev = t_ticks[k]
        if n_t:
            st[c, T1] = t_ticks[n_t - 1]
            st[c, IEND] = i0 + n_t


@njit(cache=CACHE)
def begin_cells(st, t_tick, covered, i_sample):
    """:func:`begin` for every cell: timelines open at ``t_tick`` with status ``covered[c]``; the next
    sample absorbed is ``i_sample``.  Use it to start the state of a later chunk, whose first transition
    (between ``t_tick`` and its first sample) then lands in that chunk."""
    for c in range(st.shape[0]):
        begin(st, c, t_tick, 1 if covered[c] else 0, i_sample)


def combine(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Join the states of two adjacent stretches of time: ``right`` begins where ``left`` ends.

    Raises ValueError where the two do not meet (``left``'s end time and status must be ``right``'s
    start time and status).  Empty states are identities.
    """
    left = np.asarray(left)
    right = np.asarray(right)
    if left.shape != right.shape or left.ndim != 2 or left.shape[1] != N_FIELDS:
        raise ValueError(f"cannot combine states of shapes {left.shape} and {right.shape}")
    left = np.ascontiguousarray(left, dtype=np.int64)
    right = np.ascontiguousarray(right, dtype=np.int64)
    if _n_unmet(left, right):
        raise ValueError("states do not meet: left's end time/status must equal right's start time/status")
    out = np.empty_like(right)
    _combine_cells(left, right, out)
    return out


def combine_into(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """:func:`combine` written into ``left`` (int64, C-contiguous, ``(n, N_FIELDS)``), which is returned:
    the streaming driver's form, with no new allocation per chunk."""
    if left.shape != right.shape or left.ndim != 2 or left.shape[1] != N_FIELDS:
        raise ValueError(f"cannot combine states of shapes {left.shape} and {right.shape}")
    if _n_unmet(left, right):
        raise ValueError("states do not meet: left's end time/status must equal right's start time/status")
    _combine_cells(left, right, left)
    return left


@njit(cache=CACHE, nogil=True)
def _n_unmet(L, R):
    """Cells where both states are begun and left's end time/status is not right's start."""
    bad = 0
    for c in range(L.shape[0]):
        if L[c, S0] >= 0 and R[c, S0] >= 0 and (L[c, T1] != R[c, T0] or L[c, PREV] != R[c, S0]):
            bad += 1
    return bad


def _combine_cells(L: np.ndarray, R: np.ndarray, out: np.ndarray) -> None:
    """:func:`combine` cell by cell (the states are known to meet); ``out`` may be ``L``.  In blocks of
    4,096 cells on every thread."""
    n = L.shape[0]
    run_ranges(combine_blocks, (n + 4095) // 4096, L, R, out)


@njit(cache=CACHE, nogil=True)
def combine_blocks(b0, b1, L, R, out):
    """Blocks ``b0 .. b1 - 1`` of 4,096 cells of :func:`combine`."""
    n = L.shape[0]
    for b in range(b0, b1):
        _combine_block(L, R, out, b * 4096, min(n, (b + 1) * 4096))


@njit(cache=CACHE, nogil=True)
def _combine_block(L, R, out, c_lo, c_hi):
    lc = np.empty(N_FIELDS, np.int64)
    for c in range(c_lo, c_hi):
        if R[c, S0] < 0:
            for f in range(N_FIELDS):
                out[c, f] = L[c, f]
            continue
        for f in range(N_FIELDS):
            lc[f] = L[c, f]
        for f in range(N_FIELDS):
            out[c, f] = R[c, f]
        if lc[S0] < 0:
            continue
        out[c, S0] = lc[S0]
        out[c, T0] = lc[T0]
        out[c, I0] = lc[I0]
        # timeline: left's trailing interval and right's leading one are the same interval
        ln = lc[NEDGE] > 0
        rn = R[c, NEDGE] > 0
        out[c, NEDGE] = lc[NEDGE] + R[c, NEDGE]
        out[c, FIRST_EDGE] = lc[FIRST_EDGE] if ln else R[c, FIRST_EDGE]
        out[c, LAST_EDGE] = R[c, LAST_EDGE] if rn else lc[LAST_EDGE]
        for f in (GAP_N, GAP_SUM, GAP_SQA, GAP_SQB, GAP_SQC, ACC_N, ACC_SUM):
            out[c, f] = lc[f] + R[c, f]
        out[c, GAP_MAX] = max(lc[GAP_MAX], R[c, GAP_MAX])
        out[c, ACC_MAX] = max(lc[ACC_MAX], R[c, ACC_MAX])
        if ln and rn:  # the joined interval is interior: close it
            _close_interval(out, c, lc[PREV], R[c, FIRST_EDGE] - lc[LAST_EDGE])
        # daylight clock: right's clock goes on from left's at left's end
        ldt = _day_clock(lc[DAY], lc[DCHG], lc[DCLK], lc[T1])
        out[c, DCLK] = ldt + R[c, DCLK]
        out[c, DFIRST] = lc[DFIRST] if ln else ldt + R[c, DFIRST]
        out[c, DLAST] = ldt + R[c, DLAST] if rn else lc[DLAST]
        out[c, DGAP_N] = lc[DGAP_N] + R[c, DGAP_N]
        out[c, DGAP_SUM] = lc[DGAP_SUM] + R[c, DGAP_SUM]
        out[c, DGAP_MAX] = max(lc[DGAP_MAX], R[c, DGAP_MAX])
        if ln and rn and lc[PREV] == 0:
            _close_day_gap(out, c, ldt + R[c, DFIRST] - lc[DLAST], R[c, FIRST_EDGE] - lc[LAST_EDGE])
        out[c, FIRST_COV] = lc[FIRST_COV] if lc[FIRST_COV] >= 0 else R[c, FIRST_COV]
        # counts: close left's lazy sum and continue with right's
        lp = lc[CNT_PREV]
        ltot = lc[CNT_SUM] + (lp * (lc[IEND] - lc[CNT_LAST]) if lp >= 0 else 0)
        lhas = lp >= 0
        rhas = R[c, CNT_PREV] >= 0
        if rhas:
            out[c, CNT_SUM] = ltot + R[c, CNT_SUM]
            if lhas:
                out[c, CNT_MIN] = min(lc[CNT_MIN], R[c, CNT_MIN])
                out[c, CNT_MAX] = max(lc[CNT_MAX], R[c, CNT_MAX])
        else:
            out[c, CNT_SUM] = lc[CNT_SUM]
            out[c, CNT_PREV] = lc[CNT_PREV]
            out[c, CNT_LAST] = lc[CNT_LAST]
            out[c, CNT_MIN] = lc[CNT_MIN]
            out[c, CNT_MAX] = lc[CNT_MAX]


@njit(cache=CACHE)
def _close_many(st, covered, length):
    for c in range(st.shape[0]):
        _close_interval(st, c, covered[c], length[c])


FOM_NAMES = ("coverage_fraction", "coverage_time_s", "sats_in_view_min", "sats_in_view_mean",
             "sats_in_view_max", "revisit_max_s", "revisit_mean_s", "revisit_std_s", "gap_count",
             "time_average_gap_s", "response_mean_s", "response_max_s", "access_count",
             "access_duration_mean_s", "access_duration_max_s", "first_access_s")
#: Figures of merit measured on the daylight clock (module docs); :func:`finish` gives them too.
DAYLIGHT_FOM_NAMES = ("revisit_daylight_max_s", "revisit_daylight_mean_s")


def finish(st: np.ndarray, window_edges: str = "count") -> dict[str, np.ndarray]:
    """Figures of merit from a state that spans the whole analysis window.

    Returns a dict of float64 arrays (``gap_count`` and ``access_count`` int64) named as in
    :data:`FOM_NAMES`; the module docstring defines each and the window-edge rule.
    """
    if window_edges not in ("count", "exclude"):
        raise ValueError(f"window_edges must be 'count' or 'exclude', got {window_edges!r}")
    st = np.ascontiguousarray(st, dtype=np.int64)
    if st.ndim != 2 or st.shape[1] != N_FIELDS:
        raise ValueError(f"a state is (n_cells, {N_FIELDS}) int64, got shape {st.shape}")
    if np.any(st[:, S0] < 0):
        raise ValueError("finish() needs every cell's state to have begun (absorb at least one sample)")
    out_f = np.empty((len(_FLOAT_FOMS), st.shape[0]))
    out_i = np.empty((2, st.shape[0]), np.int64)
    _finish_cells(st, window_edges == "count", out_f, out_i)
    out = {name: out_f[j] for j, name in enumerate(_FLOAT_FOMS)}
    out["gap_count"], out["access_count"] = out_i[0], out_i[1]
    return {name: out[name] for name in FOM_NAMES + DAYLIGHT_FOM_NAMES}


_FLOAT_FOMS = tuple(n for n in FOM_NAMES if n not in ("gap_count", "access_count")) + DAYLIGHT_FOM_NAMES
_F = {name: j for j, name in enumerate(_FLOAT_FOMS)}
_F_FRAC, _F_COVT, _F_SMIN, _F_SMEAN, _F_SMAX = (_F["coverage_fraction"], _F["coverage_time_s"],
                                                _F["sats_in_view_min"], _F["sats_in_view_mean"],
                                                _F["sats_in_view_max"])
_F_RMAX, _F_RMEAN, _F_RSTD, _F_TAG = _F["revisit_max_s"], _F["revisit_mean_s"], _F["revisit_std_s"], \
    _F["time_average_gap_s"]
_F_RESPM, _F_RESPX, _F_ADM, _F_ADX, _F_FIRST = (_F["response_mean_s"], _F["response_max_s"],
                                                _F["access_duration_mean_s"], _F["access_duration_max_s"],
                                                _F["first_access_s"])
_F_DMAX, _F_DMEAN = _F["revisit_daylight_max_s"], _F["revisit_daylight_mean_s"]


@njit(cache=CACHE, nogil=True, error_model="numpy")
def _finish_cells(st, count_edges, out_f, out_i):
    """:func:`finish` cell by cell, one pass over the state's rows (``out_f``: the float figures in
    ``_FLOAT_FOMS`` order; ``out_i``: gap and access counts).  Each number is formed by the same
    operations in the same order as the vectorised definition (integer sums, then one float division
    each), so the values do not depend on how the cells are visited."""
    S = float(TICKS_PER_S)
    nan = np.nan
    for c in range(st.shape[0]):
        t_len = st[c, T1] - st[c, T0]
        T = float(t_len)
        has_edge = st[c, NEDGE] > 0
        # edge intervals: leading [T0, FIRST_EDGE] with status S0, trailing [LAST_EDGE, T1] with status
        # PREV; without edges one interval [T0, T1] that touches both ends
        lead = st[c, FIRST_EDGE] - st[c, T0] if has_edge else t_len
        trail = st[c, T1] - st[c, LAST_EDGE] if has_edge else 0
        lead_cov = st[c, S0] == 1
        trail_cov = has_edge and st[c, PREV] == 1
        lead_acc = lead if lead_cov else 0
        trail_acc = trail if trail_cov else 0
        acc_n = st[c, ACC_N] + (1 if lead_cov else 0) + (1 if trail_cov else 0)
        acc_sum = st[c, ACC_SUM] + lead_acc + trail_acc
        acc_max = max(st[c, ACC_MAX], max(lead_acc, trail_acc))
        gap_n, gap_sum, gap_max = st[c, GAP_N], st[c, GAP_SUM], st[c, GAP_MAX]
        sqa, sqb, sqc = st[c, GAP_SQA], st[c, GAP_SQB], st[c, GAP_SQC]
        d_tot = _day_clock(st[c, DAY], st[c, DCHG], st[c, DCLK], st[c, T1])
        dg_n, dg_sum, dg_max = st[c, DGAP_N], st[c, DGAP_SUM], st[c, DGAP_MAX]
        if count_edges:
            for e in range(2):  # the edge gaps on the daylight clock
                if e == 0:
                    use, length = not lead_cov, lead
                    d_len = st[c, DFIRST] if has_edge else d_tot
                else:
                    use, length = has_edge and st[c, PREV] != 1, trail
                    d_len = d_tot - st[c, DLAST]
                if use and (d_len > 0 or length == 0):
                    dg_n += 1
                    dg_sum += d_len
                    dg_max = max(dg_max, d_len)
            for e in range(2):
                if e == 0:
                    use, length = not lead_cov, lead
                else:
                    use, length = has_edge and st[c, PREV] != 1, trail
                L = length if use else 0
                gap_n += 1 if use else 0
                gap_sum += L
                gap_max = max(gap_max, L)
                q = L // TICKS_PER_S
                r = L - q * TICKS_PER_S
                sqa += q * q
                sqb += 2 * q * r
                sqc += r * r
        sumsq_s2 = float(sqa) + (float(sqb) + float(sqc) * 1e-6) * 1e-6
        has_gap = gap_n > 0
        ever = acc_n > 0
        out_f[_F_FRAC, c] = float(acc_sum) / T if T > 0 else float(st[c, S0])
        out_f[_F_COVT, c] = float(acc_sum) / S
        out_f[_F_SMIN, c] = float(st[c, CNT_MIN])
        prev = st[c, CNT_PREV]
        total = st[c, CNT_SUM] + (prev * (st[c, IEND] - st[c, CNT_LAST]) if prev >= 0 else 0)
        out_f[_F_SMEAN, c] = float(total) / float(max(st[c, IEND] - st[c, I0], 1))
        out_f[_F_SMAX, c] = float(st[c, CNT_MAX])
        if has_gap:
            mean_gap = float(gap_sum) / S / float(gap_n)
            var = sumsq_s2 / float(gap_n) - mean_gap * mean_gap
            out_f[_F_RMAX, c] = float(gap_max) / S
            out_f[_F_RMEAN, c] = mean_gap
            out_f[_F_RSTD, c] = np.sqrt(var if var > 0.0 else 0.0)
            tag = sumsq_s2 / (T / S) if T > 0 else nan
            out_f[_F_RESPX, c] = float(gap_max) / S
        else:
            out_f[_F_RMAX, c] = nan
            out_f[_F_RMEAN, c] = nan
            out_f[_F_RSTD, c] = nan
            tag = 0.0 if ever else nan
            out_f[_F_RESPX, c] = 0.0 if ever else nan
        out_f[_F_TAG, c] = tag
        out_f[_F_RESPM, c] = tag / 2.0
        out_f[_F_ADM, c] = float(acc_sum) / S / float(acc_n) if ever else nan
        out_f[_F_ADX, c] = float(acc_max) / S if ever else nan
        out_f[_F_FIRST, c] = float(st[c, FIRST_COV] - st[c, T0]) / S if st[c, FIRST_COV] >= 0 else nan
        out_f[_F_DMAX, c] = float(dg_max) / S if dg_n > 0 else nan
        out_f[_F_DMEAN, c] = float(dg_sum) / S / float(dg_n) if dg_n > 0 else nan
        out_i[0, c] = gap_n
        out_i[1, c] = acc_n


@njit(cache=CACHE, nogil=True)
def area_fraction(row_cov, row_w, total_w, out, i0):
    """Area-weighted covered fraction per output and sample: ``out[o, i0 + i] = sum_r row_cov[o, r, i]
    row_w[r] / total_w`` (covered cells per row times the row's cell weight), summed over rows in order, so a
    sample's value does not depend on which chunk it came in."""
    n_out, n_rows, n_t = row_cov.shape
    for o in range(n_out):
        for i in range(n_t):
            acc = 0.0
            for r in range(n_rows):
                acc += row_cov[o, r, i] * row_w[r]
            out[o, i0 + i] = acc / total_w
