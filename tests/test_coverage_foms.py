"""Each figure of merit on hand-built coverage timelines with known answers, and the Dataset's figures
against a slow reference computed from brute-force counts."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import START, oracle_counts, random_sats

from constellation import time_range
from constellation.api import coverage
from constellation.grid import points
from constellation.kernels import reductions as red

MIN = 60.0


def run(covered_minutes, counts=None, edges=None, n_min=60):
    """One cell, samples every minute over ``n_min`` minutes; covered at the listed sample minutes."""
    t = np.arange(n_min + 1, dtype=np.int64) * 60_000_000
    cov = np.zeros((n_min + 1, 1), bool)
    cov[list(covered_minutes), 0] = True
    cnt = cov.astype(np.int64) if counts is None else np.asarray(counts, np.int64).reshape(-1, 1)
    e = np.full((n_min + 1, 1), -1, np.int64) if edges is None else edges
    s = red.start(1)
    red.absorb_samples(s, 0, t, cnt, cov, e)
    return {rule: {k: v[0] for k, v in red.finish(s, rule).items()} for rule in ("count", "exclude")}


def test_two_accesses_in_an_hour():
    """Covered 10-20 and 40-50 min of a 60 min window (samples every minute, on-sample edges)."""
    f = run(list(range(10, 21)) + list(range(40, 51)))
    c, x = f["count"], f["exclude"]
    assert c["coverage_fraction"] == pytest.approx(1 / 3, abs=1e-15)
    assert c["coverage_time_s"] == 20 * MIN
    assert c["gap_count"] == 3  # 10, 20, 10 min
    assert c["revisit_max_s"] == 20 * MIN
    assert c["revisit_mean_s"] == pytest.approx(40 / 3 * MIN, rel=1e-15)
    assert c["revisit_std_s"] == pytest.approx(math.sqrt(((10 - 40 / 3) ** 2 * 2 + (20 - 40 / 3) ** 2) / 3) * MIN,
                                               rel=1e-12)
    assert c["time_average_gap_s"] == pytest.approx((100 + 400 + 100) / 60 * MIN, rel=1e-15)
    assert c["response_mean_s"] == pytest.approx((100 + 400 + 100) / 120 * MIN, rel=1e-15)
    assert c["response_max_s"] == 20 * MIN
    assert c["access_count"] == 2
    assert c["access_duration_mean_s"] == 10 * MIN and c["access_duration_max_s"] == 10 * MIN
    assert c["first_access_s"] == 10 * MIN
    assert c["sats_in_view_max"] == 1 and c["sats_in_view_min"] == 0
    assert c["sats_in_view_mean"] == pytest.approx(22 / 61, rel=1e-15)
    # "exclude": only the interior 20 min gap is a gap; accesses and coverage unchanged
    assert x["gap_count"] == 1 and x["revisit_max_s"] == 20 * MIN and x["revisit_mean_s"] == 20 * MIN
    assert x["revisit_std_s"] == 0.0
    assert x["time_average_gap_s"] == pytest.approx(400 / 60 * MIN, rel=1e-15)
    assert x["response_mean_s"] == pytest.approx(400 / 120 * MIN, rel=1e-15)
    assert x["coverage_fraction"] == c["coverage_fraction"] and x["access_count"] == 2


def test_never_and_always_covered():
    never = run([])
    c, x = never["count"], never["exclude"]
    assert c["coverage_fraction"] == 0 and c["gap_count"] == 1 and c["revisit_max_s"] == 60 * MIN
    assert c["time_average_gap_s"] == 60 * MIN and c["response_mean_s"] == 30 * MIN
    assert c["access_count"] == 0
    assert np.isnan([c["first_access_s"], c["access_duration_mean_s"], c["access_duration_max_s"]]).all()
    assert x["gap_count"] == 0
    assert np.isnan([x["revisit_max_s"], x["revisit_mean_s"], x["revisit_std_s"], x["time_average_gap_s"],
                     x["response_mean_s"], x["response_max_s"]]).all()
    always = run(range(61), counts=[2] * 30 + [3] * 31)
    for a in always.values():
        assert a["coverage_fraction"] == 1 and a["gap_count"] == 0 and np.isnan(a["revisit_max_s"])
        assert a["time_average_gap_s"] == 0 and a["response_mean_s"] == 0 and a["response_max_s"] == 0
        assert a["access_count"] == 1 and a["access_duration_max_s"] == 60 * MIN and a["first_access_s"] == 0
        assert a["sats_in_view_min"] == 2 and a["sats_in_view_max"] == 3
        assert a["sats_in_view_mean"] == pytest.approx((2 * 30 + 3 * 31) / 61, rel=1e-15)


def test_edge_gaps_excluded_and_access_truncated_at_window_end():
    """Covered from 50 min to the end: the access is truncated at 60 min; the leading gap touches the start."""
    f = run(range(50, 61))
    assert f["count"]["access_duration_max_s"] == 10 * MIN and f["count"]["access_count"] == 1
    assert f["count"]["gap_count"] == 1 and f["count"]["revisit_max_s"] == 50 * MIN
    assert f["exclude"]["gap_count"] == 0
    assert f["count"]["first_access_s"] == 50 * MIN


def test_refined_edges_move_transitions_between_samples():
    """Rise at 9 min 30 s (between samples 9 and 10), set at 20 min 15 s (between 20 and 21)."""
    e = np.full((61, 1), -1, np.int64)
    e[10, 0] = int((9 * 60 + 30) * 1e6)
    e[21, 0] = int((20 * 60 + 15) * 1e6)
    f = run(range(10, 21), edges=e)["count"]
    assert f["first_access_s"] == 9 * 60 + 30
    assert f["coverage_time_s"] == 10 * 60 + 45
    assert f["revisit_max_s"] == 60 * MIN - (20 * 60 + 15)
    assert f["time_average_gap_s"] == pytest.approx(((9.5 * 60) ** 2 + (39.75 * 60) ** 2) / 3600, rel=1e-14)


def reference_foms(counts, step_s, min_sats=1):
    """Slow reference of the on-sample definitions for one cell's count series."""
    cov = counts >= min_sats
    n = cov.size
    T = (n - 1) * step_s
    accesses, gaps = [], []
    i = 0
    while i < n:
        j = i
        while j + 1 < n and cov[j + 1] == cov[i]:
            j += 1
        # on-sample rule: an access spans its covered samples; a gap the time between accesses
        a = i * step_s if (cov[i] or i == 0) else (i - 1) * step_s
        b = j * step_s if (cov[i] or j == n - 1) else (j + 1) * step_s
        (accesses if cov[i] else gaps).append((a, b, i == 0 or j == n - 1))
        i = j + 1
    g = np.array([b - a for a, b, _ in gaps])
    return dict(coverage_time_s=sum(b - a for a, b, _ in accesses), access_count=len(accesses),
                gap_count=len(gaps), revisit_max_s=g.max() if g.size else np.nan,
                time_average_gap_s=(g ** 2).sum() / T if g.size else 0.0)


