"""Paragraphs that say nothing about the job: company presentations, equal-opportunity and privacy notes.

They are not cut out of the text (evidence spans keep the original offsets); ``mask`` returns the
character ranges the classifier ignores.
"""

from __future__ import annotations

import re

_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\s*\n)[^\n]+)*")
# One strong cue is enough to drop a paragraph.
_CUES = re.compile(
    r"(?:pari opportunit|d\.?\s?lgs\.?\s*(?:n\.?\s*)?(?:198|196|215|216)|legge\s*(?:n\.?\s*)?(?:903|125)"
    r"|l\.\s*(?:n\.\s*)?903|entrambi i sessi|ambo i sessi|ambosessi|uomini e donne|candidati di entrambi"
    r"|gdpr|2016/679|trattamento dei dati|informativa (?:sulla )?privacy|privacy policy|dati personali"
    r"|equal opportunit|equal employment|without regard to|regardless of (?:race|gender|age)"
    r"|chi siamo|about us|who we are|la nostra azienda|our company|siamo un[a']?\s|we are a(?:n)?\s"
    r"|leader (?:nel|del|in)|fondata nel|founded in|da oltre \d+ anni|for over \d+ years"
    r"|aut\.?\s*min|autorizzazione ministeriale|prot\.?\s*n|iscrizione albo|agenzia per il lavoro"
    r"|invia(?:re)? (?:il )?(?:tuo )?(?:cv|curriculum)|send (?:your )?(?:cv|resume)|candidati ora|apply now)",
    re.IGNORECASE,
)


def mask(text: str) -> list[tuple[int, int]]:
    """Character ranges of boilerplate paragraphs in ``text`` (never the whole text)."""
    if len(text) < 300:
        return []  # titles and sentences are never boilerplate
    ranges = [(m.start(), m.end()) for m in _PARAGRAPH.finditer(text) if _CUES.search(m.group(0))]
    covered = sum(end - start for start, end in ranges)
    if covered > 0.8 * len(text.strip()):
        return []  # one long paragraph with a stray cue: keep it
    return ranges


# What the employer offers (contract, pay, benefits, hours, place): no skill is asked there.
_OFFER = re.compile(
    r"\b(?:offriamo|si offre|offresi|cosa offriamo|l'azienda offre|we offer|what we offer|benefits?|welfare"
    r"|buoni pasto|ticket restaurant|retribuzione|\bral\b|stipendio|compenso|inquadramento|ccnl|livello"
    r"|orario di lavoro|sede di lavoro|luogo di lavoro|smart working|salary|compensation|contratto)\b",
    re.IGNORECASE,
)


def is_offer(segment: str) -> bool:
    """A segment about the offer (contract, pay, benefits, hours, place), not about the work asked."""
    return _OFFER.search(segment) is not None
