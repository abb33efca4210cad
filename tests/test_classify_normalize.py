"""Normalisation for the classifier: token offsets, Italian gender and plural forms, accents."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regia.taxonomy.normalize import fold, terms, token_spans, tokens


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("magazziniera", "magazzinieri"),
        ("operatrice", "operatori"),
        ("saldatrici", "saldatore"),
        ("infermiera", "infermieri"),
        ("addetta alle pulizie", "addetti pulizia"),
        ("contabilità", "CONTABILITA"),
        ("Ingegnere Meccanico", "ingegneri meccanici"),
    ],
)
def test_italian_forms_meet(a: str, b: str) -> None:
    assert terms(a, "it") == terms(b, "it")


@pytest.mark.parametrize(("a", "b"), [("managing teams", "manage team"), ("Databases", "database")])
def test_english_forms_meet(a: str, b: str) -> None:
    assert terms(a, "en") == terms(b, "en")


def test_token_spans_point_at_the_original_spelling() -> None:
    text = "Addetto/a all'Attività di Qualità — Città: Milano"
    spans = token_spans(text)
    assert [t for t, _, _ in spans] == tokens(text)
    originals = {text[s:e] for _, s, e in spans}
    assert {"Addetto", "Attività", "Qualità", "Città", "Milano"} <= originals
    assert "a" not in {t for t, _, _ in spans[:2]}  # the "/a" gender ending is dropped


@given(st.text(alphabet=st.sampled_from(list("aeiouàèéìòù AÈbcdlmnrst/'-.,0123456789+#\u0301ßﬁ")), max_size=60))
def test_token_spans_agree_with_tokens(text: str) -> None:
    spans = token_spans(text)
    assert [t for t, _, _ in spans] == tokens(text)
    for token, start, end in spans:
        assert 0 <= start < end <= len(text)
        assert fold(text[start:end]).replace(" ", "").startswith(token[:1])
