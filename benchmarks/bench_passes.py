"""Pass search speed: every pass of the Jinan-368 plan over one site for a week.

Compares, for the 368 satellites over Jinan (36.65 N, 117.0 E, 10 deg mask) over 7 days from the plan epoch:

* ours, :func:`constellation.passes` (coarse SatrecArray sampling of all satellites + vectorised refinement),
* the floor it pays: bare python-sgp4 ``SatrecArray.sgp4`` over the same coarse grid (~10 samples per orbit),
* Skyfield's ``EarthSatellite.find_events`` satellite by satellite, timed on a sample of satellites and
  scaled to the whole set.

Each figure is the median of ``--repeats`` warm runs (wall and process CPU time: the CPU time is steadier on
a shared machine).  Goal: ours well under one second for the week.

Run:  uv run python benchmarks/bench_passes.py [--repeats 5] [--duration 7d] [--skyfield-sample 8]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np


def _timed(fn) -> tuple[float, float]:
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--duration", default="7d")
    ap.add_argument("--skyfield-sample", type=int, default=8, help="satellites timed with Skyfield")
    args = ap.parse_args(argv)

    import constellation as C
    from constellation.contacts import _step_groups, coarse_step_s
    from constellation.timescale import parse_duration, time_range

    sats = C.jinan368()
    site = (36.65, 117.0, 0.0)
    start = "2026-01-01T00:00:00"
    span = parse_duration(args.duration)
    C.passes(sats, site, start, duration="1d")  # warm-up (imports, caches)

    ours = [_timed(lambda: C.passes(sats, site, start, duration=span)) for _ in range(args.repeats)]
    table = C.passes(sats, site, start, duration=span)

    step = min(s for _, s in _step_groups(coarse_step_s(sats)))
    times = time_range(start, duration=span, step_s=step)
    arr = sats.satrec_array()
    from constellation.timescale import julian_utc

    jd, fr = julian_utc(times)
    floor = [_timed(lambda: arr.sgp4(jd, fr)) for _ in range(args.repeats)]

    from skyfield.api import load, wgs84

    ts = load.timescale(builtin=True)
    t0 = ts.utc(2026, 1, 1)
    t1 = ts.tt_jd(t0.tt + span / 86400.0)
    topos = wgs84.latlon(*site[:2], elevation_m=site[2])
    sample = sats[:: max(1, len(sats) // args.skyfield_sample)][: args.skyfield_sample]
    sky_sats = sample.to_skyfield(ts)
    sky = [_timed(lambda: [s.find_events(topos, t0, t1, altitude_degrees=10.0) for s in sky_sats])
           for _ in range(max(1, args.repeats // 2))]
    scale = len(sats) / len(sky_sats)

    med = lambda runs, k: float(np.median([r[k] for r in runs]))  # noqa: E731
    rows = [
        ("constellation.passes", med(ours, 0), med(ours, 1)),
        (f"bare SatrecArray.sgp4, {times.size} x {len(sats)} coarse samples", med(floor, 0), med(floor, 1)),
        (f"Skyfield find_events (x{scale:.0f} from {len(sky_sats)} sats)", med(sky, 0) * scale, med(sky, 1) * scale),
    ]
    print(f"Passes of {len(sats)} Jinan-368 satellites over Jinan, {args.duration} ({len(table)} passes), "
          f"median of {args.repeats}; {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"{'method':<58} {'wall s':>8} {'cpu s':>8} {'wall / ours':>11}")
    for name, w, c in rows:
        print(f"{name:<58} {w:8.3f} {c:8.3f} {w / rows[0][1]:11.2f}")


if __name__ == "__main__":
    main()
