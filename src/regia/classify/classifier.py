"""Free text (Italian, English or both) -> ranked ESCO occupations and skills, with evidence spans.

How a text is scored (every step offline, CPU only):

1. language: ``language.detect`` unless given; boilerplate paragraphs (company, equal opportunity,
   privacy) are masked out, keeping the original character offsets.
2. the text is cut into segments (lines, sentences, bullets) and reduced to stemmed terms of its language
   (accents, case, Italian gender and plural forms folded by ``taxonomy.normalize``).
3. for every label of the language (preferred, alternative, hidden, lexicon): *coverage* (the IDF share of
   the label's terms present in the segment) and *explanation* (the IDF share of the segment the label
   accounts for); a label found as a contiguous phrase gets a bonus. A concept scores its best label.
4. English terms inside Italian text ("problem solving", "Excel", "SAP") are found by phrase search over
   the English labels (capitalised or multi-word only, so Italian words that look English don't fire).
5. English descriptions add a TF-IDF similarity; short texts (titles) add character 3-gram similarity to
   occupation labels.
6. the best occupations lend their essential (and, less, optional) skills a prior, which is how Italian
   titles reach skills that carry English labels only.
7. a posting's job title (a short first line, the words after "Cercasi" / "Ricerchiamo" / "We are looking
   for", or the words a posting of several sentences opens with) is scored again as a title and added to
   the occupations it names, so the named job outranks those its duties describe; its skills get a prior.
8. the cross-lingual encoder (``encoder.py``, multilingual-e5-small) compares the text's segments with the
   embedded labels of every skill and occupation and adds the rescaled similarity: on short texts (titles,
   sentences) by default, on the duties and requirements of every text with ``--accurate`` (``mode_params``).
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sqlalchemy import Engine

from regia.classify import boilerplate, combine, dense, language, lexicon
from regia.classify import encoder as e5
from regia.classify.index import K_ISCO, K_OCCUPATION, K_SKILL, Index, LangIndex, char_grams, load
from regia.classify.phrases import SEPARATOR
from regia.taxonomy.normalize import STOPWORDS, stem, token_spans

# Segment boundaries: line breaks, sentence ends, bullets, semicolons.
_BOUNDARY = re.compile(r"\n|[.;!?](?=\s)|[•·▪●◦|]|\s[-–*]\s|\t")
# The job title of a posting: after a recruiting verb ("Cercasi saldatore", "We are looking for a Python
# developer"), a short first line ("Cuoco - Rimini"), or the words a posting opens with ("Magazziniere con ...").
_TITLE_CUE = re.compile(
    r"\b(?:cercasi|ricercasi|ricerchiamo|cerchiamo|ricerca|cerca|selezioniamo|seleziona|assumiamo"
    r"|assume|looking for|hiring|seeking|searching for|recruiting|wanted)\b"
    r"(?:\s+(?:un|una|uno|un'|a|an|the|per|la|il|lo|nostro|nostra|our|new|nuovo|nuova|un/a|una/un|\d+))*\s+",
    re.IGNORECASE,
)
_TITLE_END_WORDS = frozenset({"con", "per", "che", "da", "in", "presso", "offriamo",
                              "with", "for", "to", "who", "at", "from", "based", "wanted"})
_TITLE_END_TEXT = re.compile(r"[,.;:()\n\[\]!?]|\s[-–|]\s")
_TITLE_TERMS = 5  # a title window holds at most this many words
_TITLE_HEAD = 200  # characters of the text where a recruiting verb counts


@dataclass(frozen=True)
class Params:
    """Scoring weights; defaults tuned on the validation splits (see ``regia bench classify``)."""

    cov_power: float = 2.0  # partial coverage of a label counts coverage**power
    min_cov: float = 0.5  # labels covered less than this are ignored
    explain: float = 0.35  # weight of the share of the segment the label explains
    phrase_bonus: float = 0.2  # the label occurs as a contiguous phrase
    single_term_penalty: float = 0.85  # one-word labels are ambiguous ("English", "coordinate")
    single_alt_penalty: float = 0.7  # ... and more so alternative ones ("design", "experiment": think creatively)
    desc_weight: float = 0.7  # TF-IDF similarity to the English description
    char_weight: float = 0.35  # character 3-grams, occupations, short texts only
    char_max_terms: int = 14  # a text this short is treated as a title
    char_max_grams: int = 40  # at most this many (the rarest) 3-grams of a title are looked up
    repeat_bonus: float = 0.05  # per further segment where the concept is found
    prior_weight: float = 0.25  # skills of the best occupations
    prior_min: float = 0.6  # ... when the best occupation scores at least this (a title, a named job)
    prior_min_it: float = 0.3  # Italian text: skills carry English labels only, the prior is the main route
    generic_mass: float = 7.0  # labels whose terms weigh less than this IDF mass ("tecnico") are discounted
    prior_occupations: int = 5
    prior_temperature: float = 0.08
    secondary_weight: float = 0.9  # phrases of the other language
    dense_weight: float = 0.8  # static-embedding similarity of English text to skill labels (dense.py)
    dense_candidates: int = 500  # only the best lexical candidates are re-scored
    dense_max_segments: int = 4  # texts of more segments (whole postings) are scored without embeddings
    glossary_weight: float = 0.6  # Italian text read word by word in English (glossary), onto English skill labels
    # Decision thresholds on the raw score; the reported score is 1 - 0.5 ** (raw / threshold), so a concept
    # whose evidence is lexical only is ``selected`` when its score is 0.5 or more. Where the encoder ran, a
    # skill is selected when its lexical part reaches the threshold or its encoder gain reaches
    # ``select_encoder``; a mention asserts one skill (``dedupe_spans``). English skills: best F1 on the
    # TECH/HOUSE validation sentences; occupations: best F1 on odd-numbered MELO queries; Italian skills: best
    # F1 on bench/italian's short and full-length ads pooled (``bench/selection_curve.py``).
    select_skill: float = 1.15
    select_skill_it: float = 0.8
    select_occupation: float = 1.0  # titles (char_max_terms terms or fewer)
    select_occupation_text: float = 0.6  # longer texts: no character n-grams add to the raw score
    select_leader: float = 0.75  # ... and the best occupation is selected from this share of the threshold up
    leader_margin: float = 1.5  # when it scores this many times the second one
    title_weight: float = 1.0  # occupations named in a posting's title window (``_title``), added to their score
    title_min: float = 0.5  # ... when it scores at least this there (a label, not a stray word of one)
    title_prior: float = 0.3  # the skills of the occupation the title names best (essential 1, optional 0.5)
    title_char: bool = False  # ... with character 3-grams of the window (after a cue or on a heading line)
    # The cross-lingual encoder (``encoder.py``): similarity of each segment to the embedded labels, above
    # ``encoder_floor``, rescaled to 0..1 and weighted. Default mode: texts of at most ``encoder_max_segments``
    # segments (titles, sentences, course descriptions); ``--accurate``: every text; ``--fast``: none.
    encoder_max_segments: int = 2
    encoder_max_chars: int = 700
    encoder_skill_weight: float = 6.0
    encoder_skill_floor: float = 0.80
    encoder_skill_weight_long: float = 2.0  # ... in texts of more than 2 segments (--accurate on postings)
    encoder_occupation_weight: float = 2.0
    encoder_occupation_floor: float = 0.86
    select_encoder: float = 0.6  # a skill is also selected when its encoder gain reaches this (similarity 0.92)
    glossary_max_chars: int = 700  # longer texts (whole postings): the Italian labels say enough, faster
    dedupe_spans: bool = True  # a mention asserts one skill: a selected skill whose evidence lies inside a better
    # one's is not selected ("saldatura": join metals, not also welding techniques and operate welding equipment)
    select_needs_span: bool = False  # only skills with evidence in the text are selected (no prior-only ones)
    learned: bool = False  # rank skills by the learned combination of lexical and encoder signals (combine.py)


MODES = ("fast", "default", "accurate")


def mode_params(mode: str, params: Params | None = None) -> Params:
    """``params`` for a mode: ``fast`` never runs the encoder, ``accurate`` runs it on every segment."""
    params = params or Params()
    if mode == "fast":
        return replace(params, encoder_max_segments=0)
    if mode == "accurate":
        return replace(params, encoder_max_segments=10**6, encoder_max_chars=10**9)
    if mode != "default":
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    return params


@dataclass(slots=True)
class Match:
    uri: str
    score: float
    selected: bool
    spans: list[tuple[int, int]] = field(default_factory=list)
    label: str = ""


@dataclass(frozen=True)
class Result:
    lang: str
    occupations: list[Match]
    skills: list[Match]

    def as_dict(self, id: str | None = None) -> dict[str, object]:
        out: dict[str, object] = {} if id is None else {"id": id}
        out["lang"] = self.lang
        out["occupations"] = [{"uri": m.uri, "score": m.score, "selected": m.selected} for m in self.occupations]
        out["skills"] = [{"uri": m.uri, "score": m.score, "selected": m.selected,
                          "spans": [list(s) for s in m.spans]} for m in self.skills]
        return out


@dataclass
class _Token:
    word: str  # folded
    start: int
    end: int
    segment: int
    original: str


@dataclass
class _Evidence:
    """Best label match of a concept: its score, and where (token positions) it was found."""

    score: float = 0.0
    positions: tuple[int, ...] = ()
    segments: int = 0
    label: int = -1  # label row whose terms filter ``positions`` (-1: keep them all)
    lang: str = ""
    phrase: bool = False  # ``positions`` are one contiguous phrase: one span, stopwords inside included


class Classifier:
    def __init__(self, index: Index, params: Params | None = None,
                 vectors: e5.ConceptVectors | Path | None = None) -> None:
        """``vectors``: the embedded labels (``encoder.ConceptVectors``), or the cache folder they are loaded
        from when a text first needs them (a run over whole postings never does), or None."""
        self.index = index
        self.params = params or Params()
        self._vectors: e5.ConceptVectors | Path | None = vectors
        self._vector_masks: dict[int, np.ndarray] | None = None
        self._label_rows = {lang: li.matrix.tocsr() for lang, li in index.langs.items()}
        self._kind_mask = {k: index.kind == k for k in (K_SKILL, K_OCCUPATION, K_ISCO)}
        self._occ_isco_mask = self._kind_mask[K_OCCUPATION] | self._kind_mask[K_ISCO]
        self._static: dense.DenseEncoder | bool | None = False  # loaded on first English text (False: not yet)

    @classmethod
    def from_engine(cls, engine: Engine, *, cache_dir: Path | None = None, params: Params | None = None,
                    encoder: str = "auto", progress: Any = None) -> Classifier:
        """The classifier of ``engine``'s taxonomy. ``encoder``: ``auto`` uses the concept vectors when they
        were built (``regia classify index``), ``build`` builds them when missing (``progress``: a
        ``regia.progress`` reporter), ``off`` classifies without the encoder."""
        index = load(engine, cache_dir)
        vectors: e5.ConceptVectors | Path | None = None
        if encoder != "off" and cache_dir is not None and e5.digest() is not None:
            if e5.vectors_path(cache_dir, index.fingerprint, e5.digest() or "").is_file():
                vectors = cache_dir  # loaded when a text first needs them
            elif encoder == "build":
                vectors = build_vectors(index, cache_dir, progress)
        return cls(index, params, vectors)

    @property
    def vectors(self) -> e5.ConceptVectors | None:
        """The embedded labels of the index (loaded on first use), or None: classify without the encoder."""
        if isinstance(self._vectors, Path):
            loaded = e5.load_vectors(self._vectors, self.index.fingerprint)
            self._vectors = loaded
        vectors = self._vectors
        if vectors is not None and vectors.fingerprint != self.index.fingerprint:
            vectors = self._vectors = None
        if vectors is not None and self._vector_masks is None:
            self._vector_masks = {k: self.index.kind[vectors.rows] == k for k in (K_SKILL, K_OCCUPATION)}
        return vectors if isinstance(vectors, e5.ConceptVectors) else None

    def with_params(self, **changes: Any) -> Classifier:
        clone = Classifier.__new__(Classifier)
        clone.index, clone._label_rows = self.index, self._label_rows
        clone._kind_mask, clone._occ_isco_mask = self._kind_mask, self._occ_isco_mask
        clone._static = self._static
        clone._vectors, clone._vector_masks = self._vectors, self._vector_masks
        clone.params = replace(self.params, **changes)
        return clone

    # ------------------------------------------------------------------ public API
    def classify(self, text: str, top_k: int = 20, lang: str = "auto", *, include_isco: bool = False,
                 want: Collection[str] = ("occupations", "skills")) -> Result:
        """Ranked occupations and skills for ``text`` (``lang``: auto, it or en).

        ``include_isco`` adds ISCO-08 groups to the occupations; ``want`` names the lists to fill (the other
        stays empty: benchmarks of one task skip the work of the other).
        """
        if lang not in ("auto", "it", "en"):
            raise ValueError(f"lang must be auto, it or en, not {lang!r}")
        text = text or ""
        lang = language.detect(text) if lang == "auto" else lang
        scores, evidence, tokens, gain = self._score(text, lang, skills="skills" in want)
        p = self.params
        occupations, skills = [], []
        if "occupations" in want:
            mask = self._occ_isco_mask if include_isco else self._kind_mask[K_OCCUPATION]
            stop = STOPWORDS.get(lang, frozenset())
            title = sum(1 for t in tokens if t.word not in stop) <= p.char_max_terms
            threshold = p.select_occupation if title else p.select_occupation_text
            occupations = self._top(scores, evidence, tokens, mask, top_k, threshold, lang)
            if len(occupations) > 0 and not occupations[0].selected:
                first = 1.0 - occupations[0].score  # = 0.5 ** (raw / threshold)
                second = 1.0 - occupations[1].score if len(occupations) > 1 else 1.0
                raw1 = -np.log2(max(first, 1e-12))
                raw2 = -np.log2(max(second, 1e-12))
                if raw1 >= p.select_leader and raw1 >= p.leader_margin * raw2:
                    occupations[0].selected = True
        if "skills" in want:
            threshold = p.select_skill if lang == "en" else p.select_skill_it
            selected = None
            if gain is not None:  # each source of evidence against its own threshold (calibrated on bench/italian)
                weight = self._encoder_weight(len(self._segment_spans(tokens)))
                selected = (scores - weight * gain >= threshold) | (gain >= p.select_encoder)
            if gain is not None and p.learned and (model := combine.load()) is not None:
                if selected is None:
                    selected = scores >= threshold
                scores = self._learned(scores, gain, model, threshold)
            skills = self._top(scores, evidence, tokens, self._kind_mask[K_SKILL], top_k, threshold, lang, selected)
            _one_per_mention(skills, p.dedupe_spans, p.select_needs_span)
        return Result(lang, occupations, skills)

    def _learned(self, scores: np.ndarray, gain: np.ndarray, model: combine.Combination, threshold: float
                 ) -> np.ndarray:
        """Skill candidates re-ranked by the learned combination (``combine.py``); the reported score of each is
        its fitted probability (raw = threshold * log2(1 / (1 - p)), so that 1 - 0.5 ** (raw / threshold) = p)."""
        p = self.params
        skill = self._kind_mask[K_SKILL]
        cand = np.flatnonzero(skill & (scores > 0))
        if cand.size > combine.CANDIDATES:
            cand = cand[np.argpartition(-scores[cand], combine.CANDIDATES - 1)[: combine.CANDIDATES]]
        lexical = scores[cand] - p.encoder_skill_weight * gain[cand]
        prob = 1.0 / (1.0 + np.exp(-model.logit(lexical, gain[cand])))
        out = np.where(skill, 0.0, scores).astype(np.float32)
        out[cand] = threshold * np.log2(1.0 / np.maximum(1.0 - prob, 1e-6))
        return out

    def candidate_signals(self, text: str, *, lang: str = "auto", k: int = 100
                          ) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """The lexical score and the encoder gain of the best ``k`` skill candidates of ``text`` (training data
        of the learned combination)."""
        lang = language.detect(text) if lang == "auto" else lang
        scores, _, _, gain = self._score(text, lang)
        gain = np.zeros_like(scores) if gain is None else gain
        cand = np.flatnonzero(self._kind_mask[K_SKILL] & (scores > 0))
        if cand.size > k:
            cand = cand[np.argpartition(-scores[cand], k - 1)[:k]]
        lexical = scores[cand] - self.params.encoder_skill_weight * gain[cand]
        return lexical, gain[cand], [self.index.uris[c] for c in cand.tolist()]

    # ------------------------------------------------------------------ scoring
    def _tokens(self, text: str) -> list[_Token]:
        masked = boilerplate.mask(text)
        bounds = [m.start() for m in _BOUNDARY.finditer(text)]
        out = []
        for tok, start, end in token_spans(text):
            if masked and any(a <= start < b for a, b in masked):
                continue
            out.append(_Token(tok, start, end, bisect.bisect_right(bounds, start), text[start:end]))
        return out

    def _sequence(self, tokens: list[_Token], lang: str) -> tuple[list[str], list[int]]:
        """Terms of ``lang`` with separators between segments, and the token index of each term."""
        stop = STOPWORDS.get(lang, frozenset())
        seq: list[str] = []
        where: list[int] = []
        last_segment = -1
        for i, tok in enumerate(tokens):
            word = tok.word
            if word in stop:
                continue
            if tok.segment != last_segment and seq:
                seq.append(SEPARATOR)
                where.append(-1)
            last_segment = tok.segment
            seq.append(stem(word, lang))
            where.append(i)
        return seq, where

    def _score(self, text: str, lang: str, *, skills: bool = True
               ) -> tuple[np.ndarray, dict[int, _Evidence], list[_Token], np.ndarray | None]:
        """Raw scores of every concept, the evidence of the lexical matches, the tokens, and the encoder's
        similarity gain per skill (0..1, None when the encoder did not run; ``scores`` include it weighted)."""
        index, p = self.index, self.params
        tokens = self._tokens(text)
        scores = np.zeros(index.n, dtype=np.float32)
        evidence: dict[int, _Evidence] = {}
        gain = None
        if not tokens:
            return scores, evidence, tokens, gain
        seq, where = self._sequence(tokens, lang)
        self._labels(index.langs[lang], lang, seq, where, tokens, scores, evidence, primary=True)
        other = "en" if lang == "it" else "it"
        oseq, owhere = self._sequence(tokens, other)
        self._labels(index.langs[other], other, oseq, owhere, tokens, scores, evidence, primary=False)
        if lang == "en":  # descriptions are English: Italian words stemmed as English would only add noise
            self._descriptions(seq, scores)
            spans = self._segment_spans(tokens)
            if skills and len(spans) <= p.dense_max_segments:
                self._dense([text[a:b] for a, b in spans], scores)
        elif skills and p.glossary_weight > 0 and len(text) <= p.glossary_max_chars:
            self._glossary(tokens, scores, evidence)
        n_terms = sum(1 for t in seq if t != SEPARATOR)
        if n_terms <= p.char_max_terms:
            self._char_grams(" ".join(t.original for t in tokens), scores)
        if self._vectors is not None and p.encoder_max_segments > 0 and len(text) <= p.encoder_max_chars:
            gain = self._encoded(text, tokens, scores, skills=skills, title=n_terms <= p.char_max_terms)
        titled = self._title(text, tokens, scores) if p.title_weight > 0 else None
        if skills:
            self._prior(scores, p.prior_min_it if lang == "it" else p.prior_min)
            if titled is not None and p.title_prior > 0:  # the named job's own skills ("saldatore": welding)
                req = self.index.requires
                a, b = req.indptr[titled], req.indptr[titled + 1]
                scores[req.indices[a:b]] += p.title_prior * req.data[a:b]
        return scores, evidence, tokens, gain

    def _encoded(self, text: str, tokens: list[_Token], scores: np.ndarray, *, skills: bool, title: bool
                 ) -> np.ndarray | None:
        """Cosine similarity of the text's segments (the encoder's ``query``) to the embedded labels: for each
        concept its best label and segment, above the floor, rescaled to 0..1 and weighted. Occupations are
        compared with the whole text when it is a title."""
        p, vectors = self.params, self.vectors
        masks = self._vector_masks
        if vectors is None or masks is None or p.encoder_max_segments <= 0 or len(text) > p.encoder_max_chars:
            return None
        spans = self._segment_spans(tokens)
        if not spans or len(spans) > p.encoder_max_segments:
            return None
        encoder = e5.shared()
        if encoder is None:
            return None
        whole = " ".join(text[tokens[0].start : tokens[-1].end].split())
        segments = [" ".join(text[a:b].split()) for a, b in spans]
        if len(segments) > 2:  # a posting (accurate mode): the duties and requirements, not the offer
            segments = [seg for seg in segments if not boilerplate.is_offer(seg)] or segments
        queries = segments if len(segments) > 1 else [whole]
        if title and len(segments) > 1:
            queries = [whole, *segments]
        q = encoder.query(queries)
        skill_gain = None
        if skills and p.encoder_skill_weight > 0:
            rows, best = vectors.best(q, masks[K_SKILL])
            skill_gain = np.zeros_like(scores)
            skill_gain[rows] = np.clip((best - p.encoder_skill_floor) / (1.0 - p.encoder_skill_floor), 0.0, 1.0)
            scores += self._encoder_weight(len(segments)) * skill_gain
        if title and p.encoder_occupation_weight > 0:
            rows, best = vectors.best(q[:1], masks[K_OCCUPATION])
            gain = np.clip((best - p.encoder_occupation_floor) / (1.0 - p.encoder_occupation_floor), 0.0, 1.0)
            scores[rows] += p.encoder_occupation_weight * gain
        return skill_gain

    def _encoder_weight(self, segments: int) -> float:
        """Weight of the encoder's skill gain: a sentence's best label is its skill; in a posting of many segments
        every segment's best label would flood the ranking, so lexical evidence leads there."""
        p = self.params
        return p.encoder_skill_weight if segments <= 2 else p.encoder_skill_weight_long

    def _labels(self, li: LangIndex, lang: str, seq: list[str], where: list[int], tokens: list[_Token],
                scores: np.ndarray, evidence: dict[int, _Evidence], *, primary: bool) -> None:
        p = self.params
        # phrases: label ids found contiguously, with their term positions
        phrase_hits: dict[int, tuple[int, ...]] = {}
        for first, last, ids in li.phrases.find(seq):
            positions = tuple(where[k] for k in range(first, last + 1))
            if not primary and not self._foreign_ok(positions, tokens):
                continue
            for label in ids:
                phrase_hits.setdefault(label, positions)
        label_score: dict[int, float] = {}
        label_where: dict[int, tuple[int, ...]] = {}
        seen_in: dict[int, int] = defaultdict(int)
        phrase_rows = np.fromiter(phrase_hits, dtype=np.int64, count=len(phrase_hits))
        if primary:
            # coverage per segment
            segments: dict[int, list[int]] = defaultdict(list)
            for k, term in enumerate(seq):
                if term != SEPARATOR:
                    segments[tokens[where[k]].segment].append(k)
            for seg_terms in segments.values():
                cols = {li.vocab[seq[k]] for k in seg_terms if seq[k] in li.vocab}
                if not cols:
                    continue
                unknown = len({seq[k] for k in seg_terms if seq[k] not in li.vocab})
                col_arr = np.fromiter(cols, dtype=np.int64)
                seg_mass = float(li.idf[col_arr].sum()) + unknown * float(li.idf.max(initial=1.0))
                label_rows, values = _gather(li.matrix, col_arr, np.ones(col_arr.size, dtype=np.float32))
                rows, inv = np.unique(label_rows, return_inverse=True)
                hit = np.bincount(inv, weights=values).astype(np.float32)
                cov = hit / li.mass[rows]
                keep = cov >= p.min_cov
                rows, cov, hit = rows[keep], cov[keep], hit[keep]
                if rows.size == 0:
                    continue
                expl = hit / seg_mass
                s = li.weight[rows] * cov**p.cov_power * ((1 - p.explain) + p.explain * expl)
                s = np.where(li.nterms[rows] == 1, s * p.single_term_penalty, s)
                if p.single_alt_penalty != 1.0:
                    s = np.where((li.nterms[rows] == 1) & (li.weight[rows] < 1.0), s * p.single_alt_penalty, s)
                if p.generic_mass > 0:
                    s = s * np.sqrt(np.minimum(1.0, li.mass[rows] / p.generic_mass))
                # per concept, only its best label of the segment (and every phrase) goes on
                conc = li.concept[rows]
                order = np.lexsort((-s, conc))
                best = order[np.r_[True, conc[order][1:] != conc[order][:-1]]]
                if phrase_rows.size:
                    best = np.union1d(best, np.flatnonzero(np.isin(rows, phrase_rows)))
                rows, s = rows[best], s[best]
                seg_positions = tuple(where[k] for k in seg_terms)
                for r, v in zip(rows.tolist(), s.tolist(), strict=True):
                    seen_in[r] += 1
                    if v > label_score.get(r, 0.0):
                        label_score[r] = v
                        label_where[r] = seg_positions
        for label, positions in phrase_hits.items():
            base = label_score.get(label)
            if base is None:  # secondary language: phrases only
                base = float(li.weight[label]) * (p.single_term_penalty if li.nterms[label] == 1 else 1.0)
                base *= p.secondary_weight
                seen_in[label] += 1
            label_score[label] = base + p.phrase_bonus
            label_where[label] = positions
        for label, v in label_score.items():
            c = int(li.concept[label])
            ev = evidence.get(c)
            if ev is None:
                ev = evidence[c] = _Evidence()
            ev.segments = max(ev.segments, seen_in[label])
            if v > ev.score:
                ev.score = v
                ev.positions = label_where[label]
                # a phrase's tokens are its evidence; a covered label keeps the tokens of its own terms
                ev.label = -1 if label in phrase_hits else label
                ev.phrase = label in phrase_hits
                ev.lang = lang
        for c, ev in evidence.items():
            bonus = p.repeat_bonus * max(ev.segments - 1, 0)
            scores[c] = max(scores[c], ev.score + min(bonus, 3 * p.repeat_bonus))

    @staticmethod
    def _title_window(text: str, tokens: list[_Token]) -> tuple[int, int, bool] | None:
        """Token range ``[first, last)`` of the job title a posting names, and whether it was found only as
        the words a text of several sentences opens with (then a label must start there). None for a
        text that is all title."""
        if len(tokens) < 2:
            return None
        first = None
        newline = text.find("\n", tokens[0].start)
        if newline >= 0:  # a short first line is a heading: "Cuoco - Rimini", "Web developer"
            head = [i for i, t in enumerate(tokens) if t.end <= newline]
            if 0 < len(head) <= 8 and len(head) < len(tokens):
                return head[0], head[-1] + 1, False
        cue = _TITLE_CUE.search(text, 0, min(len(text), tokens[0].start + _TITLE_HEAD))
        if cue is not None:
            first = bisect.bisect_left([t.start for t in tokens], cue.end())
            opening = False
        elif tokens[-1].segment != tokens[0].segment:  # a posting of several sentences opens with its job
            first, opening = 0, True
        else:  # one sentence or a title: scored as a whole already
            return None
        if first >= len(tokens):
            return None
        last = first
        while last < len(tokens) and last - first < _TITLE_TERMS:
            if last > first and (tokens[last].word in _TITLE_END_WORDS
                                 or _TITLE_END_TEXT.search(text, tokens[last - 1].end, tokens[last].start)):
                break
            last += 1
        if opening and last >= len(tokens):
            return None  # the whole text: already scored as a title
        return first, last, opening

    def _title(self, text: str, tokens: list[_Token], scores: np.ndarray) -> int | None:
        """Occupations named in the posting's title window score it as a title would, weighted by
        ``title_weight``: the named job outranks the occupations its duties describe ("Cercasi saldatore ...
        lettura del disegno tecnico": welder, not draughtsman). A window after a recruiting verb or on a
        heading line is read with the labels of both languages (and character 3-grams when
        ``title_char``); the opening words of a text only count for a label found there as a phrase.
        Returns the occupation the title names best after scoring (None when it names none)."""
        window = self._title_window(text, tokens)
        if window is None:
            return None
        first, last, opening = window
        p = self.params
        sub = tokens[first:last]
        local = np.zeros_like(scores)
        for lang in ("it", "en"):
            li = self.index.langs[lang]
            seq, where = self._sequence(sub, lang)
            if not seq:
                continue
            if opening:
                rows = self._label_rows[lang]
                for start, end, ids in li.phrases.find(seq):
                    if start != 0:
                        continue
                    cols = {li.vocab.get(seq[k], -1) for k in range(start, end + 1)}
                    for c in {int(li.concept[label]) for label in ids}:
                        # the concept's best label made of exactly these terms: "magazziniere/magazziniera"
                        # (preferred, its gender forms fold to one term) outranks another concept's
                        # alternative "magazziniere"
                        lo, hi = np.searchsorted(li.concept, [c, c + 1])
                        w = max((float(li.weight[r]) for r in range(lo, hi)
                                 if set(rows.indices[rows.indptr[r] : rows.indptr[r + 1]].tolist()) == cols),
                                default=0.0)
                        v = w * (p.single_term_penalty if len(cols) == 1 else 1.0) + p.phrase_bonus
                        local[c] = max(local[c], v)
            else:
                self._labels(li, lang, seq, where, sub, local, {}, primary=True)
        if not opening and p.title_char:
            self._char_grams(" ".join(t.original for t in sub), local)
        local *= self._kind_mask[K_OCCUPATION]
        if local.max(initial=0.0) < p.title_min:
            return None
        scores += p.title_weight * local
        occupations = np.flatnonzero(local >= p.title_min)
        return int(occupations[np.argmax(scores[occupations])])

    def _evidence(self, ev: _Evidence, tokens: list[_Token],
                  token_cols: dict[str, list[int]] | None = None) -> tuple[int, ...]:
        """Token positions of the evidence: a phrase's tokens, or the tokens carrying the label's terms."""
        if ev.label < 0:
            return ev.positions
        li, rows = self.index.langs[ev.lang], self._label_rows[ev.lang]
        cols = set(rows.indices[rows.indptr[ev.label] : rows.indptr[ev.label + 1]].tolist())
        if token_cols is None:
            token_cols = {}
        if ev.lang not in token_cols:  # the term column of every token, once per text and language
            token_cols[ev.lang] = [li.vocab.get(stem(t.word, ev.lang), -1) for t in tokens]
        of_token = token_cols[ev.lang]
        return tuple(i for i in ev.positions if of_token[i] in cols)

    @staticmethod
    def _foreign_ok(positions: tuple[int, ...], tokens: list[_Token]) -> bool:
        """A match in the text's other language: several words, or one written like a name (Excel, SAP)."""
        if len(positions) > 1:
            return True
        word = tokens[positions[0]].original
        return len(word) > 1 and (word[0].isupper() or any(ch.isdigit() for ch in word) or not word.isalpha())

    def _descriptions(self, seq: list[str], scores: np.ndarray) -> None:
        index, p = self.index, self.params
        if p.desc_weight <= 0:
            return
        counts: dict[int, int] = defaultdict(int)
        for t in seq:
            col = index.desc_vocab.get(t)
            if col is not None:
                counts[col] += 1
        if not counts:
            return
        cols = np.fromiter(counts, dtype=np.int64)
        q = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32))) * index.desc_idf[cols]
        q /= float(np.linalg.norm(q)) or 1.0
        rows, values = _gather(index.desc, cols, q)
        np.add.at(scores, rows, p.desc_weight * values)

    @staticmethod
    def _segment_spans(tokens: list[_Token]) -> list[tuple[int, int]]:
        segments: dict[int, tuple[int, int]] = {}
        for tok in tokens:
            start, _ = segments.get(tok.segment, (tok.start, tok.end))
            segments[tok.segment] = (start, tok.end)
        return list(segments.values())

    def _static_model(self) -> dense.DenseEncoder | None:
        """The static (English) embeddings the index was built with, loaded on first use (0.4 s)."""
        if self._static is False:
            model = dense.load()
            self._static = model if model is not None and model.digest == self.index.dense_digest else None
        return self._static if isinstance(self._static, dense.DenseEncoder) else None

    def _dense(self, segments: list[str], scores: np.ndarray, weight: float = 1.0) -> None:
        """Add the static-embedding similarity of the text (or its best segment) to the best skill candidates."""
        index, p = self.index, self.params
        if index.dense is None or index.dense_rows is None or p.dense_weight <= 0 or not segments:
            return
        static = self._static_model()
        if static is None:
            return
        # Only the best lexical candidates are re-scored (labels and descriptions give most skills some
        # score): a full product over every skill costs more than the rest of the classification.
        local = scores[index.dense_rows]
        k = min(p.dense_candidates, local.size)
        cand = np.sort(np.argpartition(-local, k - 1)[:k])
        vectors = index.dense[cand]
        if len(segments) <= 2:
            sims = vectors @ static.encode([" ".join(segments)])[0]
        else:  # several segments: the best one counts (matrix-vector products: a threaded BLAS matrix
            # product of this size is slower on a busy machine than a loop of single-threaded ones)
            sims = np.max([vectors @ q for q in static.encode(segments)], axis=0)
        scores[index.dense_rows[cand]] += weight * p.dense_weight * np.maximum(sims, 0.0)

    def _glossary(self, tokens: list[_Token], scores: np.ndarray, evidence: dict[int, _Evidence]) -> None:
        """Italian text read in English word by word (``data/glossary_it_en.csv``), matched to English skills.

        Weighted by ``glossary_weight``: a bridge for Italian text while ESCO's Italian skill labels are missing.
        """
        p = self.params
        words = lexicon.glossary()
        stop = STOPWORDS["it"]
        english: list[_Token] = []
        origin: list[int] = []  # index in ``tokens`` of each English token
        segments: dict[int, list[str]] = defaultdict(list)
        for i, tok in enumerate(tokens):
            if tok.word in stop:
                continue
            found = words.get(stem(tok.word, "it"))
            if found:
                english.append(_Token(found[0], tok.start, tok.end, tok.segment, tok.original))
                origin.append(i)
                segments[tok.segment].append(" ".join(found))
        if not english:
            return
        seq, where = self._sequence(english, "en")
        local_scores = np.zeros_like(scores)
        local_evidence: dict[int, _Evidence] = {}
        self._labels(self.index.langs["en"], "en", seq, where, english, local_scores, local_evidence, primary=True)
        if len(segments) <= p.dense_max_segments:  # long texts: their labels and phrases say enough
            self._dense([" ".join(ws) for ws in segments.values()], local_scores)
        local_scores *= p.glossary_weight * self._kind_mask[K_SKILL]
        better = np.flatnonzero(local_scores > scores)
        scores[better] = local_scores[better]
        token_cols: dict[str, list[int]] = {}
        for c in better.tolist():
            ev = local_evidence.get(c)
            if ev is not None:  # evidence positions index ``english``: map them back to ``tokens``
                positions = tuple(origin[i] for i in self._evidence(ev, english, token_cols))
                evidence[c] = _Evidence(float(scores[c]), positions, ev.segments)
            else:
                evidence.pop(c, None)

    def _char_grams(self, text: str, scores: np.ndarray) -> None:
        index, p = self.index, self.params
        if p.char_weight <= 0:
            return
        counts: dict[int, int] = defaultdict(int)
        for g in char_grams(text):
            col = index.gram_vocab.get(g)
            if col is not None:
                counts[col] += 1
        if not counts:
            return
        cols = np.fromiter(counts, dtype=np.int64)
        q = np.fromiter(counts.values(), dtype=np.float32) * index.gram_idf[cols]
        q /= float(np.linalg.norm(q)) or 1.0
        if cols.size > p.char_max_grams:  # the rarest grams carry the similarity; common ones cost the most
            keep = np.argpartition(-index.gram_idf[cols], p.char_max_grams - 1)[: p.char_max_grams]
            cols, q = cols[keep], q[keep]
        rows, values = _gather(index.grams, cols, q)
        sim = np.bincount(rows, weights=values, minlength=index.grams.shape[0])
        concept = index.gram_concept
        starts = np.flatnonzero(np.r_[True, concept[1:] != concept[:-1]])
        scores[concept[starts]] += p.char_weight * np.maximum.reduceat(sim.astype(np.float32), starts)

    def _prior(self, scores: np.ndarray, minimum: float) -> None:
        index, p = self.index, self.params
        if p.prior_weight <= 0:
            return
        occ = np.flatnonzero(index.kind == K_OCCUPATION)
        occ_scores = scores[occ]
        k = min(p.prior_occupations, occ.size)
        top = occ[np.argpartition(-occ_scores, k - 1)[:k]]
        top_scores = scores[top]
        if top_scores.max(initial=0.0) < minimum:
            return
        w = np.exp((top_scores - top_scores.max()) / p.prior_temperature) * top_scores
        w /= w.sum()
        prior = np.asarray(index.requires[top].T @ w).ravel().astype(np.float32)
        scores += p.prior_weight * prior * self._kind_mask[K_SKILL]

    # ------------------------------------------------------------------ output
    def _top(self, scores: np.ndarray, evidence: dict[int, _Evidence], tokens: list[_Token],
             mask: np.ndarray, top_k: int, threshold: float, lang: str,
             selected_mask: np.ndarray | None = None) -> list[Match]:
        index = self.index
        cand = np.flatnonzero(mask & (scores > 0))
        if cand.size == 0 or top_k <= 0:
            return []
        k = min(top_k, cand.size)
        part = cand[np.argpartition(-scores[cand], k - 1)[:k]]
        order = part[np.lexsort((part, -scores[part]))]
        out = []
        token_cols: dict[str, list[int]] = {}
        raw = scores[order].astype(np.float64)
        rounded = np.round(1.0 - 0.5 ** (raw / threshold), 4).tolist()
        chosen = raw >= threshold if selected_mask is None else selected_mask[order]
        for c, score, selected in zip(order.tolist(), rounded, chosen.tolist(), strict=True):
            ev = evidence.get(c)
            if ev is None or not ev.positions:
                spans = []
            elif ev.phrase:
                spans = [(tokens[min(ev.positions)].start, tokens[max(ev.positions)].end)]
            else:
                spans = _merge([(tokens[i].start, tokens[i].end) for i in self._evidence(ev, tokens, token_cols)])
            label = index.preferred[lang][c] or index.preferred["en"][c] or index.preferred["it"][c]
            out.append(Match(index.uris[c], score, bool(selected), spans, label))
        return out


