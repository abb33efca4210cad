"""Search of the catalogue: Italian full text, facets, and search by skill or occupation, from an in-memory
index built from the database (the same on SQLite and PostgreSQL).

Why in memory: facet counts over 100,000 courses and ranking by skill coverage are a few vectorised numpy
operations on columnar arrays (well under a millisecond each), where SQL would need one grouped query per
facet. The index is built once per process and rebuilt when the catalogue changes (``invalidate`` after a
write in this process; a cheap generation query at most every ``CHECK_SECONDS`` for writes by others).

Text: each course's title (weight 3), certification (2), description (1) and the labels of the ESCO skills
and occupations it is tagged with (0.6: the *synonyms* — English ESCO labels, Italian occupation labels and
the classifier's Italian skill lexicon) are cut into terms with ``taxonomy.normalize`` (accents folded,
Italian stemming, gender forms unified). A query word matches a course by its stem, or with weight 0.6 by
its *root* (Italian derivational endings removed: saldatura, saldatore, saldare -> ``sald``), or by its
English stem in the English labels. A course's score is the sum over query words of
``idf(term) * field weight * (1 + 0.2 log tf)``, times the share of query words it matches squared (so
courses matching every word come first), normalised to [0, 1].

Skill and occupation: ``skill=URI`` keeps the courses tagged with any of the skills, ranked by how many they
teach; ``occupation=URI`` ranks courses by the share of the occupation's essential ESCO skills they teach
(confirmed or declared tags count 1, classifier tags their score) weighted 0.75, plus 0.25 when the course is
itself tagged with the occupation. With several criteria the score is their mean. Ties are broken by the
earliest next edition, then by id.
"""

from __future__ import annotations

import gc
import itertools
import math
import re
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from scipy import sparse
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from regia.catalog.facets import Facet
from regia.catalog.models import (
    MODALITIES,
    ORIGIN_CLASSIFIER,
    TARGETS,
    Course,
    CourseFunding,
    CourseOccupation,
    CourseSkill,
    CourseTarget,
    Edition,
    Provider,
)
from regia.clock import rome_today
from regia.taxonomy.models import ESSENTIAL_SKILL, OCCUPATION, SKILL, Concept, Label, Relation
from regia.taxonomy.normalize import STOPWORDS, fold, stem, tokens

CHECK_SECONDS = 2.0
FIELD_WEIGHTS = {"title": 3.0, "certification": 2.0, "description": 1.0, "synonym": 0.6}
ROOT_WEIGHT = 0.6
OCCUPATION_TAG_BONUS = 0.25
HOURS_BUCKETS = ((0, 16, "1-16"), (16, 40, "17-40"), (40, 120, "41-120"), (120, 1e9, "121+"))
FACETS = ("province", "target", "modality", "funding", "fund", "hours", "start_month", "digital", "green")
NO_DATE = 2**31 - 1
EPOCH = date(1970, 1, 1).toordinal()

# Italian derivational endings, longest first: what is left (at least 4 letters) is the word's root.
_ENDINGS = """azione azioni amento amenti imento imenti atura ature atore atori atrice atrici
itura iture itore itori ista isti iste aggio aggi abile ibile are ere ire ato ata ati ate uto uta uti ute ito
ita iti ite ura ure ore ori ice ici zione zioni mento menti ico ica iche ale ali o a e i"""
_ROOT_ENDINGS = tuple(sorted(_ENDINGS.split(), key=len, reverse=True))
_WORD = re.compile(r"[a-z0-9]")


def root(token: str) -> str:
    """The folded token without its Italian derivational ending (``saldatura`` -> ``sald``)."""
    for ending in _ROOT_ENDINGS:
        if token.endswith(ending) and len(token) - len(ending) >= 4:
            return token[: -len(ending)]
    return token


def word_terms(token: str, lang: str = "it") -> tuple[str, str, str]:
    """(stem, root term, English stem term) of one folded token."""
    return stem(token, lang), "~" + root(token), "en:" + stem(token, "en")


def day(d: date | None) -> int:
    return d.toordinal() - EPOCH if d else NO_DATE


