"""Validation of one record of each kind: values in, a typed row (pseudonyms instead of codes) or the field at
fault with the reason out.

The columns of each kind, their aliases and the rules are documented in ``src/regia/monitoring/README.md``.
A rejected record raises :class:`Invalid` naming the field (as the file calls it) and the reason; the caller
keeps it in the quarantine. Rules checked here (per record; duplicates are the ingest's business):

- codici fiscali valid (check character, omocodia allowed); sex and birth year, when given, agree with the code
  (when absent they are read from it);
- dates readable (``YYYY-MM-DD`` or ``DD/MM/YYYY``) and in order: a participation ends on or after it began, a
  person was unemployed since a date not after the enrolment, an employment relationship ends on or after it
  started, an extension, transformation, transfer or termination happens on or after the start;
- codes known: events (ASS/PRO/TRS/TRD/CES or words), contracts (UNILAV codes such as A.02.00 or words),
  working time (F/P/V/M), status, labour status, citizenship, ISCED level, funding, comune;
- coherence: a completed or dropped participation has an end date, an ongoing one has none; a certificate
  only for a completed participation; a fixed-term hire and an extension carry the (new) end date; a
  termination carries its date.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from stdnum.it import codicefiscale

from regia.monitoring import codes
from regia.monitoring.identity import Identities, InvalidCode, check_employer, check_person
from regia.monitoring.places import Places, UnknownPlace

PARTICIPATIONS, EMPLOYMENT, UNEMPLOYED = "participations", "employment", "unemployed"
KINDS = (PARTICIPATIONS, EMPLOYMENT, UNEMPLOYED)

ALIASES: dict[str, tuple[str, ...]] = {
    "codice_fiscale": ("codice_fiscale", "codicefiscale", "cf", "fiscal_code", "codice_fiscale_lavoratore"),
    "course_id": ("course_id", "corso", "id_corso", "course"),
    "edition_id": ("edition_id", "edition", "edizione", "id_edizione"),
    "funding_source": ("funding_source", "funding", "fonte", "fonte_finanziamento", "finanziamento"),
    "programme": ("programme", "program", "programma", "azione"),
    "plan_line": ("plan_line", "linea", "linea_di_piano"),
    "enrolled_on": ("enrolled_on", "data_iscrizione", "iscrizione", "data_inizio", "entry_date"),
    "ended_on": ("ended_on", "data_fine", "data_conclusione", "exit_date"),
    "status": ("status", "stato", "esito"),
    "certified": ("certified", "certificato", "certificazione"),
    "certificate_id": ("certificate_id", "id_certificato", "certificate"),
    "birth_year": ("birth_year", "anno_nascita", "anno_di_nascita"),
    "sex": ("sex", "sesso", "genere", "gender"),
    "citizenship": ("citizenship", "cittadinanza"),
    "education": ("education", "istruzione", "titolo_di_studio", "livello_istruzione", "isced"),
    "comune": ("comune", "comune_residenza", "residenza", "municipality"),
    "labour_status": ("labour_status", "condizione", "condizione_occupazionale", "stato_occupazionale"),
    "unemployed_since": ("unemployed_since", "disoccupato_dal", "data_disoccupazione"),
    "cost_eur": ("cost_eur", "costo", "costo_eur", "importo"),
    "employer_id": ("employer_id", "datore", "codice_fiscale_datore", "cf_datore", "partita_iva", "employer"),
    "event": ("event", "evento", "tipo_comunicazione", "tipo_evento"),
    "event_date": ("event_date", "data_evento"),
    "start_date": ("start_date", "data_inizio_rapporto", "datainizio", "inizio"),
    "end_date": ("end_date", "data_fine_rapporto", "datafine", "fine"),
    "contract": ("contract", "contratto", "tipologia_contrattuale", "tipologiacontrattuale"),
    "working_time": ("working_time", "tipo_orario", "tipoorario", "orario"),
    "full_time": ("full_time", "tempo_pieno"),
    "ateco": ("ateco", "settore"),
    "cp2011": ("cp2011", "qualifica_professionale", "qualificaprofessionale", "cp"),
    "communicated_on": ("communicated_on", "data_invio", "datainvio"),
    "registered_on": ("registered_on", "did", "data_did", "data_registrazione", "registration_date"),
}
_CP_CODE = re.compile(r"^\d(?:\.\d{1,2}){0,4}$")
_ATECO = re.compile(r"^[A-Z]?\.?\d{2}(?:\.\d{1,2}){0,3}$|^[A-Z]$")


@dataclass
class Invalid(Exception):
    field: str | None
    reason: str


@dataclass
class Checked:
    """A valid record: the row to store, its natural key and content (for the ledger)."""

    key: str
    row: dict[str, Any]
    content: dict[str, Any] = field(default_factory=dict)


class Context:
    """What validation needs besides the record: pseudonyms, comuni, the catalogue's courses."""

    def __init__(self, identities: Identities, places: Places, course_ids: set[int] | None = None,
                 edition_courses: Mapping[int, int] | None = None) -> None:
        self.identities = identities
        self.places = places
        self.course_ids = course_ids
        self.edition_courses = edition_courses or {}


