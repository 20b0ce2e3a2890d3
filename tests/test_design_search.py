"""Design search against Walker's published optimal delta patterns for continuous whole-Earth single
coverage (Walker, RAE TR 77044, 1977; Walker 1984, JBIS 37, 559, Table 1): at an altitude whose footprint
lies between the covering radii of the best (T-1) and best T patterns, the smallest T that meets continuous
global coverage is T, and the best-margin design among them is Walker's pattern."""

from __future__ import annotations

import math

import numpy as np
import pytest

import constellation as C
from constellation import design_search as S
from constellation import regions as R

#: T -> (P, F, inclination deg, covering radius deg): Walker's best single-coverage delta patterns
WALKER = {5: (5, 1, 43.7, 69.2), 6: (6, 4, 53.1, 66.4), 7: (7, 5, 55.7, 60.3), 8: (8, 6, 61.9, 56.5)}


def _altitude_for(lam_deg: float, eps_deg: float) -> float:
    r = S.R_SPHERE_KM
    return r * math.cos(math.radians(eps_deg)) / math.sin(math.radians(90 - eps_deg - lam_deg)) - r


def test_footprint_angle_inverts():
    assert float(S.footprint_central_angle_deg(_altitude_for(60.0, 10.0), 10.0)) == pytest.approx(60.0, abs=1e-9)


@pytest.mark.parametrize("T, eps", [(6, 0.0), (7, 10.0), (8, 5.0)])
def test_search_finds_walkers_published_pattern(T, eps):
    lam = (WALKER[T][3] + WALKER[T - 1][3]) / 2  # midway between the two covering radii
    h = _altitude_for(lam, eps)
    incs = [WALKER[T - 1][2], WALKER[T][2]]
    cands = S.walker_candidates([T - 1, T], incs, [h])
    period_s = 2 * math.pi * math.sqrt((h + S.R_SPHERE_KM) ** 3 / 398600.4418)
    req = S.DesignRequirement(grid=C.grid.global_grid(2.0), duration=f"{int(period_s)}s", step_s=period_s / 200,
                              min_elevation_deg=eps)
    res = S.search(cands, req, screen_res_deg=4.0)
    t = res.table
    assert not t[(t["sats"] < T) & t["meets"]].shape[0]  # no smaller design meets
    assert res.best is not None and res.best["status"] == "confirmed"
    p, f, inc, _ = WALKER[T]
    assert (res.best["sats"], res.best["planes"], res.best["phasing"], res.best["inclination_deg"]) == (T, p, f, inc)
    assert res.best["margin_deg"] > 0.5
    assert list(res.pareto["sats"])[-1] == T


def test_pruning_bounds_are_necessary_and_the_regional_screen_confirms():
    g = R.region_grid("Germany", 1.0)
    req = S.DesignRequirement(grid=g, duration="6h", step_s=60.0, min_elevation_deg=10.0)
    cands = S.walker_candidates([12, 24], [30.0, 60.0], [800.0])
    res = S.search(cands, req, screen_res_deg=2.0, n_confirm=1)
    t = res.table
    low = t[t["inclination_deg"] == 30.0]
    assert (low["status"] == "pruned").all() and low["note"].str.contains("latitude reach").all()
    # the latitude bound holds: a 30 deg design at 800 km never covers Germany's north, whatever T
    ds = C.coverage(S.build_design(low.iloc[-1].to_dict(), req.start), C.time_range(req.start, duration="6h",
                                                                                      step_s=60), g)
    assert float(ds["coverage_fraction"].values.min()) == 0.0
    assert set(t["status"]) <= {"pruned", "screened", "confirmed"}
    assert (t.loc[t["status"] == "confirmed", "final"]).all()
    assert np.isfinite(t.loc[t["status"] != "pruned", "value"]).all()


def test_requirement_and_candidates_are_checked():
    with pytest.raises(ValueError, match="fom must be"):
        S.search(S.walker_candidates([6], [50], [1000]), S.DesignRequirement(fom="coverage"))
    with pytest.raises(ValueError, match="at least one candidate"):
        S.search([], S.DesignRequirement())
    assert len(S.walker_candidates([12], [50.0], [1000.0])) == sum(range(1, 13)[p - 1] for p in (1, 2, 3, 4, 6, 12))
    sso = S.sso_candidates([2], [3], [10.5], [550.0], ltdn_spread_h=1.0)
    built = S.build_design(sso[0], "2026-01-01")
    assert len(built) == 6
    # the table says the inclination the design is built with (it said nan), to the TLE field's 4 decimals
    assert sso[0]["inclination_deg"] == pytest.approx(np.degrees(built[0].satrec.inclo), abs=5e-5)  # TLE: 1e-4


