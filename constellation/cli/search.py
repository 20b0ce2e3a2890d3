"""``constellation search``: the smallest Walker or sun-synchronous design that meets a coverage requirement."""

from __future__ import annotations

import argparse

EPILOG = """\
examples:
  # continuous single coverage of China at 10 deg: Walker delta, 24..72 satellites, 3 inclinations, 2 altitudes
  constellation search --walker 24:72:6 --inclination 45,55,65 --altitude 800,1200 --region China
  # a 6 h maximum revisit over China at 30 deg elevation (no daylight condition), sun-synchronous candidates
  constellation search --sso-planes 1:6 --sso-per-plane 2:10 --ltdn 10.5 --altitude 535 --region China \\
      --fom revisit_max_s --threshold 21600 --min-elevation 30 -o designs.csv
  # a 6 h daylight revisit for imaging: gaps count only the time the Sun is above 10 deg at the cell
  constellation search --sso-planes 1:4 --sso-per-plane 1:6 --ltdn 10.5 --altitude 535 --region China \\
      --fom revisit_daylight_max_s --threshold 21600 --min-sun-elevation 10 --min-elevation 30

Stages: analytic pruning (footprint central angle against latitude and covering area), a coarse screen
(--screen-deg grid, 4x the time step, no edge refinement), then confirmation of the passing designs with the
fewest satellites on the full grid and step.  Only 'confirmed' rows are final.
"""


def _ints(text: str, option: str) -> list[int]:
    try:
        if ":" in text:
            parts = [int(p) for p in text.split(":")]
            a, b, s = (parts + [1])[:3] if len(parts) in (2, 3) else (None, None, None)
            if a is None or s <= 0:
                raise ValueError
            return list(range(a, b + 1, s))
        return [int(p) for p in text.split(",")]
    except ValueError:
        raise ValueError(f"{option}: expected N, N,M,... or FIRST:LAST[:STEP], got {text!r}") from None


def _floats(text: str, option: str) -> list[float]:
    try:
        return [float(p) for p in text.split(",")]
    except ValueError:
        raise ValueError(f"{option}: expected comma-separated numbers, got {text!r}") from None


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "search", help="search Walker / sun-synchronous designs for the smallest that meets a requirement",
        description="Evaluate candidate constellation designs against a coverage requirement over a region "
                    "(prune, screen coarsely, confirm) and print the table, the best design and the Pareto "
                    "front of satellites against the figure of merit.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--walker", metavar="T", help="Walker total satellites: N, N,M,... or FIRST:LAST[:STEP]")
    p.add_argument("--star", action="store_true", help="Walker star (nodes over 180 deg) instead of delta")
    p.add_argument("--planes", metavar="P", help="only these plane counts (default: every divisor of T)")
    p.add_argument("--phasing", metavar="F", help="only these phasings (default: every F in 0..P-1)")
    p.add_argument("--inclination", default="55", metavar="DEG,...", help="Walker inclinations (default 55)")
    p.add_argument("--sso-planes", metavar="P", help="sun-synchronous plane counts (instead of --walker)")
    p.add_argument("--sso-per-plane", default="1:10", metavar="S", help="sun-synchronous satellites per plane")
    p.add_argument("--ltdn", default="10.5", metavar="H,...", help="local time of the descending node, hours")
    p.add_argument("--ltdn-spread", type=float, default=0.0, metavar="H",
                   help="spread of the planes' local times, hours (default 0: all planes at --ltdn)")
    p.add_argument("--altitude", default="1000", metavar="KM,...", help="altitudes, km (default 1000)")
    p.add_argument("--region", default="China", metavar="NAME|GEOJSON|global", help="where (default China)")
    p.add_argument("--grid-deg", type=float, default=1.0, metavar="DEG", help="confirmation grid (default 1)")
    p.add_argument("--screen-deg", type=float, default=4.0, metavar="DEG", help="screening grid (default 4)")
    p.add_argument("--fom", default="coverage_fraction", help="figure of merit (default coverage_fraction)")
    p.add_argument("--statistic", default="worst", choices=("worst", "mean", "area_fraction"))
    p.add_argument("--threshold", type=float, default=1.0, help="threshold on the figure of merit (default 1)")
    p.add_argument("--area-threshold", type=float, default=1.0, help="share of the area (area_fraction)")
    p.add_argument("--min-elevation", type=float, default=10.0, metavar="DEG")
    p.add_argument("--min-sun-elevation", type=float, metavar="DEG",
                   help="serve a cell only while the Sun is at least DEG above its horizon (daylight imaging; "
                        "needed by the revisit_daylight_* figures)")
    p.add_argument("--start", default="2026-01-01", metavar="ISO", help="window start (default 2026-01-01)")
    p.add_argument("--duration", default="1d", help="window length (default 1d)")
    p.add_argument("--step", default="60s", help="time step of the confirmation (default 60s)")
    p.add_argument("--screen-duration", metavar="DUR",
                   help="screen over this much of the window only (e.g. one repeat period); default: all of it")
    p.add_argument("--confirm", type=int, default=1, metavar="N", help="confirm until N designs meet")
    p.add_argument("-o", "--output", metavar="CSV", help="write the full table")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from .. import design_search as S
    from .. import regions
    from ..atomic import write_text
    from ..grid import global_grid
    from ..timescale import parse_duration

    if bool(args.walker) == bool(args.sso_planes):
        raise ValueError("give one of --walker or --sso-planes")
    alts = _floats(args.altitude, "--altitude")
    if args.walker:
        cands = S.walker_candidates(_ints(args.walker, "--walker"), _floats(args.inclination, "--inclination"),
                                    alts, kind="star" if args.star else "delta",
                                    planes=_ints(args.planes, "--planes") if args.planes else None,
                                    phasing=_ints(args.phasing, "--phasing") if args.phasing else None)
    else:
        cands = S.sso_candidates(_ints(args.sso_planes, "--sso-planes"), _ints(args.sso_per_plane, "--sso-per-plane"),
                                 _floats(args.ltdn, "--ltdn"), alts, ltdn_spread_h=args.ltdn_spread)
    if not cands:
        raise ValueError("no candidate design: check --walker / --planes / --phasing")
    grid = global_grid(args.grid_deg) if args.region.lower() in ("global", "globe", "world") else \
        regions.region_grid(regions.load(args.region), args.grid_deg)
    req = S.DesignRequirement(fom=args.fom, threshold=args.threshold, statistic=args.statistic, grid=grid,
                              start=args.start, duration=args.duration, step_s=parse_duration(args.step),
                              min_elevation_deg=args.min_elevation, area_threshold=args.area_threshold,
                              coverage_kw={} if args.min_sun_elevation is None else
                              {"min_sun_elevation_deg": args.min_sun_elevation})
    res = S.search(cands, req, screen_res_deg=args.screen_deg, screen_duration=args.screen_duration,
                   n_confirm=args.confirm)
    print(res)
    if args.output:
        write_text(args.output, res.table.to_csv(index=False))
        print(f"table written to {args.output}")
    return 0
