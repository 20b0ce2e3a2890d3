"""What the subcommands print after a run: figures that agree with each other (no 100 % beside a figure that
says otherwise), counts that say what they count."""

from __future__ import annotations

import numpy as np
import xarray as xr

from constellation.cli._common import percent
from constellation.cli.dop import summarize as dop_summary


def test_percent_never_rounds_to_0_or_100_unless_it_is():
    assert percent(1.0) == "100.0" and percent(0.0) == "0.0" and percent(0.5, 2) == "50.00"
    assert percent(0.9998) == ">99.9" and percent(0.99996, 2) == ">99.99"
    assert percent(2e-4) == "<0.1" and percent(4e-5, 2) == "<0.01"
    assert percent(1.0 - 1e-15) == "100.0" and percent(1e-15) == "0.0"  # float noise of a weighted mean
    assert percent(0.9994) == "99.9" and percent(float("nan")) == "nan"


def _dop_result(insufficient: float) -> xr.Dataset:
    # two equal cells: PDOP defined now and then in one, never in the other
    ones = np.ones((1, 2))
    return xr.Dataset(
        {"cell_area_km2": (("lat", "lon"), ones), "pdop_mean": (("lat", "lon"), [[400.0, np.nan]]),
         "pdop_max": (("lat", "lon"), [[4e4, np.nan]]),
         "pdop_below_threshold_fraction": (("lat", "lon"), [[0.0, 0.0]]),
         "insufficient_fraction": (("lat", "lon"), [[2 * insufficient - 1.0, 1.0]])},
        attrs={"pdop_threshold": 6.0, "n_satellites": 32, "min_elevation_deg": 5.0, "grid": "global 2 deg"})


def test_dop_summary_says_pdop_is_sometimes_defined():
    text = dop_summary(_dop_result(0.9998))
    assert "mean PDOP 400.00 (where defined)" in text
    assert "fewer than 4 satellites in view >99.9% of cell-time" in text  # was "100.0%"
    assert "fewer than 4 satellites in view 100.0%" in dop_summary(_dop_result(1.0))
