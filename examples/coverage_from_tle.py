"""From an element file to a coverage result on disk and a map: the whole pipeline in one script.

Reads a TLE/3LE/OMM file (default: the shipped ``tle_data/jinan368.tle``, the 368 satellites of the
Jinan-368 plan), computes ground coverage over a global grid, writes the result as NetCDF and draws one
figure of merit on a world map::

    uv run python examples/coverage_from_tle.py                          # 6 h at 60 s on a 2 degree grid
    uv run python examples/coverage_from_tle.py my.tle --duration 1d --fom revisit_max_s --out results
    uv run python examples/coverage_from_tle.py --duration 20m --step 300 --res 10   # a quick look

The result reopens with ``constellation.io.read_dataset`` and plots again with
``constellation plot results/coverage.nc --fom sats_in_view_mean -o map.png``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import constellation as C  # noqa: E402
from constellation import grid, io, plot  # noqa: E402

SHIPPED = Path(__file__).resolve().parents[1] / "tle_data" / "jinan368.tle"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("elements", nargs="?", default=str(SHIPPED), help="TLE/3LE/OMM file (default: %(default)s)")
    ap.add_argument("--start", help="window start, ISO 8601 UTC (default: the latest element epoch)")
    ap.add_argument("--duration", default="6h", help="window length (default: 6h)")
    ap.add_argument("--step", default="60", help="time step, seconds or e.g. '2m' (default: 60)")
    ap.add_argument("--res", type=float, default=2.0, help="grid resolution in degrees (default: 2)")
    ap.add_argument("--min-elevation", type=float, default=10.0, help="minimum elevation, degrees (default: 10)")
    ap.add_argument("--fom", default="coverage_fraction", help="figure of merit to map (default: %(default)s)")
    ap.add_argument("--out", default="coverage_output", help="output folder (default: %(default)s)")
    args = ap.parse_args(argv)

    sats = C.load(args.elements)
    start = C.parse_time(args.start) if args.start else sats.epochs.max().astype("datetime64[m]")
    times = C.time_range(start, duration=args.duration, step_s=args.step)
    print(f"{len(sats)} satellites from {args.elements}; {times.size} steps from {times[0]} to {times[-1]}")

    t0 = time.perf_counter()
    cov = C.coverage(sats, times, grid.global_grid(args.res), min_elevation_deg=args.min_elevation)
    print(f"coverage on {cov.attrs.get('grid', 'the grid')}: {time.perf_counter() - t0:.1f} s")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = io.write_dataset(cov, out / "coverage.nc")
    print(f"wrote {path}")

    fig, _ = plot.coverage_map(io.read_dataset(path), args.fom)
    png = out / f"{args.fom}.png"
    fig.savefig(png, dpi=150)
    plt.close(fig)
    print(f"wrote {png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
