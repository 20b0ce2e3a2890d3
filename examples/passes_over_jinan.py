"""Passes over Jinan: a week of passes of the launched Jinan-368 satellites, a table and counts per group.

Selects the launched satellites of the shipped plan, finds every pass above a 10 degree mask over Jinan
(36.65 N, 117.0 E) for a week from the plan epoch, prints the first passes, the number of passes, hours in
view and highest pass per group, and times the same search for the whole 368-satellite plan.  Run it with::

    uv run python examples/passes_over_jinan.py                        # 7 days
    uv run python examples/passes_over_jinan.py --duration 1d --rows 10 --no-benchmark
"""

from __future__ import annotations

import argparse
import time

import constellation as C
from constellation.cli.passes import format_table

JINAN = (36.65, 117.0, 0.0)  # WGS84 degrees north, east; metres above the ellipsoid


def per_group(table):
    """Passes, satellites seen, hours above the mask and the highest pass, per group."""
    g = table.groupby("group", sort=False)
    out = g.agg(passes=("satellite", "size"), satellites=("satellite", "nunique"),
                hours_in_view=("duration_s", lambda s: s.sum() / 3600.0),
                best_elevation_deg=("max_elevation_deg", "max"))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", default="7d", help="window length (default 7d)")
    ap.add_argument("--min-elevation", type=float, default=10.0, help="elevation mask, degrees (default 10)")
    ap.add_argument("--rows", type=int, default=25, help="passes to print (default 25)")
    ap.add_argument("--no-benchmark", action="store_true", help="skip timing the whole 368-satellite plan")
    args = ap.parse_args(argv)

    plan = C.jinan368()
    launched = plan.select(launched=True)
    start = "2026-01-01T00:00:00"
    table = C.passes(launched, JINAN, start, duration=args.duration, min_elevation_deg=args.min_elevation)
    print(f"{len(table)} passes of the {len(launched)} launched Jinan-368 satellites over Jinan, "
          f"{args.duration} from {start} UTC, above {args.min_elevation:g} deg\n")
    print(format_table(table, args.rows))
    print("\nPer group:")
    print(per_group(table).round(2).to_string())

    if not args.no_benchmark:
        C.passes(plan, JINAN, start, duration="1h")  # warm-up
        t0 = time.perf_counter()
        full = C.passes(plan, JINAN, start, duration=args.duration, min_elevation_deg=args.min_elevation)
        dt = time.perf_counter() - t0
        print(f"\nBenchmark: all {len(plan)} planned satellites, {args.duration}: {len(full)} passes "
              f"in {dt:.2f} s (see benchmarks/bench_passes.py for medians and baselines)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
