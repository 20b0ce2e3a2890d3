"""Constellation design: Walker and sun-synchronous generators, plan files and the shipped Jinan-368 plan.

Outside authorities used here, each computed independently of ``constellation.design``:
* the sun-synchronous inclination from the first-order J2 node rate (Vallado 2013, sec. 9.6; Wertz &
  Larson SMAD 1999, sec. 6.2.2) with WGS-72 constants typed in below;
* mean local solar time = UT + longitude / 15 deg/h (the definition of mean solar time);
* the Sun's apparent right ascension from the Astronomical Almanac's low-precision formula (section C,
  "Sun", accuracy 0.01 deg), Greenwich sidereal time from Skyfield's built-in timescale, and the
  equation of time from Spencer's (1971) Fourier series (accuracy about 0.5 min).
"""

from __future__ import annotations

import math
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
from sgp4.api import SatrecArray

import constellation as C
from constellation import design
from constellation.cli import main as cli_main
from constellation.propagation import teme_states

EPOCH = np.datetime64("2026-01-01T00:00:00", "ns")
# WGS-72 (Spacetrack Report No. 3): the constants SGP4 element sets are defined with.
R_KM, MU, J2_WGS72 = 6378.135, 398600.8, 0.001082616
SUN_DEG_PER_DAY = 360.0 / 365.2422  # mean Sun in right ascension, per tropical year
SATREC_FIELDS = ("satnum", "jdsatepoch", "jdsatepochF", "no_kozai", "ecco", "inclo", "nodeo", "argpo", "mo",
                 "bstar", "ndot", "nddot", "a", "nodedot", "mdot", "argpdot")


def shipped(name: str) -> Path:
    return Path(str(files("constellation.tle_data").joinpath(name)))


def deg(x):
    return np.degrees(x)


# -- the shipped plan -----------------------------------------------------------------------------------

def test_counts_groups_and_launched(jinan):
    assert len(jinan) == 368
    assert jinan.group_counts() == {"eo": 120, "comm": 216, "nav": 32}
    launched = {g: int(jinan.select(group=g).launched.sum()) for g in ("eo", "comm", "nav")}
    assert launched == {"eo": 14, "comm": 8, "nav": 4}
    assert int(jinan.launched.sum()) == 26
    # "the first N" of each group, in numbering order
    for g, n in launched.items():
        flags = jinan.select(group=g).launched
        assert flags[:n].all() and not flags[n:].any()


def test_names_numbers_epochs(jinan):
    names = jinan.names
    assert len(set(names)) == 368
    assert names[0] == "JINAN-EO-001" and names[120] == "JINAN-COMM-001" and names[-1] == "JINAN-NAV-032"
    nums = jinan.catalog_numbers
    assert len(set(nums.tolist())) == 368
    # private block inside the 270000-339999 analyst range, written Alpha-5 in TLEs
    assert nums.min() >= 270_000 and nums.max() <= 339_999
    assert jinan[0].catalog_id == "Z0001" and jinan[120].catalog_id == "Z1001"
    assert (jinan.epochs == EPOCH).all()
    assert all(s.satrec.ecco == pytest.approx(1e-4) and s.satrec.argpo == 0 and s.satrec.bstar == 0
               for s in jinan)


def test_jinan368_is_cached():
    assert C.jinan368() is C.jinan368() is design.jinan368()


def test_mean_altitude_convention(jinan):
    # SGP4's recovered (Brouwer) mean semi-major axis is R_WGS72 + nominal altitude, to 1 m
    # (the TLE's 8-decimal mean motion limits it to about 1e-5 km)
    for s in jinan:
        assert s.satrec.a * R_KM - R_KM == pytest.approx(s.extra["altitude_km"], abs=1e-3)


def _planes(c):
    """Group satellites by RAAN read back from their satrecs: {raan_deg: sorted mean anomalies}."""
    raan = np.round(deg([s.satrec.nodeo for s in c]), 3)
    out = {}
    for r, s in zip(raan, c):
        out.setdefault(float(r), []).append(float(deg(s.satrec.mo)))
    return {r: np.sort(m) for r, m in sorted(out.items())}


