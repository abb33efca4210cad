"""From a raw record (strings, as read from CSV, Excel or JSON) to a validated course edition, or the
field and reason it is rejected for.

Identifiers: a provider's ``provider_vat`` must be a valid partita IVA (11 digits with its check digit) or a
codice fiscale (16 characters for a person, 11 digits for an organisation, with its check character), as
python-stdnum checks them (an office code stdnum does not know is
tolerated when the check digit is right). Codes, names and aliases accepted for the other fields are below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from stdnum import luhn
from stdnum.exceptions import InvalidComponent
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.it import codicefiscale, iva

from regia.catalog.models import MODALITIES, TARGETS
from regia.taxonomy.codes import ESCO_OCCUPATION_URI, ESCO_SKILL_URI
from regia.taxonomy.normalize import fold

COLUMNS = ("provider_name", "provider_vat", "course_code", "title", "description", "hours", "modality", "comune",
           "start_date", "end_date", "seats", "cost_eur", "funding", "targets", "eqf_level", "certification")
REQUIRED_COLUMNS = ("provider_name", "provider_vat", "title", "hours", "modality")
# Optional columns beyond the sample's: ESCO skill URIs the provider declares (';'-separated).
OPTIONAL_COLUMNS = ("skills", "occupations")

MODALITY_ALIASES = {
    "presenza": "presenza", "in presenza": "presenza", "aula": "presenza", "in aula": "presenza",
    "presence": "presenza", "in presence": "presenza", "classroom": "presenza",
    "online": "online", "on line": "online", "fad": "online", "e-learning": "online", "elearning": "online",
    "distanza": "online", "a distanza": "online", "remote": "online",
    "blended": "blended", "mista": "blended", "misto": "blended", "mixed": "blended", "ibrida": "blended",
}
TARGET_ALIASES = {
    "disoccupati": "disoccupati", "disoccupato": "disoccupati", "inoccupati": "disoccupati",
    "unemployed": "disoccupati",
    "occupati": "occupati", "occupato": "occupati", "lavoratori": "occupati", "employed": "occupati",
    "sospesi": "sospesi", "occupati sospesi": "sospesi", "lavoratori sospesi": "sospesi",
    "cassa integrazione": "sospesi", "cig": "sospesi", "suspended": "sospesi", "suspended workers": "sospesi",
    "studenti": "studenti", "studente": "studenti", "students": "studenti",
    "apprendisti": "apprendisti", "apprendista": "apprendisti", "apprentices": "apprendisti",
    "stranieri": "stranieri", "straniero": "stranieri", "lavoratori stranieri": "stranieri",
    "foreign workers": "stranieri", "migranti": "stranieri",
}
FUNDING_ALIASES = {
    "regione": "regione", "regione lombardia": "regione", "regional": "regione", "region": "regione",
    "fse+": "fse+", "fse": "fse+", "fse+ 2021-2027": "fse+", "fse plus": "fse+", "esf+": "fse+",
    "impresa": "impresa", "azienda": "impresa", "firm": "impresa", "privato": "impresa",
}
_SPLIT = re.compile(r"\s*[;|]\s*")


class Invalid(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Funding:
    channel: str  # regione | fse+ | fondo | impresa
    fund: str = ""

    def __str__(self) -> str:
        return f"fondo:{self.fund}" if self.channel == "fondo" else self.channel


@dataclass
class CourseRecord:
    """One validated course edition as a source sent it."""

    provider_name: str
    provider_vat: str  # the validated identifier (P.IVA or CF), upper-case
    course_code: str
    title: str
    description: str
    hours: float
    modality: str
    comune: str | None  # ISTAT code
    nuts3: str | None
    start_date: date | None
    end_date: date | None
    seats: int
    cost_eur: float
    funding: Funding | None
    targets: list[str]
    eqf_level: int | None
    certification: str
    skills: list[str] = field(default_factory=list)
    occupations: list[str] = field(default_factory=list)

    def course_content(self) -> dict[str, object]:
        """The course-level fields (not the edition's), as hashed and kept in the history."""
        return {
            "provider_name": self.provider_name, "provider_vat": self.provider_vat, "course_code": self.course_code,
            "title": self.title, "description": self.description, "hours": self.hours, "modality": self.modality,
            "cost_eur": self.cost_eur, "funding": str(self.funding) if self.funding else "",
            "targets": sorted(self.targets), "eqf_level": self.eqf_level, "certification": self.certification,
            "skills": sorted(self.skills), "occupations": sorted(self.occupations),
        }


# ----------------------------------------------------------------------------------------------- identifiers
def validate_tax_id(value: str) -> str:
    """The compact, upper-case partita IVA or codice fiscale; ``Invalid`` when it is neither.

    An 11-digit number is a partita IVA (an organisation's codice fiscale is the same number); 16
    characters are a person's codice fiscale (a sole trader's)."""
    raw = (value or "").strip()
    if not raw:
        raise Invalid("provider_vat", "missing partita IVA / codice fiscale")
    compact = re.sub(r"[\s.\-/]", "", raw).upper()
    if compact.startswith("IT") and len(compact) == 13:
        compact = compact[2:]
    if len(compact) == 11 and compact.isdigit():
        try:
            return str(iva.validate(compact))
        except InvalidComponent:
            # Digits 8-10 name the issuing office; stdnum knows 001-100, 120, 121, 888 and 999. A number with
            # another office code but the right check digit is accepted (as the sample files' numbers are).
            if luhn.is_valid(compact) and int(compact[:7]) != 0:
                return compact
            raise Invalid("provider_vat", f"invalid partita IVA {raw!r} (check digit)") from None
        except StdnumError:
            raise Invalid("provider_vat", f"invalid partita IVA {raw!r} (check digit)") from None
    if len(compact) == 16:
        try:
            return str(codicefiscale.validate(compact))
        except StdnumError:
            raise Invalid("provider_vat", f"invalid codice fiscale {raw!r}") from None
    raise Invalid("provider_vat", f"not a partita IVA (11 digits) or codice fiscale (16 characters): {raw!r}")


# ----------------------------------------------------------------------------------------------- fields
def _number(value: str, name: str, *, integer: bool = False, minimum: float = 0.0,
            maximum: float | None = None) -> float:
    text = (value or "").strip().replace("€", "").replace(" ", "")
    # "1.234,50" as Italians write it, or "12,5"
    text = text.replace(".", "").replace(",", ".") if "," in text and "." in text else text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        raise Invalid(name, f"not a number: {value!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise Invalid(name, f"not a number: {value!r}")
    if integer and number != int(number):
        raise Invalid(name, f"not a whole number: {value!r}")
    if number < minimum or (maximum is not None and number > maximum):
        bound = f"between {minimum:g} and {maximum:g}" if maximum is not None else f"at least {minimum:g}"
        raise Invalid(name, f"{value!r} out of range: must be {bound}")
    return number


def _date(value: str, name: str) -> date | None:
    text = (value or "").strip()
    if not text:
        return None
    m = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", text)  # 13/04/2026, as Italian spreadsheets write
    try:
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        return date.fromisoformat(text[:10])
    except ValueError:
        raise Invalid(name, f"not a date (YYYY-MM-DD): {value!r}") from None


def parse_modality(value: str) -> str:
    key = " ".join(fold(value or "").split())
    if key in MODALITY_ALIASES:
        return MODALITY_ALIASES[key]
    raise Invalid("modality", f"unknown modality {value!r}: expected one of {', '.join(MODALITIES)}")


def parse_targets(value: str | list[str]) -> list[str]:
    items = value if isinstance(value, list) else _SPLIT.split((value or "").strip())
    out: list[str] = []
    for item in items:
        key = " ".join(fold(str(item)).split())
        if not key:
            continue
        if key not in TARGET_ALIASES:
            raise Invalid("targets", f"unknown target {item!r}: expected some of {', '.join(TARGETS)}")
        if TARGET_ALIASES[key] not in out:
            out.append(TARGET_ALIASES[key])
    return out


def parse_funding(value: str) -> Funding | None:
    text = " ".join((value or "").split())
    if not text:
        return None
    key = fold(text)
    if key.startswith(("fondo:", "fondo ", "fund:")):
        name = text.split(":", 1)[1] if ":" in text else text.split(" ", 1)[1]
        name = name.strip()
        if not name:
            raise Invalid("funding", f"fondo without a name: {value!r} (write fondo:NAME)")
        return Funding("fondo", name)
    if key in FUNDING_ALIASES:
        return Funding(FUNDING_ALIASES[key])
    raise Invalid("funding", f"unknown funding {value!r}: expected regione, fse+, fondo:NAME or impresa")


def parse_uris(value: str | list[str], pattern: re.Pattern[str], name: str) -> list[str]:
    items = value if isinstance(value, list) else _SPLIT.split((value or "").strip())
    out = []
    for item in items:
        uri = str(item).strip()
        if not uri:
            continue
        if not pattern.match(uri):
            raise Invalid(name, f"not an ESCO URI: {uri!r}")
        if uri not in out:
            out.append(uri.replace("https://", "http://"))
    return out


class Places:
    """Comuni by ISTAT code and by name, with their NUTS3 province (from the taxonomy)."""

    def __init__(self, comuni: dict[str, tuple[str, str]]) -> None:
        self.by_code = comuni  # code -> (name, nuts3)
        by_name: dict[str, list[str]] = {}
        for code, (name, _) in comuni.items():
            by_name.setdefault(" ".join(fold(name).split()), []).append(code)
        self.by_name = by_name

    def resolve(self, value: str) -> tuple[str, str]:
        """(ISTAT code, NUTS3) of a comune given by code or by name; Lombardy first for shared names."""
        text = (value or "").strip()
        if text.isdigit():
            code = text.zfill(6)
            if code in self.by_code:
                return code, self.by_code[code][1]
            raise Invalid("comune", f"unknown ISTAT comune code {value!r}")
        key = " ".join(fold(re.sub(r"\s*\([A-Za-z]{2}\)\s*$", "", text)).split())
        codes = self.by_name.get(key)
        if not codes:
            raise Invalid("comune", f"unknown comune {value!r}")
        codes = sorted(codes, key=lambda c: (not self.by_code[c][1].startswith("ITC4"), c))
        return codes[0], self.by_code[codes[0]][1]


def validate_record(values: dict[str, object], places: Places) -> CourseRecord:
    """A validated ``CourseRecord`` from a raw record; ``Invalid`` (field, reason) at the first problem."""
    def text(name: str) -> str:
        value = values.get(name)
        return "" if value is None else " ".join(str(value).split()) if name != "description" else str(value).strip()

    name = text("provider_name")
    if not name:
        raise Invalid("provider_name", "missing provider name")
    vat = validate_tax_id(text("provider_vat"))
    title = text("title")
    if not title:
        raise Invalid("title", "missing title")
    hours = _number(text("hours"), "hours", minimum=0.5, maximum=5000)
    modality = parse_modality(text("modality"))
    comune = nuts3 = None
    if text("comune"):
        comune, nuts3 = places.resolve(text("comune"))
    elif modality != "online":
        raise Invalid("comune", f"missing comune for a course held {modality}")
    start, end = _date(text("start_date"), "start_date"), _date(text("end_date"), "end_date")
    if start and end and end < start:
        raise Invalid("end_date", f"end date {end} before start date {start}")
    seats = int(_number(text("seats") or "0", "seats", integer=True, maximum=100_000))
    cost = _number(text("cost_eur") or "0", "cost_eur", maximum=1_000_000)
    funding = parse_funding(text("funding"))
    raw_targets = values.get("targets")
    targets = parse_targets(raw_targets if isinstance(raw_targets, list) else text("targets"))
    eqf = int(_number(text("eqf_level"), "eqf_level", integer=True, minimum=1, maximum=8)) if text("eqf_level") \
        else None
    raw_skills = values.get("skills")
    skills = parse_uris(raw_skills if isinstance(raw_skills, list) else text("skills"), ESCO_SKILL_URI, "skills")
    raw_occ = values.get("occupations")
    occupations = parse_uris(raw_occ if isinstance(raw_occ, list) else text("occupations"), ESCO_OCCUPATION_URI,
                             "occupations")
    return CourseRecord(
        provider_name=name, provider_vat=vat, course_code=text("course_code"), title=title,
        description=text("description"), hours=hours, modality=modality, comune=comune, nuts3=nuts3,
        start_date=start, end_date=end, seats=seats, cost_eur=cost, funding=funding, targets=targets,
        eqf_level=eqf, certification=text("certification"), skills=skills, occupations=occupations,
    )
