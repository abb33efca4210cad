"""Italian / English detection without models or downloads: function words and Italian word endings."""

from __future__ import annotations

import re

from regia.taxonomy.normalize import tokens

_IT = """il lo la le gli un una di del della dei delle degli da dal dalla con per che non si sono e ed nel nella
nei sul sulla al alla ai alle anche come o ma piu essere ha hanno siamo cerchiamo ricerca richiesta esperienza lavoro
azienda requisiti offriamo conoscenza competenze capacita sede tempo contratto anni buona ottima candidato candidata
gestione figura professionale addetto addetta responsabile"""
_EN = """the an of and to in for with on at by from is are be will you we our your this that as or not have has
experience work team skills knowledge ability strong years job role working required candidate company looking must
including within using able"""
IT_WORDS = frozenset(_IT.split())
EN_WORDS = frozenset(_EN.split())
_IT_ENDING = re.compile(
    r"(?:zione|zioni|mente|ista|iste|isti|ore|ori|trice|trici|aio|aia|ato|ata|ati|ate|ita|ggio|ggi|iere|iera|ere|eri)$"
)


def detect(text: str, default: str = "it") -> str:
    """``"it"`` or ``"en"``: the language whose function words and word shapes dominate ``text``."""
    words = tokens(text[:5000])
    if not words:
        return default
    it = sum(1.0 for w in words if w in IT_WORDS)
    en = sum(1.0 for w in words if w in EN_WORDS)
    # Titles have few function words: Italian noun endings decide ("Saldatori", "Addetta alla contabilità").
    it += 0.5 * sum(1 for w in words if len(w) > 4 and _IT_ENDING.search(w))
    en += 0.5 * sum(1 for w in words if w.endswith(("ing", "ment", "ship", "ness", "tion", "er", "ers")))
    if it == en:
        return default
    return "it" if it > en else "en"