# ------------------------------------------------------------------------------------------------ query
@dataclass
class Query:
    text: str = ""
    provinces: list[str] = field(default_factory=list)  # NUTS3 codes (or siglas; resolved by the index)
    targets: list[str] = field(default_factory=list)
    modalities: list[str] = field(default_factory=list)
    funding: list[str] = field(default_factory=list)  # channels: regione, fse+, fondo, impresa
    funds: list[str] = field(default_factory=list)  # Fund names
    digital: bool | None = None
    green: bool | None = None
    hours_min: float | None = None
    hours_max: float | None = None
    start_from: date | None = None
    start_to: date | None = None
    skills: list[str] = field(default_factory=list)
    occupation: str | None = None
    course_ids: list[int] | None = None  # restrict to these (orientation, gap closing)


@dataclass
class Hit:
    id: int
    score: float
    title: str
    provider: str
    provider_vat: str
    course_code: str
    hours: float
    modality: str
    digital: bool
    green: bool
    next_start: date | None
    nuts3: list[str]
    comuni: list[str]
    targets: list[str]
    funding: list[str]
    seats: int
    skills_matched: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "provider": self.provider, "course_code": self.course_code,
                "score": self.score, "hours": self.hours, "modality": self.modality, "digital": self.digital,
                "green": self.green, "next_start": self.next_start.isoformat() if self.next_start else None,
                "provinces": self.nuts3, "comuni": self.comuni, "targets": self.targets,
                "funding": self.funding, "seats": self.seats, "skills_matched": self.skills_matched}


@dataclass
class Results:
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    page: int
    size: int

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "page": self.page, "size": self.size,
                "results": [h.as_dict() for h in self.hits], "facets": self.facets}


