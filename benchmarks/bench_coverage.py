"""Coverage speed and memory: the engine against brute-force baselines, then how it scales.

Default case: the Jinan-368 plan, 1 deg global grid (64,800 cells), one day at 30 s (2,881 steps),
10 deg elevation mask, every figure of merit, propagation included.

Table 1 (default case; each line measured in its own subprocess, so peak RSS is that method's alone):

* ``coverage()``           - the engine, median of ``--repeats`` warm runs after one warm-up run;
* numba brute force        - ``constellation.kernels.bruteforce``: every satellite against every cell at
                             every step, exact elevation test, per-cell counts and gap runs, threads
                             over cells; timed on ``--bf-steps`` steps and scaled to the day, plus the
                             measured cost of propagating the whole day;
* numpy brute force        - the same exact test with numpy broadcasting, cells in blocks; timed on a few
                             steps and scaled (counts only: the cheapest numpy can do);
* Skyfield per point       - ``(EarthSatellite - wgs84.latlon).at(t).altaz()`` over the whole day for a
                             sample of satellite-site pairs, scaled to all 368 x 64,800 pairs.

Ratios are baseline time / engine time.  Targets: engine <= 1.5 s median end to end, >= 6x the numba
brute force, peak RSS <= 1 GiB.

Table 2 (scaling): 368 (Jinan-368) -> 1,000 -> 3,000 satellites (Walker-delta shells 53 deg, 550 km,
made with ``constellation.design.walker_delta``) on 2 -> 1 -> 0.5 deg grids.  The work the engine does
grows with the footprint work, satellite-cell-step incidences (the sum over steps and cells of the number
of satellites in view = sum of ``sats_in_view_mean`` x steps), not with satellites x cells; the table
gives incidences per second and nanoseconds per incidence next to the time.

Run:   uv run python benchmarks/bench_coverage.py            # both tables (several minutes)
       uv run python benchmarks/bench_coverage.py --quick    # smoke run: small case, 2 repeats
Options: --repeats N, --bf-steps N, --skip-scaling, --scaling-duration 6h, --threads N.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve()
GIB = 1024.0 ** 3


# -- workers: each runs in its own process and prints one JSON line --------------------------------------

def _rss_bytes() -> int:
    """Peak resident set size of this process so far (Linux reports KiB, macOS bytes)."""
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(r if sys.platform == "darwin" else r * 1024)


def _constellation(spec: str):
    import constellation as C

    if spec == "jinan368":
        return C.jinan368()
    total, planes = (int(x) for x in spec.split("/"))
    from constellation.design import walker_delta

    return walker_delta(total, planes, 1, 53.0, 550.0, "2026-01-01T00:00:00Z", name_prefix="SHELL",
                        first_catalog_number=300_001)


def _setup(p: dict):
    import constellation as C
    from constellation.grid import global_grid

    sats = _constellation(p["sats"])
    times = C.time_range(p.get("start", "2026-01-01T00:00:00Z"), duration=p["duration"], step_s=p["step_s"])
    grid = global_grid(p["grid_deg"])
    return sats, times, grid


def worker_engine(p: dict) -> dict:
    from constellation.api import coverage

    sats, times, grid = _setup(p)
    rss_setup = _rss_bytes()
    kw = dict(min_elevation_deg=p["min_elevation_deg"], positions=p.get("positions", "hermite"))
    run_times = []
    ds = None
    if p.get("small_warmup"):  # warm up (numba cache load) on two steps only, then time full runs
        coverage(sats, times[:2], grid, **kw)
        run_times.append(float("nan"))
    for _ in range(p["repeats"] + (0 if p.get("small_warmup") else 1)):  # first: warm-up
        t0 = time.perf_counter()
        ds = coverage(sats, times, grid, **kw)
        run_times.append(time.perf_counter() - t0)
    incidences = float(np.nansum(ds["sats_in_view_mean"].values)) * times.size
    return dict(times_s=run_times[1:], warmup_s=run_times[0], rss_bytes=_rss_bytes(), rss_setup_bytes=rss_setup,
                incidences=incidences, n_sat=len(sats), n_cell=grid.n_cells, n_step=int(times.size),
                mean_cov=float(np.average(ds["coverage_fraction"].values, weights=ds["cell_area_km2"].values)))


def worker_propagate(p: dict) -> dict:
    from constellation.propagation import itrs_chunks

    sats, times, grid = _setup(p)
    out = []
    for _ in range(p["repeats"] + 1):
        t0 = time.perf_counter()
        for _sl, _r, _err in itrs_chunks(sats, times):
            pass
        out.append(time.perf_counter() - t0)
    return dict(times_s=out[1:], rss_bytes=_rss_bytes())


def worker_numba_bf(p: dict) -> dict:
    from constellation.kernels import bruteforce as bf
    from constellation.propagation import itrs_chunks

    sats, times, grid = _setup(p)
    sub = times[: p["bf_steps"]]
    r = np.concatenate([c for _sl, c, _e in itrs_chunks(sats, sub)], axis=1)
    warm = bf.BruteForceState(grid.itrs_km(), grid.up(), p["min_elevation_deg"])
    bf.accumulate(warm, r[:, :bf.BLOCK_STEPS])  # compile / load from cache
    out = []
    for _ in range(p["repeats"]):
        state = bf.BruteForceState(grid.itrs_km(), grid.up(), p["min_elevation_deg"])
        t0 = time.perf_counter()
        bf.accumulate(state, r)
        out.append(time.perf_counter() - t0)
    return dict(times_s=out, steps=int(sub.size), rss_bytes=_rss_bytes(),
                incidences=float(state.n_sum.sum()), n_min=int(state.n_min.min()))


def worker_numpy_bf(p: dict) -> dict:
    from constellation.propagation import itrs_chunks

    sats, times, grid = _setup(p)
    sub = times[: p["np_steps"]]
    r = np.concatenate([c for _sl, c, _e in itrs_chunks(sats, sub)], axis=1)
    cells, up = grid.itrs_km(), grid.up()
    sin_el = np.sin(np.radians(p["min_elevation_deg"]))
    block = 4096
    out = []
    for _ in range(p["repeats"]):
        counts = np.zeros((sub.size, grid.n_cells), np.int32)
        t0 = time.perf_counter()
        for t in range(sub.size):
            pos = r[:, t, :]
            for c0 in range(0, grid.n_cells, block):
                d = pos[:, None, :] - cells[None, c0:c0 + block, :]          # (n_sat, block, 3)
                upd = np.einsum("scj,cj->sc", d, up[c0:c0 + block])
                dist = np.sqrt(np.einsum("scj,scj->sc", d, d))
                counts[t, c0:c0 + block] = (upd >= sin_el * dist).sum(axis=0)
        out.append(time.perf_counter() - t0)
    return dict(times_s=out, steps=int(sub.size), rss_bytes=_rss_bytes())


def worker_skyfield(p: dict) -> dict:
    from skyfield.api import load, wgs84

    sats, times, grid = _setup(p)
    ts = load.timescale(builtin=True)
    rng = np.random.default_rng(1)
    si = rng.choice(len(sats), p["sky_sats"], replace=False)
    ci = rng.choice(grid.n_cells, p["sky_points"], replace=False)
    sky = [sats[int(i)].to_skyfield(ts) for i in si]
    pts = [wgs84.latlon(float(grid.lat_deg[c]), float(grid.lon_deg[c])) for c in ci]
    t = ts.from_datetimes([x.replace(tzinfo=__import__("datetime").timezone.utc)
                           for x in times.astype("datetime64[us]").astype(object)])
    t0 = time.perf_counter()
    visible = 0
    for s in sky:
        for q in pts:
            alt, _az, _d = (s - q).at(t).altaz()
            visible += int((alt.degrees >= p["min_elevation_deg"]).sum())
    dt = time.perf_counter() - t0
    return dict(times_s=[dt], pairs=len(sky) * len(pts), rss_bytes=_rss_bytes(), visible=visible)


WORKERS = {"engine": worker_engine, "propagate": worker_propagate, "numba_bf": worker_numba_bf,
           "numpy_bf": worker_numpy_bf, "skyfield": worker_skyfield}


def _spawn(kind: str, params: dict, threads: int | None) -> dict:
    env = dict(os.environ)
    if threads:
        env["NUMBA_NUM_THREADS"] = str(threads)
    proc = subprocess.run([sys.executable, str(HERE), "--worker", kind, json.dumps(params)],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} worker failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- tables ------------------------------------------------------------------------------------------------

def _fmt_s(x: float) -> str:
    return f"{x:9.2f} s" if x >= 0.1 else f"{x * 1e3:8.1f} ms"


def table_default(args) -> None:
    base = dict(sats="jinan368", grid_deg=args.grid_deg, duration=args.duration, step_s=args.step_s,
                min_elevation_deg=10.0, repeats=args.repeats, bf_steps=args.bf_steps, np_steps=args.np_steps,
                sky_sats=args.sky_sats, sky_points=args.sky_points)
    print(f"\n== Table 1: Jinan-368, {args.grid_deg:g} deg global grid, {args.duration} at {args.step_s:g} s, "
          f"10 deg mask, all figures of merit, propagation included ==")
    # compile / load every numba kernel once in a throw-away process, so no measured process pays (or
    # counts in its peak RSS) the LLVM compilation
    _spawn("engine", dict(base, duration="1h", grid_deg=10.0, repeats=0), args.threads)
    _spawn("numba_bf", dict(base, duration="1h", grid_deg=10.0, repeats=1, bf_steps=40), args.threads)
    eng = _spawn("engine", base, args.threads)
    n_sat, n_cell, n_step = eng["n_sat"], eng["n_cell"], eng["n_step"]
    t_eng = float(np.median(eng["times_s"]))
    eng_x = _spawn("engine", dict(base, positions="exact"), args.threads)
    t_eng_x = float(np.median(eng_x["times_s"]))
    prop = _spawn("propagate", base, args.threads)
    t_prop = float(np.median(prop["times_s"]))
    nb = _spawn("numba_bf", base, args.threads)
    t_nb = float(np.median(nb["times_s"])) * n_step / nb["steps"] + t_prop
    npb = _spawn("numpy_bf", dict(base, repeats=max(1, min(args.repeats, 3))), args.threads)
    t_np = float(np.median(npb["times_s"])) * n_step / npb["steps"] + t_prop
    sky = _spawn("skyfield", base, args.threads)
    t_sky = sky["times_s"][0] * (n_sat * n_cell) / sky["pairs"]
    print(f"{n_sat} satellites x {n_cell} cells x {n_step} steps = {n_sat * n_cell * n_step:.3e} pair-steps; "
          f"{eng['incidences']:.3e} satellite-cell-step incidences; area-weighted coverage "
          f"{100 * eng['mean_cov']:.2f}%")
    print(f"engine runs (s): {', '.join(f'{x:.3f}' for x in eng['times_s'])} (warm-up {eng['warmup_s']:.2f} s)")
    print(f"{'method':<44}{'time':>12}{'engine is':>14}{'peak RSS':>12}   how measured")
    rows = [
        ("coverage() engine", t_eng, None, eng["rss_bytes"], f"median of {len(eng['times_s'])} warm runs"),
        ("coverage() engine, positions='exact'", t_eng_x, t_eng_x / t_eng, eng_x["rss_bytes"],
         "SGP4 at every step (python-sgp4), median"),
        ("numba brute force (all pairs, threads)", t_nb, t_nb / t_eng, nb["rss_bytes"],
         f"{nb['steps']} steps x{n_step / nb['steps']:.1f} + propagation {t_prop:.2f} s"),
        ("numpy brute force (all pairs, blocks)", t_np, t_np / t_eng, npb["rss_bytes"],
         f"{npb['steps']} steps x{n_step / npb['steps']:.0f} + propagation"),
        ("Skyfield per point (altaz)", t_sky, t_sky / t_eng, sky["rss_bytes"],
         f"{sky['pairs']} sat-site pairs, whole window, x{n_sat * n_cell / sky['pairs']:.0f}"),
        ("  (propagation alone, itrs_chunks)", t_prop, None, prop["rss_bytes"], "median"),
    ]
    for name, t, ratio, rss, how in rows:
        r = f"{ratio:10.1f}x" if ratio else " " * 11
        print(f"{name:<44}{_fmt_s(t):>12}   {r}{rss / 2**20:9.0f} MiB   {how}")
    print(f"engine peak RSS {eng['rss_bytes'] / 2**20:.0f} MiB (after imports and setup: "
          f"{eng['rss_setup_bytes'] / 2**20:.0f} MiB)")
    print("targets: engine <= 1.5 s: {}; >= 6x numba brute force: {} ({:.1f}x); peak RSS <= 1 GiB: {}".format(
        "met" if t_eng <= 1.5 else "NOT met", "met" if t_nb / t_eng >= 6 else "NOT met", t_nb / t_eng,
        "met" if eng["rss_bytes"] <= GIB else "NOT met"))


def table_scaling(args) -> None:
    sat_specs = [("jinan368", 368), ("1000/40", 1000), ("3000/60", 3000)]
    grids = [2.0, 1.0, 0.5]
    if args.quick:
        sat_specs, grids = sat_specs[:2], grids[:2]
    print(f"\n== Table 2: scaling, {args.scaling_duration} at {args.step_s:g} s, 10 deg mask "
          f"(368 = Jinan-368; 1,000 and 3,000 = Walker delta 53 deg, 550 km) ==")
    print(f"{'sats':>6}{'grid':>7}{'cells':>9}{'sats x cells':>14}{'incidences':>13}{'time':>11}"
          f"{'incid./s':>11}{'ns/incid.':>11}{'peak RSS':>10}")
    for spec, n in sat_specs:
        for g in grids:
            p = dict(sats=spec, grid_deg=g, duration=args.scaling_duration, step_s=args.step_s,
                     min_elevation_deg=10.0, repeats=args.scaling_repeats, small_warmup=True)
            r = _spawn("engine", p, args.threads)
            t = float(np.median(r["times_s"]))
            inc = r["incidences"]
            print(f"{n:>6}{g:>6g}°{r['n_cell']:>9}{n * r['n_cell']:>14.2e}{inc:>13.3e}{_fmt_s(t):>11}"
                  f"{inc / t:>11.2e}{1e9 * t / inc:>11.2f}{r['rss_bytes'] / 2**20:>7.0f} MiB", flush=True)


def main() -> None:
    if len(sys.argv) >= 2 and sys.argv[1] == "--worker":
        print(json.dumps(WORKERS[sys.argv[2]](json.loads(sys.argv[3]))))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--quick", action="store_true", help="fast smoke run (2 h, 2 deg, 2 repeats, small samples)")
    ap.add_argument("--repeats", type=int, default=5, help="warm engine runs in table 1 (median; default 5)")
    ap.add_argument("--bf-steps", type=int, default=240, help="steps timed for the numba brute force")
    ap.add_argument("--np-steps", type=int, default=4, help="steps timed for the numpy brute force")
    ap.add_argument("--sky-sats", type=int, default=8, help="satellites in the Skyfield sample")
    ap.add_argument("--sky-points", type=int, default=8, help="sites in the Skyfield sample")
    ap.add_argument("--skip-scaling", action="store_true")
    ap.add_argument("--scaling-duration", default="6h", help="window of the scaling table (default 6h)")
    ap.add_argument("--scaling-repeats", type=int, default=1, help="timed runs per scaling case (median)")
    ap.add_argument("--threads", type=int, default=None, help="NUMBA_NUM_THREADS for the workers")
    args = ap.parse_args()
    args.grid_deg, args.duration, args.step_s = 1.0, "1d", 30.0
    if args.quick:
        args.grid_deg, args.duration = 2.0, "2h"
        args.repeats, args.bf_steps, args.np_steps = 2, 64, 2
        args.sky_sats = args.sky_points = 4
        args.scaling_duration, args.scaling_repeats = "1h", 1
    import numba

    print(f"bench_coverage: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"numba threads {args.threads or numba.config.NUMBA_NUM_THREADS}, Python {platform.python_version()}, "
          f"numpy {np.__version__}, numba {numba.__version__}")
    table_default(args)
    if not args.skip_scaling:
        table_scaling(args)


if __name__ == "__main__":
    main()
