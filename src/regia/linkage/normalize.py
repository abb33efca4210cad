"""Italian identity data, made comparable: names, dates, sex, places, addresses, codice fiscale, P.IVA.

Names are folded to upper-case letters without accents or apostrophes (``D'Angelo`` -> ``DANGELO``, the way
many registries key them), particles joined to what follows (``De Luca`` -> one surname token ``DELUCA``), so
that a double surname keeps two tokens (``Rossi Bianchi``). Dates are read as ISO, ``dd/mm/yyyy``,
``dd-mm-yyyy``, ``dd.mm.yyyy``, ``yyyymmdd`` or ``dd/mm/yy``.

The codice fiscale is evidence, never a key: a well-formed code (check character right or wrong, omocodia
letters or not) is decoded into the birth date, sex and comune of birth it encodes, which fill a record's
missing fields; its first six letters (the surname and name codes) reveal a record whose name and surname were
swapped. Its check character is validated with python-stdnum.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache

from stdnum.it import codicefiscale, iva

from regia.clock import rome_today
from regia.importing import cells

PARTICLES = frozenset({"D", "DE", "DI", "DA", "DAL", "DALL", "DALLA", "DALLE", "DEL", "DELL", "DELLA", "DELLE",
                       "DEGLI", "DEI", "LA", "LO", "LI", "LE", "DU", "MC", "MAC", "VAN", "VON", "SAN", "SANTA"})
_NON_LETTER = re.compile(r"[^A-Z ]+")
_SPACES = re.compile(r"\s+")
_APOSTROPHES = "'’`´‘ʼ"
MONTHS = "ABCDEHLMPRST"  # codice fiscale month letters, January..December
OMOCODIA = "LMNPQRSTUV"  # letters that replace the digits 0..9 in an omocodic code
_OMOCODIA_POSITIONS = (6, 7, 9, 10, 12, 13, 14)
_CF_SHAPE = re.compile(r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$")
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d", "%Y/%m/%d", "%d/%m/%y", "%d-%m-%y",
                 "%d %m %Y")
LEGAL_FORMS = ("SOCIETA A RESPONSABILITA LIMITATA SEMPLIFICATA", "SOCIETA A RESPONSABILITA LIMITATA",
               "SOCIETA PER AZIONI", "SOCIETA IN NOME COLLETTIVO", "SOCIETA IN ACCOMANDITA SEMPLICE",
               "SOCIETA COOPERATIVA SOCIALE", "SOCIETA COOPERATIVA", "SOC COOP SOCIALE", "SOC COOP", "COOP", "SRLS",
               "SRL", "SPA", "SNC", "SAS", "SAPA", "SCARL", "SCRL", "ONLUS", "SS", "SCPA", "E C", "EC", "DITTA")
_LEGAL = re.compile(r"\b(?:" + "|".join(f.replace(" ", r"\s+") for f in LEGAL_FORMS) + r")\b")
_ADDRESS_WORDS = {"V": "VIA", "VLE": "VIALE", "VIA LE": "VIALE", "PZA": "PIAZZA", "PZZA": "PIAZZA", "P ZA": "PIAZZA",
                  "PIAZ": "PIAZZA", "CSO": "CORSO", "C SO": "CORSO", "LGO": "LARGO", "VCO": "VICOLO", "STR": "STRADA",
                  "LOC": "LOCALITA", "FRAZ": "FRAZIONE", "FR": "FRAZIONE", "SNC": "", "N": "", "NR": "", "CIV": ""}


def fold(text: object) -> str:
    """Upper-case ASCII letters and single spaces: accents removed, apostrophes dropped, the rest spaces."""
    if text is None:
        return ""
    s = str(text)
    for a in _APOSTROPHES:
        s = s.replace(a, "")
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).upper()
    return _SPACES.sub(" ", _NON_LETTER.sub(" ", s)).strip()


def name_tokens(text: object) -> list[str]:
    """Name tokens with particles joined to the next word: ``"de la Cruz Rossi"`` -> ``["DELACRUZ", "ROSSI"]``."""
    out: list[str] = []
    pending = ""
    for word in fold(text).split():
        if word in PARTICLES:
            pending += word
            continue
        out.append(pending + word)
        pending = ""
    if pending:
        out.append(pending)
    return out


def name_key(text: object) -> str:
    """A name as one string of letters (``"D'Angelo"``, ``"D Angelo"``, ``"Dangelo"`` -> ``DANGELO``)."""
    return "".join(name_tokens(text))


def parse_date(value: object) -> dt.date | None:
    return cells.parse_date(value, _DATE_FORMATS)


def date_digits(value: object) -> str | None:
    """A date's digits as ``yyyymmdd`` - also for an impossible date (``31/02/1980`` -> ``19800231``), which is
    a typo of a real one and still worth comparing digit by digit."""
    parsed = parse_date(value)
    if parsed:
        return parsed.strftime("%Y%m%d")
    text = str(value or "").strip()
    if m := re.fullmatch(r"(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{4})", text):
        return f"{m.group(3)}{int(m.group(2)):02d}{int(m.group(1)):02d}"
    if m := re.fullmatch(r"(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})", text):
        return f"{m.group(1)}{int(m.group(2)):02d}{int(m.group(3)):02d}"
    if re.fullmatch(r"(?:19|20)\d{6}", text):
        return text
    return None


def sex(value: object) -> str | None:
    s = fold(value)
    if s in ("M", "MASCHIO", "MASCHILE", "MALE", "UOMO", "U"):
        return "M"
    if s in ("F", "FEMMINA", "FEMMINILE", "FEMALE", "DONNA", "D"):
        return "F"
    return None


def digits(value: object) -> str:
    return re.sub(r"\D", "", str(value or ""))


def alnum(value: object) -> str:
    return re.sub(r"[^0-9A-Z]", "", str(value or "").upper())


# ------------------------------------------------------------------------------------------ codice fiscale
def _consonants(s: str) -> str:
    return "".join(ch for ch in s if ch not in "AEIOU")


def _vowels(s: str) -> str:
    return "".join(ch for ch in s if ch in "AEIOU")


def surname_code(cognome: object) -> str:
    """The three letters of the codice fiscale for a surname (consonants, then vowels, then X)."""
    s = fold(cognome).replace(" ", "")
    return (_consonants(s) + _vowels(s) + "XXX")[:3]


def name_code(nome: object) -> str:
    """The three letters for a first name: with four or more consonants, the first, third and fourth."""
    s = fold(nome).replace(" ", "")
    c = _consonants(s)
    if len(c) >= 4:
        return c[0] + c[2] + c[3]
    return (c + _vowels(s) + "XXX")[:3]


def deomocode(cf: str) -> str:
    """The code with omocodia letters turned back into the digits they replace (the base code of homonyms)."""
    chars = list(cf)
    for i in _OMOCODIA_POSITIONS:
        if i < len(chars) and chars[i] in OMOCODIA:
            chars[i] = str(OMOCODIA.index(chars[i]))
    return "".join(chars)


def cf_shaped(cf: str) -> bool:
    """A code of the right shape (16 characters, letters and digits where they belong), check char unverified."""
    return bool(_CF_SHAPE.match(cf))


def cf_valid(cf: str) -> bool:
    return cf_shaped(cf) and codicefiscale.is_valid(cf)


@lru_cache(maxsize=65536)
def cf_decode(cf: str) -> tuple[dt.date | None, str | None, str | None]:
    """(birth date, sex, cadastral code of the comune of birth) a well-shaped code encodes (Nones otherwise)."""
    if not cf_shaped(cf):
        return None, None, None
    base = deomocode(cf)
    yy, month, dd = int(base[6:8]), MONTHS.index(base[8]) + 1, int(base[9:11])
    gender = "F" if dd > 40 else "M"
    dd = dd - 40 if dd > 40 else dd
    today = rome_today()
    year = 2000 + yy if 2000 + yy <= today.year else 1900 + yy
    try:
        born = dt.date(year, month, dd)
    except ValueError:
        born = None
    return born, gender, base[11:15]


def cf_names_swapped(cf: str, nome: object, cognome: object) -> bool:
    """The code's surname and name letters fit the record with its name and surname exchanged (and not as is)."""
    if not cf_shaped(cf):
        return False
    as_is = surname_code(cognome) + name_code(nome)
    swapped = surname_code(nome) + name_code(cognome)
    return cf[:6] != as_is and cf[:6] == swapped


