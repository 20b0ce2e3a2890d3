"""Navigation augmentation: how much the Jinan-368 nav group improves GPS + Galileo + GLONASS + BeiDou.

Loads the GNSS element sets shipped with the package (2022-02-04) and the plan's 32-satellite nav group,
computes PDOP/HDOP/VDOP with and without the nav group (a receiver clock per system) at a 10 degree mask
and at an urban canyon's 30 degrees, prints the area-weighted figures per mask and over China, and draws
the augmentation maps.  Run it with::

    uv run python examples/navigation_augmentation.py                      # 1 day, 2 deg grid, 5 min steps
    uv run python examples/navigation_augmentation.py --duration 2h --grid-deg 10 --out /tmp/nav
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import constellation as C
from constellation.augmentation import shipped_gnss
from constellation.cli.dop import summarize_augmentation
from constellation.servicemaps import augmentation_map

CHINA = dict(lat=slice(18, 54), lon=slice(73, 135))  # a box around China, degrees


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", default="1d", help="window length (default 1d)")
    ap.add_argument("--step-s", type=float, default=300.0, help="time step, seconds (default 300)")
    ap.add_argument("--grid-deg", type=float, default=2.0, help="grid resolution, degrees (default 2)")
    ap.add_argument("--out", default="examples/images", help="folder for the maps (default examples/images)")
    ap.add_argument("--dpi", type=int, default=90, help="image resolution (default 90)")
    args = ap.parse_args(argv)

    gnss = shipped_gnss()
    nav = C.jinan368().select(group="nav")
    times = C.time_range("2022-02-04T00:00", duration=args.duration, step_s=args.step_s)
    ds = C.dop_augmentation(gnss, {"nav": nav}, times, C.grid.global_grid(args.grid_deg),
                            min_elevation_deg=(10.0, 30.0))
    print(summarize_augmentation(ds, base_counts={k: len(v) for k, v in gnss.items()}))

    china = ds.sel(**CHINA)
    w = china.cell_area_km2
    print("\nOver China (18-54 N, 73-135 E):")
    print(f"{'mask':>6} {'PDOP base':>10} {'PDOP aug':>10} {'change %':>9} {'best cell %':>12}")
    for mask in ds.min_elevation_deg.values:
        one = china.sel(min_elevation_deg=mask)
        b = float(one.pdop_mean_base.weighted(w).mean())
        a = float(one.pdop_mean_augmented.weighted(w).mean())
        best = float(100 * (np.nanmin(one.pdop_mean_ratio.values) - 1))
        print(f"{mask:6.0f} {b:10.3f} {a:10.3f} {100 * (a / b - 1):+9.2f} {best:+12.2f}")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for mask in ds.min_elevation_deg.values:
        fig, _ = augmentation_map(ds, "pdop", float(mask))
        path = out / f"augmentation_pdop_{mask:.0f}deg.png"
        fig.savefig(path, dpi=args.dpi)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
