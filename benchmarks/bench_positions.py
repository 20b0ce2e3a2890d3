"""Earth-fixed position speed: ITRS satellite-steps per second for the coverage engine's position feed.

Cases: the Jinan-368 plan over one day at 30 s (368 x 2881 satellite-steps) and a synthetic Walker delta
shell of ``--walker-sats`` satellites (default 10,000 = 100 planes x 100, 53 deg, 550 km) over
``--walker-duration`` (default 6 h) at 30 s.  Methods:

* ``SatrecArray.sgp4``: bare python-sgp4, TEME only (the baseline every ratio refers to);
* ``itrs_chunks``: today's streaming path (exact SGP4 + TEME -> ITRS, satellite-major chunks);
* ``itrs_block exact``: SGP4 at every step, time-major output;
* ``itrs_block hermite``: cubic Hermite (``stencil=2``, ``--node-step``) and degree-7 Hermite over 4 nodes
  (``stencil=4``, ``--node-step4``; by default the coverage engine's choice,
  :func:`~constellation.propagation.auto_node_step_s` for a 5 m target): SGP4 at the nodes (near-Earth
  satellites in the numba kernel :mod:`constellation.kernels.sgp4_near`, parallel; others python-sgp4),
  TEME -> ITRS at the nodes and Hermite interpolation in ITRS (numba).  The "blocks" row streams the
  window through one reused buffer of ``--block`` times (by default the coverage engine's chunk length
  for that constellation on a 1 deg grid), as the coverage engine does; "cold" also rebuilds the
  per-constellation SGP4 coefficient table each run;
* ``heyoka sgp4`` (TEME only), when ``heyoka`` imports: its vectorised SGP4 propagator, for reference.
  It is not a dependency; to measure it, install it into a throwaway venv and pass its site-packages with
  ``--extra-site`` (appended to ``sys.path``, after the project's own packages).

Each ``itrs_block`` run builds a fresh :class:`~constellation.propagation.ItrsWindow` (Earth orientation,
node grid) and asks for the whole window as one block, so node SGP4 and set-up are inside the timing.
Every figure is the median of ``--repeats`` warm runs (one untimed warm-up first, which also loads the
numba kernels).  Goal: hermite >= 60 M satellite-steps/s on 2 cores.

Run:  uv run python benchmarks/bench_positions.py [--repeats 5] [--node-step 120] [--walker-sats 10000]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings

import numpy as np


def _median_time(fn, repeats: int) -> float:
    fn()  # warm-up
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def _heyoka_runner(sats, times):
    """A closure running heyoka's SGP4 over ``times`` for ``sats``, or None when heyoka does not import."""
    try:
        import heyoka as hy
    except ImportError:
        return None, "not installed"
    from constellation.timescale import julian_utc

    recs = list(sats.satrecs)
    prop = hy.model.sgp4_propagator(recs)
    jd, fr = julian_utc(times)
    ep = np.array([r.jdsatepoch for r in recs]), np.array([r.jdsatepochF for r in recs])
    tm = ((jd[:, None] - ep[0][None, :]) + (fr[:, None] - ep[1][None, :])) * 1440.0  # minutes since epoch

    def run():
        prop(tm)

    return run, f"heyoka {hy.__version__}"


