"""Coverage snapshots (``coverage(..., snapshots=...)``): the counts at the snapshot samples equal
``coverage_counts`` over the whole window at those samples, cell for cell, on every kind of grid; the
run's other results stay bit-identical; bad requests and oversized ones are refused, saying why."""

from __future__ import annotations

import numpy as np
import pytest

import constellation as C
from constellation import design
from constellation import grid as G
from constellation import snapshots as S
from constellation.api import coverage_counts


@pytest.fixture(scope="module")
def sats():
    a = design.walker_delta(24, 4, 1, 53.0, 550.0, "2026-01-01", group="comm")
    b = design.walker_delta(4, 2, 0, 97.5, 500.0, "2026-01-01", group="eo", name_prefix="E",
                            first_catalog_number=331_001)
    return a + b


@pytest.fixture(scope="module")
def times():
    return C.time_range("2026-01-01", duration="90m", step_s=60)


@pytest.mark.parametrize("grid", [G.global_grid(10.0), G.equal_area(15.0),
                                  G.region(lat=(20, 50), lon=(170, -170), res_deg=5.0)],
                         ids=["global", "equal_area", "region_antimeridian"])
def test_snapshot_counts_equal_coverage_counts_at_those_samples(sats, times, grid):
    ds = C.coverage(sats, times, grid, snapshots="15m")
    full = coverage_counts(sats, times, grid, positions="exact")
    snap = ds["sats_in_view_snapshot"].values
    assert snap.shape == (7,) + grid.shape and snap.dtype == np.int16
    assert np.array_equal(full[::15].reshape(snap.shape), snap)
    assert np.array_equal(ds["snapshot_time"].values, times[::15])
    assert snap.max() > 0 and (snap == 0).any()  # a real mix of covered and uncovered cells


def test_snapshots_of_services_on_sites_equal_the_per_sample_counts(sats, times):
    pts = G.points([39.9, 31.2, -33.9, 64.1], [116.4, 121.5, 151.2, -21.9],
                   ["Beijing", "Shanghai", "Sydney", "Reykjavik"])
    reqs = {"comm": C.Requirement(10.0), "eo": C.Requirement(10.0, 30.0)}
    ds = C.coverage(sats, times, pts, requirements=reqs, snapshots=[times[3], times[40], times[77]])
    assert ds["sats_in_view_snapshot"].dims == ("service", "snapshot_time", "cell")
    assert np.array_equal(ds["sats_in_view"].values[:, [3, 40, 77]], ds["sats_in_view_snapshot"].values)
    counts = coverage_counts(sats, times, pts, requirements=reqs)
    assert np.array_equal(counts[:, [3, 40, 77]], ds["sats_in_view_snapshot"].values)


def test_other_results_are_bit_identical_with_snapshots(sats, times):
    g = G.global_grid(15.0)
    plain = C.coverage(sats, times, g)
    snap = C.coverage(sats, times, g, snapshots=30)
    assert set(snap.data_vars) - set(plain.data_vars) == {"sats_in_view_snapshot", "sat_lat_deg", "sat_lon_deg",
                                                          "sat_alt_km"}
    for name in plain.data_vars:
        assert np.array_equal(plain[name].values, snap[name].values, equal_nan=True), name
    assert snap.attrs["snapshots"] == "every 30 samples"


def test_snapshot_positions_are_the_propagated_sub_satellite_points(sats, times):
    ds = C.coverage(sats, times, G.global_grid(30.0), snapshots="30m")
    pos = C.propagate(sats, times[::30])
    for mine, theirs in (("sat_lat_deg", "lat_deg"), ("sat_lon_deg", "lon_deg"), ("sat_alt_km", "alt_km")):
        assert np.array_equal(ds[mine].values, pos[theirs].values.T)
    assert list(ds["group"].values[:2]) == ["comm", "comm"] and ds["group"].values[-1] == "eo"
    assert ds["satellite_name"].values[-1] == pos["name"].values[-1]


def test_snapshots_survive_netcdf(tmp_path, sats, times):
    from constellation.io import read_dataset, write_dataset

    ds = C.coverage(sats, times, G.global_grid(30.0), snapshots="30m")
    back = read_dataset(write_dataset(ds, tmp_path / "s.nc"))
    for name in ("sats_in_view_snapshot", "sat_lat_deg", "snapshot_time", "group"):
        assert np.array_equal(back[name].values, ds[name].values), name


def test_snapshot_indices_and_errors(times):
    assert S.snapshot_indices(times, 10).tolist() == list(range(0, 91, 10))
    assert S.snapshot_indices(times, "30m").tolist() == [0, 30, 60, 90]
    assert S.snapshot_indices(times, np.timedelta64(45, "m")).tolist() == [0, 45, 90]
    assert S.snapshot_indices(times, ["2026-01-01T00:05", "2026-01-01T01:00"]).tolist() == [5, 60]
    for bad, msg in [(0, "at least 1"), (True, "expected a stride"), ("90s", "whole multiple"),
                     ("soon", "cannot read duration"), (["2026-01-01T00:00:30"], "not one of the run's samples"),
                     (["2026-01-01T01:00", "2026-01-01T00:05"], "strictly increasing")]:
        with pytest.raises(ValueError, match=f"snapshots: .*{msg}"):
            S.snapshot_indices(times, bad)


def test_oversized_snapshots_are_refused_before_the_run(monkeypatch, sats, times):
    monkeypatch.setattr(S, "SNAPSHOT_MAX_BYTES", 64 * 648)  # room for 32 snapshots of 10-degree cells
    with pytest.raises(ValueError, match=r"91 snapshots .* over the 0 MiB limit; at most 32 fit \(a stride of 3"):
        C.coverage(sats, times, G.global_grid(10.0), snapshots=1)
    ds = C.coverage(sats, times, G.global_grid(10.0), snapshots=3)  # what the message offers does fit
    assert ds.sizes["snapshot_time"] == 31


def test_snapshots_through_a_checkpoint_store(tmp_path, sats, times):
    from constellation.io import read_dataset

    g = G.global_grid(30.0)
    ds = C.coverage(sats, times, g, snapshots="30m", checkpoint=tmp_path / "run.zarr")
    back = read_dataset(tmp_path / "run.zarr")
    assert np.array_equal(back["sats_in_view_snapshot"].values, ds["sats_in_view_snapshot"].values)
    assert np.array_equal(back["sats_in_view_snapshot"].values,
                          coverage_counts(sats, times, g)[::30].reshape((4,) + g.shape))
