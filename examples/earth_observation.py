"""Earth observation with the Jinan-368 plan: swath revisit over China and data latency through Chinese
ground stations.

The plan's 120 Earth-observation satellites (sun-synchronous, 535 km, descending nodes 09:30 to 13:00 mean
local time) carry a pushbroom imager with a cross-track half-angle of 15 degrees.  For every cell of a grid
over China the script finds each instant a swath sweeps over it, keeps those with the Sun at least 10
degrees above the cell's horizon (``--min-sun-elevation``) and reports, per cell, the number of
opportunities, the mean and largest revisit, and the data latency: from each image to the end of the
satellite's next contact with the five shipped receiving stations (Miyun, Kashi, Sanya, Lijiang, Mohe;
``constellation/data/README.md``).  It prints a table for a few cities and writes two maps::

    uv run python examples/earth_observation.py                          # 1 day, 1 degree grid
    uv run python examples/earth_observation.py --duration 12h --res 5 --out /tmp/eo --launched
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import constellation as C  # noqa: E402
from constellation.groundlink import contacts  # noqa: E402
from constellation.imaging import imaging_figures, swath_opportunities  # noqa: E402
from constellation.stations import china_network  # noqa: E402

CHINA = dict(lat=(18.0, 54.0), lon=(73.0, 135.0))
CITIES = {"Beijing": (39.90, 116.41), "Jinan": (36.65, 117.12), "Shanghai": (31.23, 121.47),
          "Guangzhou": (23.13, 113.26), "Urumqi": (43.83, 87.62), "Lhasa": (29.65, 91.17)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", default="1d", help="window (default: %(default)s)")
    ap.add_argument("--res", type=float, default=1.0, help="grid resolution, degrees (default: %(default)s)")
    ap.add_argument("--half-angle", type=float, default=15.0, help="swath half-angle, degrees (default: 15)")
    ap.add_argument("--min-sun-elevation", type=float, default=10.0,
                    help="images need the Sun at least this high over the cell, degrees (default: 10)")
    ap.add_argument("--launched", action="store_true", help="only the launched EO satellites")
    ap.add_argument("--out", default="eo_maps", help="folder for the maps (default: %(default)s)")
    args = ap.parse_args(argv)

    eo = C.jinan368().select(group="eo", launched=True if args.launched else None)
    start = "2026-01-01T00:00"
    window_s = C.parse_duration(args.duration)
    grid = C.grid.region(CHINA["lat"], CHINA["lon"], args.res)
    t = time.perf_counter()
    opp = swath_opportunities(eo, grid, start, duration=window_s, half_angle_deg=args.half_angle, step_s=60.0)
    day = swath_opportunities(eo, grid, start, duration=window_s, half_angle_deg=args.half_angle, step_s=60.0,
                              min_sun_elevation_deg=args.min_sun_elevation)
    # contacts over the window and one more day, so that images late in the window still reach the ground
    ct = contacts(eo, china_network(), start, duration=window_s + 86400.0)
    ds = imaging_figures(day, grid, ct, len(eo))
    dt = time.perf_counter() - t
    print(f"{len(eo)} EO satellites, {args.half_angle:g} deg swath, {args.duration} from {start} UTC: "
          f"{len(opp)} opportunities over {grid.n_cells} cells ({len(day)} in daylight, Sun >= "
          f"{args.min_sun_elevation:g} deg), {len(ct)} contacts "
          f"with {len(china_network())} stations; {dt:.1f} s")
    print(f"\n{'city':<10} {'images':>6} {'mean revisit h':>14} {'max revisit h':>13} "
          f"{'latency mean min':>16} {'latency max min':>15}")
    for name, (la, lo) in CITIES.items():
        c = ds.sel(lat=la, lon=lo, method="nearest")
        print(f"{name:<10} {int(c.opportunities):>6} {float(c.revisit_mean_s) / 3600:>14.2f} "
              f"{float(c.revisit_max_s) / 3600:>13.2f} {float(c.latency_mean_s) / 60:>16.1f} "
              f"{float(c.latency_max_s) / 60:>15.1f}")
    seen = ds.opportunities.to_numpy() > 0
    print(f"\nChina box: {100 * seen.mean():.1f} % of cells imaged; median latency of the cells' means "
          f"{np.nanmedian(ds.latency_mean_s) / 60:.1f} min, worst {np.nanmax(ds.latency_max_s) / 60:.1f} min; "
          f"{int(ds.undelivered.sum())} images not downlinked in the window")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for fom in ("revisit_mean_s", "latency_mean_s"):
        fig, ax = C.plot.coverage_map(ds, fom, title=f"Jinan-368 EO, Sun >= {args.min_sun_elevation:g} deg: {fom}")
        net = china_network()
        ax.plot(net.lon_deg, net.lat_deg, "r^", ms=7)
        path = out / f"eo_{fom}.png"
        fig.savefig(path, dpi=90)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
