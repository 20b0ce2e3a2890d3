"""Compiling the kernels ahead of their first use, on several cores, and knowing whether that is needed.

Every kernel is compiled by numba the first time it runs and cached on disk (:mod:`constellation.kernels`
chooses the cache directory), so only the first run on a machine pays for it.  This module lists, for each
kind of work (a *workload*: the coverage engine, DOP, propagation to a Dataset, ...), every kernel it
calls with the exact argument types the package passes to it (the callers fix dtypes and memory layout,
so each kernel has one signature per workload), grouped into jobs that can compile independently.  With
that list it can

* tell, without compiling anything, which kernels of a workload are not cached yet (:func:`missing`);
* compile them ahead of the work, spreading the jobs over several processes, since one numba compilation
  uses one core (:func:`compile_workloads`);
* give a rough duration for a message before it starts (:func:`estimate_s`).

A test runs each workload and checks that it compiles nothing outside this list, so the list cannot drift
from the code.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

__all__ = ["WORKLOADS", "Job", "jobs", "missing", "estimate_s", "compile_workloads", "ensure", "cache_dir"]

#: The workloads, each the kernels one kind of work runs (see :func:`jobs`).
WORKLOADS = ("coverage", "coverage-exact", "dop", "propagate", "oracle", "dop-systems", "bent-pipe", "imaging",
             "coverage-gateways")


@dataclass(frozen=True)
class Job:
    """Kernels compiled together: ``kernels`` are ``(module, function, argument types)`` triples (modules of
    :mod:`constellation.kernels`), ``after`` the names of jobs whose kernels these call (compiled first, so
    that they come from the cache here), ``cost_s`` the compile time measured on the 2-core reference
    machine (for estimates and for scheduling the longest first)."""

    name: str
    kernels: tuple
    cost_s: float
    after: tuple = ()


def _types():
    from numba import types as T

    def a(dtype, ndim):
        return T.Array(dtype, ndim, "C")

    f8, i8, b1 = T.float64, T.int64, T.boolean
    return T, a, f8, i8, b1


def jobs(workload: str) -> list[Job]:
    """The jobs of ``workload`` (one of :data:`WORKLOADS`)."""
    T, a, f8, i8, b1 = _types()
    F1, F2, F3 = a(f8, 1), a(f8, 2), a(f8, 3)
    I1, I2 = a(i8, 1), a(i8, 2)
    work = T.Tuple((F1, I2, I2, I2, I2, I1, F2))
    nodes = Job("nodes", (("sgp4_near", "sgp4_tasks", (i8, i8, F2, I1, F1, F1, F3, F3, a(T.uint8, 2), i8, i8)),
                          ("interp", "states_to_itrs_items", (i8, i8, F3, F3, F3, F3, i8)),
                          ("interp", "hermite_weights", (F1, i8, f8))), 5.0)
    hermite = Job("hermite", (("interp", "hermite_tasks_4", (i8, i8, F3, F3, i8, I1, F2, F2, F3, i8)),
                              ("interp", "mask_failures", (F3, i8, I1, F1, i8, I1, I1, F3))), 1.0)
    walk = Job("walk", (("rowmodel", "walk_row", (i8, i8, i8, F3, F3, F2, F2, I2, f8, i8, f8, b1, I2, i8, i8)),), 3.0)
    tables = Job("tables", (("visibility", "sat_geometry_steps", (i8, i8, F3, F2, I2, f8, F3)),
                            ("sattables", "sat_table_runs", (i8, i8, F3, F2, I2, F3, I2, I1, F1, i8))), 3.5)
    transitions = Job("transitions", (
        ("sweep", "_transitions", (i8, i8, i8, i8, F3, F2, F2, I2, I1, b1, I1, I2, i8, I2, i8, I2, i8, I2, i8,
                                   a(T.int32, 2), a(T.int32, 2), a(T.int32, 2), a(T.int32, 2), I1, I2, work, I1,
                                   i8, F2, F2, a(T.int32, 2), a(T.int32, 2), F2)),
        ("fastpath", "arcs_full_row", (F3, I2, i8, i8, i8, F2, i8, i8, I1, I1, I1, I1)),
        ("sweep", "_day_edges", (i8, i8, i8, i8, F2, I1, F2, F2, a(T.int32, 2), a(T.int32, 2), i8, I2)),
        ("sweep", "_sun_row", (F1, F2, b1, F1, F2, a(T.int32, 2), a(T.int32, 2)))), 6.5)
    C32 = a(T.int32, 2)
    row_parts = Job("row-parts", (
        ("sweep", "_collect_runs", (i8, i8, i8, i8, b1, i8, F3, F3, F3, I2, F2, F2, I2, F2, I2, I2)),
        ("sweep", "_walk_undecided", (i8, i8, i8, i8, i8, F3, F3, I2, F2, F2, I2, F2, I2, I1, I2)),
        ("sweep", "_open_row", (i8, i8, b1, b1, i8, i8, C32, C32, C32, I2, C32, C32, I1, I2)),
        ("sweep", "_first_sample", (i8, b1, i8, i8, C32, C32, C32, C32, I2, C32, C32, I1, I2)),
        ("sweep", "_close_row", (i8, i8, I2, C32, C32, C32, i8, i8, I2)),
        ("sweep", "_prefix_sums", (C32, I1, b1, C32, C32)),
        ("sweep", "_apply_day", (F2, I1, b1, C32, C32, C32)),
        ("sweep", "_sample_all_outputs", (i8, C32, C32, C32, I2, C32, C32, I1, I1))), 4.0, ("walk",))
    rows = Job("rows", (("sweep", "sweep_rows", (i8, i8, F3, F3, F3, I2, I1, F1, I1, F2, F2, I2, F2, I2, I1, F2, F2,
                                                  I1, I2, a(T.int32, 3), a(T.int16, 3), F2)),), 6.0,
               ("walk", "transitions", "row-parts"))
    reduce = Job("reduce", (("reductions", "combine_blocks", (i8, i8, I2, I2, I2)),
                            ("reductions", "_n_unmet", (I2, I2)),
                            ("reductions", "_finish_cells", (I2, b1, F2, I2)),
                            ("reductions", "area_fraction", (a(T.int32, 3), F1, f8, F2, i8))), 2.2)
    if workload == "coverage":
        return [nodes, hermite, walk, transitions, tables, row_parts, rows, reduce]
    if workload == "coverage-exact":
        return [Job("exact", (("interp", "rotate_time_major_items", (i8, i8, F3, F3, F3)),), 0.5)]
    if workload == "dop":
        return [walk, Job("dop", (("dop", "accumulate_dop_rows", (i8, i8, F3, F3, I2, F2, I1, F1, F2, F2, I2, F2, f8,
                                                                  b1, f8, F3, I2, I2, F2, F3, F2)),
                                  ("sattables", "sat_table_steps", (i8, i8, F3, I2, I2, F2, I1, F1)),
                                  ("visibility", "sat_geometry_steps", (i8, i8, F3, F2, I2, f8, F3)),
                                  ("frames", "rotate_positions_items", (i8, i8, F3, F3, F3))), 6.0, ("walk",))]
    if workload == "dop-systems":  # several navigation systems, one receiver clock per system or common
        return [walk, Job("dop-systems", (
            ("dop", "accumulate_dop_systems_rows", (i8, i8, F3, F3, I2, F2, I1, F1, F2, F2, I2, F2, f8, b1, f8, I1, i8,
                                                    I1, I1, a(f8, 4), a(i8, 3), a(i8, 3), F3, F2, F3, F2)),
            ("sattables", "sat_table_steps", (i8, i8, F3, I2, I2, F2, I1, F1)),
            ("visibility", "sat_geometry_steps", (i8, i8, F3, F2, I2, f8, F3)),
            ("frames", "rotate_positions_items", (i8, i8, F3, F3, F3))), 6.0, ("walk",))]
    if workload == "bent-pipe":  # transparent satellites: served only while a gateway is in view too
        return [walk, Job("bent-pipe", (
            ("bentpipe", "accumulate_served_rows", (i8, i8, F3, F3, I2, F2, I1, F1, F2, F2, I2, f8, b1, I2, i8, I2,
                                                    I2, I2, I2)),
            ("sattables", "sat_table_steps", (i8, i8, F3, I2, I2, F2, I1, F1)),
            ("visibility", "sat_geometry_steps", (i8, i8, F3, F2, I2, f8, F3)),
            ("frames", "rotate_positions_items", (i8, i8, F3, F3, F3))), 5.0, ("walk",))]
    if workload == "propagate":
        return [Job("propagate", (("frames", "rotate_bowring_sats", (i8, i8, F3, F3, F3, F3, i8, F2, F2, F2, F2, F2,
                                                                      F2, F2, F2, F2)),), 2.0)]
    if workload == "oracle":  # the brute force the tests and benchmarks check the engine against
        return [Job("oracle", (("bruteforce", "accumulate_cells", (i8, i8, F3, F2, F2, f8, i8, f8, i8, i8, I2,
                                                                   a(T.int8, 1))),), 1.5)]
    if workload == "coverage-gateways":  # bent pipe in the coverage engine: each satellite's gateway links
        return [Job("gateway-links", (("gatewaylinks", "relay_steps", (i8, i8, F3, I1, F2, I2, a(T.int8, 2), F2)),),
                    1.5)]
    if workload == "imaging":  # pushbroom swath crossings (constellation.imaging); SGP4 states as at the nodes
        events = (F3, F3, F2, F2, F2, F1, a(b1, 2), F1, F1, F1, f8, f8, f8, b1, F2, F2, F1)
        return [nodes, Job("swath", (("swath", "swath_events", events),), 3.5)]
    raise ValueError(f"unknown workload {workload!r}; choose from {', '.join(WORKLOADS)}")


def _dispatcher(module: str, name: str):
    import importlib

    return getattr(importlib.import_module(f"constellation.kernels.{module}"), name)


def _is_cached(module: str, name: str, sig: tuple) -> bool:
    """Whether numba's on-disk cache holds ``module.name`` for the argument types ``sig`` (read from the
    cache index, nothing compiled or loaded)."""
    disp = _dispatcher(module, name)
    cache = getattr(disp, "_cache", None)
    index = getattr(cache, "_cache_file", None)
    if index is None:  # caching is off
        return False
    key = cache._index_key(tuple(sig), disp.targetctx.codegen())
    return key in index._load_index()


def missing(workloads: Iterable[str]) -> list[Job]:
    """The jobs of ``workloads`` with at least one kernel that is not in the cache (each job once)."""
    out, seen = [], set()
    for w in workloads:
        for job in jobs(w):
            if job.name in seen:
                continue
            seen.add(job.name)
            if not all(_is_cached(m, n, s) for m, n, s in job.kernels):
                out.append(job)
    return out


def estimate_s(todo: Sequence[Job], processes: int) -> float:
    """A rough wall time for compiling ``todo`` on ``processes`` processes: the end of :func:`_schedule`'s
    plan with the reference machine's costs, plus a second to start each helper process."""
    if not todo:
        return 0.0
    lanes = _schedule(todo, processes)
    names = {j.name for j in todo}
    done_at: dict[str, float] = {}
    ends = [0.0] * len(lanes)
    pending = [list(lane) for lane in lanes]
    progress = True
    while any(pending) and progress:  # replay the plan: lanes run their jobs in order, waiting as they must
        progress = False
        for k, lane in enumerate(pending):
            while lane and all(d in done_at or d not in names for d in lane[0].after):
                job = lane.pop(0)
                ends[k] = max([ends[k]] + [done_at[d] for d in job.after if d in done_at]) + job.cost_s
                done_at[job.name] = ends[k]
                progress = True
    return max(ends) + (1.0 if processes > 1 else 0.0)


