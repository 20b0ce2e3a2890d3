"""Propagation speed: satellite-steps per second to ITRS + WGS84 geodetic.

Compares, over one day at 30 s for the Jinan-368 plan (368 x 2881 satellite-steps):

* bare python-sgp4 ``SatrecArray.sgp4`` (TEME only: the floor every method pays),
* Skyfield per satellite (``EarthSatellite.at(t)``, ``frame_xyz(itrs)``, ``wgs84.subpoint_of``), timed on a
  sample of satellites and scaled to the whole set,
* ours, :func:`constellation.propagate` (SGP4 + TEME -> ITRS + geodetic + the xarray Dataset).

Every figure is the median of ``--repeats`` warm runs; bare SGP4 and ours run interleaved so machine load
hits both alike, and the overhead is also given as the median of the paired ratios.  Goal: ours adds at
most 15 % to bare ``SatrecArray.sgp4``.

Run:  uv run python benchmarks/bench_propagate.py [--repeats 7] [--step 30s] [--duration 1d]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import numpy as np


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _timed_both(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process over all its threads)."""
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=7, help="warm runs per method (median reported)")
    ap.add_argument("--duration", default="1d")
    ap.add_argument("--step", default="30s")
    ap.add_argument("--skyfield-sample", type=int, default=16, help="satellites timed with Skyfield")
    args = ap.parse_args()

    import constellation as C
    from constellation.timescale import julian_utc

    sats = C.jinan368()
    label = f"Jinan-368 plan ({len(sats)} satellites)"
    t0 = sats.epochs.min()
    times = C.time_range(t0, duration=args.duration, step_s=args.step)
    ns, nt = len(sats), times.size
    satsteps = ns * nt

    sa = sats.satrec_array()
    jd, fr = julian_utc(times)

    def bare():
        sa.sgp4(jd, fr)

    def ours():
        C.propagate(sats, times)

    # Skyfield: per satellite, Time array built once (as a Skyfield user would).
    from skyfield.api import load, wgs84
    from skyfield.framelib import itrs

    from constellation.timescale import skyfield_time

    ts = load.timescale(builtin=True)
    t_sf = skyfield_time(times)
    sample = sats[np.linspace(0, ns - 1, min(args.skyfield_sample, ns)).astype(int)].to_skyfield(ts)

    def skyfield():
        for s in sample:
            g = s.at(t_sf)
            g.frame_xyz(itrs)
            wgs84.subpoint_of(g)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bare(), ours(), skyfield()  # warm: numba cache load, SatrecArray build, Skyfield tables
        runs = {"bare": [], "ours": [], "sky": []}
        for _ in range(args.repeats):
            runs["bare"].append(_timed_both(bare))
            runs["ours"].append(_timed_both(ours))
        for _ in range(max(3, args.repeats // 2)):
            runs["sky"].append(tuple(x * ns / len(sample) for x in _timed_both(skyfield)))

    wall = {k: np.array([w for w, _ in v]) for k, v in runs.items()}
    cpu = {k: np.array([c for _, c in v]) for k, v in runs.items()}
    med = {k: float(np.median(v)) for k, v in wall.items()}
    cmed = {k: float(np.median(v)) for k, v in cpu.items()}
    paired = float(np.median(wall["ours"] / wall["bare"]))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows = [
        ("python-sgp4 `SatrecArray.sgp4` (TEME only)", "bare"),
        (f"Skyfield per satellite (`at` + ITRS + subpoint; {len(sample)} sats, scaled)", "sky"),
        ("constellation `propagate` (ITRS + geodetic + Dataset)", "ours"),
    ]
    print(f"{label}, {nt} steps of {args.step} over {args.duration}: {satsteps:,} satellite-steps; "
          f"median of {args.repeats} warm runs")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load average {load:.2f} (wall times need an idle machine; CPU times are robust to load)")
    print()
    print("| method | wall (s) | satellite-steps / s | wall vs bare SGP4 | CPU (s) | CPU vs bare SGP4 |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, k in rows:
        print(f"| {name} | {med[k]:.3f} | {satsteps / med[k]:,.0f} | {med[k] / med['bare']:.2f}x "
              f"| {cmed[k]:.3f} | {cmed[k] / cmed['bare']:.2f}x |")
    print()
    print(f"overhead of frames + geodetic + Dataset over bare SGP4 (goal <= +15 %): wall "
          f"{100 * (med['ours'] / med['bare'] - 1):+.1f} % (medians), {100 * (paired - 1):+.1f} % (median of "
          f"paired runs); CPU {100 * (cmed['ours'] / cmed['bare'] - 1):+.1f} %")
    print(f"ours vs Skyfield: {med['sky'] / med['ours']:.1f}x faster (wall)")


if __name__ == "__main__":
    main()