def _get(values: Mapping[str, str], name: str) -> tuple[str, str]:
    """(the column name the file uses, the trimmed value) of a field."""
    for alias in ALIASES[name]:
        if alias in values:
            return alias, str(values[alias] or "").strip()
    return ALIASES[name][0], ""


class Record:
    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values

    def text(self, name: str, *, required: bool = False, max_len: int = 120) -> str | None:
        col, value = _get(self.values, name)
        if not value:
            if required:
                raise Invalid(col, f"{col} missing")
            return None
        if len(value) > max_len:
            raise Invalid(col, f"{col} longer than {max_len} characters")
        return value

    def date(self, name: str, *, required: bool = False) -> date | None:
        col, value = _get(self.values, name)
        if not value:
            if required:
                raise Invalid(col, f"{col} missing")
            return None
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            pass
        for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d"):
            try:
                return datetime.strptime(value[:10], fmt).date()
            except ValueError:
                continue
        raise Invalid(col, f"{col} is not a date (YYYY-MM-DD or DD/MM/YYYY): {value!r}")

    def code(self, name: str, parse: Callable[[str], Any], *, required: bool = False) -> Any:
        col, value = _get(self.values, name)
        if not value:
            if required:
                raise Invalid(col, f"{col} missing")
            return None
        try:
            return parse(value)
        except codes.UnknownValue as exc:
            raise Invalid(col, str(exc)) from None

    def integer(self, name: str, low: int, high: int) -> int | None:
        col, value = _get(self.values, name)
        if not value:
            return None
        try:
            number = int(float(value.replace(",", ".")))
        except ValueError:
            raise Invalid(col, f"{col} is not a number: {value!r}") from None
        if not low <= number <= high:
            raise Invalid(col, f"{col} out of range ({low}-{high}): {number}")
        return number

    def column(self, name: str) -> str:
        return _get(self.values, name)[0]


def natural_key(*parts: object) -> str:
    return hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode()).hexdigest()


def _person(rec: Record, ctx: Context) -> tuple[str, str, int]:
    col, value = _get(rec.values, "codice_fiscale")
    try:
        code, sex, year2 = check_person(value)
    except InvalidCode as exc:
        raise Invalid(col, str(exc)) from None
    return code, sex, year2


def _covariates(rec: Record, ctx: Context, code: str, sex_cf: str, year2: int) -> dict[str, Any]:
    sex = rec.code("sex", codes.sex)
    if sex is not None and sex != sex_cf:
        raise Invalid(rec.column("sex"), f"sex {sex} disagrees with the codice fiscale")
    birth_year = rec.integer("birth_year", 1900, 2030)
    if birth_year is None:
        birth_year = codicefiscale.get_birth_date(code).year
    elif birth_year % 100 != year2:
        raise Invalid(rec.column("birth_year"), f"birth year {birth_year} disagrees with the codice fiscale")
    comune = nuts3 = None
    col, place = _get(rec.values, "comune")
    if place:
        try:
            comune, nuts3 = ctx.places.resolve(place)
        except UnknownPlace as exc:
            raise Invalid(col, str(exc)) from None
    return {"birth_year": birth_year, "sex": sex_cf, "citizenship": rec.code("citizenship", codes.citizenship,
                                                                            required=True),
            "education": rec.code("education", codes.education), "comune": comune, "nuts3": nuts3}


