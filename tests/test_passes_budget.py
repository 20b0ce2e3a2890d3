"""A search for passes that cannot fit in memory is refused before it starts, with the estimate and the
longest window that fits (``constellation.contacts.check_passes_fit``); the estimate bounds what a run
allocates (measured with tracemalloc)."""

from __future__ import annotations

import re
import tracemalloc
import warnings

import pytest

import constellation as C
from constellation import contacts
from constellation.budget import WorkTooLargeError
from constellation.cli import main


def test_refused_with_the_estimate_and_the_window_that_fits(monkeypatch, capsys):
    monkeypatch.setenv("CONSTELLATION_MEMORY_LIMIT", "200M")
    with pytest.raises(WorkTooLargeError) as err:
        C.passes(C.jinan368(), (36.67, 117.0), "2026-01-01", duration="3650d")
    m = re.fullmatch(r"passes of 368 satellites over 1 sites in 3,650.0 days needs about ([\d.]+) GiB of memory, "
                     r"more than the 200.0 MiB available; about ([\d.]+) days fit with these satellites and sites; "
                     r"use a shorter window, fewer satellites \(a group\) or fewer sites", str(err.value))
    assert m, str(err.value)
    days = float(m.group(2))
    contacts.check_passes_fit(368, 1, (days - 0.1) * 86400)   # what it says fits, fits
    with pytest.raises(WorkTooLargeError):
        contacts.check_passes_fit(368, 1, (days + 0.2) * 86400)
    assert main(["passes", "--duration", "3650d"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("constellation passes: error: passes of 368 satellites over 1 sites in 3,650.0 days")


def test_estimate_bounds_what_a_run_allocates():
    sats = C.jinan368()[::4]
    C.passes(sats, (36.67, 117.0), "2026-01-01", duration="1h")  # kernels and tables loaded outside the measure
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            C.passes(sats, (36.67, 117.0), "2026-01-01", duration="20d")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    per_s = contacts._PASS_BYTES_PER_SAT_SITE_ORBIT * len(sats) / contacts._PASS_ORBIT_S
    estimate = per_s * (20 * 86400 + contacts._PASS_ORBIT_S)  # without the fixed part
    assert peak < estimate < 5 * peak, (peak, estimate)
