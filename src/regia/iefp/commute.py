"""How long a student takes to reach a place: an estimate from the comuni's centroids (no timetable).

``minutes = FIXED + 60 × DETOUR × km / SPEED``, where ``km`` is the great-circle distance between the centroids
of the two comuni (from the taxonomy's boundaries, via :func:`regia.catalog.service.territory_centroids`; a comune
without a boundary takes its province's), ``DETOUR`` = 1.3 turns the straight line into a route (a common
circuity factor for road and rail networks), ``SPEED`` = 30 km/h is a door-to-door speed by public transport or
scooter for a teenager (waiting and changes included) and ``FIXED`` = 10 minutes covers walking to the stop and
from it. Inside one comune that gives 10 minutes. It is an estimate for ranking and explaining, stated as such
on the pages; a timetable (GTFS) would replace it.
"""

from __future__ import annotations

from sqlalchemy import Engine

from regia.catalog import service as catalog

FIXED_MIN = 10.0
DETOUR = 1.3
SPEED_KMH = 30.0


def minutes_for_km(km: float) -> int:
    return round(FIXED_MIN + 60.0 * DETOUR * km / SPEED_KMH)


class Commutes:
    """Estimates between comuni of one database (centroids read once, cached by the catalogue)."""

    def __init__(self, engine: Engine) -> None:
        self.centroids = catalog.territory_centroids(engine)

    def km(self, a: str, b: str) -> float | None:
        pa, pb = self.centroids.get(a), self.centroids.get(b)
        if pa is None or pb is None:
            return None
        return 0.0 if a == b else catalog.distance_km(pa, pb)

    def minutes(self, a: str, b: str) -> int | None:
        """Estimated minutes from comune ``a`` to comune ``b``; None when one has no known position."""
        km = self.km(a, b)
        return None if km is None else minutes_for_km(km)
