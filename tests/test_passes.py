"""Passes: against Skyfield's find_events, a brute-force 1-second oracle, and the hard cases.

Tolerances: event times within 1 s of Skyfield (whose own search stops at half a second), the elevation
Skyfield computes at our rise/set times within 1e-3 degree of the mask (our times are refined to 1 ms),
and our maximum elevation never below Skyfield's culmination altitude by more than 1e-4 degree.  Against
the brute-force oracle (elevation every second), rise/set within 1 s and the same number of passes.
"""

from __future__ import annotations

from datetime import UTC

import numpy as np
import pandas as pd
import pytest
from helpers import sample_file
from sgp4.api import WGS72, Satrec

import constellation as C
from constellation.contacts import PASS_COLUMNS, coarse_step_s, passes
from constellation.grid import points
from constellation.kernels.frames import itrs_from_geodetic
from constellation.satellite import Constellation, Satellite

JINAN = (36.65, 117.0, 0.0)


# -- helpers -------------------------------------------------------------------------------------------

def _ts():
    from skyfield.api import load

    return load.timescale(builtin=True)


def _sky_time(ts, t):
    return ts.from_datetime(pd.Timestamp(t).to_pydatetime(warn=False).replace(tzinfo=UTC))


def skyfield_passes(sat: Satellite, site, start, stop, mask):
    """Skyfield's events folded into passes: dicts with rise/set (None when clipped) and culminations."""
    from skyfield.api import EarthSatellite, wgs84

    ts = _ts()
    es = EarthSatellite.from_satrec(sat.satrec, ts)
    topos = wgs84.latlon(site[0], site[1], elevation_m=site[2])
    t, ev = es.find_events(topos, _sky_time(ts, start), _sky_time(ts, stop), altitude_degrees=mask)
    out, cur = [], None
    for ti, e in zip(t, ev):
        when = np.datetime64(ti.utc_datetime().replace(tzinfo=None), "ns")
        if e == 0:
            cur = dict(rise=when, culm=[], set=None)
            continue
        if cur is None:
            cur = dict(rise=None, culm=[], set=None)
        if e == 1:
            cur["culm"].append((float((es - topos).at(ti).altaz()[0].degrees), when))
        else:
            cur["set"] = when
            out.append(cur)
            cur = None
    if cur is not None:
        out.append(cur)
    return out


def skyfield_altitude(sat: Satellite, site, times) -> np.ndarray:
    from skyfield.api import EarthSatellite, wgs84

    ts = _ts()
    es = EarthSatellite.from_satrec(sat.satrec, ts)
    topos = wgs84.latlon(site[0], site[1], elevation_m=site[2])
    t = ts.from_datetimes([pd.Timestamp(x).to_pydatetime(warn=False).replace(tzinfo=UTC) for x in times])
    return np.atleast_1d((es - topos).at(t).altaz()[0].degrees)


def _secs(a, b) -> float:
    return abs(float((np.datetime64(a, "ns") - np.datetime64(b, "ns")) / np.timedelta64(1, "ns"))) * 1e-9


def check_against_skyfield(sats, site, start, stop, mask=10.0):
    table = passes(sats, site, start, stop, mask)
    n_sky = 0
    for sat in sats:
        sky = skyfield_passes(sat, site, start, stop, mask)
        mine = table[table.catalog_number == sat.catalog_number].reset_index(drop=True)
        n_sky += len(sky)
        assert len(mine) == len(sky), f"{sat.name}: {len(mine)} passes, Skyfield {len(sky)}"
        for p, (_, m) in zip(sky, mine.iterrows()):
            assert m.rise_clipped == (p["rise"] is None)
            assert m.set_clipped == (p["set"] is None)
            if p["rise"] is not None:
                assert _secs(p["rise"], m.rise) <= 1.0
            if p["set"] is not None:
                assert _secs(p["set"], m.set) <= 1.0
            if p["culm"]:
                alt, when = max(p["culm"])
                assert _secs(when, m.culmination) <= 1.0
                assert m.max_elevation_deg >= alt - 1e-4
        # Skyfield's own elevation at our unclipped event times is the mask
        ends = np.concatenate([mine.rise[~mine.rise_clipped].values, mine.set[~mine.set_clipped].values])
        if ends.size:
            np.testing.assert_allclose(skyfield_altitude(sat, site, ends), mask, atol=1e-3)
    assert len(table) == n_sky
    return table


