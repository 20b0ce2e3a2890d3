"""DOP requests that cannot fit in memory are refused before any work, with the estimate and what would
fit (``constellation.navigation.check_dop_fits``, on :mod:`constellation.budget`); the estimate bounds the
memory a run allocates (measured with tracemalloc)."""

from __future__ import annotations

import re
import tracemalloc

import numpy as np
import pytest

import constellation as C
from constellation import navigation as N
from constellation.budget import WorkTooLargeError
from constellation.cli import main


@pytest.fixture(scope="module")
def nav():
    return C.jinan368().select(group="nav")


def test_refused_with_the_estimate_and_what_fits(nav, monkeypatch):
    monkeypatch.setenv("CONSTELLATION_MEMORY_LIMIT", "200M")
    times = C.time_range("2026-01-01", duration="10m", step_s=300)
    with pytest.raises(WorkTooLargeError, match=r"^DOP over 259,200 cells at 3 times needs about [\d.]+ MiB of "
                                                 r"memory, more than the 200.0 MiB available; what fits: about "
                                                 r"[\d,]+ cells at these 3 times \(a coarser grid"):
        C.dop(nav, times, C.grid.global_grid(0.5))
    monkeypatch.setenv("CONSTELLATION_MEMORY_LIMIT", "300M")
    long = C.time_range("2026-01-01", duration="200000s", step_s=1)
    with pytest.raises(WorkTooLargeError) as err:
        C.dop(nav, long, C.grid.global_grid(0.5))
    msg = str(err.value)
    m = re.fullmatch(r"DOP over 259,200 cells at 200,001 times needs about ([\d.]+) MiB of memory, more than the "
                     r"300.0 MiB available; what fits: about ([\d,]+) cells at these 200,001 times or about ([\d,]+) "
                     r"times over these 259,200 cells \(a coarser grid, a region, fewer sites, a longer step or a "
                     r"shorter window\)", msg)
    assert m, msg
    cells, steps = int(m.group(2).replace(",", "")), int(m.group(3).replace(",", ""))
    N.check_dop_fits(200_001, cells)              # what it says fits, fits
    N.check_dop_fits(steps, 259_200)
    with pytest.raises(WorkTooLargeError):
        N.check_dop_fits(200_001, int(cells * 1.01) + 1)
    with pytest.raises(WorkTooLargeError):
        N.check_dop_fits(int(steps * 1.01) + 1, 259_200)
    monkeypatch.setenv("CONSTELLATION_MEMORY_LIMIT", "100M")
    # the augmentation keeps two results per cell: less fits
    with pytest.raises(WorkTooLargeError, match=r"^DOP over 64,800 cells at 3 times .* what fits: about"):
        C.dop_augmentation({"GPS": nav[:16]}, {"LEO": nav[16:]}, times, C.grid.global_grid(1.0))
    # a point grid's series grow with sites x times
    with pytest.raises(WorkTooLargeError, match=r"^DOP over 500 sites at 1,000,001 times"):
        C.dop(nav, C.time_range("2026-01-01", duration="1000000s", step_s=1),
              C.grid.points(np.zeros(500), np.linspace(-180, 179, 500)))


def test_cli_dop_refuses_in_one_line(monkeypatch, capsys):
    monkeypatch.setenv("CONSTELLATION_MEMORY_LIMIT", "100M")
    code = main(["dop", "--group", "nav", "--grid-deg", "0.5", "--duration", "10m", "--step", "5m"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith("constellation dop: error: DOP over 259,200 cells at 3 times needs about "), err


@pytest.mark.parametrize("grid, duration", [("global", "10m"), ("sites", "20000s")])
def test_estimate_bounds_what_a_run_allocates(nav, grid, duration):
    times = C.time_range("2026-01-01", duration=duration, step_s=5 if grid == "sites" else 300)
    g = C.grid.global_grid(1.0) if grid == "global" else C.grid.points(np.linspace(-80, 80, 100), np.zeros(100))
    C.dop(nav, times[:2], g)  # kernels loaded outside the measure
    tracemalloc.start()
    try:
        C.dop(nav, times, g)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    est = N.dop_estimate_bytes(times.size, g.n_cells, points=g.kind == "points")
    assert peak < est < 4 * peak + N._DOP_BYTES_FIXED, (peak, est)
