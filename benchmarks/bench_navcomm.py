"""Navigation augmentation and bent-pipe service: a default day of each, next to the plain default day.

Rows (one day from the plan epoch, or from 2022-02-04 for GNSS, the epoch of the shipped GNSS elements):

* ``coverage, plan (default day)``: :func:`constellation.coverage` of the 368-satellite plan as
  ``constellation coverage`` runs it by default (1 deg grid, 30 s, 10 deg mask) - the baseline;
* ``dop, nav group alone``: :func:`constellation.dop` of the 32 nav satellites, 2 deg grid, 60 s, 5 deg
  (``constellation dop --group nav``);
* ``dop, GNSS``: the 134 shipped GNSS satellites, a receiver clock per system, 2 deg, 60 s, 10 deg;
* ``dop, GNSS + nav``: the same with the nav group (a fifth system);
* ``dop_augmentation (CLI default)``: what ``constellation dop`` runs with no arguments (GNSS with and
  without the nav group at 10 and 30 deg: four DOP runs, 2 deg, 5 min steps);
* ``coverage, comm group``: the 216 comm satellites, 2 deg, 60 s, 10 deg, sampled service as
  :func:`constellation.coverage` computes it (refined edges);
* ``bent pipe, comm + 5 gateways``: :func:`constellation.bent_pipe_coverage` of the same with five gateways;
* ``coverage, comm + 5 gateways``: :func:`constellation.coverage` of the same with ``gateways=`` (the
  engine's bent pipe: every figure of merit, refined edges);
* ``coverage, plan + 5 gateways``: the baseline (default day) with ``gateways=`` for every satellite.

Each figure is the median of ``--repeats`` warm runs, the rows interleaved (one of each per round), wall
time; the ratio is to the baseline row of the same round's median.

Run:  uv run python benchmarks/bench_navcomm.py [--repeats 3] [--rows coverage bent]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--rows", nargs="+", metavar="WORD",
                    help="run only the rows whose name contains one of these words (the baseline always runs)")
    args = ap.parse_args(argv)

    import constellation as C
    from constellation.augmentation import shipped_gnss
    from constellation.grid import global_grid, points

    plan = C.jinan368()
    nav, comm = plan.select(group="nav"), plan.select(group="comm")
    gnss = shipped_gnss()
    day_plan = C.time_range("2026-01-01", duration="1d", step_s=30)
    day60 = C.time_range("2026-01-01", duration="1d", step_s=60)
    gnss60 = C.time_range("2022-02-04T07:00", duration="1d", step_s=60)
    gnss300 = C.time_range("2022-02-04T07:00", duration="1d", step_s=300)
    g1, g2 = global_grid(1.0), global_grid(2.0)
    gw = points([36.65, 40.0, 39.5, 18.3, 46.8], [117.0, 116.3, 76.0, 109.5, 130.3],
                names=["Jinan", "Beijing", "Kashi", "Sanya", "Jiamusi"])
    rows = {
        "coverage, plan (default day)": lambda: C.coverage(plan, day_plan, g1, min_elevation_deg=10.0),
        "dop, nav group alone": lambda: C.dop(nav, day60, g2, 5.0),
        "dop, GNSS": lambda: C.dop(gnss, gnss60, g2, 10.0),
        "dop, GNSS + nav": lambda: C.dop({**gnss, "nav": nav}, gnss60, g2, 10.0),
        "dop_augmentation (CLI default)": lambda: C.dop_augmentation(gnss, {"nav": nav}, gnss300, g2),
        "coverage, comm group": lambda: C.coverage(comm, day60, g2, min_elevation_deg=10.0),
        "bent pipe, comm + 5 gateways": lambda: C.bent_pipe_coverage(comm, day60, g2, gw, 10.0, 10.0),
        "coverage, comm + 5 gateways": lambda: C.coverage(comm, day60, g2, min_elevation_deg=10.0, gateways=gw),
        "coverage, plan + 5 gateways": lambda: C.coverage(plan, day_plan, g1, min_elevation_deg=10.0, gateways=gw),
    }
    if args.rows:
        rows = {k: fn for k, fn in rows.items()
                if k == "coverage, plan (default day)" or any(w in k for w in args.rows)}
    for fn in rows.values():  # warm-up: imports, compilation, caches
        fn()
    times = {k: [] for k in rows}
    for _ in range(args.repeats):
        for k, fn in rows.items():
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
    base = float(np.median(times["coverage, plan (default day)"]))
    print(f"{platform.processor() or platform.machine()}, {args.repeats} repeats, median wall time")
    print(f"| {'run':32s} | {'median s':>9s} | {'ratio':>6s} |")
    print(f"|{'-' * 34}|{'-' * 11}|{'-' * 8}|")
    for k, v in times.items():
        m = float(np.median(v))
        print(f"| {k:32s} | {m:9.2f} | {m / base:6.2f} |")


if __name__ == "__main__":
    main()
