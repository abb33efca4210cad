"""Personal data in postings: e-mails, phone numbers, contact names and tax codes are stripped before
storage; identifiers that analytics needs (the employer, to count distinct firms) are pseudonymised.

Stripping is a placeholder substitution (``[email]``, ``[telefono]``, ``[nome]``, ``[codice fiscale]``) so
that the text keeps its shape; it is idempotent. Nothing here logs the values it removes.

Pseudonyms are keyed hashes (HMAC-SHA256). The key is the platform's (``regia.auth.settings``) when that
package is present, else ``REGIA_PSEUDONYM_KEY``, else a key file created once under
``REGIA_DATA_DIR/secrets``.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path

EMAIL = "[email]"
PHONE = "[telefono]"
NAME = "[nome]"
TAX_CODE = "[codice fiscale]"

_EMAIL = re.compile(
    r"[\w.%+'-]+(?:@|\s*[\[(]\s*(?:at|chiocciola)\s*[\])]\s*)[\w-]+(?:(?:\.|\s*[\[(]\s*(?:dot|punto)\s*[\])]\s*)"
    r"[\w-]+)+", re.IGNORECASE)
_OBFUSCATED_AT = re.compile(r"[\[(]\s*(?:at|chiocciola)\s*[\])]", re.IGNORECASE)
_MAILTO = re.compile(r"mailto:\S+", re.IGNORECASE)
# a run of digits with the separators phone numbers use; checked by _is_phone
_DIGITS = re.compile(r"(?<![\w.,/-])(?:\+|00)?\d[\d \t.\-/()]{5,}\d(?![\w/])")
_PHONE_WORD = re.compile(
    r"\b(?:tel|telefono|telefonare|cell|cellulare|mobile|whatsapp|fax|chiamare|chiama|contattare|numero|"
    r"phone|call|recapito|n)\.?\s*[:.]?\s*$", re.IGNORECASE)
_MONEY = re.compile(r"^\d{1,3}(?:\.\d{3})+(?:,\d+)?(?:\s*[-–/]\s*\d{1,3}(?:\.\d{3})+(?:,\d+)?)?$")
_DATE = re.compile(r"^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}(?:\s*[-–]\s*\d{1,2}[./-]\d{1,2}[./-]\d{2,4})?$|"
                   r"^\d{4}-\d{2}-\d{2}$")
_CODICE_FISCALE = re.compile(r"\b[A-Z]{6}\d{2}[A-EHLMPRST]\d{2}[A-Z]\d{3}[A-Z]\b", re.IGNORECASE)
_NAME_WORD = r"[A-ZÀ-Ý][a-zà-ÿ']+(?:-[A-ZÀ-Ý][a-zà-ÿ']+)?"
_NAMES = rf"{_NAME_WORD}(?:\s+(?:de|di|da|del|della|van|von|la|lo|De|Di|Da|Del|Della|La|Lo)?\s*{_NAME_WORD}){{0,2}}"
_TITLE = (r"(?:sig\.ra|sig\.na|sig\.|sigg\.|signor|signora|signorina|dott\.ssa|dott\.|dr\.|dr\b|ing\.|avv\.|"
          r"geom\.|rag\.|arch\.|prof\.ssa|prof\.|mr\.|mrs\.|ms\.)")
_CONTACT = (r"(?:referente|referenti|contatto|contatti|contact|contattare|contatta|rivolgersi\s+a|rivolgersi|"
            r"chiedere\s+di|chiedere|att\.ne|attn\.?|alla\s+c\.a\.|c\.a\.|rif\.|riferimento|responsabile|"
            r"inviare\s+(?:il\s+)?(?:cv|curriculum)\s+a|candidature\s+a|selezionatore|selezionatrice|recruiter|"
            r"hr\s+manager|hr|persona\s+di\s+riferimento)")
_TITLED_NAME = re.compile(rf"(?<![\w])(?i:{_TITLE})\s*{_NAMES}")
_CONTACT_NAME = re.compile(rf"(?i:\b{_CONTACT})\s*[:\-–]?\s*(?:(?i:{_TITLE})\s*)?(?:(?i:il|la|lo)\s+)?({_NAMES})")
# capitalised words that follow a contact keyword but are not names
_NOT_NAME_WORDS = """ufficio risorse umane personale selezione azienda agenzia sede direzione reparto team
amministrazione candidati candidato candidata curriculum cv email mail telefono tel sito via il la lo gli le
i un una the our hr srl spa snc sas società lunedì martedì mercoledì giovedì venerdì sabato domenica"""
_NOT_NAMES = frozenset(_NOT_NAME_WORDS.split())


def _is_phone(value: str, before: str) -> bool:
    value = value.strip()
    digits = re.sub(r"\D", "", value)
    if not 6 <= len(digits) <= 15:
        return False
    compact = value.replace(" ", "")
    if _DATE.match(compact):
        return False
    if (_MONEY.match(compact) or _MONEY.match(value)) and max(
            len(re.sub(r"\D", "", part)) for part in re.split(r"[-–/]", compact)) <= 7:
        return False  # an amount: 25.000, 1.500-1.700 (grouped like money but 8+ digits: a phone, if it looks one)
    if _PHONE_WORD.search(before):
        return True
    if value.startswith(("+", "00")):
        return len(digits) >= 8
    national = digits
    if len(national) < 8:
        return False
    # Italian numbers: landlines start with 0, mobiles with 3, toll-free 80x
    return national[0] in "03" or national.startswith("80")


def _phones(match: re.Match[str]) -> str:
    """Phone numbers in a run of digits and separators, which may hold several numbers ("+39 333 1234567
    25.000"): the longest leading run of space-separated pieces that is a phone is replaced, then the rest."""
    text = match.string
    before = text[max(0, match.start() - 30):match.start()]
    pieces = match.group(0).split(" ")
    out: list[str] = []
    i = 0
    while i < len(pieces):
        for j in range(len(pieces), i, -1):
            candidate = " ".join(pieces[i:j])
            if candidate and candidate[-1].isdigit() and _is_phone(candidate, before if i == 0 else ""):
                out.append(PHONE)
                i = j
                break
        else:
            out.append(pieces[i])
            i += 1
    return " ".join(out)


def strip(text: str | None) -> str:
    """``text`` without e-mail addresses, phone numbers, contact names and tax codes."""
    if not text:
        return text or ""
    if "@" in text or _OBFUSCATED_AT.search(text):  # the e-mail pattern is costly: run it when it can match
        text = _MAILTO.sub(EMAIL, text)
        text = _EMAIL.sub(EMAIL, text)
    text = _CODICE_FISCALE.sub(TAX_CODE, text)
    text = _DIGITS.sub(_phones, text)
    text = _TITLED_NAME.sub(NAME, text)

    def contact(m: re.Match[str]) -> str:
        names = m.group(1)
        words = names.split()
        if words[0].lower() in _NOT_NAMES:
            return m.group(0)
        kept = []
        for w in words:
            if w.lower() in _NOT_NAMES:
                break
            kept.append(w)
        name = " ".join(kept)
        start = m.start(1) - m.start(0)
        return m.group(0)[:start] + NAME + m.group(0)[start + len(name):]

    return _CONTACT_NAME.sub(contact, text)


def contains_personal_data(text: str) -> bool:
    return strip(text) != text


# ---------------------------------------------------------------------------------------------- pseudonyms
def _key_file() -> Path:
    from regia.config import get_settings

    return get_settings().data_dir / "secrets" / "pseudonym.key"


@lru_cache(maxsize=1)
def _local_key() -> bytes:
    env = os.environ.get("REGIA_PSEUDONYM_KEY")
    if env:
        return env.encode()
    path = _key_file()
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(secrets.token_hex(32).encode())
        os.chmod(tmp, 0o600)
        if not path.exists():
            tmp.replace(path)
        else:
            tmp.unlink()
    return path.read_bytes().strip()


def _platform_key() -> bytes | None:
    """The platform's pseudonym key (``regia.auth``), when that package is installed."""
    try:
        settings = importlib.import_module("regia.auth.settings")
    except ImportError:
        return None
    try:
        return bytes(settings.get_auth_settings().pseudonym_secret())
    except (AttributeError, OSError, ValueError):
        return None


@lru_cache(maxsize=1)
def _key() -> bytes:
    return _platform_key() or _local_key()


def pseudonym(value: str | None, kind: str = "employer") -> str | None:
    """A stable keyed hash of ``value`` (64 hex characters), or None for an empty value.

    Same construction as ``regia.auth.pseudonym`` (HMAC-SHA256 of ``kind`` + value with the platform's key),
    for kinds of identifier that module does not know (employers)."""
    if not value:
        return None
    return hmac.new(_key(), f"{kind}\x1f{value}".encode(), hashlib.sha256).hexdigest()
