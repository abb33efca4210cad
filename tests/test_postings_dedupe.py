"""Duplicates: exact (content hash), revisions (natural key), near-duplicates (MinHash/LSH + same employer,
title and place)."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from regia.postings import dedupe

VOCAB = [f"parola{i}" for i in range(300)]


def _jaccard(a: str, b: str) -> float:
    sa, sb = set(dedupe.shingles(a)), set(dedupe.shingles(b))
    return len(sa & sb) / len(sa | sb)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=40))
def test_minhash_estimates_jaccard(seed: int, edits: int) -> None:
    rng = random.Random(seed)
    words = [rng.choice(VOCAB) for _ in range(120)]
    other = words[:]
    for _ in range(edits):
        other[rng.randrange(len(other))] = rng.choice(VOCAB)
    a, b = " ".join(words), " ".join(other)
    estimate = dedupe.similarity(dedupe.minhash(a), dedupe.minhash(b))
    assert abs(estimate - _jaccard(a, b)) < 0.2  # 128 permutations: standard error <= 0.045


def test_normal_forms() -> None:
    assert dedupe.norm_employer("Officine Lariane S.p.A.") == dedupe.norm_employer("OFFICINE LARIANE SPA") \
        == "officine lariane"
    assert dedupe.norm_employer("Coop. Sociale Il Sole soc. coop. sociale") == "coop sociale il sole"
    assert dedupe.norm_title("Operatore macchine CNC (m/f)") == dedupe.norm_title("operatore macchine CNC")
    assert dedupe.norm_title("Addetto/a alle pulizie") == "addetto alle pulizie"
    assert dedupe.norm_text("Città, àèìòù!") == "citta aeiou"


def _sig(text: str) -> np.ndarray:
    return dedupe.minhash(dedupe.norm_text(text))


TEXT = ("Azienda metalmeccanica cerca operatore CNC per centri di lavoro a 4 e 5 assi: attrezzaggio, carico "
        "programmi, controllo dimensionale con calibro e micrometro. Requisiti: lettura del disegno meccanico, "
        "esperienza su controlli Heidenhain o Fanuc, disponibilità su due turni, diploma tecnico.")


def test_verdicts() -> None:
    d = dedupe.Deduper()
    held = {"employer": "officine lariane", "title": "operatore macchine cnc", "place": "ITC43"}
    d.add(id=1, group_id=1, content_hash="h1", natural_key="k1", signature=_sig(TEXT), **held)
    assert d.judge(content_hash="h1", natural_key=None, signature=_sig(TEXT), **held).kind == "exact"
    revision = d.judge(content_hash="h2", natural_key="k1", signature=_sig("altro"), **held)
    assert (revision.kind, revision.group_id) == ("revision", 1)
    edited = TEXT.replace("cerca", "ricerca") + " Inserimento immediato."
    near = d.judge(content_hash="h3", natural_key=None, signature=_sig(edited), **held)
    assert (near.kind, near.group_id) == ("near", 1) and near.similarity is not None and near.similarity >= 0.7
    # near-identical text, but another place, employer or title: a different demand unit
    for change in ({"place": "ITC4C"}, {"employer": "meccanica orobica"}, {"title": "manutentore meccanico"}):
        assert d.judge(content_hash="h3", natural_key=None, signature=_sig(edited), **{**held, **change}).kind \
            == "new"
    unrelated = "Studio professionale cerca impiegato contabile per prima nota, liquidazioni IVA e bilanci."
    assert d.judge(content_hash="h4", natural_key=None, signature=_sig(unrelated), **held).kind == "new"
    # a near-duplicate of a near-duplicate joins the same group
    d.add(id=2, group_id=1, content_hash="h3", natural_key="k3", signature=_sig(edited), **held)
    again = d.judge(content_hash="h5", natural_key=None, signature=_sig(edited + " Sede: Lecco."), **held)
    assert again.group_id == 1
