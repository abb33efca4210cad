"""Personal data in postings: e-mails, phone numbers, contact names and tax codes never reach storage."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from regia.postings import privacy

WORDS = st.sampled_from(["cerchiamo", "operatore", "magazzino", "turni", "esperienza", "richiesta", "azienda",
                         "Milano", "Bergamo", "diploma", "patente", "B", "full", "time", "Excel", "SAP", "il", "la",
                         "per", "con", "anni", "2", "4", "40", "ore", "RAL", "25.000", "euro", "reparto", "CNC"])
FILLER = st.lists(WORDS, min_size=0, max_size=25).map(" ".join)
LOCAL = st.from_regex(r"[a-z][a-z0-9]{1,10}(\.[a-z][a-z0-9]{1,8})?", fullmatch=True)
DOMAIN = st.from_regex(r"[a-z][a-z0-9-]{1,12}\.(it|com|eu|org)", fullmatch=True)
EMAIL = st.builds(lambda a, b: f"{a}@{b}", LOCAL, DOMAIN)
DIGITS = st.integers(min_value=0, max_value=9).map(str)


def _phone(prefix: str, groups: list[str], sep: str, intl: bool) -> str:
    number = prefix + sep + sep.join(groups)
    return ("+39 " if intl else "") + number


MOBILE = st.builds(_phone, st.sampled_from(["333", "347", "320", "389"]),
                   st.lists(st.text("0123456789", min_size=3, max_size=4), min_size=2, max_size=2),
                   st.sampled_from([" ", ".", "-", ""]), st.booleans())
LANDLINE = st.builds(_phone, st.sampled_from(["02", "030", "035", "0341", "0372"]),
                     st.lists(st.text("0123456789", min_size=3, max_size=4), min_size=2, max_size=2),
                     st.sampled_from([" ", ".", "-", "/"]), st.booleans())
FIRST = st.sampled_from(["Maria", "Giovanni", "Luca", "Anna", "Francesca", "Marco", "Giulia"])
LAST = st.sampled_from(["Rossi", "Bianchi", "Brambilla", "De Santis", "Colombo", "Ferrari"])
CONTACT = st.sampled_from(["Referente:", "Contattare", "Rivolgersi a", "Rif.", "Sig.ra", "Dott.", "Chiedere di",
                           "Inviare il CV a"])


@settings(max_examples=150, deadline=None)
@given(FILLER, EMAIL, FILLER)
def test_emails_are_removed(before: str, email: str, after: str) -> None:
    out = privacy.strip(f"{before} Candidature a {email} {after}")
    assert email not in out
    assert "@" not in out
    assert privacy.EMAIL in out


@settings(max_examples=150, deadline=None)
@given(FILLER, st.one_of(MOBILE, LANDLINE), FILLER, st.sampled_from(["tel.", "chiamare il", "cell", "", "numero"]))
def test_phone_numbers_are_removed(before: str, phone: str, after: str, word: str) -> None:
    out = privacy.strip(f"{before} {word} {phone} {after}".strip())
    digits = re.sub(r"\D", "", phone)
    assert digits not in re.sub(r"\D", "", out.replace(privacy.PHONE, " ")) or len(digits) < 6
    assert privacy.PHONE in out


@settings(max_examples=100, deadline=None)
@given(FILLER, CONTACT, FIRST, LAST, FILLER)
def test_contact_names_are_removed(before: str, contact: str, first: str, last: str, after: str) -> None:
    out = privacy.strip(f"{before}. {contact} {first} {last}, {after}")
    assert first not in out and last not in out
    assert privacy.NAME in out


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_stripping_is_idempotent(text: str) -> None:
    once = privacy.strip(text)
    assert privacy.strip(once) == once


@settings(max_examples=100, deadline=None)
@given(FILLER)
def test_text_without_personal_data_is_kept(text: str) -> None:
    assert privacy.strip(text) == text


def test_numbers_that_are_not_phones_are_kept() -> None:
    text = ("RAL 25.000-30.000 euro, 1.500-1.700 EUR netti, dal 01/04/2026, 40 ore settimanali, CAP 20121, "
            "anno 2024, codice ATECO 25.11, 3 turni")
    assert privacy.strip(text) == text


def test_tax_codes_and_obfuscated_addresses() -> None:
    text = "CF RSSMRA80A01F205X, scrivere a selezione(at)ditta.it o hr [chiocciola] ditta [punto] it"
    out = privacy.strip(text)
    assert "RSSMRA80A01F205X" not in out and "selezione" not in out and "ditta" not in out


def test_pseudonyms_are_keyed_and_stable() -> None:
    a = privacy.pseudonym("meccanica orobica")
    assert a == privacy.pseudonym("meccanica orobica")
    assert a != privacy.pseudonym("meccanica lariana")
    assert a is not None and len(a) == 64 and "orobica" not in a
    assert privacy.pseudonym("") is None
