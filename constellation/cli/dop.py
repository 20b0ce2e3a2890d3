"""``constellation dop``: dilution of precision of a navigation constellation over a grid, to NetCDF/Zarr."""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from ._common import (
    build_grid,
    load_elements,
    output_checked,
    percent,
    select,
    start_time,
    warn_far_epochs,
    window_options,
    with_run_note,
)

#: The default degraded mask of the augmentation summary (degrees; the value of
#: :data:`constellation.augmentation.URBAN_CANYON_MASK_DEG`, repeated so that the parser imports nothing).
URBAN_CANYON_MASK_DEG = 30.0

EPILOG = """\
examples:
  constellation dop                  # the nav group's augmentation of the shipped GNSS snapshot (10 and 30 deg)
  constellation dop --group nav      # the plan's nav group alone, 5 deg mask, 2 deg grid, 1 day
  constellation dop --duration 6h --step 5m --grid-deg 5 --output nav_aug.nc
  constellation dop gps-ops.txt --start 2022-02-04T00:00Z --grid-deg 5 --threshold 3
  constellation dop --group nav comm --region=20,55,70,140 --grid-deg 1 --output china.zarr

Without ELEMENTS or --group, the command compares GNSS (GPS, Galileo, GLONASS and BeiDou element sets of
2022-02-04 shipped with the package) with and without the plan's nav group, a receiver clock per system,
at --min-elevation (default 10) and at --urban-mask (default 30, an urban canyon; 'off' skips it); the
window starts at the GNSS elements' median epoch.  With the shipped plan and --group the default group
mask is 5 deg; with an element file, all its satellites (or --group).  A region that starts with a minus
sign needs '=': --region=-10,10,-20,20.  PDOP needs 4 satellites in view (3 + one clock per system).
"""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "dop",
        help="dilution of precision (GDOP/PDOP/HDOP/VDOP/TDOP) over a grid or sites",
        description="Compute the dilution of precision of navigation satellites over a global grid, a region "
                    "or sites, write the per-cell figures of merit to NetCDF (.nc) or Zarr (.zarr) and print a "
                    "summary.  Default: how much the nav group of the shipped Jinan-368 plan improves the "
                    "geometry of GPS, Galileo, GLONASS and BeiDou (shipped element sets).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("elements", nargs="?", metavar="ELEMENTS",
                   help="TLE/3LE/OMM element file (default: the shipped Jinan-368 plan's nav group as an "
                        "augmentation of the shipped GNSS snapshot)")
    p.add_argument("--group", nargs="+", action="extend", metavar="G",
                   help="sub-constellation groups of the plan (or file) to use alone (default: all of a file)")
    p.add_argument("--launched", action="store_true", help="only launched satellites")
    p.add_argument("--start", metavar="ISO",
                   help="window start, UTC (default: the plan epoch for the plan, else the median element "
                        "epoch rounded down to the hour)")
    p.add_argument("--duration", default="1d", help="window length (default 1d)")
    p.add_argument("--step", default=None,
                   help="time step (default 60s; 5m for the augmentation of GNSS)")
    p.add_argument("--min-elevation", type=float, default=None, metavar="DEG",
                   help="elevation mask in degrees (default 5; 10 for the augmentation of GNSS)")
    p.add_argument("--urban-mask", default="30", metavar="DEG",
                   help="augmentation of GNSS: a second, degraded mask (urban canyon), degrees, or 'off' "
                        "(default 30)")
    p.add_argument("--threshold", type=float, default=6.0, metavar="PDOP",
                   help="PDOP threshold for the 'below threshold' figure (default 6)")
    p.add_argument("--grid-deg", type=float, default=2.0, metavar="DEG", help="grid resolution (default 2)")
    p.add_argument("--region", metavar="S,N,W,E", help="regional box in degrees instead of the globe")
    p.add_argument("--sites", metavar="CSV", help="sites CSV (name, lat, lon[, height_m]) instead of a grid")
    p.add_argument("-o", "--output", default="dop.nc", metavar="PATH",
                   help="output file, .nc or .zarr (default dop.nc)")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary")
    p.set_defaults(func=run)
    return p


