"""The HTML report: one self-contained file (every reference a ``data:`` URI, no script, font, link or
frame), whose images decode and whose numbers equal the Dataset's (recomputed here with numpy); and, where
Chromium is installed, rendered in headless Chromium with networking disabled: every image loads, no error
is logged, and the screenshot shows the maps."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
from html.parser import HTMLParser

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

import constellation as C  # noqa: E402
from constellation import design  # noqa: E402
from constellation import grid as G  # noqa: E402
from constellation import report as R  # noqa: E402

URL_ATTRS = {"src", "href", "srcset", "action", "poster", "data", "background", "formaction", "xlink:href"}
LOADING_TAGS = {"script", "link", "iframe", "object", "embed", "frame", "base", "audio", "video", "source"}


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.refs, self.imgs, self.cells, self.styles = [], [], [], [], []
        self._row, self._in_style = None, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self.refs += [(tag, k, v) for k, v in attrs if k in URL_ATTRS and v is not None]
        if "style" in a:
            self.styles.append(a["style"])
        if tag == "img":
            self.imgs.append(a)
        if tag == "tr":
            self._row = {"attrs": a, "cells": []}
            self.cells.append(self._row)
        if tag == "td" and self._row is not None:
            self._row["cells"].append([a.get("data-value"), ""])
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)
        elif self._row is not None and self._row["cells"]:
            self._row["cells"][-1][1] += data


def parse(text: str) -> _Page:
    p = _Page()
    p.feed(text)
    return p


@pytest.fixture(scope="module")
def sats():
    return design.walker_delta(24, 4, 1, 53.0, 550.0, "2026-01-01", group="comm")


@pytest.fixture(scope="module")
def grid_run(sats):
    times = C.time_range("2026-01-01", duration="60m", step_s=60)
    return C.coverage(sats, times, G.global_grid(10.0), snapshots="15m")


@pytest.fixture(scope="module")
def grid_html(grid_run):
    return R.report_html(grid_run, dpi=50, animation_dpi=40)


def test_report_is_self_contained(grid_html):
    page = parse(grid_html)
    assert not LOADING_TAGS & set(page.tags)
    assert page.refs and all(v.startswith("data:image/") for _, _, v in page.refs)
    css = " ".join(page.styles)
    assert "@import" not in css and "@font-face" not in css and not re.search(r"url\s*\(", css)
    assert not re.search(r"(?i)\b(https?|ftp|wss?):|//[a-z0-9]", re.sub(r'src="data:[^"]*"', "", grid_html))


def test_report_images_decode(grid_html):
    page = parse(grid_html)
    foms = [img.get("data-fom") for img in page.imgs]
    assert foms[:5] == ["coverage_fraction", "revisit_max_s", "sats_in_view_mean", "response_mean_s",
                        "area_covered_fraction"]
    for img in page.imgs:
        head, b64 = img["src"].split(",", 1)
        im = Image.open(io.BytesIO(base64.b64decode(b64)))
        im.load()
        assert im.format == ("GIF" if "gif" in head else "PNG") and im.size[0] > 200 and im.size[1] > 100
    anim = [img for img in page.imgs if "data-frames" in img]
    assert len(anim) == 1 and int(anim[0]["data-frames"]) == 5
    assert Image.open(io.BytesIO(base64.b64decode(anim[0]["src"].split(",", 1)[1]))).n_frames == 5


def _weighted(ds, name):
    v = ds[name].values.astype(float)
    w = ds["cell_area_km2"].values
    ok = np.isfinite(v)
    return (v[ok] * w[ok]).sum() / w[ok].sum(), v[ok].min(), v[ok].max()


def test_report_numbers_equal_the_dataset(grid_run, grid_html):
    page = parse(grid_html)
    stats = {r["attrs"]["data-fom"]: r["cells"] for r in page.cells if "data-fom" in r["attrs"]}
    assert set(stats) == {"coverage_fraction", "revisit_max_s", "sats_in_view_mean", "response_mean_s"}
    for fom, cells in stats.items():
        want = _weighted(grid_run, fom)
        got = [float(c[0]) for c in cells[1:]]
        assert got == pytest.approx(want, rel=1e-12, abs=0), fom
        if fom == "revisit_max_s":  # shown in minutes, to 0.1
            assert [c[1] for c in cells[1:]] == [f"{w / 60:.1f} min" for w in want]
    bands = [r["cells"] for r in page.cells if r["attrs"].get("class") == "region"]
    assert [b[0][1] for b in bands] == ["90°S to 60°S", "60°S to 30°S", "30°S to 0°S", "0°N to 30°N",
                                        "30°N to 60°N", "60°N to 90°N"]
    lat = grid_run["lat"].values
    for b, (s, n) in zip(bands, [(-90, -60), (-60, -30), (-30, 0), (0, 30), (30, 60), (60, 90)]):
        rows = (lat >= s) & (lat < n)
        sub = grid_run.isel(lat=np.flatnonzero(rows))
        mean_cf = _weighted(sub, "coverage_fraction")[0]
        assert float(b[2][0]) == pytest.approx(mean_cf, rel=1e-12) and b[2][1] == f"{mean_cf:.4f}".replace(
            "1.0000", "1.00").replace("0.0000", "0.00")
        assert int(b[1][1]) == rows.sum() * grid_run.sizes["lon"]


def test_site_report_table_and_summary(tmp_path, sats):
    pts = G.points([39.9, -33.9, 0.0], [116.4, 151.2, -60.0], ["Beijing", "Sydney", "Equator"])
    times = C.time_range("2026-01-01", duration="60m", step_s=60)
    ds = C.coverage(sats, times, pts)
    path = R.write_report(ds, tmp_path / "sites.html", dpi=40)
    text = path.read_text(encoding="utf-8")
    page = parse(text)
    sites = [r["cells"] for r in page.cells if r["attrs"].get("class") == "region"]
    assert [s[0][1] for s in sites] == ["Beijing", "Sydney", "Equator"]
    assert [float(s[3][0]) for s in sites] == ds["coverage_fraction"].values.tolist()
    assert [float(s[5][0]) for s in sites] == ds["sats_in_view_mean"].values.tolist()
    from constellation.cli.coverage import summarize

    assert summarize(ds).replace("'", "&#x27;") in text
    assert "Animation" not in text  # no snapshots
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sites.html"]
    with pytest.raises(ValueError, match="use a .html"):
        R.write_report(ds, tmp_path / "sites.txt")


def test_cli_report(tmp_path, capsys, grid_run):
    from constellation.cli import main
    from constellation.io import write_dataset

    nc = write_dataset(grid_run, tmp_path / "run.nc")
    assert main(["report", str(nc), "-o", str(tmp_path / "r.html"), "--dpi", "40", "--no-animation"]) == 0
    assert "wrote" in capsys.readouterr().out and "<h1>Coverage report" in (tmp_path / "r.html").read_text()
    assert main(["report", str(tmp_path / "missing.nc"), "-o", str(tmp_path / "m.html")]) == 2
    assert main(["report", str(nc), "-o", str(tmp_path / "nofolder" / "r.html")]) == 2
    assert "does not exist" in capsys.readouterr().err


# ----------------------------------------------------------------------------- in a real browser
def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


# Records every error (failed loads included) and, once the page has loaded, writes what it saw into the
# page, for --dump-dom to return.  Added to a copy of the report only: the report itself has no script.
_CHECKER = """<script>
window.__errors = [];
window.addEventListener("error", function (e) {
  var t = e.target; window.__errors.push(t && t.tagName ? "load " + t.tagName : "script " + e.message); }, true);
