"""Element sets propagated past their decay: SGP4's drag theory ends, positions are reported decayed.

STARLINK-37673 (#69370) in the shipped CelesTrak extract (epoch 2026-06-13) decays in SGP4 about 11 days
later (python-sgp4 error 6, radius below one Earth radius).  About two weeks after that, SGP4's drag
polynomial ``tempa`` has passed its zero and ``am0 tempa^2`` grows again: python-sgp4 returns positions
hundreds of millions of km out with error code 0.  Every propagation path of the package must call those
decayed (code 6), and ``passes`` must skip the satellite with a warning (it raised "rises and sets do not
alternate").
"""

from __future__ import annotations

import numpy as np
import pytest
from sgp4.api import SatrecArray

import constellation as C
from constellation.grid import global_grid
from constellation.propagation import (
    RUNAWAY_APOGEE_FACTOR,
    PropagationWarning,
    itrs_state_chunks,
    propagate,
    runaway_radius_km,
    sgp4_tables,
    teme_states,
)
from constellation.timescale import julian_utc

CATALOGUE = "tests/data/celestrak_active_2026-06-14_every20th.tle"
RUNAWAY = 783  # STARLINK-37673
WINDOW = "2026-12-07T17:00"


@pytest.fixture(scope="module")
def sats():
    c = C.load(CATALOGUE)
    assert c[RUNAWAY].name == "STARLINK-37673"
    return c[[RUNAWAY, 5, 6]]  # the runaway and two healthy satellites


def test_python_sgp4_itself_returns_runaway_positions_with_code_0(sats):
    # the premise: without the package's check, SGP4 says nothing is wrong
    times = C.time_range(WINDOW, duration="1h", step_s=600)
    jd, fr = julian_utc(times)
    err, r, _ = SatrecArray([sats[0].satrec]).sgp4(jd, fr)
    assert (err == 0).all()
    assert np.linalg.norm(r, axis=-1).min() > 1e8  # km


def test_every_propagation_path_calls_it_decayed(sats):
    times = C.time_range(WINDOW, duration="1h", step_s=600)
    err, r, _ = teme_states(sats, times)
    assert (err[0] == 6).all() and np.isnan(r[0]).all()
    assert (err[1:] == 0).all() and np.isfinite(r[1:]).all()
    with pytest.warns(PropagationWarning, match="STARLINK-37673"):
        ds = propagate(sats, times)
    assert (ds["sgp4_error"].values[0] == 6).all() and np.isnan(ds["x_km"].values[0]).all()
    chunks = list(itrs_state_chunks(sats, times))  # the coverage engine's SGP4 (numba kernel for these)
    err_t = np.concatenate([e for _, _, _, e in chunks])
    assert (err_t[:, 0] == 6).all() and (err_t[:, 1:] == 0).all()
    with pytest.warns(PropagationWarning, match="STARLINK-37673"):
        cov = C.coverage(sats[[0]], C.time_range(WINDOW, duration="1h", step_s=60), global_grid(10.0))
    assert float(cov["coverage_fraction"].max()) == 0.0


def test_bound_is_far_from_any_valid_orbit(sats):
    bound = runaway_radius_km(sats)
    rec = sats[1].satrec
    assert bound[1] == pytest.approx(RUNAWAY_APOGEE_FACTOR * rec.a * rec.radiusearthkm * (1 + rec.ecco))
    # a healthy satellite over a day stays far inside it
    err, r, _ = teme_states(sats[[1, 2]], C.time_range(WINDOW, duration="1d", step_s=60))
    assert (np.linalg.norm(r, axis=-1).max(axis=1) < 0.6 * bound[1:]).all()
    gps = C.samples.load("gps")
    assert np.isinf(runaway_radius_km(gps)).all()  # deep-space element sets are left to SGP4
    # the coverage engine's tables derive the same bound from the SGP4 coefficients
    np.testing.assert_allclose(sgp4_tables(sats).runaway_km, bound, rtol=1e-12)


def test_passes_skip_the_decayed_satellite_with_a_warning(sats):
    with pytest.warns(PropagationWarning, match=r"STARLINK-37673 \(#69370\) from 2026-12-07T17:00:00: error 6"):
        df = C.passes(sats, (36.65, 117.0, 0.0), WINDOW, duration="3h")
    assert "STARLINK-37673" not in set(df["satellite"])
    assert "LATINSAT B" in set(df["satellite"])
    # before its decay the satellite still passes; none after its first failed sample
    with pytest.warns(PropagationWarning, match="STARLINK-37673"):
        df = C.passes(sats[[0]], (36.65, 117.0, 0.0), "2026-06-20T00:00", duration="10d")
    assert len(df) > 0
    assert (df["set"] < np.datetime64("2026-06-25T00:00")).all()
