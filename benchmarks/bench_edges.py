"""How close refined coverage edges come to the true crossings: the README's edge accuracy table.

For each case (an elevation mask, a nadir cone, a cone at a site at 85 deg N, min_sats = 2, and Sun
limits both ways) the true edges of every site come from the independent oracle of
``tests/edge_oracle.py``: Skyfield's SGP4 positions and apparent Sun (JPL DE421) scanned every second
(the Sun every minute), each sign change bisected to 1 ms.  The engine's value of each edge comes from
``tests/edge_compare.py`` (a run over the two samples that bracket it, SGP4 at the samples: what the
refinement reads), at steps of 10, 30, 60 and 120 s.  The table gives, per case and step, the largest,
95th-percentile and median absolute difference, and the edges compared (edges whose step holds another
edge, or an access shorter than the step, are not seen at the samples and are counted apart).

Run:   uv run python benchmarks/bench_edges.py [--hours 12] [--scan 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

STEPS = (10, 30, 60, 120)


def cases():
    from helpers import make_sat, random_sats

    from constellation.satellite import Constellation

    leo = make_sat(1, 6378.137 + 550.0, 0.001, 53.0, 40.0, 0.0, 0.0)
    sso = make_sat(2, 6378.137 + 535.0, 0.001, 97.5, 10.0, 0.0, 0.0)
    geo = make_sat(3, 42164.2, 0.0001, 0.05, 0.0, 0.0, (100.0 + 97.3) % 360.0)  # over 100 E in March 2026
    return [
        ("mask 10 deg, one LEO", Constellation([leo]),
         [(36.65, 117.0, 0.0), (0.0, -60.0, 0.0), (51.5, -0.1, 0.0), (-33.9, 18.4, 0.0)],
         dict(min_elevation_deg=10.0), 1.0),
        ("cone 30 deg (mask 0), one LEO", Constellation([leo]),
         [(30.0, 150.0, 0.0), (-20.0, -40.0, 0.0), (10.0, 10.0, 0.0), (45.0, -100.0, 0.0)],
         dict(min_elevation_deg=0.0, half_angle_deg=30.0), 1.0),
        ("cone 30 deg, SSO, site at 85 N", Constellation([sso]), [(85.0, 20.0, 0.0), (84.0, -120.0, 0.0)],
         dict(min_elevation_deg=0.0, half_angle_deg=30.0), 2.0),
        ("mask 5 deg, min_sats 2, six LEOs", random_sats(21, ("leo",), n_each=6),
         [(20.0, 100.0, 0.0), (-35.0, -60.0, 0.0)], dict(min_elevation_deg=5.0, min_sats=2), 1.0),
        ("Sun >= 10 deg, GEO + LEO", Constellation([geo, leo]), [(30.0, 110.0, 0.0), (-10.0, 80.0, 500.0)],
         dict(min_elevation_deg=10.0, min_sun_elevation_deg=10.0), 2.0),
        ("Sun <= -6 deg, GEO", Constellation([geo]), [(45.0, 120.0, 0.0), (5.0, 90.0, 0.0)],
         dict(min_elevation_deg=10.0, max_sun_elevation_deg=-6.0), 2.0),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--hours", type=float, default=12.0, help="window (the Sun cases and the 85 N case: twice "
                                                              "this; default 12)")
    ap.add_argument("--scan", type=float, default=1.0, help="oracle scan step in seconds (default 1)")
    args = ap.parse_args()

    from edge_compare import edge_errors
    from edge_oracle import coverage_edges

    start = np.datetime64("2026-03-20T00:00:00", "ns")
    print(f"# bench_edges: {os.cpu_count()} CPUs; window from {start}, oracle scan {args.scan:g} s, bisection "
          f"to 1 ms; engine with SGP4 at the samples")
    print()
    print("| case | step | edges | max | 95th pct | median | not seen at the samples |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    t0 = time.perf_counter()
    for label, sats, sites, req, mult in cases():
        t_end = args.hours * mult * 3600.0
        truth = [coverage_edges(sats, site, start, t_end, scan_s=args.scan, **req) for site in sites]
        for step in STEPS:
            errs, unseen = edge_errors(sats, sites, start, t_end, float(step), true_edges=truth, **req)
            a = np.abs(errs)
            if a.size:
                print(f"| {label} | {step} s | {a.size} | {a.max():.4f} s | {np.percentile(a, 95):.4f} s | "
                      f"{np.median(a):.4f} s | {unseen} |")
            else:
                print(f"| {label} | {step} s | 0 | - | - | - | {unseen} |")
    print()
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
