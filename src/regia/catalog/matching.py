"""Once-only recognition: is an incoming course one the catalogue already holds?

In order, the first that applies:

1. **Source key** – the same source sent a record with the same key before (its provider's VAT and its own
   course code, or its title when it has no code): the same course, possibly edited.
2. **Natural key** – the provider's partita IVA / codice fiscale and the provider's ``course_code``.
3. **Fuzzy** – among the courses of the same provider (same VAT, or a provider name at least
   ``PROVIDER_MIN`` similar), the best by

       score = 0.6 · title + 0.2 · place + 0.2 · dates

   where ``title`` is rapidfuzz's ``token_sort_ratio`` of the folded titles (0–1), ``place`` is 1 when an
   edition is in the same comune (or both are online), 0.5 in the same province, else 0, and ``dates`` is
   ``1 - d / DATE_DAYS`` for the closest start dates ``d`` days apart (0 beyond ``DATE_DAYS``), 0.5 when the
   incoming record has no dates.
   A candidate is the same course when ``title ≥ TITLE_MIN`` and ``score ≥ THRESHOLD``. With the defaults a
   re-worded title ("Excel avanzato per l'ufficio" / "Excel avanzato per ufficio") held in the same comune
   on the same dates is recognised; the same title in another province on other dates (0.6 + 0 + 0) is
   not: it is another course of the same provider.

Editions of a recognised course are matched by start date (within ``EDITION_DAYS``) and comune.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rapidfuzz import fuzz, process

from regia.taxonomy.normalize import fold

TITLE_MIN = 0.80
THRESHOLD = 0.85
PROVIDER_MIN = 90.0
DATE_DAYS = 14
EDITION_DAYS = 3


def key_text(text: str) -> str:
    """Folded words, punctuation dropped: the form titles and names are compared in."""
    return " ".join("".join(ch if ch.isalnum() else " " for ch in fold(text)).split())


@dataclass
class EditionRef:
    id: int | None
    start: date | None
    comune: str | None
    nuts3: str | None
    obj: Any = None  # the Edition row, once loaded or created in this run


@dataclass(eq=False)
class CourseRef:
    """What recognition needs of a held course; ``obj`` is its Course row once loaded or created (a course
    created in this run has no id until the session is flushed)."""

    course_id: int | None
    provider_id: int
    code: str
    title_key: str
    editions: list[EditionRef] = field(default_factory=list)
    obj: Any = None

    @property
    def id(self) -> int | None:
        return self.obj.id if self.obj is not None and self.obj.id is not None else self.course_id


@dataclass(frozen=True)
class Match:
    ref: CourseRef
    how: str  # source_key | natural_key | fuzzy
    score: float


def place_score(course: CourseRef, comuni: set[str | None], provinces: set[str | None]) -> float:
    held_comuni = {e.comune for e in course.editions}
    held_provinces = {e.nuts3 for e in course.editions}
    if comuni & held_comuni - {None} or (None in comuni and None in held_comuni):
        return 1.0
    if provinces & held_provinces - {None}:
        return 0.5
    return 0.0


def date_score(course: CourseRef, starts: set[date]) -> float:
    if not starts:
        return 0.5
    held = [e.start for e in course.editions if e.start]
    if not held:
        return 0.0
    closest = min(abs((s - h).days) for s in starts for h in held)
    return max(0.0, 1.0 - closest / DATE_DAYS)


def fuzzy_score(course: CourseRef, title_key: str, comuni: set[str | None], provinces: set[str | None],
                starts: set[date]) -> tuple[float, float]:
    """(title similarity, combined score), both in [0, 1]."""
    title = fuzz.token_sort_ratio(title_key, course.title_key) / 100.0
    return title, 0.6 * title + 0.2 * place_score(course, comuni, provinces) + 0.2 * date_score(course, starts)


def best_fuzzy(candidates: list[CourseRef], title_key: str, comuni: set[str | None], provinces: set[str | None],
               starts: set[date]) -> Match | None:
    """The best candidate over the thresholds, or None. Titles are pre-filtered in C by rapidfuzz."""
    if not candidates:
        return None
    hits = process.extract(title_key, [c.title_key for c in candidates], scorer=fuzz.token_sort_ratio,
                           score_cutoff=TITLE_MIN * 100, limit=50)
    best: Match | None = None
    for _, _, i in hits:
        title, score = fuzzy_score(candidates[i], title_key, comuni, provinces, starts)
        if title >= TITLE_MIN and score >= THRESHOLD and (best is None or score > best.score):
            best = Match(candidates[i], "fuzzy", round(score, 4))
    return best


def similar_names(name_key: str, names: dict[str, list[int]]) -> list[int]:
    """Provider ids whose folded name is at least ``PROVIDER_MIN`` similar to ``name_key``."""
    hits = process.extract(name_key, list(names), scorer=fuzz.token_sort_ratio, score_cutoff=PROVIDER_MIN,
                           limit=5)
    return [pid for hit, _, _ in hits for pid in names[hit]]


def same_edition(held: EditionRef, start: date | None, comune: str | None) -> bool:
    if held.comune != comune:
        return False
    if held.start is None or start is None:
        return held.start is None and start is None
    return abs((held.start - start).days) <= EDITION_DAYS