def oracle_passes(sats, site, start, stop, mask, step_s=1.0):
    """Brute force: elevation every ``step_s`` from propagate() and an independent ENU computation."""
    times = C.time_range(start, stop, step_s=step_s)
    ds = C.propagate(sats, times, warn=False)
    r = np.stack([ds.x_km.values, ds.y_km.values, ds.z_km.values], -1)
    s = itrs_from_geodetic(site[0], site[1], site[2] / 1000.0)
    la, lo = np.radians(site[0]), np.radians(site[1])
    up = np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
    rho = r - s
    el = np.degrees(np.arcsin((rho @ up) / np.linalg.norm(rho, axis=-1)))
    out = []
    for i in range(len(sats)):
        vis = np.concatenate([[False], el[i] >= mask, [False]]).astype(int)
        d = np.diff(vis)
        for a, b in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1):
            out.append((i, times[a], times[b], el[i, a:b + 1].max()))
    return out


def check_against_oracle(sats, site, start, stop, mask, step_s=1.0):
    table = passes(sats, site, start, stop, mask)
    oracle = oracle_passes(sats, site, start, stop, mask, step_s)
    assert len(table) == len(oracle), (len(table), len(oracle))
    key = {s.catalog_number: i for i, s in enumerate(sats)}
    mine = sorted((key[r.catalog_number], r.rise, r.set, r.max_elevation_deg) for r in table.itertuples())
    for (i, r0, s0, e0), (j, r1, s1, e1) in zip(mine, sorted(oracle)):
        assert i == j
        assert _secs(r0, r1) <= step_s and _secs(s0, s1) <= step_s
        assert e0 >= e1 - 1e-6
    return table


def make_sat(catnum, n_rev_day, ecc, inc_deg, raan_deg, argp_deg, ma_deg, epoch="2026-01-01", name=""):
    """A satellite from mean elements via Satrec.sgp4init (WGS-72, improved mode)."""
    ep = np.datetime64(epoch, "ns")
    days = float((ep - np.datetime64("1949-12-31T00:00", "ns")) / np.timedelta64(1, "ns")) * 1e-9 / 86400.0
    rec = Satrec()
    rec.sgp4init(WGS72, "i", catnum, days, 0.0, 0.0, 0.0, ecc, np.radians(argp_deg), np.radians(inc_deg),
                 np.radians(ma_deg), n_rev_day * 2 * np.pi / 1440.0, np.radians(raan_deg))
    return Satellite(rec, name=name or f"SYN-{catnum}", group="syn")


# -- agreement with Skyfield ---------------------------------------------------------------------------

def test_plan_against_skyfield():
    sats = C.jinan368()[::46]
    table = check_against_skyfield(sats, JINAN, "2026-01-01", "2026-01-02T06:00")
    assert list(table.columns) == PASS_COLUMNS
    assert table.rise.is_monotonic_increasing
    assert str(table.rise.dtype) == "datetime64[ns]"


def test_gps_against_skyfield(gps):
    check_against_skyfield(gps[::4], (-33.92, 18.42, 30.0), "2022-02-04", "2022-02-05T12:00", 5.0)


def test_iridium_against_skyfield():
    iridium = C.load(sample_file("iridium-NEXT_2025-07-19.tle"))[::10]
    check_against_skyfield(iridium, (69.65, 18.96, 100.0), "2025-07-19", "2025-07-20", 15.0)


def test_backwards_from_epoch_against_skyfield(stations):
    iss = stations[:3]
    epoch = iss.epochs.min()
    check_against_skyfield(iss, (40.0, -105.3, 1600.0), epoch - np.timedelta64(2, "D"), epoch, 0.0)


