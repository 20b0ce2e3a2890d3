"""Result I/O: NetCDF-4 / Zarr round trips and atomic writes (constellation.io)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from helpers import assert_bit_identical

import constellation as C
from constellation import atomic, formats, io

FORMATS = ["nc", "zarr"]


def sample_dataset() -> xr.Dataset:
    """A small dataset exercising every kind of value a coverage result carries, and the awkward ones."""
    rng = np.random.default_rng(7)
    times = np.datetime64("2026-01-01T00:00:00", "ns") + np.arange(4) * np.timedelta64(30, "s")
    return xr.Dataset(
        {
            "coverage_fraction": (("lat", "lon"), rng.random((3, 4)),
                                  dict(units="1", long_name="fraction of time covered", stk_name="Percent")),
            "revisit_max_s": (("lat", "lon"), np.where(rng.random((3, 4)) > 0.5, np.nan, 60.0),
                              dict(units="s", note=None, no_gap_is_nan=True)),
            "gap_count": (("lat", "lon"), rng.integers(0, 9, (3, 4)), dict(units="1")),
            "served": (("lat", "lon"), rng.random((3, 4)) > 0.5),
            "sats_in_view": (("time", "site"), rng.integers(0, 30, (4, 2)).astype(np.int16)),
            "first_access": (("site",), np.array(["2026-01-01T00:00:00.123456789", "NaT"],
                                                 dtype="datetime64[ns]")),
            "area_covered_fraction": (("time",), rng.random(4), dict(units="1")),
        },
        coords={
            "lat": ("lat", np.array([-60.0, 0.0, 60.0]), dict(units="degrees_north", standard_name="latitude")),
            "lon": ("lon", np.array([-135.0, -45.0, 45.0, 135.0]), dict(units="degrees_east")),
            "time": ("time", times),
            "site": ("site", np.array(["Jinan", "Kashi"])),
            "name": ("site", np.array(["济南 Jinan", "喀什 Kashi"], dtype=object)),
            "service": ("service", np.array(["eo", "comm", "any"])),
            "launched": ("site", np.array([True, False])),
        },
        attrs=dict(Conventions="CF-1.10", title="test", n_satellites=368, step_s=30.0, half_angle_deg=25.0,
                   refine_edges=True, source=None, groups=["eo", "comm"], extra={"a": 1},
                   flags=np.array([True, False])),
    )


def assert_same(a: xr.Dataset, b: xr.Dataset) -> None:
    """Bit for bit, every attribute included (``history`` too), and the attributes keep their types."""
    assert_bit_identical(a, b, ignore_attrs=())
    for k, v in a.attrs.items():
        assert type(b.attrs[k]) is type(v) or isinstance(v, np.ndarray) or np.isscalar(v), k


@pytest.mark.parametrize("ext", FORMATS)
def test_round_trip_keeps_everything(tmp_path, ext):
    ds = sample_dataset()
    path = tmp_path / f"out.{ext}"
    assert io.write_dataset(ds, path) == path
    back = io.read_dataset(path)
    assert_same(ds, back)
    assert back.attrs["source"] is None and back.attrs["refine_edges"] is True
    assert back["served"].dtype == bool and back["launched"].dtype == bool
    assert back["time"].dtype == np.dtype("datetime64[ns]")
    assert back["name"].values.tolist() == ["济南 Jinan", "喀什 Kashi"]
    assert np.isnat(back["first_access"].values[1])
    assert back["first_access"].values[0] == np.datetime64("2026-01-01T00:00:00.123456789")
    assert "flag_values" not in back["served"].attrs  # added for NetCDF only, removed on reading


def test_netcdf_file_is_plain_cf_for_other_readers(tmp_path):
    """Without our decoder, a NetCDF reader sees int8 flags with CF flag attributes, not bools."""
    path = io.write_dataset(sample_dataset(), tmp_path / "out.nc")
    with xr.open_dataset(path, engine="h5netcdf") as raw:
        assert raw["served"].dtype == np.int8
        assert raw["served"].attrs["flag_meanings"] == "false true"
        assert list(raw["served"].attrs["flag_values"]) == [0, 1]
        assert raw.attrs["Conventions"] == "CF-1.10"


def test_xarray_free_reader(tmp_path):
    ds = sample_dataset()
    path = io.write_dataset(ds, tmp_path / "out.nc")
    variables, attrs = io.read_arrays(path)
    assert attrs["n_satellites"] == 368 and attrs["source"] is None and attrs["groups"] == ["eo", "comm"]
    dims, values, vattrs = variables["coverage_fraction"]
    assert dims == ("lat", "lon") and vattrs["stk_name"] == "Percent"
    np.testing.assert_array_equal(values, ds["coverage_fraction"].values)
    np.testing.assert_array_equal(variables["revisit_max_s"][1], ds["revisit_max_s"].values)
    np.testing.assert_array_equal(variables["time"][1], ds["time"].values)
    np.testing.assert_array_equal(variables["first_access"][1], ds["first_access"].values)
    assert variables["served"][1].dtype == bool
    np.testing.assert_array_equal(variables["served"][1], ds["served"].values)
    assert variables["site"][1].tolist() == ["Jinan", "Kashi"]


def test_format_from_suffix_and_errors(tmp_path):
    assert io.output_format("a.nc") == "netcdf" and io.output_format("b.zarr") == "zarr"
    assert io.output_format("c.dat", "zarr") == "zarr"
    with pytest.raises(ValueError, match=r"\.txt"):
        io.output_format("out.txt")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        io.write_dataset(sample_dataset(), tmp_path / "missing" / "out.zarr")
    plain_dir = tmp_path / "results.zarr"
    plain_dir.mkdir()
    (plain_dir / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not a Zarr store"):
        io.write_dataset(sample_dataset(), plain_dir)
    assert (plain_dir / "keep.txt").read_text() == "mine"


def test_zarr_store_is_replaced_whole(tmp_path):
    path = tmp_path / "out.zarr"
    io.write_dataset(sample_dataset(), path)
    small = xr.Dataset({"only": ("x", np.arange(3))})
    io.write_dataset(small, path)
    back = io.read_dataset(path)
    assert list(back.data_vars) == ["only"]
    assert [p.name for p in tmp_path.iterdir()] == ["out.zarr"]  # no temporaries or aside copies left


@pytest.mark.parametrize("ext", FORMATS)
def test_failure_midway_leaves_destination_alone(tmp_path, monkeypatch, ext):
    """A write that fails after data reached the disk leaves the old output intact and no temporary."""
    path = tmp_path / f"out.{ext}"
    old = xr.Dataset({"old": ("x", np.arange(5.0))}, attrs={"title": "old"})
    io.write_dataset(old, path)

    def boom(p):
        assert p.exists() and p != path  # the new data were fully written to the temporary
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic, "fsync_path", boom)
    with pytest.raises(OSError, match="No space"):
        io.write_dataset(sample_dataset(), path)
    assert_same(io.read_dataset(path), old)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"out.{ext}"]

    # a failure inside the writer itself, with a partial temporary on disk
    monkeypatch.undo()
    real = xr.Dataset.to_zarr if ext == "zarr" else xr.Dataset.to_netcdf

    def partial(self, target, *a, **k):
        Path(target).write_bytes(b"\x89HDF partial") if ext == "nc" else Path(target).mkdir()
        raise KeyboardInterrupt

    monkeypatch.setattr(xr.Dataset, "to_zarr" if ext == "zarr" else "to_netcdf", partial)
    # (NetCDF: HDF5 writing the temporary itself, as where memory cannot hold the file's image)
    monkeypatch.setattr(formats, "_netcdf_image", lambda encoded: None)
    with pytest.raises(KeyboardInterrupt):
        io.write_dataset(sample_dataset(), path)
    assert_same(io.read_dataset(path), old)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"out.{ext}"]
    # and a fresh destination stays absent
    with pytest.raises(KeyboardInterrupt):
        io.write_dataset(sample_dataset(), tmp_path / f"new.{ext}")
    assert not (tmp_path / f"new.{ext}").exists()
    assert real is not partial


_CHILD = """
import sys, time
import numpy as np, xarray as xr
ext, dest = sys.argv[1], sys.argv[2]
from constellation import io

