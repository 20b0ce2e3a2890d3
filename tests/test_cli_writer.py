"""The coverage command's helper process (``constellation.cli._child``): the command builds and writes its
result there, and the file, the summary and the errors are those of the command done in one process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from constellation import io

SMALL = ["--duration", "2h", "--step", "60s", "--grid-deg", "10"]
FORK_OFF = {**os.environ, "CONSTELLATION_NO_FORK": "1"}
FORK_ON = {k: v for k, v in os.environ.items() if k != "CONSTELLATION_NO_FORK"}
LINUX = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the helper process is forked on Linux only")


def _python(code: str, env=None, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, env=FORK_ON if env is None else env)


def _command(args, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "constellation", "coverage", *args], capture_output=True,
                          text=True, timeout=300, env=env)


@LINUX
def test_same_file_and_summary_as_in_one_process(tmp_path):
    """Every variable, coordinate and attribute (but the time stamps of ``history``) as when the command
    writes the file itself, and the same summary (but its run time)."""
    forked, alone = tmp_path / "forked.nc", tmp_path / "alone.nc"
    a = _command([*SMALL, "-o", str(forked)], FORK_ON)
    b = _command([*SMALL, "-o", str(alone)], FORK_OFF)
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    da, db = io.read_dataset(forked), io.read_dataset(alone)
    ha, hb = da.attrs.pop("history"), db.attrs.pop("history")
    stamp = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", re.M)  # (each line starts with its time stamp)
    assert stamp.sub("", ha) == stamp.sub("", hb) and len(stamp.findall(ha)) == 2
    assert da.identical(db)
    assert set(da.data_vars) >= {"coverage_fraction", "revisit_max_s", "area_covered_fraction"}
    strip = lambda text: text.split(" Run time ")[0]  # noqa: E731
    assert strip(a.stdout) == strip(b.stdout) and a.stdout.startswith("Coverage of 368 satellites")
    assert f"written to {forked}" in a.stdout


@LINUX
def test_the_command_process_never_loads_xarray(tmp_path):
    """The point of it: xarray is loaded by the helper, not beside the kernels (and with the variable set,
    by the command itself)."""
    out = tmp_path / "x.nc"
    code = f"""
        import sys
        from constellation.cli import main
        code = main(['coverage', '--quiet', *{SMALL!r}, '-o', {str(out)!r}])
        print(code, 'xarray' in sys.modules, 'h5py' in sys.modules)
    """
    assert _python(code).stdout.split() == ["0", "False", "False"]
    assert io.read_dataset(out)["coverage_fraction"].shape == (18, 36)
    assert _python(code, FORK_OFF).stdout.split() == ["0", "True", "True"]


@LINUX
def test_bad_input_after_the_fork_is_one_line_exit_2_and_no_file(tmp_path):
    out = tmp_path / "x.nc"
    proc = _command([*SMALL, "--start", "not-a-time", "-o", str(out)], FORK_ON)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "--start" in proc.stderr
    assert not out.exists() and os.listdir(tmp_path) == []


@LINUX
def test_an_error_in_the_helper_is_the_command_error(tmp_path):
    """A write that fails in the helper (here, the destination became a directory meanwhile) is reported as
    the command reports it in one process: one line, the same message, nothing left behind."""
    out = tmp_path / "x.nc"
    code = f"""
        import os, sys
        from constellation.cli import coverage as cov
        real = cov._write
        def write(request):
            os.mkdir({str(out)!r})  # made after the command's own checks
            return real(request)
        cov._write = write
        from constellation.cli import main
        sys.exit(main(['coverage', '--quiet', *{SMALL!r}, '-o', {str(out)!r}]))
    """
    forked, alone = _python(code), _python(code, FORK_OFF)
    assert forked.returncode == alone.returncode != 0
    assert forked.stderr == alone.stderr and forked.stderr.count("\n") == 1
    assert "is a directory" in forked.stderr
    assert sorted(os.listdir(tmp_path)) == ["x.nc"] and os.listdir(out) == []


_MECHANISM = """
import os, sys
from constellation.cli import _child

class Odd(Exception):
    def __reduce__(self):
        raise TypeError("does not pickle")

def serve(request):
    if request == "boom":
        raise ValueError("boom: bad value")
    if request == "die":
        os._exit(3)
    if request == "odd":
        raise Odd("odd one")
    return (request, os.getpid(), "json" in sys.modules)

child = _child.start(serve, preload=("json",))
assert child is not None
what = sys.argv[1]
if what == "close":
    pid = child.pid
    child.close()
    print(os.waitpid(pid, 0)[1])
else:
    try:
        print(repr(child.call(what)), os.getpid())
    except BaseException as exc:
        print(type(exc).__name__, exc)
