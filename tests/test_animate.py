"""Animations of coverage snapshots: every frame shows exactly ``coverage_counts`` at its sample (in the
artists and, decoded back, in the written GIF), the tracks between snapshots follow SGP4, and the files
are written atomically (GIF with Pillow, MP4 with ffmpeg where installed)."""

from __future__ import annotations

import shutil

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

import constellation as C  # noqa: E402
from constellation import design  # noqa: E402
from constellation import grid as G  # noqa: E402
from constellation import plot as P  # noqa: E402
from constellation.api import coverage_counts  # noqa: E402


@pytest.fixture(scope="module")
def sats():
    a = design.walker_delta(24, 4, 1, 53.0, 550.0, "2026-01-01", group="comm")
    b = design.walker_delta(4, 2, 0, 97.5, 500.0, "2026-01-01", group="eo", name_prefix="E",
                            first_catalog_number=331_001)
    return a + b


@pytest.fixture(scope="module")
def times():
    return C.time_range("2026-01-01", duration="60m", step_s=60)


@pytest.fixture(scope="module")
def run10(sats, times):
    return C.coverage(sats, times, G.global_grid(10.0), snapshots="10m")


@pytest.mark.parametrize("grid", [G.global_grid(10.0), G.equal_area(15.0),
                                  G.points([39.9, -33.9, 0.0], [116.4, 151.2, -60.0], ["a", "b", "c"]),
                                  G.region(lat=(-40, 10), lon=(150, -140), res_deg=5.0)],
                         ids=["global", "equal_area", "points", "region_antimeridian"])
def test_frames_equal_coverage_counts_cell_for_cell(sats, times, grid):
    ds = C.coverage(sats, times, grid, snapshots="10m")
    full = coverage_counts(sats, times, grid)  # the default (Hermite) positions, the whole window
    anim = P.animate(ds)
    assert anim.n_frames == 7
    for k in range(anim.n_frames):
        anim.draw(k)
        assert np.array_equal(anim.counts(k), full[10 * k].reshape(grid.shape)), k
    if grid.kind == "regular" and grid.lon[-1] < grid.lon[0]:  # the box reaches past 180 on the map
        assert anim.ax.get_xlim() == pytest.approx((150, 220))
        lon = ds["sat_lon_deg"].values[-1]
        shown = np.concatenate([anim._pts[g].get_offsets()[:, 0] for g in anim._pts])
        west = lon[(lon > -180) & (lon < -140)]  # satellites over 180..140 W are drawn at 180..220
        assert west.size and np.all(np.isin(np.round(west + 360, 9), np.round(shown, 9)))
    plt.close(anim.fig)


def _level_colours(anim):
    cm, norm = anim._meshes[0][0].get_cmap(), anim._meshes[0][0].norm
    levels = np.arange(norm.boundaries.size - 1)
    return levels, np.array([cm(norm(v))[:3] for v in levels]) * 255.0


def test_written_gif_frames_decode_to_the_counts(tmp_path, sats, times, run10):
    """Read the GIF back and read each cell's colour at its centre: the count it encodes is the count."""
    anim = P.animate(run10, footprints=False, tracks=False, land=False)
    for points in anim._pts.values():  # the sub-satellite points would hide a few cell centres
        points.set_visible(False)
    anim.save(tmp_path / "c.gif", dpi=80)
    full = coverage_counts(sats, times, G.global_grid(10.0))
    levels, rgb = _level_colours(anim)
    lat, lon = np.meshgrid(run10["lat"].values, run10["lon"].values, indexing="ij")
    xy = anim.ax.transData.transform(np.column_stack([lon.ravel(), lat.ravel()]))
    renderer = anim.fig.canvas.get_renderer()
    hidden = np.zeros(len(xy), bool)  # cells under the clock and the legend are not visible
    for artist in (anim._clock, anim.ax.get_legend()):
        bb = artist.get_window_extent(renderer).expanded(1.1, 1.1)
        hidden |= bb.contains(xy[:, 0], xy[:, 1]) if hasattr(bb.contains(0, 0), "__len__") else \
            np.array([bb.contains(x, y) for x, y in xy])
    assert hidden.sum() < 0.1 * len(xy)
    gif = Image.open(tmp_path / "c.gif")
    assert gif.n_frames == 7 and gif.size == (800, 480)
    for k in range(gif.n_frames):
        gif.seek(k)
        img = np.asarray(gif.convert("RGB"), dtype=float)
        px = img[(img.shape[0] - xy[:, 1]).astype(int), xy[:, 0].astype(int)]
        dist = np.linalg.norm(px[:, None, :] - rgb[None, :, :], axis=2)
        dist = dist[~hidden]
        assert dist.min(axis=1).max() < 12  # every sampled pixel is one of the level colours
        assert np.array_equal(levels[dist.argmin(axis=1)], full[10 * k].ravel()[~hidden]), k
    plt.close(anim.fig)