def summarize(ds, run_s: float | None = None, output: str | None = None) -> str:
    """Global (area-weighted; site-averaged for points) mean and maximum PDOP, the fraction of the area
    whose time-average PDOP is below the threshold, the fraction of time below it, and the fraction of
    cell-time with fewer than 4 satellites in view."""
    w = np.asarray(ds["cell_area_km2"].values, dtype=float).ravel()
    if not np.isfinite(w).all() or w.sum() <= 0:
        w = np.ones_like(w)
    thr = float(ds.attrs.get("pdop_threshold", 6.0))
    pm = np.asarray(ds["pdop_mean"].values, float).ravel()
    px = np.asarray(ds["pdop_max"].values, float).ravel()
    ok = np.isfinite(pm)
    mean = float((pm[ok] * w[ok]).sum() / w[ok].sum()) if ok.any() else float("nan")
    worst = float(np.nanmax(px)) if np.isfinite(px).any() else float("nan")
    area_below = float(w[ok & (pm <= thr)].sum() / w.sum())
    time_below = float((np.asarray(ds["pdop_below_threshold_fraction"].values).ravel() * w).sum() / w.sum())
    few = float((np.asarray(ds["insufficient_fraction"].values).ravel() * w).sum() / w.sum())
    text = (f"DOP of {ds.attrs.get('n_satellites', '?')} satellites "
            f"({ds.attrs.get('constellation') or ds.attrs.get('source') or 'constellation'}), "
            f"{ds.attrs.get('time_coverage_start')} to {ds.attrs.get('time_coverage_end')} every "
            f"{float(ds.attrs.get('step_s', float('nan'))):g} s, {ds.attrs.get('min_elevation_deg')} deg mask, "
            f"over {ds.attrs.get('grid')}: mean PDOP {mean:.2f} (where defined), max PDOP {worst:.2f}; "
            f"{percent(area_below)}% of the area has mean PDOP <= {thr:g}; PDOP <= {thr:g} "
            f"{percent(time_below)}% of the time on average; fewer than 4 satellites in view "
            f"{percent(few)}% of cell-time.")
    return with_run_note(text, run_s, output)


def summarize_augmentation(ds, run_s: float | None = None, output: str | None = None,
                           base_counts: dict | None = None) -> str:
    """Per mask: area-weighted (site-averaged for points) mean PDOP/HDOP/VDOP without and with the
    augmentation and the relative change, the fraction of cell-time with PDOP below the threshold and with
    a fix, satellites in view, and the largest improvement of a cell's mean PDOP."""
    w = np.asarray(ds["cell_area_km2"].values, dtype=float).ravel()
    if not np.isfinite(w).all() or w.sum() <= 0:
        w = np.ones_like(w)
    thr = float(ds.attrs.get("pdop_threshold", 6.0))
    masks = np.atleast_1d(ds["min_elevation_deg"].values) if "min_elevation_deg" in ds.dims else \
        np.atleast_1d(float(ds.attrs["min_elevation_deg"]))
    base = ds.attrs.get("base_systems", "base")
    if base_counts:
        base = ", ".join(f"{k} {v}" for k, v in base_counts.items())
    lines = [f"Augmentation of {ds.attrs.get('n_satellites_base')} GNSS satellites ({base}) by "
             f"{ds.attrs.get('n_satellites_augment')} satellites ({ds.attrs.get('augment_systems')}), "
             f"{ds.attrs.get('time_coverage_start')} to {ds.attrs.get('time_coverage_end')} every "
             f"{float(ds.attrs.get('step_s', float('nan'))):g} s, over {ds.attrs.get('grid')}, "
             f"{'a receiver clock per system' if ds.attrs.get('receiver_clock') == 'per_system' else 'one clock'}:"]

    def avg(v):
        v = np.asarray(v, float).ravel()
        ok = np.isfinite(v)
        return float((v[ok] * w[ok]).sum() / w[ok].sum()) if ok.any() else float("nan")

    for i, mask in enumerate(masks):
        one = ds.isel(min_elevation_deg=i) if "min_elevation_deg" in ds.dims else ds
        parts = []
        for d in ("pdop", "hdop", "vdop"):
            b, a = avg(one[f"{d}_mean_base"].values), avg(one[f"{d}_mean_augmented"].values)
            parts.append(f"{d.upper()} {b:.3f} -> {a:.3f} ({100 * (a / b - 1):+.2f} %)")
        ratio = np.asarray(one["pdop_mean_ratio"].values, float).ravel()
        best = float(np.nanmin(ratio)) if np.isfinite(ratio).any() else float("nan")
        pb, pa = avg(one["pdop_below_threshold_fraction_base"]), avg(one["pdop_below_threshold_fraction_augmented"])
        fb, fa = avg(one["fix_available_fraction_base"]), avg(one["fix_available_fraction_augmented"])
        nb, na = avg(one["sats_in_view_mean_base"]), avg(one["sats_in_view_mean_augmented"])
        where = " (urban canyon)" if float(mask) == URBAN_CANYON_MASK_DEG and i > 0 else ""
        lines.append(f"  {float(mask):g} deg mask{where}: mean {', '.join(parts)}; best cell PDOP "
                     f"{100 * (best - 1):+.2f} %; PDOP <= {thr:g} {percent(pb, 2)} % -> {percent(pa, 2)} % of "
                     f"cell-time; fix available {percent(fb, 2)} % -> {percent(fa, 2)} %; satellites in view "
                     f"{nb:.1f} -> {na:.1f}.")
    tail = []
    if run_s is not None:
        tail.append(f"Run time {run_s:.1f} s")
    if output:
        tail.append(f"written to {output}")
    return "\n".join(lines) + ("\n" + ", ".join(tail) + "." if tail else "")


