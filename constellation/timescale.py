"""Times: UTC ``datetime64[ns]`` in the API, two-part Julian dates and UT1 for the kernels.

* :func:`time_range` builds the sample times of an analysis window.
* :func:`parse_time` and :func:`parse_duration` read what users type (``"2026-01-01T00:00"``, ``"90m"``).
* :func:`julian_utc` splits times into whole and fractional Julian days, the form SGP4 wants (TLE epochs
  are UTC, AIAA 2006-6753 section 3, so SGP4 is driven with UTC).
* :func:`dut1_s` gives UT1 - UTC from Skyfield's built-in IERS table (offline; no download ever), used for
  Greenwich sidereal time.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime
from typing import Any

import numpy as np

from .budget import check_fits

__all__ = ["time_range", "parse_time", "parse_duration", "julian_utc", "dut1_s", "as_datetime64", "skyfield_time"]

_JD_UNIX_EPOCH = 2440587.5  # Julian date of 1970-01-01T00:00:00 UTC
_NS_PER_DAY = 86_400_000_000_000

_DURATION_UNITS_S = {
    "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
    "m": 60.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "d": 86400.0, "day": 86400.0, "days": 86400.0,
    "w": 604800.0, "wk": 604800.0, "week": 604800.0, "weeks": 604800.0,
}
_DURATION_RE = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-zA-Z]*)\s*")


def parse_duration(text: str | float | int | np.timedelta64) -> float:
    """Return a duration in seconds from ``"30s"``, ``"90m"``, ``"1.5h"``, ``"1d"``, ``"1d12h"``, a number
    of seconds, or a ``timedelta64``.

    Raises ``ValueError`` naming the text when it cannot be read.
    """
    if isinstance(text, np.timedelta64):
        if np.isnat(text):
            raise ValueError("duration is not a time span (NaT)")
        return float(text / np.timedelta64(1, "ns")) * 1e-9
    if isinstance(text, (bool, np.bool_)):
        raise TypeError(f"a duration must be text or a number of seconds, got {text!r}")
    if isinstance(text, (int, float, np.integer, np.floating)):
        if not np.isfinite(float(text)):
            raise ValueError(f"duration must be a finite number of seconds, got {float(text)}")
        return float(text)
    if not isinstance(text, str):
        raise TypeError(f"a duration must be text such as '6h' or a number of seconds, got {type(text).__name__}")
    s = text.strip()
    if not s:
        raise ValueError("empty duration")
    pos, total = 0, 0.0
    while pos < len(s):
        m = _DURATION_RE.match(s, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot read duration {text!r}: expected e.g. '30s', '90m', '6h', '1d'")
        unit = m.group(2).lower() or "s"
        if unit not in _DURATION_UNITS_S:
            raise ValueError(f"cannot read duration {text!r}: unknown unit {m.group(2)!r} "
                             f"(use s, m, h, d or w)")
        total += float(m.group(1)) * _DURATION_UNITS_S[unit]
        pos = m.end()
    if not np.isfinite(total):
        raise ValueError(f"cannot read duration {text!r}: not a finite number of seconds")
    return total


#: The span of UTC times ``datetime64[ns]`` holds (a little inside it: 1677-09-21 to 2262-04-11); a time
#: outside it would wrap around silently, so every way in refuses it.
TIME_MIN = np.datetime64("1677-09-22T00:00:00", "s")
TIME_MAX = np.datetime64("2262-04-10T00:00:00", "s")


#: The longest window or step: a ``timedelta64[ns]`` holds at most 2**63 - 1 ns (about 292 years).
_SPAN_NS = 2**63 - 1


def _check_span(t: np.ndarray, what: str) -> None:
    """Refuse NaT and times outside :data:`TIME_MIN` .. :data:`TIME_MAX` (``t``: datetime64, any unit;
    ``what`` names the input in the message)."""
    t = np.asarray(t)
    if t.size == 0:
        return
    if np.isnat(t).any():
        raise ValueError(f"{what}: not a time (NaT)")
    s = t.astype("datetime64[s]")  # seconds hold any date numpy can write, so this cannot wrap
    if s.min() < TIME_MIN or s.max() > TIME_MAX:
        bad = s.min() if s.min() < TIME_MIN else s.max()
        raise ValueError(f"{what}: {bad} is outside the times this package can represent "
                         f"({TIME_MIN} to {TIME_MAX} UTC, nanosecond resolution)")


def parse_time(value: Any) -> np.datetime64:
    """Return a UTC ``datetime64[ns]`` from an ISO 8601 string, ``datetime``, ``datetime64`` or Skyfield
    ``Time``.  A trailing ``Z`` or ``+00:00`` is accepted; other offsets are converted to UTC; ``"now"``
    gives the current time.
    """
    if isinstance(value, np.datetime64):
        _check_span(value, f"time {value}")
        return value.astype("datetime64[ns]")
    if hasattr(value, "utc_datetime"):  # Skyfield Time
        value = value.utc_datetime()
    if isinstance(value, datetime):
        return _from_datetime(value, f"time {value.isoformat()}")
    if isinstance(value, str):
        s = value.strip()
        if s.lower() == "now":
            return np.datetime64(datetime.now(UTC).replace(tzinfo=None), "ns")
        try:
            dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"cannot read time {value!r}: expected ISO 8601 such as "
                             f"'2026-01-01T00:00:00Z'") from None
        return _from_datetime(dt, f"time {s!r}")
    raise TypeError(f"cannot read a time from {type(value).__name__}")


def _from_datetime(value: datetime, what: str) -> np.datetime64:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    _check_span(np.datetime64(value, "us"), what)
    return np.datetime64(value, "ns")


def as_datetime64(times: Any) -> np.ndarray:
    """Return ``times`` as a 1-D UTC ``datetime64[ns]`` array (a scalar becomes length 1)."""
    if isinstance(times, (str, datetime, np.datetime64)) or hasattr(times, "utc_datetime"):
        if hasattr(times, "shape") and getattr(times, "shape", ()) != () and hasattr(times, "utc_datetime"):
            return np.array([parse_time(t) for t in times.utc_datetime()], dtype="datetime64[ns]")
        return np.array([parse_time(times)], dtype="datetime64[ns]")
    arr = np.asarray(times)
    if arr.dtype.kind == "M":
        _check_span(arr, "times")
        return arr.astype("datetime64[ns]").ravel()
    return np.array([parse_time(t) for t in arr.ravel()], dtype="datetime64[ns]")


def time_range(start: Any, stop: Any = None, step_s: float | str = 60.0, *,
               duration: float | str | None = None) -> np.ndarray:
    """Return sample times from ``start`` to ``stop`` inclusive, every ``step_s`` seconds, as UTC
    ``datetime64[ns]``.

    Give either ``stop`` or ``duration`` (seconds or text such as ``"1d"``).  ``stop`` is included when it
    falls on the step grid; the last sample never passes it.
    """
    t0 = parse_time(start)
    step_ns = _duration_ns(step_s, "step_s")
    if step_ns <= 0:
        raise ValueError(f"step_s must be positive (at least 1 ns), got {step_s!r}")
    if step_ns > _SPAN_NS:
        raise ValueError(f"step_s must be at most 2**63 - 1 ns (about 292 years), got {step_s!r}")
    if (stop is None) == (duration is None):
        raise ValueError("give exactly one of stop or duration")
    if stop is not None:
        span_ns = int((parse_time(stop) - t0) / np.timedelta64(1, "ns"))
    else:
        span_ns = _duration_ns(duration, "duration")
    if span_ns < 0:
        raise ValueError("stop is before start")
    if span_ns > _SPAN_NS:
        raise ValueError(f"the window of {span_ns / 86400e9:.3g} days is longer than the 2**63 - 1 ns (about 292 "
                         f"years) a time difference can hold")
    _check_span(np.array([t0.astype("datetime64[s]") + np.timedelta64(span_ns // 1_000_000_000, "s")]),
                f"the window from {np.datetime_as_string(t0, unit='s')}Z")
    n = span_ns // step_ns + 1
    check_fits(n * 8, f"a time range of {n:,} samples", "use a longer step_s or a shorter window")
    return t0 + np.arange(n, dtype=np.int64) * np.timedelta64(step_ns, "ns")


def _duration_arg(value: Any, name: str) -> float:
    try:
        return parse_duration(value)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{name}: {exc}") from None


def _duration_ns(value: Any, name: str) -> int:
    """:func:`parse_duration` in whole nanoseconds; beyond what a time difference holds (2**63 - 1 ns, about
    292 years) it is refused, naming ``name``."""
    s = _duration_arg(value, name)
    if abs(s) > _SPAN_NS / 1e9:
        raise ValueError(f"{name}: {s:g} s is longer than the 2**63 - 1 ns (about 292 years) a time difference "
                         f"can hold")
    return int(round(s * 1e9))


def julian_utc(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split UTC ``datetime64`` times into Julian day ``whole`` (ending in .5) and day ``fraction``.

    The split keeps nanosecond resolution for any date; pass both parts to SGP4 (``sgp4_array(jd, fr)``).
    """
    ns = np.asarray(times, dtype="datetime64[ns]").view(np.int64)
    days = np.floor_divide(ns, _NS_PER_DAY)
    rem = ns - days * _NS_PER_DAY
    return days.astype(np.float64) + _JD_UNIX_EPOCH, rem.astype(np.float64) / _NS_PER_DAY


