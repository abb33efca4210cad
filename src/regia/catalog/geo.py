"""Centroids of comuni and provinces from the taxonomy's boundaries, and distances between them.

Comune boundaries are held for Lombardy and province boundaries for Italy: a comune without a boundary
falls back on its province's centroid. The centroid is the area-weighted centroid of the largest polygon
(lon/lat treated as planar: at the scale of a province the error is far below a kilometre).
"""

from __future__ import annotations

import json
import math
import threading

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from regia.taxonomy.models import Concept, Geometry

EARTH_KM = 6371.0088
_lock = threading.Lock()
_cache: dict[str, dict[str, tuple[float, float]]] = {}


def _ring_centroid(ring: list[list[float]]) -> tuple[float, float, float]:
    """(area, lon, lat) of a closed ring by the shoelace formula."""
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(area) < 1e-15:
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        return 0.0, sum(xs) / len(xs), sum(ys) / len(ys)
    return abs(area) / 2, cx / (3 * area), cy / (3 * area)


def centroid(geometry: dict[str, object]) -> tuple[float, float] | None:
    """(lat, lon) of a GeoJSON Polygon or MultiPolygon (its largest polygon)."""
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else None
    if not polygons:
        return None
    best = max((_ring_centroid([p[:2] for p in poly[0]]) for poly in polygons if poly and poly[0]),  # type: ignore[union-attr]
               key=lambda c: c[0], default=None)
    return (best[2], best[1]) if best else None


def centroids(engine: Engine) -> dict[str, tuple[float, float]]:
    """Territory code (ISTAT comune code, NUTS3) -> (lat, lon); comuni without a boundary get their
    province's."""
    key = engine.url.render_as_string(hide_password=False)
    with _lock:
        if key in _cache:
            return _cache[key]
        out: dict[str, tuple[float, float]] = {}
        with Session(engine) as session:
            for code, geojson in session.execute(select(Concept.code, Geometry.geojson)
                                                 .join(Geometry, Geometry.concept_id == Concept.id)
                                                 .where(Concept.type == "territory")):
                c = centroid(json.loads(geojson))
                if c:
                    out[code] = c
            for code, attrs in session.execute(select(Concept.code, Concept.attrs).where(
                    Concept.type == "territory", Concept.level == "comune")):
                nuts3 = (attrs or {}).get("nuts3")
                if code not in out and nuts3 in out:
                    out[code] = out[nuts3]
        _cache[key] = out
        return out


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(h))
