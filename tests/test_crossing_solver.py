"""The edge-refinement root finders (``kernels.visibility``) against bisection run to convergence on the same
model: the satellite's bent chord between two samples, and the Sun's normalised chord."""

from __future__ import annotations

import math

import numpy as np
from helpers import make_sat, random_sats

from constellation import time_range
from constellation.kernels.visibility import (
    CROSSING_TOL_S,
    chord_bend,
    crossing_time_fraction,
    margin,
    sun_crossing_fraction,
    sun_margin,
)
from constellation.propagation import itrs_chunks
from constellation.sun import sun_directions_itrs


def _cells(n, rng):
    """Points on the WGS84 ellipsoid with their unit normals (ITRS km), uniform over the sphere."""
    lat = np.arcsin(rng.uniform(-1.0, 1.0, n))
    lon = rng.uniform(-math.pi, math.pi, n)
    f = 1.0 / 298.257223563
    e2 = f * (2.0 - f)
    nu = 6378.137 / np.sqrt(1.0 - e2 * np.sin(lat) ** 2)
    u = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], 1)
    p = np.stack([nu * u[:, 0], nu * u[:, 1], nu * (1.0 - e2) * u[:, 2]], 1)
    return p, u


def _bisect(g, g0):
    a, b = 0.0, 1.0
    for _ in range(60):
        m = 0.5 * (a + b)
        if (g(m) < 0.0) == (g0 < 0.0):
            a = m
        else:
            b = m
    return 0.5 * (a + b)


def test_satellite_crossings_within_1_ms_of_bisection():
    """Rises and sets of LEO satellites (10 deg mask, and a 30 deg cone) over random points at 30 and 60 s
    steps: the inverse quadratic interpolation's time within CROSSING_TOL_S (1 ms) of bisection on the same
    interpolated positions, with a few margin evaluations."""
    rng = np.random.default_rng(7)
    sats = random_sats(3, ("leo",), n_each=4)
    cells_p, cells_u = _cells(60, rng)
    checked = 0
    for step_s in (30.0, 60.0):
        times = time_range("2026-03-20", duration="3h", step_s=step_s)
        pos = np.concatenate([r for _, r, _ in itrs_chunks(sats, times)], axis=1)  # (sat, time, 3)
        for sin_el, cone, cos_half in ((math.sin(math.radians(10.0)), False, -1.0),
                                       (0.0, True, math.cos(math.radians(30.0)))):
            worst = 0.0
            for s in range(pos.shape[0]):
                for c in range(cells_p.shape[0]):
                    args = (*cells_p[c], *cells_u[c], sin_el, cone, cos_half)
                    m = np.array([margin(*pos[s, t], *args) for t in range(pos.shape[1])])
                    for t in np.flatnonzero((m[:-1] < 0.0) != (m[1:] < 0.0)):
                        p0, p1 = pos[s, t], pos[s, t + 1]
                        f = crossing_time_fraction(p0, p1, step_s, *args)
                        cx, cy, cz = chord_bend(p0, p1, step_s)

                        def g(u, p0=p0, p1=p1, cx=cx, cy=cy, cz=cz, args=args):
                            w = u * (1.0 - u)
                            return margin(*((1.0 - u) * p0 + u * p1 - w * np.array([cx, cy, cz])), *args)

                        worst = max(worst, abs(f - _bisect(g, m[t])) * step_s)
                        checked += 1
            assert worst <= CROSSING_TOL_S, (step_s, cone, worst)
    assert checked >= 50, checked


def test_sun_crossings_match_bisection():
    """Sun limits (>= 10 deg, <= -6 deg, a 5-40 deg band) over random points at 60 and 120 s steps: the closed
    form within 1e-5 s of bisection on the normalised chord of the Sun vectors."""
    rng = np.random.default_rng(3)
    _, cells_u = _cells(100, rng)
    checked = 0
    for step_s in (60.0, 120.0):
        sun = sun_directions_itrs(time_range("2026-03-20", duration="1d", step_s=step_s))
        for lo, hi in ((math.sin(math.radians(10.0)), 2.0), (-2.0, math.sin(math.radians(-6.0))),
                       (math.sin(math.radians(5.0)), math.sin(math.radians(40.0)))):
            for u in cells_u:
                m = np.array([sun_margin(*s, *u, lo, hi) for s in sun])
                for t in np.flatnonzero((m[:-1] < 0.0) != (m[1:] < 0.0)):
                    s0, s1 = sun[t], sun[t + 1]
                    f = sun_crossing_fraction(s0, s1, *u, lo, hi)

                    def g(v, s0=s0, s1=s1, u=u, lo=lo, hi=hi):
                        d = (1.0 - v) * s0 + v * s1
                        return sun_margin(*(d / np.linalg.norm(d)), *u, lo, hi)

                    assert abs(f - _bisect(g, m[t])) * step_s <= 1e-5
                    checked += 1
    assert checked >= 150, checked


def test_no_bracket_gives_minus_one():
    """Margins of one sign at both samples: no crossing (-1), for the satellite and the Sun."""
    sat = make_sat(1, 6378.137 + 550.0, 0.001, 53.0, 40.0, 0.0, 0.0)
    times = time_range("2026-03-20", duration="2m", step_s=60.0)
    pos = np.concatenate([r for _, r, _ in itrs_chunks([sat], times)], axis=1)[0]
    far = (-pos[0] / np.linalg.norm(pos[0])) * 6378.137  # the antipode of the sub-satellite point
    assert crossing_time_fraction(pos[0], pos[1], 60.0, *far, *(far / 6378.137), 0.0, False, -1.0) == -1.0
    s = np.array([1.0, 0.0, 0.0])
    assert sun_crossing_fraction(s, s, 1.0, 0.0, 0.0, 0.0, 2.0) == -1.0
