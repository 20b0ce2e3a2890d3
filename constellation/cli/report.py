"""``constellation report``: a coverage result as one self-contained HTML file (opens offline, prints)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import folder_checked

EPILOG = """\
examples:
  constellation coverage --grid-deg 2 --step 60s --snapshots 10m -o day.nc
  constellation report day.nc -o day.html                  # maps, series, tables, notes, animation
  constellation coverage --sites sites.csv --step 60s -o sites.nc   # sites.csv: name,lat,lon per line
  constellation report sites.nc -o sites.html --no-animation

The file embeds every image (data: URIs) and its style; it loads nothing from the network.
"""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "report",
        help="write a coverage result as one self-contained HTML report (maps, series, tables, animation)",
        description="Write one HTML file with the scenario, the summary, maps of the main figures of merit, the "
                    "area covered over time, a per-latitude-band or per-site table, the accuracy notes and, "
                    "for results with snapshots, the animation. Everything is embedded: it opens from disk "
                    "with no network and prints.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", metavar="RUN", help="coverage result (.nc or .zarr)")
    p.add_argument("-o", "--output", metavar="HTML", help="report file (default: RUN.html)")
    p.add_argument("--title", help="replace the automatic title")
    p.add_argument("--dpi", type=float, default=80.0, help="resolution of the maps (default: 80)")
    p.add_argument("--no-animation", action="store_true", help="leave the animation out")
    p.add_argument("--max-frames", type=int, default=72, metavar="N",
                   help="at most N animation frames (every k-th snapshot beyond; default: 72)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")

    from ..report import write_report
    from .plot import _read_result

    out = Path(args.output or Path(args.file).with_suffix(".html").name)
    if out.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"--output {str(out)!r}: use a .html file name")
    folder_checked(out)
    if args.max_frames < 1:
        raise ValueError(f"--max-frames must be at least 1, got {args.max_frames}")
    if not args.dpi > 0:
        raise ValueError(f"--dpi must be positive, got {args.dpi:g}")
    ds = _read_result(args.file)
    path = write_report(ds, out, title=args.title, dpi=args.dpi, animation=not args.no_animation,
                        max_frames=args.max_frames)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0