def _compile_job(job: Job) -> None:
    for module, name, sig in job.kernels:
        _dispatcher(module, name).compile(tuple(sig))


def _job_named(name: str) -> Job:
    """The job called ``name`` (a job in several workloads is the same job in each)."""
    return next(j for w in WORKLOADS for j in jobs(w) if j.name == name)


def _schedule(todo: Sequence[Job], processes: int) -> list[list[Job]]:
    """Jobs per process (list scheduling): the job with the longest chain of work still hanging on it goes
    first, to the process that can finish it first, never starting before the jobs it comes after
    (as far as the costs tell)."""
    names = {j.name for j in todo}
    tail: dict[str, float] = {}

    def chain(job: Job) -> float:  # the job's cost plus the longest chain of jobs that come after it
        if job.name not in tail:
            tail[job.name] = job.cost_s + max([chain(k) for k in todo if job.name in k.after] + [0.0])
        return tail[job.name]

    lanes: list[list[Job]] = [[] for _ in range(processes)]
    ends = [0.0] * processes
    done_at: dict[str, float] = {}
    pending = sorted(todo, key=lambda j: -chain(j))
    while pending:
        ready = [j for j in pending if all(d in done_at or d not in names for d in j.after)]
        job = ready[0] if ready else pending[0]
        start_min = max([done_at.get(d, 0.0) for d in job.after] + [0.0])
        k = min(range(processes), key=lambda i: max(ends[i], start_min) + job.cost_s)
        ends[k] = max(ends[k], start_min) + job.cost_s
        done_at[job.name] = ends[k]
        lanes[k].append(job)
        pending.remove(job)
    return lanes


