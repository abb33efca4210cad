"""Text normalisation for matching labels: accents, case, Italian gender forms, plurals (stemming).

``fold`` gives a lower-case, accent-free form; ``terms`` gives the stemmed tokens used by search and
classification, so that "Saldatrici", "saldatore" and "saldatore/saldatrice" meet on the same terms.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

_TOKEN = re.compile(r"[a-z0-9]+(?:[+#]+|\.net)?")
# "addetto/a", "operaio/a", "impiegato/i": a word followed by a one- or two-letter gender/number ending.
_SLASH_ENDING = re.compile(r"\b([a-z]{3,})/(?:a|e|i|o|essa|ssa|ice|trice)\b")
_STEMMERS = {"it": Stemmer.Stemmer("italian"), "en": Stemmer.Stemmer("english")}

# Italian forms unified before stemming, where Snowball would split one noun's gender/number forms:
# feminine agent nouns (saldatrice -> saldatore) and -ere/-era/-eri nouns (magazziniera -> magazziniere).
_FEMININE_AGENT = re.compile(r"(?<=[a-z]{3})(?:trice|trici)$")
_ERE_NOUN = re.compile(r"(?<=[a-z]{3})er[aei]$")

_IT_STOPWORDS = """a ad al allo alla ai agli alle col con da dal dallo dalla dai dagli dalle de del dello della dei
degli delle di e ed i il in nel nello nella nei negli nelle o od per su sul sullo sulla sui sugli sulle tra fra un uno
una lo la le gli l d"""
_EN_STOPWORDS = "a an and as at by for from in into of on or the to with within without"
STOPWORDS: dict[str, frozenset[str]] = {
    "it": frozenset(_IT_STOPWORDS.split()),
    "en": frozenset(_EN_STOPWORDS.split()),
}


def fold(text: str) -> str:
    """Lower-case, strip accents and unify apostrophes and dashes."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.lower().replace("’", "'").replace("–", "-")


def tokens(text: str) -> list[str]:
    """Folded word tokens, with Italian slash gender endings ("addetto/a") dropped."""
    folded = _SLASH_ENDING.sub(r"\1", fold(text))
    return _TOKEN.findall(folded)


@lru_cache(maxsize=200_000)
def stem(token: str, lang: str) -> str:
    stemmer = _STEMMERS.get(lang, _STEMMERS["en"])
    if lang == "it":
        token = _ERE_NOUN.sub("ere", _FEMININE_AGENT.sub("tore", token))
    return stemmer.stemWord(token)


def terms(text: str, lang: str, *, keep_stopwords: bool = False) -> list[str]:
    """Stemmed match terms of ``text`` in ``lang`` (it or en); stopwords dropped unless asked."""
    stop = STOPWORDS.get(lang, frozenset())
    return [stem(t, lang) for t in tokens(text) if keep_stopwords or t not in stop]


def norm(text: str, lang: str) -> str:
    """The stored search form of a label: its terms joined by spaces."""
    return " ".join(terms(text, lang))


def _fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """``fold(text)`` and, for each folded character, the offset of the original character it came from."""
    if text.isascii():
        return text.lower(), list(range(len(text)))
    if all(len(fold(ch)) == 1 for ch in {ch for ch in text if not ch.isascii()}):
        # every non-ASCII character folds to exactly one character ("à" -> "a"): positions are kept
        return fold(text), list(range(len(text)))
    out: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        folded = fold(ch) if not ch.isascii() else ch.lower()
        out.append(folded)
        offsets.extend([i] * len(folded))
    return "".join(out), offsets


def token_spans(text: str) -> list[tuple[str, int, int]]:
    """The tokens of ``tokens(text)`` with their ``(start, end)`` character offsets in the original ``text``.

    ``[t for t, _, _ in token_spans(x)] == tokens(x)`` for any ``x``; ``text[start:end]`` is the original
    spelling of the token (accents and case kept).
    """
    folded, offsets = _fold_with_offsets(text)
    dropped = {m.end() - len(m.group(0)) + len(m.group(1)) + 1 for m in _SLASH_ENDING.finditer(folded)}
    out: list[tuple[str, int, int]] = []
    for m in _TOKEN.finditer(folded):
        if m.start() in dropped:
            continue
        start = offsets[m.start()]
        end = offsets[m.end() - 1] + 1
        out.append((m.group(0), start, end))
    return out
