"""``constellation design``: summarise a constellation plan, or write its element sets."""

from __future__ import annotations

import argparse
from pathlib import Path

FORMATS = ("3le", "tle", "omm-json", "omm-csv")
_BY_SUFFIX = {".json": "omm-json", ".csv": "omm-csv", ".tle": "3le", ".3le": "3le", ".txt": "3le"}

EPILOG = """\
examples:
  constellation design                                   # summary of the shipped Jinan-368 plan
  constellation design --output jinan368.tle             # its 368 element sets as 3LE
  constellation design --plan my_plan.toml --output my.json --format omm-json

The shipped tle_data/jinan368.tle is regenerated with
  constellation design --output tle_data/jinan368.tle
A plan is a TOML file; copy tle_data/jinan368.toml (its comments describe every key) to write your own.
"""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "design",
        help="summarise a constellation plan or write its element sets (TLE/OMM)",
        description="Build the satellites of a constellation plan (default: the shipped Jinan-368 plan). "
                    "Without --output, print a table of its shells: groups, counts, geometry, launched.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--plan", metavar="FILE", help="plan TOML file (default: the shipped jinan368.toml)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the element sets to FILE")
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="output format (default: from the file suffix, .json -> omm-json, .csv -> omm-csv, "
                        "else 3le)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from .. import design
    from ..elements import dump

    plan = design.read_plan(args.plan) if args.plan else design.shipped_plan()
    if not args.output:
        if args.format:
            raise ValueError("--format applies only with --output FILE")
        print(plan.summary())
        return 0
    sats = design.jinan368() if not args.plan else plan.build()
    fmt = args.format or _BY_SUFFIX.get(Path(args.output).suffix.lower(), "3le")
    dump(sats, args.output, fmt)
    print(f"wrote {len(sats)} element sets ({fmt}) of {plan.name} to {args.output}")
    return 0
