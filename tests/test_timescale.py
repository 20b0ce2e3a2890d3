"""Times: ``time_range``, ``parse_time``, ``parse_duration``, Julian-date split and dUT1."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from constellation.timescale import (
    as_datetime64,
    dut1_s,
    julian_utc,
    parse_duration,
    parse_time,
    skyfield_time,
    time_range,
)


def test_time_range_includes_stop_on_the_grid():
    t = time_range("2026-01-01", "2026-01-01T00:10", step_s=60)
    assert t.dtype == np.dtype("datetime64[ns]") and t.size == 11
    assert t[0] == np.datetime64("2026-01-01T00:00") and t[-1] == np.datetime64("2026-01-01T00:10")


def test_time_range_never_passes_stop_and_accepts_duration_text():
    t = time_range("2026-01-01", "2026-01-01T00:10", step_s=7 * 60)
    assert list(t) == [np.datetime64("2026-01-01T00:00"), np.datetime64("2026-01-01T00:07")]
    t = time_range("2026-01-01", duration="1d", step_s="30s")
    assert t.size == 2881 and t[-1] == np.datetime64("2026-01-02T00:00")
    assert time_range("2026-01-01", "2026-01-01", step_s=60).size == 1


@pytest.mark.parametrize("kwargs,match", [
    (dict(stop="2025-12-31"), "before start"),
    (dict(stop="2026-01-02", step_s=0), "positive"),
    (dict(stop="2026-01-02", step_s=-5), "positive"),
    (dict(), "exactly one"),
    (dict(stop="2026-01-02", duration="1d"), "exactly one"),
    (dict(duration="1 fortnight"), "unknown unit"),
    (dict(stop="yesterday-ish"), "cannot read time"),
])
def test_time_range_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        time_range("2026-01-01", **kwargs)


@pytest.mark.parametrize("text,seconds", [
    ("30s", 30.0), ("90m", 5400.0), ("1.5h", 5400.0), ("1d", 86400.0), ("1d12h", 129600.0),
    ("2 days", 172800.0), ("1w", 604800.0), ("45", 45.0), (12, 12.0), (np.timedelta64(2, "m"), 120.0),
    ("1e2s", 100.0),
])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "5 parsecs", "1d-2h", "--3s"])
def test_parse_duration_errors_name_the_text(text):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_parse_time_forms():
    want = np.datetime64("2026-01-01T06:00:00", "ns")
    assert parse_time("2026-01-01T06:00:00Z") == want
    assert parse_time("2026-01-01T06:00:00+00:00") == want
    assert parse_time("2026-01-01T08:00:00+02:00") == want  # offsets converted to UTC
    assert parse_time(dt.datetime(2026, 1, 1, 6)) == want
    assert parse_time(np.datetime64("2026-01-01T06:00")) == want
    assert parse_time(skyfield_time(np.array([want]))[0]) == want
    now = parse_time("now")
    assert abs((now - np.datetime64(dt.datetime.now(dt.UTC).replace(tzinfo=None), "ns"))
               / np.timedelta64(1, "s")) < 60
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_time("2026-13-45")
    with pytest.raises(TypeError):
        parse_time(3.5)


def test_as_datetime64_shapes():
    assert as_datetime64("2026-01-01").shape == (1,)
    assert as_datetime64(["2026-01-01", "2026-01-02"]).shape == (2,)


def test_julian_utc_split_is_exact():
    t = np.array(["2000-01-01T12:00:00", "1999-12-31T23:59:59.999999999", "2026-06-14T04:13:23.5"],
                 dtype="datetime64[ns]")
    jd, fr = julian_utc(t)
    np.testing.assert_array_equal(jd, [2451544.5, 2451543.5, 2461205.5])
    np.testing.assert_allclose(fr, [0.5, 1 - 1e-9 / 86400, (4 * 3600 + 13 * 60 + 23.5) / 86400], rtol=0, atol=1e-15)
    assert ((fr >= 0) & (fr < 1)).all()


def test_dut1_matches_skyfield_including_across_a_leap_second():
    from skyfield.api import load

    ts = load.timescale(builtin=True)
    moments = [dt.datetime(2016, 12, 31, 23, 59, 50), dt.datetime(2017, 1, 1, 0, 0, 10),
               dt.datetime(2020, 6, 25, 12), dt.datetime(2026, 1, 1)]
    t = np.array(moments, dtype="datetime64[ns]")
    want = ts.from_datetimes([m.replace(tzinfo=dt.UTC) for m in moments]).dut1
    np.testing.assert_allclose(dut1_s(t), want, rtol=0, atol=1e-9)
    assert dut1_s(t)[1] - dut1_s(t)[0] == pytest.approx(1.0, abs=1e-3)  # the leap second shows in UT1-UTC
    assert dut1_s(np.array([], dtype="datetime64[ns]")).shape == (0,)


@pytest.mark.parametrize("value", ["2300-01-01", "1600-06-01T00:00Z", dt.datetime(2263, 1, 1),
                                   np.datetime64("2262-05-01", "D"), np.datetime64("NaT")])
def test_times_datetime64_ns_cannot_hold_are_refused(value):
    """datetime64[ns] ends in 2262 and begins in 1677: a time outside would wrap around to another century
    without a word, so it is refused with the span in the message."""
    with pytest.raises(ValueError, match="outside the times this package can represent|not a time"):
        parse_time(value)
    with pytest.raises(ValueError, match="outside the times this package can represent|not a time"):
        as_datetime64(np.array([value], dtype="datetime64[s]") if not isinstance(value, str) else [value])


def test_a_window_that_runs_past_2262_is_refused_and_the_edges_are_kept():
    with pytest.raises(ValueError, match="the window from 2262-04-09T00:00:00Z"):
        time_range("2262-04-09", duration="3d")
    assert parse_time("2262-04-09T23:59:59Z") == np.datetime64("2262-04-09T23:59:59", "ns")
    assert time_range("1677-09-23", duration="1h", step_s=3600)[-1] == np.datetime64("1677-09-23T01:00", "ns")


def test_cli_refuses_a_start_past_2262(tmp_path, capsys):
    from constellation.cli import main

    assert main(["coverage", "--start", "2300-01-01", "-o", str(tmp_path / "x.nc")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--start" in err and "2262" in err
    assert not (tmp_path / "x.nc").exists()
