"""Earth-observation operations speed: swath opportunities, their figures, and contacts with a station network.

Cases (the plan epoch, one day):

* ``swath``: :func:`constellation.imaging.swath_opportunities` for the plan's 120 EO satellites over China at
  1 degree (2,232 cells), 15 degree half-angle, 60 s steps; next to it, as the baseline of the same work,
  :func:`constellation.coverage` for the same satellites, grid, step and day (10 degree mask), and the
  floor both pay, :func:`constellation.propagate` with velocities at the same samples;
* ``figures``: :func:`constellation.imaging.imaging_figures` on that table with the contacts below;
* ``contacts``: :func:`constellation.groundlink.contacts` for all 368 satellites with the five shipped
  stations, against :func:`constellation.passes` run once per station (what a user would otherwise do).

The cases run interleaved, ``--repeats`` times after a warm-up; the table gives medians (wall seconds) and
ratios to the baselines.

Run:  uv run python benchmarks/bench_imaging.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)

    import constellation as C
    from constellation.groundlink import contacts
    from constellation.imaging import imaging_figures, swath_opportunities
    from constellation.stations import china_network

    plan = C.jinan368()
    eo = plan.select(group="eo")
    grid = C.grid.region((18, 54), (73, 135), 1.0)
    start, day = "2026-01-01T00:00", 86400.0
    times = C.time_range(start, duration="1d", step_s=60)
    net = china_network()
    cases = {
        "swath": lambda: swath_opportunities(eo, grid, start, duration=day, half_angle_deg=15.0, step_s=60.0),
        "coverage (same sats, grid, step)": lambda: C.coverage(eo, times, grid=grid, min_elevation_deg=10.0),
        "propagate with velocities": lambda: C.propagate(eo, times, velocities=True),
        "contacts, 368 sats x 5 stations": lambda: contacts(plan, net, start, duration=day),
        "passes once per station": lambda: [C.passes(plan, (a, b, h), start, duration=day, min_elevation_deg=m)
                                            for a, b, h, m in zip(net.lat_deg, net.lon_deg, net.height_m,
                                                                  net.min_elevation_deg)],
    }
    opp = cases["swath"]()
    ct = contacts(eo, net, start, duration=2 * day)
    cases["figures (revisit + latency)"] = lambda: imaging_figures(opp, grid, ct, len(eo))
    for fn in cases.values():  # warm-up: imports, caches, kernels
        fn()
    runs: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(args.repeats):
        for name, fn in cases.items():
            t0 = time.perf_counter()
            fn()
            runs[name].append(time.perf_counter() - t0)
    med = {k: float(np.median(v)) for k, v in runs.items()}
    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs; "
          f"{len(opp)} opportunities over {grid.n_cells} cells; medians of {args.repeats}")
    print(f"{'case':<36} {'median s':>9}  ratio")
    base = {"swath": "coverage (same sats, grid, step)", "contacts, 368 sats x 5 stations": "passes once per station"}
    for name, m in med.items():
        ref = base.get(name)
        ratio = f"{m / med[ref]:.2f}x {ref}" if ref else ""
        print(f"{name:<36} {m:>9.3f}  {ratio}")


if __name__ == "__main__":
    main()