# ------------------------------------------------------------------------------------------ firms, places
def partita_iva(value: object) -> str:
    """Eleven digits of a P.IVA (``IT`` prefix and separators removed); '' when it has not eleven digits."""
    s = alnum(value)
    s = s[2:] if s.startswith("IT") else s
    return s if len(s) == 11 and s.isdigit() else ""


def piva_valid(value: str) -> bool:
    return bool(value) and iva.is_valid(value)


def firm_name(value: object) -> str:
    """A firm's name without its legal form and punctuation (``"Rossi & Figli S.r.l."`` -> ``ROSSI FIGLI``)."""
    s = fold(str(value or "").replace(".", "").replace("&", " E "))
    s = _LEGAL.sub(" ", s)
    return _SPACES.sub(" ", s).strip()


def address(value: object) -> str:
    """An address with its usual abbreviations written out (``V.le`` -> ``VIALE``) and no punctuation."""
    raw = str(value or "").replace(".", " ")
    words = [*fold(raw).split(), ""]
    out: list[str] = []
    i = 0
    while i < len(words) - 1:
        pair = f"{words[i]} {words[i + 1]}"
        if pair in _ADDRESS_WORDS:
            out.append(_ADDRESS_WORDS[pair])
            i += 2
            continue
        out.append(_ADDRESS_WORDS.get(words[i], words[i]))
        i += 1
    numbers = re.findall(r"\d+", str(value or ""))
    return " ".join(w for w in out if w) + (" " + " ".join(numbers) if numbers else "")


def cap(value: object) -> str:
    """Five digits (leading zeros a spreadsheet dropped put back: ``100`` -> ``00100``); '' when not a CAP."""
    text = str(value or "").strip().removeprefix("I-").removeprefix("IT-")
    return text.zfill(5) if text.isdigit() and len(text) <= 5 else ""


def ateco(value: object) -> str:
    """An ATECO code as digits only (``"25.62.00"`` -> ``256200``); its prefixes are the division and group."""
    return digits(value)
