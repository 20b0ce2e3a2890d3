"""Brute-force coverage oracle: test every satellite against every cell at every time step.

This is the reference the fast coverage engine is checked and benchmarked against.  At each sample time
it decides, for every (satellite, cell) pair, whether the satellite serves the cell, by the exact
geometric test, with no footprint bounding, no rasterisation and no interpolation:

* elevation: the satellite is at or above ``min_elevation_deg`` over the cell's local horizon, the plane
  normal to the WGS84 ellipsoid normal ``up`` at the cell.  With ``d = r_sat - r_cell`` (ITRS, km),
  ``sin(elevation) = (d . up) / |d|`` (Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed.,
  2013, section 4.4, topocentric horizon frame);
* optional nadir cone: the cell lies within ``half_angle_deg`` of the satellite's nadir direction:
  ``-r_sat`` (geocentric nadir, the default), i.e. ``(r_sat . d) >= |r_sat| |d| cos(half_angle)``, or
  ``-N`` (geodetic nadir), ``N`` the unit WGS84 ellipsoid normal at the satellite's geodetic sub-point
  (:func:`~.visibility.geodetic_up`), i.e. ``(N . d) >= |d| cos(half_angle)``.

A cell is covered at a step when at least ``min_sats`` satellites serve it.  Per cell it keeps counts
only (sample-based figures of merit, no edge refinement): covered steps, min / sum / max satellites in
view, longest run of uncovered steps, number of uncovered runs (gaps) and of covered runs (accesses),
and the first covered step.  State is carried between calls, so positions can be streamed over time
chunks and memory stays bounded.

Cells are shared among threads; each call processes time in blocks small enough that the block's
satellite positions stay in cache while every cell visits them.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from . import CACHE
from .parallel import run_ranges
from .visibility import CONE_GEODETIC, geodetic_up

__all__ = ["BruteForceState", "accumulate", "accumulate_cells", "COUNTERS"]

#: Rows of :attr:`BruteForceState.counters`.
COUNTERS = ("covered_steps", "n_min", "n_max", "n_sum", "run_gap", "max_gap_steps", "gap_count", "access_count",
            "first_step")
#: Time steps per block: 32 steps x 368 satellites x 24 bytes = 283 kB of positions, L2-sized.
#: Positions are laid out (step, xyz, satellite) so the loop over satellites reads contiguous memory.
BLOCK_STEPS = 32


@njit(cache=CACHE, inline="always")
def _serves(sx, sy, sz, gx, gy, gz, ux, uy, uz, sin_el, use_cone, cos_half):
    dx, dy, dz = sx - gx, sy - gy, sz - gz
    up = dx * ux + dy * uy + dz * uz
    dd = dx * dx + dy * dy + dz * dz
    if sin_el >= 0.0:
        if up < 0.0 or up * up < sin_el * sin_el * dd:
            return False
    elif up < sin_el * math.sqrt(dd):
        return False
    if use_cone == CONE_GEODETIC:
        nx, ny, nz = geodetic_up(sx, sy, sz)
        if nx * dx + ny * dy + nz * dz < cos_half * math.sqrt(dd):
            return False
    elif use_cone:
        rr = sx * sx + sy * sy + sz * sz
        if sx * dx + sy * dy + sz * dz < cos_half * math.sqrt(rr * dd):
            return False
    return True


@njit(cache=CACHE, inline="always")
def _count_simple(px, py, pz, gx, gy, gz, ux, uy, uz, s2):
    # elevation mask >= 0, no cone: branch-free so the loop over satellites vectorises (SIMD)
    k = 0
    for s in range(px.size):
        dx, dy, dz = px[s] - gx, py[s] - gy, pz[s] - gz
        upd = dx * ux + dy * uy + dz * uz
        k += (upd >= 0.0) & (upd * upd >= s2 * (dx * dx + dy * dy + dz * dz))
    return k


@njit(cache=CACHE, nogil=True)
def accumulate_cells(c0, c1, pos, cells, up, sin_el, use_cone, cos_half, min_sats, step0, counters, prev_covered):
    """Cells ``c0 .. c1 - 1`` of :func:`accumulate` for one block of steps: ``pos`` (n_t, 3, n_sat),
    C-contiguous (x, y, z rows); ``counters`` int64 (9, n_cell), rows as :data:`COUNTERS`, and
    ``prev_covered`` are updated in place."""
    n_t, n_sat = pos.shape[0], pos.shape[2]
    simple = sin_el >= 0.0 and not use_cone
    s2 = sin_el * sin_el
    covered_steps, n_min, n_max, n_sum = counters[0], counters[1], counters[2], counters[3]
    run_gap, max_gap, gap_count, access_count = counters[4], counters[5], counters[6], counters[7]
    first_step = counters[8]
    for c in range(c0, c1):
        gx, gy, gz = cells[c, 0], cells[c, 1], cells[c, 2]
        ux, uy, uz = up[c, 0], up[c, 1], up[c, 2]
        for t in range(n_t):
            if simple:
                k = _count_simple(pos[t, 0], pos[t, 1], pos[t, 2], gx, gy, gz, ux, uy, uz, s2)
            else:
                k = 0
                for s in range(n_sat):
                    if _serves(pos[t, 0, s], pos[t, 1, s], pos[t, 2, s], gx, gy, gz, ux, uy, uz,
                               sin_el, use_cone, cos_half):
                        k += 1
            n_sum[c] += k
            if k < n_min[c]:
                n_min[c] = k
            if k > n_max[c]:
                n_max[c] = k
            cov = k >= min_sats
            if cov:
                covered_steps[c] += 1
                if prev_covered[c] != 1:
                    access_count[c] += 1
                if first_step[c] < 0:
                    first_step[c] = step0 + t
                run_gap[c] = 0
                prev_covered[c] = 1
            else:
                if prev_covered[c] != 0:
                    gap_count[c] += 1
                run_gap[c] += 1
                if run_gap[c] > max_gap[c]:
                    max_gap[c] = run_gap[c]
                prev_covered[c] = 0


class BruteForceState:
    """Per-cell counters of the brute-force oracle, carried across time chunks.

    Parameters
    ----------
    cells_itrs_km, up : float64 (n_cell, 3)
        Cell positions (ITRS, km) and unit ellipsoid normals.
    min_elevation_deg : float
    half_angle_deg : float or None
        Nadir-cone half-angle; None for none.
    min_sats : int
    nadir : "geocentric" or "geodetic"
        The cone's axis.
    """

    def __init__(self, cells_itrs_km: np.ndarray, up: np.ndarray, min_elevation_deg: float = 10.0,
                 half_angle_deg: float | None = None, min_sats: int = 1, nadir: str = "geocentric"):
        if nadir not in ("geocentric", "geodetic"):
            raise ValueError(f"nadir must be 'geocentric' or 'geodetic', got {nadir!r}")
        self.cells = np.ascontiguousarray(cells_itrs_km, dtype=np.float64)
        self.up = np.ascontiguousarray(up, dtype=np.float64)
        n = self.cells.shape[0]
        self.sin_el = math.sin(math.radians(min_elevation_deg))
        self.use_cone = 0 if half_angle_deg is None else (CONE_GEODETIC if nadir == "geodetic" else 1)
        self.cos_half = math.cos(math.radians(half_angle_deg)) if half_angle_deg is not None else -1.0
        self.min_sats = int(min_sats)
        self.n_steps = 0
        self.counters = np.zeros((len(COUNTERS), n), np.int64)
        (self.covered_steps, self.n_min, self.n_max, self.n_sum, self.run_gap, self.max_gap_steps,
         self.gap_count, self.access_count, self.first_step) = self.counters
        self.n_min[:] = np.iinfo(np.int64).max
        self.first_step[:] = -1
        self.prev_covered = np.full(n, -1, np.int8)  # -1: before the first step

    def sats_in_view_mean(self) -> np.ndarray:
        return self.n_sum / max(self.n_steps, 1)

    def coverage_fraction(self) -> np.ndarray:
        """Covered samples over all samples (no edge refinement)."""
        return self.covered_steps / max(self.n_steps, 1)


def accumulate(state: BruteForceState, r_itrs_km: np.ndarray) -> None:
    """Add the steps of ``r_itrs_km`` (n_sat, n_t, 3), ITRS km, the next consecutive times, to ``state``.

    NaN positions (failed propagation) serve nothing.
    """
    n_t = r_itrs_km.shape[1]
    for b in range(0, n_t, BLOCK_STEPS):
        block = np.ascontiguousarray(np.transpose(r_itrs_km[:, b:b + BLOCK_STEPS], (1, 2, 0)))
        run_ranges(accumulate_cells, state.cells.shape[0], block, state.cells, state.up, state.sin_el,
                   state.use_cone, state.cos_half, state.min_sats, state.n_steps, state.counters,
                   state.prev_covered, tasks_per_thread=4)
        state.n_steps += block.shape[0]