def months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month - (1 if last.day < first.day else 0)


def participation(values: Mapping[str, str], ctx: Context) -> Checked:
    rec = Record(values)
    code, sex_cf, year2 = _person(rec, ctx)
    person = ctx.identities.person(code)
    course_id = rec.integer("course_id", 1, 2**31 - 1)
    edition_id = rec.integer("edition_id", 1, 2**31 - 1)
    if edition_id is not None and ctx.course_ids is not None:
        owner = ctx.edition_courses.get(edition_id)
        if owner is None:
            raise Invalid(rec.column("edition_id"), f"edition {edition_id} is not in the catalogue")
        if course_id is not None and course_id != owner:
            raise Invalid(rec.column("edition_id"), f"edition {edition_id} is not an edition of course {course_id}")
        course_id = owner
    if course_id is not None and ctx.course_ids is not None and course_id not in ctx.course_ids:
        raise Invalid(rec.column("course_id"), f"course {course_id} is not in the catalogue")
    funding, fund = rec.code("funding_source", codes.funding, required=True)
    programme = rec.text("programme")
    plan_line = rec.text("plan_line")
    enrolled = rec.date("enrolled_on", required=True)
    ended = rec.date("ended_on")
    assert enrolled is not None
    if ended is not None and ended < enrolled:
        raise Invalid(rec.column("ended_on"), f"dates out of order: ended on {ended} before enrolling on {enrolled}")
    status = rec.code("status", codes.status, required=True)
    if status == codes.ENROLLED and ended is not None:
        raise Invalid(rec.column("ended_on"), "an ongoing participation (status enrolled) has no end date")
    if status != codes.ENROLLED and ended is None:
        raise Invalid(rec.column("ended_on"), f"a {status} participation needs its end date")
    certified = bool(rec.code("certified", codes.boolean))
    certificate_id = rec.text("certificate_id")
    if (certified or certificate_id) and status != codes.COMPLETED:
        raise Invalid(rec.column("certified"), "only a completed participation can be certified")
    person_values = _covariates(rec, ctx, code, sex_cf, year2)
    labour = rec.code("labour_status", codes.labour_status, required=True)
    since = rec.date("unemployed_since")
    if since is not None and since > enrolled:
        raise Invalid(rec.column("unemployed_since"), f"dates out of order: unemployed since {since}, after "
                                                      f"enrolling on {enrolled}")
    col, cost_text = _get(values, "cost_eur")
    cost = None
    if cost_text:
        try:
            cost = float(cost_text.replace("€", "").replace(" ", "").replace(",", "."))
        except ValueError:
            raise Invalid(col, f"{col} is not an amount: {cost_text!r}") from None
        if cost < 0:
            raise Invalid(col, f"{col} is negative")
    age = enrolled.year - person_values["birth_year"]
    target = codes.target_group(labour, age, months_between(since, enrolled) if since else None)
    row = {"person": person, "course_id": course_id, "edition_id": edition_id, "funding": funding, "fund": fund,
           "programme": programme, "plan_line": plan_line, "enrolled_on": enrolled, "ended_on": ended,
           "status": status, "certified": certified or bool(certificate_id), "certificate_id": certificate_id,
           "labour_status": labour, "unemployed_since": since, "target_group": target, "cost_eur": cost,
           **person_values}
    course_key = course_id if course_id is not None else f"programme:{programme or ''}"
    return Checked(natural_key(PARTICIPATIONS, person, course_key, enrolled.isoformat()), row, _content(row))


