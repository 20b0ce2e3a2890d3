"""Coverage on a dask cluster: 2 worker processes against 1, and what travels between them.

Case (default): a Walker delta shell of 3,000 satellites (60 planes, 53 deg, 550 km, made with
``constellation.design.walker_delta``), 1 deg global grid (64,800 cells), 24 h at 30 s (2,881 steps),
10 deg mask, every figure of merit, propagation included.  (A day rather than 6-12 h: the engine does
12 h of this shell in a few seconds on one core, and the fixed per-run costs - plan sent to the workers,
per-worker position tables, the final Dataset on the client - then weigh too much for the ratio to
say anything about the division of the work.)

Rows (each the median of ``--repeats`` warm runs, after one warm-up run per configuration; the clusters are
started together and the runs interleaved round by round, so that each round gives a paired ratio - a
shared host's speed drifts over minutes):

* ``coverage()`` in this process, single-threaded numba (``NUMBA_NUM_THREADS=1``): the baseline;
* ``coverage(client=...)`` on a ``distributed.LocalCluster`` of 1 worker process (1 thread);
* the same with 2 worker processes (1 thread each).

Workers get ``NUMBA_NUM_THREADS=1`` so each worker is one core, as the baseline is, and the clusters start
with ``constellation.distributed.CLUSTER_CONFIG`` (``--dask-defaults`` to leave dask's own: its profiler
and monitors then take a few percent of each worker's core); chunking is the automatic one for a cluster
(:func:`constellation.distributed.dask_bounds`: at least 5 chunks per worker thread, none longer than the
single-process run's memory-bounded chunks, the last two rounds each half as long as the one before).
Every result is checked bit-identical to the baseline.  The target is >= 1.8x for 2 workers over 1.  On
a shared machine single rounds swing by 10-20%, so the default is 9 rounds.

It then prints, on paper, what a run sends to each worker and what comes back, with sizes measured for
this case (pickled bytes), and how that scales to many machines.

Run:   uv run python benchmarks/bench_distributed.py [--repeats 9] [--sats 3000] [--duration 24h]
                                                     [--grid-deg 1] [--step 30s] [--dask-defaults]
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")  # before numba loads: the in-process baseline is one core

import argparse  # noqa: E402
import contextlib  # noqa: E402
import dataclasses  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402


def _identical(a, b) -> bool:
    for v in a.variables:
        x, y = np.asarray(a[v].values), np.asarray(b[v].values)
        if x.dtype != y.dtype or x.shape != y.shape:
            return False
        if x.dtype.kind == "f":
            if not np.array_equal(x.view(np.int64), y.view(np.int64)):
                return False
        elif not np.array_equal(x, y):
            return False
    return True


def _mb(n: float) -> str:
    return f"{n / 1e6:,.2f} MB" if n >= 1e5 else f"{n / 1e3:,.1f} kB"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--sats", type=int, default=3000)
    ap.add_argument("--planes", type=int, default=60)
    ap.add_argument("--duration", default="24h")
    ap.add_argument("--step", default="30s")
    ap.add_argument("--grid-deg", type=float, default=1.0)
    ap.add_argument("--workers", default="1,2", help="worker counts to run (default 1,2)")
    ap.add_argument("--dask-defaults", action="store_true",
                    help="start the clusters with dask's default settings instead of constellation.distributed."
                         "CLUSTER_CONFIG (profiler off, monitors less often)")
    args = ap.parse_args()

    import dask
    import distributed
    import numba

    import constellation
    from constellation import distributed as dist
    from constellation.api import coverage
    from constellation.design import walker_delta
    from constellation.engine import make_plan
    from constellation.grid import global_grid
    from constellation.timescale import parse_duration, time_range

    sats = walker_delta(args.sats, args.planes, 1, 53.0, 550.0, "2026-01-01T00:00:00", name="bench shell",
                        first_catalog_number=100_001)  # Alpha-5 numbers: room for shells past 10,000
    times = time_range("2026-01-01", step_s=parse_duration(args.step), duration=parse_duration(args.duration))
    grid = global_grid(args.grid_deg)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load average "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())} (shared machine: other jobs distort timings)")
    print(f"constellation {constellation.__version__}, numba {numba.__version__} "
          f"(threads here: {numba.config.NUMBA_NUM_THREADS}), dask {dask.__version__}, "
          f"distributed {distributed.__version__}")
    print(f"case: {len(sats)} satellites (Walker {args.sats}/{args.planes}/1, 53 deg, 550 km), "
          f"{grid.n_cells:,} cells ({args.grid_deg:g} deg), {times.size} steps ({args.duration} at {args.step}); "
          f"medians of {args.repeats} warm runs\n")

    # All configurations are started first and their runs interleaved (in-process, 1 worker, 2 workers, then
    # again): a shared host's speed drifts over minutes, so configurations measured one
    # after the other would compare different phases.  Each round gives a paired ratio.
    counts = [int(x) for x in args.workers.split(",") if x.strip()]
    cfg = {} if args.dask_defaults else dist.CLUSTER_CONFIG
    with contextlib.ExitStack() as stack:
        clients = {}
        for n in counts:
            with dask.config.set(cfg):  # worker processes take the configuration they start with
                cluster = stack.enter_context(distributed.LocalCluster(
                    n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                    worker_dashboard_address=None, env={"NUMBA_NUM_THREADS": "1"}))
            clients[n] = stack.enter_context(distributed.Client(cluster))
        runs = {0: lambda: coverage(sats, times, grid)}
        runs.update({n: (lambda c=c: coverage(sats, times, grid, client=c)) for n, c in clients.items()})
        ref = runs[0]()  # warm-ups (the workers load their kernels)
        same = {n: _identical(runs[n](), ref) for n in clients}
        ts = {key: [] for key in runs}
        for _ in range(args.repeats):
            for key, fn in runs.items():
                t = time.perf_counter()
                out = fn()
                ts[key].append(time.perf_counter() - t)
                if key:
                    same[key] = same[key] and _identical(out, ref)
        notes: list[str] = []
        for n, client in clients.items():
            with distributed.get_task_stream(client) as stream:  # one more run, to see where the time goes
                t = time.perf_counter()
                runs[n]()
                wall = time.perf_counter() - t
            spans = [(ss["start"], ss["stop"]) for r in stream.data for ss in r["startstops"]
                     if ss["action"] == "compute" and "chunk_task" in str(r["key"])]
            busy = sum(b - a for a, b in spans)
            span = max(b for _, b in spans) - min(a for a, _ in spans)
            notes.append(f"{n} worker{'s' if n > 1 else ''}: chunk tasks {busy:.2f} s of compute in total over a "
                         f"{span:.2f} s span ({busy / span / n:.0%} of {n} core{'s' if n > 1 else ''}); "
                         f"run {wall:.2f} s, so {wall - span:.2f} s outside the chunk tasks (plan to the workers, "
                         f"combine tail, gather, Dataset on the client)")

    med = {key: statistics.median(v) for key, v in ts.items()}
    plan0 = make_plan(sats, times, grid)
    names = {0: "coverage(), this process, 1 thread"}
    for n in clients:
        n_chunks = len(dist.dask_bounds(plan0, n))
        names[n] = f"LocalCluster {n} worker{'s' if n > 1 else ''} x 1 thread ({n_chunks} chunks)"
    w = max(len(v) for v in names.values())
    print(f"{'run':<{w}}  {'median s':>9}  {'runs s (in round order)':<30}  {'vs serial':>9}  identical")
    for key, name in names.items():
        print(f"{name:<{w}}  {med[key]:9.2f}  {', '.join(f'{t:.2f}' for t in ts[key]):<30}  "
              f"{med[0] / med[key]:8.2f}x  {same.get(key, True)}")
    if 1 in ts and 2 in ts:
        paired = [a / b for a, b in zip(ts[1], ts[2])]
        print(f"\n2 workers vs 1: {med[1] / med[2]:.2f}x from the medians; paired by round "
              f"{', '.join(f'{r:.2f}' for r in paired)}, median {statistics.median(paired):.2f}x (target >= 1.8x)")
        vs0 = [a / b for a, b in zip(ts[0], ts[2])]
        print(f"2 workers vs this process: paired median {statistics.median(vs0):.2f}x")
    for line in notes:
        print("  " + line)

    # -- on paper: what moves ------------------------------------------------------------------------
    import pickle

    plan = make_plan(sats, times, grid)
    plan = dataclasses.replace(plan, bounds=dist.dask_bounds(plan, 2))
    s = dist.transfer_sizes(plan)
    p_sat = len(pickle.dumps(plan.constellation)) + len(pickle.dumps((plan.sats_f, plan.sats_i)))
    p_time = len(pickle.dumps(plan.times)) + len(pickle.dumps(plan.ticks))
    p_grid = s["plan"] - p_sat - p_time
    auto_steps = max(b - a for a, b in make_plan(sats, times, grid).bounds)
    n_chunk = max(b - a for a, b in plan.bounds)
    n_out, n_cells, n_rows = plan.n_out, plan.n_cells, plan.n_rows
    year_chunks = -(-1_051_200 // auto_steps)
    s1 = 192 * 64_800
    print(f"""