def test_track_between_snapshots_follows_sgp4(sats):
    """Tracks drawn between 10-minute snapshots stay within 0.1 deg of the SGP4 sub-satellite points."""
    t = C.time_range("2026-01-01", duration="100m", step_s=75)
    pos = C.propagate(sats, t)
    lat, lon = pos["lat_deg"].values.T, pos["lon_deg"].values.T
    worst = 0.0
    for j in range(0, lat.shape[0] - 8, 8):
        la, lo = P.track_between(lat[[j, j + 8]], lon[[j, j + 8]], 600.0, n=8)
        u, v = P._unit_vectors(la, lo), P._unit_vectors(lat[j:j + 9], lon[j:j + 9])
        worst = max(worst, float(np.degrees(np.arccos(np.clip((u * v).sum(-1), -1, 1))).max()))
    assert 0.0 < worst < 0.1
    la, lo = P.track_between(lat[[0, 40]], lon[[0, 40]], 3000.0)  # half an orbit apart: no way to tell
    assert np.isnan(la[1:-1]).all()


def test_frame_has_clock_legend_and_scenario(run10):
    anim = P.animate(run10)
    anim.draw(3)
    assert anim._clock.get_text().startswith("2026-01-01 00:30 UTC")
    assert [t.get_text() for t in anim.ax.get_legend().get_texts()] == ["comm (24)", "eo (4)"]
    assert "walker-delta" in anim.ax.get_title() and "elevation >= 10°" in anim.ax.get_title()
    assert len(anim._fp["comm"].get_paths()) >= 24 and len(anim._trails["comm"].get_segments()) >= 24
    plt.close(anim.fig)


