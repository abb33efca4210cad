"""Phrase search over normalised labels, and evidence spans mapped back to the original text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from regia.classify.phrases import SEPARATOR, PhraseMatcher
from regia.taxonomy.normalize import terms


def test_finds_every_label_with_its_positions() -> None:
    matcher = PhraseMatcher([("manag", "staff"), ("staff",), ("python",), ("manag", "staff")])
    found = sorted(matcher.find(["you", "manag", "staff", SEPARATOR, "python"]))
    assert found == [(1, 2, (0, 3)), (2, 2, (1,)), (4, 4, (2,))]


def test_phrases_do_not_run_across_separators_or_word_parts() -> None:
    matcher = PhraseMatcher([("manag", "staff"), ("java",)])
    assert list(matcher.find(["manag", SEPARATOR, "staff"])) == []
    assert list(matcher.find(["javascript"])) == []


def test_normalised_italian_phrase_matches_other_forms() -> None:
    label = tuple(terms("carrello elevatore", "it"))
    matcher = PhraseMatcher([label])
    text = terms("Uso dei carrelli elevatori in magazzino", "it")
    assert [ids for _, _, ids in matcher.find(text)] == [(0,)]


@given(st.lists(st.sampled_from(["a", "b", "c", "ab", SEPARATOR]), max_size=12))
def test_matches_are_exact_subsequences(seq: list[str]) -> None:
    labels = [("a", "b"), ("b",), ("ab",), ("c", "a", "b")]
    matcher = PhraseMatcher(labels)
    found = {(first, last, i) for first, last, ids in matcher.find(seq) for i in ids}
    expected = {(s, s + len(lab) - 1, i) for i, lab in enumerate(labels) for s in range(len(seq))
                if tuple(seq[s : s + len(lab)]) == lab}
    assert found == expected
