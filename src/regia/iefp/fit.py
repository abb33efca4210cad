"""How well a student fits a place, for explanations and for the fit-score mode of the matching.

**Figure fit** ``f`` (0–1) between the figure the student studies for and the figure of the place:
1 for the same figure (any version); otherwise 0.8 × the Jaccard similarity of the ESCO skills linked to the two
versions' competences (shared skills over all skills), when they share any; otherwise 0.3 when the two figures
serve a common ATECO division (or section); else 0 (no fit: never assigned in fit-score mode).

**Commute score** ``c`` = max(0, 1 − minutes / 60) from the estimate of :mod:`regia.iefp.commute`; a place more
than :data:`MAX_COMMUTE_MIN` minutes away is not assigned; an unknown commute scores 0 (no bonus, not excluded).

**Preference score** ``r``: when the student ranked the place (k-th of n), ``(n − k + 1) / n``; else 0.

**Fit score** = ``0.5 f + 0.3 c + 0.2 r`` (:data:`WEIGHTS`): the figure comes first (the placement is part of the
student's qualification), then the journey (minors travel by public transport), then what the student said when
they said anything. Pairs with ``f = 0`` or a commute over the limit score 0 and are never assigned.
"""

from __future__ import annotations

from typing import Any

from regia.iefp.kit import division_of, section_of
from regia.iefp.models import FigureVersion

WEIGHTS = {"figure": 0.5, "commute": 0.3, "preference": 0.2}
MAX_COMMUTE_MIN = 60


def _skills(version: FigureVersion) -> set[str]:
    return {uri for c in version.competences for uri in c.esco_skills}


def _sectors(version: FigureVersion) -> set[str]:
    return {s for code in version.ateco for s in (division_of(code) or section_of(code),) if s}


def figure_fit(student: FigureVersion, place: FigureVersion) -> dict[str, Any]:
    """``{"score", "reason"}``: reason ``same_figure``, ``shared_skills`` (with ``shared``), ``same_sector`` or
    ``none``."""
    if student.figure_id == place.figure_id:
        return {"score": 1.0, "reason": "same_figure"}
    a, b = _skills(student), _skills(place)
    if a & b:
        return {"score": round(0.8 * len(a & b) / len(a | b), 4), "reason": "shared_skills",
                "shared": len(a & b)}
    if _sectors(student) & _sectors(place):
        return {"score": 0.3, "reason": "same_sector"}
    return {"score": 0.0, "reason": "none"}


def commute_score(minutes: int | None) -> float | None:
    """None when the place is too far to be assigned."""
    if minutes is None:
        return 0.0
    if minutes > MAX_COMMUTE_MIN:
        return None
    return max(0.0, 1 - minutes / MAX_COMMUTE_MIN)


def fit_score(figure: float, minutes: int | None, rank: int | None, listed: int) -> dict[str, Any]:
    """The score of a pair and its parts (``score`` 0 means: not assignable)."""
    c = commute_score(minutes)
    r = (listed - rank + 1) / listed if rank and listed else 0.0
    if figure <= 0 or c is None:
        return {"score": 0.0, "figure": figure, "commute": c, "preference": r}
    score = WEIGHTS["figure"] * figure + WEIGHTS["commute"] * c + WEIGHTS["preference"] * r
    return {"score": round(score, 6), "figure": figure, "commute": round(c, 4), "preference": round(r, 4)}
