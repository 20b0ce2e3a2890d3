"""Earth-observation operations speed: swath opportunities, their figures, and contacts with a station network.

Cases (the plan epoch, one day):

* ``swath``: :func:`constellation.imaging.swath_opportunities` for the plan's 120 EO satellites over China at
  1 degree (2,232 cells), 15 degree half-angle, 60 s steps; next to it, as the baseline of the same work,
  :func:`constellation.coverage` for the same satellites, grid, step and day (10 degree mask), and the
  floor the swath search pays, the SGP4 states with velocities at the same samples
  (:func:`constellation.propagation.itrs_state_chunks`; :func:`constellation.propagate` with velocities
  for comparison);
* ``figures``: :func:`constellation.imaging.imaging_figures` on that table with the contacts below;
* ``contacts``: :func:`constellation.groundlink.contacts` for all 368 satellites with the five shipped
  stations, against :func:`constellation.passes` run once per station (what a user would otherwise do).

The cases run interleaved, ``--repeats`` times after a warm-up; the table gives medians (wall seconds) and
ratios to the baselines.

With ``--accuracy`` it prints instead the worst differences of swath opportunities from a brute force on
Skyfield's ITRS states every second (3 EO satellites, 150 random cells, 3 hours, both nadirs, steps of 10,
60 and 120 s): the figures the README quotes.

Run:  uv run python benchmarks/bench_imaging.py [--repeats 3] [--accuracy]
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
    ap.add_argument("--accuracy", action="store_true", help="print the accuracy table instead")
    args = ap.parse_args(argv)
    if args.accuracy:
        return accuracy()

    import constellation as C
    from constellation.groundlink import contacts
    from constellation.imaging import imaging_figures, swath_opportunities
    from constellation.propagation import itrs_state_chunks
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
        "SGP4 states at the samples": lambda: list(itrs_state_chunks(eo, times, overlap=1)),
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


def _oracle(sat, grid, start, stop, nadir):
    """Crossings of the along-track plane from Skyfield's ITRS states every second (sign changes of
    ``(P - S) . V``, linearly interpolated) and their signed cross-track angles."""
    import pandas as pd
    from skyfield.api import load, wgs84
    from skyfield.constants import AU_KM
    from skyfield.framelib import itrs
    from skyfield.positionlib import Geocentric

    ts = load.timescale(builtin=True)
    t0 = pd.Timestamp(start)
    sec = np.arange(0.0, (pd.Timestamp(stop) - t0) / pd.Timedelta(1, "s") + 0.5)
    t = ts.utc(t0.year, t0.month, t0.day, t0.hour, t0.minute, sec)
    r, v = sat.to_skyfield(ts).at(t).frame_xyz_and_velocity(itrs)
    r, v = r.km.T, v.km_per_s.T
    out = []
    for k in range(grid.n_cells):
        pos = wgs84.latlon(grid.lat_deg[k], grid.lon_deg[k]).itrs_xyz.km
        up = grid.up()[k]
        f = np.einsum("ij,ij->i", pos[None, :] - r, v)
        for j in np.flatnonzero((f[:-1] > 0) & (f[1:] <= 0)):
            w = f[j] / (f[j] - f[j + 1])
            s, vel = r[j] + w * (r[j + 1] - r[j]), v[j] + w * (v[j + 1] - v[j])
            los = pos - s
            if los @ up > 0:
                continue
            vhat = vel / np.linalg.norm(vel)
            if nadir == "geocentric":
                down = -s / np.linalg.norm(s)
            else:
                tj = ts.utc(t0.year, t0.month, t0.day, t0.hour, t0.minute, sec[j] + w)
                sub = wgs84.subpoint_of(Geocentric(itrs.rotation_at(tj).T @ (s / AU_KM), t=tj))
                la, lo = sub.latitude.radians, sub.longitude.radians
                down = -np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
            down = down - (down @ vhat) * vhat
            down /= np.linalg.norm(down)
            out.append((k, sec[j] + w, np.degrees(np.arctan2(los @ np.cross(down, vhat), los @ down))))
    return np.array(out).reshape(-1, 3)


def accuracy() -> None:
    import pandas as pd

    import constellation as C
    from constellation.imaging import swath_opportunities

    start, stop, half = "2026-01-01T00:00", "2026-01-01T03:00", 25.0
    sats = C.jinan368().select(group="eo")[[0, 17, 40]]
    rng = np.random.default_rng(17)
    cells = C.grid.points(rng.uniform(-70, 70, 150), rng.uniform(-180, 180, 150))
    t0 = pd.Timestamp(start).to_datetime64()
    print(f"{'nadir':<11} {'step s':>6} {'opportunities':>13} {'worst dt s':>10} {'worst angle deg':>15} {'missed':>6}")
    for nadir in ("geocentric", "geodetic"):
        refs = [_oracle(sat, cells, start, stop, nadir) for sat in sats]
        for step in (10.0, 60.0, 120.0):
            tab = swath_opportunities(sats, cells, start, stop, half_angle_deg=half, step_s=step, nadir=nadir)
            dts, das = [], []
            for row in tab.itertuples():
                ref = refs[row.satellite_index]
                cand = ref[ref[:, 0] == row.cell]
                dt = np.abs(cand[:, 1] - (row.time.to_datetime64() - t0) / np.timedelta64(1, "s"))
                dts.append(dt.min())
                das.append(abs(cand[dt.argmin(), 2] - row.cross_track_deg))
            inside = sum(int((np.abs(ref[:, 2]) <= half - 0.02).sum()) for ref in refs)
            print(f"{nadir:<11} {step:>6.0f} {len(tab):>13} {max(dts):>10.4f} {max(das):>15.5f} "
                  f"{max(0, inside - len(tab)):>6}")


if __name__ == "__main__":
    main()
