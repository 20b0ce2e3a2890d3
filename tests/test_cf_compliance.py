"""Every kind of NetCDF file the package writes passes the IOOS compliance checker at CF-1.10 with zero
errors (its "high priority" findings; warnings are allowed): coverage on a global, a regional
(across the antimeridian), an equal-area and a site grid, per service, positions and DOP.  The checker
runs offline (its CF tables ship with it).  The files read back identical to what was written."""

from __future__ import annotations

import json

import numpy as np
import pytest

import constellation as C
from constellation.formats import COMPRESSION

# the checker is a development dependency (pyproject's dev group)

pytestmark = pytest.mark.filterwarnings("ignore:The ioos_sos checker is deprecated:DeprecationWarning")


@pytest.fixture(scope="module")
def outputs():
    plan = C.jinan368().select(launched=True)
    times = C.time_range("2026-01-01", duration="30m", step_s=300)
    gps = C.samples.load("gps")
    gps_times = C.time_range("2022-02-04", duration="30m", step_s=600)
    sites = C.grid.points([36.65, 39.90], [117.0, 116.4], names=["Jinan", "Beijing"])
    return {
        "coverage_global": lambda: C.coverage(plan, times, C.grid.global_grid(10.0)),
        "coverage_region_antimeridian": lambda: C.coverage(plan, times, C.grid.region(lat=(18, 54), lon=(170, -170),
                                                                                      res_deg=2.0)),
        "coverage_equal_area": lambda: C.coverage(plan, times, C.grid.equal_area(10.0)),
        "coverage_sites": lambda: C.coverage(plan, times, sites),
        "coverage_per_service": lambda: C.coverage(plan, times, C.grid.global_grid(10.0), requirements={
            "eo": C.Requirement(min_elevation_deg=10, half_angle_deg=30), "comm": C.Requirement(10)}),
        "positions": lambda: C.propagate(plan, times),
        "dop": lambda: C.dop(gps, gps_times, C.grid.global_grid(15.0)),
        "dop_sites": lambda: C.dop(gps, gps_times, sites),
    }


def _cf_errors(paths, tmp_path) -> dict[str, list[str]]:
    """The checker's errors (high-priority findings) per file, all files checked in one run."""
    from compliance_checker.runner import CheckSuite, ComplianceChecker

    CheckSuite().load_all_available_checkers()
    report = tmp_path / "report.json"
    ComplianceChecker.run_checker([str(p) for p in paths], ["cf:1.10"], verbose=0, criteria="normal",
                                  output_filename=str(report), output_format="json_new")
    out = {}
    for source, result in json.loads(report.read_text()).items():
        cf = result["cf:1.10"]
        out[source] = [f"{p['name']}: {m}" for p in cf["high_priorities"] for m in p["msgs"]] + \
            ([f"high_count={cf['high_count']}"] if cf["high_count"] else [])
    return out


def test_ioos_checker_finds_no_cf_errors(outputs, tmp_path):
    import xarray as xr

    paths = []
    for kind, make in outputs.items():
        ds = make()
        paths.append(C.io.write_dataset(ds, tmp_path / f"{kind}.nc"))
        xr.testing.assert_identical(C.io.read_dataset(paths[-1]), ds)
    errors = _cf_errors(paths, tmp_path)
    assert len(errors) == len(outputs)
    assert {k: v for k, v in errors.items() if v} == {}


def test_files_are_compressed_and_have_no_private_attributes(tmp_path):
    import h5netcdf

    plan = C.jinan368().select(launched=True)
    ds = C.propagate(plan, C.time_range("2026-01-01", duration="30m", step_s=300))
    path = C.io.write_dataset(ds, tmp_path / "pos.nc")
    with h5netcdf.File(path, "r") as f:
        assert not [k for k in f.attrs if k.startswith("_")]
        for name, var in f.variables.items():
            assert not [k for k in var.attrs if k.startswith("_") and k != "_FillValue"], name
            if name in ds.data_vars and var.dtype.kind in "biuf":
                assert var.compression == "gzip" and var.compression_opts == COMPRESSION["complevel"], name
        assert "_FillValue" not in f.variables["time"].attrs


def test_files_written_before_the_marker_rename_still_read(tmp_path):
    """A file whose encoding marker is the old ``_constellation_encoding`` reads back the same."""
    import xarray as xr

    from constellation.formats import encode_dataset

    ds = xr.Dataset({"ok": ("x", np.array([True, False]))}, attrs={"flag": True, "none": None})
    enc = encode_dataset(ds)
    for v in [enc, *enc.variables.values()]:
        if "constellation_encoding" in v.attrs:
            v.attrs["_constellation_encoding"] = v.attrs.pop("constellation_encoding")
    enc.to_netcdf(tmp_path / "old.nc", engine="h5netcdf")
    xr.testing.assert_identical(C.io.read_dataset(tmp_path / "old.nc"), ds)


def test_regular_grids_carry_cell_bounds_in_the_file(tmp_path):
    import h5netcdf
    import xarray as xr

    plan = C.jinan368().select(launched=True)
    times = C.time_range("2026-01-01", duration="10m", step_s=300)
    ds = C.coverage(plan, times, C.grid.region(lat=(18, 54), lon=(170, -170), res_deg=2.0))
    assert ds["area_covered_fraction"].attrs["cell_methods"] == "area: mean"
    path = C.io.write_dataset(ds, tmp_path / "region.nc")
    with h5netcdf.File(path, "r") as f:
        assert f["lat"].attrs["bounds"] == "lat_bnds" and f["lon"].attrs["bounds"] == "lon_bnds"
        lat_b, lon_b = f["lat_bnds"][...], f["lon_bnds"][...]
    assert lat_b[0].tolist() == [18.0, 20.0] and lat_b[-1].tolist() == [52.0, 54.0]
    assert lon_b[0].tolist() == [170.0, 172.0] and lon_b[-1].tolist() == [188.0, 190.0]   # across 180, monotonic
    xr.testing.assert_identical(C.io.read_dataset(path), ds)                             # bounds not read back
