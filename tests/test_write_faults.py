"""A disk that fills during a write: every writer of the package ends with one line naming the output and
the cause, leaves no partial output at the path and no temporary beside it, and never crashes (HDF5 used
to end the process with a segmentation fault when the disk filled inside its write).

Without root, a full disk is imitated with a file-size limit (``RLIMIT_FSIZE`` with SIGXFSZ ignored: a
write past the limit stops short, then fails with EFBIG, as a write to a full disk does with ENOSPC).  Where
unprivileged user namespaces are available, a real full disk is also tried: a 256 KiB tmpfs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import pytest

# The inputs are made first; then the limit is set and every writer runs in turn, in one process (the
# process must survive them all).  Bytecode is neither read-modified nor written under the limit.
_WRITERS = textwrap.dedent("""
    import contextlib, io, json, os, resource, signal, sys
    from pathlib import Path
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    import constellation.bytecode as bc
    bc.write_missing = lambda *a, **k: 0
    from constellation.cli import main

    out, limit = Path(sys.argv[1]), int(sys.argv[2])
    src = out / "inputs" / "src.nc"
    src.parent.mkdir()
    def run(argv):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(argv)
        return [code, err.getvalue()]
    cov = ["--duration", "1h", "--step", "10m", "--grid-deg", "20", "-q"]
    assert run(["coverage", *cov, "--snapshots", "10m", "-o", str(src)])[0] == 0
    cases = {
        "netcdf": ["coverage", *cov, "-o", str(out / "cov.nc")],
        "zarr": ["coverage", *cov, "-o", str(out / "cov.zarr")],
        "dop": ["dop", "--duration", "1h", "--step", "30m", "--grid-deg", "30", "-o", str(out / "dop.nc")],
        "png": ["plot", str(src), "-o", str(out / "map.png")],
        "csv": ["passes", "--site=0,0,0", "--duration", "12h", "--csv", str(out / "passes.csv")],
        "html": ["report", str(src), "--no-animation", "-o", str(out / "report.html")],
        "tle": ["design", "-o", str(out / "plan.tle")],
        "gif": ["animate", str(src), "-o", str(out / "day.gif")],
    }
    import importlib
    for argv in cases.values():  # the subcommands' modules, before the limit
        importlib.import_module("constellation.cli." + argv[0])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    results = {name: run(argv) for name, argv in cases.items()}
    from constellation.atomic import write_text
    results["small"] = [str(write_text(out / "small.txt", "fits\\n")), ""]
    print(json.dumps(results))
    sys.stdout.flush()
    os._exit(0)
""")


def test_every_writer_past_a_file_size_limit_fails_cleanly(tmp_path):
    from constellation.checkpoint import IncompleteRunError
    from constellation.io import read_dataset

    proc = subprocess.run([sys.executable, "-B", "-c", _WRITERS, str(tmp_path), "3000"], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]  # never a crash (it was -11, SIGSEGV, in HDF5's close)
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    outputs = {"netcdf": "cov.nc", "zarr": "cov.zarr", "dop": "dop.nc", "png": "map.png", "csv": "passes.csv",
               "html": "report.html", "tle": "plan.tle", "gif": "day.gif"}
    for name, output in outputs.items():
        code, err = results[name]
        path = tmp_path / output
        what = "checkpoint store " if name == "zarr" else ""
        assert code == 1, (name, err)  # an I/O failure while running: exit 1, as the CLI's other OSErrors
        assert err.count("\n") == 1 and err.startswith("constellation "), (name, err)
        assert f": error: [Errno 27] cannot write {what}'{path}': File too large" in err, (name, err)
        assert err.rstrip().endswith("(OSError)"), (name, err)
    # nothing was left but the inputs, the small file that fitted, and the resumable store (whole chunks only)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cov.zarr", "inputs", "small.txt"]
    assert (tmp_path / "small.txt").read_text() == "fits\n"
    assert "resume the run" in results["zarr"][1]
    assert not [p for p in (tmp_path / "cov.zarr").rglob("*") if p.name.endswith(".tmp")]
    with pytest.raises(IncompleteRunError, match="incomplete coverage run"):
        read_dataset(tmp_path / "cov.zarr")


# A NetCDF write and a text write on a real, tiny, full file system (ENOSPC).  The free-space check made
# before a NetCDF write is disabled: it stands for another process filling the disk during the write.
_TMPFS = textwrap.dedent("""
    import sys
    import numpy as np, xarray as xr
    from pathlib import Path
    from constellation import formats, io
    formats._check_free_space = lambda path, need: None
    out = Path(sys.argv[1])
    ds = xr.Dataset({"noise": (("x",), np.random.default_rng(1).random(200_000))})
    for path, write in ((out / "big.nc", lambda p: io.write_dataset(ds, p)),
                        (out / "big.csv", lambda p: io.write_text(p, "0123456789\\n" * 100_000))):
        try:
            write(path)
            print("written", path)
        except OSError as exc:
            print(exc)
    print(sorted(p.name for p in out.iterdir()))
""")


def _tmpfs_available() -> bool:
    if shutil.which("unshare") is None or sys.platform != "linux":
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /tmp"],
                           capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _tmpfs_available(), reason="no unprivileged mount namespace for a tiny tmpfs")
def test_a_full_tmpfs_fails_cleanly(tmp_path):
    mnt = tmp_path / "full"
    mnt.mkdir()
    script = tmp_path / "write.py"
    script.write_text(_TMPFS)
    cmd = f'mount -t tmpfs -o size=256k tmpfs "{mnt}" && exec "{sys.executable}" -B "{script}" "{mnt}"'
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", cmd], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.strip().splitlines()
    assert lines == [f"[Errno 28] cannot write '{mnt / 'big.nc'}': No space left on device",
                     f"[Errno 28] cannot write '{mnt / 'big.csv'}': No space left on device",
                     "[]"]
