"""``constellation compile``: compile the numba kernels ahead of time, for images and clusters."""

from __future__ import annotations

import argparse
import sys
import time

EPILOG = """\
examples:
  constellation compile                      # every workload's kernels, on every core
  constellation compile --workload coverage  # just what 'constellation coverage' runs
  constellation compile --check              # say what is not compiled yet; exit 1 if anything is
  NUMBA_CACHE_DIR=/shared/numba constellation compile   # a cache that dask workers share

The kernels are compiled once per machine into numba's on-disk cache and loaded from there afterwards;
every command compiles what it lacks by itself on first use, so this is only to do it ahead of time.
"""


#: The workloads of :mod:`constellation.kernels.precompile` (named here so that building the parser does not
#: import the kernels; a test keeps the two lists equal).
WORKLOADS = ("coverage", "coverage-exact", "dop", "propagate", "oracle", "dop-systems", "bent-pipe", "imaging",
             "coverage-gateways")


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "compile",
        help="compile the numba kernels ahead of time (once per machine; every command does it on first use)",
        description="Compile the numba kernels into the on-disk cache ahead of their first use, spread over "
                    "several processes: for container images, clusters and shared machines.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--workload", action="append", choices=WORKLOADS, metavar="NAME",
                   help=f"compile only this workload's kernels ({', '.join(WORKLOADS)}); repeatable; "
                        f"default: all")
    p.add_argument("--processes", type=int, default=None, metavar="N",
                   help="processes to compile in (default: the number of cores, at most 4)")
    p.add_argument("--check", action="store_true", help="only list what is not compiled yet (exit 1 if anything)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..kernels import precompile

    workloads = args.workload or list(precompile.WORKLOADS)
    if args.processes is not None and args.processes < 1:
        raise ValueError(f"--processes must be at least 1, got {args.processes}")
    where = precompile.cache_dir()
    if where is None:
        raise ValueError("numba's on-disk cache is off here (no writable cache directory, or "
                         "CONSTELLATION_NO_CACHE is set): there is nothing to compile ahead of time")
    todo = precompile.missing(workloads)
    if args.check:
        users: dict[str, list[str]] = {}  # job name -> the workloads (--workload names) that run its kernels
        for w in workloads:
            for job in precompile.jobs(w):
                users.setdefault(job.name, []).append(w)
        for job in todo:
            names = ", ".join(f"{m}.{n}" for m, n, _ in job.kernels)
            print(f"not compiled: {names} (for {', '.join(users.get(job.name, []))})")
        print(f"{'nothing' if not todo else f'{len(todo)} groups of kernels'} to compile for {', '.join(workloads)}; "
              f"cache: {where}")
        return 1 if todo else 0
    t0 = time.perf_counter()
    done = precompile.compile_workloads(workloads, processes=args.processes,
                                        announce=lambda line: print(f"constellation: {line}", file=sys.stderr))
    n = sum(len(j.kernels) for j in done)
    print(f"{n} kernels compiled in {time.perf_counter() - t0:.1f} s" if done else "all kernels already compiled",
          f"({', '.join(workloads)}); cache: {where}")
    return 0
