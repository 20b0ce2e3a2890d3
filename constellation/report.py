"""A coverage result as one self-contained HTML file: opens from disk, offline, in any browser, and prints.

:func:`report_html` builds the page and :func:`write_report` writes it atomically.  The page holds the
scenario, the summary paragraph (the one ``constellation coverage`` prints), maps of the main figures of
merit with their area-weighted mean, minimum and maximum, the area-covered series, a table per latitude
band (grids) or per site (point grids), the accuracy notes from the result's attributes, and, when the
result has snapshots (``coverage(..., snapshots=...)``), the animation.

Self-contained means: every image is a ``data:`` URI (PNG, or GIF for the animation), the style sheet is
inline, there is no script and no font, link or image fetched from anywhere; a test parses the page and
refuses any other reference, and another renders it in headless Chromium with networking disabled.
"""

from __future__ import annotations

import base64
import html
import io
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["report_html", "write_report", "MAP_FOMS", "LAT_BANDS_DEG"]

#: Figures of merit mapped in the report, in order (those present in the result).
MAP_FOMS = ("coverage_fraction", "revisit_max_s", "sats_in_view_mean", "response_mean_s")

#: Edges of the latitude bands of the per-region table for grids (degrees).
LAT_BANDS_DEG = (-90.0, -60.0, -30.0, 0.0, 30.0, 60.0, 90.0)

_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #222;
       max-width: 1100px; margin: 0 auto; padding: 1em 1.5em; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.6em; }
