"""Maps of DOP (clipped colour scale, overflow shown), augmentation and bent-pipe service."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import constellation as C  # noqa: E402
from constellation.augmentation import shipped_gnss  # noqa: E402
from constellation.grid import global_grid, points  # noqa: E402
from constellation.plot import DOP_MAP_MAX, coverage_map  # noqa: E402
from constellation.servicemaps import augmentation_map, bent_pipe_map  # noqa: E402


def _mesh(ax):
    return [c for c in ax.collections if hasattr(c, "get_array") and c.get_array() is not None][0]


def test_dop_map_is_clipped_with_the_overflow_shown(jinan):
    # the nav group alone: PDOP up to thousands where defined; the scale stops at 10, an arrow shows more
    ds = C.dop(jinan.select(group="nav"), C.time_range("2026-01-01", duration="1h", step_s=600), global_grid(10.0))
    assert float(ds.pdop_mean.max()) > DOP_MAP_MAX
    fig, ax = coverage_map(ds, "pdop_mean")
    mesh = _mesh(ax)
    assert mesh.norm.vmax == DOP_MAP_MAX and mesh.colorbar.extend == "max"
    assert "above 10" in mesh.colorbar.ax.get_xlabel()
    plt.close(fig)
    fig, ax = coverage_map(ds, "insufficient_fraction")  # other figures keep their full scale, no arrow
    assert _mesh(ax).colorbar.extend == "neither" and _mesh(ax).norm.vmax == 1.0
    plt.close(fig)


def test_augmentation_map_panels(jinan):
    times = C.time_range("2022-02-04T00:00", duration="30m", step_s=900)
    ds = C.dop_augmentation(shipped_gnss(), {"nav": jinan.select(group="nav")}, times, global_grid(15.0))
    fig, axes = augmentation_map(ds, min_elevation_deg=30.0)
    assert len(axes) == 3
    base, aug, gain = (_mesh(ax) for ax in axes)
    assert base.norm.vmax == aug.norm.vmax and base.norm.vmin == aug.norm.vmin  # one scale for both
    one = ds.sel(min_elevation_deg=30.0)
    np.testing.assert_allclose(np.ma.filled(gain.get_array(), np.nan).ravel(),
                               (100 * (1 - one.pdop_mean_ratio.values)).ravel(), rtol=1e-12, equal_nan=True)
    assert "30 deg mask" in axes[0].get_title()
    plt.close(fig)
    with pytest.raises(ValueError, match="not in the result's masks"):
        augmentation_map(ds, min_elevation_deg=5.0)


def test_bent_pipe_map_panels_and_gateways(jinan):
    gw = points([36.65, 43.8], [117.0, 87.6], names=["Jinan", "Urumqi"])
    ds = C.bent_pipe_coverage(jinan.select(group="comm")[:60], C.time_range("2026-01-01", duration="1h",
                                                                             step_s=600), global_grid(15.0), gw)
    fig, axes = bent_pipe_map(ds)
    assert len(axes) == 2
    np.testing.assert_allclose(np.ma.filled(_mesh(axes[1]).get_array(), np.nan).ravel(),
                               ds.served_fraction.values.ravel())
    marks = axes[1].collections[-1].get_offsets()
    np.testing.assert_allclose(marks, np.c_[gw.lon_deg, gw.lat_deg])
    plt.close(fig)