# -- hard cases ----------------------------------------------------------------------------------------

def test_barely_touching_passes_are_found():
    sats = C.jinan368()[::37]
    table = passes(sats, JINAN, "2026-01-01", duration="12h", min_elevation_deg=10.0)
    # raise the mask to just under each pass's peak: the pass must survive, a few seconds long
    for row in table[~(table.rise_clipped | table.set_clipped)].head(6).itertuples():
        sat = sats.select(name=row.satellite)
        t0 = row.rise - pd.Timedelta(minutes=30)
        t1 = row.set + pd.Timedelta(minutes=30)
        near = passes(sat, JINAN, t0, t1, row.max_elevation_deg - 0.001)
        near = near[(near.rise < row.set) & (near.set > row.rise)]
        assert len(near) == 1, row
        assert 0 < near.duration_s.iloc[0] < 30.0
        above = passes(sat, JINAN, t0, t1, row.max_elevation_deg + 0.001)
        assert not ((above.rise < row.set) & (above.set > row.rise)).any()


def test_clipped_at_start_and_stop():
    sats = C.jinan368()[:30]
    full = passes(sats, JINAN, "2026-01-01", duration="1d")
    row = full[~(full.rise_clipped | full.set_clipped)].iloc[3]
    mid = row.rise + (row.set - row.rise) / 2
    sat = sats.select(name=row.satellite)
    a = passes(sat, JINAN, mid, row.set + pd.Timedelta(minutes=1))
    assert a.rise_clipped.iloc[0] and not a.set_clipped.iloc[0]
    assert a.rise.iloc[0] == mid
    assert _secs(a.set.iloc[0], row.set) < 0.01
    b = passes(sat, JINAN, row.rise - pd.Timedelta(minutes=1), mid)
    assert b.set_clipped.iloc[-1] and not b.rise_clipped.iloc[-1]
    assert b.set.iloc[-1] == mid
    assert _secs(b.rise.iloc[-1], row.rise) < 0.01


def test_against_brute_force_oracle():
    sats = C.jinan368()[::61]
    check_against_oracle(sats, (45.0, 120.0, 0.0), "2026-01-02", "2026-01-02T12:00", 10.0)


def test_geostationary_always_or_never_visible():
    geo = make_sat(90001, 1.00273790935, 0.0002, 3.0, 80.0, 0.0, 30.0, name="GEO-TEST")
    ds = C.propagate(geo, np.array(["2026-01-01"], dtype="datetime64[ns]"))
    lon = float(ds.lon_deg.values[0, 0])
    seen = passes(geo, (30.0, lon + 10.0, 0.0), "2026-01-01", duration="3d", min_elevation_deg=10.0)
    assert len(seen) == 1
    row = seen.iloc[0]
    assert row.rise_clipped and row.set_clipped
    assert row.rise == pd.Timestamp("2026-01-01") and row.set == pd.Timestamp("2026-01-04")
    assert row.duration_s == pytest.approx(3 * 86400.0)
    el = skyfield_altitude(geo, (30.0, lon + 10.0, 0.0), pd.date_range("2026-01-01", "2026-01-04", freq="1h"))
    assert row.max_elevation_deg == pytest.approx(el.max(), abs=0.05)
    never = passes(geo, (30.0, lon + 180.0, 0.0), "2026-01-01", duration="3d")
    assert len(never) == 0


def test_molniya_against_oracle():
    # 12 h orbit, e = 0.72, apogee over the north: long northern passes, quick southern perigee passes
    sats = Constellation([make_sat(90010 + k, 2.00561, 0.72, 63.4, 40.0 + 90 * k, 270.0, 30 * k)
                          for k in range(3)])
    assert coarse_step_s(sats).max() < 600.0  # the perigee rate, not the period, sets the step
    check_against_oracle(sats, (60.0, 40.0, 0.0), "2026-01-01", "2026-01-02", 10.0, step_s=2.0)
    check_against_oracle(sats, (-35.0, 150.0, 0.0), "2026-01-01", "2026-01-02", 0.0, step_s=2.0)


