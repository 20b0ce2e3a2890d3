"""Rebuild ``land_110m.npz`` from the Natural Earth 1:110m countries shapefile (run by hand, never at run time).

The input is ``geopandas/datasets/naturalearth_lowres/naturalearth_lowres.shp`` from the geopandas 0.14.4
wheel (``pip download geopandas==0.14.4 --no-deps``; unzip it).  Usage::

    python constellation/data/build_land_110m.py path/to/naturalearth_lowres.shp constellation/data/land_110m.npz

The shapefile layout (big-endian file header of 100 bytes, then records of ``shape type``, bounding box,
``numParts``, ``numPoints``, part offsets and little-endian x/y doubles) follows the "ESRI Shapefile
Technical Description", ESRI white paper, July 1998.

Output arrays (float32, one NaN between pieces):

* ``land_lon``, ``land_lat`` - the outer ring of every country polygon (for filling land);
* ``coast_lon``, ``coast_lat`` - the coastline: country edges that no neighbour shares (inner borders
  cancel because Natural Earth's countries share their border vertices), without the artificial edges
  along the antimeridian and the south pole that close Antarctica, Russia and Fiji, chained into lines.
"""

from __future__ import annotations

import struct
import sys
from collections import defaultdict

import numpy as np


def read_polygons(path: str) -> list[list[np.ndarray]]:
    """Return, for each record of a polygon shapefile, its rings as ``(n, 2)`` float64 lon/lat arrays."""
    data = open(path, "rb").read()
    code, = struct.unpack(">i", data[:4])
    if code != 9994:
        raise ValueError(f"{path}: not a shapefile (file code {code}, expected 9994)")
    length = struct.unpack(">i", data[24:28])[0] * 2
    pos, records = 100, []
    while pos < length:
        _, content_words = struct.unpack(">ii", data[pos:pos + 8])
        rec = data[pos + 8:pos + 8 + content_words * 2]
        pos += 8 + content_words * 2
        shape_type, = struct.unpack("<i", rec[:4])
        if shape_type == 0:
            records.append([])
            continue
        if shape_type not in (5, 15, 25):
            raise ValueError(f"{path}: record shape type {shape_type}, expected polygons (5)")
        n_parts, n_points = struct.unpack("<ii", rec[36:44])
        parts = np.frombuffer(rec, "<i4", n_parts, 44)
        xy = np.frombuffer(rec, "<f8", 2 * n_points, 44 + 4 * n_parts).reshape(-1, 2)
        bounds = list(parts) + [n_points]
        records.append([xy[a:b].copy() for a, b in zip(bounds[:-1], bounds[1:])])
    return records


def _signed_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]))


def _key(p) -> tuple[float, float]:
    return (round(float(p[0]), 6), round(float(p[1]), 6))


def coastline(records: list[list[np.ndarray]]) -> list[np.ndarray]:
    """Edges used once (undirected) over all rings, less the antimeridian/pole closures, chained."""
    count: dict = defaultdict(int)
    directed = []
    for rings in records:
        for ring in rings:
            for a, b in zip(ring[:-1], ring[1:]):
                ka, kb = _key(a), _key(b)
                if ka == kb:
                    continue
                count[frozenset((ka, kb))] += 1
                directed.append((ka, kb))

    def artificial(ka, kb) -> bool:
        on_am = abs(abs(ka[0]) - 180.0) < 1e-6 and abs(abs(kb[0]) - 180.0) < 1e-6
        on_pole = ka[1] < -89.99 and kb[1] < -89.99
        return on_am or on_pole

    edges = [(a, b) for a, b in directed if count[frozenset((a, b))] == 1 and not artificial(a, b)]
    nxt = defaultdict(list)
    indeg: dict = defaultdict(int)
    for a, b in edges:
        nxt[a].append(b)
        indeg[b] += 1
    used = set()
    lines = []
    # open chains first (start where nothing arrives), then the closed loops
    starts = [a for a, _ in edges if indeg[a] == 0] + [a for a, _ in edges]
    for s in starts:
        while nxt[s] and (s, nxt[s][-1]) not in used:
            line = [s]
            cur = s
            while nxt[cur]:
                b = nxt[cur].pop()
                if (cur, b) in used:
                    continue
                used.add((cur, b))
                line.append(b)
                cur = b
                if cur == s:
                    break
            if len(line) > 1:
                lines.append(np.array(line))
    return lines


def _pack(pieces: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    out = []
    for p in pieces:
        out.append(p)
        out.append(np.full((1, 2), np.nan))
    xy = np.concatenate(out[:-1]).astype(np.float32)
    return xy[:, 0], xy[:, 1]


def main(shp: str, out: str) -> None:
    records = read_polygons(shp)
    # shapefile outer rings run clockwise (negative signed area); holes run anticlockwise
    outer = [r for rings in records for r in rings if _signed_area(r) < 0]
    land_lon, land_lat = _pack(outer)
    coast_lon, coast_lat = _pack(coastline(records))
    np.savez_compressed(out, land_lon=land_lon, land_lat=land_lat, coast_lon=coast_lon, coast_lat=coast_lat)
    print(f"{len(records)} countries, {len(outer)} outer rings ({land_lon.size} points), "
          f"coastline {int(np.isnan(coast_lon).sum()) + 1} lines ({coast_lon.size} points) -> {out}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