What travels (this case, 2 workers, {s['n_chunks']} chunks of up to {n_chunk} steps; pickled sizes):
  to each worker, once : the plan                                                   {_mb(s['plan'])}
                           SGP4 models + requirement of {s['n_sat']} satellites            {_mb(p_sat)}
                           ({p_sat / max(s['n_sat'], 1):,.0f} B per satellite)
                           grid: cells and row geometry of {n_cells:,} cells (the rest)  {_mb(p_grid)}
                           {s['n_time']} sample times and ticks                               {_mb(p_time)}
  to a worker per chunk: the chunk index (a task of a few hundred bytes)
  made on a worker     : one chunk state, {n_out} x {n_cells:,} cells x 24 int64            {_mb(s['state'])}
                         (stays on the worker until combined)
  back per chunk       : covered cells per row and step, {n_out} x {n_rows} rows x {n_chunk} steps int32
                                                                                  {_mb(s['row_cov'])}
  combine tree         : {s['n_chunks'] - 1} joins; each moves at most one state between two workers
  back at the end      : the whole window's state                                     {_mb(s['state'])}

On many machines (M workers, C chunks, state S = 192 B x services x cells, plan P):
  sent    : M x P once, then C tasks of a few hundred bytes;
  moved   : at most (C - 1) x S between workers for the combine tree (ceil(log2 C) levels), most joins
            local to a worker when chunks are assigned in runs;
  returned: one S, and 4 B x services x rows x steps for the area-covered series of the whole window.
  Only P grows with the satellites; nothing grows with satellites x cells x time.  A 1 deg global grid
  has S = {_mb(s1)} whatever the constellation, so a year at 30 s (1,051,200 steps, {year_chunks:,} chunks
  of {auto_steps} steps, this case's memory-bounded chunk) moves at most {s1 * year_chunks / 1e9:,.0f} GB of states
  over the whole run, about {s1 * year_chunks / 1e9 / 100:,.1f} GB per machine on 100 machines, while each chunk's
  compute (satellites x footprint cells x steps) is divided among the machines.
""")


if __name__ == "__main__":
    main()