def test_save_is_atomic_and_formats(tmp_path, monkeypatch, run10):
    anim = P.animate(run10, dpi=40)
    out = tmp_path / "a.gif"
    out.write_bytes(b"old")
    calls = {"n": 0}
    real = anim.frame_image

    def failing(k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(k)

    monkeypatch.setattr(anim, "frame_image", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        anim.save(out)
    assert out.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["a.gif"]
    monkeypatch.undo()
    with pytest.raises(ValueError, match="use a .gif or .mp4"):
        anim.save(tmp_path / "a.avi")
    from matplotlib import animation as manim

    monkeypatch.setattr(manim.writers, "is_available", lambda name: False)
    with pytest.raises(RuntimeError, match="needs ffmpeg .* write a .gif instead"):
        anim.save(tmp_path / "a.mp4")
    plt.close(anim.fig)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed (apt-get install ffmpeg)")
def test_mp4_with_ffmpeg(tmp_path, run10):
    anim = P.animate(run10, tmp_path / "a.mp4", dpi=40)
    assert (tmp_path / "a.mp4").read_bytes()[4:8] == b"ftyp"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4"]
    plt.close(anim.fig)


def test_cli_animate(tmp_path, capsys, run10):
    from constellation.cli import main
    from constellation.io import write_dataset

    nc = write_dataset(run10, tmp_path / "run.nc")
    out = tmp_path / "run.gif"
    assert main(["animate", str(nc), "-o", str(out), "--dpi", "40", "--service", "any"]) == 2
    assert "no service dimension" in capsys.readouterr().err
    assert main(["animate", str(nc), "-o", str(out), "--dpi", "40", "--trail", "0", "--no-footprints"]) == 0
    assert "7 frames" in capsys.readouterr().out and Image.open(out).n_frames == 7
    plain = write_dataset(run10.drop_vars(["sats_in_view_snapshot", "sat_lat_deg", "sat_lon_deg", "sat_alt_km"]),
                          tmp_path / "plain.nc")
    assert main(["animate", str(plain), "-o", str(out)]) == 2
    assert "no snapshots" in capsys.readouterr().err
    assert main(["animate", str(nc), "-o", str(tmp_path / "x.png")]) == 2
    assert main(["coverage", "--duration", "30m", "--step", "60s", "--grid-deg", "30", "--snapshots", "90s",
                 "-o", str(tmp_path / "c.nc"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "error: --snapshots: '90s' (90 s) is not a whole multiple of the run's step (60 s)" in err


def test_frames_drawn_over_the_background_equal_a_full_draw(run10):
    """Frames redraw only what changes over a cached background; the pixels are those of a full draw."""
    anim = P.animate(run10)
    for k in (0, 4, 2):
        fast = np.asarray(anim.frame_image(k))
        anim.fig.canvas.draw()
        full = np.asarray(anim.fig.canvas.buffer_rgba())[..., :3]
        assert fast.shape == full.shape and np.abs(fast.astype(int) - full).max() <= 2, k
    plt.close(anim.fig)


def test_example_script(repo_root, tmp_path):
    import os
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, str(repo_root / "examples" / "coverage_animation.py"), "--quick",
                           "--no-screenshot", "--out", str(tmp_path)], env=dict(os.environ, MPLBACKEND="Agg"),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "4 frames" in proc.stdout
    assert Image.open(tmp_path / "day.gif").n_frames == 4
    assert Image.open(tmp_path / "animation_frame.png").size == (800, 480)
    assert (tmp_path / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_cone_footprint_matches_nadir_angle_geometry():
    """At the edge of a cone footprint the line of sight is exactly the half-angle off nadir (vector oracle);
    a cone wider than the Earth's disc reaches the horizon."""
    R = P.EARTH_RADIUS_KM
    for h, eta in [(535.0, 30.0), (1000.0, 45.0), (20200.0, 10.0)]:
        lam = np.radians(P.cone_footprint_deg(h, eta))
        sat = np.array([0.0, 0.0, R + h])
        ground = R * np.array([np.sin(lam), 0.0, np.cos(lam)])
        los = ground - sat
        off_nadir = np.degrees(np.arccos(np.dot(los, -sat) / (np.linalg.norm(los) * np.linalg.norm(sat))))
        assert off_nadir == pytest.approx(eta, abs=1e-9)
    assert P.cone_footprint_deg(550.0, 89.0) == pytest.approx(P.footprint_half_angle_deg(550.0, 0.0), abs=1e-9)


def test_footprints_follow_each_groups_requirement(sats, times):
    reqs = {"comm": C.Requirement(10.0), "eo": C.Requirement(10.0, 30.0)}
    ds = C.coverage(sats, times, G.global_grid(30.0), requirements=reqs, snapshots="30m")
    anim = P.animate(ds)
    assert "each group's requirement" in anim.ax.get_title()
    for g, idx in (("comm", slice(0, 24)), ("eo", slice(24, 28))):
        lat, lon = ds["sat_lat_deg"].values[0, idx], ds["sat_lon_deg"].values[0, idx]
        alt = ds["sat_alt_km"].values[0, idx]
        want = P.footprint_half_angle_deg(alt, 10.0)
        if g == "eo":  # the 30-degree cone binds before the 10-degree mask
            want = P.cone_footprint_deg(alt, 30.0)
            assert np.all(want < P.footprint_half_angle_deg(alt, 10.0))
        anim.draw(0)
        v = P._unit_vectors(lat, lon)
        for path in anim._fp[g].get_paths():
            p = P._unit_vectors(path.vertices[:-1, 1], path.vertices[:-1, 0])
            dist = np.degrees(np.arccos(np.clip(p @ v.T, -1, 1)))  # from each vertex to each satellite
            i = np.argmin(np.abs(dist - want[None, :]).max(axis=0))  # the satellite this outline belongs to
            assert np.abs(dist[:, i] - want[i]).max() < 1e-6, g
    plt.close(anim.fig)
