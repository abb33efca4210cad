"""The classifier's index: every label of every skill and occupation, normalised, as matrices and phrases.

Built once from the taxonomy tables (``regia taxonomy import``) plus the Italian lexicon shipped with
Regia, then cached on disk under ``REGIA_DATA_DIR/classify`` keyed by a fingerprint of the taxonomy and of
the lexicon, so a second process starts in a fraction of a second. Any change to labels, texts or
relations (for example importing ESCO's Italian skills file) changes the fingerprint and rebuilds it.
"""

from __future__ import annotations

import hashlib
import logging
import math
import pickle
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from regia.classify import dense as dense_model
from regia.classify import lexicon
from regia.classify.phrases import PhraseMatcher
from regia.db import session_factory
from regia.taxonomy.models import (
    ESSENTIAL_SKILL,
    ISCO,
    OCCUPATION,
    OPTIONAL_SKILL,
    SKILL,
    Concept,
    ConceptText,
    Label,
    Relation,
)
from regia.taxonomy.normalize import fold, terms

log = logging.getLogger(__name__)

FORMAT = 9  # bump when the index layout or the build changes
LANGS = ("it", "en")
KEEP_CACHED = 3  # index files kept in the cache folder
KIND_WEIGHT = {"preferred": 1.0, "alternative": 0.97, "hidden": 0.9, "lexicon": 1.0}  # lexicon: curated
# Concept kinds of the classifier (rows of the concept arrays).
K_SKILL, K_OCCUPATION, K_ISCO = 0, 1, 2
_KIND_OF_TYPE = {SKILL: K_SKILL, OCCUPATION: K_OCCUPATION, ISCO: K_ISCO}


@dataclass
class LangIndex:
    """Labels of one language: term vocabulary, label x term matrix of IDF weights, phrase matcher."""

    vocab: dict[str, int]
    idf: np.ndarray
    matrix: sparse.csc_matrix  # labels x terms, entry = idf of the term (each term once per label)
    mass: np.ndarray  # per label: sum of its terms' idf
    concept: np.ndarray  # per label: concept row
    weight: np.ndarray  # per label: kind weight (preferred 1.0 ...)
    nterms: np.ndarray  # per label: number of distinct terms
    phrases: PhraseMatcher

    @property
    def size(self) -> int:
        return int(self.concept.shape[0])


@dataclass
class Index:
    fingerprint: str
    uris: list[str]
    kind: np.ndarray  # K_SKILL / K_OCCUPATION / K_ISCO per concept row
    preferred: dict[str, list[str]]  # lang -> preferred label per concept row ("" when missing)
    langs: dict[str, LangIndex]
    # English descriptions: concepts x terms, TF-IDF rows L2-normalised (zero rows for no description).
    desc_vocab: dict[str, int]
    desc_idf: np.ndarray
    desc: sparse.csc_matrix  # column slices are what a query needs
    # Character 3-grams of occupation and ISCO labels (both languages): labels x grams, L2-normalised.
    gram_vocab: dict[str, int]
    gram_idf: np.ndarray
    grams: sparse.csc_matrix
    gram_concept: np.ndarray  # concept row of each gram row, sorted
    # occupation row -> skill row, weight 1 essential / 0.5 optional (concepts x concepts, CSR).
    requires: sparse.csr_matrix
    skill_prior: np.ndarray  # how many occupations need each skill (log-scaled, 0..1)
    stats: dict[str, int] = field(default_factory=dict)
    # Static embeddings (``dense.py``) of the skills' English labels: rows of ``dense_rows``, L2-normalised.
    dense: np.ndarray | None = None
    dense_rows: np.ndarray | None = None
    dense_digest: str | None = None
    isco: list[str] = field(default_factory=list)  # ISCO-08 code of each occupation (its group) and ISCO group

    @property
    def n(self) -> int:
        return len(self.uris)

    def isco_group(self, uri: str) -> str | None:
        """The ISCO-08 unit group (4 digits) of an occupation or of a 4-digit ISCO group, else None."""
        row = self.row(uri)
        code = self.isco[row] if row is not None and row < len(self.isco) else ""
        return code if len(code) == 4 else None

    def row(self, uri: str) -> int | None:
        if not hasattr(self, "_rows"):
            self._rows = {u: i for i, u in enumerate(self.uris)}
        return self._rows.get(uri)


