"""Phrase search: every label, as a sequence of normalised terms, found in a text in one pass (Aho-Corasick).

Labels and texts are both reduced to stemmed terms without stopwords (``taxonomy.normalize.terms``), so
"gestire il personale" finds "gestione del personale"-style labels whatever the gender, number or accents.
Matches are reported as term positions; the classifier maps them back to character offsets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

import ahocorasick

SEPARATOR = "|"  # a term that no label contains: phrases never run across it


class PhraseMatcher:
    def __init__(self, phrases: Sequence[Sequence[str]]) -> None:
        """``phrases[i]`` is the term sequence of label ``i``; equal sequences share one automaton key."""
        by_key: dict[str, list[int]] = defaultdict(list)
        for i, ts in enumerate(phrases):
            if ts:
                by_key[" " + " ".join(ts) + " "].append(i)
        self.automaton = ahocorasick.Automaton()
        for key, ids in by_key.items():
            self.automaton.add_word(key, (len(key.split()), tuple(ids)))
        if by_key:
            self.automaton.make_automaton()
        self.size = len(by_key)

    def find(self, seq: Sequence[str]) -> Iterator[tuple[int, int, tuple[int, ...]]]:
        """``(first, last, label ids)`` for every label occurring in ``seq`` (term positions, inclusive)."""
        if not self.size or not seq:
            return
        text = " " + " ".join(seq) + " "
        # term index of each character position where a term ends (the space after it)
        ends: dict[int, int] = {}
        pos = 0
        for i, term in enumerate(seq):
            pos += 1 + len(term)
            ends[pos] = i
        for end, (n, ids) in self.automaton.iter(text):
            last = ends.get(end)
            if last is None:
                continue
            yield last - n + 1, last, ids
