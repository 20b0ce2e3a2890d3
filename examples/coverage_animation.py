"""A day of Jinan-368 coverage as an animation and a self-contained HTML report, plus the pictures the
README shows: one frame of the animation and a screenshot of the report in headless Chromium (when one is
installed)::

    uv run python examples/coverage_animation.py                        # 1 day at 60 s, 2 degree grid
    uv run python examples/coverage_animation.py --quick --out /tmp/a   # 30 minutes, 10 degree grid
    uv run python examples/coverage_animation.py --out examples/images --frame-only   # the README images

Writes ``day.nc`` (with snapshots every 10 minutes), ``day.gif``, ``report.html``,
``animation_frame.png`` and, with Chromium, ``report_screenshot.png`` into ``--out``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402

import constellation as C  # noqa: E402
from constellation import grid, plot, report  # noqa: E402
from constellation.io import write_dataset  # noqa: E402


def screenshot(html: Path, png: Path, width: int = 1280, height: int = 1500) -> bool:
    """Render ``html`` in headless Chromium with networking disabled into ``png``; False without a browser."""
    browser = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)),
                   None)
    if browser is None:
        return False
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--host-resolver-rules=MAP * ~NOTFOUND", "--hide-scrollbars", f"--user-data-dir={profile}",
                        f"--window-size={width},{height}", f"--screenshot={png.resolve()}",
                        html.resolve().as_uri()], check=True, capture_output=True, timeout=120)
    return png.is_file()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="animation", help="output folder (default: %(default)s)")
    ap.add_argument("--quick", action="store_true", help="small settings: 30 minutes, 10 degree grid")
    ap.add_argument("--no-screenshot", action="store_true", help="do not open the report in Chromium")
    ap.add_argument("--frame-only", action="store_true",
                    help="keep only the two pictures (animation_frame.png, report_screenshot.png)")
    ap.add_argument("--frame", type=int, default=40, help="which snapshot to save as a picture (default: 40)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    sats = C.jinan368()
    times = C.time_range("2026-01-01", duration="30m" if args.quick else "1d", step_s=60)
    g = grid.global_grid(10.0 if args.quick else 2.0)
    ds = C.coverage(sats, times, g, snapshots="10m")
    work = Path(tempfile.mkdtemp()) if args.frame_only else out
    write_dataset(ds, work / "day.nc")
    anim = plot.animate(ds, None if args.frame_only else work / "day.gif")
    k = min(args.frame, anim.n_frames - 1)
    frame = anim.frame_image(k).quantize(256, method=Image.Quantize.FASTOCTREE)  # a palette PNG: small
    frame.save(out / "animation_frame.png", optimize=True)
    plt.close(anim.fig)
    html = report.write_report(ds, work / "report.html", max_frames=24 if args.frame_only else 72)
    shot = not args.no_screenshot and screenshot(html, out / "report_screenshot.png")
    print(f"{anim.n_frames} frames; wrote {out / 'animation_frame.png'}"
          + ("" if args.frame_only else f", {work / 'day.gif'}, {html}")
          + (f", {out / 'report_screenshot.png'}" if shot else " (no report screenshot)"))
    if args.frame_only:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
