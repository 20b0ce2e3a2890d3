"""The map examples run end to end with tiny settings and write the images and result they promise."""

from __future__ import annotations

import os
import subprocess
import sys

PNG = b"\x89PNG\r\n\x1a\n"


def _run(repo_root, script: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, str(repo_root / "examples" / script), *args], cwd=repo_root,
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_coverage_maps_gallery(repo_root, tmp_path):
    _run(repo_root, "coverage_maps.py", "--quick", "--out", str(tmp_path), "--dpi", "50")
    expected = ["coverage_fraction", "revisit_max", "sats_in_view_mean", "area_covered",
                "china_coverage_fraction", "cities_revisit_max", "cities_sats_in_view", "ground_tracks",
                "footprints"]
    for name in expected:
        data = (tmp_path / f"{name}.png").read_bytes()
        assert data[:8] == PNG and len(data) > 2000, name


def test_coverage_from_tle(repo_root, tmp_path):
    proc = _run(repo_root, "coverage_from_tle.py", "--duration", "20m", "--step", "300", "--res", "10",
                "--out", str(tmp_path), "--fom", "sats_in_view_mean")
    assert "368 satellites" in proc.stdout
    result = [p for p in tmp_path.iterdir() if p.name.startswith("coverage.")]
    assert len(result) == 1
    from constellation.io import read_dataset

    ds = read_dataset(result[0])
    assert ds.sizes["lat"] == 18 and ds.sizes["lon"] == 36 and "sats_in_view_mean" in ds
    assert (tmp_path / "sats_in_view_mean.png").read_bytes()[:8] == PNG