var _ce = console.error;
console.error = function () { window.__errors.push("console " + Array.prototype.join.call(arguments, " "));
  _ce.apply(console, arguments); };
window.addEventListener("load", function () {
  var imgs = document.images, broken = 0;
  for (var i = 0; i < imgs.length; i++) { if (!imgs[i].complete || imgs[i].naturalWidth === 0) broken++; }
  var d = document.createElement("pre"); d.id = "render-check";
  d.textContent = "images=" + imgs.length + " broken=" + broken + " errors=" + window.__errors.length + " " +
    window.__errors.join("|");
  document.body.appendChild(d); });
</script>"""

_OFFLINE_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-extensions", "--disable-sync", "--no-first-run", "--disable-component-update",
                  "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9",
                  "--hide-scrollbars"]


@pytest.mark.skipif(_browser() is None, reason="no Chromium or Chrome installed (Debian: apt-get install chromium)")
def test_report_renders_offline_in_headless_chromium(tmp_path, grid_html):
    browser = _browser()
    checked = tmp_path / "checked.html"
    checked.write_text(grid_html.replace("<head>", "<head>" + _CHECKER, 1), encoding="utf-8")
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    dom = subprocess.run([browser, *_OFFLINE_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                          "--virtual-time-budget=10000", "--dump-dom", checked.as_uri()],
                         capture_output=True, text=True, timeout=120, env=env)
    m = re.search(r'id="render-check">([^<]*)<', dom.stdout)
    assert m, f"the page did not finish loading: {dom.stderr[-2000:]}"
    assert m.group(1).strip() == "images=6 broken=0 errors=0"

    # a control: the same check sees a reference to the network, which must fail offline
    bad = tmp_path / "bad.html"
    bad.write_text(checked.read_text().replace("</body>", '<img src="https://example.invalid/x.png"></body>'))
    dom = subprocess.run([browser, *_OFFLINE_FLAGS, f"--user-data-dir={tmp_path / 'profile2'}",
                          "--virtual-time-budget=10000", "--dump-dom", bad.as_uri()],
                         capture_output=True, text=True, timeout=120, env=env)
    assert re.search(r'id="render-check">images=7 broken=1 errors=1 load IMG', dom.stdout)

    # printable: Chromium prints it to a PDF of several pages
    pdf = tmp_path / "report.pdf"
    subprocess.run([browser, *_OFFLINE_FLAGS, f"--user-data-dir={tmp_path / 'profile4'}", "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf}", checked.as_uri()], capture_output=True, text=True, timeout=120, env=env)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    assert pdf.read_bytes()[:5] == b"%PDF-" and 3 <= pages <= 12

    shot = tmp_path / "shot.png"
    page = tmp_path / "report.html"
    page.write_text(grid_html, encoding="utf-8")
    subprocess.run([browser, *_OFFLINE_FLAGS, f"--user-data-dir={tmp_path / 'profile3'}",
                    "--window-size=1280,2400", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, text=True, timeout=120, env=env)
    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert img.shape == (2400, 1280, 3)
    # the coverage map is drawn in viridis: its yellow (fully covered, #fde725) and purple ends are on screen
    yellow = (np.abs(img - [253, 231, 37]).sum(axis=2) < 30).sum()
    purple = (np.abs(img - [68, 1, 84]).sum(axis=2) < 30).sum()
    assert yellow > 5000 and purple > 500