def employment(values: Mapping[str, str], ctx: Context) -> Checked:
    rec = Record(values)
    code, _, _ = _person(rec, ctx)
    person = ctx.identities.person(code)
    col, employer_text = _get(values, "employer_id")
    try:
        kind, employer_code = check_employer(employer_text)
    except InvalidCode as exc:
        raise Invalid(col, str(exc)) from None
    employer = ctx.identities(kind, employer_code)
    event = rec.code("event", codes.event, required=True)
    start = rec.date("start_date", required=True)
    end = rec.date("end_date")
    event_date = rec.date("event_date")
    assert start is not None
    if event_date is None:
        event_date = start if event == codes.HIRE else end if event == codes.TERMINATION else None
        if event_date is None:
            raise Invalid(rec.column("event_date"), f"{rec.column('event_date')} missing")
    contract, contract_code = rec.code("contract", codes.contract, required=True)
    if end is not None and end < start:
        raise Invalid(rec.column("end_date"), f"dates out of order: the relationship ends on {end}, before it "
                                              f"starts on {start}")
    if event != codes.HIRE and event_date < start:
        raise Invalid(rec.column("event_date"), f"dates out of order: {event} on {event_date}, before the start "
                                                f"on {start}")
    if event == codes.TERMINATION and end is None:
        end = event_date
    if event == codes.HIRE and contract in codes.TERM and end is None:
        raise Invalid(rec.column("end_date"), f"a {contract} hire needs its end date")
    if event == codes.EXTENSION and end is None:
        raise Invalid(rec.column("end_date"), "an extension (proroga) needs the new end date")
    working = rec.code("working_time", codes.working_time)
    if working is None:
        full = rec.code("full_time", codes.boolean)
        working = None if full is None else ("F" if full else "P")
    cp = rec.text("cp2011", max_len=16)
    if cp is not None and not _CP_CODE.match(cp):
        raise Invalid(rec.column("cp2011"), f"not an ISTAT CP code (e.g. 7.2.1.1.0): {cp!r}")
    ateco = rec.text("ateco", max_len=12)
    if ateco is not None and not _ATECO.match(ateco.upper()):
        raise Invalid(rec.column("ateco"), f"not an ATECO code (e.g. 25.62.00): {ateco!r}")
    comune = nuts3 = None
    col, place = _get(values, "comune")
    if place:
        try:
            comune, nuts3 = ctx.places.resolve(place)
        except UnknownPlace as exc:
            raise Invalid(col, str(exc)) from None
    row = {"person": person, "employer": employer, "event": event, "event_date": event_date, "start_date": start,
           "end_date": end, "contract": contract, "contract_code": contract_code, "working_time": working,
           "ateco": ateco.upper() if ateco else None, "cp2011": cp, "comune": comune, "nuts3": nuts3,
           "communicated_on": rec.date("communicated_on")}
    key = natural_key(EMPLOYMENT, person, employer, start.isoformat(), event, event_date.isoformat())
    return Checked(key, row, _content(row))


def unemployed(values: Mapping[str, str], ctx: Context) -> Checked:
    rec = Record(values)
    code, sex_cf, year2 = _person(rec, ctx)
    person = ctx.identities.person(code)
    registered = rec.date("registered_on", required=True)
    assert registered is not None
    since = rec.date("unemployed_since")
    if since is not None and since > registered:
        raise Invalid(rec.column("unemployed_since"), f"dates out of order: unemployed since {since}, after the "
                                                      f"registration on {registered}")
    row = {"person": person, "registered_on": registered, "unemployed_since": since,
           **_covariates(rec, ctx, code, sex_cf, year2)}
    return Checked(natural_key(UNEMPLOYED, person, registered.isoformat()), row, _content(row))


def _content(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()}


VALIDATORS: dict[str, Callable[[Mapping[str, str], Context], Checked]] = {
    PARTICIPATIONS: participation, EMPLOYMENT: employment, UNEMPLOYED: unemployed}
CODE_FIELDS = ("codice_fiscale", "employer_id")  # masked in what the quarantine keeps
