"""``constellation plot``: a coverage map, a time series, ground tracks or footprints, saved as an image."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import folder_checked, load_elements, select

EPILOG = """\
examples:
  constellation coverage --duration 1d -o cov.nc                   # a coverage result to plot
  constellation plot cov.nc --fom revisit_max_s -o revisit.png     # one figure of merit on a map
  constellation coverage --per-group -o services.nc                # a result with one service per group
  constellation plot services.nc --service comm -o comm.png --dpi 150
  constellation plot cov.nc --series -o area.png                   # area covered (or sats in view) vs time
  constellation plot cov.nc --list                                 # the figures of merit in the file
  constellation plot --tracks --duration 2h -o tracks.png          # ground tracks of the Jinan-368 plan
  constellation plot --tracks --group eo --duration 90m -o eo.png  # the plan's eo group
  constellation plot --tracks active.tle --duration 90m -o active.png # any element file
  constellation plot --footprints --min-elevation 20 -o footprints.png

Maps are Plate Carree with the shipped Natural Earth coastline (no download); --projection needs cartopy.
"""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "plot",
        help="draw a coverage map, coverage time series, ground tracks or footprints to an image",
        description="Draw one figure of merit of a coverage result (NetCDF or Zarr written by "
                    "'constellation coverage') on a world or regional map, or its time series with --series; "
                    "or, with --tracks / --footprints, the ground tracks or footprint snapshot of an element "
                    "set (default: the shipped Jinan-368 plan).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", nargs="?", metavar="FILE",
                   help="coverage result (.nc/.zarr), or positions from 'constellation track --output' "
                        "(drawn as ground tracks); with --tracks/--footprints an element file (TLE/3LE/OMM; "
                        "default: the shipped Jinan-368 plan)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--tracks", action="store_true", help="ground tracks of the element set")
    what.add_argument("--footprints", action="store_true",
                      help="sub-satellite points with footprints at --start (elevation >= --min-elevation)")
    what.add_argument("--series", action="store_true",
                      help="time series of a coverage result: area covered, or satellites in view per site "
                           "for point grids")
    what.add_argument("--list", action="store_true", help="list the figures of merit in FILE and exit")
    p.add_argument("--fom", default=None, metavar="NAME",
                   help="figure of merit to map (default: coverage_fraction; pdop_mean for a dop result, "
                        "pdop_mean_difference for dop's augmentation, served_fraction for bentpipe), e.g. "
                        "revisit_max_s, sats_in_view_mean, response_max_s")
    p.add_argument("--service", metavar="NAME", help="service to show for multi-service results (default: any)")
    p.add_argument("-o", "--output", metavar="PNG",
                   help="image file; the suffix picks the format (.png, .pdf, .svg). Default: derived from "
                        "the input and figure of merit")
    p.add_argument("--dpi", type=float, default=150.0, help="resolution of raster images (default: 150)")
    p.add_argument("--title", help="replace the automatic title")
    p.add_argument("--cmap", help="matplotlib colour map name (default: by figure of merit)")
    p.add_argument("--vmin", type=float, help="lower colour limit, in the variable's own units")
    p.add_argument("--vmax", type=float, help="upper colour limit, in the variable's own units")
    p.add_argument("--projection", help="map projection through cartopy when installed (e.g. robinson)")
    p.add_argument("--start", help="tracks/footprints: start time, ISO 8601 UTC (default: the latest element "
                                   "epoch)")
    p.add_argument("--duration", default="2h", help="tracks: time span (default: 2h)")
    p.add_argument("--step", default="60s", help="tracks: time step (default: 60s)")
    p.add_argument("--group", nargs="+", action="extend", metavar="G",
                   help="tracks/footprints: only these sub-constellation groups (e.g. eo comm, or eo,comm)")
    p.add_argument("--min-elevation", type=float, default=10.0, dest="min_elevation_deg", metavar="DEG",
                   help="footprints: minimum elevation in degrees (default: 10); for a result with several "
                        "masks (constellation dop's augmentation), the mask to map (default: its first)")
    p.set_defaults(func=run)
    return p


def _read_result(path: str):
    """The result file ``path`` (:func:`constellation.io.read_dataset`), refused clearly when missing."""
    from ..io import read_dataset

    if not Path(path).exists():
        raise FileNotFoundError(f"{path}: no such file (a coverage result written by 'constellation coverage')")
    return read_dataset(path)


#: The map drawn without --fom, by kind of result: the first of these the file holds.
DEFAULT_FOMS = ("coverage_fraction", "pdop_mean", "pdop_mean_difference", "served_fraction")


def _default_fom(ds) -> str:
    return next((name for name in DEFAULT_FOMS if name in ds.data_vars), DEFAULT_FOMS[0])


def _is_positions(ds) -> bool:
    """Whether ``ds`` holds satellite positions (``constellation track --output``) rather than a result."""
    return {"satellite", "time"} <= set(ds.dims) and {"lat_deg", "lon_deg"} <= set(ds.variables)


def _output(args: argparse.Namespace, default: str) -> Path:
    return folder_checked(args.output or default)


def run(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from .. import plot

    positions_file = args.tracks and args.file and Path(args.file).suffix.lower() in (".nc", ".zarr")
    if (args.tracks or args.footprints) and not positions_file:
        import constellation as C

        sats, _, _ = load_elements(args.file, file_start="now")
        sats = select(sats, args.group)
        if len(sats) == 0:
            raise ValueError("no satellites to draw")
        start = C.parse_time(args.start) if args.start else np.max(sats.epochs).astype("datetime64[m]")
        if args.tracks:
            times = C.time_range(start, duration=args.duration, step_s=args.step)
            pos = C.propagate(sats, times)
            fig, _ = plot.ground_tracks(pos, title=args.title, projection=args.projection)
            out = _output(args, "tracks.png")
        else:
            pos = C.propagate(sats, C.time_range(start, duration=0))
            fig, _ = plot.footprints(pos, 0, min_elevation_deg=args.min_elevation_deg, title=args.title,
                                     projection=args.projection)
            out = _output(args, "footprints.png")
    else:
        if not args.file:
            raise ValueError("give a coverage result FILE to plot (or --tracks / --footprints for elements)")
        ds = _read_result(args.file)
        if args.list:
            names = sorted(ds.data_vars)
            wide = max([26] + [len(n) for n in names])
            dims = max([18] + [len(", ".join(ds[n].dims)) for n in names])
            for name in names:
                da = ds[name]
                print(f"{name:{wide}s} {str(da.attrs.get('units', '')):6s} {', '.join(da.dims):{dims}s} "
                      f"{da.attrs.get('long_name', '')}")
            return 0
        stem = Path(args.file).stem
        if positions_file and not _is_positions(ds):
            raise ValueError(f"{args.file}: --tracks draws an element file or the positions written by "
                             f"'constellation track --output', not this result")
        if _is_positions(ds) and not args.series:  # a track --output file: its ground tracks
            fig, _ = plot.ground_tracks(ds, title=args.title, projection=args.projection)
            out = _output(args, f"{stem}_tracks.png")
        elif args.series:
            if "sats_in_view" in ds:
                fig, _ = plot.sats_in_view_series(ds, service=args.service, title=args.title)
            else:
                fig, _ = plot.area_covered_series(ds, args.service, title=args.title)
            out = _output(args, f"{stem}_series.png")
        else:
            args.fom = args.fom or _default_fom(ds)
            if "min_elevation_deg" in ds.dims:  # an augmentation result: one map per elevation mask
                masks = [float(m) for m in ds["min_elevation_deg"].values]
                pick = args.min_elevation_deg if args.min_elevation_deg in masks else masks[0]
                ds = ds.sel(min_elevation_deg=pick).drop_vars("min_elevation_deg")
                ds.attrs["min_elevation_deg"] = pick
            try:
                fig, _ = plot.coverage_map(ds, args.fom, args.service, title=args.title, cmap=args.cmap,
                                           vmin=args.vmin, vmax=args.vmax, projection=args.projection)
            except ValueError as exc:  # (a result without that figure of merit: say which file)
                if str(args.file) in str(exc):
                    raise
                raise ValueError(f"{args.file}: {exc}") from None
            out = _output(args, f"{stem}_{args.fom}.png")
    from ..atomic import write_atomically

    # whole or not at all: a killed or failed save never leaves a truncated image at the output path
    fmt = out.suffix[1:].lower() or "png"
    write_atomically(out, lambda tmp: fig.savefig(tmp, dpi=args.dpi, format=fmt))
    plt.close(fig)
    print(f"wrote {out}")
    return 0
