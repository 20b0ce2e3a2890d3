"""Bent-pipe service of the Jinan-368 communication group through a handful of gateways in China.

A transparent satellite relays a user only while it also sees a gateway.  This example computes, over the
globe, the fraction of time each cell is covered by the 216-satellite comm group (any satellite in view)
and the fraction it is really served (a satellite in view that also sees one of five illustrative gateway
sites), prints both area-weighted and over China, the share of each gateway, and draws the two maps.  Run
it with::

    uv run python examples/bent_pipe.py                              # 1 day, 2 deg grid, 60 s steps
    uv run python examples/bent_pipe.py --duration 2h --grid-deg 10 --out /tmp/bp
"""

from __future__ import annotations

import argparse
from pathlib import Path

import constellation as C
from constellation.servicemaps import bent_pipe_map

#: Illustrative gateway sites (WGS84 degrees), near Chinese cities; not the operator's network.
GATEWAYS = {"Jinan": (36.65, 117.0), "Beijing": (40.0, 116.3), "Kashi": (39.5, 76.0), "Sanya": (18.3, 109.5),
            "Jiamusi": (46.8, 130.3)}
CHINA = dict(lat=slice(18, 54), lon=slice(73, 135))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", default="1d", help="window length (default 1d)")
    ap.add_argument("--step-s", type=float, default=60.0, help="time step, seconds (default 60)")
    ap.add_argument("--grid-deg", type=float, default=2.0, help="grid resolution, degrees (default 2)")
    ap.add_argument("--gateway-mask", type=float, default=10.0, help="gateway elevation mask, deg (default 10)")
    ap.add_argument("--out", default="examples/images", help="folder for the map (default examples/images)")
    ap.add_argument("--dpi", type=int, default=90, help="image resolution (default 90)")
    args = ap.parse_args(argv)

    comm = C.jinan368().select(group="comm")
    lat, lon = zip(*GATEWAYS.values())
    gateways = C.grid.points(lat, lon, names=list(GATEWAYS))
    times = C.time_range("2026-01-01", duration=args.duration, step_s=args.step_s)
    ds = C.bent_pipe_coverage(comm, times, C.grid.global_grid(args.grid_deg), gateways, min_elevation_deg=10.0,
                              gateway_min_elevation_deg=args.gateway_mask)
    for label, part in (("globe", ds), ("China (18-54 N, 73-135 E)", ds.sel(**CHINA))):
        w = part.cell_area_km2
        direct = float(part.served_direct_fraction.weighted(w).mean())
        served = float(part.served_fraction.weighted(w).mean())
        print(f"{label}: covered {100 * direct:.1f} % of area-time, served through a gateway "
              f"{100 * served:.1f} %")
    china = ds.sel(**CHINA)
    share = china.served_by_gateway_fraction.weighted(china.cell_area_km2).mean(("lat", "lon"))
    print("served through each gateway over China (a cell may use several at once):")
    for name, value in zip(ds.gateway.values, share.values):
        print(f"  {name:8s} {100 * float(value):5.1f} %")
    print(f"satellites see a gateway {100 * float(ds.gateway_visible_fraction.mean()):.1f} % of the time "
          f"on average")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig, _ = bent_pipe_map(ds)
    path = out / "bent_pipe_served_fraction.png"
    fig.savefig(path, dpi=args.dpi)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
