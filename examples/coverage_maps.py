"""A gallery of coverage maps and plots for the Jinan-368 plan (or any element file), written as PNGs.

Figures: global coverage fraction, maximum revisit time and mean satellites in view; a regional map of
coverage over China; ground tracks coloured by sub-constellation; a snapshot of footprints; the area
covered against time; and the satellites in view over a few Chinese cities::

    uv run python examples/coverage_maps.py                      # 1 day at 60 s, 2 degree grid (minutes)
    uv run python examples/coverage_maps.py --quick --out /tmp/g # 30 min at 5 min steps, 10 degree grid
    uv run python examples/coverage_maps.py --elements my.tle --duration 6h
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import constellation as C  # noqa: E402
from constellation import grid, plot  # noqa: E402

#: Mainland China and its seas (degrees).
CHINA = dict(lat=(15.0, 55.0), lon=(73.0, 136.0))
CITIES = {"Beijing": (39.90, 116.41), "Shanghai": (31.23, 121.47), "Jinan": (36.65, 117.12),
          "Guangzhou": (23.13, 113.26), "Urumqi": (43.83, 87.62), "Lhasa": (29.65, 91.17)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--elements", help="TLE/3LE/OMM file (default: the shipped Jinan-368 plan, with groups)")
    ap.add_argument("--out", default="gallery", help="output folder (default: %(default)s)")
    ap.add_argument("--quick", action="store_true", help="small settings: 30 min, 300 s steps, 10 degree grid")
    ap.add_argument("--duration", help="coverage window (default: 1d, quick: 30m)")
    ap.add_argument("--step", help="time step in seconds (default: 60, quick: 300)")
    ap.add_argument("--res", type=float, help="global grid resolution, degrees (default: 2, quick: 10)")
    ap.add_argument("--dpi", type=float, default=120.0, help="image resolution (default: %(default)s)")
    args = ap.parse_args(argv)
    duration = args.duration or ("30m" if args.quick else "1d")
    step = args.step or ("300" if args.quick else "60")
    res = args.res or (10.0 if args.quick else 2.0)
    res_region = max(res / 4, 0.5)

    sats = C.load(args.elements) if args.elements else C.jinan368()
    start = sats.epochs.max().astype("datetime64[m]")
    times = C.time_range(start, duration=duration, step_s=step)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(fig, name: str) -> None:
        path = out / name
        fig.savefig(path, dpi=args.dpi)
        plt.close(fig)
        written.append(path)

    t0 = time.perf_counter()
    cov = C.coverage(sats, times, grid.global_grid(res), min_elevation_deg=10.0)
    print(f"global coverage ({cov.attrs.get('grid')}, {times.size} steps): {time.perf_counter() - t0:.1f} s")
    save(plot.coverage_map(cov, "coverage_fraction")[0], "coverage_fraction.png")
    save(plot.coverage_map(cov, "revisit_max_s")[0], "revisit_max.png")
    save(plot.coverage_map(cov, "sats_in_view_mean")[0], "sats_in_view_mean.png")
    save(plot.area_covered_series(cov)[0], "area_covered.png")

    china = C.coverage(sats, times, grid.region(**CHINA, res_deg=res_region), min_elevation_deg=10.0)
    save(plot.coverage_map(china, "coverage_fraction")[0], "china_coverage_fraction.png")

    sites = grid.points([v[0] for v in CITIES.values()], [v[1] for v in CITIES.values()], list(CITIES))
    at_sites = C.coverage(sats, times, sites, min_elevation_deg=10.0)
    save(plot.coverage_map(at_sites, "revisit_max_s")[0], "cities_revisit_max.png")
    save(plot.sats_in_view_series(at_sites)[0], "cities_sats_in_view.png")

    track_times = C.time_range(start, duration="90m" if not args.quick else "20m", step_s=60)
    pos = C.propagate(sats, track_times)
    save(plot.ground_tracks(pos)[0], "ground_tracks.png")
    save(plot.footprints(pos, 0, min_elevation_deg=10.0)[0], "footprints.png")

    for p in written:
        print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
