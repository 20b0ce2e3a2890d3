"""The Jinan-368 plan deployed at 100 satellites a year from the Haiyang sea-launch site: coverage of China
and of the globe after each launch, and the map of what the next launch adds over China.

The 26 launched satellites are phase 0; the 342 still to launch go up plane by plane in the plan's order,
``--per-launch`` at a time, 100 a year, each serving 30 days after launch.  Every phase is evaluated over the
same window (one day from the plan epoch) so that phases compare like for like; the last phase is the full
plan.  With ``--order`` the launches are also re-ordered greedily for China's mean coverage::

    uv run python examples/deployment_china.py                       # 1 day at 60 s, 2 deg grid (about a minute)
    uv run python examples/deployment_china.py --quick --out /tmp/d  # 3 h at 5 min steps, 5 deg grid
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import constellation as C  # noqa: E402
from constellation import comparison, deployment, regions  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="deployment", help="output folder (default: %(default)s)")
    ap.add_argument("--quick", action="store_true", help="small settings: 3 h at 300 s, 5 degree grid")
    ap.add_argument("--per-year", type=float, default=100.0, help="satellites a year (default 100)")
    ap.add_argument("--per-launch", type=int, default=20, help="satellites a launch (default 20)")
    ap.add_argument("--launches", type=int, help="only the first N launches")
    ap.add_argument("--order", action="store_true", help="also search a launch order greedily for China")
    a = ap.parse_args(argv)
    duration, step_s, res = ("3h", 300.0, 5.0) if a.quick else ("1d", 60.0, 2.0)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)

    plan = C.design.shipped_plan()
    sats = plan.build()
    man = deployment.steady_manifest(sats, a.per_year, a.per_launch, plan.epoch, commissioning_days=30.0,
                                     name=f"Jinan-368 at {a.per_year:g} a year")
    if a.launches:
        man = deployment.Manifest(man.launches[:a.launches], man.commissioning_days, man.name)
    print(man.summary())
    times = C.time_range(plan.epoch, duration=duration, step_s=step_s)
    china = regions.country("China")
    ds = C.deploy(sats, man, C.grid.global_grid(res), times, regions={"China": china},
                  foms=["coverage_fraction", "sats_in_view_mean"])

    print(f"\ncoverage after each launch (window {duration} at {step_s:g} s, {res:g} deg grid, elevation >= 10 deg)")
    print(f"{'phase':>5} {'in service':>10} {'sats':>4} {'China %':>8} {'China continuous %':>18} {'globe %':>8}")
    for k in range(ds.sizes["phase"]):
        x = ds.isel(phase=k)
        when = "launched" if k == 0 else np.datetime_as_string(man.in_service(k - 1), unit="D")
        print(f"{k:5d} {when:>10} {int(x['n_satellites']):4d} {100 * float(x['coverage_fraction_mean_China']):8.2f} "
              f"{100 * float(x['continuous_area_fraction_China']) + 0.0:18.2f} "
              f"{100 * float(x['coverage_fraction_mean_grid']):8.2f}")

    # what the next launch adds over China: phase 0 against phase 1 on the region's own cells
    g = regions.region_grid(china, res)
    first = man.launches[0]
    now = sats.select(launched=True)
    nxt = sats.select(mask=np.array([s.launched or s.name in first.satellites for s in sats]))
    cmp = comparison.compare(C.coverage(now, times, g), C.coverage(nxt, times, g))
    print(f"\nwhat launch 1 ({first.label}) adds over China:")
    print(cmp.table.loc[["coverage_fraction", "sats_in_view_mean", "revisit_max_s"],
                        ["mean_a", "mean_b", "mean_diff", "improved", "worsened"]].to_string())
    fig, _ = comparison.difference_map(cmp, "coverage_fraction",
                                       title=f"Coverage of China added by launch 1 ({len(first.satellites)} "
                                             f"satellites): phase 1 - phase 0")
    png = out / "next_launch_china.png"
    fig.savefig(png, dpi=120, bbox_inches="tight")
    plt.close(fig)
    print(f"wrote {png}")

    if a.order:
        lo = deployment.launch_order(sats, man, g, times)
        print()
        print(lo)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
