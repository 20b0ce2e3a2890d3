"""The analysis-script example runs end to end with small settings and prints its comparison table."""

from __future__ import annotations

import os
import subprocess
import sys


def test_analysis_script(repo_root):
    proc = subprocess.run([sys.executable, str(repo_root / "examples" / "analysis_script.py"), "--hours", "2",
                           "--grid-deg", "10", "--step-s", "600"], cwd=repo_root, capture_output=True, text=True,
                          timeout=600, env=dict(os.environ, MPLBACKEND="Agg"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    rows = [ln for ln in lines if ln.startswith(("launched (26)", "full plan (368)"))]
    assert len(rows) == 4, proc.stdout
    # coverage % column: the full plan covers more than its 26 launched satellites, in both regions
    launched = [float(r.split()[3]) for r in rows if r.startswith("launched")]  # "launched (26) China 37.1"
    full = [float(r.split()[4]) for r in rows if r.startswith("full")]  # "full plan (368) China 100.0"
    assert min(full) > max(launched) and 0 < min(launched) and max(full) <= 100


def _example(repo_root, script, *args):
    proc = subprocess.run([sys.executable, str(repo_root / "examples" / script), *args], cwd=repo_root,
                          capture_output=True, text=True, timeout=600, env=dict(os.environ, MPLBACKEND="Agg"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_navigation_augmentation(repo_root, tmp_path):
    out = _example(repo_root, "navigation_augmentation.py", "--duration", "30m", "--step-s", "900",
                   "--grid-deg", "10", "--out", str(tmp_path), "--dpi", "40")
    assert out.startswith("Augmentation of 134 GNSS satellites") and "Over China" in out
    rows = [ln.split() for ln in out.splitlines() if ln.strip().startswith(("10 ", "30 ")) and "mask" not in ln]
    assert len(rows) == 2
    for _, base, aug, *_ in rows:  # the nav group never worsens the mean PDOP
        assert float(aug) <= float(base)
    for mask in (10, 30):
        assert (tmp_path / f"augmentation_pdop_{mask}deg.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bent_pipe(repo_root, tmp_path):
    out = _example(repo_root, "bent_pipe.py", "--duration", "30m", "--step-s", "600", "--grid-deg", "10",
                   "--out", str(tmp_path), "--dpi", "40")
    globe = [ln for ln in out.splitlines() if ln.startswith("globe:")][0]
    covered, served = (float(x.split()[0]) for x in globe.split("covered ")[1].split("served through a gateway "))
    assert 0 < served < covered  # far from the gateways, covered is not served
    assert "Jinan" in out and (tmp_path / "bent_pipe_served_fraction.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
def test_earth_observation(repo_root, tmp_path):
    """The Earth-observation example runs on the shipped plan and network, prints its city table and
    writes its two maps."""
    proc = subprocess.run([sys.executable, str(repo_root / "examples" / "earth_observation.py"), "--duration",
                           "6h", "--res", "6", "--out", str(tmp_path)], cwd=repo_root, capture_output=True,
                          text=True, timeout=600, env=dict(os.environ, MPLBACKEND="Agg"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [ln.split() for ln in proc.stdout.splitlines() if ln.startswith(("Beijing", "Urumqi", "Lhasa"))]
    assert len(rows) == 3, proc.stdout
    for r in rows:  # images > 0, revisit and latency positive and finite (minutes below a day)
        assert int(r[1]) > 0 and 0 < float(r[2]) and 0 < float(r[4]) <= float(r[5]) < 1440
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eo_latency_mean_s.png", "eo_revisit_mean_s.png"]
def test_deployment_china(repo_root, tmp_path):
    proc = subprocess.run([sys.executable, str(repo_root / "examples" / "deployment_china.py"), "--quick",
                           "--launches", "3", "--out", str(tmp_path)], cwd=repo_root, capture_output=True, text=True,
                          timeout=600, env=dict(os.environ, MPLBACKEND="Agg"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [ln.split() for ln in proc.stdout.splitlines() if ln[:5].strip().isdigit() and len(ln.split()) == 6]
    assert [int(r[0]) for r in rows] == [0, 1, 2, 3]
    sats = [int(r[2]) for r in rows]
    assert sats == [26, 46, 66, 86]  # 20 a launch on top of the 26 launched
    china, globe = [float(r[3]) for r in rows], [float(r[5]) for r in rows]
    assert all(b >= a for a, b in zip(china, china[1:])) and all(b >= a for a, b in zip(globe, globe[1:]))
    assert globe[-1] > globe[0]
    png = tmp_path / "next_launch_china.png"
    assert png.read_bytes()[:4] == b"\x89PNG"
