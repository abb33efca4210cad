"""Who a record is about, without knowing who: codici fiscali are checked, then replaced by keyed pseudonyms.

A person's codice fiscale is validated with python-stdnum (check character, omocodia allowed) and turned into
``regia.auth.pseudonym``'s HMAC-SHA256 pseudonym at ingest, before anything is stored: records of the same
person from different files meet through the pseudonym, and nothing holds the code in clear (the quarantine
keeps a masked copy of the rejected row, see :func:`mask`). Employers' identifiers (partita IVA or, for sole
traders, a personal codice fiscale) are pseudonymised too: analyses only need to tell employers apart.

The seam for record linkage: analyses never use the pseudonym directly but a *person key* given by a
:class:`PersonKeys` function (pseudonyms in, keys out). The default keeps the pseudonym; a linked-person key
(``regia.linkage``, when it exists) can be handed in instead, so that two pseudonyms found to be the same
person count once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Protocol

from stdnum.exceptions import ValidationError
from stdnum.it import codicefiscale, iva

from regia.auth.pseudonym import Pseudonymiser, pseudonymiser
from regia.auth.settings import AuthSettings

_CF_LIKE = re.compile(r"[A-Za-z]{6}[0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z]"
                      r"[0-9LMNPQRSTUVlmnpqrstuv]{3}[A-Za-z]")


class InvalidCode(ValueError):
    pass


class PersonKeys(Protocol):
    def __call__(self, pseudonyms: Sequence[str]) -> Sequence[str]: ...


def same_person(pseudonyms: Sequence[str]) -> Sequence[str]:
    """The default person key: the pseudonym itself."""
    return pseudonyms


def compact(value: str) -> str:
    return re.sub(r"[\s\-.]", "", value).upper()


@lru_cache(maxsize=65536)
def check_person(value: str) -> tuple[str, str, int]:
    """A person's codice fiscale, compacted, with the sex ("F"/"M") and the two-digit birth year it encodes."""
    code = compact(value)
    if len(code) != 16:
        raise InvalidCode("a person's codice fiscale has 16 characters" if code else "codice fiscale missing")
    try:
        code = codicefiscale.validate(code)
    except ValidationError as exc:
        raise InvalidCode(f"invalid codice fiscale ({exc.message})") from None
    gender = codicefiscale.get_gender(code)
    year = int("".join(str("LMNPQRSTUV".index(c)) if c in "LMNPQRSTUV" else c for c in code[6:8]))
    return code, gender, year


@lru_cache(maxsize=16384)
def check_employer(value: str) -> tuple[str, str]:
    """An employer's partita IVA / numeric codice fiscale (11 digits) or a sole trader's codice fiscale:
    ``(kind of pseudonym, compacted code)``."""
    code = compact(value).removeprefix("IT")
    if len(code) == 11 and code.isdigit():
        try:
            return "vat_number", iva.validate(code)
        except ValidationError as exc:
            raise InvalidCode(f"invalid partita IVA ({exc.message})") from None
    if len(code) == 16:
        return "fiscal_code", check_person(code)[0]
    raise InvalidCode("an employer is identified by an 11-digit partita IVA or a 16-character codice fiscale"
                      if code else "employer_id missing")


class Identities:
    """Pseudonyms of the ingest: person and employer codes in, HMAC pseudonyms out (cached per run)."""

    def __init__(self, settings: AuthSettings | None = None, make: Callable[[], Pseudonymiser] | None = None):
        self._pseudo = make() if make else pseudonymiser(settings)
        self._cache: dict[tuple[str, str], str] = {}

    def __call__(self, kind: str, code: str) -> str:
        key = (kind, code)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._pseudo(kind, code)
            if len(self._cache) > 200_000:
                self._cache.clear()
        return found

    def person(self, code: str) -> str:
        return self("fiscal_code", code)


def mask(text: str, codes: Sequence[str] = ()) -> str:
    """``text`` with every codice fiscale-like token, and each of ``codes`` (the values of the record's code
    fields, valid or not), replaced by ``[codice fiscale]``: what the quarantine may keep of a rejected row."""
    for code in sorted({c for c in codes if c and c.strip()}, key=len, reverse=True):
        text = text.replace(code, "[codice fiscale]")
    return _CF_LIKE.sub("[codice fiscale]", text)
