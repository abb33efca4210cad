"""Orientation for a person, and courses near a place that teach given skills.

From a current occupation (its essential ESCO skills count as held) or a list of skills held — and the skills
of the person's certified competences, when they are signed in — to a target occupation: the target's essential
skills not held are *missing*; the courses that teach any of them are listed with how many they cover
(``covers``), ordered by coverage (most first), then hours (fewest first), then next start date (soonest
first). Courses whose editions have all started already are not proposed. With ``near`` (a comune) only
courses with an edition within ``km`` - or online ones - are kept, each with its
distance from the nearest edition.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from regia.catalog import geo
from regia.catalog.ingest import load_places
from regia.catalog.search import EPOCH, NO_DATE, index_for
from regia.catalog.service import InvalidQuery, resolve_concept
from regia.catalog.validation import Invalid
from regia.i18n import N_
from regia.taxonomy.models import ESSENTIAL_SKILL, OCCUPATION, Concept, Relation
from regia.taxonomy.service import preferred_labels


def essential_skills(session: Session, occupation_uri: str) -> list[str]:
    occ = session.scalar(select(Concept.id).where(Concept.uri == occupation_uri))
    skill = Concept.__table__.alias("s")
    rows = session.scalars(select(skill.c.uri).join(Relation, Relation.target_id == skill.c.id)
                           .where(Relation.source_id == occ, Relation.type == ESSENTIAL_SKILL))
    return sorted(u for u in rows if u)


def _labels(session: Session, uris: list[str], lang: str) -> dict[str, str]:
    ids = {u: i for u, i in session.execute(select(Concept.uri, Concept.id).where(Concept.uri.in_(uris)))}
    by_id = preferred_labels(session, ids.values(), lang)
    return {u: by_id.get(i, u) for u, i in ids.items()}


def resolve_place(engine: Engine, near: str) -> tuple[str, str]:
    """(ISTAT code, name) of a comune given by name or code."""
    with Session(engine) as session:
        places = load_places(session)
    try:
        code, _ = places.resolve(near)
    except Invalid as exc:
        raise InvalidQuery(exc.reason, key=N_("catalog.err.place_unknown"), value=near) from None
    return code, places.by_code[code][0]


def courses_for_skills(engine: Engine, skills: list[str], *, near: str | None = None, km: float = 50.0,
                       size: int = 10, include_online: bool = True,
                       provinces: list[str] | None = None) -> list[dict[str, Any]]:
    """Courses teaching any of ``skills``, by coverage, hours and start date; with distance from ``near``
    (an ISTAT comune code) when given."""
    index = index_for(engine)
    _, count = index.skill_coverage(skills)
    candidates = np.flatnonzero(count > 0)
    origin = None
    centroids: dict[str, tuple[float, float]] = {}
    if near:
        centroids = geo.centroids(engine)
        origin = centroids.get(near)
    wanted = set(provinces or [])
    rows = []
    for p in candidates:
        p = int(p)
        if index.ended[p]:
            continue
        places = index.places[p]
        if wanted and not ({n for n, _ in places} & wanted or (include_online and not places)):
            continue
        best: tuple[float, str] | None = None
        if origin is not None:
            for _, comune in places:
                if comune and comune in centroids:
                    d = geo.distance_km(origin, centroids[comune])
                    if best is None or d < best[0]:
                        best = (d, comune)
            if places and (best is None or best[0] > km):
                continue
            if not places and not include_online:
                continue
        nxt = int(index.next_start[p])
        rows.append({
            "id": int(index.ids[p]), "title": index.titles[p], "provider": index.providers[p],
            "covers": int(count[p]), "hours": float(index.hours[p]), "modality": index.modality[p],
            "next_start": date.fromordinal(nxt + EPOCH).isoformat() if nxt != NO_DATE else None,
            "distance_km": round(best[0], 1) if best else None,
            "comune": index.comune_names.get(best[1], best[1]) if best else
            (index.comune_names.get(places[0][1], places[0][1]) if places and places[0][1] else None),
            "provinces": sorted({n for n, _ in places if n}), "targets": index.targets[p],
            "funding": index.funding[p], "seats": int(index.seats[p]),
            "_start": nxt,
        })
    rows.sort(key=lambda r: (-r["covers"], r["hours"], r["_start"], r["distance_km"] or 0.0, r["id"]))
    for r in rows:
        r.pop("_start")
    return rows[:size]


def plan(engine: Engine, *, target: str, current: str | None = None, held_skills: list[str] | None = None,
         certified_skills: list[str] | None = None, near: str | None = None, km: float = 50.0, size: int = 10,
         lang: str = "it") -> dict[str, Any]:
    """``certified_skills``: the ESCO skills of the person's certified competences (the certification domain's
    ``certified_skills_of``), held too and listed apart as ``certified``."""
    if not current and not held_skills:
        raise InvalidQuery("give a current occupation or the skills held", key=N_("catalog.err.orientation_empty"))
    with Session(engine) as session:
        target_uri = resolve_concept(session, target, OCCUPATION)
        current_uri = resolve_concept(session, current, OCCUPATION) if current else None
        needed = essential_skills(session, target_uri)
        held = set(essential_skills(session, current_uri)) if current_uri else set()
        held |= {s.replace("https://", "http://") for s in held_skills or []}
        certified = {s.replace("https://", "http://") for s in certified_skills or []} & set(needed)
        held |= certified
        missing = [s for s in needed if s not in held]
        labels = _labels(session, [target_uri, *([current_uri] if current_uri else []), *needed], lang)
    place = resolve_place(engine, near) if near else None
    courses = courses_for_skills(engine, missing, near=place[0] if place else None, km=km, size=size)
    return {
        "target": {"uri": target_uri, "label": labels.get(target_uri, target_uri)},
        "current": {"uri": current_uri, "label": labels.get(current_uri, current_uri)} if current_uri else None,
        "near": {"code": place[0], "name": place[1], "km": km} if place else None,
        "essential": len(needed), "held": sorted(held & set(needed)),
        "certified": sorted(({"uri": s, "label": labels.get(s, s)} for s in certified), key=lambda x: x["label"]),
        "missing": sorted(({"uri": s, "label": labels.get(s, s)} for s in missing), key=lambda x: x["label"]),
        "courses": courses,
    }