def test_several_sites_match_single_site_calls():
    sats = C.jinan368()[::40]
    grid = points([36.65, -33.9], [117.0, 18.4], names=["jinan", "cape"], height_m=[0.0, 30.0])
    both = passes(sats, grid, "2026-01-01", duration="12h")
    assert "site" in both.columns and set(both.site) <= {"jinan", "cape"}
    one = passes(sats, (-33.9, 18.4, 30.0), "2026-01-01", duration="12h")
    cape = both[both.site == "cape"].drop(columns="site").reset_index(drop=True)
    pd.testing.assert_frame_equal(cape, one, check_exact=False, atol=1e-6)


def test_empty_and_bad_input():
    sats = C.jinan368()[:2]
    empty = passes(sats, JINAN, "2026-01-01", duration="1m", min_elevation_deg=89.9)
    assert list(empty.columns) == PASS_COLUMNS and len(empty) == 0
    with pytest.raises(ValueError, match="stop"):
        passes(sats, JINAN, "2026-01-02", "2026-01-01")
    with pytest.raises(ValueError, match="latitude"):
        passes(sats, (95.0, 0.0), "2026-01-01", duration="1h")
    with pytest.raises(ValueError, match="point grid"):
        passes(sats, C.grid.global_grid(30.0), "2026-01-01", duration="1h")
    with pytest.raises(ValueError, match="LAT,LON"):
        passes(sats, "north pole", "2026-01-01", duration="1h")


# -- command line and example --------------------------------------------------------------------------

def test_cli_passes_table_and_csv(tmp_path, capsys):
    from constellation.cli import main

    out = tmp_path / "passes.csv"
    rc = main(["passes", "--launched", "--group", "nav", "--duration", "12h", "--limit", "3",
               "--site", "36.65,117.0,50", "--csv", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "passes by all 4 satellites" in text and "per group: nav:" in text
    csv = pd.read_csv(out)
    assert list(csv.columns) == PASS_COLUMNS and len(csv) > 3
    direct = passes(C.jinan368().select(group="nav", launched=True), (36.65, 117.0, 50.0), "2026-01-01",
                    duration="12h")
    assert len(csv) == len(direct)
    assert (pd.to_datetime(csv.rise).dt.tz_localize(None) - direct.rise).abs().max() < pd.Timedelta("1us")
    assert main(["passes", "--site", "36.65"]) == 2
    assert main(["passes", "--duration", "soon"]) == 2
    assert main(["passes", "--group", "nope", "--duration", "1h"]) == 2


def test_example_runs(repo_root, capsys):
    import runpy
    import sys

    argv = sys.argv
    sys.argv = ["passes_over_jinan.py", "--duration", "6h", "--rows", "3", "--no-benchmark"]
    try:
        with pytest.raises(SystemExit) as exit_:
            runpy.run_path(str(repo_root / "examples" / "passes_over_jinan.py"), run_name="__main__")
    finally:
        sys.argv = argv
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "launched Jinan-368 satellites over Jinan" in out and "Per group" in out


def test_cli_table_duration_is_the_printed_set_minus_the_printed_rise():
    import pandas as pd

    from constellation.cli.passes import format_table

    t = pd.Timestamp("2026-01-01T00:00:00")
    s = pd.Timedelta(seconds=1)
    row = dict(satellite="S", group="eo", rise=t + 0.6 * s, culmination=t + 140.2 * s, set=t + 286.4 * s,
               max_elevation_deg=40.0, duration_s=285.8, rise_azimuth_deg=10.0,
               set_azimuth_deg=200.0, rise_clipped=False, set_clipped=False)
    line = format_table(pd.DataFrame([row])).splitlines()[2]
    # rise 00:00:01, set 00:04:46 (nearest second): 4m45s, though the exact duration rounds to 4m46s
    assert "2026-01-01 00:00:01  00:02:20  00:04:46" in line and " 4m45s " in line, line
