"""Property tests of the mergeable coverage reductions (constellation.kernels.reductions).

A random coverage timeline (satellites in view per sample, coverage flags, refined or on-sample edges)
absorbed in one pass must give exactly the same figures of merit as the same timeline split anywhere
into chunks, each absorbed on its own and joined with ``combine``; and ``combine`` is associative.
All state is integer, so "the same" means bit-identical (NaN where NaN).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from constellation.kernels import reductions as red


@st.composite
def timelines(draw):
    n_t = draw(st.integers(1, 30))
    n_c = draw(st.integers(1, 4))
    step_us = draw(st.integers(1, 120)) * 1_000_000 + draw(st.sampled_from([0, 250_000, 1]))
    counts = np.array(draw(st.lists(st.integers(0, 3), min_size=n_t * n_c, max_size=n_t * n_c)),
                      np.int64).reshape(n_t, n_c)
    min_sats = draw(st.integers(1, 2))
    fracs = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n_t * n_c, max_size=n_t * n_c))
                     ).reshape(n_t, n_c)
    refine = draw(st.booleans())
    t = np.arange(n_t, dtype=np.int64) * step_us
    edges = np.full((n_t, n_c), -1, np.int64)
    if refine and n_t > 1:
        edges[1:] = t[:-1, None] + np.round(fracs[1:] * step_us).astype(np.int64)
    return t, counts, counts >= min_sats, edges


def one_pass(t, counts, cov, edges):
    s = red.start(counts.shape[1])
    red.absorb_samples(s, 0, t, counts, cov, edges)
    return s


def chunk_state(t, counts, cov, edges, a, b):
    """State of samples [a, b): begins at sample a-1's time and status (the engine's chunk rule)."""
    s = red.start(counts.shape[1])
    if a > 0:
        red.begin_cells(s, t[a - 1], cov[a - 1], a)
    red.absorb_samples(s, a, t[a:b], counts[a:b], cov[a:b], edges[a:b])
    return s


def assert_foms_equal(x, y):
    for name in red.FOM_NAMES:
        np.testing.assert_array_equal(x[name], y[name], err_msg=name)


@settings(max_examples=300, deadline=None)
@given(timelines(), st.data())
def test_split_anywhere_equals_one_pass(tl, data):
    t, counts, cov, edges = tl
    n_t = t.size
    whole = one_pass(t, counts, cov, edges)
    cuts = sorted(set(data.draw(st.lists(st.integers(1, max(n_t - 1, 1)), max_size=4)))) if n_t > 1 else []
    bounds = [0, *cuts, n_t]
    parts = [chunk_state(t, counts, cov, edges, a, b) for a, b in zip(bounds[:-1], bounds[1:])]
    merged = parts[0]
    for p in parts[1:]:
        merged = red.combine(merged, p)
    for rule in ("count", "exclude"):
        assert_foms_equal(red.finish(merged, rule), red.finish(whole, rule))


@settings(max_examples=200, deadline=None)
@given(timelines(), st.data())
def test_combine_is_associative(tl, data):
    t, counts, cov, edges = tl
    n_t = t.size
    if n_t < 3:
        return
    i = data.draw(st.integers(1, n_t - 2))
    j = data.draw(st.integers(i + 1, n_t - 1))
    a = chunk_state(t, counts, cov, edges, 0, i)
    b = chunk_state(t, counts, cov, edges, i, j)
    c = chunk_state(t, counts, cov, edges, j, n_t)
    left, right = red.combine(red.combine(a, b), c), red.combine(a, red.combine(b, c))
    for rule in ("count", "exclude"):
        assert_foms_equal(red.finish(left, rule), red.finish(right, rule))


@settings(max_examples=200, deadline=None)
@given(timelines())
def test_gaps_and_accesses_tile_the_window(tl):
    """Accesses and (counted) gaps partition the window; sample statistics match numpy."""
    t, counts, cov, edges = tl
    f = red.finish(one_pass(t, counts, cov, edges), "count")
    T = (t[-1] - t[0]) / 1e6
    gap_total = np.nan_to_num(f["revisit_mean_s"]) * f["gap_count"]
    np.testing.assert_allclose(f["coverage_time_s"] + gap_total, T, atol=1e-6)
    np.testing.assert_array_equal(f["sats_in_view_max"], counts.max(0))
    np.testing.assert_array_equal(f["sats_in_view_min"], counts.min(0))
    np.testing.assert_allclose(f["sats_in_view_mean"], counts.mean(0), rtol=1e-14)
    starts = cov & ~np.vstack([np.zeros((1, cov.shape[1]), bool), cov[:-1]])
    np.testing.assert_array_equal(f["access_count"], starts.sum(0))


def test_empty_state_is_identity_and_mismatch_raises():
    t = np.array([0, 10_000_000], np.int64)
    counts = np.array([[1], [0]])
    s = one_pass(t, counts, counts >= 1, np.full((2, 1), -1, np.int64))
    np.testing.assert_array_equal(red.combine(red.start(1), s), s)
    np.testing.assert_array_equal(red.combine(s, red.start(1)), s)
    other = red.start(1)
    red.begin_cells(other, 99, np.array([True]), 2)
    try:
        red.combine(s, other)
    except ValueError as e:
        assert "do not meet" in str(e)
    else:
        raise AssertionError("combine of non-adjacent states must raise")