class BadQuery(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


# ------------------------------------------------------------------------------------------------ index
_SERIAL = itertools.count(1)
_unfreeze_at_exit: list[bool] = []


def _freeze() -> None:
    """Move every live object to the collector's permanent generation; at exit they are handed back, so
    that extension modules see their objects freed."""
    gc.collect()
    gc.freeze()
    if not _unfreeze_at_exit:
        import atexit

        atexit.register(gc.unfreeze)
        _unfreeze_at_exit.append(True)


class CatalogIndex:
    def __init__(self, session: Session) -> None:
        started = time.perf_counter()
        self.serial = next(_SERIAL)  # identifies this build (answers cached per build)
        rows = session.execute(
            select(Course.id, Course.title, Course.description, Course.hours, Course.modality, Course.digital,
                   Course.green, Course.course_code, Course.certification, Provider.name, Provider.vat)
            .join(Provider, Provider.id == Course.provider_id).order_by(Course.id)).all()
        self.n = n = len(rows)
        self.ids = np.asarray([r[0] for r in rows], dtype=np.int64)
        self.pos = {int(cid): i for i, cid in enumerate(self.ids)}
        self.titles = [r[1] for r in rows]
        self.hours = np.asarray([r[3] for r in rows], dtype=np.float32)
        self.modality = [r[4] for r in rows]
        self.digital = np.asarray([bool(r[5]) for r in rows], dtype=bool)
        self.green = np.asarray([bool(r[6]) for r in rows], dtype=bool)
        self.codes = [r[7] or "" for r in rows]
        self.providers = [r[9] for r in rows]
        self.vats = [r[10] or "" for r in rows]

        # editions
        ed_course: list[int] = []
        ed_start: list[int] = []
        self.seats = np.zeros(n, dtype=np.int64)
        # the first edition starting today or later (past editions do not make a course "next"); courses whose
        # editions are all in the past keep NO_DATE and ``ended`` (the index is rebuilt when the catalogue changes)
        self.built_on = rome_today()
        today = day(self.built_on)
        self.next_start = np.full(n, NO_DATE, dtype=np.int64)
        self.ended = np.zeros(n, dtype=bool)
        dated = np.zeros(n, dtype=bool)
        self.places: list[list[tuple[str, str]]] = [[] for _ in range(n)]  # (nuts3, comune) per course
        province_pairs: list[tuple[int, str]] = []
        month_pairs: list[tuple[int, str]] = []
        for cid, start, seats, nuts3, comune in session.execute(
                select(Edition.course_id, Edition.start_date, Edition.seats, Edition.nuts3, Edition.comune)):
            p = self.pos.get(cid)
            if p is None:
                continue
            ed_course.append(p)
            ed_start.append(day(start))
            self.seats[p] += seats or 0
            if start is not None:
                dated[p] = True
                if day(start) >= today:
                    self.next_start[p] = min(self.next_start[p], day(start))
            if (nuts3 or "", comune or "") not in self.places[p]:
                self.places[p].append((nuts3 or "", comune or ""))
            if nuts3:
                province_pairs.append((p, nuts3))
            if start:
                month_pairs.append((p, start.strftime("%Y-%m")))
        self.ended = dated & (self.next_start == NO_DATE)
        self.ed_course = np.asarray(ed_course, dtype=np.int32)
        self.ed_start = np.asarray(ed_start, dtype=np.int64)

        targets: list[list[str]] = [[] for _ in range(n)]
        for cid, target in session.execute(select(CourseTarget.course_id, CourseTarget.target)):
            if cid in self.pos:
                targets[self.pos[cid]].append(target)
        self.targets = targets
        funding: list[list[str]] = [[] for _ in range(n)]
        fund_pairs: list[tuple[int, str]] = []
        for cid, channel, fund in session.execute(select(CourseFunding.course_id, CourseFunding.channel,
                                                         CourseFunding.fund)):
            if cid in self.pos:
                funding[self.pos[cid]].append(f"fondo:{fund}" if channel == "fondo" else channel)
                if channel == "fondo" and fund:
                    fund_pairs.append((self.pos[cid], fund))
        self.funding = funding

        def dedup(pairs: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
            return list(dict.fromkeys(pairs))

        self.facets: dict[str, Facet] = {
            "province": Facet(dedup(province_pairs)),
            "target": Facet(((p, t) for p, ts in enumerate(targets) for t in ts), TARGETS),
            "modality": Facet(((p, m) for p, m in enumerate(self.modality)), MODALITIES),
            "funding": Facet(dedup((p, f.split(":")[0]) for p, fs in enumerate(funding) for f in fs),
                              ("regione", "fse+", "fondo", "impresa")),
            "fund": Facet(dedup(fund_pairs)),
            "hours": Facet(((p, _hours_bucket(float(h))) for p, h in enumerate(self.hours)),
                            [b[2] for b in HOURS_BUCKETS]),
            "start_month": Facet(dedup(month_pairs)),
            "digital": Facet((p, "true") for p in np.flatnonzero(self.digital)),
            "green": Facet((p, "true") for p in np.flatnonzero(self.green)),
        }
        for facet in self.facets.values():
            facet.prepare(n)
        # browsing order (next start, then id) and each course's rank in it: the tie-breaker of every ranking
        self.browse_order = np.lexsort((self.ids, self.next_start)) if n else np.zeros(0, dtype=np.int64)
        self.browse_rank = np.empty(n, dtype=np.float64)
        self.browse_rank[self.browse_order] = np.arange(n, dtype=np.float64)

        # skills and occupations
        skill_rows: dict[str, list[tuple[int, float]]] = defaultdict(list)
        course_skills: list[list[str]] = [[] for _ in range(n)]
        for cid, uri, origin, score, confirmed in session.execute(
                select(CourseSkill.course_id, CourseSkill.uri, CourseSkill.origin, CourseSkill.score,
                       CourseSkill.confirmed)):
            p = self.pos.get(cid)
            if p is None:
                continue
            weight = float(score) if origin == ORIGIN_CLASSIFIER and not confirmed else 1.0
            skill_rows[uri].append((p, min(1.0, max(weight, 0.05))))
            course_skills[p].append(uri)
        self.skill_postings = {uri: (np.asarray([p for p, _ in v], dtype=np.int32),
                                     np.asarray([w for _, w in v], dtype=np.float32))
                               for uri, v in skill_rows.items()}
        occ_rows: dict[str, list[int]] = defaultdict(list)
        course_occ: list[list[str]] = [[] for _ in range(n)]
        for cid, uri in session.execute(select(CourseOccupation.course_id, CourseOccupation.uri)):
            p = self.pos.get(cid)
            if p is not None:
                occ_rows[uri].append(p)
                course_occ[p].append(uri)
        self.occupation_postings = {uri: np.asarray(v, dtype=np.int32) for uri, v in occ_rows.items()}
        self._essential: dict[str, list[str]] = {}
        self._hits: dict[int, dict[str, Any]] = {}

        # territories: sigla -> NUTS3, names of provinces and comuni
        self.sigla: dict[str, str] = {}
        self.province_names: dict[str, str] = {}
        self.comune_names: dict[str, str] = {}
        wanted_comuni = {c for places in self.places for _, c in places if c}
        for code, level, attrs, name in session.execute(
                select(Concept.code, Concept.level, Concept.attrs, Label.text)
                .join(Label, Label.concept_id == Concept.id)
                .where(Concept.type == "territory", Concept.level.in_(["province", "comune"]),
                       Label.kind == "preferred")):
            if level == "province":
                self.province_names[code] = name
                if (attrs or {}).get("sigla"):
                    self.sigla[attrs["sigla"].upper()] = code
            elif code in wanted_comuni:
                self.comune_names[code] = name

        self._build_text(rows, course_skills, course_occ, session)
        self.built_in = time.perf_counter() - started
        # The index holds millions of small Python objects that live as long as it does: keep the cyclic
        # garbage collector from walking them again and again (full collections of ~100 ms, under load).
        _freeze()

    # -- text
    def _build_text(self, rows: Sequence[Any], course_skills: list[list[str]], course_occ: list[list[str]],
                    session: Session) -> None:
        """The term x course weight matrix: the maximum of the fields' matrices (title, certification,
        description) and of the synonyms' (concept labels x the course's concepts), built from vectors so that
        100,000 courses take seconds."""
        vocab: dict[str, int] = {}
        analysed: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}

        def analyse(text: str, kind: str) -> tuple[np.ndarray, np.ndarray]:
            """(term ids, weights) of a text; identical texts are analysed once."""
            key = (text, kind)
            if key not in analysed:
                tf: dict[str, int] = {}
                lang = "en" if kind == "syn_en" else "it"
                for token in tokens(text):
                    if token in STOPWORDS[lang] or not _WORD.match(token):
                        continue
                    if kind == "syn_en":
                        tf["en:" + stem(token, "en")] = tf.get("en:" + stem(token, "en"), 0) + 1
                    else:
                        st, rt, _ = word_terms(token)
                        tf[st] = tf.get(st, 0) + 1
                        tf[rt] = tf.get(rt, 0) + 1
                base = FIELD_WEIGHTS["synonym" if kind.startswith("syn") else kind]
                ids = np.asarray([vocab.setdefault(t, len(vocab)) for t in tf], dtype=np.int64)
                weights = np.asarray([base * (ROOT_WEIGHT if t.startswith("~") else 1.0) * (1.0 + 0.2 * math.log(c))
                                      for t, c in tf.items()], dtype=np.float32)
                analysed[key] = (ids, weights)
            return analysed[key]

        def matrix(entries: list[tuple[np.ndarray, np.ndarray, int]], ncols: int) -> sparse.csr_matrix:
            if not entries:
                return sparse.csr_matrix((len(vocab), ncols), dtype=np.float32)
            ids = np.concatenate([e[0] for e in entries])
            weights = np.concatenate([e[1] for e in entries])
            cols = np.concatenate([np.full(len(e[0]), e[2], dtype=np.int64) for e in entries])
            return sparse.coo_matrix((weights, (ids, cols)), shape=(len(vocab), ncols)).tocsr()

        fields = []
        for p, row in enumerate(rows):
            for text, kind in ((row[1], "title"), (row[8] or "", "certification"), (row[2] or "", "description")):
                if text:
                    ids, weights = analyse(text, kind)
                    fields.append((ids, weights, p))
        # synonyms: labels of each concept (a URI is a column), then spread to courses by a product
        uris = sorted({u for us in course_skills for u in us} | {u for us in course_occ for u in us})
        column = {u: i for i, u in enumerate(uris)}
        concept_entries = []
        for uri, labels in _labels(session, set(uris)).items():
            for lang, text in labels:
                ids, weights = analyse(text, "syn_en" if lang == "en" else "syn_it")
                concept_entries.append((ids, weights, column[uri]))
        nterms = len(vocab)
        by_field = [(matrix(fields, self.n)[:nterms], None)]
        text = by_field[0][0]
        if concept_entries:
            per_concept = matrix(concept_entries, len(uris))
            pairs = [(column[u], p) for p, us in enumerate(course_skills) for u in us if u in column]
            pairs += [(column[u], p) for p, us in enumerate(course_occ) for u in us if u in column]
            links = sparse.coo_matrix((np.ones(len(pairs), dtype=np.float32),
                                       (np.asarray([a for a, _ in pairs], dtype=np.int64),
                                        np.asarray([b for _, b in pairs], dtype=np.int64))),
                                      shape=(len(uris), self.n)).tocsr()
            synonyms = (per_concept.maximum(0).astype(np.float32) @ links).tocsr()
            # several labels or concepts with the same term add up: cap at the synonym weight plus its tf bonus
            synonyms.data = np.minimum(synonyms.data, FIELD_WEIGHTS["synonym"] * 1.3).astype(np.float32)
            text = matrix(fields, self.n).maximum(synonyms).tocsr()
        text.sum_duplicates()
        text.sort_indices()
        self.vocab = vocab
        self.text = text.astype(np.float32)
        df = np.diff(self.text.indptr)
        self.idf = np.log(1.0 + (self.n - df + 0.5) / (df + 0.5)).astype(np.float32)

    def _term_row(self, term: str) -> tuple[np.ndarray, np.ndarray, float] | None:
        t = self.vocab.get(term)
        if t is None:
            return None
        a, b = self.text.indptr[t], self.text.indptr[t + 1]
        return self.text.indices[a:b], self.text.data[a:b], float(self.idf[t])

    def text_scores(self, text: str) -> np.ndarray | None:
        """Scores in [0, 1] per course (0: no match); None for a query without words. Few postings are merged
        sparse (sorted); many (common words: tens of thousands of courses) are added into dense per-course
        arrays, which costs a few passes over the catalogue instead of sorting them. Both give the same scores."""
        words = [t for t in dict.fromkeys(tokens(text)) if t not in STOPWORDS["it"] and _WORD.match(t)]
        if not words:
            return None
        per_word: list[list[tuple[np.ndarray, np.ndarray]]] = []
        best_possible = 0.0
        postings = 0
        for word in words:
            rows = []
            idf_max = 0.0
            for term in dict.fromkeys(word_terms(word)):
                row = self._term_row(term)
                if row is None:
                    continue
                idx, w, idf = row
                idf_max = max(idf_max, idf)
                rows.append((idx, w * idf))
                postings += len(idx)
            best_possible += FIELD_WEIGHTS["title"] * 1.3 * (idf_max or 1.0)
            per_word.append(rows)
        n = self.n
        scores = np.zeros(n, dtype=np.float32)
        if postings * 8 < n:
            courses, total, matched = self._merge_sparse(per_word)
        else:
            courses, total, matched = self._merge_dense(per_word)
        if not len(courses):
            return scores
        share = matched.astype(np.float32) / len(words)
        scores[courses] = np.minimum(total.astype(np.float32) * share * share / max(best_possible, 1e-9), 1.0)
        return scores

    @staticmethod
    def _merge_sparse(per_word: list[list[tuple[np.ndarray, np.ndarray]]]) -> tuple[np.ndarray, ...]:
        """(courses, summed weight, words matched) from each word's best form per course, by sorting."""
        parts_idx: list[np.ndarray] = []
        parts_val: list[np.ndarray] = []
        for rows in per_word:
            if not rows:
                continue
            idx = np.concatenate([r[0] for r in rows])
            val = np.concatenate([r[1] for r in rows])
            if len(rows) > 1:  # a course matched by several forms of the word keeps its best
                order = np.lexsort((-val, idx))
                idx, val = idx[order], val[order]
                first = np.ones(len(idx), dtype=bool)
                first[1:] = idx[1:] != idx[:-1]
                idx, val = idx[first], val[first]
            parts_idx.append(idx)
            parts_val.append(val)
        if not parts_idx:
            return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=np.int64)
        courses, inverse = np.unique(np.concatenate(parts_idx), return_inverse=True)
        return courses, np.bincount(inverse, weights=np.concatenate(parts_val)), np.bincount(inverse)

    def _merge_dense(self, per_word: list[list[tuple[np.ndarray, np.ndarray]]]) -> tuple[np.ndarray, ...]:
        """The same as :meth:`_merge_sparse` through dense per-course arrays."""
        n = self.n
        total = np.zeros(n, dtype=np.float64)
        matched = np.zeros(n, dtype=np.int32)
        for rows in per_word:
            if len(rows) == 1:  # (a term's postings name each course once)
                idx, val = rows[0]
                total[idx] += val
                matched[idx] += 1
            elif rows:  # a course matched by several forms of the word keeps its best
                best = np.zeros(n, dtype=np.float32)
                hit = np.zeros(n, dtype=bool)
                for idx, val in rows:
                    best[idx] = np.maximum(best[idx], val)
                    hit[idx] = True
                total += best
                matched += hit
        courses = np.flatnonzero(matched)
        return courses, total[courses], matched[courses]

    # -- skills and occupations
    def essential_skills(self, session: Session | None, occupation: str) -> list[str]:
        if occupation not in self._essential:
            if session is None:
                return []
            occ = session.scalar(select(Concept.id).where(Concept.uri == occupation, Concept.type == OCCUPATION))
            if occ is None:
                raise BadQuery("occupation", f"unknown ESCO occupation {occupation!r}")
            skill = Concept.__table__.alias("s")
            uris = session.scalars(select(skill.c.uri).join(Relation, Relation.target_id == skill.c.id)
                                   .where(Relation.source_id == occ, Relation.type == ESSENTIAL_SKILL)).all()
            self._essential[occupation] = sorted(u for u in uris if u)
        return self._essential[occupation]

    def skill_coverage(self, uris: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(weighted count of ``uris`` each course teaches, plain count)."""
        weighted = np.zeros(self.n, dtype=np.float32)
        count = np.zeros(self.n, dtype=np.int32)
        for uri in dict.fromkeys(uris):
            posting = self.skill_postings.get(uri)
            if posting is None:
                continue
            idx, w = posting
            weighted[idx] += w
            count[idx] += 1
        return weighted, count

    # -- the search
    def resolve_province(self, value: str) -> str:
        v = value.strip().upper()
        if v in self.sigla:
            return self.sigla[v]
        if v in self.province_names:
            return v
        raise BadQuery("province", f"unknown province {value!r}: give a sigla (BS) or a NUTS3 code (ITC47)")

    def search(self, q: Query, *, page: int = 1, size: int = 20, session: Session | None = None,
               facets: bool = True) -> Results:
        n = self.n
        mask = np.ones(n, dtype=bool)
        score = np.zeros(n, dtype=np.float32)
        skills_matched = np.zeros(n, dtype=np.int32)
        ranked = False
        if q.text.strip():
            text = self.text_scores(q.text)
            if text is not None:
                mask &= text > 0
                score += text
                ranked = True
        if q.skills:
            weighted, count = self.skill_coverage(q.skills)
            mask &= count > 0
            score += weighted / len(set(q.skills))
            skills_matched = np.maximum(skills_matched, count)
            ranked = True
        if q.occupation:
            essential = self.essential_skills(session, q.occupation)
            weighted, count = self.skill_coverage(essential)
            tagged = np.zeros(n, dtype=bool)
            if q.occupation in self.occupation_postings:
                tagged[self.occupation_postings[q.occupation]] = True
            mask &= (count > 0) | tagged
            score += (1 - OCCUPATION_TAG_BONUS) * np.minimum(weighted / max(len(essential), 1), 1.0)
            score += OCCUPATION_TAG_BONUS * tagged
            skills_matched = np.maximum(skills_matched, count)
            ranked = True
        components = int(bool(q.text.strip()) and ranked) + int(bool(q.skills)) + int(bool(q.occupation))
        if components > 1:
            score /= components
        if q.course_ids is not None:
            keep = np.zeros(n, dtype=bool)
            keep[[self.pos[c] for c in q.course_ids if c in self.pos]] = True
            mask &= keep
        mask &= self.filter_mask(q)
        total = int(mask.sum())
        start = max(page - 1, 0) * size
        few = total * 4 < n
        candidates = np.flatnonzero(mask) if (ranked or few) else None
        packed = None if few or not facets else np.packbits(mask)
        counts = {name: f.counts(mask, candidates if few else None, packed) for name, f in self.facets.items()} \
            if facets else {}
        if ranked and candidates is not None:
            # one float key: score first (to 1e-6), then the browsing rank; only the page's top is sorted
            key = -np.round(score[candidates].astype(np.float64) * 1e6) * (n + 1) + self.browse_rank[candidates]
            k = min(start + size, len(key))
            head = np.argpartition(key, k - 1)[:k] if 0 < k < len(key) else np.arange(len(key))
            top = candidates[head[np.argsort(key[head], kind="stable")]][start:start + size]
        else:
            ordered = self.browse_order[mask[self.browse_order]] if candidates is None else \
                candidates[np.argsort(self.browse_rank[candidates], kind="stable")]
            top = ordered[start:start + size]
        hits = [self.hit(int(p), float(score[p]), int(skills_matched[p])) for p in top]
        return Results(total=total, hits=hits, facets=counts, page=page, size=size)

    def filter_mask(self, q: Query) -> np.ndarray:
        n = self.n
        mask = np.ones(n, dtype=bool)
        if q.provinces:
            mask &= self.facets["province"].mask(n, [self.resolve_province(p) for p in q.provinces])
        for name, wanted in (("target", q.targets), ("modality", q.modalities), ("funding", q.funding),
                             ("fund", q.funds)):
            if wanted:
                mask &= self.facets[name].mask(n, wanted)
        if q.digital is not None:
            mask &= self.digital == q.digital
        if q.green is not None:
            mask &= self.green == q.green
        if q.hours_min is not None:
            mask &= self.hours >= min(q.hours_min, 1e9)  # (float32 hours: keep the bound representable)
        if q.hours_max is not None:
            mask &= self.hours <= min(q.hours_max, 1e9)
        if q.start_from or q.start_to:
            lo = day(q.start_from) if q.start_from else -NO_DATE
            hi = day(q.start_to) if q.start_to else NO_DATE - 1
            ok = (self.ed_start >= lo) & (self.ed_start <= hi)
            dated = np.zeros(n, dtype=bool)
            dated[self.ed_course[ok]] = True
            mask &= dated
        return mask

    def hit(self, p: int, score: float, skills_matched: int = 0) -> Hit:
        static = self._hits.get(p)
        if static is None:
            if len(self._hits) > 50_000:
                self._hits.clear()
            static = self._hits[p] = self._static(p)
        return Hit(**static, score=round(score, 4), skills_matched=skills_matched)

    def _static(self, p: int) -> dict[str, Any]:
        """The fields of a result row that do not depend on the query."""
        nxt = int(self.next_start[p])
        return dict(
            id=int(self.ids[p]), title=self.titles[p], provider=self.providers[p],
            provider_vat=self.vats[p], course_code=self.codes[p], hours=float(self.hours[p]),
            modality=self.modality[p], digital=bool(self.digital[p]), green=bool(self.green[p]),
            next_start=date.fromordinal(nxt + EPOCH) if nxt != NO_DATE else None,
            nuts3=sorted({n for n, _ in self.places[p] if n}),
            comuni=[self.comune_names.get(c, c) for _, c in self.places[p] if c],
            targets=list(self.targets[p]), funding=list(self.funding[p]), seats=int(self.seats[p]))


def _hours_bucket(hours: float) -> str:
    for lo, hi, name in HOURS_BUCKETS:
        if lo < hours <= hi:
            return name
    return HOURS_BUCKETS[0][2]


def _labels(session: Session, uris: set[str]) -> dict[str, list[tuple[str, str]]]:
    """(lang, label) synonyms of skill and occupation URIs: ESCO preferred and alternative labels, and the
    Italian terms of the classifier's lexicon."""
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    if not uris:
        return out
    rows = session.execute(
        select(Concept.uri, Label.lang, Label.text).join(Label, Label.concept_id == Concept.id)
        .where(Concept.type.in_([SKILL, OCCUPATION]), Label.kind.in_(["preferred", "alternative"])))
    for uri, lang, text in rows:
        if uri in uris:
            out[uri].append((lang, text))
    try:
        from regia.classify import lexicon

        for entry in lexicon.entries():
            if entry.uri in uris:
                out[entry.uri].append((entry.lang, entry.term))
    except ImportError:  # pragma: no cover - the classifier ships with Regia
        pass
    return out


# ------------------------------------------------------------------------------------------------ cache
_lock = threading.Lock()
_engine_keys: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def _engine_key(engine: Engine) -> str:
    """The database an engine reaches (its URL), remembered per engine: asked on every search."""
    key = _engine_keys.get(engine)
    if key is None:
        key = _engine_keys[engine] = engine.url.render_as_string(hide_password=False)
    return key

_indexes: dict[str, tuple[tuple[Any, ...], CatalogIndex, float]] = {}


def generation(session: Session) -> tuple[Any, ...]:
    """What changes when the catalogue does (writes add rows or bump ``updated_at``); index lookups only."""
    row = session.execute(select(
        select(func.max(Course.id)).scalar_subquery(), select(func.max(Course.updated_at)).scalar_subquery(),
        select(func.max(Edition.id)).scalar_subquery(), select(func.max(CourseSkill.id)).scalar_subquery())).one()
    return tuple(str(v) for v in row)


_building: set[str] = set()


def _rebuild(engine: Engine, key: str, stamp: tuple[Any, ...]) -> None:
    try:
        with Session(engine) as session:
            index = CatalogIndex(session)
        with _lock:
            _indexes[key] = (stamp, index, time.monotonic())
    finally:
        _building.discard(key)


def index_for(engine: Engine, session: Session | None = None) -> CatalogIndex:
    """The process-wide index of this database. Every ``CHECK_SECONDS`` a cheap query tells whether the
    catalogue changed; if so a new index is built in the background while the current one keeps answering.
    After ``invalidate`` (a write in this process) the next call rebuilds it at once."""
    key = _engine_key(engine)
    cached = _indexes.get(key)
    if cached is not None and time.monotonic() - cached[2] < CHECK_SECONDS:
        return cached[1]
    with _lock:
        cached = _indexes.get(key)
        if cached is not None and time.monotonic() - cached[2] < CHECK_SECONDS:
            return cached[1]
        own = session is None
        session = session or Session(engine)
        try:
            stamp = generation(session)
            if cached is not None and cached[0] == stamp:
                _indexes[key] = (stamp, cached[1], time.monotonic())
                return cached[1]
            if cached is not None and cached[2] >= 0:  # changed by another process: rebuild in the background
                _indexes[key] = (cached[0], cached[1], time.monotonic())
                if key not in _building:
                    _building.add(key)
                    threading.Thread(target=_rebuild, args=(engine, key, stamp), daemon=True,
                                     name="catalog-index").start()
                return cached[1]
            index = CatalogIndex(session)
        finally:
            if own:
                session.close()
        _indexes[key] = (stamp, index, time.monotonic())
        return index


def ready(engine: Engine) -> bool:
    """Whether ``current`` would answer (an index is held and no write in this process made it stale)."""
    cached = _indexes.get(_engine_key(engine))
    return cached is not None and cached[2] >= 0


_checking: set[str] = set()


def _check(engine: Engine, key: str) -> None:
    try:
        index_for(engine)
    finally:
        _checking.discard(key)


def current(engine: Engine) -> CatalogIndex | None:
    """The index held for this database without waiting: when its periodic check is due, the check runs in
    a background thread (and a rebuild after it, if the catalogue changed). None when no index is held yet
    or a write in this process invalidated it: then call ``index_for``."""
    key = _engine_key(engine)
    cached = _indexes.get(key)
    if cached is None or cached[2] < 0:
        return None
    if time.monotonic() - cached[2] >= CHECK_SECONDS and key not in _checking:
        _checking.add(key)
        threading.Thread(target=_check, args=(engine, key), daemon=True, name="catalog-index-check").start()
    return cached[1]


def invalidate(engine: Engine) -> None:
    """Make the next search rebuild the index if the catalogue changed (call after writing courses)."""
    key = _engine_key(engine)
    with _lock:
        cached = _indexes.get(key)
        if cached is not None:
            _indexes[key] = (cached[0], cached[1], -1e9)


def fold_query(text: str) -> str:
    return " ".join(fold(text).split())
