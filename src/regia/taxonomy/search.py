"""Ranked label search over the taxonomy: accent- and case-insensitive, stemmed (plurals, gender forms).

The index lives in memory, built from the stored normalised labels (``Label.norm``) and rebuilt when
the taxonomy changes. Scores are in [0, 1]: how much of the query a label covers (IDF-weighted), how much
of the label the query covers, with bonuses for exact and prefix matches and preferred labels.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from regia.taxonomy.models import TERRITORY, Concept, Label
from regia.taxonomy.normalize import fold, terms

KIND_WEIGHT = {"preferred": 1.0, "alternative": 0.96, "hidden": 0.9}
# A place name asks for the area before the comune of the same name ("Monza" -> the province).
LEVEL_FACTOR = {"comune": 0.85}
LEVEL_PRIOR = {"region": 0.1, "province": 0.1}
# Equal scores: the current edition of a classification first.
SCHEME_RANK = {"ateco2025": 0, "ateco2022": 1, "ateco2007": 2}


@dataclass(frozen=True)
class Hit:
    concept_id: int
    code: str
    type: str
    score: float
    matched: str  # the label that matched best


@dataclass
class _Entry:
    concept_id: int
    lang: str
    kind: str
    text: str
    terms: tuple[str, ...]


class SearchIndex:
    def __init__(self, session: Session) -> None:
        self.concepts: dict[int, tuple[str, str, str | None, int]] = {
            cid: (code, ctype, level, SCHEME_RANK.get(scheme, 0))
            for cid, code, ctype, level, scheme in session.execute(
                select(Concept.id, Concept.code, Concept.type, Concept.level, Concept.scheme)
            )
        }
        self.entries: list[_Entry] = []
        self.postings: dict[str, list[int]] = defaultdict(list)
        rows = session.execute(select(Label.concept_id, Label.lang, Label.kind, Label.text, Label.norm))
        for cid, lang, kind, text, norm in rows:
            entry = _Entry(cid, lang, kind, text, tuple(norm.split()))
            idx = len(self.entries)
            self.entries.append(entry)
            for term in set(entry.terms):
                self.postings[term].append(idx)
        n = max(len(self.entries), 1)
        self.idf = {t: math.log(1 + n / len(p)) for t, p in self.postings.items()}
        self.vocabulary = sorted(self.postings)

    def _expand(self, term: str) -> list[tuple[str, float]]:
        """The term itself, else words that start with it (typing "Monz" finds "Monza")."""
        if term in self.postings:
            return [(term, 1.0)]
        if len(term) < 3:
            return []
        out: list[tuple[str, float]] = []
        i = bisect_left(self.vocabulary, term)
        while i < len(self.vocabulary) and self.vocabulary[i].startswith(term) and len(out) < 50:
            out.append((self.vocabulary[i], 0.8))
            i += 1
        return out

    def search(self, text: str, *, lang: str = "it", types: set[str] | None = None, limit: int = 20) -> list[Hit]:
        # Query terms in both languages: people type English words in Italian searches and vice versa.
        query_terms = {lng: terms(text, lng) for lng in ("it", "en")}
        if not any(query_terms.values()):
            return []
        folded = " ".join(fold(text).split())
        best: dict[int, tuple[float, str]] = {}
        for qlang, qterms in query_terms.items():
            if not qterms:
                continue
            expanded = [self._expand(t) for t in qterms]
            weights = [self.idf.get(t, 4.0) for t in qterms]
            total = sum(weights)
            matched: dict[int, float] = defaultdict(float)
            for options, weight in zip(expanded, weights, strict=True):
                hit: set[int] = set()
                for term, factor in options:
                    for idx in self.postings[term]:
                        if idx not in hit:
                            hit.add(idx)
                            matched[idx] += weight * factor
            for idx, covered in matched.items():
                entry = self.entries[idx]
                if entry.lang != qlang and entry.lang in query_terms:
                    continue  # compare Italian terms with Italian labels, English with English
                code, ctype, level, _rank = self.concepts[entry.concept_id]
                if types and ctype not in types:
                    continue
                recall = covered / total
                precision = min(1.0, len(qterms) / max(len(entry.terms), 1))
                score = 0.62 * recall + 0.28 * precision * recall
                label = " ".join(fold(entry.text).split())
                if label == folded:
                    score += 0.1
                elif label.startswith(folded):
                    score += 0.05
                score *= KIND_WEIGHT.get(entry.kind, 0.9)
                score *= 1.0 if entry.lang == lang else 0.97
                if ctype == TERRITORY:
                    score = score * LEVEL_FACTOR.get(level or "", 1.0) + LEVEL_PRIOR.get(level or "", 0.0) * recall
                score = min(score, 1.0)
                if score > best.get(entry.concept_id, (0.0, ""))[0]:
                    best[entry.concept_id] = (score, entry.text)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], self.concepts[kv[0]][3], len(kv[1][1]), kv[0]))
        hits: list[Hit] = []
        seen: set[tuple[str, str]] = set()
        for cid, (score, matched_text) in ranked:
            code, ctype = self.concepts[cid][:2]
            if (code, ctype) in seen:
                continue  # the same code in an older edition
            seen.add((code, ctype))
            hits.append(Hit(cid, code, ctype, round(score, 4), matched_text))
            if len(hits) == limit:
                break
        return hits


_lock = threading.Lock()
_cache: dict[str, tuple[tuple[int, int], SearchIndex]] = {}


def index_for(engine: Engine, session: Session) -> SearchIndex:
    """The process-wide index for this database, rebuilt when its labels change."""
    count, last = session.execute(select(func.count(Label.id), func.coalesce(func.max(Label.id), 0))).one()
    stamp = (int(count), int(last))
    key = engine.url.render_as_string(hide_password=False)
    with _lock:
        cached = _cache.get(key)
        if cached is None or cached[0] != stamp:
            cached = (stamp, SearchIndex(session))
            _cache[key] = cached
        return cached[1]
