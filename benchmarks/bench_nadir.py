"""What a geodetic-nadir cone costs: the ``eo`` group's imaging cone about the geocentric and the geodetic
nadir.

Cases (Jinan-368's ``eo`` group on the 1 deg global grid, one day at 30 s, every figure of merit,
propagation and edge refinement included, kernels warm): a 30 deg cone above a 10 deg mask (the
group's imaging requirement) and a 45 deg cone above a 0 deg mask, each with ``nadir="geocentric"`` (the
default: rows walked as one arc, or the analytic arc ends) and ``nadir="geodetic"`` (every cell the
widened cap reaches is tested, the axis computed from the position at each test).

The runs alternate (geocentric, geodetic, ...) in one process after a warm-up of each, so both see the
same machine load; the table gives the median of ``--repeats`` runs of each and the ratio of the medians.

Run:   uv run python benchmarks/bench_nadir.py [--repeats 5] [--duration 1d] [--grid-deg 1] [--quick]
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
    ap.add_argument("--repeats", type=int, default=5, help="timed runs of each case (median; default 5)")
    ap.add_argument("--duration", default="1d", help="window (default 1d)")
    ap.add_argument("--grid-deg", type=float, default=1.0, help="grid spacing (default 1 deg)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 2 h on a 4 deg grid, 2 repeats")
    args = ap.parse_args()

    import numba

    import constellation as C

    duration, res = ("2h", 4.0) if args.quick else (args.duration, args.grid_deg)
    repeats = 2 if args.quick else args.repeats
    sats = C.jinan368().select(group="eo")
    times = C.time_range("2026-01-01", duration=duration, step_s=30)
    grid = C.grid.global_grid(res)
    cases = [("30 deg cone, 10 deg mask", dict(min_elevation_deg=10.0, half_angle_deg=30.0)),
             ("45 deg cone, 0 deg mask", dict(min_elevation_deg=0.0, half_angle_deg=45.0))]
    print(f"# bench_nadir: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, numba "
          f"{numba.__version__}, numba threads {numba.config.NUMBA_NUM_THREADS}; Jinan-368 eo group "
          f"({len(sats)} satellites), {duration} at 30 s, {res:g} deg grid ({grid.n_cells} cells), median of "
          f"{repeats}")
    print()
    print("| case | geocentric nadir | geodetic nadir | ratio |")
    print("|---|---:|---:|---:|")
    for label, req in cases:
        C.coverage(sats, times, grid, **req)
        C.coverage(sats, times, grid, nadir="geodetic", **req)  # warm-ups (and any compiling)
        gc, gd = [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            C.coverage(sats, times, grid, **req)
            gc.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            C.coverage(sats, times, grid, nadir="geodetic", **req)
            gd.append(time.perf_counter() - t0)
        a, b = float(np.median(gc)), float(np.median(gd))
        print(f"| {label} | {a:.3f} s | {b:.3f} s | {b / a:.2f}x |")


if __name__ == "__main__":
    main()
