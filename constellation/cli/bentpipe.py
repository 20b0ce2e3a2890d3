"""``constellation bentpipe``: coverage of transparent satellites served only through gateways."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from ._common import (
    build_grid,
    load_elements,
    output_checked,
    percent,
    select,
    start_time,
    window_options,
    with_run_note,
)

EPILOG = """\
examples:
  constellation bentpipe                                    # the plan's comm group through the shipped Chinese stations
  constellation bentpipe --gateway Jinan=36.65,117.0 --gateway Kashi=39.5,76.0
  constellation bentpipe --gateways gateways.csv --gateway-min-elevation 5 --duration 6h -o bp.nc
  constellation bentpipe iridium.tle --gateways gateways.csv --grid-deg 5

With the shipped plan the default group is 'comm'; with an element file, all its satellites (or --group).
A cell is served at a sample when a satellite above its mask also sees at least one gateway above the
gateway mask.  Gateways come from a sites CSV (name, lat, lon[, height_m]) and/or --gateway options.
"""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "bentpipe",
        help="coverage of transparent (bent-pipe) satellites: served only while a gateway is in view too",
        description="Compute, per cell, the fraction of samples covered directly and served through gateways "
                    "(bent pipe), and through each gateway, for the comm group of the shipped Jinan-368 plan "
                    "or an element file; write NetCDF (.nc) or Zarr (.zarr) and print a summary.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("elements", nargs="?", metavar="ELEMENTS",
                   help="TLE/3LE/OMM element file (default: the shipped Jinan-368 plan)")
    p.add_argument("--group", nargs="+", action="extend", metavar="G",
                   help="sub-constellation groups to use (default: comm for the plan, all for a file)")
    p.add_argument("--launched", action="store_true", help="only launched satellites")
    p.add_argument("--gateways", metavar="CSV|china",
                   help="gateway sites CSV (name, lat, lon[, height_m]), or 'china': the five shipped Chinese "
                        "ground stations (the default when no --gateway is given either)")
    p.add_argument("--gateway", action="append", default=[], metavar="NAME=LAT,LON[,H]",
                   help="one gateway (repeatable), e.g. Jinan=36.65,117.0")
    p.add_argument("--gateway-min-elevation", type=float, default=10.0, metavar="DEG",
                   help="gateway elevation mask in degrees (default 10)")
    p.add_argument("--min-elevation", type=float, default=10.0, metavar="DEG",
                   help="user (cell) elevation mask in degrees (default 10)")
    p.add_argument("--start", metavar="ISO", help="window start, UTC (default: the plan epoch, or the median "
                                                   "element epoch rounded down to the hour)")
    p.add_argument("--duration", default="1d", help="window length (default 1d)")
    p.add_argument("--step", default="60s", help="time step (default 60s)")
    p.add_argument("--grid-deg", type=float, default=2.0, metavar="DEG", help="grid resolution (default 2)")
    p.add_argument("--region", metavar="S,N,W,E", help="regional box in degrees instead of the globe")
    p.add_argument("--sites", metavar="CSV", help="user sites CSV instead of a grid")
    p.add_argument("-o", "--output", default="bent_pipe.nc", metavar="PATH",
                   help="output file, .nc or .zarr (default bent_pipe.nc)")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary")
    p.set_defaults(func=run)
    return p


def _gateways(args):
    from .. import grid as G
    from ..sites import parse_site

    names, lat, lon, h = [], [], [], []
    if args.gateways and args.gateways.strip().lower() == "china" or not (args.gateways or args.gateway):
        from ..stations import china_network  # the shipped network: --gateways china, or no gateway given

        g = china_network()
        names += [str(n) for n in g.names]
        lat += list(g.lat_deg)
        lon += list(g.lon_deg)
        h += list(g.height_m)
    elif args.gateways:
        g = G.points_from_csv(Path(args.gateways), what="--gateways file")
        names += list(g.names)
        lat += list(g.lat_deg)
        lon += list(g.lon_deg)
        h += list(g.height_m)
    for text in args.gateway:
        name, sep, where = text.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--gateway {text!r}: expected NAME=LAT,LON[,HEIGHT_M]")
        la, lo, hm = parse_site(where, "--gateway")
        names.append(name.strip())
        lat.append(la)
        lon.append(lo)
        h.append(hm)
    return G.points(lat, lon, names=names, height_m=h)


def summarize(ds, run_s: float | None = None, output: str | None = None) -> str:
    """Area-weighted (site-averaged for points) fractions covered directly and served, and each gateway's."""
    w = np.asarray(ds["cell_area_km2"].values, dtype=float).ravel()
    if not np.isfinite(w).all() or w.sum() <= 0:
        w = np.ones_like(w)

    def avg(v):
        return float((np.asarray(v, float).ravel() * w).sum() / w.sum())

    direct, served = avg(ds["served_direct_fraction"].values), avg(ds["served_fraction"].values)
    per = ds["served_by_gateway_fraction"].values.reshape(ds.sizes["gateway"], -1)
    gws = ", ".join(f"{n} {percent(avg(v))} %" for n, v in zip(ds["gateway"].values, per))
    text = (f"Bent pipe: {ds.attrs.get('n_satellites')} satellites "
            f"({ds.attrs.get('constellation') or ds.attrs.get('source') or 'constellation'}), "
            f"{ds.attrs.get('n_gateways')} gateways ({ds.attrs.get('gateway_min_elevation_deg'):g} deg mask), "
            f"{ds.attrs.get('time_coverage_start')} to {ds.attrs.get('time_coverage_end')} every "
            f"{float(ds.attrs.get('step_s', float('nan'))):g} s, {ds.attrs.get('min_elevation_deg'):g} deg user "
            f"mask, over {ds.attrs.get('grid')}: covered {percent(direct)} % of cell-time, served through a "
            f"gateway {percent(served)} % (lost for want of a gateway {percent(direct - served)} %); "
            f"through each gateway: {gws}.")
    return with_run_note(text, run_s, output)


def run(args: argparse.Namespace) -> int:
    from ..io import cf_attrs, write_dataset
    from ..relay import bent_pipe_coverage
    from ..timescale import time_range

    t_start = time.perf_counter()
    output_checked(args.output)
    duration_s, step_s = window_options(args.duration, args.step)
    for opt, v in (("--min-elevation", args.min_elevation), ("--gateway-min-elevation", args.gateway_min_elevation)):
        if not -90 <= v < 90:
            raise ValueError(f"{opt} must lie in [-90, 90) degrees, got {v:g}")
    gateways = _gateways(args)
    grid = build_grid(args.grid_deg, region=args.region, sites=args.sites)
    sats, default_start, label = load_elements(args.elements)
    groups = args.group or (None if args.elements else ["comm"])
    sats = select(sats, groups, args.launched)
    start = start_time(args.start, default_start)
    times = time_range(start, step_s=step_s, duration=duration_s)
    ds = bent_pipe_coverage(sats, times, grid, gateways, args.min_elevation, args.gateway_min_elevation)
    ds = cf_attrs(ds, history=f"constellation bentpipe: {label}, groups {','.join(groups) if groups else 'all'}, "
                              f"{grid.description or grid.kind}, {args.duration} every {args.step}")
    path = write_dataset(ds, args.output)
    if not args.quiet:
        print(summarize(ds, run_s=time.perf_counter() - t_start, output=str(path)), file=sys.stdout)
    return 0
