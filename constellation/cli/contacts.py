"""``constellation contacts``: every contact of a constellation with a ground station network."""

from __future__ import annotations

import argparse

from ._common import load_elements, positive_duration, select, start_time, warn_far_epochs
from .passes import PASSES_SHOWN

EPILOG = """\
examples:
  constellation contacts                                  # Jinan-368 and the shipped Chinese network, 1 day
  constellation contacts --all                            # every contact, not only the first 20
  constellation contacts --group eo --launched --duration 2d --csv contacts.csv
  constellation contacts --stations my_network.csv --limit 20
  constellation contacts --station 36.65,117.0 --station=-33.92,18.42,30 --min-elevation 10

A network file is CSV with a header naming lat_deg and lon_deg (or lat, lon) and optionally name,
height_m and min_elevation_deg (each station's own mask); '#' lines are comments.  --station adds one
station (LAT,LON[,HEIGHT_M]; repeat it for more; a value that starts with a minus sign needs '=').
Stations without their own mask use --min-elevation.  Times are UTC; 'clip' marks contacts in progress at
the start ('<') or at the end ('>').
"""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "contacts",
        help="contact windows of every satellite with every ground station of a network",
        description="List the contacts of a constellation (default: the shipped Jinan-368 plan) with a ground "
                    "station network (default: the five shipped Chinese receiving stations), each station "
                    "above its own elevation mask, sorted by rise time; totals per station at the end.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("elements", nargs="?", metavar="ELEMENTS",
                   help="TLE/3LE/OMM element file (default: the shipped Jinan-368 plan)")
    p.add_argument("--stations", metavar="FILE", help="ground station network, CSV (default: the shipped "
                                                      "Chinese network, unless --station is given)")
    p.add_argument("--station", action="append", metavar="LAT,LON[,HEIGHT_M]",
                   help="one more station (repeatable)")
    p.add_argument("--min-elevation", type=float, default=5.0, metavar="DEG",
                   help="mask of stations that carry none of their own (default 5)")
    p.add_argument("--start", metavar="ISO",
                   help="window start, UTC (default: the plan epoch for the plan, else now)")
    p.add_argument("--duration", default="1d", help="window length, e.g. 12h, 2d (default 1d)")
    p.add_argument("--group", nargs="+", action="extend", metavar="G", help="only these groups (e.g. eo)")
    p.add_argument("--launched", action="store_true", help="only launched satellites")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help=f"print only the first N contacts (default {PASSES_SHOWN}; the CSV always holds all)")
    p.add_argument("--all", action="store_true", help="print every contact (default: the totals and the first "
                                                      f"{PASSES_SHOWN})")
    p.add_argument("--csv", metavar="FILE", help="also write every contact to FILE (CSV, times in ISO UTC)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ..checks import sanitize
    from ..groundlink import contacts
    from ..sites import parse_site
    from ..stations import china_network, network, read_stations
    from .passes import format_table, write_csv_atomic

    duration_s = positive_duration(args.duration)
    if args.limit is not None and args.limit < 0:
        raise ValueError(f"--limit must be 0 or more, got {args.limit}")
    if args.all and args.limit is not None:
        raise ValueError("choose one of --all and --limit")
    limit = None if args.all else (PASSES_SHOWN if args.limit is None else args.limit)
    if not -90 <= args.min_elevation < 90:
        raise ValueError(f"--min-elevation must lie in [-90, 90) degrees, got {args.min_elevation:g}")
    parts = []
    if args.stations:
        try:
            parts.append(read_stations(args.stations, args.min_elevation))
        except (ValueError, FileNotFoundError) as exc:
            raise ValueError(f"--stations: {exc}") from None
    if args.station:
        sites = [parse_site(s, "--station") for s in args.station]
        parts.append(network([s[0] for s in sites], [s[1] for s in sites], [f"{a:g},{b:g}" for a, b, _ in sites],
                             [s[2] for s in sites], args.min_elevation))
    if not parts:
        parts.append(china_network())
    net = parts[0] if len(parts) == 1 else network(
        np.concatenate([p.lat_deg for p in parts]), np.concatenate([p.lon_deg for p in parts]),
        np.concatenate([p.names for p in parts]), np.concatenate([p.height_m for p in parts]),
        np.concatenate([p.min_elevation_deg for p in parts]))
    sats, default_start, label = load_elements(args.elements, file_start="now")
    sats = select(sats, args.group, args.launched)
    start = start_time(args.start, default_start)
    warn_far_epochs(sats, start, start + np.timedelta64(int(round(duration_s * 1e9)), "ns"))
    table = contacts(sats, net, start, duration=duration_s)
    print(f"{len(table)} contacts of {len(sats)} satellites ({sanitize(label)}) with {len(net)} stations, "
          f"{str(table.attrs['start'])[:19]} to {str(table.attrs['stop'])[:19]} UTC")
    # station names read from a file: control characters shown escaped
    print("stations: " + "; ".join(f"{sanitize(n)} ({a:.2f}, {b:.2f}, {m:g} deg)" for n, a, b, m in
                                   zip(net.names, net.lat_deg, net.lon_deg, net.min_elevation_deg)))
    if len(table):
        text = format_table(table.rename(columns={"station": "site"}), limit)
        print(text.replace(" more passes (use", " more contacts (use"))
        per = table.groupby("station", sort=False).agg(contacts=("satellite", "size"),
                                                       satellites=("satellite_index", "nunique"),
                                                       minutes=("duration_s", lambda s: s.sum() / 60.0))
        order = [n for n in dict.fromkeys(str(n) for n in net.names) if n in per.index]  # the network's order
        print("per station: " + "; ".join(f"{sanitize(s)}: {int(per.loc[s].contacts)} contacts, "
                                          f"{int(per.loc[s].satellites)} satellites, {per.loc[s].minutes:.1f} min"
                                          for s in order))
    if args.csv:
        path = write_csv_atomic(table, args.csv)
        print(f"wrote {len(table)} contacts to {path}")
    return 0
