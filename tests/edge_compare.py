"""The engine's refined coverage edges, one by one, for comparison with :mod:`edge_oracle` (shared by
``test_coverage_exact_edges.py`` and ``benchmarks/bench_edges.py``).

An edge between samples ``t[i-1]`` and ``t[i]`` depends only on those two samples (the refinement reads
no other), so the engine's value of an edge is read from a run over just those two samples: the first
access time of a rise, the covered time of a set.  ``test_coverage_exact_edges.py`` checks that the
edges read this way add up to the whole window's run.
"""

from __future__ import annotations

import numpy as np

from constellation.api import coverage
from constellation.grid import points


def engine_edge(sats, site, start: np.datetime64, step_s: float, tau_s: float, sign: int, **req) -> float | None:
    """The engine's edge (s from ``start``) for the true edge at ``tau_s`` (``sign`` +1 rise, -1 set), on
    the sample grid ``start + k step_s``; None where the engine sees no change of coverage over that
    step (an access shorter than the step, or two edges in one step)."""
    i = int(np.ceil(tau_s / step_s))
    a = (i - 1) * step_s
    ns = lambda x: np.timedelta64(int(round(x * 1e9)), "ns")  # noqa: E731
    times = np.array([start + ns(a), start + ns(a + step_s)], dtype="datetime64[ns]")
    ds = coverage(sats, times, points([site[0]], [site[1]], height_m=[site[2]]), positions="exact", **req)
    n_acc = int(ds["access_count"].values[0])
    cov = float(ds["coverage_time_s"].values[0])
    first = float(ds["first_access_s"].values[0])
    if sign > 0:
        if not (n_acc == 1 and first > 0.0):
            return None
        return a + first
    if not (n_acc == 1 and first == 0.0 and cov < step_s):
        return None
    return a + cov


def edge_errors(sats, sites, start: np.datetime64, t_end_s: float, step_s: float, *, scan_s: float = 1.0,
                true_edges: list | None = None, **req) -> tuple[np.ndarray, int]:
    """Engine minus true edge time (s) for every true edge of every site over ``[0, t_end_s]`` that the
    engine sees (see :func:`engine_edge`), and how many it did not.  ``true_edges``: the oracle's edges
    per site when already known."""
    from edge_oracle import coverage_edges

    errs, unseen = [], 0
    for q, site in enumerate(sites):
        edges = true_edges[q] if true_edges is not None else coverage_edges(sats, site, start, t_end_s,
                                                                             scan_s=scan_s, **req)
        times = [t for t, _ in edges]
        for t, sgn in edges:
            i = int(np.ceil(t / step_s))
            if t_end_s < i * step_s or sum((i - 1) * step_s < x <= i * step_s for x in times) > 1:
                unseen += 1
                continue
            got = engine_edge(sats, site, start, step_s, t, sgn, **req)
            if got is None:
                unseen += 1
            else:
                errs.append(got - t)
    return np.array(errs), unseen
