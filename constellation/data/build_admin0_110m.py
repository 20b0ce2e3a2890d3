"""Rebuild ``admin0_110m.geojson`` from the Natural Earth 1:110m countries shapefile (run by hand, never at
run time).

The input is the same file as ``build_land_110m.py`` reads (``naturalearth_lowres.shp`` and its ``.dbf``
from the geopandas 0.14.4 wheel).  Usage::

    python constellation/data/build_admin0_110m.py path/to/naturalearth_lowres.shp \
        constellation/data/admin0_110m.geojson

Each record becomes a GeoJSON ``Feature`` (RFC 7946) with properties ``name`` and ``iso_a3`` (from the
dBASE table: ``name`` and ``iso_a3`` columns) and a ``MultiPolygon`` geometry: the shapefile's clockwise
rings are outer rings (ESRI Shapefile Technical Description, 1998: "the order of vertices ... clockwise"
for outer rings, counter-clockwise for holes), each hole is attached to the outer ring that contains its
first vertex, and rings are written in the RFC 7946 orientation (outer counter-clockwise).  Coordinates
keep 6 decimals (0.1 m), far below the data's own 1:110m accuracy.
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_land_110m import _signed_area, read_polygons  # noqa: E402


def read_dbf(path: str) -> list[dict[str, str]]:
    """Records of a dBASE III table (the shapefile's attribute table) as text, fields by lower-case name."""
    data = open(path, "rb").read()
    n_rec, header_len, rec_len = struct.unpack("<IHH", data[4:12])
    fields, pos = [], 32
    while data[pos] != 0x0D:
        name = data[pos:pos + 11].split(b"\0")[0].decode("ascii").lower()
        fields.append((name, data[pos + 16]))
        pos += 32
    out = []
    for i in range(n_rec):
        rec = data[header_len + i * rec_len: header_len + (i + 1) * rec_len]
        row, off = {}, 1
        for name, width in fields:
            row[name] = rec[off:off + width].decode("utf-8", "replace").strip()
            off += width
        out.append(row)
    return out


def _inside(pt, ring) -> bool:
    x, y = pt
    xs, ys = ring[:, 0], ring[:, 1]
    x0, y0, x1, y1 = xs[:-1], ys[:-1], xs[1:], ys[1:]
    cross = (y0 > y) != (y1 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        xint = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
    return bool(np.count_nonzero(cross & (x < xint)) % 2)


def main(shp: str, out: str) -> None:
    records = read_polygons(shp)
    attrs = read_dbf(str(Path(shp).with_suffix(".dbf")))
    feats = []
    for rings, a in zip(records, attrs):
        outers = [r for r in rings if _signed_area(r) < 0]  # clockwise in lon/lat
        holes = [r for r in rings if _signed_area(r) > 0]
        polys = [[o[::-1]] for o in outers]
        for h in holes:
            owner = next(i for i, o in enumerate(outers) if _inside(h[0], o))
            polys[owner].append(h[::-1])
        coords = [[[[round(float(x), 6), round(float(y), 6)] for x, y in ring] for ring in p] for p in polys]
        feats.append({"type": "Feature", "properties": {"name": a["name"], "iso_a3": a["iso_a3"]},
                      "geometry": {"type": "MultiPolygon", "coordinates": coords}})
    doc = {"type": "FeatureCollection",
           "name": "Natural Earth 1:110m Admin 0 - Countries (geopandas 0.14.4 naturalearth_lowres)",
           "features": feats}
    Path(out).write_text(json.dumps(doc, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{out}: {len(feats)} countries, {sum(len(r) for r in records)} rings")


if __name__ == "__main__":
    main(*sys.argv[1:3])
