"""Refusals that name the problem: every public reader and command given a damaged, wrong, empty or missing
file, or a folder, answers with a package error that names the argument or file and what was expected, never
with a library's internal message (h5py's "file signature not found", a blosc or JSON decoder error, a
RecursionError, a KeyError)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import xarray as xr

import constellation as C
from constellation import io
from constellation.cli import main

NESTED_JSON = "[" * 100_000 + "]" * 100_000
NESTED_TOML = "a = " + "[" * 5_000 + "]" * 5_000


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    rng = np.random.default_rng(0)
    cov = xr.Dataset({"coverage_fraction": (("lat", "lon"), np.ones((2, 3)))},
                     coords={"lat": [0.0, 10.0], "lon": [0.0, 10.0, 20.0]})
    io.write_dataset(cov, d / "good.nc")
    io.write_dataset(xr.Dataset({"x_km": ("time", np.arange(3.0))}), d / "positions.nc")
    good = (d / "good.nc").read_bytes()
    (d / "empty.nc").write_bytes(b"")
    (d / "folder.nc").mkdir()
    (d / "folder").mkdir()
    (d / "garbage.bin").write_bytes(rng.bytes(4000))
    (d / "garbage.nc").write_bytes(rng.bytes(4000))
    (d / "half.nc").write_bytes(good[: len(good) // 2])
    (d / "tle.nc").write_text("ISS (ZARYA)\n1 25544U ...\n")
    (d / "classic.nc").write_bytes(b"CDF\x01" + bytes(100))
    (d / "nested.json").write_text(NESTED_JSON)
    (d / "nested.toml").write_text(NESTED_TOML)
    return d


def _cli(argv, capsys) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err  # one line
    return code, err


@pytest.mark.parametrize("argv, message", [
    (["plot", "{d}/empty.nc"], "'{d}/empty.nc' is empty (0 bytes); expected a NetCDF-4 file or a Zarr store"),
    (["plot", "{d}/folder.nc"], "'{d}/folder.nc' is a folder that is not a Zarr store"),
    (["report", "{d}/garbage.nc"], "'{d}/garbage.nc' is not a NetCDF-4 file: no HDF5 signature"),
    (["animate", "{d}/tle.nc"], "'{d}/tle.nc' is not a NetCDF-4 file: no HDF5 signature (it starts with b'ISS (ZAR')"),
    (["compare", "{d}/half.nc", "{d}/good.nc"], "'{d}/half.nc' is a damaged or truncated NetCDF-4 file, it cannot "
                                                 "be read (Unable to synchronously open file (truncated file"),
    (["plot", "{d}/classic.nc"], "'{d}/classic.nc' is a NetCDF-3 (classic) file; only NetCDF-4 (HDF5) files are"),
    (["compare", "{d}/good.nc", "{d}/positions.nc"], "{d}/positions.nc: not a coverage result (no coverage_fraction)"),
    (["info", "{d}/folder"], "element file '{d}/folder' is a directory, expected TLE, 3LE or OMM records"),
    (["track", "{d}/garbage.bin"], "{d}/garbage.bin:1: file content: found byte 0x"),
    (["coverage", "--sites", "{d}/folder"], "sites file '{d}/folder' is a directory, expected a CSV file with lat"),
    (["coverage", "--sites", "{d}/garbage.bin"], "sites file '{d}/garbage.bin': found byte 0x"),
    (["dop", "--sites", "{d}/missing.csv"], "sites file '{d}/missing.csv' does not exist (expected a CSV file"),
    (["bentpipe", "--gateways", "{d}/garbage.bin"], "--gateways file '{d}/garbage.bin': found byte 0x"),
    (["contacts", "--stations", "{d}/garbage.bin"], "--stations: stations file '{d}/garbage.bin': found byte 0x"),
    (["design", "--plan", "{d}/nested.toml"], "{d}/nested.toml: found arrays or tables nested too deeply to read, "
                                              "expected a TOML plan file"),
    (["design", "--plan", "{d}/folder"], "plan file '{d}/folder' is a directory, expected a TOML plan file"),
    (["deploy", "--manifest", "{d}/nested.toml"], "{d}/nested.toml: found arrays or tables nested too deeply"),
    (["deploy", "--manifest", "{d}/garbage.bin"], "manifest '{d}/garbage.bin': found byte 0x"),
    (["coverage", "--region", "{d}/nested.json"], "{d}/nested.json: found arrays or tables nested too deeply to "
                                                  "read, expected a GeoJSON Polygon"),
    (["coverage", "--region", "{d}/garbage.bin"], "region file '{d}/garbage.bin': found byte 0x"),
    (["search", "--walker", "20", "--region", "{d}/folder"], "region file '{d}/folder' is a directory"),
    (["plot", "{d}/positions.nc"], "{d}/positions.nc: no figure of merit 'coverage_fraction' in the dataset"),
    (["track", "--duration", "100d", "--step", "1ms"], "--duration and --step set the window written with --output"),
])
def test_cli_refusal_names_the_file(files, capsys, argv, message):
    code, err = _cli([a.format(d=files) for a in argv], capsys)
    assert code == 2, err
    assert f": error: {message.format(d=files)}" in err, err


def test_api_refusals_name_the_argument(files):
    with pytest.raises(TypeError, match="^path must be a file path, got NoneType$"):
        io.read_dataset(None)
    with pytest.raises(TypeError, match="^element file must be a file path, got NoneType$"):
        C.load(None)
    with pytest.raises(IsADirectoryError, match="element file '.*folder' is a directory"):
        C.load(files / "folder")
    with pytest.raises(FileNotFoundError, match="element file '.*nothing.tle' does not exist"):
        C.load(files / "nothing.tle")
    with pytest.raises(ValueError, match="tle.nc' is not a NetCDF-4 file: no HDF5 signature"):
        io.read_arrays(files / "tle.nc")
    with pytest.raises(ValueError, match="half.nc' is a damaged or truncated NetCDF-4 file"):
        io.read_arrays(files / "half.nc")
    with pytest.raises(ValueError, match="^b must be a coverage result .with coverage_fraction., got a Dataset"):
        C.comparison.compare(io.read_dataset(files / "good.nc"), io.read_dataset(files / "positions.nc"))


def test_damaged_zarr_store_is_named(files, tmp_path):
    ds = xr.Dataset({"v": (("a",), np.arange(1000.0))})
    io.write_dataset(ds, tmp_path / "chunk.zarr")
    shutil.copytree(tmp_path / "chunk.zarr", tmp_path / "meta.zarr")
    for f in (tmp_path / "chunk.zarr" / "v").iterdir():
        if not f.name.startswith("."):
            f.write_bytes(b"not a compressed chunk" * 4)
    with pytest.raises(ValueError, match=r"chunk.zarr' is a damaged or truncated Zarr store, it cannot be read"):
        io.read_dataset(tmp_path / "chunk.zarr")
    (tmp_path / "meta.zarr" / ".zmetadata").write_text("{not json")
    with pytest.raises(ValueError, match=r"meta.zarr' is a damaged or truncated Zarr store, it cannot be read "
                                         r"\(Expecting property name"):
        io.read_dataset(tmp_path / "meta.zarr")


def _checkpointed_run(tmp_path):
    """A small finished checkpointed run (every 8th satellite, 2 h at 10 min, 20 deg, chunks of 4 steps):
    ``(sats, times, grid, store, result)``."""
    sats = C.jinan368()[::8]
    times = C.time_range("2026-01-01", duration="2h", step_s=600)
    grid = C.grid.global_grid(20)
    store = tmp_path / "run.zarr"
    return sats, times, grid, store, C.coverage(sats, times, grid, checkpoint=store, chunk_steps=4)


def test_damaged_checkpoint_chunk_is_named_and_recomputed_once_removed(tmp_path):
    """A checkpoint chunk whose bytes the codec rejects (blosc) names the store, the chunk and the way out;
    once its folder is removed the resumed run computes it again and ends bit for bit as an uninterrupted
    run."""
    from helpers import assert_bit_identical

    sats, times, grid, store, full = _checkpointed_run(tmp_path)
    info = store / "partial" / ".zattrs"
    record = info.read_text()
    chunk = store / "partial" / "c000001"
    for f in (chunk / "state").iterdir():
        if not f.name.startswith("."):
            data = bytearray(f.read_bytes())
            data[16:40] = b"\xff" * 24
            f.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"chunk c000001 is damaged and cannot be read \(RuntimeError: error "
                                         r"during blosc decompression.*remove the folder '.*c000001' and resume"):
        C.coverage(sats, times, grid, checkpoint=store, resume=True, chunk_steps=4)
    shutil.rmtree(chunk / "state")
    with pytest.raises(ValueError, match=r"chunk c000001 is damaged and cannot be read \(KeyError"):
        C.coverage(sats, times, grid, checkpoint=store, resume=True, chunk_steps=4)
    shutil.rmtree(chunk)
    again = C.coverage(sats, times, grid, checkpoint=store, resume=True, chunk_steps=4)
    assert_bit_identical(full, again)
    info.write_text(NESTED_JSON)  # a record nested too deeply for the JSON reader: not a store any more
    with pytest.raises(ValueError, match="it is not a coverage checkpoint store"):
        C.coverage(sats, times, grid, checkpoint=store, resume=True, chunk_steps=4)
    assert record


def test_zarr_chunk_file_missing_is_damage_not_fill(tmp_path):
    """zarr reads a chunk file that is not there as the fill value.  The stores written here keep every
    chunk on disk (fill-only ones too) and say so, so a missing one is refused, naming it; a store written
    by another program reads as zarr reads it."""
    ds = xr.Dataset({"empty": (("a", "b"), np.full((10, 4), np.nan)), "zeros": (("a",), np.zeros(10, np.int32)),
                     "v": (("a",), np.arange(10.0))})
    store = tmp_path / "all.zarr"
    io.write_dataset(ds, store)
    assert io.formats.missing_chunks(store) == []
    assert sorted(p.name for p in (store / "empty").iterdir()) == [".zarray", ".zattrs", "0.0"]
    assert io.read_dataset(store).identical(ds)
    (store / "zeros" / "0").unlink()
    with pytest.raises(ValueError, match=r"all.zarr' is a damaged Zarr store: 1 chunk file missing \(zeros/0\)"):
        io.read_dataset(store)
    other = tmp_path / "other.zarr"
    ds.to_zarr(other, zarr_format=2, consolidated=True)  # fill-only chunks left out, as zarr does
    assert not (other / "empty" / "0.0").exists()
    assert io.read_dataset(other).identical(ds)


def test_checkpoint_chunk_file_missing_is_named_and_recomputed_once_removed(tmp_path):
    """A partial chunk's array file deleted (its zeros would have been read as a state otherwise): named,
    with the way out; and the finished result's files are checked the same way."""
    from helpers import assert_bit_identical

    sats, times, grid, store, full = _checkpointed_run(tmp_path)
    chunk = store / "partial" / "c000002"
    (chunk / "row_cov" / "0.0.0").unlink()
    with pytest.raises(ValueError, match=r"chunk c000002 is damaged and cannot be read \(FileNotFoundError: chunk "
                                         r"file row_cov/0.0.0 missing\); remove the folder '.*c000002' and resume"):
        C.coverage(sats, times, grid, checkpoint=store, resume=True, chunk_steps=4)
    shutil.rmtree(chunk)
    assert_bit_identical(C.coverage(sats, times, grid, checkpoint=store, resume=True, chunk_steps=4), full)
    assert_bit_identical(io.read_dataset(store), full)
    (store / "coverage_fraction" / "0.0").unlink()
    with pytest.raises(ValueError, match=r"run.zarr' is a damaged Zarr store: 1 chunk file missing "
                                         r"\(coverage_fraction/0.0\)"):
        io.read_dataset(store)
