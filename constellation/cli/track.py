"""``constellation track``: where each satellite is at a given time (and, optionally, over a window)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from ._common import load_elements, select, warn_far_epochs

EPILOG = """\
examples:
  constellation track                                        # the Jinan-368 plan, now
  constellation track --at 2026-01-01T06:00Z --group eo --limit 5
  constellation track --site 36.67,117.02,50                 # add azimuth/elevation/range from Jinan
  constellation track active.tle --at 2026-06-14T12:00Z --limit 10   # any TLE, 3LE or OMM file
  constellation track --at 2026-01-01 --output positions.nc --duration 1d --step 60s
"""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "track",
        help="where each satellite is at a time (sub-satellite point, altitude, look angles)",
        description="Propagate the satellites (SGP4, WGS84) to one time and print, per satellite, its "
                    "sub-satellite point and altitude (and azimuth, elevation and range from --site), "
                    "then a one-line summary.  With --output, also write positions over a window "
                    "starting at --at to NetCDF.  Default elements: the shipped Jinan-368 plan.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("elements", nargs="?", metavar="ELEMENTS",
                   help="TLE/3LE/OMM file (default: the shipped Jinan-368 plan)")
    p.add_argument("--at", default="now", metavar="ISO",
                   help="UTC time, ISO 8601 (default: now), e.g. 2026-01-01T06:00:00Z")
    p.add_argument("--site", metavar="LAT,LON[,H_M]",
                   help="ground site: WGS84 latitude, longitude (degrees) and height (m); adds az/el/range")
    p.add_argument("--group", nargs="+", action="extend", metavar="G",
                   help="only these sub-constellation groups (e.g. eo comm, or eo,comm)")
    p.add_argument("--launched", action="store_true", help="only launched satellites")
    p.add_argument("--limit", type=int, default=20, metavar="N",
                   help="rows to print (default 20; 0 for all); the summary always covers all")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write positions over the window to FILE (.nc NetCDF, or .zarr)")
    p.add_argument("--duration", default=None, help="window length for --output (default 1d), e.g. 90m")
    p.add_argument("--step", default=None, help="sample step for --output (default 60s), e.g. 30s")
    p.set_defaults(func=run)
    return p


def _fmt(x: float, spec: str) -> str:
    return "nan" if not np.isfinite(x) else format(x, spec)


def run(args: argparse.Namespace) -> int:
    from ..propagation import propagate_arrays
    from ..sites import parse_site
    from ..timescale import parse_duration, parse_time

    t = parse_time(args.at)
    site = parse_site(args.site) if args.site else None
    if args.limit < 0:
        raise ValueError(f"--limit must be >= 0, got {args.limit}")
    if not args.output and (args.duration is not None or args.step is not None):
        raise ValueError("--duration and --step set the window written with --output; give --output FILE "
                         "(without it, track prints one time, --at)")
    if args.output:
        duration_s = parse_duration("1d" if args.duration is None else args.duration)
        step_s = parse_duration("60s" if args.step is None else args.step)
        if step_s <= 0:
            raise ValueError(f"--step must be positive, got {args.step!r}")
    sats, _, _ = load_elements(args.elements, file_start="now")
    sats = select(sats, args.group, args.launched)
    if len(sats) == 0:
        raise ValueError("no satellites left after --group/--launched selection")
    warn_far_epochs(sats, t, t + np.timedelta64(int(round(duration_s * 1e9)), "ns") if args.output else t)

    import warnings

    from ..propagation import PropagationWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PropagationWarning)
        out, err = propagate_arrays(sats, np.array([t]))
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    cols = {k: v[:, 0] for k, v in out.items()}
    err = err[:, 0]
    az = el = rng = None
    if site:
        from ..topo import look_angles_itrs

        r = np.stack([cols["x_km"], cols["y_km"], cols["z_km"]], axis=-1)
        az, el, rng = look_angles_itrs(r, *site)

    _print_table(sats, cols, err, az, el, rng, args.limit)
    print(_summary(sats, t, cols, err, site, el))

    if args.output:
        _write_window(sats, t, duration_s, step_s, args.output)
    return 0


def _print_table(sats, cols: dict, err: np.ndarray, az, el, rng, limit: int) -> None:
    from ..checks import sanitize

    names = [sanitize(x) for x in sats.names]  # names read from files: control characters shown escaped
    groups = [sanitize(x) for x in sats.groups]
    nums, launched = sats.catalog_numbers, sats.launched
    n = len(sats) if limit == 0 else min(limit, len(sats))
    wname = max([4] + [len(s) for s in names[:n]])
    wgrp = max([5] + [len(s) for s in groups[:n]])
    head = (f"{'name':<{wname}}  {'catalog':>7}  {'group':<{wgrp}}  {'launched':<8}  {'lat':>7}  {'lon':>8}  "
            f"{'alt_km':>8}")
    if el is not None:
        head += f"  {'az':>6}  {'el':>6}  {'range_km':>9}"
    print(head)
    for i in range(n):
        row = (f"{names[i] or '-':<{wname}}  {nums[i]:>7d}  {groups[i] or '-':<{wgrp}}  "
               f"{'yes' if launched[i] else 'no':<8}  {_fmt(cols['lat_deg'][i], '7.2f'):>7}  "
               f"{_fmt(cols['lon_deg'][i], '8.2f'):>8}  {_fmt(cols['alt_km'][i], '8.1f'):>8}")
        if el is not None:
            row += f"  {_fmt(az[i], '6.1f'):>6}  {_fmt(el[i], '6.1f'):>6}  {_fmt(rng[i], '9.1f'):>9}"
        if err[i]:
            row += f"  (SGP4 error {int(err[i])})"
        print(row)
    if n < len(sats):
        print(f"... {len(sats) - n} more (use --limit 0 to list all)")


def _summary(sats, t: np.datetime64, cols: dict, err: np.ndarray, site, el) -> str:
    ok = err == 0
    from ..checks import sanitize

    counts = sats.group_counts()
    about = [", ".join(f"{sanitize(g) or '(none)'} {k}" for g, k in counts.items())] if set(counts) != {""} else []
    n_launched = int(sats.launched.sum())
    if n_launched != len(sats):
        about.append(f"{n_launched} launched")
    alt = cols["alt_km"][ok]
    parts = [f"{len(sats)} satellites{' (' + '; '.join(about) + ')' if about else ''} at "
             f"{np.datetime_as_string(t, 's')}Z"]
    if alt.size:
        parts.append(f"altitude {alt.min():.0f}-{alt.max():.0f} km")
    if site is not None:
        lat, lon, h = site
        parts.append(f"{int(np.sum(el[ok] > 0))} above the horizon of ({lat:g}, {lon:g}, {h:g} m)")
    if (~ok).any():
        parts.append(f"{int((~ok).sum())} failed to propagate")
    return "; ".join(parts)


def _write_window(sats, t0: np.datetime64, duration_s: float, step_s: float, path: str) -> None:
    from ..propagation import propagate
    from ..timescale import time_range

    times = time_range(t0, step_s=step_s, duration=duration_s)
    ds = propagate(sats, times, warn=False)
    written = _write(ds, path)
    print(f"wrote {len(sats)} satellites x {times.size} times ({np.datetime_as_string(times[0], 's')}Z + "
          f"{duration_s:g} s every {step_s:g} s) to {written}")


def _write(ds: Any, path: str) -> str:
    """Atomic write through :func:`constellation.io.write_dataset`."""
    from ..io import write_dataset

    return str(write_dataset(ds, path))
