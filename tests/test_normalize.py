"""Normalisation of labels and queries: accents, case, Italian gender and plural forms."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regia.taxonomy.normalize import fold, norm, terms, tokens


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("saldatore", "saldatrice"),
        ("saldatore", "Saldatori"),
        ("saldatrici", "saldatore"),
        ("magazziniere", "magazziniera"),
        ("magazziniere", "magazzinieri"),
        ("operaio", "operaia"),
        ("cameriere", "cameriera"),
        ("impiegato", "impiegati"),
        ("programmatore", "programmatrice"),
        ("addetto/a al magazzino", "addetta al magazzino"),
        ("Città", "citta"),
        ("perché", "PERCHE"),
    ],
)
def test_italian_forms_meet_on_the_same_terms(a: str, b: str) -> None:
    assert norm(a, "it") == norm(b, "it")


def test_english_plurals_meet() -> None:
    assert norm("welders", "en") == norm("welder", "en")
    assert norm("managing projects", "en") == norm("manage project", "en")


def test_stopwords_dropped_unless_asked() -> None:
    assert terms("addetto alla pulizia delle camere", "it") == terms("addetto pulizia camere", "it")
    assert "alla" in terms("addetto alla pulizia", "it", keep_stopwords=True)


def test_slash_gender_ending_is_dropped_but_full_alternatives_kept() -> None:
    assert tokens("addetto/a") == ["addetto"]
    assert tokens("saldatore/saldatrice") == ["saldatore", "saldatrice"]


def test_programming_names_keep_their_symbols() -> None:
    assert tokens("C++ e C# su .NET") == ["c++", "e", "c#", "su", "net"]


@given(st.text(max_size=200))
def test_fold_is_idempotent_and_accent_free(text: str) -> None:
    once = fold(text)
    assert fold(once) == once
    assert not any(unicodedata.combining(ch) for ch in once)


@given(st.text(max_size=200), st.sampled_from(["it", "en"]))
def test_terms_ignore_case_and_accents(text: str, lang: str) -> None:
    assert terms(text, lang) == terms(fold(text), lang)
    assert all(t and " " not in t for t in terms(text, lang))