def fingerprint(session: Session) -> str:
    """A digest of everything the index is built from: labels, texts, relations, the lexicon, this code."""
    h = hashlib.sha256(f"format={FORMAT}".encode())
    for stmt in (
        select(func.count(Label.id), func.max(Label.id), func.sum(func.length(Label.text))),
        select(func.count(ConceptText.id), func.max(ConceptText.id), func.sum(func.length(ConceptText.text))),
        select(func.count(Relation.id), func.max(Relation.id)),
        select(func.count(Concept.id), func.max(Concept.id)),
    ):
        h.update(repr(tuple(session.execute(stmt).one())).encode())
    h.update(lexicon.digest().encode())
    h.update((dense_model.model_digest() or "no dense model").encode())
    return h.hexdigest()[:20]


def char_grams(text: str) -> list[str]:
    """Character 3-grams of each folded word, padded with spaces ("  sal", "sal", ...)."""
    out: list[str] = []
    for word in fold(text).split():
        word = "".join(ch for ch in word if ch.isalnum())
        if not word:
            continue
        padded = f" {word} "
        out.extend(padded[i : i + 3] for i in range(len(padded) - 2))
    return out


def _idf(df: Counter[str], n: int, vocab: dict[str, int]) -> np.ndarray:
    idf = np.zeros(len(vocab), dtype=np.float32)
    for term, col in vocab.items():
        idf[col] = math.log(1.0 + n / df[term])
    return idf


def _lang_index(entries: list[tuple[int, str, tuple[str, ...]]]) -> LangIndex:
    """entries: (concept row, kind, terms) of one language."""
    df: Counter[str] = Counter()
    for _, _, ts in entries:
        df.update(set(ts))
    vocab = {t: i for i, t in enumerate(sorted(df))}
    idf = _idf(df, len(entries), vocab)
    rows, cols, vals = [], [], []
    mass = np.zeros(len(entries), dtype=np.float32)
    nterms = np.zeros(len(entries), dtype=np.int16)
    for r, (_, _, ts) in enumerate(entries):
        uniq = sorted({vocab[t] for t in ts})
        rows.extend([r] * len(uniq))
        cols.extend(uniq)
        vals.extend(idf[uniq].tolist())
        mass[r] = float(idf[uniq].sum())
        nterms[r] = len(uniq)
    matrix = sparse.csc_matrix((np.array(vals, dtype=np.float32), (rows, cols)), shape=(len(entries), len(vocab)))
    phrases = PhraseMatcher([ts for _, _, ts in entries])
    return LangIndex(
        vocab=vocab, idf=idf, matrix=matrix, mass=mass,
        concept=np.array([c for c, _, _ in entries], dtype=np.int32),
        weight=np.array([KIND_WEIGHT.get(k, 0.9) for _, k, _ in entries], dtype=np.float32),
        nterms=nterms, phrases=phrases,
    )