"""


@LINUX
@pytest.mark.parametrize("request_, expected", [
    ("ping", None),
    ("boom", "ValueError boom: bad value"),
    ("die", "RuntimeError the helper process ended without answering (exit status 3)"),
    ("odd", "RuntimeError Odd: odd one"),
])
def test_helper_answers_or_raises(request_, expected):
    proc = subprocess.run([sys.executable, "-c", _MECHANISM, request_], capture_output=True, text=True,
                          timeout=120, env=FORK_ON)
    assert proc.returncode == 0, proc.stderr
    line = proc.stdout.strip()
    if expected is None:  # served by another process, which had loaded what it was told to
        answer, pid = line.rsplit(" ", 1)
        served, child_pid, preloaded = eval(answer)  # noqa: S307 - the repr of a tuple this test made
        assert served == "ping" and child_pid != int(pid) and preloaded
    else:
        assert line == expected


@LINUX
def test_helper_let_go_ends_without_serving():
    proc = subprocess.run([sys.executable, "-c", _MECHANISM, "close"], capture_output=True, text=True,
                          timeout=120, env=FORK_ON)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "0"  # exit status 0: it saw the pipe closed


def test_not_used_where_a_fork_would_be_unsafe_or_useless(monkeypatch):
    """This process (the test session) has numba loaded and other threads: no fork; nor with the variable
    set, nor where the libraries are loaded already."""
    from constellation.cli import _child

    assert "numba" in sys.modules
    assert not _child.usable(("xarray",))
    assert _child.start(lambda r: r, ("xarray",)) is None
    code = "from constellation.cli import _child; print(_child.usable(('json',)), _child.usable(('sys',)))"
    assert _python(code).stdout.split() == (["True", "False"] if sys.platform.startswith("linux") else
                                            ["False", "False"])
    assert _python(code, FORK_OFF).stdout.split() == ["False", "False"]


def test_parts_build_the_dataset_that_coverage_returns():
    """``coverage_parts`` + ``build_dataset`` is ``coverage`` (but the time stamp in ``history``), for a grid
    and for sites (indexed by name); the keywords it does not take are refused."""
    import constellation as C
    from constellation.api import coverage_parts

    plan = C.jinan368()
    t = C.time_range("2026-01-01", duration="1h", step_s=60)
    for grid in (C.grid.global_grid(10.0), C.grid.points([36.65, 0.0], [117.0, 10.0])):
        a, b = C.coverage(plan, t, grid), io.build_dataset(coverage_parts(plan, t, grid))
        assert a.attrs.pop("history").split(" ", 1)[1] == b.attrs.pop("history").split(" ", 1)[1]  # (its stamp)
        assert a.identical(b)
        assert list(a.xindexes) == list(b.xindexes)
        np.testing.assert_array_equal(a["coverage_fraction"].values, b["coverage_fraction"].values)
    for kw in (dict(snapshots=2), dict(by_gateway=True), dict(checkpoint="x.zarr")):
        with pytest.raises(ValueError, match="coverage_parts does not take"):
            coverage_parts(plan, t, C.grid.global_grid(10.0), **kw)


def _ended(pid: int) -> bool:
    """Whether process ``pid`` has ended (gone, or a zombie waiting for its parent to collect it)."""
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


@LINUX
def test_killed_command_leaves_no_file_and_no_helper(tmp_path):
    """``kill -9`` of the command while it computes: the helper sees its pipe close and ends without
    writing anything."""
    import time

    out = tmp_path / "day.nc"
    proc = subprocess.Popen([sys.executable, "-m", "constellation", "coverage", "--quiet", "--duration", "2d",
                             "-o", str(out)], env=FORK_ON, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    children = f"/proc/{proc.pid}/task/{proc.pid}/children"
    kids: list[str] = []
    deadline = time.monotonic() + 60
    while not kids and time.monotonic() < deadline and proc.poll() is None:
        kids = open(children).read().split()
        time.sleep(0.01)
    assert kids, "the command forked no helper"
    time.sleep(0.3)  # the command loads numba and its kernels, the helper xarray
    proc.kill()
    proc.wait()
    helper = int(kids[0])
    deadline = time.monotonic() + 30
    while not _ended(helper) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _ended(helper)
    assert os.listdir(tmp_path) == []


def test_large_results_and_site_runs_stay_in_one_process(tmp_path):
    """The helper holds a second copy of the result: only grid runs whose result is bounded by
    ``HELPER_MAX_BYTES`` (a quarter degree, or half a degree with services) are sent to it; site runs,
    whose series size the sites file decides, are written by the command itself."""
    import argparse

    from constellation.cli.coverage import _fits_helper

    def fits(**kw):
        return _fits_helper(argparse.Namespace(**{**dict(grid_deg=1.0, sites=None, per_group=False,
                                                           requirement=[]), **kw}))

    assert fits() and fits(grid_deg=0.25) and fits(grid_deg=0.5, per_group=True)
    assert not fits(grid_deg=0.2) and not fits(grid_deg=0.25, requirement=["eo:elev=10"])
    assert not fits(sites="sites.csv") and not fits(grid_deg=float("nan"))
    sites = tmp_path / "sites.csv"
    sites.write_text("name,lat,lon\nJinan,36.65,117.0\n")
    code = f"""
        import sys
        from constellation.cli import main
        code = main(['coverage', '--quiet', '--duration', '1h', '--sites', {str(sites)!r}, '-o',
                     {str(tmp_path / 'sites.nc')!r}])
        print(code, 'xarray' in sys.modules)
    """
    assert _python(code).stdout.split() == ["0", "True"]