def _walker_readback(c):
    """Return (P, S, F, RAAN steps) measured from the satrecs alone."""
    planes = _planes(c)
    raans = np.array(list(planes))
    P = len(raans)
    S = len(next(iter(planes.values())))
    T = P * S
    # in-plane spacing
    for m in planes.values():
        assert len(m) == S
        np.testing.assert_allclose(np.diff(m), 360.0 / S, atol=2e-4)
    # phase offset of each plane's slots relative to the previous plane, modulo the in-plane spacing
    firsts = [m[0] for m in planes.values()]
    offsets = np.mod(np.diff(firsts), 360.0 / S)
    F = offsets / (360.0 / T)
    assert np.allclose(F, np.round(F[0]), atol=1e-3), offsets
    return P, S, int(round(F[0])), np.diff(raans)


@pytest.mark.parametrize("group, T, P, F, inc, alt, raan0", [("comm", 216, 12, 1, 50.0, 1000.0, 0.0),
                                                          ("nav", 32, 4, 1, 55.0, 975.0, 15.0)])
def test_walker_geometry_of_plan(jinan, group, T, P, F, inc, alt, raan0):
    c = jinan.select(group=group)
    assert len(c) == T
    np.testing.assert_allclose(deg([s.satrec.inclo for s in c]), inc, atol=1e-4)
    p, s, f, steps = _walker_readback(c)
    assert (p, s, f) == (P, T // P, F)
    np.testing.assert_allclose(steps, 360.0 / P, atol=2e-4)
    assert min(_planes(c)) == pytest.approx(raan0, abs=1e-4)


def test_walker_star_and_delta_generators():
    star = design.walker_star(66, 6, 2, 86.4, 780.0, "2026-01-01T00:00:00Z", raan0_deg=10.0,
                              name_prefix="STAR", first_catalog_number=300_001, group="x", launched=3)
    p, s, f, steps = _walker_readback(star)
    assert (p, s, f) == (6, 11, 2)
    np.testing.assert_allclose(steps, 30.0, atol=2e-4)  # spread over 180 deg, not 360
    assert min(_planes(star)) == pytest.approx(10.0, abs=1e-4)
    assert int(star.launched.sum()) == 3 and star.names[0] == "STAR-001" and star[0].catalog_id == "W0001"
    delta = design.walker_delta(24, 3, 1, 56.0, 23222.0, "2026-01-01")  # Galileo-like 24/3/1
    p, s, f, steps = _walker_readback(delta)
    assert (p, s, f) == (3, 8, 1)
    np.testing.assert_allclose(steps, 120.0, atol=2e-4)
    with pytest.raises(ValueError, match="divisible"):
        design.walker_delta(25, 3, 1, 56.0, 1000.0, EPOCH)
    with pytest.raises(ValueError, match="phasing"):
        design.walker_delta(24, 3, 3, 56.0, 1000.0, EPOCH)


@pytest.mark.parametrize("inc", [0.0, 53.0, 97.5, 140.0])
def test_kozai_inversion_recovers_semimajor_axis(inc):
    rec = design.satrec_from_elements(330_001, EPOCH, inc, 0.0, 0.0, 550.0, via_tle=False)
    assert rec.a * R_KM == pytest.approx(R_KM + 550.0, abs=1e-8)


# -- sun-synchronous shell ------------------------------------------------------------------------------

def _textbook_sso_inclination(alt_km, e=0.0):
    a = R_KM + alt_km
    rate = math.radians(SUN_DEG_PER_DAY) / 86400.0
    cosi = -2.0 * rate * a ** 3.5 * (1 - e * e) ** 2 / (3.0 * J2_WGS72 * R_KM ** 2 * math.sqrt(MU))
    return math.degrees(math.acos(cosi))


def test_sso_inclination(jinan):
    expected = _textbook_sso_inclination(535.0, 1e-4)
    assert 97.4 < expected < 97.6
    eo = jinan.select(group="eo")
    np.testing.assert_allclose(deg([s.satrec.inclo for s in eo]), expected, atol=0.05)
    for alt in (300.0, 800.0, 1200.0):
        assert design.sun_synchronous_inclination(alt) == pytest.approx(_textbook_sso_inclination(alt), abs=0.01)
    with pytest.raises(ValueError, match="no sun-synchronous"):
        design.sun_synchronous_inclination(7000.0)


def test_sso_node_follows_mean_sun(jinan):
    """Propagate two days with SGP4; the orbit plane's RAAN (from r x v in TEME) drifts with the Sun."""
    eo = jinan.select(group="eo")[[0, 15 * 7]]
    times = C.time_range(EPOCH, duration="2d", step_s=300)
    err, r, v = teme_states(eo, times)
    assert not err.any()
    h = np.cross(r, v)
    raan = np.unwrap(np.arctan2(h[..., 0], -h[..., 1]), axis=1)
    days = (times - times[0]) / np.timedelta64(1, "D")
    for k in range(len(eo)):
        slope_deg_day = np.degrees(np.polyfit(days, raan[k], 1)[0])
        assert slope_deg_day == pytest.approx(SUN_DEG_PER_DAY, rel=0.02)


def _almanac_sun_ra_deg(jd_utc):
    """Apparent right ascension of the Sun, degrees (Astronomical Almanac low-precision formula)."""
    n = jd_utc - 2451545.0
    L = 280.460 + 0.9856474 * n
    g = math.radians(357.528 + 0.9856003 * n)
    lam = math.radians(L + 1.915 * math.sin(g) + 0.020 * math.sin(2 * g))
    eps = math.radians(23.439 - 4.0e-7 * n)
    return math.degrees(math.atan2(math.cos(eps) * math.sin(lam), math.cos(lam))) % 360.0


def _spencer_eot_min(day_of_year):
    b = 2 * math.pi * (day_of_year - 1) / 365.0
    return 229.18 * (0.000075 + 0.001868 * math.cos(b) - 0.032077 * math.sin(b)
                     - 0.014615 * math.cos(2 * b) - 0.040849 * math.sin(2 * b))


def _wrap_minutes(m):
    return (m + 720.0) % 1440.0 - 720.0


def test_sso_local_time_of_descending_node(jinan):
    """One satellite per EO plane: propagate one orbit, find the descending node, read its local time."""
    from skyfield.api import load

    ts = load.timescale(builtin=True)
    eo = jinan.select(group="eo")
    sats = eo[[15 * k + 3 for k in range(8)]]
    times = C.time_range(EPOCH, duration="100m", step_s=10)
    pos = C.propagate(sats, times)
    lat, lon = pos.lat_deg.values, pos.lon_deg.values
    t_s = (times - times[0]) / np.timedelta64(1, "s")
    for k, sat in enumerate(sats):
        i = np.flatnonzero((lat[k, :-1] > 0) & (lat[k, 1:] <= 0))
        assert i.size == 1, "expected one descending node in one orbit"
        i = int(i[0])
        w = lat[k, i] / (lat[k, i] - lat[k, i + 1])
        t_node = t_s[i] + w * (t_s[i + 1] - t_s[i])
        dlon = (lon[k, i + 1] - lon[k, i] + 180.0) % 360.0 - 180.0
        lon_node = lon[k, i] + w * dlon
        ltdn_min = sat.extra["ltdn_hours"] * 60.0
        # mean local solar time: UT + longitude / 15
        lmt_min = (t_node / 60.0 + lon_node * 4.0) % 1440.0
        assert abs(_wrap_minutes(lmt_min - ltdn_min)) < 2.0, (sat.name, lmt_min, ltdn_min)
        # apparent local solar time from the Almanac Sun: differs by the equation of time (~ -3 min)
        t_sky = ts.utc(2026, 1, 1, 0, 0, t_node)
        hour_angle_deg = t_sky.gmst * 15.0 + lon_node - _almanac_sun_ra_deg(t_sky.tt - t_sky.delta_t / 86400.0)
        lat_min = (720.0 + hour_angle_deg * 4.0) % 1440.0
        eot = _spencer_eot_min(1.0 + t_node / 86400.0)
        assert abs(_wrap_minutes(lat_min - ltdn_min) - eot) < 1.0, (sat.name, lat_min, ltdn_min, eot)


def test_altitudes_over_a_day(jinan):
    """Heights above WGS-84 from propagate stay near the nominal mean altitude over a day.

    The nominal altitude is the mean semi-major axis minus the equatorial radius, so the geodetic height
    of the near-polar EO shell rises by up to ~21 km over the poles (flattening); the mean radius sits
    within a few km of a (J2 short-period terms).
    """
    sub = jinan[[i for i, s in enumerate(jinan) if s.extra["slot"] == 0]]  # one satellite per plane
    times = C.time_range(EPOCH, duration="1d", step_s=120)
    pos = C.propagate(sub, times)
    nominal = np.array([s.extra["altitude_km"] for s in sub])[:, None]
    alt = pos.alt_km.values
    assert np.abs(alt.mean(axis=1) - nominal[:, 0]).max() < 20.0
    assert (alt - nominal).min() > -10.0 and (alt - nominal).max() < 35.0
    radius = np.sqrt(pos.x_km.values ** 2 + pos.y_km.values ** 2 + pos.z_km.values ** 2)
    assert np.abs(radius.mean(axis=1) - (R_KM + nominal[:, 0])).max() < 6.0


# -- element sets: the plan object IS the shipped TLE ----------------------------------------------------

def test_plan_equals_shipped_tle(jinan):
    loaded = C.load(shipped("jinan368.tle"))
    assert len(loaded) == len(jinan)
    assert list(loaded.names) == list(jinan.names)
    for a, b in zip(jinan, loaded):
        for f in SATREC_FIELDS:
            assert getattr(a.satrec, f) == getattr(b.satrec, f), (a.name, f)
    jd = np.array([2461041.5, 2461042.5, 2461045.5])
    fr = np.array([0.0, 0.123456, 0.9])
    ea, ra, va = SatrecArray(jinan.satrecs).sgp4(jd, fr)
    eb, rb, vb = SatrecArray(loaded.satrecs).sgp4(jd, fr)
    assert not ea.any() and np.array_equal(ra, rb) and np.array_equal(va, vb)


def test_cli_regenerates_shipped_tle_byte_for_byte(tmp_path, capsys):
    out = tmp_path / "jinan368.tle"
    assert cli_main(["design", "--output", str(out)]) == 0
    assert out.read_bytes() == shipped("jinan368.tle").read_bytes()


@pytest.mark.parametrize("fmt, suffix", [("omm-json", ".json"), ("omm-csv", ".csv")])
def test_cli_writes_omm_that_loads_back(tmp_path, jinan, fmt, suffix):
    out = tmp_path / f"plan{suffix}"
    assert cli_main(["design", "--output", str(out)]) == 0  # format from the suffix
    back = C.load(out)
    assert list(back.names) == list(jinan.names)
    jd, fr = np.array([2461041.5, 2461043.5]), np.array([0.0, 0.3])
    _, r0, _ = SatrecArray(jinan.satrecs).sgp4(jd, fr)
    _, r1, _ = SatrecArray(back.satrecs).sgp4(jd, fr)
    assert np.abs(r1 - r0).max() < 1e-6  # km: OMM decimal text carries the TLE values


def test_cli_summary(capsys):
    assert cli_main(["design"]) == 0
    text = capsys.readouterr().out
    for token in ("Jinan-368", "368", "sun-synchronous", "walker-delta", "216", "12 x 18", "LTDN 09:30..13:00",
                  "Z0001-Z0120", "26"):
        assert token in text
    assert cli_main(["design", "--format", "tle"]) == 2  # --format needs --output


# -- plan files --------------------------------------------------------------------------------------------

def test_load_plan_of_shipped_file_matches(jinan):
    c = design.load_plan(shipped("jinan368.toml"))
    assert list(c.names) == list(jinan.names)
    assert all(a.satrec.nodeo == b.satrec.nodeo and a.group == b.group and a.launched == b.launched
               for a, b in zip(c, jinan))


def test_user_plan(tmp_path):
    plan = tmp_path / "mine.toml"
    plan.write_text("""
[plan]
name = "Polar test"
epoch = "2026-03-01T12:00:00Z"

[[shell]]
group = "iot"
pattern = "walker-star"
name_prefix = "IOT"
altitude_km = 600
total = 12
planes = 3
phasing = 1
inclination_deg = 87.9
first_catalog_number = 300001
launched = true

[[shell]]
group = "sso"
pattern = "sun-synchronous"
name_prefix = "SSO"
altitude_km = 700
planes = 2
sats_per_plane = 2
ltdn = ["10:30", 22.5]
first_catalog_number = 300101
""")
    c = design.load_plan(plan)
    assert c.group_counts() == {"iot": 12, "sso": 4}
    assert c.select(group="iot").launched.all() and not c.select(group="sso").launched.any()
    assert (c.epochs == np.datetime64("2026-03-01T12:00:00", "ns")).all()
    assert [s.extra["ltdn_hours"] for s in c.select(group="sso")] == [10.5, 10.5, 22.5, 22.5]
    _, _, _, steps = _walker_readback(c.select(group="iot"))
    np.testing.assert_allclose(steps, 60.0, atol=2e-4)


def _bad_plan(tmp_path, old, new):
    text = shipped("jinan368.toml").read_text()
    assert old in text
    p = tmp_path / "bad.toml"
    p.write_text(text.replace(old, new, 1))
    return p, p.read_text().splitlines()


@pytest.mark.parametrize("old, new, field, expect", [
    ('altitude_km = 1000.0', 'altitude_km = "high"', "shell[1].altitude_km", "altitude in km"),
    ('phasing = 1\ninclination_deg = 55.0', 'phasing = 4\ninclination_deg = 55.0', "shell[2].phasing", "0..3"),
    ('total = 216', 'total = 217', "shell[1].total", "divisible"),
    ('"12:30", "13:00"]', '"12:30"]', "shell[0].ltdn", "8 local times"),
    ('"10:00"', '"25:00"', "shell[0].ltdn", "HH:MM"),
    ('pattern = "walker-delta"', 'pattern = "walker-zeta"', "shell[1].pattern", "walker-delta"),
    ('raan0_deg = 15.0', 'raan0 = 15.0', "shell[2].raan0", "unknown key"),
    ('first_catalog_number = 332001', 'first_catalog_number = 331100', "shell[2].first_catalog_number",
     "overlap"),
    ('launched = 4\n', 'launched = 40\n', "shell[2].launched", "0..32"),
    ('epoch = 2026-01-01T00:00:00Z', 'epoch = 2026-01-01T00:00:00', "[plan].epoch", "UTC"),
])
def test_load_plan_errors_name_file_line_and_key(tmp_path, old, new, field, expect):
    path, lines = _bad_plan(tmp_path, old, new)
    with pytest.raises(design.PlanError) as info:
        design.load_plan(path)
    err = info.value
    assert err.field == field
    assert str(path) in str(err) and field in str(err) and expect in str(err)
    key = field.rsplit(".", 1)[1]
    assert err.line is not None and lines[err.line - 1].lstrip().startswith(key), (err.line, lines[err.line - 1])


def test_load_plan_missing_key_and_syntax(tmp_path, capsys):
    path, lines = _bad_plan(tmp_path, 'inclination_deg = 50.0\n', '')
    with pytest.raises(design.PlanError, match=r"shell\[1\]\.inclination_deg: missing required key") as info:
        design.load_plan(path)
    assert lines[info.value.line - 1].strip() == "[[shell]]"
    path, _ = _bad_plan(tmp_path, 'planes = 4', 'planes = = 4')
    with pytest.raises(design.PlanError, match="not valid TOML") as info:
        design.load_plan(path)
    assert info.value.line is not None
    # through the command line: one line, exit code 2
    assert cli_main(["design", "--plan", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(path) in err
    assert cli_main(["design", "--plan", str(tmp_path / "absent.toml")]) == 2