def bench_case(label: str, sats, times, args) -> list[tuple[str, float, str]]:
    import importlib

    propagate = importlib.import_module("constellation.propagation")  # the module, not the function
    from constellation.engine import _auto_chunk
    from constellation.propagation import ItrsWindow, auto_node_step_s, hermite_error_km, itrs_chunks
    from constellation.timescale import julian_utc

    ns, nt = len(sats), times.size
    repeats, node_step_s = args.repeats, args.node_step
    step4 = args.node_step4 if args.node_step4 is not None else auto_node_step_s(sats, stencil=4)
    sa = sats.satrec_array()
    jd, fr = julian_utc(times)
    rows = []

    def bare():
        sa.sgp4(jd, fr)

    def chunks():
        for _ in itrs_chunks(sats, times, warn=False):
            pass

    def block_exact():
        ItrsWindow(sats, times, method="exact").block(0, nt)

    def block_hermite():
        ItrsWindow(sats, times, node_step_s=node_step_s).block(0, nt)

    def block_hermite4():
        ItrsWindow(sats, times, node_step_s=step4, stencil=4).block(0, nt)

    block = args.block or _auto_chunk(ns, 180, nt)  # the coverage engine's chunk (1 deg grid: 180 rows)
    buf = np.empty((block, ns, 3))

    def block_hermite4_streamed():
        win = ItrsWindow(sats, times, node_step_s=step4, stencil=4)
        for a in range(0, nt, block):
            b = min(a + block, nt)
            win.block(a, b, out=buf[:b - a])

    def block_hermite_cold():
        propagate._TABLE_CACHE.clear()  # rebuild the near-Earth SGP4 coefficient table too
        ItrsWindow(sats, times, node_step_s=node_step_s).block(0, nt)

    err_m = hermite_error_km(sats, times, node_step_s=node_step_s) * 1e3
    err4_m = hermite_error_km(sats, times, node_step_s=step4, stencil=4) * 1e3
    for name, fn, note in (("SatrecArray.sgp4 (TEME only)", bare, "baseline"),
                           ("itrs_chunks (exact, today)", chunks, ""),
                           ("itrs_block exact", block_exact, ""),
                           (f"itrs_block hermite {node_step_s:g} s", block_hermite,
                            f"max interp. error {err_m:.2f} m (estimate)"),
                           (f"itrs_block hermite stencil=4, {step4:g} s", block_hermite4,
                            f"max interp. error {err4_m:.2f} m (estimate)"),
                           (f"itrs_block hermite stencil=4, {step4:g} s, blocks of {block}",
                            block_hermite4_streamed, "streamed through one buffer, as the coverage engine does"),
                           (f"itrs_block hermite {node_step_s:g} s, cold", block_hermite_cold,
                            "incl. building the SGP4 coefficient table (once per constellation)")):
        rows.append((name, _median_time(fn, repeats), note))
    run, note = _heyoka_runner(sats, times)
    rows.append(("heyoka sgp4 (TEME only)", _median_time(run, repeats) if run else float("nan"), note))

    base = ns * nt / rows[0][1]
    print(f"\n{label}: {ns:,} satellites x {nt:,} steps = {ns * nt / 1e6:.2f} M satellite-steps")
    print("| method | median s | M sat-steps/s | x SatrecArray | note |")
    print("|---|---:|---:|---:|---|")
    for name, sec, note in rows:
        if np.isnan(sec):
            print(f"| {name} | - | - | - | {note} |")
            continue
        rate = ns * nt / sec
        print(f"| {name} | {sec:.4f} | {rate / 1e6:.2f} | {rate / base:.2f} | {note} |")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5, help="warm runs per method (median reported)")
    ap.add_argument("--node-step", type=float, default=120.0, help="cubic hermite node step, seconds")
    ap.add_argument("--node-step4", type=float, default=None,
                    help="node step with stencil=4, seconds (default: auto_node_step_s, the coverage engine's rule)")
    ap.add_argument("--block", type=int, default=None,
                    help="times per block in the streamed row (default: the coverage engine's chunk length)")
    ap.add_argument("--walker-sats", type=int, default=10_000, help="satellites in the synthetic shell")
    ap.add_argument("--walker-planes", type=int, default=100)
    ap.add_argument("--walker-duration", default="6h", help="window of the synthetic shell (30 s steps)")
    ap.add_argument("--extra-site", action="append", default=[],
                    help="directory appended to sys.path (e.g. a throwaway venv's site-packages with heyoka)")
    args = ap.parse_args()
    sys.path.extend(args.extra_site)

    import numba
    import sgp4

    import constellation as C
    from constellation.design import walker_delta

    print(f"python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
          f"sgp4 {sgp4.__version__}, cpus {os.cpu_count()}, numba threads {numba.get_num_threads()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    warnings.simplefilter("ignore")

    plan = C.jinan368()
    t = C.time_range(plan.epochs.min(), duration="1d", step_s=30)
    bench_case("Jinan-368 plan, 1 day at 30 s", plan, t, args)

    shell = walker_delta(args.walker_sats, args.walker_planes, 1, 53.0, 550.0, "2026-01-01", name="shell",
                         first_catalog_number=100_001)
    t = C.time_range("2026-01-01", duration=args.walker_duration, step_s=30)
    bench_case(f"Walker delta {args.walker_sats}/{args.walker_planes}/1, 53 deg, 550 km, "
               f"{args.walker_duration} at 30 s", shell, t, args)


if __name__ == "__main__":
    main()
