"""Build ``claimed_110m.geojson``: China's territory as claimed by the PRC (run by hand, never at run time).

The outline is the union of

* China and Taiwan from the shipped ``admin0_110m.geojson`` (Natural Earth 1:110m admin-0, see README.md), and
* every polygon of Natural Earth's 1:10m *Admin 0 - Breakaway, disputed areas* layer
  (``ne_10m_admin_0_disputed_areas``) whose ``NOTE_BRK`` attribute names China as claimant or administrator
  ("Admin. by India; Claimed by China", "Admin. by China; Claimed by India", ...), each simplified to about the
  1:110m level first (Douglas-Peucker, ``TOLERANCE_DEG``; islands smaller than the tolerance are kept as they
  are).

The union closes the overlaps between the 1:10m disputed areas and the 1:110m outlines; gaps between them that
the union leaves as small holes (slivers under ``SLIVER_KM2``) are filled.  Needs ``shapely`` (installed with the
project's dev dependencies)::

    uv run python constellation/data/build_claimed_110m.py path/to/ne_10m_admin_0_disputed_areas.json \
        constellation/data/claimed_110m.geojson
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from constellation import regions  # noqa: E402

TOLERANCE_DEG = 0.05  # Douglas-Peucker tolerance: about the spacing of the 1:110m outline's vertices
SLIVER_KM2 = 500.0  # holes of the union below this area are gaps between the two scales, not real holes


def _polygons(geom) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [geom]
    if isinstance(geom, MultiPolygon):
        return list(geom.geoms)
    return [g for part in getattr(geom, "geoms", []) for g in _polygons(part)]


def _area_km2(poly: Polygon) -> float:
    return regions.area_km2(mapping(poly))


def main(disputed: str, out: str) -> None:
    base = json.loads((Path(__file__).resolve().parent / "admin0_110m.geojson").read_text(encoding="utf-8"))
    parts = [shape(f["geometry"]) for f in base["features"] if f["properties"]["iso_a3"] in ("CHN", "TWN")]
    added = []
    for f in json.loads(Path(disputed).read_text(encoding="utf-8"))["features"]:
        p = f["properties"]
        if "China" not in (p.get("NOTE_BRK") or ""):
            continue
        g = shape(f["geometry"])
        simple = shapely.simplify(g, TOLERANCE_DEG, preserve_topology=True)
        kept = [s for s in _polygons(simple) if not s.is_empty and s.area > 0]
        parts.append(MultiPolygon(kept) if kept else g)
        added.append(f"{p['BRK_NAME']} ({p['NOTE_BRK']})")
    union = shapely.union_all([shapely.make_valid(g) for g in parts])
    polys, filled = [], 0.0
    for poly in _polygons(union):
        holes = []
        for ring in poly.interiors:
            a = _area_km2(Polygon(ring))
            if a < SLIVER_KM2:
                filled += a
            else:
                holes.append(ring)
        polys.append(shapely.geometry.polygon.orient(Polygon(poly.exterior, holes), 1.0))
    coords = [[[[round(x, 6), round(y, 6)] for x, y in ring.coords] for ring in [p.exterior, *p.interiors]]
              for p in polys]
    feat = {"type": "Feature",
            "properties": {"name": "China (claimed)", "iso_a3": "CHN", "view": "claimed",
                           "note": "China as claimed by the PRC, including areas administered by others: "
                                   "Natural Earth 1:110m China and Taiwan with the Natural Earth 1:10m "
                                   "disputed areas that name China, simplified",
                           "disputed_areas": added},
            "geometry": {"type": "MultiPolygon", "coordinates": coords}}
    doc = {"type": "FeatureCollection", "name": "Claimed territories (Natural Earth, simplified)", "features": [feat]}
    Path(out).write_text(json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8")
    n = sum(len(r) for p in coords for r in p)
    print(f"{out}: {len(polys)} polygons, {n} points; slivers filled {filled:.0f} km^2; "
          f"area {regions.area_km2(doc):,.0f} km^2; added: {'; '.join(added)}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
