"""``constellation deploy``: coverage of a region and of the globe launch by launch, and a greedy launch order."""

from __future__ import annotations

import argparse

EPILOG = """\
examples:
  constellation deploy --per-year 100 --per-launch 20 --region China         # the shipped plan, steady rate
  constellation deploy --manifest launches.toml --region China -o deploy.nc
  constellation deploy --manifest jinan368 --duration 6h                     # the shipped manifest
  constellation deploy --per-year 100 --per-launch 20 --region China --order  # greedy launch order too

Launches go from the Haiyang sea-launch site.  Each phase is evaluated over the same window (--start,
--duration), so phases compare like for like; the table gives the area-weighted mean coverage of the
region and of the globe after each launch.
"""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "deploy", help="coverage growth launch by launch (manifest or steady rate), greedy launch order",
        description="Deploy a plan launch by launch (a TOML launch manifest, or a steady rate over the "
                    "satellites not yet launched) and report the coverage of a region and of the globe after "
                    "each launch; optionally search a better launch order (greedy).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("plan", nargs="?", metavar="PLAN", help="plan TOML file (default: the shipped Jinan-368 plan)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--manifest", metavar="TOML", help="launch manifest file ('jinan368': the shipped "
                                                        "illustrative manifest of the Jinan-368 plan)")
    src.add_argument("--per-year", type=float, metavar="N", help="steady rate: satellites a year (default 100)")
    p.add_argument("--per-launch", type=int, default=20, metavar="N", help="steady rate: satellites a launch")
    p.add_argument("--first-launch", metavar="ISO", help="steady rate: date of the first launch (default: the "
                                                          "plan epoch)")
    p.add_argument("--commissioning-days", type=float, default=30.0, metavar="D",
                   help="steady rate: days from launch to service (default 30)")
    p.add_argument("--launches", type=int, metavar="N", help="only the first N launches")
    p.add_argument("--region", default="China", metavar="NAME|GEOJSON", help="region (default China)")
    p.add_argument("--grid-deg", type=float, default=2.0, metavar="DEG", help="grid resolution (default 2)")
    p.add_argument("--start", metavar="ISO", help="window start (default: the plan epoch)")
    p.add_argument("--duration", default="1d", help="window length (default 1d)")
    p.add_argument("--step", default="60s", help="time step (default 60s)")
    p.add_argument("--min-elevation", type=float, default=10.0, metavar="DEG")
    p.add_argument("--order", action="store_true", help="also search a launch order greedily (L(L+1)/2 runs)")
    p.add_argument("--fom", default="coverage_fraction", help="figure of merit for --order")
    p.add_argument("-o", "--output", metavar="PATH", help="write the phase Dataset (.nc or .zarr)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from .. import deployment as D
    from .. import design, regions
    from ..grid import global_grid
    from ..timescale import parse_duration, time_range

    plan = design.read_plan(args.plan) if args.plan else design.shipped_plan()
    sats = plan.build()
    if args.manifest == "jinan368":
        man = D.jinan368_manifest(sats)
    elif args.manifest:
        man = D.read_manifest(args.manifest, sats)
    else:
        man = D.steady_manifest(sats, args.per_year or 100.0, args.per_launch, args.first_launch or plan.epoch,
                                commissioning_days=args.commissioning_days)
    if args.launches:
        man = D.Manifest(man.launches[:args.launches], man.commissioning_days, man.name, man.site, man.path)
    start = args.start or plan.epoch
    step_s = parse_duration(args.step)
    times = time_range(start, duration=args.duration, step_s=float(step_s))
    region = regions.load(args.region)
    print(man.summary())
    ds = D.deploy(sats, man, global_grid(args.grid_deg), times, regions={region.name: region},
                  min_elevation_deg=args.min_elevation,
                  foms=["coverage_fraction", "revisit_max_s", "sats_in_view_mean"])
    rn = region.name
    print(f"\ncoverage after each launch, window {args.duration} from {np.datetime_as_string(times[0], unit='s')}Z, "
          f"{args.grid_deg:g} deg grid, elevation >= {args.min_elevation:g} deg")
    print(f"{'phase':>5}  {'in service':>10}  {'sats':>4}  {rn + ' cover':>12}  {rn + ' continuous':>16}  "
          f"{'globe cover':>11}  launch")
    for k in range(ds.sizes["phase"]):
        x = ds.isel(phase=k)
        when = "launched" if k == 0 else np.datetime_as_string(man.in_service(k - 1), unit="D")
        print(f"{k:5d}  {when:>10}  {int(x['n_satellites']):4d}  "
              f"{100 * float(x[f'coverage_fraction_mean_{rn}']):11.2f}%  "
              f"{100 * float(x[f'continuous_area_fraction_{rn}']) + 0.0:15.2f}%  "
              f"{100 * float(x['coverage_fraction_mean_grid']):10.2f}%  {x['launch'].item()}")
    if args.output:
        from ..io import write_dataset

        write_dataset(ds, args.output)
        print(f"written to {args.output}")
    if args.order:
        g = regions.region_grid(region, args.grid_deg)
        print()
        print(D.launch_order(sats, man, g, times, fom=args.fom, min_elevation_deg=args.min_elevation))
    return 0
