"""Fixtures shared by the test modules (helpers that are not fixtures are in ``helpers.py``).

Every reference file comes from the repository (``tests/data``, the package's ``tle_data/samples``) or from
the installed ``sgp4`` package: a clone with nothing beside it runs the whole suite.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import data_file, sample_file

import constellation as C

REPO = Path(__file__).resolve().parents[1]


def pytest_sessionstart(session):
    """Compile every registered kernel that is not cached yet before the tests start, on every core
    (``constellation.kernels.precompile``): one numba compilation uses one core, and the tests would
    otherwise compile them one after another as they first call them.  The helper processes find the
    bytecode of the libraries this one has imported (:mod:`constellation.bytecode`)."""
    from constellation.bytecode import write_missing
    from constellation.kernels import precompile

    write_missing()
    precompile.compile_workloads(precompile.WORKLOADS)


def pytest_sessionfinish(session, exitstatus):
    """Leave the bytecode of the libraries the tests imported for the next session."""
    from constellation.bytecode import write_missing

    write_missing()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def jinan():
    """The Jinan-368 plan (368 satellites; ``jinan368()`` itself returns one cached object)."""
    return C.jinan368()


@pytest.fixture(scope="session")
def stations():
    """CelesTrak's 71 stations of 2020-06-25 (ISS (ZARYA) first), from ``tests/data``."""
    return C.load(data_file("celestrak_stations_2020-06-25.tle"))


@pytest.fixture(scope="session")
def gps():
    """The 31 operational GPS satellites of 2022-02-04 shipped in ``tle_data/samples``."""
    return C.load(sample_file("gps-ops_2022-02-04.txt"))
