"""``constellation passes``: the next passes of a constellation over a ground site, as a table or CSV."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from ..checks import sanitize
from ._common import folder_checked, load_elements, positive_duration, select, start_time, warn_far_epochs

EPILOG = """\
examples:
  constellation passes                                     # Jinan-368 over Jinan, 7 days from the plan epoch
  constellation passes --launched --duration 1d --limit 20
  constellation passes --site=-33.92,18.42,30 --min-elevation 20 --group comm --csv passes.csv
  constellation passes gps-ops.txt --start 2022-02-04T00:00Z --duration 12h

The site is LAT,LON[,HEIGHT_M] in WGS84 degrees (north, east) and metres above the ellipsoid; a site
that starts with a minus sign needs '=' (--site=-33.9,18.4).  Times are UTC.  A pass already in progress
at the start (or still in progress at the end) is clipped there and marked in the 'clip' column:
'<' rise clipped, '>' set clipped.
"""


#: Passes printed when neither --limit nor --all is given (the summary and the CSV cover all of them).
PASSES_SHOWN = 20


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "passes",
        help="rise, culmination and set times of every satellite over a site",
        description="List the passes of a constellation (default: the shipped Jinan-368 plan) over a ground "
                    "site (default: Jinan, 36.65 N 117.0 E) above an elevation mask, sorted by rise time, "
                    "with the maximum elevation and the rise and set azimuths; counts per group at the end.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("elements", nargs="?", metavar="ELEMENTS",
                   help="TLE/3LE/OMM element file (default: the shipped Jinan-368 plan)")
    p.add_argument("--site", action="append", metavar="LAT,LON[,HEIGHT_M]",
                   help="ground site in degrees (and metres above the WGS84 ellipsoid); default Jinan 36.65,117.0; "
                        "repeat it for several sites (the table then has a site column)")
    p.add_argument("--min-elevation", type=float, default=10.0, metavar="DEG",
                   help="elevation mask in degrees (default 10)")
    p.add_argument("--start", metavar="ISO",
                   help="window start, UTC (default: the plan epoch for the plan, else now)")
    p.add_argument("--duration", default="7d", help="window length, e.g. 12h, 7d (default 7d)")
    p.add_argument("--group", nargs="+", action="extend", metavar="G",
                   help="only these sub-constellation groups (e.g. eo comm)")
    p.add_argument("--launched", action="store_true", help="only launched satellites")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help=f"print only the first N passes (default {PASSES_SHOWN}; the CSV always holds all)")
    p.add_argument("--all", action="store_true", help="print every pass (default: a summary and the first "
                                                      f"{PASSES_SHOWN})")
    p.add_argument("--csv", metavar="FILE", help="also write every pass to FILE (CSV, times in ISO UTC)")
    p.set_defaults(func=run)
    return p


def format_table(table, limit: int | None = None) -> str:
    """A passes table as fixed-width text: UTC times rounded to the nearest second, the duration the
    difference of the printed set and rise (so the columns agree), angles to 0.1 degree."""
    rows = table if limit is None else table.head(limit)
    has_site = "site" in rows.columns
    head = (f"{'satellite':<24} {'group':<6} " + (f"{'site':<12} " if has_site else "")
            + f"{'rise (UTC)':<19}  {'culmination':<8}  {'set':<8}  {'max el':>6}  {'dur':>7}  "
              f"{'az rise':>7}  {'az set':>6}  clip")
    lines = [head, "-" * len(head)]
    for r in rows.itertuples(index=False):
        clip = ("<" if r.rise_clipped else "") + (">" if r.set_clipped else "")
        rise, culm, set_ = (t.round("s") for t in (r.rise, r.culmination, r.set))
        sec = int((set_ - rise).total_seconds())
        dur = f"{sec // 60}m{sec % 60:02d}s" if sec < 3600 else f"{sec // 3600}h{sec % 3600 // 60:02d}m"
        lines.append(
            f"{sanitize(r.satellite)[:24]:<24} {sanitize(r.group)[:6]:<6} "
            + (f"{sanitize(r.site)[:12]:<12} " if has_site else "")
            + f"{rise:%Y-%m-%d %H:%M:%S}  {culm:%H:%M:%S}  {set_:%H:%M:%S}  "
              f"{r.max_elevation_deg:6.1f}  {dur:>7}  {r.rise_azimuth_deg:7.1f}  {r.set_azimuth_deg:6.1f}  {clip}")
    if limit is not None and len(table) > limit:
        lines.append(f"... {len(table) - limit} more passes (use --all, --limit N or --csv FILE to see them)")
    return "\n".join(lines)


def write_csv_atomic(table, path: str | os.PathLike) -> Path:
    """Write ``table`` as CSV (ISO UTC times) to ``path`` through a temporary file in the same folder, so
    readers never see a half-written file."""
    path = folder_checked(path, "--csv")
    out = table.copy()
    for col in ("rise", "culmination", "set"):
        out[col] = out[col].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    from ..io import write_text

    write_text(path, out.to_csv(index=False, float_format="%.6f"))
    return path


def _passing(table) -> int:
    """How many satellites make at least one pass in ``table`` (one per satellite, whatever the site)."""
    if "satellite_index" in table.columns:
        return int(table["satellite_index"].nunique())
    return len(table[["satellite", "catalog_number"]].drop_duplicates())


def _of(n: int, total: int) -> str:
    """``"all 5 satellites"`` or ``"3 of the 5 satellites"``."""
    return f"all {total} satellites" if n == total else f"{n} of the {total} satellites"


def run(args: argparse.Namespace) -> int:
    from ..contacts import passes
    from ..sites import parse_site

    duration_s = positive_duration(args.duration)
    if args.limit is not None and args.limit < 0:
        raise ValueError(f"--limit must be 0 or more, got {args.limit}")
    if args.all and args.limit is not None:
        raise ValueError("choose one of --all and --limit")
    limit = None if args.all else (PASSES_SHOWN if args.limit is None else args.limit)
    if not -90 <= args.min_elevation < 90:
        raise ValueError(f"--min-elevation must lie in [-90, 90) degrees, got {args.min_elevation:g}")
    sites = [parse_site(s, "--site") for s in (args.site or ["36.65,117.0"])]
    lat, lon, h = sites[0]
    sats, default_start, label = load_elements(args.elements, file_start="now")
    sats = select(sats, args.group, args.launched)
    start = start_time(args.start, default_start)
    warn_far_epochs(sats, start, start + np.timedelta64(int(round(duration_s * 1e9)), "ns"))
    if len(sites) > 1:
        from ..grid import points

        where = points([s[0] for s in sites], [s[1] for s in sites], [f"{a:g},{b:g}" for a, b, _ in sites],
                       [s[2] for s in sites])
        place = f"{len(sites)} sites"
    else:
        where, place = (lat, lon, h), f"{lat:.4f}, {lon:.4f}, {h:g} m"
    table = passes(sats, where, start, duration=duration_s, min_elevation_deg=args.min_elevation)
    print(f"{len(table)} passes by {_of(_passing(table), len(sats))} ({sanitize(label)}) over {place} "
          f"above {args.min_elevation:g} deg, {str(table.attrs['start'])[:19]} to "
          f"{str(table.attrs['stop'])[:19]} UTC")
    if len(table):
        print(format_table(table, limit))
        in_group = sats.group_counts()
        if set(in_group) != {""}:  # (a file without groups: the line above says it all)
            parts = []
            for g, n in in_group.items():
                rows = table[table["group"] == g]
                parts.append(f"{sanitize(g) or '(none)'}: {len(rows)} passes by {_of(_passing(rows), n)}")
            print("per group: " + "; ".join(parts))
    if args.csv:
        path = write_csv_atomic(table, args.csv)
        print(f"wrote {len(table)} passes to {path}")
    return 0
