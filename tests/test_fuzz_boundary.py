"""Property-based fuzzing (hypothesis) of the public boundary: the command line's argument readers, the
time, duration and grid functions, the element readers and the terminal escaping.  Whatever the input,
the only exceptions are the documented ones (``ValueError`` and its subclasses ``ElementSetError`` and
``WorkTooLargeError``, ``TypeError`` for wrong types), every result holds only finite values, and work
stays bounded (a 64 MiB memory budget, no example slower than the deadline).  What the fuzzing found is
pinned with ``@example``."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import memory_limit
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import constellation as C
from constellation.checks import sanitize
from constellation.cli import main
from constellation.cli._common import parse_region
from constellation.errors import ElementSetError
from constellation.sites import parse_site

FUZZ = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
numbers = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10**30, 10**30)
texts = st.text(max_size=40) | st.sampled_from(["nan", "inf", "-inf", "1e400", "0", "-0", "1e-300", "", " "])


@pytest.fixture(autouse=True, scope="module")
def small_budget():
    """Every request above 64 MiB is refused, so no example can allocate gigabytes."""
    with memory_limit("64M"):
        yield


@FUZZ
@given(numbers | texts)
@example("1e400s")
@example(float("nan"))
@example(True)
def test_parse_duration(value):
    try:
        s = C.parse_duration(value)
    except (ValueError, TypeError):
        return
    assert math.isfinite(s)


@FUZZ
@given(st.one_of(numbers, texts), st.one_of(numbers, texts))
@example(float("inf"), "1h")
@example(1e-9, "1d")
@example(60, 1e30)
@example(60, "-1h")
@example(9223372037.0, 0.0)             # a step past int64 nanoseconds
@example(3e8, "500w")                   # a window past int64 nanoseconds (the times would wrap)
def test_time_range(step, duration):
    try:
        t = C.time_range("2026-01-01", step_s=step, duration=duration)
    except (ValueError, TypeError):
        return
    assert t.dtype == np.dtype("datetime64[ns]") and t.size >= 1
    assert not np.isnat(t).any() and (t.size == 1 or (np.diff(t) > np.timedelta64(0)).all())
    assert t[0] == np.datetime64("2026-01-01T00:00", "ns")


@FUZZ
@given(st.sampled_from(["global", "equal_area", "region"]), numbers, numbers, numbers)
@example("global", 0.0, 0, 0)
@example("equal_area", 0.0, 0, 0)
@example("global", 0.001, 0, 0)
@example("region", 1.0, float("nan"), 10)
@example("equal_area", 7.754459910540549e-253, 0, 0)   # a cell count past float range
@example("region", 1e-300, -90, 90)
def test_grids(kind, res, a, b):
    try:
        if kind == "global":
            g = C.grid.global_grid(res)
        elif kind == "equal_area":
            g = C.grid.equal_area(res)
        else:
            g = C.grid.region(lat=(a, b), lon=(a, b), res_deg=res)
    except (ValueError, TypeError):
        return
    assert g.n_cells >= 1 and np.isfinite(g.lat_deg).all() and np.isfinite(g.lon_deg).all()
    assert (np.abs(g.lat_deg) <= 90).all() and (np.abs(g.lon_deg) <= 180).all()


@FUZZ
@given(st.lists(numbers, min_size=1, max_size=3), st.lists(numbers, min_size=1, max_size=3), numbers)
@example([float("nan")], [0.0], 0.0)
@example([0.0], [float("inf")], 0.0)
def test_points(lat, lon, height):
    try:
        g = C.grid.points(lat, lon, height_m=height)
    except (ValueError, TypeError):
        return
    assert np.isfinite(g.lat_deg).all() and np.isfinite(g.lon_deg).all() and np.isfinite(g.height_m).all()


@FUZZ
@given(texts)
@example("nan,10,0,10")
@example("0,10,inf,10")
@example("10,0,0,10")
def test_cli_region(text):
    try:
        (s, n), (w, e) = parse_region(text)
    except ValueError:
        return
    assert -90 <= s < n <= 90 and -180 <= w <= 180 and -180 <= e <= 180


@FUZZ
@given(texts)
@example("nan,117")
@example("36.6,inf,0")
def test_cli_site(text):
    try:
        lat, lon, h = parse_site(text, "--site")
    except ValueError:
        return
    assert all(math.isfinite(v) for v in (lat, lon, h))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@example(option="--at", value="2300-01-01")
@example(option="--at", value="1600-01-01")
@example(option="--site", value="nan,117")
@example(option="--group", value="")
@given(option=st.sampled_from(["--at", "--site", "--limit", "--group", "--duration"]), value=texts)
def test_cli_track_arguments(option, value, capsys):
    """The command line on arbitrary option values: success, or one error line and exit code 2."""
    args = ["track", "--at", "2026-01-01T06:00Z", "--limit", "1", "--group", "nav", option, value]
    try:
        code = main(args)
    except SystemExit as exc:                      # argparse's own refusal (exit 2, its usage message)
        code = exc.code
        capsys.readouterr()
        assert code == 2
        return
    out = capsys.readouterr()
    assert code in (0, 2)
    if code == 2:
        lines = out.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("constellation track: error: ")


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400), st.booleans())
@example("1 \U000112f0" + "0" * 66, True)
@example("[" * 100_000, True)
@example("{\"a\":" * 5000, False)
@example("<omm>" * 2000, False)
def test_element_readers(text, strict):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            sats = C.elements.loads(text, strict=strict)
        except ElementSetError:
            return
    assert all(np.isfinite(s.satrec.no_kozai) for s in sats)


@FUZZ
@given(st.text())
@example("EVIL\x1b[31mRED\x1b[0m")
@example("\u202e\u2028\x85\ud800")
def test_sanitize(text):
    out = sanitize(text)
    assert out.isprintable()
    if text.isprintable():
        assert out == text
