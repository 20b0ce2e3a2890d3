"""``constellation animate``: a coverage result computed with snapshots, as a GIF or MP4 animation."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import folder_checked

EPILOG = """\
examples:
  constellation coverage --grid-deg 2 --step 60s --snapshots 10m -o day.nc
  constellation animate day.nc -o day.gif                         # Pillow: always available
  constellation animate day.nc -o day.mp4 --fps 12                # needs ffmpeg on the PATH
  constellation coverage --per-group --requirement eo:sun=none --grid-deg 2 --step 60s --snapshots 10m -o groups.nc
  constellation animate groups.nc -o comm.gif --service comm --no-footprints   # one service of a --per-group run

Each frame is one snapshot: satellites serving each cell, footprints, sub-satellite points by group,
the last --trail snapshot intervals of ground track, and a UTC clock.
"""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "animate",
        help="animate a coverage result with snapshots (satellites serving each cell, footprints, tracks)",
        description="Write an animation (GIF with Pillow, or MP4 with ffmpeg) of a coverage result computed "
                    "with snapshots ('constellation coverage --snapshots 10m'): one frame per snapshot.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", metavar="RUN", help="coverage result (.nc or .zarr) with snapshots")
    p.add_argument("-o", "--output", metavar="PATH", help="animation file, .gif or .mp4 (default: RUN.gif)")
    p.add_argument("--service", metavar="NAME", help="service to show for multi-service results (default: any)")
    p.add_argument("--fps", type=float, default=8.0, help="frames per second (default: 8)")
    p.add_argument("--dpi", type=float, default=80.0, help="resolution (default: 80, 800 x 480 pixels)")
    p.add_argument("--trail", type=int, default=1, metavar="N",
                   help="ground track over the last N snapshot intervals (default: 1; 0: none)")
    p.add_argument("--no-footprints", action="store_true", help="do not draw footprints")
    p.add_argument("--min-elevation", type=float, default=None, dest="min_elevation_deg",
                   help="footprint elevation in degrees (default: the run's)")
    p.add_argument("--title", help="replace the automatic title")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import plot
    from .plot import _read_result

    out = Path(args.output or Path(args.file).with_suffix(".gif").name)
    if out.suffix.lower() not in (".gif", ".mp4"):
        raise ValueError(f"--output {str(out)!r}: use a .gif or .mp4 file name")
    folder_checked(out)
    if not args.fps > 0:
        raise ValueError(f"--fps must be positive, got {args.fps:g}")
    if args.trail < 0:
        raise ValueError(f"--trail must be 0 or more, got {args.trail}")
    ds = _read_result(args.file)
    anim = plot.animate(ds, out, service=args.service, footprints=not args.no_footprints, tracks=args.trail > 0,
                        trail=args.trail, min_elevation_deg=args.min_elevation_deg, fps=args.fps, dpi=args.dpi,
                        title=args.title)
    plt.close(anim.fig)
    print(f"wrote {out} ({anim.n_frames} frames)")
    return 0