@functools.lru_cache(maxsize=1)
def _timescale():
    from skyfield.api import load

    return load.timescale(builtin=True)


def dut1_s(times: np.ndarray) -> np.ndarray:
    """Return UT1 - UTC in seconds at each UTC time, from Skyfield's built-in IERS table.

    Within the table the values are the IERS daily values Skyfield ships; beyond it Skyfield's own
    long-term prediction is used.  Nothing is downloaded.
    """
    times = np.asarray(times, dtype="datetime64[ns]")
    if times.size == 0:
        return np.zeros(0)
    return np.atleast_1d(np.asarray(skyfield_time(times).dut1, dtype=float)).reshape(times.shape)


def skyfield_time(times: Any):
    """A Skyfield ``Time`` for UTC ``datetime64`` times (Skyfield's built-in timescale; no download).

    The day goes in the ``day`` argument and only the second of that day in ``second``: Skyfield picks
    the leap-second offset from the calendar day it is given, so ``utc(1970, 1, 1, 0, 0, <seconds since
    1970>)`` would be off by every leap second since 1970 (27 s in 2026).
    """
    ns = np.atleast_1d(np.asarray(times, dtype="datetime64[ns]")).view(np.int64)
    days = np.floor_divide(ns, _NS_PER_DAY)
    second = (ns - days * _NS_PER_DAY) / 1e9
    return _timescale().utc(1970, 1, 1 + days, 0, 0, second)
