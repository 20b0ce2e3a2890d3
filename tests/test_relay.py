"""Bent-pipe coverage against a brute force over every satellite, cell, gateway and sample.

The brute force (numpy, positions from the same propagation) tests every satellite against every cell and
every gateway at every sample with the elevation test ``d . U >= sin(mask) |d|``; a cell is served at a
sample when some satellite sees it and at least one gateway, and served through gateway g when some
satellite sees it and g.  The run must agree exactly (integer counts, cell for cell) on random small cases:
random LEO/MEO satellites, random gateways, regular, regional, equal-area and point grids, several masks.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import random_sats

import constellation as C
from constellation.api import coverage_counts
from constellation.grid import equal_area, global_grid, points, region
from constellation.propagation import itrs_chunks


def brute_force(sats, times, grid, gateways, mask_deg, gw_mask_deg):
    P, U = grid.itrs_km(), grid.up()
    G, GU = gateways.itrs_km(), gateways.up()
    s_el, s_gw = math.sin(math.radians(mask_deg)), math.sin(math.radians(gw_mask_deg))
    n_t, n_c, n_g = times.size, grid.n_cells, gateways.n_cells
    view = np.zeros((n_t, n_c), int)
    served = np.zeros((n_t, n_c), bool)
    by_gw = np.zeros((n_t, n_c, n_g), bool)
    for sl, r, _ in itrs_chunks(sats, times):
        for k in range(r.shape[1]):
            t = sl.start + k
            for s in range(r.shape[0]):
                S = r[s, k]
                d = S[None, :] - P
                vis = (d * U).sum(1) >= s_el * np.sqrt((d * d).sum(1))
                view[t] += vis
                for g in range(n_g):
                    dg = S - G[g]
                    if (dg * GU[g]).sum() >= s_gw * math.sqrt((dg * dg).sum()):
                        served[t] |= vis
                        by_gw[t, :, g] |= vis
    return view, served, by_gw


@pytest.mark.parametrize("seed, make_grid, mask_deg, gw_mask_deg", [
    (1, lambda: global_grid(15.0), 10.0, 5.0),
    (2, lambda: region(lat=(-40, 70), lon=(150, -120), res_deg=5.0), 0.0, 20.0),
    (3, lambda: equal_area(15.0), 25.0, 10.0),
    (4, lambda: points([36.65, -33.9, 0.0, 64.1, 51.5], [117.0, 18.4, -179.95, -21.9, -0.1],
                       names=list("abcde")), 10.0, 10.0),
])
def test_equals_brute_force(seed, make_grid, mask_deg, gw_mask_deg):
    rng = np.random.default_rng(seed)
    sats = random_sats(seed, ["leo", "polar", "meo"], n_each=4)
    lat = np.degrees(np.arcsin(rng.uniform(-0.9, 0.9, 4)))
    gw = points(lat, rng.uniform(-180, 180, 4), names=[f"gw{i}" for i in range(4)],
                height_m=rng.uniform(0, 2000, 4))
    times = C.time_range("2026-01-01T03:00", duration="3h", step_s=600)
    grid = make_grid()
    ds = C.bent_pipe_coverage(sats, times, grid, gw, min_elevation_deg=mask_deg,
                              gateway_min_elevation_deg=gw_mask_deg)
    view, served, by_gw = brute_force(sats, times, grid, gw, mask_deg, gw_mask_deg)
    n_t = times.size
    flat = lambda name: np.asarray(ds[name].values, float).reshape(-1)  # noqa: E731
    # both outcomes exercised: cells covered but not served, and cells served
    assert ((view > 0) & ~served).any() and served.any()
    np.testing.assert_array_equal(np.rint(flat("served_direct_fraction") * n_t), (view > 0).sum(0))
    np.testing.assert_array_equal(np.rint(flat("served_fraction") * n_t), served.sum(0))
    np.testing.assert_array_equal(np.rint(flat("served_lost_fraction") * n_t), ((view > 0) & ~served).sum(0))
    got = np.rint(ds.served_by_gateway_fraction.values.reshape(gw.n_cells, -1) * n_t)
    np.testing.assert_array_equal(got, by_gw.sum(0).T)
    if grid.kind == "points":
        np.testing.assert_array_equal(ds.sats_in_view.values, view)
        np.testing.assert_array_equal(ds.served.values, served)
    assert list(ds.gateway.values) == [f"gw{i}" for i in range(4)]


def test_direct_equals_coverage_engine_and_errors(tmp_path):
    # with gateways everywhere in view (a mask of -90 deg), bent pipe = direct = the coverage engine's count
    sats = C.jinan368().select(group="comm")[:40]
    times = C.time_range("2026-01-01", duration="1h", step_s=600)
    grid = points([36.65, 0.0, -45.0], [117.0, 60.0, -70.0])
    gw = points([0.0], [0.0], names=["anywhere"])
    ds = C.bent_pipe_coverage(sats, times, grid, gw, 10.0, gateway_min_elevation_deg=-90.0)
    counts = coverage_counts(sats, times, grid, min_elevation_deg=10.0, positions="exact")
    np.testing.assert_array_equal(ds.sats_in_view.values, counts)
    np.testing.assert_array_equal(ds.served.values, counts > 0)
    csv = tmp_path / "gw.csv"
    csv.write_text("name,lat,lon\nJinan,36.65,117.0\nKashi,39.5,76.0\n")
    ds2 = C.bent_pipe_coverage(sats, times, grid, str(csv))
    assert list(ds2.gateway.values) == ["Jinan", "Kashi"]
    with pytest.raises(ValueError, match="gateways: give the gateway"):
        C.bent_pipe_coverage(sats, times, grid)
    with pytest.raises(ValueError, match="point grid"):
        C.bent_pipe_coverage(sats, times, grid, global_grid(30.0))
    with pytest.raises(ValueError, match="gateway_min_elevation_deg"):
        C.bent_pipe_coverage(sats, times, grid, gw, gateway_min_elevation_deg=95)


def test_cli_bentpipe(tmp_path, capsys):
    import xarray as xr

    from constellation.cli import main

    csv = tmp_path / "gw.csv"
    csv.write_text("name,lat,lon\nJinan,36.65,117.0\n")
    out = tmp_path / "bp.nc"
    assert main(["bentpipe", "--gateways", str(csv), "--gateway", "Kashi=39.5,76.0", "--duration", "30m",
                 "--step", "10m", "--grid-deg", "30", "--output", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Bent pipe: 216 satellites (Jinan-368), 2 gateways (10 deg mask)")
    assert "through each gateway: Jinan " in text and ", Kashi " in text
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert list(ds.gateway.values) == ["Jinan", "Kashi"] and "served_fraction" in ds
    assert main(["bentpipe", "--gateway", "Jinan:36,117", "--output", str(out)]) == 2
    # no gateway given, or --gateways china: the shipped Chinese stations, as in coverage --gateways china
    tiny = ["--duration", "30m", "--step", "10m", "--grid-deg", "30", "--output", str(out)]
    for extra in ([], ["--gateways", "china"]):
        capsys.readouterr()
        assert main(["bentpipe", *extra, *tiny]) == 0
        assert "216 satellites (Jinan-368), 5 gateways (10 deg mask)" in capsys.readouterr().out
    assert main(["bentpipe", "--gateway", "X=95,0", "--output", str(out)]) == 2
