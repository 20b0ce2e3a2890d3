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