def test_dataset_figures_match_reference_on_points():
    sats = random_sats(21, ("leo",), n_each=3)
    times = time_range(START, duration="12h", step_s=60)
    grid = points([10.0, 45.0, -60.0, 80.0], [0.0, 100.0, -70.0, 20.0])
    ds = coverage(sats, times, grid, min_elevation_deg=10.0, refine_edges=False)
    counts = oracle_counts(sats, times, grid, 10.0)
    for c in range(grid.n_cells):
        ref = reference_foms(counts[:, c], 60.0)
        for k, v in ref.items():
            np.testing.assert_allclose(ds[k].values[c], v, rtol=1e-12, err_msg=f"cell {c} {k}")
    assert (ds["access_count"].values > 0).all()


def test_dataset_attrs_name_stk_figures_and_rules():
    sats = random_sats(2, ("leo",), n_each=2)
    ds = coverage(sats, time_range(START, duration="1h", step_s=300), points([0.0], [0.0]))
    for name in red.FOM_NAMES:
        assert ds[name].attrs["stk_name"] and ds[name].attrs["units"] and ds[name].attrs["long_name"]
    assert ds.attrs["window_edges"] == "count" and "optimistic" not in ds.attrs["window_edges_rule"]
    assert ds.attrs["Conventions"] == "CF-1.10" and "half_angle_deg" not in ds.attrs
    assert ds["gap_count"].dtype == np.int64 and ds["coverage_fraction"].dtype == np.float64
