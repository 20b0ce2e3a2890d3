"""Packaging: the wheel installs ``constellation`` (with ``kernels`` and ``tle_data`` inside it) and nothing
generic; numba caching works or switches off cleanly.

The wheel test builds the distribution with uv, installs it into a fresh virtual environment and imports
the package from there, far from the source tree.  It needs ``uv`` on PATH (the README's set-up installs
it) and the package registries or uv's cache for the dependencies; it skips, saying why, without uv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest
from conftest import REPO


def _run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory):
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH; the wheel round trip needs it to build and install")
    tmp = tmp_path_factory.mktemp("wheel")
    build = _run([uv, "build", "--wheel", "--out-dir", str(tmp / "dist"), str(REPO)])
    assert build.returncode == 0, build.stderr[-3000:]
    wheels = list((tmp / "dist").glob("jinan_constellation-*.whl"))
    assert len(wheels) == 1, wheels
    venv = tmp / "venv"
    made = _run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)])
    assert made.returncode == 0, made.stderr[-3000:]
    py = venv / "bin" / "python"
    inst = _run([uv, "pip", "install", "--quiet", "--python", str(py), str(wheels[0])])
    assert inst.returncode == 0, inst.stderr[-3000:]
    return wheels[0], py, tmp


def test_wheel_contents_are_namespaced(wheel_venv):
    import zipfile

    wheel, _, _ = wheel_venv
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops <= {"constellation", f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info"}, tops
    assert "constellation/kernels/frames.py" in names
    assert "constellation/tle_data/jinan368.toml" in names
    assert "constellation/tle_data/jinan368.tle" in names
    assert "constellation/samples.py" in names
    assert "constellation/tle_data/samples/gps-ops_2022-02-04.txt" in names
    assert "constellation/tle_data/samples/iridium-NEXT_2025-07-19.tle" in names


def test_wheel_install_imports_and_loads_plan(wheel_venv):
    _, py, tmp = wheel_venv
    code = textwrap.dedent("""
        import pathlib, sysconfig, constellation, constellation.kernels.frames as fr
        site = pathlib.Path(sysconfig.get_paths()["purelib"])
        assert pathlib.Path(constellation.__file__).is_relative_to(site), constellation.__file__
        assert not (site / "kernels").exists() and not (site / "tle_data").exists()
        plan = constellation.jinan368()
        t = constellation.time_range("2026-01-01", duration="10m", step_s=60)
        pos = constellation.propagate(plan, t)
        gps = constellation.samples.load("gps")
        assert constellation.samples.path("gps").is_relative_to(site) and len(gps) == 31
        print(len(plan), int(plan.launched.sum()), pos.sizes["time"], fr.__file__)
    """)
    out = _run([str(py), "-c", code], cwd=tmp, env={**os.environ, "PYTHONPATH": ""})
    assert out.returncode == 0, out.stderr[-3000:]
    n, launched, steps, _ = out.stdout.split()
    assert (int(n), int(launched), int(steps)) == (368, 26, 11)


def test_numba_cache_switches_off_when_unwritable(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where a cache directory would have to be")
    code = ("import constellation.kernels as k, constellation, numpy as np;"
            "g = constellation.grid.global_grid(30);"
            "print(k.CACHE, g.n_cells)")
    env = {**os.environ, "NUMBA_CACHE_DIR": str(blocker / "cache")}
    out = _run([sys.executable, "-c", code], env=env, cwd=REPO)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ["False", "72"]


def test_numba_cache_dir_is_used(tmp_path):
    code = ("import numpy as np, constellation.kernels.frames as fr;"
            "fr.geodetic_from_itrs(np.array([[7000.0, 0.0, 0.0]]))")
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    out = _run([sys.executable, "-c", code], env=env, cwd=REPO)
    assert out.returncode == 0, out.stderr[-3000:]
    assert list((tmp_path / "cache").rglob("*.nbi")), "no numba cache index written"
