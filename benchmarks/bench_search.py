"""Design search: Walker's published patterns found again, and 1,000 Walker designs screened for China.

Part 1 (proof table): at an altitude whose footprint central angle lies midway between the covering radii of
Walker's best (T-1) and best T delta patterns for continuous whole-Earth single coverage (Walker, RAE TR
77044, 1977; Walker 1984, JBIS 37, 559), search every Walker delta T-2..T+1 (all P, all F) at the four or
five published inclinations, over a 2 deg global grid for one orbital period, and print the smallest T that
meets continuous coverage and the best-margin design, next to Walker's.

Part 2 (benchmark, target <= 60 s): 1,000 Walker delta candidates (T 12..96, 3..12 planes, three phasings,
five inclinations, four altitudes; the first 1,000 of that grid in a fixed shuffle) against continuous single
coverage of China at 10 deg over one day (confirmation on the 1 deg region grid at 60 s); screening on
4 deg cells at 240 s.  Prints the time of each stage, the screened designs per second, and the ratio of the
time per design screened to the time per design at full resolution (median of 10 designs, timed after the
search on the same machine).

Run: ``uv run python benchmarks/bench_search.py [--part proof|bench|both]``.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time

import numpy as np

import constellation as C
from constellation import design_search as S
from constellation import regions as R

WALKER = {5: (5, 1, 43.7, 69.2), 6: (6, 4, 53.1, 66.4), 7: (7, 5, 55.7, 60.3), 8: (8, 6, 61.9, 56.5),
          9: (9, 7, 70.5, 54.8)}


def altitude_for(lam_deg: float, eps_deg: float) -> float:
    r = S.R_SPHERE_KM
    return r * math.cos(math.radians(eps_deg)) / math.sin(math.radians(90 - eps_deg - lam_deg)) - r


def proof() -> None:
    print("| mask deg | altitude km | footprint deg | candidates | smallest T meeting | best design (margin) | "
          "Walker's pattern | time s |")
    print("|---|---|---|---|---|---|---|---|")
    incs = sorted({v[2] for v in WALKER.values()})
    for T, eps in ((6, 0.0), (7, 10.0), (8, 5.0), (9, 0.0)):
        lam = (WALKER[T][3] + WALKER[T - 1][3]) / 2
        h = altitude_for(lam, eps)
        cands = S.walker_candidates(range(T - 2, T + 2), incs, [h])
        period = 2 * math.pi * math.sqrt((h + S.R_SPHERE_KM) ** 3 / 398600.4418)
        req = S.DesignRequirement(grid=C.grid.global_grid(2.0), duration=f"{int(period)}s", step_s=period / 200,
                                  min_elevation_deg=eps)
        t0 = time.perf_counter()
        res = S.search(cands, req, screen_res_deg=4.0)
        el = time.perf_counter() - t0
        b = res.best
        p, f, inc, _ = WALKER[T]
        best = "none" if b is None else \
            f"{b['sats']}/{b['planes']}/{b['phasing']} at {b['inclination_deg']:g} deg ({b['margin_deg']:.2f} deg)"
        tmin = int(res.table[res.table["meets"] & (res.table["status"] == "confirmed")]["sats"].min())
        print(f"| {eps:g} | {h:,.0f} | {lam:.2f} | {len(cands)} | {tmin} | {best} | {T}/{p}/{f} at {inc:g} deg | "
              f"{el:.1f} |")


def candidates_1000() -> list[dict]:
    cands = []
    for t in range(12, 97, 6):
        for p in range(3, 13):
            if t % p:
                continue
            for f in sorted({0, 1, p // 2}):
                for inc in (40.0, 50.0, 60.0, 70.0, 80.0):
                    for alt in (600.0, 900.0, 1200.0, 1500.0):
                        cands.append(dict(pattern="walker-delta", sats=t, planes=p, phasing=f, inclination_deg=inc,
                                          altitude_km=alt))
    rng = np.random.default_rng(20261207)
    idx = rng.permutation(len(cands))[:1000]
    return [cands[i] for i in sorted(idx)]


def bench() -> None:
    cands = candidates_1000()
    grid = R.region_grid("China", 1.0)
    req = S.DesignRequirement(grid=grid, duration="1d", step_s=60.0, min_elevation_deg=10.0)
    S.search(cands[:3], req)  # warm: kernels compiled and loaded
    t0 = time.perf_counter()
    res = S.search(cands, req, screen_res_deg=4.0)
    total = time.perf_counter() - t0
    st = res.table["status"].value_counts().to_dict()
    n_scr = int((res.table["status"] != "pruned").sum())
    tm = res.timings_s
    full = []
    sample = [c for c in cands if c["sats"] <= 48][:10]
    times = C.time_range(req.start, duration=req.duration, step_s=req.step_s)
    for c in sample:
        s = S.build_design(c, req.start)
        t1 = time.perf_counter()
        C.coverage(s, times, grid)
        full.append(time.perf_counter() - t1)
    per_screen = tm["screen"] / max(n_scr, 1)
    print(f"\n{len(cands)} candidates: {st}")
    print("| stage | time s | designs | per design ms |")
    print("|---|---|---|---|")
    print(f"| prune | {tm['prune']:.2f} | {len(cands)} | {1e3 * tm['prune'] / len(cands):.2f} |")
    print(f"| screen (4 deg, 240 s, no refinement) | {tm['screen']:.1f} | {n_scr} | {1e3 * per_screen:.1f} |")
    n_conf = int((res.table["status"] == "confirmed").sum())
    print(f"| confirm (1 deg, 60 s, + elevation margin) | {tm['confirm']:.1f} | {n_conf} | "
          f"{1e3 * tm['confirm'] / max(n_conf, 1):.0f} |")
    print(f"| **total** | **{total:.1f}** | | |")
    print(f"\nfull-resolution coverage, median of {len(full)} designs: {1e3 * np.median(full):.0f} ms per design; "
          f"screening is {np.median(full) / per_screen:.1f}x faster per design")
    b = res.best
    if b is not None:
        print(f"best: {b['sats']}/{b['planes']}/{b['phasing']} at {b['inclination_deg']:g} deg, "
              f"{b['altitude_km']:g} km (confirmed; elevation margin {b['margin_deg']:.2f} deg)")
    print(f"target: 1,000 designs screened in <= 60 s: {'met' if total <= 60 else 'NOT met'} ({total:.1f} s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", default="both", choices=("proof", "bench", "both"))
    a = ap.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, numpy {np.__version__}")
    if a.part in ("proof", "both"):
        proof()
    if a.part in ("bench", "both"):
        bench()


if __name__ == "__main__":
    main()
