"""From a raw record to a valid posting, or the reasons it is not one (each with the field it concerns).

A record is rejected when it cannot be a demand unit (no title, no usable date) or when it carries a code
that is wrong (an ISTAT comune or NUTS code, an ATECO, ISCO or ESCO code that does not exist): wrong codes
would silently move demand to the wrong place, sector or occupation. A place that cannot be resolved from
free text is not an error: the posting is kept with an unknown territory.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from regia.clock import rome_today
from regia.importing.cells import parse_date
from regia.postings import privacy
from regia.postings.formats.base import RawPosting, SourceSkill
from regia.postings.location import Gazetteer, Location
from regia.postings.reference import ATECO_SCHEMES, Reference
from regia.taxonomy.codes import CP2011_CODE, ESCO_OCCUPATION_URI, ISCO_UNIT_GROUP, ISTAT_COMUNE
from regia.taxonomy.normalize import fold

MAX_TITLE = 500
_NUTS3 = re.compile(r"^IT[A-Z0-9]{3}$")
_NUTS2 = re.compile(r"^IT[A-Z0-9]{2}$")
_ATECO = re.compile(r"^(?:[A-U]|\d{2}(?:\.\d{1,2}){0,3})$")

# canonical contract kinds (Italian, as the observatories publish them)
CONTRACTS = {
    "tempo indeterminato": "Tempo indeterminato", "indeterminato": "Tempo indeterminato",
    "permanent": "Tempo indeterminato", "full_time": None, "tempo determinato": "Tempo determinato",
    "determinato": "Tempo determinato", "temporary": "Tempo determinato", "apprendistato": "Apprendistato",
    "apprenticeship": "Apprendistato", "somministrazione": "Somministrazione", "interinale": "Somministrazione",
    "stage": "Stage", "tirocinio": "Stage", "intern": "Stage", "internship": "Stage",
    "collaborazione": "Collaborazione", "co co co": "Collaborazione", "contractor": "Lavoro autonomo",
    "partita iva": "Lavoro autonomo", "lavoro autonomo": "Lavoro autonomo", "freelance": "Lavoro autonomo",
    "per_diem": "Altro", "volunteer": "Altro", "other": "Altro", "altro": "Altro",
}
HOURS = {"full time": "Full time", "full_time": "Full time", "tempo pieno": "Full time",
         "part time": "Part time", "part_time": "Part time", "tempo parziale": "Part time"}


@dataclass(frozen=True)
class Problem:
    field: str | None
    reason: str


@dataclass
class PostingRecord:
    """A valid posting, normalised, personal data stripped."""

    file: str
    line: int
    ordinal: int
    source_id: str | None
    id_scope: str
    board: str | None
    title: str
    description: str
    employer: str | None
    date_posted: dt.date
    valid_through: dt.date | None
    location: Location
    location_text: str | None
    ateco: tuple[str, str, str | None, str | None] | None  # scheme, code, division, section
    contract: str | None
    education: str | None
    experience: str | None
    working_hours: str | None
    salary: str | None
    url: str | None
    isco_source: str | None
    cp_source: str | None
    occupation_source: str | None
    skills_text: str
    source_skills: list[SourceSkill] = field(default_factory=list)

    def classify_text(self) -> str:
        parts = [self.title, self.description]
        if self.skills_text:
            parts.append(self.skills_text)
        return "\n".join(p for p in parts if p)


def _clean(value: object, limit: int = 200) -> str | None:
    text = " ".join(str(value or "").split())
    return text[:limit] if text else None


def _contract(raw: dict[str, object]) -> tuple[str | None, str | None]:
    contract = hours = None
    for value in (raw.get("contract"), raw.get("employment_type")):
        for part in re.split(r"[,;/|]", str(value or "")):
            k = " ".join(fold(part).replace("-", " ").split())
            k_us = k.replace(" ", "_")
            if k in HOURS or k_us in HOURS:
                hours = hours or HOURS.get(k) or HOURS.get(k_us)
            elif k in CONTRACTS or k_us in CONTRACTS:
                contract = contract or CONTRACTS.get(k) or CONTRACTS.get(k_us)
            elif k and value is raw.get("contract") and contract is None:
                contract = _clean(part, 60)
    if raw.get("working_hours"):
        k = " ".join(fold(str(raw["working_hours"])).replace("-", " ").split())
        hours = HOURS.get(k) or hours or _clean(raw["working_hours"], 20)
    return contract, hours


class Validator:
    def __init__(self, ref: Reference, gazetteer: Gazetteer | None = None, *, today: dt.date | None = None) -> None:
        self.ref = ref
        self.gazetteer = gazetteer or Gazetteer(ref)
        self.today = today or rome_today()
        self.ateco_by_label = {fold(label): code for code, label in ref.ateco_labels.items()}

    def check(self, raw: RawPosting, names: dict[str, str] | None = None) -> PostingRecord | list[Problem]:
        f = raw.fields
        names = names or {}
        problems: list[Problem] = []

        def bad(fld: str, reason: str) -> None:
            problems.append(Problem(names.get(fld, fld), reason))

        title = privacy.strip(_clean(f.get("title"), 2000) or "")
        if not title:
            bad("title", "missing title")
        elif len(title) > MAX_TITLE:
            title = title[:MAX_TITLE]
        posted = parse_date(f.get("date_posted"))
        if f.get("date_posted") in (None, ""):
            bad("date_posted", "missing publication date")
        elif posted is None:
            bad("date_posted", f"not a date: {str(f.get('date_posted'))[:40]!r} (expected YYYY-MM-DD)")
        elif posted.year < 1990 or posted > self.today + dt.timedelta(days=366):
            bad("date_posted", f"implausible publication date {posted.isoformat()}")
        valid = None
        if f.get("valid_through") not in (None, ""):
            valid = parse_date(f.get("valid_through"))
            if valid is None:
                bad("valid_through", f"not a date: {str(f.get('valid_through'))[:40]!r} (expected YYYY-MM-DD)")
            elif posted is not None and valid < posted:
                bad("valid_through", f"expiry {valid.isoformat()} before publication {posted.isoformat()}")
        source_id = _clean(f.get("id"), 300)

        # codes: wrong ones are errors
        comune_code = _clean(f.get("comune_code"), 20)
        if comune_code:
            code = comune_code.zfill(6) if comune_code.isdigit() else comune_code
            if not ISTAT_COMUNE.match(code):
                bad("comune_code", f"not an ISTAT comune code: {comune_code!r}")
            elif code not in self.ref.comuni:
                bad("comune_code", f"unknown ISTAT comune code {code!r}")
            comune_code = code
        province_code = _clean(f.get("province_code"), 20)
        if province_code and (not _NUTS3.match(province_code.upper())
                              or province_code.upper() not in self.ref.provinces):
            bad("province_code", f"unknown NUTS3 province code {province_code!r}")
        region_code = _clean(f.get("region_code"), 20)
        if region_code and region_code.upper() not in self.ref.regions:
            bad("region_code", f"unknown NUTS2 region code {region_code!r}")
        isco = _clean(f.get("isco"), 20)
        if isco:
            isco = isco.zfill(4) if isco.isdigit() else isco
            if not ISCO_UNIT_GROUP.match(isco) or isco not in self.ref.isco:
                bad("isco", f"unknown ISCO-08 unit group {isco!r}")
        occupation = _clean(f.get("occupation"), 300)
        if occupation and not ESCO_OCCUPATION_URI.match(occupation):
            if ISCO_UNIT_GROUP.match(occupation):
                isco, occupation = isco or occupation, None
            else:
                bad("occupation", f"not an ESCO occupation URI: {occupation[:100]!r}")
        cp = _clean(f.get("cp"), 20)
        if cp and not CP2011_CODE.match(cp):
            bad("cp", f"not a CP2011 code: {cp!r}")
        ateco = None
        sector_code = _clean(f.get("sector_code"), 20)
        if sector_code:
            code = sector_code.upper() if sector_code.isalpha() else sector_code
            if not _ATECO.match(code):
                bad("sector_code", f"not an ATECO code: {sector_code!r}")
            else:
                for scheme in ATECO_SCHEMES:
                    if path := self.ref.ateco_path(code, scheme):
                        ateco = (scheme, *path)
                        break
                else:
                    bad("sector_code", f"unknown ATECO code {sector_code!r}")
        elif f.get("sector"):
            by_label = self.ateco_by_label.get(fold(str(f["sector"])).strip())
            if by_label and (path := self.ref.ateco_path(by_label)):
                ateco = ("ateco2007", *path)
        if problems:
            return problems

        location = self.gazetteer.resolve(
            comune_code=comune_code, comune=_clean(f.get("comune")),
            province=_clean(f.get("province_code")) or _clean(f.get("province")),
            region=_clean(f.get("region_code")) or _clean(f.get("region")),
            postal_code=_clean(f.get("postal_code"), 10), text=_clean(f.get("location"), 300))
        location_text = ", ".join(str(f[k]) for k in ("comune", "location", "province") if f.get(k)) or None
        contract, hours = _contract(f)
        assert posted is not None
        return PostingRecord(
            file=raw.file, line=raw.line, ordinal=raw.ordinal, source_id=source_id,
            id_scope=_clean(f.get("id_scope"), 200) or "", board=_clean(f.get("board"), 200),
            title=title, description=privacy.strip(str(f.get("description") or "").strip()),
            employer=_clean(f.get("employer"), 300), date_posted=posted, valid_through=valid,
            location=location, location_text=privacy.strip(location_text) if location_text else None,
            ateco=ateco, contract=contract, education=_clean(f.get("education"), 60),
            experience=_clean(f.get("experience"), 60), working_hours=hours,
            salary=privacy.strip(_clean(f.get("salary"), 200) or "") or None,
            url=_clean(f.get("url"), 2000), isco_source=isco, cp_source=cp, occupation_source=occupation,
            skills_text=privacy.strip(_clean(f.get("skills_text"), 4000) or ""), source_skills=raw.skills,
        )
