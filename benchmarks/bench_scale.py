"""Mega-constellation runs on one machine: time and peak memory of `constellation.coverage` at scale.

Cases (each in its own process, so its peak RSS is its own; a throw-away process compiles first):

* ``starlink``, ``qianfan``, ``guowang``: the real catalogue ``../shared/data/celestrak_active_2026-06-14.tle``
  selected by name (Guowang's satellites are catalogued as ``HULIANWANG`` / ``GUOWANG``), from the
  catalogue's epoch;
* ``walker10k``: a synthetic 10,000-satellite Walker delta shell (100 planes, 53 deg, 550 km);

all on a 0.5 deg global grid, one day at 30 s, 10 deg mask, every figure of merit (default
``coverage()`` settings).  Then ``memory``: the Jinan-368 plan on a 1 deg grid over one day and over
30 days at 30 s, to show that memory does not grow with the window (only the per-sample outputs,
``area_covered_fraction``, grow: 4 bytes per row and sample).

Targets: each big case <= 120 s on 2 cores and <= 2 GiB peak RSS.

Run: ``uv run python benchmarks/bench_scale.py [--cases starlink,walker10k,...] [--duration 1d]
[--grid-deg 0.5] [--repeats 1]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve()
CATALOGUE = HERE.parents[2] / "shared" / "data" / "celestrak_active_2026-06-14.tle"
GIB = 1024.0 ** 3
CATALOGUE_START = "2026-06-14T00:00:00Z"


def _rss() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


def _sats(case: str):
    import constellation as C

    if case == "walker10k":
        from constellation.design import walker_delta

        return walker_delta(10_000, 100, 1, 53.0, 550.0, "2026-01-01T00:00:00Z", name_prefix="SHELL",
                            first_catalog_number=200_001), "2026-01-01T00:00:00Z"
    if case in ("jinan368", "memory-day", "memory-month"):
        return C.jinan368(), "2026-01-01T00:00:00Z"
    from constellation.elements import load

    cat = load(CATALOGUE, strict=False)
    names = np.char.upper(cat.names.astype(str))
    keys = {"starlink": ("STARLINK",), "qianfan": ("QIANFAN",), "guowang": ("HULIANWANG", "GUOWANG")}[case]
    mask = np.zeros(len(cat), bool)
    for k in keys:
        mask |= np.char.find(names, k) >= 0
    return cat.select(mask=mask), CATALOGUE_START


def worker(p: dict) -> dict:
    import warnings

    import constellation as C
    from constellation.grid import global_grid

    sats, start = _sats(p["case"])
    times = C.time_range(start, duration=p["duration"], step_s=30)
    grid = global_grid(p["grid_deg"])
    cov = C.coverage
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # decayed satellites are reported by the run; not timed here
        rss0 = _rss()
        t0 = time.perf_counter()
        ds = cov(sats, times, grid)
        wall = time.perf_counter() - t0
    w = ds["cell_area_km2"].values
    frac = float((ds["coverage_fraction"].values * w).sum() / w.sum())
    incid = float((ds["sats_in_view_mean"].values.sum()) * times.size)
    return dict(case=p["case"], n_sat=len(sats), n_cells=int(grid.n_cells), n_t=int(times.size),
                wall_s=wall, rss_gib=_rss() / GIB, rss_before_gib=rss0 / GIB, coverage=frac,
                incidences=incid, pos_err_m=float(ds.attrs.get("position_error_max_m", float("nan"))))


def _spawn(params: dict) -> dict:
    cmd = [sys.executable, str(HERE), "--worker", json.dumps(params)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ))
    if out.returncode != 0:
        raise RuntimeError(f"worker failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default="starlink,qianfan,guowang,walker10k,memory")
    ap.add_argument("--duration", default="1d")
    ap.add_argument("--grid-deg", type=float, default=0.5)
    ap.add_argument("--repeats", type=int, default=1, help="timed runs per case (median)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return
    import numba

    import constellation

    print(f"constellation {constellation.__version__}, numba {numba.__version__}, {os.cpu_count()} CPUs, "
          f"NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS', 'default')}")
    _spawn(dict(case="jinan368", duration="2h", grid_deg=2.0))  # compile / load the kernels once
    cases = [c for c in args.cases.split(",") if c]
    rows = []
    for case in cases:
        if case == "memory":
            for sub, dur in (("memory-day", "1d"), ("memory-month", "30d")):
                r = _spawn(dict(case=sub, duration=dur, grid_deg=1.0))
                rows.append(r)
                print(f"  {sub}: {r['wall_s']:.1f} s, peak RSS {r['rss_gib']:.2f} GiB", flush=True)
            continue
        if case != "walker10k" and not CATALOGUE.exists():
            print(f"  {case}: skipped ({CATALOGUE} is absent)")
            continue
        runs = [_spawn(dict(case=case, duration=args.duration, grid_deg=args.grid_deg))
                for _ in range(args.repeats)]
        r = dict(runs[0])
        r["wall_s"] = float(np.median([x["wall_s"] for x in runs]))
        r["rss_gib"] = max(x["rss_gib"] for x in runs)
        rows.append(r)
        print(f"  {case}: {r['wall_s']:.1f} s, peak RSS {r['rss_gib']:.2f} GiB", flush=True)
    print()
    print("| case | satellites | cells | steps | time (s) | peak RSS (GiB) | area-weighted coverage | "
          "incidences | ns / incidence | position error (m) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['case']} | {r['n_sat']:,} | {r['n_cells']:,} | {r['n_t']:,} | {r['wall_s']:.1f} | "
              f"{r['rss_gib']:.2f} | {r['coverage']:.4f} | {r['incidences']:.3g} | "
              f"{r['wall_s'] / max(r['incidences'], 1) * 1e9:.2f} | {r['pos_err_m']:.2f} |")
    print("\nTargets: big cases <= 120 s and <= 2 GiB; memory-month's peak RSS close to memory-day's.")


if __name__ == "__main__":
    main()
