"""constellation.samples: the shipped real element sets, reachable by short name or file name."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO

import constellation as C

# short name -> (file name, satellites in it); the counts are those of tle_data/README.md
EXPECTED = {
    "beidou": ("beidou_2022-02-04.txt", 50),
    "galileo": ("galileo_2022-02-04.txt", 28),
    "glonass": ("glo-ops_2022-02-04.txt", 25),
    "gps": ("gps-ops_2022-02-04.txt", 31),
    "iridium": ("iridium-NEXT_2025-07-19.tle", 80),
}


def test_names_are_the_short_names_sorted():
    assert C.samples.names() == sorted(EXPECTED)


def test_every_shipped_sample_file_has_a_name():
    shipped = {p.name for p in (REPO / "tle_data" / "samples").iterdir() if p.is_file()}
    assert shipped == {file for file, _ in EXPECTED.values()}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_path_is_the_installed_file(name):
    file, _ = EXPECTED[name]
    p = C.samples.path(name)
    assert isinstance(p, Path) and p.is_file() and p.name == file
    assert p == Path(str(importlib.resources.files("constellation.tle_data") / "samples" / file))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_load_is_what_constellation_load_gives(name):
    file, count = EXPECTED[name]
    sats = C.samples.load(name)
    direct = C.load(C.samples.path(name))
    assert isinstance(sats, C.Constellation)
    assert len(sats) == len(direct) == count
    assert sats.name == direct.name == Path(file).stem
    assert [s.name for s in sats] == [s.name for s in direct]
    assert np.array_equal(sats.catalog_numbers, direct.catalog_numbers)
    assert sats.report.loaded == count and not sats.report.skipped


def test_file_names_and_letter_case_are_accepted():
    assert C.samples.path("gps-ops_2022-02-04.txt") == C.samples.path("gps")
    assert C.samples.path("GPS") == C.samples.path(" gps ")
    assert C.samples.path("Iridium-NEXT_2025-07-19.TLE") == C.samples.path("iridium")


def test_load_passes_keywords_on():
    assert len(C.samples.load("galileo", strict=False)) == 28
    with pytest.raises(TypeError):
        C.samples.load("galileo", no_such_option=True)


@pytest.mark.parametrize("bad", ["active.tle", "starlink", "", "gps-ops"])
def test_unknown_names_list_the_valid_ones(bad):
    with pytest.raises(ValueError, match="no shipped sample") as err:
        C.samples.path(bad)
    for name in EXPECTED:
        assert name in str(err.value)
    with pytest.raises(ValueError):
        C.samples.load(bad)


def test_a_name_must_be_text():
    with pytest.raises(TypeError):
        C.samples.path(Path("gps"))


def test_samples_is_a_lazy_attribute_of_the_package():
    assert "samples" in dir(C)
    import constellation.samples as mod

    assert C.samples is mod
