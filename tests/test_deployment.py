"""Deployment: the last phase equals the full plan bit for bit, coverage never drops as launches only add
satellites, manifests are read and checked, and the greedy launch order beats a poor manifest order."""

from __future__ import annotations

import numpy as np
import pytest

import constellation as C
from constellation import deployment as D
from constellation import regions as R


@pytest.fixture(scope="module")
def walker():
    # 24/4/1, the first plane launched; three launches of one plane each
    return C.design.walker_delta(24, 4, 1, 53.0, 550.0, "2026-01-01", launched=6)


def _manifest(tmp_path, text):
    p = tmp_path / "m.toml"
    p.write_text(text)
    return p


def test_last_phase_is_the_full_plan_bit_for_bit_and_coverage_never_drops(walker):
    man = D.steady_manifest(walker, per_year=36, per_launch=6, start="2026-02-01")
    assert [len(x.satellites) for x in man.launches] == [6, 6, 6]
    g = R.region_grid("Germany", 1.0)
    times = C.time_range("2026-01-01", duration="3h", step_s=60)
    ds = D.deploy(walker, man, g, times)
    full = C.coverage(walker, times, g)
    for f in ("coverage_fraction", "revisit_max_s", "sats_in_view_mean", "access_count"):
        np.testing.assert_array_equal(ds[f].isel(phase=-1).values, full[f].values)
    assert list(ds["n_satellites"].values) == [6, 12, 18, 24]
    cf = ds["coverage_fraction"].values
    assert (np.diff(cf, axis=0) >= 0).all()
    assert (np.diff(ds["sats_in_view_mean"].values, axis=0) >= 0).all()
    assert (np.diff(ds["coverage_fraction_mean_grid"].values) >= 0).all()


def test_manifest_file_is_read_and_checked(walker, tmp_path):
    good = _manifest(tmp_path, """
[manifest]
commissioning_days = 10
[[launch]]
date = 2026-03-01
group = ""
planes = [2]
[[launch]]
date = 2026-04-01T12:00:00Z
satellites = ["WALKER-007", "WALKER-008"]
""")
    m = D.read_manifest(good, walker)
    assert m.launches[0].satellites == tuple(f"WALKER-{i:03d}" for i in range(13, 19))
    assert m.in_service(1) == np.datetime64("2026-04-11T12:00:00", "ns")
    for body, msg in [
        ('[[launch]]\ndate = 2026-03-01\nsatellites = ["WALKER-001"]', "already launched"),
        ('[[launch]]\ndate = 2026-03-01\nsatellites = ["NOPE"]', "not in the plan"),
        ('[[launch]]\ndate = 2026-03-01\ngroup = ""\nplanes = [9]', "no plane 9"),
        ('[[launch]]\ngroup = ""\ncount = 2', "missing 'date'"),
        ('[[launch]]\ndate = 2026-03-01\ngroup = ""\ncount = 2\n[[launch]]\ndate = 2026-02-01\ngroup = ""\n'
         'count = 2', "before the previous launch"),
    ]:
        with pytest.raises(ValueError, match=msg):
            D.read_manifest(_manifest(tmp_path, body), walker)


def test_greedy_launch_order_beats_a_poor_manifest_order(walker, tmp_path):
    g = R.region_grid("Germany", 2.0)
    times = C.time_range("2026-01-01", duration="2h", step_s=60)
    man = D.steady_manifest(walker, per_year=36, per_launch=6, start="2026-02-01")
    # the manifest's worst order: launch first what adds least over the region in this window
    single = [float(np.average(C.coverage(walker.select(mask=np.array(
        [s.launched or s.name in x.satellites for s in walker])), times, g)["coverage_fraction"].values,
        weights=g.area_km2)) for x in man.launches]
    poor = D.Manifest(tuple(man.launches[i] for i in np.argsort(single)), 0.0)
    res = D.launch_order(walker, poor, g, times)
    assert res.objective_greedy > res.objective_manifest
    assert res.greedy[-1] == pytest.approx(res.manifest[-1], abs=1e-12)  # same satellites at the end
    assert "objective" in str(res)


def test_cli_deploy(tmp_path, capsys):
    from constellation.cli import main

    assert main(["deploy", "--launches", "2", "--per-launch", "20", "--duration", "1h", "--grid-deg", "5",
                 "-o", str(tmp_path / "d.nc")]) == 0
    out = capsys.readouterr().out
    assert "Haiyang" in out and "China cover" in out and (tmp_path / "d.nc").is_file()
    assert main(["deploy", "--manifest", str(tmp_path / "none.toml")]) == 2


def test_shipped_manifest_and_windows_from_each_launch():
    plan = C.jinan368()
    man = D.jinan368_manifest(plan)
    assert [len(x.satellites) for x in man.launches] == [16, 28, 12, 30, 18, 18, 16]
    assert man.site.startswith("Haiyang") and man.commissioning_days == 30
    small = D.Manifest(man.launches[:2], man.commissioning_days)
    ds = D.deploy(plan, small, R.region_grid("Germany", 2.0), duration="20m", step_s=300.0)
    # without a common window each phase starts when its launch enters service
    assert ds["in_service"].values[1] == man.in_service(0) and ds["in_service"].values[2] == man.in_service(1)
    assert list(ds["n_satellites"].values) == [26, 42, 70]


def test_launch_labels_list_planes_in_number_order():
    from types import SimpleNamespace

    from constellation.deployment import _label

    sats = {f"S{p}": SimpleNamespace(group="comm", extra={"plane": p}) for p in (10, 9, 11)}
    assert _label(["S10", "S9", "S11"], sats) == "3 x comm (comm plane 9, comm plane 10, comm plane 11)"