def build(session: Session, fp: str | None = None) -> Index:
    """Read the taxonomy and the lexicon and build the index (a few seconds for the whole of ESCO)."""
    fp = fp or fingerprint(session)
    concept_rows = session.execute(
        select(Concept.id, Concept.uri, Concept.type, Concept.code, Concept.attrs)
        .where(Concept.type.in_(list(_KIND_OF_TYPE))).where(Concept.uri.is_not(None)).order_by(Concept.id)
    ).all()
    row_of: dict[int, int] = {}
    uris: list[str] = []
    kinds: list[int] = []
    isco: list[str] = []
    for cid, uri, ctype, code, attrs in concept_rows:
        row_of[cid] = len(uris)
        uris.append(str(uri))
        kinds.append(_KIND_OF_TYPE[ctype])
        isco.append(str(code) if ctype == ISCO else str((attrs or {}).get("isco_group") or ""))
    preferred: dict[str, list[str]] = {lang: [""] * len(uris) for lang in LANGS}

    per_lang: dict[str, dict[tuple[int, tuple[str, ...]], str]] = {lang: {} for lang in LANGS}
    rank = {"preferred": 0, "alternative": 1, "lexicon": 2, "hidden": 3}

    def add(row: int, lang: str, kind: str, text: str) -> None:
        ts = tuple(terms(text, lang))
        if not ts:
            return
        key = (row, ts)
        seen = per_lang[lang].get(key)
        if seen is None or rank[kind] < rank[seen]:
            per_lang[lang][key] = kind

    n_labels = 0
    english_alternatives: dict[int, list[str]] = defaultdict(list)
    for cid, lang, kind, text in session.execute(
        select(Label.concept_id, Label.lang, Label.kind, Label.text).order_by(Label.id)
    ):
        row = row_of.get(cid)
        if row is None or lang not in LANGS:
            continue
        n_labels += 1
        add(row, lang, kind, text)
        if kind == "preferred":
            preferred[lang][row] = text
        elif kind == "alternative" and lang == "en":
            english_alternatives[row].append(text)
    rows_by_uri = {u: i for i, u in enumerate(uris)}
    n_lexicon = 0
    for entry in lexicon.entries():
        row = rows_by_uri.get(entry.uri)
        if row is not None:
            add(row, entry.lang, "lexicon", entry.term)
            n_lexicon += 1
    for entry in lexicon.occupation_entries():
        row = rows_by_uri.get(entry.uri)
        if row is not None:
            add(row, entry.lang, "lexicon", entry.term)

    langs = {}
    for lang in LANGS:
        entries = [(row, kind, ts) for (row, ts), kind in per_lang[lang].items()]
        entries.sort(key=lambda e: (e[0], rank[e[1]], e[2]))
        langs[lang] = _lang_index(entries)

    # Descriptions (English; every language present is used, so Italian descriptions count when imported).
    docs_by_row: dict[int, list[str]] = defaultdict(list)
    for cid, lang, text in session.execute(
        select(ConceptText.concept_id, ConceptText.lang, ConceptText.text).where(ConceptText.field == "description")
    ):
        row = row_of.get(cid)
        if row is not None and lang == "en":
            docs_by_row[row].extend(terms(text, "en"))
    df: Counter[str] = Counter()
    for ts in docs_by_row.values():
        df.update(set(ts))
    desc_vocab = {t: i for i, t in enumerate(sorted(df))}
    desc_idf = _idf(df, max(len(docs_by_row), 1), desc_vocab)
    drows, dcols, dvals = [], [], []
    for row, ts in docs_by_row.items():
        counts = Counter(desc_vocab[t] for t in ts)
        cols = np.fromiter(counts, dtype=np.int64)
        tf = np.fromiter(counts.values(), dtype=np.float32)
        vals = (1.0 + np.log(tf)) * desc_idf[cols]
        vals /= float(np.linalg.norm(vals)) or 1.0
        drows.extend([row] * len(cols))
        dcols.extend(cols.tolist())
        dvals.extend(vals.tolist())
    desc = sparse.csc_matrix((np.array(dvals, dtype=np.float32), (drows, dcols)), shape=(len(uris), len(desc_vocab)))

    # Character 3-grams over occupation and ISCO labels of both languages (noisy and abbreviated titles).
    gram_docs: list[tuple[int, Counter[str]]] = []  # (concept row, 3-gram counts)
    for cid, text in session.execute(
        select(Label.concept_id, Label.text).join(Concept, Concept.id == Label.concept_id)
        .where(Concept.type.in_([OCCUPATION, ISCO])).where(Label.kind != "hidden")
    ):
        row = row_of.get(cid)
        if row is not None:
            gram_docs.append((row, Counter(char_grams(text))))
    gram_docs.sort(key=lambda doc: doc[0])  # rows of one concept together: a per-concept max is a reduceat
    gdf: Counter[str] = Counter()
    for _, grams_of in gram_docs:
        gdf.update(grams_of.keys())
    gram_vocab = {g: i for i, g in enumerate(sorted(gdf))}
    gram_idf = _idf(gdf, max(len(gram_docs), 1), gram_vocab)
    grows, gcols, gvals = [], [], []
    for r, (_, grams_of) in enumerate(gram_docs):
        cols = np.array([gram_vocab[g] for g in grams_of], dtype=np.int64)
        vals = np.fromiter(grams_of.values(), dtype=np.float32) * gram_idf[cols]
        vals /= float(np.linalg.norm(vals)) or 1.0
        grows.extend([r] * len(cols))
        gcols.extend(cols.tolist())
        gvals.extend(vals.tolist())
    grams = sparse.csc_matrix((np.array(gvals, dtype=np.float32), (grows, gcols)),
                              shape=(len(gram_docs), len(gram_vocab)))
    gram_concept = np.array([row for row, _ in gram_docs], dtype=np.int32)

    # Occupation -> skill relations (the priors that carry Italian titles to English-only skills).
    rrows, rcols, rvals = [], [], []
    for src, dst, rtype in session.execute(
        select(Relation.source_id, Relation.target_id, Relation.type)
        .where(Relation.type.in_([ESSENTIAL_SKILL, OPTIONAL_SKILL]))
    ):
        if src in row_of and dst in row_of:
            rrows.append(row_of[src])
            rcols.append(row_of[dst])
            rvals.append(1.0 if rtype == ESSENTIAL_SKILL else 0.5)
    requires = sparse.csr_matrix((np.array(rvals, dtype=np.float32), (rrows, rcols)), shape=(len(uris), len(uris)))
    needed_by = np.asarray(requires.sum(axis=0)).ravel()
    skill_prior = (np.log1p(needed_by) / max(float(np.log1p(needed_by.max(initial=1.0))), 1e-6)).astype(np.float32)

    # Static embeddings of each skill: its English preferred label and first ten alternative labels.
    dense = dense_rows = dense_digest = None
    encoder = dense_model.load()
    if encoder is not None:
        rows_with_label = [r for r in range(len(uris)) if kinds[r] == K_SKILL and preferred["en"][r]]
        docs = [preferred["en"][r] + ". " + ", ".join(english_alternatives[r][:10]) for r in rows_with_label]
        dense = encoder.encode(docs) if docs else None
        dense_rows = np.array(rows_with_label, dtype=np.int32)
        dense_digest = encoder.digest

    stats = {"concepts": len(uris), "labels": n_labels, "lexicon": n_lexicon,
             **{f"labels_{lang}": langs[lang].size for lang in LANGS}, "relations": len(rvals),
             "descriptions": len(docs_by_row), "dense": 0 if dense is None else int(dense.shape[0])}
    log.info("classifier index built: %s", stats)
    return Index(
        fingerprint=fp, uris=uris, kind=np.array(kinds, dtype=np.int8), preferred=preferred, langs=langs,
        desc_vocab=desc_vocab, desc_idf=desc_idf, desc=desc, gram_vocab=gram_vocab, gram_idf=gram_idf,
        grams=grams, gram_concept=gram_concept, requires=requires, skill_prior=skill_prior, stats=stats,
        dense=dense, dense_rows=dense_rows, dense_digest=dense_digest, isco=isco,
    )


def load(engine: Engine, cache_dir: Path | None = None) -> Index:
    """The index for ``engine``'s taxonomy: from the disk cache when its fingerprint matches, else built."""
    with session_factory(engine)() as session:
        fp = fingerprint(session)
        path = cache_dir / f"index-{fp}.pkl" if cache_dir else None
        if path is not None and path.is_file():
            try:
                with path.open("rb") as fh:
                    index = pickle.load(fh)
                if isinstance(index, Index) and index.fingerprint == fp:
                    return index
            except Exception as exc:  # a truncated or stale cache file: rebuild it
                log.warning("ignoring classifier cache %s: %s", path, exc)
        index = build(session, fp)
    if not index.uris:
        raise LookupError("the taxonomy has no skills or occupations: run `regia taxonomy import` first")
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # keep the newest few (a benchmark taxonomy and the main one), drop older ones
        cached = sorted(path.parent.glob("index-*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in cached[KEEP_CACHED - 1 :]:
            old.unlink(missing_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as fh:
            pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    return index