def compile_workloads(workloads: Iterable[str], *, processes: int | None = None,
                      announce: Callable[[str], None] | None = None) -> list[Job]:
    """Compile (into the on-disk cache) every kernel of ``workloads`` that is not cached yet, on up to
    ``processes`` processes (default: the number of cores, at most 4); returns the jobs compiled.

    ``announce`` receives one line before any compiling starts (what, how many, about how long) and one when
    it is done.  The jobs run longest first; a job that calls another job's kernels waits for that job's
    process to finish it, so nothing is compiled twice.  Helper processes run this module with
    ``python -m constellation.kernels.precompile JOB ...`` and compile into the same cache directory.
    """
    todo = missing(workloads)
    if not todo:
        return []
    if processes is None:
        processes = int(os.environ.get("CONSTELLATION_COMPILE_PROCESSES", 0)) or min(4, os.cpu_count() or 1)
    processes = max(1, min(int(processes), len(todo)))
    estimate = estimate_s(todo, processes)
    say = announce is not None and estimate >= 1.0  # (a moment's compiling needs no message)
    if say:
        n = sum(len(j.kernels) for j in todo)
        announce(f"compiling {n} numba kernel{'s' if n > 1 else ''} for this machine (once; later runs load "
                 f"them from {cache_dir() or 'nowhere: caching is off'}), about {estimate:.0f} s on {processes} "
                 f"core{'s' if processes > 1 else ''}")
    t0 = time.perf_counter()
    lanes = _schedule(todo, processes)
    helpers = []
    done_elsewhere = {}  # job name -> the helper process compiling it
    for lane in (ln for ln in lanes[1:] if ln):
        h = subprocess.Popen([sys.executable, "-m", "constellation.kernels.precompile", *(j.name for j in lane)],
                             stdout=subprocess.PIPE, text=True)
        helpers.append(h)
        done_elsewhere.update((j.name, h) for j in lane)
    finished: set[str] = set()
    try:
        for job in lanes[0]:
            for dep in job.after:
                h = done_elsewhere.get(dep)
                while h is not None and dep not in finished:
                    line = h.stdout.readline()
                    if not line:
                        break
                    finished.add(line.strip())
            _compile_job(job)
    finally:
        for h in helpers:
            h.stdout.read()
            if h.wait() != 0:
                raise RuntimeError("a kernel compilation process failed (run 'constellation compile' to see why)")
    if say:
        announce(f"compiled in {time.perf_counter() - t0:.0f} s")
    return todo


_ENSURED: set[str] = set()  # workloads this process has found (or made) compiled


def ensure(workloads: Sequence[str]) -> None:
    """Compile the kernels of ``workloads`` that are not cached yet (:func:`compile_workloads`), saying so on
    stderr first: what is happening, that it happens once per machine, about how long.  Public entry points
    call this before their first kernel, so no progress bar times a compilation.  A workload found compiled
    is not looked up again in this process."""
    todo = [w for w in workloads if w not in _ENSURED]
    if todo:
        compile_workloads(todo, announce=lambda line: print(f"constellation: {line}", file=sys.stderr, flush=True))
        _ENSURED.update(todo)


def cache_dir() -> str | None:
    """The on-disk cache directory in use, or None where caching is off."""
    from . import CACHE

    return os.environ.get("NUMBA_CACHE_DIR") if CACHE else None


def _main(argv: Sequence[str]) -> int:
    """Helper process: compile the jobs named in ``argv`` in order, printing each name when done."""
    for name in argv:
        _compile_job(_job_named(name))
        print(name, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
