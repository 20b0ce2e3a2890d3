"""What a Sun limit costs: the default coverage day with and without ``min_sun_elevation_deg``.

Cases (all Jinan-368 on the 1 deg global grid, one day at 30 s, every figure of merit, propagation and
edge refinement included, kernels warm):

* the default day (10 deg mask) against the same day with the Sun at least 10 deg above each cell;
* the ``eo`` group with its imaging requirement (30 deg nadir cone, 10 deg mask) without and with the
  same daylight limit (what ``constellation coverage --per-group`` now runs for that group);
* the default day with its edges refined (the default) against the same day with ``refine_edges=False``:
  what the exact edges cost, as a ratio.

The runs alternate (plain, Sun, plain, Sun, ...) in one process after a warm-up of each, so both see the
same machine load; the table gives the median of ``--repeats`` runs of each and the ratio of the medians,
against the target of 1.3x.  The Sun directions themselves (Skyfield at hourly nodes, then numpy) are
timed separately.

Run:   uv run python benchmarks/bench_sun.py [--repeats 7] [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--repeats", type=int, default=7, help="timed runs of each case (median; default 7)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 2 h on a 4 deg grid, 2 repeats")
    args = ap.parse_args()

    import numba

    import constellation as C
    from constellation.sun import sun_directions_itrs

    duration, res = ("2h", 4.0) if args.quick else ("1d", 1.0)
    repeats = 2 if args.quick else args.repeats
    plan = C.jinan368()
    times = C.time_range("2026-01-01", duration=duration, step_s=30)
    grid = C.grid.global_grid(res)
    cases = [("default day, 10 deg mask", plan, dict(min_elevation_deg=10.0)),
             ("eo group, 30 deg cone", plan.select(group="eo"), dict(min_elevation_deg=10.0, half_angle_deg=30.0))]
    print(f"# bench_sun: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, numba "
          f"{numba.__version__}, numba threads {numba.config.NUMBA_NUM_THREADS}; Jinan-368, {duration} at 30 s, "
          f"{res:g} deg grid ({grid.n_cells} cells), median of {repeats}")
    print()
    print("| case | without Sun limit | Sun >= 10 deg | ratio | target |")
    print("|---|---:|---:|---:|---:|")
    for label, sats, req in cases:
        C.coverage(sats, times, grid, **req)
        C.coverage(sats, times, grid, min_sun_elevation_deg=10.0, **req)  # warm-ups (and any compiling)
        plain, sun = [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            C.coverage(sats, times, grid, **req)
            plain.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            C.coverage(sats, times, grid, min_sun_elevation_deg=10.0, **req)
            sun.append(time.perf_counter() - t0)
        a, b = float(np.median(plain)), float(np.median(sun))
        print(f"| {label} | {a:.3f} s | {b:.3f} s | {b / a:.2f}x | 1.3x |")
    # what the exact edges cost: the default day with edges refined (the default) and on the samples
    req = cases[0][2]
    C.coverage(plan, times, grid, refine_edges=False, **req)
    on, off = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        C.coverage(plan, times, grid, **req)
        on.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        C.coverage(plan, times, grid, refine_edges=False, **req)
        off.append(time.perf_counter() - t0)
    a, b = float(np.median(on)), float(np.median(off))
    print()
    print(f"Default day with refined edges {a:.3f} s, with edges on the samples {b:.3f} s: refinement "
          f"{a / b:.2f}x")
    sun_directions_itrs(times)
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        sun_directions_itrs(times)
        ts.append(time.perf_counter() - t0)
    print()
    print(f"Sun directions for the {times.size} samples (part of the Sun runs above): "
          f"{1000 * float(np.median(ts)):.1f} ms")


if __name__ == "__main__":
    main()