def hang(*a, **k):
    print("midway", flush=True)
    time.sleep(600)

if ext == "nc":
    from constellation import atomic
    atomic.fsync_path = hang            # the file's bytes are in the temporary, not yet flushed and renamed
else:
    import zarr
    zarr.consolidate_metadata = hang    # the arrays are written, the metadata not yet consolidated
ds = xr.Dataset({"new": (("a", "b"), np.ones((200, 300)))}, attrs={"title": "new"})
io.write_dataset(ds, dest)
"""


@pytest.mark.parametrize("ext", FORMATS)
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_during_write(tmp_path, ext, repo_root):
    """kill -9 in the middle of overwriting an output: the destination keeps its old content intact.

    (A fresh destination staying absent after a failed write is checked in-process above.)
    """
    old = xr.Dataset({"old": ("x", np.arange(5.0))}, attrs={"title": "old"})
    dest = io.write_dataset(old, tmp_path / f"existing.{ext}")
    env = dict(os.environ, PYTHONPATH=str(repo_root))
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(_CHILD), ext, str(dest)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=repo_root)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "midway", proc.stderr.read()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    temporaries = [p for p in tmp_path.iterdir() if p.name.startswith(f".{dest.name}.")]
    assert len(temporaries) == 1  # the half-written output exists, under its hidden temporary name only
    assert_same(io.read_dataset(dest), old)


def test_cf_attrs_adds_conventions_and_history():
    ds = xr.Dataset(attrs={"history": "made"})
    out = io.cf_attrs(ds, history="constellation coverage")
    assert out.attrs["Conventions"] == "CF-1.10"
    lines = out.attrs["history"].splitlines()
    assert lines[0] == "made" and lines[1].endswith("Z: constellation coverage")
    assert ds.attrs == {"history": "made"}  # input untouched


def test_netcdf_built_in_memory_is_the_file_hdf5_writes_on_disk(tmp_path, monkeypatch):
    """The NetCDF file is built in memory and then written (a full disk is then an ordinary OSError); where
    the memory budget cannot hold its image, HDF5 writes the temporary directly: both read back the same."""
    ds = sample_dataset()
    io.write_dataset(ds, tmp_path / "memory.nc")
    monkeypatch.setenv("CONSTELLATION_MEMORY_LIMIT", "1K")
    assert formats._netcdf_image(formats.encode_dataset(ds)) is None
    io.write_dataset(ds, tmp_path / "disk.nc")
    assert_bit_identical(io.read_dataset(tmp_path / "memory.nc"), io.read_dataset(tmp_path / "disk.nc"))
    assert_same(io.read_dataset(tmp_path / "memory.nc"), ds)


def test_no_cone_is_no_attribute_and_old_files_read_the_same(tmp_path):
    """Without a nadir cone a coverage result carries no ``half_angle_deg`` attribute (CF attributes hold
    numbers or text that means something; earlier versions wrote the text 'none'); such older files read
    back the same way, and the map caption reads the cone from either form."""
    from constellation import plot

    sats, times = C.jinan368()[::40], C.time_range("2026-01-01", duration="20m", step_s=600)
    grid = C.grid.global_grid(30)
    plain = C.coverage(sats, times, grid)
    coned = C.coverage(sats, times, grid, half_angle_deg=40.0)
    assert "half_angle_deg" not in plain.attrs and coned.attrs["half_angle_deg"] == 40.0
    io.write_dataset(plain, tmp_path / "new.nc")
    old = plain.copy()
    old.attrs["half_angle_deg"] = "none"  # as earlier versions wrote it
    formats.encode_dataset(old).to_netcdf(tmp_path / "old.nc", engine="h5netcdf")
    for name in ("new.nc", "old.nc"):
        back = io.read_dataset(tmp_path / name)
        assert "half_angle_deg" not in back.attrs, name
        assert "half-angle" not in plot.scenario_text(back.attrs), name
    assert "half-angle 40°" in plot.scenario_text(coned.attrs)
