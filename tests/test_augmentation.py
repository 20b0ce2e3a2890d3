"""Navigation augmentation of the shipped GNSS snapshot by the plan's nav group.

Checked against first principles and against separate DOP runs:

* adding a system with its own receiver clock never raises PDOP at a step (the position information
  matrix gains the positive semi-definite term ``sum (l - l_mean)(l - l_mean)^T`` of the new system), so
  with the base always defined the mean PDOP difference is >= 0 (to 1e-12) and the availability changes
  are >= 0, cell by cell;
* every ``_base`` and ``_augmented`` figure equals, bit for bit, a separate :func:`constellation.dop` run of
  the base systems and of base + augmentation;
* the element-age warning fires for real element sets far from the window, not for the designed plan.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import constellation as C
from constellation.augmentation import element_age_warning, shipped_gnss
from constellation.grid import equal_area, global_grid, points


@pytest.fixture(scope="module")
def gnss():
    return shipped_gnss()


@pytest.fixture(scope="module")
def nav(jinan):
    return jinan.select(group="nav")


def test_shipped_gnss_snapshot(gnss):
    assert list(gnss) == ["GPS", "Galileo", "GLONASS", "BeiDou"]
    assert [len(v) for v in gnss.values()] == [31, 28, 25, 50]
    epochs = np.concatenate([v.epochs for v in gnss.values()])
    assert epochs.min() >= np.datetime64("2022-01-29") and epochs.max() < np.datetime64("2022-02-05")


def test_augmentation_never_worsens_and_matches_separate_runs(gnss, nav):
    grid = equal_area(30.0)
    sites = points(grid.lat_deg, grid.lon_deg)
    times = C.time_range("2022-02-04T00:00", duration="2h", step_s=600)
    ds = C.dop_augmentation(gnss, {"LEO": nav}, times, sites, min_elevation_deg=(10.0, 30.0))
    assert ds.pdop_mean_base.dims == ("min_elevation_deg", "cell")
    for i, mask in enumerate((10.0, 30.0)):
        one = ds.isel(min_elevation_deg=i)
        base = C.dop(gnss, times, sites, mask)
        both = C.dop({**gnss, "LEO": nav}, times, sites, mask)
        assert float(base.insufficient_fraction.max()) == 0.0  # the base always has a fix
        for d in ("pdop", "hdop", "vdop"):
            np.testing.assert_array_equal(one[f"{d}_mean_base"].values, base[f"{d}_mean"].values)
            np.testing.assert_array_equal(one[f"{d}_mean_augmented"].values, both[f"{d}_mean"].values)
        # per step: PDOP with the LEO system is never above PDOP without it
        assert (both.pdop.values <= base.pdop.values * (1 + 1e-12)).all()
        assert (one.pdop_mean_difference.values >= -1e-12).all()
        assert (one.pdop_mean_ratio.values <= 1 + 1e-12).all()
        assert (one.pdop_below_threshold_fraction_change.values >= 0).all()
        assert (one.fix_available_fraction_change.values >= 0).all()
        assert (one.sats_in_view_mean_augmented.values >= one.sats_in_view_mean_base.values).all()
    # the LEO shell is seen somewhere (it changes something), and more often at 10 deg than at 30 deg
    gain = (ds.sats_in_view_mean_augmented - ds.sats_in_view_mean_base).mean("cell").values
    assert gain[0] > gain[1] > 0
    assert ds.attrs["base_systems"] == "GPS, Galileo, GLONASS, BeiDou" and ds.attrs["augment_systems"] == "LEO"


def test_one_mask_no_mask_dimension_and_errors(gnss, nav):
    times = C.time_range("2022-02-04T00:00", duration="20m", step_s=600)
    ds = C.dop_augmentation(gnss["GPS"], nav, times, global_grid(30.0), min_elevation_deg=10.0)
    assert ds.pdop_mean_base.dims == ("lat", "lon")
    with pytest.raises(ValueError, match="also base systems"):
        C.dop_augmentation({"GPS": gnss["GPS"]}, {"GPS": nav}, times, global_grid(30.0))
    with pytest.raises(ValueError, match="at least one elevation mask"):
        C.dop_augmentation(gnss, nav, times, global_grid(30.0), min_elevation_deg=[])


def test_element_age_warning(gnss, nav):
    times = C.time_range("2026-01-01", duration="1h", step_s=600)
    with pytest.warns(UserWarning, match="days from the window"):
        age = element_age_warning(gnss, times, label="GNSS")
    assert 1400 < age < 1500
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert element_age_warning(nav, times) == 0.0  # designed: not checked
        near = C.time_range("2022-02-04", duration="1d", step_s=600)
        assert element_age_warning(gnss, near) < 7


def test_cli_default_is_the_augmentation_of_gnss(tmp_path, capsys):
    import xarray as xr

    from constellation.augmentation import URBAN_CANYON_MASK_DEG
    from constellation.cli import dop as cli_dop
    from constellation.cli import main

    assert cli_dop.URBAN_CANYON_MASK_DEG == URBAN_CANYON_MASK_DEG
    out = tmp_path / "aug.nc"
    assert main(["dop", "--duration", "30m", "--step", "15m", "--grid-deg", "30", "--output", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Augmentation of 134 GNSS satellites (GPS 31, Galileo 28, GLONASS 25, BeiDou 50) "
                           "by 32 satellites (nav), 2022-02-04T07:00:00Z")
    assert "\n  10 deg mask: mean PDOP " in text and "\n  30 deg mask (urban canyon): mean PDOP " in text
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert list(ds.min_elevation_deg.values) == [10.0, 30.0] and "pdop_mean_ratio" in ds
    png = tmp_path / "ratio.png"  # constellation plot maps one mask of it
    assert main(["plot", str(out), "--fom", "pdop_mean_ratio", "--min-elevation", "30", "-o", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "wrote" in capsys.readouterr().out
    assert main(["dop", "--urban-mask", "off", "--min-elevation", "15", "--duration", "15m", "--step", "15m",
                 "--grid-deg", "30", "--output", str(out)]) == 0
    text = capsys.readouterr().out
    assert "\n  15 deg mask: mean PDOP " in text and "deg mask (urban canyon)" not in text
    assert main(["dop", "--urban-mask", "deep", "--output", str(out)]) == 2


def test_dop_pair_equals_two_runs_and_errors(gnss, nav):
    # one sweep, two results: bit for bit the separate runs (points: the base-only result has no series)
    from constellation.navigation import dop_pair

    sites = points([36.65, -33.9, 70.0], [117.0, 18.4, -40.0])
    times = C.time_range("2022-02-04T00:00", duration="1h", step_s=900)
    base = {"GPS": gnss["GPS"], "Galileo": gnss["Galileo"]}
    both, alone = dop_pair(base, {"LEO": nav}, times, sites, 10.0)
    sep_both = C.dop({**base, "LEO": nav}, times, sites, 10.0)
    sep_alone = C.dop(base, times, sites, 10.0)
    for name in sep_both.data_vars:
        np.testing.assert_array_equal(both[name].values, sep_both[name].values, err_msg=name)
    for name in alone.data_vars:
        np.testing.assert_array_equal(alone[name].values, sep_alone[name].values, err_msg=name)
    assert "pdop" not in alone and alone.attrs["n_satellites"] == 59 and list(alone.system.values) == ["GPS",
                                                                                                      "Galileo"]
    with pytest.raises(ValueError, match="also base systems"):
        dop_pair(base, {"GPS": nav}, times, sites)
    with pytest.raises(TypeError, match="mappings"):
        dop_pair(gnss["GPS"], {"LEO": nav}, times, sites)
