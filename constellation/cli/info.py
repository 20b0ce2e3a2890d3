"""``constellation info``: what an element-set file (or the shipped plan) contains."""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np

from ..checks import sanitize

EPILOG = """\
examples:
  constellation info                                    # the shipped Jinan-368 plan
  constellation info active.tle                         # a CelesTrak catalogue (TLE, 3LE or OMM)
  constellation info active.tle --strict --at 2026-06-14T00:00:00Z
"""

#: Shell clustering: mean altitude rounded to this many km, inclination to this many degrees.
ALT_BIN_KM = 25.0
INC_BIN_DEG = 1.0
MIN_SHELL = 3
MAX_SHELLS_SHOWN = 20


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "info",
        help="summarise an element-set file: counts, groups, epochs, orbital shells, load report",
        description="Read an element-set file (TLE, 3LE, OMM JSON/CSV/XML; default: the shipped Jinan-368 "
                    "plan) and print its source, object count, counts by group, epochs and their age, "
                    "the shells found by (altitude, inclination) clustering and, when reading leniently, "
                    "the records skipped and the duplicates dropped.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", nargs="?", metavar="FILE", help="element-set file (default: the Jinan-368 plan)")
    p.add_argument("--strict", action=argparse.BooleanOptionalAction, default=False,
                   help="stop at the first bad record (default: --no-strict, skip bad records and list them)")
    p.add_argument("--at", metavar="ISO", default="now",
                   help="reference time for epoch ages, UTC ISO 8601 (default: now)")
    p.set_defaults(func=run)
    return p


def shells(sats) -> list[tuple[int, float, float, str]]:
    """Cluster satellites by mean altitude (rounded to ``ALT_BIN_KM``) and inclination (to ``INC_BIN_DEG``).

    Returns ``(count, altitude_km, inclination_deg, kind)`` for clusters of at least ``MIN_SHELL``
    members, largest first, with the members' mean altitude and inclination.  Mean altitude is the SGP4
    mean semi-major axis minus the WGS-72 equatorial radius.  ``kind`` is ``"sun-synchronous"`` when the
    inclination is within 0.5 deg of the J2 sun-synchronous value for that altitude, ``"geostationary"``
    (within 200 km of 35,786 km) or ``"equatorial"`` for near-circular orbits (e < 0.01) inclined less than
    1 deg (their nodes are not planes), ``"Walker-like"`` for other near-circular orbits spread over at
    least three planes (RAAN rounded to 5 degrees), else ``""``.
    """
    from ..design import sun_synchronous_inclination

    groups: dict[tuple[float, float], list] = defaultdict(list)
    for s in sats:
        r = s.satrec
        alt_km = (r.a - 1.0) * r.radiusearthkm
        inc_deg = np.degrees(r.inclo)
        key = (round(alt_km / ALT_BIN_KM) * ALT_BIN_KM, round(inc_deg / INC_BIN_DEG) * INC_BIN_DEG)
        groups[key].append((inc_deg, np.degrees(r.nodeo), r.ecco, alt_km))
    out = []
    for members in groups.values():
        if len(members) < MIN_SHELL:
            continue
        inc = float(np.mean([m[0] for m in members]))
        alt = float(np.mean([m[3] for m in members]))
        planes = {round(m[1] / 5.0) % 72 for m in members}
        circular = max(m[2] for m in members) < 0.01
        if circular and 0 < alt < 5000 and abs(inc - sun_synchronous_inclination(alt)) < 0.5:
            kind = "sun-synchronous"
        elif circular and inc < 1.0:
            kind = "geostationary" if abs(alt - 35786.0) < 200.0 else "equatorial"
        else:
            kind = "Walker-like" if circular and len(planes) >= 3 else ""
        out.append((len(members), alt, inc, kind))
    out.sort(key=lambda x: (-x[0], x[1], x[2]))
    return out


#: Skipped records and duplicates listed by ``info`` (the summary, with the counts, follows the list).
REPORT_LINES_SHOWN = 20


def _age(days: float) -> str:
    return f"{days:.1f} d old" if days >= 0 else f"{-days:.1f} d in the future"


def run(args: argparse.Namespace) -> int:
    from ..timescale import parse_time

    at = parse_time(args.at)
    if args.file:
        import warnings

        from ..checks import input_file
        from ..elements import ElementSetWarning, load

        input_file(args.file, "element file", "TLE, 3LE or OMM records")
        with warnings.catch_warnings():          # the report below says the same, in full
            warnings.simplefilter("ignore", ElementSetWarning)
            cons = load(args.file, strict=args.strict)
    else:
        from ..design import jinan368

        cons = jinan368()
    print(f"source: {sanitize(cons.source) or '-'}")
    print(f"objects: {len(cons)}")
    counts = cons.group_counts()
    if len(counts) > 1 or "" not in counts:
        print("groups: " + ", ".join(f"{sanitize(g) or '(none)'}: {n}" for g, n in counts.items()))
    launched = int(np.count_nonzero(cons.launched))
    if launched != len(cons):
        print(f"launched: {launched} of {len(cons)}")
    if len(cons):
        ep = np.sort(cons.epochs)
        med = ep[len(ep) // 2]
        print(f"epochs (UTC), ages relative to {str(at)[:19]}:")
        for label, t in (("min", ep[0]), ("median", med), ("max", ep[-1])):
            age = (at - t) / np.timedelta64(1, "s") / 86400.0
            print(f"  {label:7}{str(t)[:19]}  {_age(age)}")
    found = shells(cons)
    print(f"shells (grouped by altitude to {ALT_BIN_KM:g} km and inclination to {INC_BIN_DEG:g} deg, "
          f">= {MIN_SHELL} members; their mean altitude and inclination): {len(found)}")
    for count, alt, inc, kind in found[:MAX_SHELLS_SHOWN]:
        print(f"  {(kind + ' shell') if kind else 'shell'} {alt:.0f} km {inc:.1f} deg: {count}")
    if len(found) > MAX_SHELLS_SHOWN:
        rest = found[MAX_SHELLS_SHOWN:]
        print(f"  ... {len(rest)} more shells with {sum(f[0] for f in rest)} satellites")
    report = getattr(cons, "report", None)
    if report is not None:
        print("load report:")
        lines = report.lines()
        for line in lines[:REPORT_LINES_SHOWN + 1]:
            print(f"  {sanitize(line)}")
        if len(lines) > REPORT_LINES_SHOWN + 1:
            print(f"  ... {len(lines) - REPORT_LINES_SHOWN - 1} more records listed in the report "
                  f"(load(path, strict=False).report in Python)")
            print(f"  {sanitize(report.summary())}")
    return 0
