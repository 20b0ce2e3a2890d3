"""Analysis script: how much of the Jinan-368 plan's coverage do the 26 launched satellites give today?

Imports the package, selects the launched satellites and the full plan, computes coverage over China and
over the globe, and prints a comparison table.  Run it with::

    uv run python examples/analysis_script.py                 # one day at 60 s, 2 degree grids
    uv run python examples/analysis_script.py --hours 3 --grid-deg 5   # a quick look
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import constellation as C

#: Mainland China and its seas, as a latitude/longitude box (degrees).
CHINA = dict(lat=(18.0, 54.0), lon=(73.0, 135.0))


def area_weighted(ds, name: str) -> float:
    """Area-weighted mean of a per-cell figure of merit."""
    w = ds["cell_area_km2"].values
    v = ds[name].values
    ok = np.isfinite(v)
    return float((v[ok] * w[ok]).sum() / w[ok].sum()) if ok.any() else float("nan")


def summarise(label: str, region: str, ds) -> dict:
    frac = ds["coverage_fraction"].values
    w = ds["cell_area_km2"].values
    revisit = ds["revisit_max_s"].values
    return {
        "satellites": label,
        "region": region,
        "coverage %": 100 * area_weighted(ds, "coverage_fraction"),
        "always covered %": 100 * w[frac >= 1.0].sum() / w.sum(),
        "mean in view": area_weighted(ds, "sats_in_view_mean"),
        # NaN revisit means a cell never lost coverage; a region without any gap has no worst revisit
        "worst revisit min": np.nanmax(revisit) / 60 if np.isfinite(revisit).any() else "no gap",
        "mean response min": area_weighted(ds, "response_mean_s") / 60,
    }


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hours", type=float, default=24.0, help="analysis window in hours (default 24)")
    p.add_argument("--step-s", type=float, default=60.0, help="time step in seconds (default 60)")
    p.add_argument("--grid-deg", type=float, default=2.0, help="grid resolution in degrees (default 2)")
    p.add_argument("--min-elevation", type=float, default=10.0, help="elevation mask in degrees")
    args = p.parse_args(argv)

    plan = C.jinan368()
    launched = plan.select(launched=True)
    print(f"{plan!r}\nlaunched: {launched!r}\n")
    times = C.time_range("2026-01-01T00:00:00", duration=args.hours * 3600, step_s=args.step_s)
    grids = {"China": C.grid.region(res_deg=args.grid_deg, **CHINA),
             "globe": C.grid.global_grid(args.grid_deg)}

    rows = []
    t0 = time.perf_counter()
    for label, sats in (("launched (26)", launched), ("full plan (368)", plan)):
        for region, grid in grids.items():
            ds = C.coverage(sats, times, grid=grid, min_elevation_deg=args.min_elevation)
            rows.append(summarise(label, region, ds))
    elapsed = time.perf_counter() - t0

    cols = list(rows[0])
    widths = [max(len(c), 15) for c in cols]
    print("  ".join(c.rjust(w) if i > 1 else c.ljust(w) for i, (c, w) in enumerate(zip(cols, widths))))
    for r in rows:
        cells = [f"{v:.1f}" if isinstance(v, float) else str(v) for v in r.values()]
        print("  ".join(c.rjust(w) if i > 1 else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))))
    print(f"\n{len(times)} steps of {args.step_s:g} s, {args.min_elevation:g} deg mask; "
          f"4 coverage runs in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
