"""Daylight revisit (``revisit_daylight_max_s`` / ``_mean_s``) against an independent oracle on Skyfield.

The oracle (``edge_oracle.py``: Skyfield SGP4 and frames, the apparent Sun from JPL DE421, bisection to 1 ms)
gives each site's covered intervals and its intervals within the Sun limit; a gap's daylight time is its
overlap with the latter.  The engine runs at 60 s steps with its own propagation and Sun.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from edge_oracle import _intervals, _site, _sun_margin, coverage_edges
from helpers import random_sats

from constellation import time_range
from constellation.api import Requirement, coverage
from constellation.grid import points

START = np.datetime64("2026-03-20T00:00:00", "ns")
TOL_S = 0.2  # a gap's two ends, each within the engine's 0.1 s edge tolerance (measured: 2 ms)


def _oracle_daylight_gaps(sats, site, t_end, min_el, min_sun):
    edges = coverage_edges(sats, site, START, t_end, min_elevation_deg=min_el, min_sun_elevation_deg=min_sun,
                           scan_s=10.0)
    _, u = _site(*site)
    lo = math.sin(math.radians(min_sun))
    day = _intervals(lambda x: _sun_margin(START, x, u, lo, 2.0), t_end, 60.0, 1e-3)
    covered0 = bool(edges) and edges[0][1] == -1
    bounds = [0.0] + [t for t, _ in edges] + [t_end]
    gaps = []
    cov = covered0
    for a, b in zip(bounds[:-1], bounds[1:]):
        if not cov:
            gaps.append((a, b))
        cov = not cov
    out = []
    for a, b in gaps:  # window_edges="count": gaps at the window's ends count
        d = sum(max(0.0, min(b, y) - max(a, x)) for x, y in day)
        if d > 0.0 or b == a:
            out.append(d)
    return np.array(out)


@pytest.mark.parametrize("seed", [3, 11])
def test_daylight_revisit_against_skyfield_oracle(seed):
    rng = np.random.default_rng(seed)
    sats = random_sats(seed, ("polar",), n_each=2)
    lat = rng.uniform(-55, 55, 2)
    lon = rng.uniform(-180, 180, 2)
    sites = [(float(a), float(b), 0.0) for a, b in zip(lat, lon)]
    times = time_range(START, duration="24h", step_s=60)
    t_end = float((times[-1] - times[0]) / np.timedelta64(1, "ns")) / 1e9
    ds = coverage(sats, times, points(lat, lon), min_elevation_deg=10.0, min_sun_elevation_deg=10.0)
    n_checked = 0
    for i, site in enumerate(sites):
        gaps = _oracle_daylight_gaps(sats, site, t_end, 10.0, 10.0)
        got_max = float(ds["revisit_daylight_max_s"].values[i])
        got_mean = float(ds["revisit_daylight_mean_s"].values[i])
        if gaps.size == 0:
            assert math.isnan(got_max) and math.isnan(got_mean)
            continue
        n_checked += 1
        assert got_max == pytest.approx(gaps.max(), abs=TOL_S)
        assert got_mean == pytest.approx(gaps.mean(), abs=TOL_S)
        # nights do not count: shorter than the plain revisit, which spans the night
        assert got_max <= float(ds["revisit_max_s"].values[i]) + 1e-6
    assert n_checked >= 1


def test_without_a_real_sun_limit_the_daylight_revisit_is_the_revisit():
    """A limit of -90 deg always holds: the figures equal revisit_max_s / revisit_mean_s bit for bit, per
    service and for "any", under both window-edge rules."""
    sats = random_sats(5, ("leo", "polar"), n_each=3, group_of={"leo": "eo", "polar": "nav"})
    times = time_range(START, duration="6h", step_s=60)
    grid = __import__("constellation").grid.region((-60, 60), (60, 150), 10.0)
    reqs = {"eo": Requirement(10.0, None, min_sun_elevation_deg=-90.0), "nav": Requirement(5.0, None, 1)}
    for rule in ("count", "exclude"):
        ds = coverage(sats, times, grid, requirements=reqs, window_edges=rule)
        for a, b in (("revisit_max_s", "revisit_daylight_max_s"), ("revisit_mean_s", "revisit_daylight_mean_s")):
            np.testing.assert_array_equal(ds[a].values, ds[b].values)
        assert np.isfinite(ds["revisit_max_s"].values).any()
    plain = coverage(sats, times, grid, min_elevation_deg=10.0)
    assert "revisit_daylight_max_s" not in plain  # only with a Sun limit


def test_daylight_revisit_with_a_sun_limit_skips_the_nights():
    """At 10 deg a single sun-synchronous satellite leaves nights out of every gap: the daylight maximum is at
    most the longest daylight span, far below the plain revisit that spans the night."""
    from constellation.design import sun_synchronous

    sats = sun_synchronous(700.0, 1, 1, 10.5, "2026-03-20")
    times = time_range(START, duration="2d", step_s=60)
    grid = points([36.65], [117.0])
    ds = coverage(sats, times, grid, min_elevation_deg=10.0, min_sun_elevation_deg=10.0)
    plain_max = float(ds["revisit_max_s"].values[0])
    day_max = float(ds["revisit_daylight_max_s"].values[0])
    assert day_max < plain_max - 6 * 3600
    assert day_max <= 12 * 3600  # less than one day's time with the Sun above 10 deg at the equinox


def _daylight_state(events, cov0, day0, t0, t1):
    """One cell's state from ``events`` (time-ordered ``(tick, kind)``, kind "c" a coverage toggle, "d" a
    daylight toggle) over ``[t0, t1]``."""
    from constellation.kernels import reductions as red

    s = red.start(1)
    red.begin(s, 0, t0, cov0, 0)
    red.set_day(s, 0, day0)
    for tick, kind in events:
        if kind == "d":
            red.add_day_edge(s, 0, tick)
        else:
            red.add_edge(s, 0, tick)
    s[0, red.T1] = t1
    return s


@pytest.mark.parametrize("seed", range(25))
def test_reduction_daylight_gaps_against_interval_overlap_and_any_split(seed):
    """The reduction's daylight gaps against a direct computation (each gap's overlap with the daylight
    intervals), and the state split at any event and joined with ``combine`` gives the same numbers bit for
    bit."""
    from constellation.kernels import reductions as red

    rng = np.random.default_rng(seed)
    T = 86_400_000_000
    cov_t = np.sort(rng.choice(T, rng.integers(0, 12), replace=False))
    day_t = np.sort(rng.choice(T, rng.integers(0, 6), replace=False))
    cov0, day0 = int(rng.integers(0, 2)), int(rng.integers(0, 2))
    events = sorted([(int(x), "c") for x in cov_t] + [(int(x), "d") for x in day_t], key=lambda e: (e[0], e[1] != "d"))
    for rule in ("count", "exclude"):
        got = red.finish(_daylight_state(events, cov0, day0, 0, T), rule)
        # direct: the uncovered intervals and their overlap with the daylight intervals
        b = [0] + [int(x) for x in cov_t] + [T]
        gaps = [(b[k], b[k + 1], k == 0 or k == len(b) - 2) for k in range(len(b) - 1) if (k + cov0) % 2 == 0]
        d = [0] + [int(x) for x in day_t] + [T]
        days = [(d[k], d[k + 1]) for k in range(len(d) - 1) if (k + 1 - day0) % 2 == 0]
        counted = [(lo, hi) for lo, hi, edge in gaps if not (edge and rule == "exclude")]
        lens = [sum(max(0, min(hi, y) - max(lo, x)) for x, y in days) for lo, hi in counted]
        lens = [x for x, (lo, hi) in zip(lens, counted) if x > 0 or hi == lo]
        if lens:
            assert got["revisit_daylight_max_s"][0] == max(lens) / 1e6
            assert got["revisit_daylight_mean_s"][0] == pytest.approx(sum(lens) / 1e6 / len(lens), rel=1e-15)
        else:
            assert np.isnan(got["revisit_daylight_max_s"][0]) and np.isnan(got["revisit_daylight_mean_s"][0])
        for cut in range(len(events) + 1):  # split after `cut` events, at a tick between them
            lo_t = events[cut - 1][0] if cut else 0
            hi_t = events[cut][0] if cut < len(events) else T
            split = (lo_t + hi_t) // 2
            left = _daylight_state(events[:cut], cov0, day0, 0, split)
            c_now = (cov0 + sum(1 for e in events[:cut] if e[1] == "c")) % 2
            d_now = (day0 + sum(1 for e in events[:cut] if e[1] == "d")) % 2
            right = _daylight_state(events[cut:], c_now, d_now, split, T)
            joined = red.finish(red.combine(left, right), rule)
            for name in red.FOM_NAMES + red.DAYLIGHT_FOM_NAMES:
                np.testing.assert_array_equal(joined[name], got[name], err_msg=f"{name} cut {cut}")