def _run_augmentation(args, grid) -> int:
    from ..augmentation import dop_augmentation, shipped_gnss
    from ..design import jinan368
    from ..io import cf_attrs, write_dataset
    from ..timescale import parse_duration, parse_time, time_range

    t_start = time.perf_counter()
    step_s = parse_duration(args.step or "5m")
    duration_s = parse_duration(args.duration)
    if step_s <= 0 or duration_s <= 0:
        raise ValueError(f"--duration and --step must be positive, got {args.duration!r} and {args.step!r}")
    mask = 10.0 if args.min_elevation is None else args.min_elevation
    masks = [mask]
    if str(args.urban_mask).strip().lower() != "off":
        try:
            urban = float(args.urban_mask)
        except ValueError:
            raise ValueError(f"--urban-mask must be degrees or 'off', got {args.urban_mask!r}") from None
        if not -90 <= urban < 90:
            raise ValueError(f"--urban-mask must lie in [-90, 90) degrees, got {urban:g}")
        if urban != mask:
            masks.append(urban)
    gnss = shipped_gnss()
    nav = select(jinan368(), ["nav"], args.launched)
    if args.start:
        try:
            start = parse_time(args.start)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"--start: {exc}") from None
    else:
        epochs = np.sort(np.concatenate([c.epochs for c in gnss.values()]))
        start = epochs[(epochs.size - 1) // 2].astype("datetime64[h]").astype("datetime64[ns]")
    times = time_range(start, step_s=step_s, duration=duration_s)
    ds = dop_augmentation(gnss, {"nav": nav}, times, grid, min_elevation_deg=masks, threshold=args.threshold)
    ds = cf_attrs(ds, history=f"constellation dop: shipped GNSS + nav group of the plan, "
                              f"{grid.description or grid.kind}, {args.duration} every {args.step or '5m'}")
    path = write_dataset(ds, args.output)
    if not args.quiet:
        print(summarize_augmentation(ds, run_s=time.perf_counter() - t_start, output=str(path),
                                     base_counts={k: len(v) for k, v in gnss.items()}), file=sys.stdout)
    return 0


def run(args: argparse.Namespace) -> int:
    from ..io import cf_attrs, write_dataset
    from ..timescale import time_range

    t_start = time.perf_counter()
    output_checked(args.output)
    duration_s, step_s = window_options(args.duration, args.step or "60s")
    if args.min_elevation is not None and not -90 <= args.min_elevation < 90:
        raise ValueError(f"--min-elevation must lie in [-90, 90) degrees, got {args.min_elevation:g}")
    if not args.threshold > 0:
        raise ValueError(f"--threshold must be a positive PDOP, got {args.threshold:g}")
    grid = build_grid(args.grid_deg, region=args.region, sites=args.sites)
    if not args.elements and not args.group:  # the question the nav group exists for: how much it helps GNSS
        return _run_augmentation(args, grid)
    min_elevation = 5.0 if args.min_elevation is None else args.min_elevation
    sats, default_start, label = load_elements(args.elements)
    # the plan's navigation-augmentation group by default; every satellite of an element file
    groups = args.group
    sats = select(sats, groups, args.launched)
    start = start_time(args.start, default_start)
    times = time_range(start, step_s=step_s, duration=duration_s)
    warn_far_epochs(sats, times[0], times[-1])

    from ..navigation import dop

    ds = dop(sats, times, grid, min_elevation_deg=min_elevation, threshold=args.threshold)
    ds = cf_attrs(ds, history=f"constellation dop: {label}, groups {','.join(groups) if groups else 'all'}, "
                              f"{grid.description or grid.kind}, {args.duration} every {args.step or '60s'}")
    path = write_dataset(ds, args.output)
    if not args.quiet:
        print(summarize(ds, run_s=time.perf_counter() - t_start, output=str(path)), file=sys.stdout)
    return 0