def build_vectors(index: Index, cache_dir: Path, progress: Any = None) -> e5.ConceptVectors:
    """Embed the index's labels with the encoder (``encoder.concept_texts``) under ``cache_dir``."""
    texts = e5.concept_texts(index)
    last = -1

    def report(done: int, total: int) -> None:
        nonlocal last
        if progress is None:
            return
        if last < 0:
            progress.start("embedding skill and occupation labels (new texts only)", total)
            last = 0
        progress.advance(done - last)
        last = done

    return e5.build_vectors(cache_dir, index.fingerprint, texts, progress=report)


def _one_per_mention(matches: list[Match], dedupe: bool, needs_span: bool) -> None:
    """Unselect, in rank order, skills whose evidence spans are all inside those of a better selected skill."""
    taken: list[tuple[int, int]] = []
    for m in matches:
        if not m.selected:
            continue
        if not m.spans:
            m.selected = not needs_span
            continue
        if dedupe and all(any(a <= s and e <= b for a, b in taken) for s, e in m.spans):
            m.selected = False
            continue
        taken.extend(m.spans)


def _gather(matrix: sparse.csc_matrix, cols: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and weighted values of the given columns of a CSC matrix (``matrix[:, cols] @ weights`` unsummed)."""
    starts, ends = matrix.indptr[cols], matrix.indptr[cols + 1]
    rows = np.concatenate([matrix.indices[a:b] for a, b in zip(starts, ends, strict=True)])
    values = np.concatenate([matrix.data[a:b] * w for a, b, w in zip(starts, ends, weights, strict=True)])
    return rows, values


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Adjacent or overlapping character spans joined (tokens of one phrase become one span)."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(set(spans)):
        if out and start <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out
