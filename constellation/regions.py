"""Named regions: country outlines and GeoJSON polygons, and grids of the cells inside them.

* :func:`country` - a country from the shipped Natural Earth 1:110m admin-0 outlines (by name or ISO A3 code);
  ``view="claimed"`` (or ``"China (claimed)"``) for China as claimed by the PRC.
* :func:`from_geojson` - any GeoJSON ``Polygon`` / ``MultiPolygon`` / ``Feature`` / ``FeatureCollection``
  (RFC 7946), from a file, a text or a parsed mapping.
* :func:`load` - either of the two from one string (``"China"``, ``"CHN"``, ``"area.geojson"``).
* :func:`region_grid` - the cells of a regular ``res_deg`` grid (aligned with :func:`constellation.grid.global_grid`)
  that the region touches, each weighted by the **exact area of its part inside the region** on the WGS84
  ellipsoid (grid kind ``"region"``, dimension ``cell``).  Coverage statistics weighted by
  ``cell_area_km2`` are then area-weighted statistics of the region itself.
* :func:`area_km2` - the region's area on the WGS84 ellipsoid.

Polygon edges are straight lines in longitude/latitude (the convention of GeoJSON and of Natural Earth's
data).  Areas use Green's theorem with the ellipsoid's authalic primitive: over a longitude span the area
between the equator and geodetic latitude phi is ``dlon * F(phi)`` with ``F = b^2 q(phi) / 2`` (Snyder 1987,
eq. 3-12, the formula of :func:`constellation.grid.zone_area_km2`), so a ring encloses
``|integral of F(phi) dlon|`` along its edges.  The part of a ring inside one grid cell
``[lon_a, lon_b] x [phi_1, phi_2]`` is the same integral of ``F(clip(phi, phi_1, phi_2)) - F(phi_1)`` over
the edges' pieces in that column (the cell's own sides contribute nothing, ``dlon = 0`` or a constant
integrand): each edge is cut at the grid lines, each piece integrated by 4-point Gauss-Legendre in
longitude (the integrand is smooth on a piece), and pieces above a cell add the cell's full height.
The only errors are the quadrature (under 1e-9 of a cell's area for 0.1-2 degree cells) and rounding.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from .grid import _B_KM, Grid, _q, _wrap_lon

__all__ = ["Region", "country", "countries", "from_geojson", "load", "region_grid", "area_km2", "cell_areas_km2",
           "to_raster"]

_SHIPPED = Path(__file__).resolve().parent / "data" / "admin0_110m.geojson"
_CLAIMED = Path(__file__).resolve().parent / "data" / "claimed_110m.geojson"
_VIEWS = ("de facto", "claimed")
_GL_X, _GL_W = np.polynomial.legendre.leggauss(4)


@dataclass(frozen=True)
class Region:
    """A region: closed rings of ``(lon, lat)`` degrees, each with a sign (+1 outer ring, -1 hole).

    ``rings[k]`` is an ``(n, 2)`` float64 array whose last point equals its first.  Several outer rings
    make a multi-part region (islands); their parts are assumed not to overlap.
    """

    name: str
    rings: tuple[np.ndarray, ...]
    signs: tuple[int, ...]
    source: str = ""

    def bounds(self) -> tuple[float, float, float, float]:
        """``(west, south, east, north)`` degrees over all rings."""
        xy = np.concatenate(self.rings)
        return float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()), float(xy[:, 1].max())

    def __repr__(self) -> str:
        return f"<Region {self.name!r}: {len(self.rings)} rings>"


def _F(lat_deg: np.ndarray) -> np.ndarray:
    """Authalic primitive (km^2 per radian of longitude): area from the equator to ``lat_deg``."""
    return _B_KM ** 2 / 2.0 * _q(np.clip(lat_deg, -90.0, 90.0))


def _ring_integral(ring: np.ndarray) -> float:
    """``integral of F(phi) dlon`` along the ring's straight lon/lat edges (km^2, signed)."""
    x0, y0, x1, y1 = ring[:-1, 0], ring[:-1, 1], ring[1:, 0], ring[1:, 1]
    # 8 equal sub-pieces per edge with 4 Gauss points each: exact to rounding for 1:110m edges
    t = (np.arange(8)[:, None] + (_GL_X[None, :] + 1.0) / 2.0).ravel() / 8.0
    w = np.tile(_GL_W / 16.0, 8)
    y = y0[:, None] + (y1 - y0)[:, None] * t[None, :]
    return float(np.sum(np.radians(x1 - x0) * (_F(y) @ w)))