.meta { color: #666; font-size: 0.9em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f3f3f3; }
figure { margin: 1em 0; page-break-inside: avoid; break-inside: avoid; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: 0.9em; color: #444; }
.summary { background: #f7fbff; border-left: 4px solid #4a90d9; padding: 0.6em 1em; }
@media print { body { max-width: none; padding: 0; } h2 { page-break-after: avoid; }
               .animation { display: none; } }
"""


def _png(fig: Any, dpi: float) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _one_service(ds: Any) -> Any:
    return ds.sel(service="any") if "service" in ds.dims else ds


def _weights(one: Any, shape: tuple[int, ...]) -> np.ndarray:
    if "cell_area_km2" in one:
        w = np.asarray(one["cell_area_km2"].values, dtype=float).reshape(shape)
        if np.isfinite(w).all() and w.sum() > 0:
            return w
    return np.ones(shape)


def fom_stats(ds: Any, fom: str) -> dict[str, float]:
    """Area-weighted mean (site mean for points), minimum and maximum of a figure of merit over the cells
    that have a value (service ``"any"`` when there are several), in the variable's own units."""
    one = _one_service(ds)
    v = np.asarray(one[fom].values, dtype=float)
    w = _weights(one, v.shape)
    ok = np.isfinite(v)
    if not ok.any():
        return dict(mean=float("nan"), min=float("nan"), max=float("nan"), cells=0)
    return dict(mean=float((v[ok] * w[ok]).sum() / w[ok].sum()), min=float(v[ok].min()), max=float(v[ok].max()),
                cells=int(ok.sum()))


def _fmt(value: float, units: str) -> str:
    """A number for the page, durations in minutes: the text a test reads back."""
    if not np.isfinite(value):
        return "-"
    if units == "s":
        return f"{value / 60.0:.1f} min"
    if units == "1" and abs(value) <= 1.0 and value != int(value):
        return f"{value:.4f}"
    return f"{value:.2f}"


def _num(value: float, units: str = "") -> str:
    return f'<td class="num" data-value="{float(value)!r}">{_esc(_fmt(value, units))}</td>'


def region_rows(ds: Any) -> list[dict[str, Any]]:
    """The per-region table: one row per site for point grids, else per latitude band
    (:data:`LAT_BANDS_DEG`, cells by their centre latitude, the north edge closed on the last band), with the
    area-weighted mean coverage fraction and satellites in view and the largest maximum revisit (s)."""
    one = _one_service(ds)
    cf = np.asarray(one["coverage_fraction"].values, dtype=float)
    rv = np.asarray(one["revisit_max_s"].values, dtype=float)
    sv = np.asarray(one["sats_in_view_mean"].values, dtype=float)
    w = _weights(one, cf.shape)
    if "name" in ds.coords and ds["name"].dims == ("cell",):
        names = np.asarray(ds["name"].values).astype(str)
        lat = np.asarray(ds["lat"].values, dtype=float)
        lon = np.asarray(ds["lon"].values, dtype=float)
        return [dict(region=names[i], lat=lat[i], lon=lon[i], coverage_fraction=cf[i], revisit_max_s=rv[i],
                     sats_in_view_mean=sv[i]) for i in range(names.size)]
    lat = np.asarray(ds["lat"].values, dtype=float)
    if lat.ndim == 1 and cf.ndim == 2:  # regular grid (lat, lon)
        lat = np.broadcast_to(lat[:, None], cf.shape)
    rows = []
    edges = LAT_BANDS_DEG
    for k, (s, n) in enumerate(zip(edges[:-1], edges[1:])):
        sel = (lat >= s) & ((lat < n) if k < len(edges) - 2 else (lat <= n))
        if not sel.any():
            continue
        ok = sel & np.isfinite(cf)
        mean_cf = float((cf[ok] * w[ok]).sum() / w[ok].sum()) if ok.any() else float("nan")
        ok_sv = sel & np.isfinite(sv)
        mean_sv = float((sv[ok_sv] * w[ok_sv]).sum() / w[ok_sv].sum()) if ok_sv.any() else float("nan")
        r = rv[sel]
        worst = float(np.nanmax(r)) if np.isfinite(r).any() else float("nan")
        label = f"{abs(s):g}°{'S' if s < 0 else 'N'} to {abs(n):g}°{'S' if n <= 0 else 'N'}"
        rows.append(dict(region=label, cells=int(sel.sum()), coverage_fraction=mean_cf, revisit_max_s=worst,
                         sats_in_view_mean=mean_sv))
    return rows


def _scenario_table(ds: Any) -> str:
    a = ds.attrs
    keys = [("constellation", "constellation"), ("source", "element source"), ("n_satellites", "satellites"),
            ("time_coverage_start", "window start (UTC)"), ("time_coverage_end", "window end (UTC)"),
            ("step_s", "time step (s)"), ("grid", "grid"), ("min_elevation_deg", "elevation mask (deg)"),
            ("half_angle_deg", "sensor half-angle (deg)"), ("min_sats", "satellites needed at once"),
            ("requirements", "services"), ("window_edges", "window-edge rule"), ("snapshots", "snapshots"),
            ("software", "software"), ("history", "history")]
    rows = "".join(f"<tr><th>{_esc(label)}</th><td>{_esc(a[k])}</td></tr>" for k, label in keys
                   if a.get(k) not in (None, ""))
    return f'<table class="scenario">{rows}</table>'


def _accuracy_notes(ds: Any) -> str:
    a = ds.attrs
    items = []
    for k, label in (("visibility", "Visibility"), ("refine_edges_rule", "Access and gap edges"),
                     ("window_edges_rule", "Window edges"), ("positions", "Satellite positions")):
        if a.get(k):
            items.append(f"<li><b>{label}:</b> {_esc(a[k])}</li>")
    if a.get("position_error_max_m") not in (None, ""):
        items.append(f"<li><b>Largest interpolation error of the positions:</b> "
                     f"{float(a['position_error_max_m']):.3g} m ({_esc(a.get('position_error_rule', ''))})</li>")
    items.append("<li><b>Maps:</b> cells drawn in Plate Carree with edges halfway between centres; "
                 "footprints in the animation are circles on a spherical Earth (radius 6371.0088 km), drawing "
                 "aids only: every count comes from the exact per-cell test.</li>")
    defs = []
    for name in MAP_FOMS + ("area_covered_fraction",):
        if name in ds:
            at = ds[name].attrs
            defs.append(f"<tr><td>{_esc(name)}</td><td>{_esc(at.get('long_name', ''))}</td>"
                        f"<td>{_esc(at.get('units', ''))}</td><td>{_esc(at.get('stk_name', ''))}</td></tr>")
    table = ("<table><tr><th>variable</th><th>definition</th><th>units</th><th>STK name</th></tr>"
             + "".join(defs) + "</table>") if defs else ""
    return "<ul>" + "".join(items) + "</ul>" + table


def _animation_uri(ds: Any, max_frames: int, dpi: float, fps: float) -> tuple[str, int]:
    import matplotlib.pyplot as plt

    from .plot import CoverageAnimation

    n = ds.sizes["snapshot_time"]
    stride = max(1, -(-n // max_frames))
    sub = ds.isel(snapshot_time=slice(None, None, stride))
    anim = CoverageAnimation(sub)
    anim.fig.set_dpi(dpi)
    buf = io.BytesIO()
    try:
        anim._write_gif(buf, fps)
    finally:
        plt.close(anim.fig)
    data = buf.getvalue()
    return "data:image/gif;base64," + base64.b64encode(data).decode("ascii"), anim.n_frames


def report_html(ds: Any, *, title: str | None = None, dpi: float = 80.0, animation: bool = True,
                max_frames: int = 72, animation_dpi: float = 60.0, fps: float = 6.0) -> str:
    """The report of a coverage result ``ds`` as one HTML document (a string).

    ``dpi`` sets the maps' resolution; with ``animation`` and snapshots in ``ds`` the animation of
    :func:`constellation.plot.animate` is embedded (at most ``max_frames`` frames, taking every k-th
    snapshot when there are more, at ``animation_dpi``).  Every number in the tables carries its exact value
    in a ``data-value`` attribute; the text shows it rounded (fractions to 4 decimals, durations in minutes
    to 0.1).
    """
    from .cli.coverage import summarize
    from .plot import area_covered_series, coverage_map, scenario_text

    if "coverage_fraction" not in ds:
        raise ValueError("not a coverage result: the dataset has no coverage_fraction")
    who = ds.attrs.get("constellation") or ds.attrs.get("source") or "constellation"
    title = title or f"Coverage report: {who}"
    parts = [f"<h1>{_esc(title)}</h1>",
             f'<p class="meta">{_esc(scenario_text(ds.attrs))}<br>Report made '
             f'{datetime.now(UTC).strftime("%Y-%m-%d %H:%M")} UTC from the result file; it is self-contained '
             f'and needs no network.</p>',
             "<h2>Summary</h2>", f'<p class="summary">{_esc(summarize(ds))}</p>',
             "<h2>Scenario</h2>", _scenario_table(ds), "<h2>Maps</h2>"]
    stats_rows = []
    for fom in MAP_FOMS:
        if fom not in ds:
            continue
        units = str(ds[fom].attrs.get("units", ""))
        st = fom_stats(ds, fom)
        fig, _ = coverage_map(ds, fom)
        kind = "area-weighted" if "name" not in ds.coords else "site"
        caption = (f"{_esc(ds[fom].attrs.get('long_name', fom))}: {kind} "
                   f"mean {_esc(_fmt(st['mean'], units))}, min {_esc(_fmt(st['min'], units))}, "
                   f"max {_esc(_fmt(st['max'], units))} over {st['cells']} cells with a value")
        parts.append(f'<figure><img src="{_png(fig, dpi)}" alt="map of {_esc(fom)}" data-fom="{_esc(fom)}">'
                     f"<figcaption>{caption}</figcaption></figure>")
        stats_rows.append(f'<tr data-fom="{_esc(fom)}"><td>{_esc(fom)}</td>{_num(st["mean"], units)}'
                          f'{_num(st["min"], units)}{_num(st["max"], units)}</tr>')
    parts.append('<table class="fom-stats"><tr><th>figure of merit</th><th>mean</th><th>min</th><th>max</th></tr>'
                 + "".join(stats_rows) + "</table>")
    if "area_covered_fraction" in ds:
        fig, _ = area_covered_series(ds)
        acf = np.asarray(_one_service(ds)["area_covered_fraction"].values, dtype=float)
        parts += ["<h2>Area covered over time</h2>",
                  f'<figure><img src="{_png(fig, dpi)}" alt="area covered over time" data-fom="area_covered_fraction">'
                  f"<figcaption>Fraction of the grid's area covered at each sample: mean "
                  f"{_esc(_fmt(float(np.nanmean(acf)), '1'))}, min {_esc(_fmt(float(np.nanmin(acf)), '1'))}, max "
                  f"{_esc(_fmt(float(np.nanmax(acf)), '1'))}</figcaption></figure>"]
    rows = region_rows(ds)
    sites = bool(rows) and "lat" in rows[0]
    head = ("<tr><th>site</th><th>lat</th><th>lon</th>" if sites else "<tr><th>latitude band</th><th>cells</th>") + \
        "<th>coverage fraction</th><th>max revisit</th><th>mean sats in view</th></tr>"
    body = []
    for r in rows:
        lead = (f"<td>{_esc(r['region'])}</td>{_num(r['lat'])}{_num(r['lon'])}" if sites else
                f"<td>{_esc(r['region'])}</td><td class=\"num\">{r['cells']}</td>")
        body.append(f'<tr class="region">{lead}{_num(r["coverage_fraction"], "1")}'
                    f'{_num(r["revisit_max_s"], "s")}{_num(r["sats_in_view_mean"], "1")}</tr>')
    parts += ["<h2>" + ("Per site" if sites else "Per latitude band") + "</h2>",
              '<table class="regions">' + head + "".join(body) + "</table>",
              "<p class=\"meta\">" + ("Sites as in the result." if sites else
                                      "Cells by centre latitude; coverage and satellites in view area-weighted, "
                                      "max revisit the largest of the band's cells.")
              + (" Figures of the service 'any'." if "service" in ds.dims else "") + "</p>"]
    if animation and "sats_in_view_snapshot" in ds:
        uri, n_frames = _animation_uri(ds, max_frames, animation_dpi, fps)
        parts += ['<h2 class="animation">Animation</h2>',
                  f'<figure class="animation"><img src="{uri}" alt="animation of the snapshots" '
                  f'data-frames="{n_frames}"><figcaption>Satellites serving each cell, footprints and recent '
                  f"ground tracks at {n_frames} of the {ds.sizes['snapshot_time']} snapshots "
                  f"({_esc(ds.attrs.get('snapshots', ''))}).</figcaption></figure>"]
    parts += ["<h2>Accuracy notes</h2>", _accuracy_notes(ds)]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>\n"
            + "\n".join(parts) + "\n</body></html>\n")


def write_report(ds: Any, path: str | os.PathLike, **kw: Any) -> Path:
    """Write :func:`report_html` of ``ds`` to ``path`` (UTF-8), atomically; returns the path."""
    from .atomic import write_text

    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"report output {str(path)!r}: use a .html file name")
    return write_text(path, report_html(ds, **kw))
