"""Stale element sets: epochs far from the analysis window, where SGP4 positions degrade.

Mean elements are fitted to observations around their epoch; propagated weeks away from it, SGP4
positions drift by kilometres (more at low altitude, where drag is poorly known).  One rule serves the
API and the command line: element sets whose epoch lies more than :data:`STALE_DAYS` days (two weeks)
before the window's start or after its end are *stale* and draw a warning.  Designed satellites (source
``design:...``: a plan, not a measurement) are never stale.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["STALE_DAYS", "element_age_days", "stale_elements_message"]

#: Element sets further than this from the window (days) are stale: two weeks.
STALE_DAYS = 14.0


def element_age_days(sats: Any, start: Any, stop: Any = None) -> np.ndarray:
    """Per satellite of ``sats`` (a sequence of :class:`~constellation.satellite.Satellite`), how many days
    its element epoch lies outside the window ``start .. stop`` (UTC ``datetime64``; ``stop`` defaults to
    ``start``): 0 inside it; NaN for designed satellites (not checked)."""
    start = np.datetime64(start, "ns")
    stop = start if stop is None else np.datetime64(stop, "ns")
    if stop < start:
        raise ValueError(f"the window ends ({stop}) before it starts ({start})")
    out = np.full(len(sats), np.nan)
    day = np.timedelta64(86_400_000_000_000, "ns")
    for i, s in enumerate(sats):
        if str(getattr(s, "source", "")).startswith("design:"):
            continue
        ep = np.datetime64(s.epoch, "ns")
        out[i] = max((start - ep) / day, (ep - stop) / day, 0.0)
    return out


def stale_elements_message(sats: Any, start: Any, stop: Any = None, *, max_age_days: float = STALE_DAYS,
                           label: str = "") -> str | None:
    """The warning for the stale element sets of ``sats`` over the window ``start .. stop`` (see
    :func:`element_age_days`), or None when none is more than ``max_age_days`` from it."""
    age = element_age_days(sats, start, stop)
    far = np.nan_to_num(age, nan=0.0) > max_age_days
    if not far.any():
        return None
    what = f"element sets ({label})" if label else "element sets"
    return (f"{int(far.sum())} of {len(sats)} {what} have epochs more than {max_age_days:g} days from the window "
            f"(the farthest {float(np.nanmax(age)):.0f} days); SGP4 positions degrade away from the epoch, so use "
            f"elements from near the window")