def _as_ring(coords: Any, where: str) -> np.ndarray:
    try:
        a = np.asarray(coords, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: a ring must be a list of [lon, lat] positions") from None
    if a.ndim != 2 or a.shape[1] < 2 or a.shape[0] < 3:
        raise ValueError(f"{where}: a ring needs at least 3 [lon, lat] positions, got shape {a.shape}")
    a = a[:, :2]
    if not np.all(np.isfinite(a)) or np.any(np.abs(a[:, 1]) > 90) or np.any(np.abs(a[:, 0]) > 180):
        raise ValueError(f"{where}: positions must be finite [lon, lat] degrees within [-180, 180] x [-90, 90]")
    if not np.array_equal(a[0], a[-1]):
        a = np.vstack([a, a[:1]])
    jump = np.abs(np.diff(a[:, 0])) > 180.0
    # allowed: edges along a pole, or from one side of the antimeridian to the other (a ring around a pole)
    pole = (np.abs(a[:-1, 1]) == 90.0) & (np.abs(a[1:, 1]) == 90.0)
    seam = (np.abs(a[:-1, 0]) == 180.0) & (np.abs(a[1:, 0]) == 180.0)
    if np.any(jump & ~pole & ~seam):
        raise ValueError(f"{where}: an edge jumps more than 180 degrees of longitude: a ring across the "
                         f"antimeridian must be split into parts on either side (RFC 7946, section 3.1.9)")
    return a


def _polygon_rings(coords: Any, where: str) -> tuple[list[np.ndarray], list[int]]:
    if not isinstance(coords, Sequence) or not coords:
        raise ValueError(f"{where}: a Polygon needs at least one ring")
    rings, signs = [], []
    for k, rc in enumerate(coords):
        ring = _as_ring(rc, f"{where} ring {k}")
        if _ring_integral(ring) == 0.0:
            continue  # degenerate
        rings.append(ring)
        signs.append(1 if k == 0 else -1)
    return rings, signs


def _geometry_rings(geom: Any, where: str) -> tuple[list[np.ndarray], list[int]]:
    if not isinstance(geom, Mapping) or "type" not in geom:
        raise ValueError(f"{where}: not a GeoJSON object (no 'type')")
    kind = geom["type"]
    if kind == "FeatureCollection":
        rings, signs = [], []
        for i, f in enumerate(geom.get("features") or []):
            r, s = _geometry_rings(f, f"{where} feature {i}")
            rings += r
            signs += s
        return rings, signs
    if kind == "Feature":
        return _geometry_rings(geom.get("geometry"), where)
    if kind == "Polygon":
        return _polygon_rings(geom.get("coordinates"), where)
    if kind == "MultiPolygon":
        rings, signs = [], []
        for i, p in enumerate(geom.get("coordinates") or []):
            r, s = _polygon_rings(p, f"{where} polygon {i}")
            rings += r
            signs += s
        return rings, signs
    if kind == "GeometryCollection":
        rings, signs = [], []
        for i, g in enumerate(geom.get("geometries") or []):
            r, s = _geometry_rings(g, f"{where} geometry {i}")
            rings += r
            signs += s
        return rings, signs
    raise ValueError(f"{where}: GeoJSON type {kind!r} has no area (expected Polygon, MultiPolygon, Feature or "
                     f"FeatureCollection)")


def from_geojson(source: str | Path | Mapping, name: str = "") -> Region:
    """A region from GeoJSON: a file path, a JSON text or a parsed mapping.

    Every polygon of every feature belongs to the region (parts assumed not to overlap); in each polygon the
    first ring is the outer boundary and the others are holes, whatever their orientation.
    """
    label = "GeoJSON"
    if isinstance(source, Mapping):
        doc = source
    else:
        text = str(source)
        if isinstance(source, Path) or not text.lstrip().startswith("{"):
            from .checks import read_text_file

            path = Path(source)
            if not path.exists():
                raise ValueError(f"region: no such GeoJSON file {str(path)!r}")
            label, text = str(path), read_text_file(path, "region file", "a GeoJSON file")
        try:
            from .checks import parse_nested

            doc = parse_nested(json.loads, text, label, "a GeoJSON Polygon, MultiPolygon, Feature or "
                                                        "FeatureCollection")
        except json.JSONDecodeError as exc:
            raise ValueError(f"{label}: not valid JSON ({exc})") from None
    rings, signs = _geometry_rings(doc, label)
    if not rings:
        raise ValueError(f"{label}: no polygon with an area")
    nm = name or ((doc.get("properties") or {}).get("name", "") if isinstance(doc, Mapping) else "")
    return Region(name=str(nm or (Path(label).stem if label != "GeoJSON" else "polygon")), rings=tuple(rings),
                  signs=tuple(signs), source=label)


@cache
def _shipped() -> dict:
    return json.loads(_SHIPPED.read_text(encoding="utf-8"))


def countries() -> list[tuple[str, str]]:
    """``(name, ISO A3 code)`` of every country in the shipped outlines (Natural Earth 1:110m admin-0)."""
    return [(f["properties"]["name"], f["properties"]["iso_a3"]) for f in _shipped()["features"]]


@cache
def _claimed() -> dict:
    return json.loads(_CLAIMED.read_text(encoding="utf-8"))


def country(name: str, view: str = "de facto") -> Region:
    """A country from the shipped Natural Earth 1:110m admin-0 outlines, by name or ISO 3166-1 alpha-3 code
    (case-insensitive): ``country("China")``, ``country("CHN")``.  See ``constellation/data/README.md`` for
    the data's provenance; Taiwan, Hong Kong and Macao are separate entries there.

    ``view="de facto"`` (the default) gives the outline of the territory the country administers, as Natural
    Earth draws it.  ``view="claimed"`` gives the territory as the country's government defines it, including
    areas administered by others (available for China: the PRC's claim, Natural Earth's China and Taiwan with
    the Natural Earth disputed areas that name China as claimant or administrator); ``"China (claimed)"`` as
    the name is the same.
    """
    text = str(name).strip()
    if text.lower().endswith("(claimed)"):
        text, view = text[: -len("(claimed)")].strip(), "claimed"
    if view not in _VIEWS:
        raise ValueError(f"view must be one of {', '.join(map(repr, _VIEWS))}, got {view!r}")
    key = text.lower()
    if view == "claimed":
        for f in _claimed()["features"]:
            p = f["properties"]
            if key in (p["name"].lower().removesuffix("(claimed)").strip(), p["iso_a3"].lower()):
                rings, signs = _geometry_rings(f, p["name"])
                return Region(name=p["name"], rings=tuple(rings), signs=tuple(signs),
                              source="Natural Earth 1:110m admin-0 countries and 1:10m disputed areas, "
                                     "as claimed")
        have = ", ".join(f["properties"]["name"].removesuffix("(claimed)").strip() for f in _claimed()["features"])
        raise ValueError(f"region: no claimed view of {name!r} is shipped (available: {have})")
    for f in _shipped()["features"]:
        p = f["properties"]
        if key in (p["name"].lower(), p["iso_a3"].lower()):
            rings, signs = _geometry_rings(f, p["name"])
            return Region(name=p["name"], rings=tuple(rings), signs=tuple(signs),
                          source="Natural Earth 1:110m admin-0 countries")
    import difflib

    close = difflib.get_close_matches(text, [n for n, _ in countries()], n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ValueError(f"region: no country named {name!r} in the shipped Natural Earth outlines{hint}")


def load(spec: str | Path | Region | Mapping) -> Region:
    """A :class:`Region` from a country name or code, a GeoJSON file path or mapping, or a Region."""
    if isinstance(spec, Region):
        return spec
    if isinstance(spec, Mapping) or isinstance(spec, Path):
        return from_geojson(spec)
    text = str(spec)
    if text.lower().endswith((".json", ".geojson")) or Path(text).exists() or text.lstrip().startswith("{"):
        return from_geojson(text)
    return country(text)


def _signed(region: Region) -> list[tuple[np.ndarray, float]]:
    """Rings with the multiplier that makes outer rings count positive and holes negative."""
    out = []
    for ring, s in zip(region.rings, region.signs):
        integ = _ring_integral(ring)
        out.append((ring, s * np.sign(integ)))
    return out


def area_km2(region: str | Region | Mapping) -> float:
    """Area (km^2) of the region on the WGS84 ellipsoid, edges straight in longitude/latitude (module docs)."""
    region = load(region)
    return float(sum(m * _ring_integral(r) for r, m in _signed(region)))


def cell_areas_km2(region: str | Region | Mapping, lat_edges_deg: np.ndarray, lon_edges_deg: np.ndarray
                   ) -> np.ndarray:
    """Area (km^2) of the region inside each cell of a regular lat/lon raster, ``(n_lat, n_lon)``.

    ``lat_edges_deg`` (increasing, ``n_lat + 1``) and ``lon_edges_deg`` (increasing within [-180, 180],
    ``n_lon + 1``) are uniformly spaced cell edges.  Exact up to quadrature and rounding (module docs);
    parts of the region outside the raster are ignored.
    """
    region = load(region)
    ye, xe = np.asarray(lat_edges_deg, float), np.asarray(lon_edges_deg, float)
    n_lat, n_lon = ye.size - 1, xe.size - 1
    dy, dx = (ye[-1] - ye[0]) / n_lat, (xe[-1] - xe[0]) / n_lon
    jump = np.zeros((n_lat + 1, n_lon))  # signed longitude (rad) of pieces above row k's top: index k
    own = np.zeros((n_lat, n_lon))
    for ring, m in _signed(region):
        x0, y0, x1, y1 = ring[:-1, 0], ring[:-1, 1], ring[1:, 0], ring[1:, 1]
        keep = x0 != x1
        x0, y0, x1, y1 = x0[keep], y0[keep], x1[keep], y1[keep]
        if x0.size == 0:
            continue
        # cut each edge where it crosses a grid line (parameters t in (0, 1))
        ts = [np.zeros(x0.size), np.ones(x0.size)]
        cuts = []
        for a0, a1, e0, d, n in ((x0, x1, xe[0], dx, n_lon), (y0, y1, ye[0], dy, n_lat)):
            lo, hi = np.minimum(a0, a1), np.maximum(a0, a1)
            k0 = np.clip(np.floor((lo - e0) / d) + 1, 0, n)
            k1 = np.clip(np.ceil((hi - e0) / d) - 1, 0, n)
            cnt = np.maximum(k1 - k0 + 1, 0).astype(np.int64)
            idx = np.repeat(np.arange(a0.size), cnt)
            k = np.repeat(k0, cnt) + (np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt))
            with np.errstate(divide="ignore", invalid="ignore"):
                t = (e0 + k * d - a0[idx]) / (a1 - a0)[idx]
            ok = (t > 0) & (t < 1)
            cuts.append((idx[ok], t[ok]))
        edge = np.concatenate([np.arange(x0.size), np.arange(x0.size)] + [c[0] for c in cuts])
        tt = np.concatenate(ts + [c[1] for c in cuts])
        order = np.lexsort((tt, edge))
        edge, tt = edge[order], tt[order]
        same = edge[1:] == edge[:-1]
        e, ta, tb = edge[:-1][same], tt[:-1][same], tt[1:][same]
        xa, xb = x0[e] + (x1 - x0)[e] * ta, x0[e] + (x1 - x0)[e] * tb
        ya, yb = y0[e] + (y1 - y0)[e] * ta, y0[e] + (y1 - y0)[e] * tb
        xm, ym = (xa + xb) / 2, (ya + yb) / 2
        col = np.floor((xm - xe[0]) / dx).astype(np.int64)
        row = np.floor((ym - ye[0]) / dy).astype(np.int64)
        inx = (col >= 0) & (col < n_lon) & (xb != xa)
        xa, xb, ya, yb, col, row = xa[inx], xb[inx], ya[inx], yb[inx], col[inx], row[inx]
        dlon = np.radians(xb - xa) * m
        above = row >= n_lat
        np.add.at(jump, (np.minimum(row[above], n_lat), col[above]), dlon[above])
        inr = (row >= 0) & ~above
        r, c = row[inr], col[inr]
        yq = ya[inr, None] + (yb - ya)[inr, None] * (_GL_X[None, :] + 1.0) / 2.0
        y_lo = ye[0] + r * dy
        integ = ((_F(yq) - _F(y_lo)[:, None]) @ _GL_W) / 2.0 * dlon[inr]
        np.add.at(own, (r, c), integ)
        np.add.at(jump, (r, c), dlon[inr])
    # pieces in rows above row k (index > k) add row k's full height
    above_sum = np.cumsum(jump[::-1], axis=0)[::-1][1:]  # sum over indices > k
    full = _F(ye[1:]) - _F(ye[:-1])
    out = own + above_sum * full[:, None]
    # rounding leaves about 1e-16 of a cell's area (either sign) in cells the region does not reach
    cell = np.radians(dx) * full[:, None]
    return np.where(out > 1e-12 * cell, np.minimum(out, cell), 0.0)


def region_grid(region: str | Region | Mapping, res_deg: float = 0.5, *, min_fraction: float = 1e-9) -> Grid:
    """Grid of the cells of a ``res_deg`` global raster that lie (partly) inside ``region``.

    Cells are those of :func:`constellation.grid.global_grid` (centres at ``-90 + res/2 + k res`` and
    ``-180 + res/2 + k res``), kept where at least ``min_fraction`` of the cell lies inside; each cell's
    ``area_km2`` is the area of its part inside (so the areas sum to :func:`area_km2` of the region to
    about 1e-9 relative) and figures of merit are evaluated at the cell centre, which for a cell cut by
    the border may lie outside.  Grid kind ``"region"``: output dimension ``cell`` with per-cell ``lat``,
    ``lon``; ``Grid.fraction_inside`` is not stored, ``area_km2 / full cell area`` gives it.
    """
    region = load(region)
    n = 180.0 / res_deg
    if not res_deg > 0 or abs(n - round(n)) > 1e-9:
        raise ValueError(f"res_deg must be positive and divide 180 evenly, got {res_deg}")
    if not 0.0 < min_fraction < 1.0:
        raise ValueError(f"min_fraction must be within (0, 1), got {min_fraction}")
    w, s, e, nb = region.bounds()
    r0 = int(np.clip(np.floor((s + 90.0) / res_deg), 0, round(n) - 1))
    r1 = int(np.clip(np.ceil((nb + 90.0) / res_deg), r0 + 1, round(n)))
    c0 = int(np.clip(np.floor((w + 180.0) / res_deg), 0, 2 * round(n) - 1))
    c1 = int(np.clip(np.ceil((e + 180.0) / res_deg), c0 + 1, 2 * round(n)))
    ye = -90.0 + res_deg * np.arange(r0, r1 + 1)
    xe = -180.0 + res_deg * np.arange(c0, c1 + 1)
    inside = cell_areas_km2(region, ye, xe)
    full = np.radians(res_deg) * (_F(ye[1:]) - _F(ye[:-1]))
    keep = inside > min_fraction * full[:, None]
    lat_c = (ye[:-1] + ye[1:]) / 2
    lon_c = (xe[:-1] + xe[1:]) / 2
    row_lat, row_lon0, row_count, lats, lons, areas = [], [], [], [], [], []
    for k in range(keep.shape[0]):
        cols = np.flatnonzero(keep[k])
        if cols.size == 0:
            continue
        breaks = np.flatnonzero(np.diff(cols) > 1) + 1
        for run in np.split(cols, breaks):
            row_lat.append(lat_c[k])
            row_lon0.append(lon_c[run[0]])
            row_count.append(run.size)
            lats.append(np.full(run.size, lat_c[k]))
            lons.append(lon_c[run])
            areas.append(inside[k, run])
    if not row_count:
        raise ValueError(f"region {region.name!r} covers no cell of the {res_deg:g} degree grid")
    rc = np.asarray(row_count, np.int64)
    return Grid(kind="region", lat_deg=np.concatenate(lats), lon_deg=_wrap_lon(np.concatenate(lons)),
                height_m=np.zeros(int(rc.sum())), area_km2=np.concatenate(areas),
                row_start=np.concatenate([[0], np.cumsum(rc)[:-1]]).astype(np.int64), row_count=rc,
                row_lat_deg=np.asarray(row_lat, float), row_lon0_deg=np.asarray(row_lon0, float),
                row_dlon_deg=np.full(rc.size, float(res_deg)), row_full_circle=np.zeros(rc.size, bool),
                res_deg=float(res_deg), description=f"region {region.name}, {res_deg:g} deg")


def to_raster(ds: Any) -> Any:
    """A result on a region grid (dimension ``cell``; cells of a regular raster) as a Dataset on the regular
    ``(lat, lon)`` raster over the region's bounding box, NaN outside the region (for maps).  Variables
    whose last dimension is ``cell`` get ``(..., lat, lon)``; the others are kept as they are.  Results
    without a ``cell`` dimension are returned unchanged; point results and equal-area grids are refused."""
    import xarray as xr

    if "cell" not in ds.dims:
        return ds
    if "name" in ds.coords:
        raise ValueError("a result on sites (points) has no raster to draw")
    lat = np.asarray(ds["lat"].values, float)
    lon = np.asarray(ds["lon"].values, float)
    ulat, ulon = np.unique(lat), np.unique(lon)
    steps = np.concatenate([np.diff(ulat), np.diff(ulon)])
    res = float(steps.min()) if steps.size else 1.0
    i = np.rint((lat - ulat[0]) / res).astype(np.int64)
    j = np.rint((lon - ulon[0]) / res).astype(np.int64)
    if not (np.allclose(ulat[0] + i * res, lat, atol=1e-6) and np.allclose(ulon[0] + j * res, lon, atol=1e-6)):
        raise ValueError("the cells are not those of a regular raster (an equal-area grid?): no map")
    n_lat, n_lon = int(i.max()) + 1, int(j.max()) + 1
    out = {}
    for name, v in ds.data_vars.items():
        if v.dims and v.dims[-1] == "cell":
            grid = np.full(v.shape[:-1] + (n_lat, n_lon), np.nan)  # numbers as float: NaN outside
            grid[..., i, j] = np.asarray(v.values, float)
            out[name] = (v.dims[:-1] + ("lat", "lon"), grid, dict(v.attrs))
        elif "cell" not in v.dims:
            out[name] = v
    coords = {k: c for k, c in ds.coords.items() if "cell" not in c.dims}
    coords["lat"] = ("lat", ulat[0] + res * np.arange(n_lat), dict(ds["lat"].attrs))
    coords["lon"] = ("lon", ulon[0] + res * np.arange(n_lon), dict(ds["lon"].attrs))
    return xr.Dataset(out, coords=coords, attrs=dict(ds.attrs))
