"""What the animation and the report of a day cost: the default coverage run (Jinan-368, 1 deg global grid,
1 day at 30 s) with snapshots every 10 minutes, then

1. the snapshots' share of the run: the run with and without ``snapshots="10m"`` (interleaved);
2. ``plot.animate`` to a GIF (145 frames, 800 x 480 pixels, footprints and tracks on): wall time, and the
   time per frame;
3. ``report.write_report`` (maps, series, tables and the animation at up to 72 frames): wall time and size.

Prints a table of medians over ``--repeats``.

Run:   uv run python benchmarks/bench_animate.py
       uv run python benchmarks/bench_animate.py --repeats 3 --grid-deg 2
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--grid-deg", type=float, default=1.0)
    ap.add_argument("--duration", default="1d")
    ap.add_argument("--step-s", type=float, default=30.0)
    args = ap.parse_args()

    import matplotlib.pyplot as plt

    import constellation as C
    from constellation import grid as G
    from constellation import plot as P
    from constellation import report as R

    sats = C.jinan368()
    times = C.time_range("2026-01-01", duration=args.duration, step_s=args.step_s)
    grid = G.global_grid(args.grid_deg)
    C.coverage(sats, times[:10], grid)  # compile and warm up
    rows: dict[str, list[float]] = {"coverage": [], "coverage + snapshots": [], "animate (GIF)": [],
                                    "report (HTML)": []}
    frames = size_mb = 0
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            C.coverage(sats, times, grid)
            rows["coverage"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            ds = C.coverage(sats, times, grid, snapshots="10m")
            rows["coverage + snapshots"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            anim = P.animate(ds, Path(tmp) / "day.gif")
            rows["animate (GIF)"].append(time.perf_counter() - t0)
            frames = anim.n_frames
            plt.close(anim.fig)
            t0 = time.perf_counter()
            path = R.write_report(ds, Path(tmp) / "day.html")
            rows["report (HTML)"].append(time.perf_counter() - t0)
            size_mb = path.stat().st_size / 1e6
    import os
    import platform

    import PIL

    print(f"{os.cpu_count()} CPUs ({platform.machine()}), Python {platform.python_version()}, matplotlib "
          f"{matplotlib.__version__}, Pillow {PIL.__version__}; load average at the end "
          f"{os.getloadavg()[0]:.1f}")
    print(f"Jinan-368, {grid.description}, {args.duration} at {args.step_s:g} s, snapshots every 10 min "
          f"({frames} frames); medians of {args.repeats}")
    print(f"{'step':24s} {'wall s':>8s}")
    for name, vals in rows.items():
        print(f"{name:24s} {statistics.median(vals):8.1f}")
    print(f"{'per frame (GIF)':24s} {statistics.median(rows['animate (GIF)']) / max(frames, 1):8.2f}")
    print(f"report size: {size_mb:.1f} MB")


if __name__ == "__main__":
    main()
