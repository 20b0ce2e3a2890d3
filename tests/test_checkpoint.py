"""Resumable runs (constellation.checkpoint): a run SIGKILLed between chunks and resumed with --resume ends
bit-identical to an uninterrupted run, finished chunks are never recomputed, and stores from other inputs
(or existing stores without --resume) are refused."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from helpers import assert_bit_identical

from constellation import checkpoint as ckpt
from constellation import io
from constellation.api import coverage
from constellation.cli import main
from constellation.design import jinan368
from constellation.grid import global_grid
from constellation.timescale import time_range

# the CLI run the tests kill and resume: the plan's 32 nav satellites, 10 deg grid, 2 h at 60 s, 13 chunks
ARGS = ["coverage", "--group", "nav", "--start", "2026-01-01T00:00:00", "--duration", "2h", "--step", "60s",
        "--grid-deg", "10", "--chunk-steps", "10", "--quiet"]
N_CHUNKS = 13


def _chunk_files(store):
    part = store / "partial"
    return {p.relative_to(store): p.stat().st_mtime_ns for p in part.rglob("*")
            if p.relative_to(part).parts[0].startswith("c")}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted run, through the same CLI (NetCDF output: the plain, non-checkpointed path)."""
    out = tmp_path_factory.mktemp("ref") / "ref.nc"
    assert main([*ARGS, "--output", str(out)]) == 0
    return io.read_dataset(out)


def test_sigkill_then_resume_is_bit_identical_and_recomputes_nothing(tmp_path, reference, capsys):
    store = tmp_path / "run.zarr"
    env = dict(os.environ, CONSTELLATION_CHECKPOINT_TEST_SLEEP_S="0.4")  # space the chunk writes out
    proc = subprocess.Popen([sys.executable, "-m", "constellation", *ARGS, "--output", str(store)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if store.is_dir() and len(list((store / "partial").glob("c*"))) >= 2:
                break
            time.sleep(0.02)
        assert proc.poll() is None, f"the run ended before it could be killed: {proc.communicate()}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    done = sorted(int(p.name[1:]) for p in (store / "partial").glob("c*"))
    assert 2 <= len(done) < N_CHUNKS and done == list(range(len(done)))  # serial run: a prefix of chunks
    # the killed store is not a result: reading it says to resume it
    with pytest.raises(ckpt.IncompleteRunError, match="incomplete coverage run.*resume it"):
        io.read_dataset(store)
    before = _chunk_files(store)

    assert main([*ARGS, "--output", str(store), "--resume"]) == 0
    resumed = io.read_dataset(store)
    assert_bit_identical(resumed, reference)
    assert "constellation coverage" in resumed.attrs["history"]
    # finished chunks were loaded, not recomputed: the run log says so and their files are untouched
    info = ckpt.store_info(store)
    assert info["status"] == "complete"
    assert info["runs"][-1]["loaded"] == done
    assert sorted(info["runs"][-1]["computed"]) == [k for k in range(N_CHUNKS) if k not in done]
    after = _chunk_files(store)
    assert all(after[p] == t for p, t in before.items())
    assert len(list((store / "partial").glob("c*"))) == N_CHUNKS

    # a store from different inputs is refused and left as it was
    code = main([*ARGS[:-1], "--min-elevation", "20", "--output", str(store), "--resume"])
    err = capsys.readouterr().err
    assert code == 2 and "different inputs" in err and "requirements" in err
    # an existing store without --resume is refused
    code = main([*ARGS, "--output", str(store)])
    err = capsys.readouterr().err
    assert code == 2 and "already exists" in err and "--resume" in err
    assert_bit_identical(io.read_dataset(store), reference)


def test_api_resume_after_partial_store_and_torn_chunk(tmp_path):
    """The Python API: a store with chunks missing (and a half-written chunk left by a kill during its
    write) resumes to the uninterrupted result; positions="exact" and services too."""
    from constellation.engine import Requirement

    sats = jinan368()[::12]
    times = time_range("2026-01-01", duration="90m", step_s=60)
    grid = global_grid(15.0)
    kw = dict(requirements={"eo": Requirement(10, 30), "comm": Requirement(10), "nav": Requirement(5, None, 2)},
              chunk_steps=9, positions="exact")
    ref = coverage(sats, times, grid, **kw)
    store = tmp_path / "api.zarr"
    full = coverage(sats, times, grid, checkpoint=store, **kw)
    assert_bit_identical(full, ref)
    assert_bit_identical(io.read_dataset(store), ref)
    # simulate a run killed after chunk 3 and during the write of chunk 4
    import shutil

    n = ckpt.store_info(store)["n_chunks"]
    for k in range(4, n):
        shutil.rmtree(store / "partial" / f"c{k:06d}")
    shutil.copytree(store / "partial" / "c000001", store / "partial" / ".c000004.dead.tmp")
    info = ckpt.store_info(store)
    info["status"] = "running"
    ckpt._write_meta(store, info)
    with pytest.raises(ckpt.IncompleteRunError):
        io.read_dataset(store)
    with pytest.raises(ValueError, match="already exists"):
        coverage(sats, times, grid, checkpoint=store, **kw)
    # a different chunking on resume is fine: the store's own chunks are kept
    again = coverage(sats, times, grid, checkpoint=store, resume=True, **{**kw, "chunk_steps": 50})
    assert_bit_identical(again, ref)
    assert_bit_identical(io.read_dataset(store), ref)
    log = ckpt.store_info(store)["runs"][-1]
    assert log["loaded"] == [0, 1, 2, 3] and log["computed"] == list(range(4, n))
    assert not list((store / "partial").glob(".c*"))  # the torn chunk was removed
    # other satellites: refused, naming them
    with pytest.raises(ValueError, match="different inputs.*satellites"):
        coverage(jinan368()[1::12], times, grid, checkpoint=store, resume=True, **kw)
    with pytest.raises(ValueError, match="not a coverage checkpoint store"):
        other = tmp_path / "plain.zarr"
        io.write_dataset(ref, other)
        coverage(sats, times, grid, checkpoint=other, resume=True, **kw)
    with pytest.raises(ValueError, match="needs checkpoint"):
        coverage(sats, times, grid, resume=True)