def test_cli_search_writes_the_table(tmp_path, capsys):
    from constellation.cli import main

    out = tmp_path / "designs.csv"
    assert main(["search", "--walker", "12:24:12", "--inclination", "60", "--altitude", "1000", "--region", "DEU",
                 "--duration", "2h", "--screen-duration", "1h", "-o", str(out)]) == 0
    import pandas as pd

    t = pd.read_csv(out)
    assert len(t) == len(S.walker_candidates([12, 24], [60.0], [1000.0]))
    assert set(t["status"]) <= {"pruned", "screened", "confirmed"}
    assert "requirement: worst coverage_fraction >= 1" in capsys.readouterr().out
    assert main(["search", "--walker", "12", "--duration", "1h", "--screen-duration", "2h"]) == 2
    assert "longer than the requirement's window" in capsys.readouterr().err
    assert main(["search", "--walker", "1:x"]) == 2


def test_search_meets_a_daylight_revisit_that_nights_make_impossible():
    """A 6 h daylight revisit over central China (Sun above 10 deg): sun-synchronous planes spread over the
    morning meet it, while no candidate meets a 6 h plain revisit (the nights count there); the confirmed
    value is the figure of a plain coverage run of that design."""
    g = C.grid.region((28, 40), (100, 116), 2.0)
    kw = dict(grid=g, start="2026-03-20", duration="1d", step_s=60.0, min_elevation_deg=20.0, threshold=21600.0)
    cands = S.sso_candidates([1, 2, 3], [2], [9.0], [535.0], ltdn_spread_h=6.0)
    day = S.DesignRequirement(fom="revisit_daylight_max_s", coverage_kw={"min_sun_elevation_deg": 10.0}, **kw)
    res = S.search(cands, day, screen_res_deg=4.0)
    assert res.best is not None and res.best["value"] <= 21600.0
    times = C.time_range(day.start, duration="1d", step_s=60)

    def run(d):
        return C.coverage(S.build_design(d, day.start), times, g, min_elevation_deg=20.0, min_sun_elevation_deg=10.0)

    ds = run(res.best)
    assert float(np.nanmax(ds["revisit_daylight_max_s"].values)) == pytest.approx(res.best["value"], rel=1e-12)
    assert float(np.nanmax(ds["revisit_max_s"].values)) > 21600.0  # the plain revisit spans the night
    for d in cands:  # the smaller designs do not meet it at full resolution: the best is the smallest
        if d["sats"] < res.best["sats"]:
            assert float(np.nanmax(run(d)["revisit_daylight_max_s"].values)) > 21600.0
    plain = S.search(cands, S.DesignRequirement(fom="revisit_max_s", **kw), screen_res_deg=4.0)
    assert plain.best is None
    with pytest.raises(ValueError, match="Sun limits"):
        S.search(cands, S.DesignRequirement(fom="revisit_daylight_max_s", **kw))


def test_a_cell_never_served_fails_any_revisit_requirement():
    # an equatorial pair never reaches 80 deg N; that cell's gap is the whole window (6 h), which would
    # otherwise meet a revisit threshold of 6 h
    sats = C.design.walker_delta(2, 1, 0, 0.0, 550.0, "2026-01-01T00:00:00Z")
    grid = C.grid.points([0.0, 80.0], [0.0, 0.0])
    ds = C.coverage(sats, C.time_range("2026-01-01", duration="6h", step_s=60), grid)
    assert float(ds["revisit_max_s"].values[1]) == 21600.0 and int(ds["access_count"].values[1]) == 0
    w = np.ones(2)
    for statistic in ("worst", "mean"):
        req = S.DesignRequirement(fom="revisit_max_s", threshold=21600.0, statistic=statistic)
        assert req.value(ds, w) == np.inf and req.margin(req.value(ds, w)) < 0
    req = S.DesignRequirement(fom="revisit_max_s", threshold=21600.0, statistic="area_fraction", area_threshold=0.5)
    assert req.value(ds, w) == 0.5  # the served cell meets it, the other does not
    only_served = ds.isel(cell=[0])
    req = S.DesignRequirement(fom="revisit_max_s", threshold=21600.0)
    assert req.margin(req.value(only_served, np.ones(1))) > 0
    # daylight revisit: a cell with daylight but never served fails; one with no daylight in the window has
    # no daylight gap (NaN) and does not (the equator at 0 deg E is dark from 00:00 to 06:00 UTC)
    grid = C.grid.points([0.0, -80.0], [0.0, 0.0])
    ds = C.coverage(sats, C.time_range("2026-01-01", duration="6h", step_s=60), grid, min_sun_elevation_deg=10.0)
    assert np.isnan(ds["revisit_daylight_max_s"].values[0]) and int(ds["access_count"].values[1]) == 0
    req = S.DesignRequirement(fom="revisit_daylight_max_s", threshold=21600.0,
                              coverage_kw={"min_sun_elevation_deg": 10.0})
    assert req.value(ds.isel(cell=[0]), np.ones(1)) == 0.0
    assert req.value(ds.isel(cell=[1]), np.ones(1)) == np.inf
