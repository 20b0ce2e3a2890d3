"""Property-based fuzzing (hypothesis) of the compute functions ``coverage``, ``propagate`` and ``passes``:
whatever their arguments (times with NaT, out of order or out of range, odd grids and sites, numbers that are
NaN, infinite, negative or huge, wrong types), the only exceptions are the documented ones (``ValueError``
and its subclasses ``ElementSetError`` and ``WorkTooLargeError``, ``TypeError`` for wrong types), and results
hold only what they document (fractions in [0, 1], finite positions or NaN where SGP4 fails, passes in
order).  Sizes stay small (a few satellites, cells and steps) and every request above a 64 MiB budget is
refused, so each example is quick; hypothesis's deadline is generous (no example is slow, but a loaded CI
machine must not fail on timing).  What the fuzzing found is pinned with ``@example``."""

from __future__ import annotations

import os

import numpy as np
import pytest
from helpers import memory_limit
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

import constellation as C

#: ``CONSTELLATION_FUZZ_EXAMPLES=2000`` for a deeper search than the suite's quick one
FUZZ = settings(max_examples=int(os.environ.get("CONSTELLATION_FUZZ_EXAMPLES", "40")), deadline=20_000,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
DOCUMENTED = (ValueError, TypeError)
SATS = C.jinan368()[::61]  # 7 satellites, every group
numbers = (st.floats(allow_nan=True, allow_infinity=True, width=64) | st.integers(-10**20, 10**20)
           | st.sampled_from([0, -1, 1e-300, 1e300, float("nan"), float("inf")]))
small = st.floats(-1e3, 1e3, allow_nan=False) | st.sampled_from([float("nan"), float("inf"), -0.0])
odd = st.none() | st.booleans() | st.text(max_size=8) | st.lists(st.integers(), max_size=3)

T0 = np.datetime64("2026-01-01T00:00", "ns")
NAT = np.datetime64("NaT", "ns")


@st.composite
def time_arrays(draw):
    """1 to 8 sample times: mostly a regular window, sometimes shuffled, repeated, with NaT, far away, empty,
    or not times at all."""
    kind = draw(st.sampled_from(["regular", "regular", "regular", "offsets", "nat", "empty", "strings", "odd"]))
    if kind == "regular":
        n = draw(st.integers(1, 8))
        step = draw(st.integers(1, 3600))
        return T0 + np.arange(n) * np.timedelta64(step, "s")
    if kind == "offsets":  # any order, repeats, across the representable span
        s = draw(st.lists(st.integers(-9 * 10**9, 9 * 10**9), min_size=1, max_size=6))
        return T0 + np.array(s, dtype="timedelta64[s]").astype("timedelta64[ns]")
    if kind == "nat":
        t = T0 + np.arange(4) * np.timedelta64(600, "s")
        t[draw(st.integers(0, 3))] = NAT
        return t
    if kind == "empty":
        return np.array([], dtype="datetime64[ns]")
    if kind == "strings":
        return draw(st.lists(st.sampled_from(["2026-01-01", "2026-01-01T00:10Z", "", "yesterday", "2300-01-01",
                                              "1600-01-01", "NaT"]), min_size=1, max_size=4))
    return draw(odd | numbers)


@st.composite
def grids(draw):
    kind = draw(st.sampled_from(["global", "region", "points", "points", "odd"]))
    if kind == "global":
        return C.grid.global_grid(draw(st.sampled_from([30.0, 45.0, 90.0])))
    if kind == "region":
        lat = sorted(draw(st.lists(st.floats(-90, 90), min_size=2, max_size=2)))
        lon = draw(st.lists(st.floats(-540, 540), min_size=2, max_size=2))
        try:
            return C.grid.region(lat=tuple(lat), lon=tuple(lon), res_deg=draw(st.sampled_from([10.0, 30.0])))
        except ValueError:
            return None
    if kind == "points":
        n = draw(st.integers(1, 5))
        lat = draw(st.lists(st.floats(-90, 90), min_size=n, max_size=n))
        lon = draw(st.lists(st.floats(-720, 720), min_size=n, max_size=n))
        return C.grid.points(lat, lon)
    return draw(odd | st.sampled_from(["global", 1.0]))


@pytest.fixture(autouse=True, scope="module")
def small_budget():
    """Every request above 64 MiB is refused, so no example can allocate gigabytes."""
    with memory_limit("64M"):
        yield


def _args(data, valid: dict, hostile: dict) -> dict:
    """One value per argument: the valid kind for all, except (most of the time) one argument drawn from its
    hostile kind, so that both results and refusals are well explored."""
    names = list(valid)
    bad = data.draw(st.sampled_from([None, None, *names, *names]), label="hostile argument")
    picked = data.draw(st.sets(st.sampled_from(names), max_size=2), label="also hostile") if bad else set()
    return {k: data.draw(hostile[k] if k == bad or k in picked else valid[k], label=k) for k in names}


def _computed(fn, **kw):
    """``fn(SATS, **kw)`` with warnings silenced; None (noted as an event) where it refuses with a documented
    exception, any other exception fails the example."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(SATS, **kw)
    except DOCUMENTED as exc:
        event(f"refused: {type(exc).__name__}")
        return None
    event("computed")
    return out


@FUZZ
@given(st.data())
def test_coverage(data):
    kw = _args(data, dict(
        times=st.integers(1, 8).flatmap(lambda n: st.integers(1, 3600).map(
            lambda step: T0 + np.arange(n) * np.timedelta64(step, "s"))),
        grid=st.sampled_from([30.0, 45.0, 90.0]).map(C.grid.global_grid)
        | st.lists(st.tuples(st.floats(-90, 90), st.floats(-720, 720)), min_size=1, max_size=4).map(
            lambda p: C.grid.points([a for a, _ in p], [b for _, b in p])),
        min_elevation_deg=st.floats(-10, 89.9),
        half_angle_deg=st.none() | st.floats(0.1, 180),
        min_sats=st.integers(1, 8),
        window_edges=st.sampled_from(["count", "exact", "clip"]),
        chunk_steps=st.none() | st.integers(1, 20),
        positions=st.sampled_from(["hermite", "exact"]),
    ), dict(
        times=time_arrays(), grid=grids(), min_elevation_deg=small | numbers | odd,
        half_angle_deg=small | numbers | odd, min_sats=st.integers(-2, 10) | numbers | odd,
        window_edges=st.text(max_size=5) | odd, chunk_steps=st.integers(-2, 0) | numbers | odd,
        positions=st.text(max_size=6) | odd,
    ))
    ds = _computed(C.coverage, **kw)
    if ds is None:
        return
    cf = np.asarray(ds["coverage_fraction"].values)
    n_cells = (kw["grid"] or C.grid.global_grid(1.0)).n_cells  # (None: the default grid)
    assert cf.size == n_cells and np.isfinite(cf).all() and (cf >= 0).all() and (cf <= 1).all()
    afc = np.asarray(ds["area_covered_fraction"].values)
    assert np.isfinite(afc).all() and (afc >= 0).all() and (afc <= 1).all()


@FUZZ
@given(st.data())
def test_propagate(data):
    kw = _args(data, dict(
        times=st.integers(1, 8).flatmap(lambda n: st.integers(1, 10**6).map(
            lambda step: T0 + np.arange(n) * np.timedelta64(step, "s"))),
        dut1=st.none() | st.floats(-0.9, 0.9),
        polar_motion_arcsec=st.none() | st.tuples(st.floats(-1, 1), st.floats(-1, 1)),
        chunk_satsteps=st.none() | st.integers(1, 100),
        velocities=st.booleans(),
    ), dict(
        times=time_arrays(), dut1=small | numbers | st.lists(small, max_size=3) | odd,
        polar_motion_arcsec=st.lists(small, max_size=3) | numbers | odd,
        chunk_satsteps=st.integers(-2, 0) | numbers | odd, velocities=odd | numbers,
    ))
    ds = _computed(C.propagate, **kw)
    if ds is None:
        return
    x = np.asarray(ds["x_km"].values)
    assert x.shape == (len(SATS), np.asarray(ds["time"]).size)
    assert not np.isnat(np.asarray(ds["time"].values)).any()
    for name in ("x_km", "y_km", "z_km", "lat_deg", "lon_deg"):
        v = np.asarray(ds[name].values)
        assert not np.isinf(v).any(), name  # finite, or NaN where SGP4 failed
        assert (np.isnan(v) == (np.asarray(ds["sgp4_error"].values) != 0)).all() or name != "x_km"
    ok = np.isfinite(x)
    assert (np.abs(np.asarray(ds["lat_deg"].values)[ok]) <= 90).all()


@FUZZ
@given(st.data())
@example(None)  # the defaults below, once
def test_passes(data):
    if data is None:
        kw = dict(site=(36.67, 117.0, 0.0), start="2026-01-01", duration="1d", min_elevation_deg=10.0,
                  tolerance_s=1e-3, samples_per_orbit=10.0)
    else:
        kw = _args(data, dict(
            site=st.tuples(st.floats(-90, 90), st.floats(-720, 720), st.floats(-400, 9000)),
            start=st.integers(0, 10**8).map(lambda s: T0 + np.timedelta64(s, "s")),
            duration=st.floats(1, 2 * 86400),
            min_elevation_deg=st.floats(-10, 89.9),
            tolerance_s=st.floats(1e-6, 10),
            samples_per_orbit=st.floats(1, 40),
        ), dict(
            site=st.tuples(small, small) | st.tuples(small, small, small) | odd | numbers,
            start=st.sampled_from(["2262-04-11", "1600-01-01", "", "x"]) | numbers | st.none(),
            duration=st.floats(-1e6, 1e7) | st.sampled_from(["-1h", "0s", "1e400s", float("nan"), 1e10, 1e30]) | odd,
            min_elevation_deg=small | numbers | odd, tolerance_s=numbers | odd,
            samples_per_orbit=st.floats(-5, 1) | numbers | odd,
        ))
    df = _computed(C.passes, **kw)
    if df is None:
        return
    if len(df):
        rise, culm, set_ = (df[c].to_numpy() for c in ("rise", "culmination", "set"))
        assert not np.isnat(rise).any() and not np.isnat(set_).any()
        assert (rise <= culm).all() and (culm <= set_).all()
        assert np.isfinite(df["max_elevation_deg"].to_numpy()).all()


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 2.5, 0, -3])
def test_propagate_chunk_satsteps_found_by_fuzzing(value):
    """Found by ``test_propagate``: an infinite ``chunk_satsteps`` raised OverflowError from ``int()``."""
    with pytest.raises(ValueError, match="chunk_satsteps"):
        C.propagate(SATS, T0 + np.arange(3) * np.timedelta64(60, "s"), chunk_satsteps=value)
