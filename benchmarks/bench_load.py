"""Benchmark: reading element-set files with :func:`constellation.elements.load` vs plain python-sgp4.

The baseline is what a user would write without this package: read the file, split it into lines and
call ``Satrec.twoline2rv`` on each line-1/line-2 pair (no validation, no names, no duplicate handling).
Runs alternate between the two so machine load affects both alike; the table shows medians.

Run:  uv run python benchmarks/bench_load.py [--repeat 7] [FILE ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from sgp4.api import Satrec

from constellation.elements import load

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DEFAULT_FILES = ("celestrak_active_2026-06-14.tle", "celestrak_active_2025-10-03.txt")


def baseline(path: Path) -> int:
    """Plain python-sgp4: every line starting '1 ' with the next line, through Satrec.twoline2rv."""
    lines = path.read_text().splitlines()
    sats = [Satrec.twoline2rv(lines[i], lines[i + 1]) for i in range(len(lines) - 1)
            if lines[i].startswith("1 ")]
    return len(sats)


def ours(path: Path) -> int:
    return len(load(path))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)
    files = args.files or [SHARED / f for f in DEFAULT_FILES]
    missing = [f for f in files if not f.is_file()]
    if missing:
        print(f"missing: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    print(f"{'file':36} {'objects':>8} {'baseline s':>11} {'load s':>9} {'ratio':>6} "
          f"{'baseline obj/s':>15} {'load obj/s':>11}")
    for f in files:
        t_base, t_ours = [], []
        n_base = n_ours = 0
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            n_base = baseline(f)
            t1 = time.perf_counter()
            n_ours = ours(f)
            t2 = time.perf_counter()
            t_base.append(t1 - t0)
            t_ours.append(t2 - t1)
        b, o = statistics.median(t_base), statistics.median(t_ours)
        note = "" if n_base == n_ours else f"  (baseline read {n_base})"
        print(f"{f.name:36} {n_ours:8d} {b:11.3f} {o:9.3f} {o / b:6.2f} {n_base / b:15,.0f} "
              f"{n_ours / o:11,.0f}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
