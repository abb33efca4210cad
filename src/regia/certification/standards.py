"""The regional standards (QRSP): validating a profile record, storing a version, searching, the ESCO
alignment of the competences (suggested by the classifier, confirmed by a person, the origin kept).

A *profile record* is the plain dict the import formats produce (:mod:`regia.certification.ingest`)::

    {"code", "version", "valid_from" (ISO date), "sector": {"code", "name"}, "title", "description",
     "qualification", "repertory", "eqf_level", "ateco": [...], "cp2011": [...], "validity_months" (or None),
     "competences": [{"code", "title", "description", "eqf_level", "abilities": [...], "knowledge": [...],
                      "esco": [{"uri", "label"}]}]}

:func:`check` returns every problem with its field path; :func:`store` keeps a new ``(code, version)``,
recognises an identical one (content hash) and refuses a changed one under the same version — a standard
that changes gets a new version, and what was certified keeps the version it was issued against.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session, selectinload

from regia.auth import audit
from regia.auth.errors import Conflict, InvalidInput, NotFound
from regia.auth.principal import Principal
from regia.certification.models import Competence, Profile, SkillAlignment
from regia.i18n import N_
from regia.importing.ledger import content_hash
from regia.taxonomy.normalize import fold

ESCO_SKILL = re.compile(r"^http://data\.europa\.eu/esco/skill/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                        r"[0-9a-f]{12}$")
ATECO = re.compile(r"^(?:[A-U]|\d{2}(?:\.\d{1,2}){0,2})$")
CP2011 = re.compile(r"^\d(?:\.\d{1,2}){0,4}$")
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
LEDGER_SOURCE = "qrsp"


@dataclass(frozen=True)
class Problem:
    field: str
    reason: str


def _text(record: dict[str, Any], name: str, path: str, problems: list[Problem], *, required: bool = True,
          limit: int = 300) -> str:
    value = record.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(Problem(f"{path}{name}", "missing"))
        return ""
    if not isinstance(value, str):
        problems.append(Problem(f"{path}{name}", "not a text"))
        return ""
    if len(value) > limit:
        problems.append(Problem(f"{path}{name}", f"longer than {limit} characters"))
    return value.strip()


def _eqf(record: dict[str, Any], path: str, problems: list[Problem]) -> int:
    value = record.get("eqf_level")
    try:
        level = int(value) if not isinstance(value, bool) else 0
    except (TypeError, ValueError):
        level = 0
    if str(value).strip() != str(level) or not 1 <= level <= 8:
        problems.append(Problem(f"{path}eqf_level", f"an EQF level is a whole number from 1 to 8, not {value!r}"))
    return level


def _codes(values: Any, pattern: re.Pattern[str], field: str, what: str, problems: list[Problem]) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        problems.append(Problem(field, "a list of codes is expected"))
        return []
    out = []
    for i, value in enumerate(values):
        code = value.strip()
        if not pattern.match(code):
            problems.append(Problem(f"{field}[{i}]", f"{code!r} is not a {what} code"))
        out.append(code)
    return out


def _strings(values: Any, field: str, problems: list[Problem]) -> list[str]:
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v.strip() for v in values):
        problems.append(Problem(field, "at least one item, each a non-empty text"))
        return []
    return [v.strip() for v in values]


def check(record: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """The record normalised (codes stripped, numbers as numbers) and every problem found in it."""
    problems: list[Problem] = []
    code = _text(record, "code", "", problems, limit=40)
    if code and not CODE.match(code):
        problems.append(Problem("code", "letters, digits, '.', '_' and '-' only (at most 40)"))
    try:
        version = int(record.get("version"))  # type: ignore[arg-type]
        if version < 1 or str(record.get("version")).strip() != str(version):
            raise ValueError
    except (TypeError, ValueError):
        problems.append(Problem("version", f"a version is a whole number from 1, not {record.get('version')!r}"))
        version = 0
    try:
        valid_from = date.fromisoformat(str(record.get("valid_from", "")).strip())
    except ValueError:
        problems.append(Problem("valid_from", f"not an ISO date (YYYY-MM-DD): {record.get('valid_from')!r}"))
        valid_from = date.min
    sector = record.get("sector") if isinstance(record.get("sector"), dict) else {}
    sector_code = _text(sector, "code", "sector.", problems, limit=40)
    sector_name = _text(sector, "name", "sector.", problems, limit=200)
    months = record.get("validity_months")
    if months in (None, ""):
        months = None
    else:
        try:
            months = int(months)
            if months < 1:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(Problem("validity_months", f"a number of months from 1, or empty: {months!r}"))
            months = None
    out: dict[str, Any] = {
        "code": code, "version": version, "valid_from": valid_from.isoformat() if valid_from != date.min else "",
        "sector": {"code": sector_code, "name": sector_name}, "title": _text(record, "title", "", problems),
        "description": _text(record, "description", "", problems, required=False, limit=4000),
        "qualification": _text(record, "qualification", "", problems),
        "repertory": _text(record, "repertory", "", problems, limit=200),
        "eqf_level": _eqf(record, "", problems),
        "ateco": _codes(record.get("ateco"), ATECO, "ateco", "ATECO", problems),
        "cp2011": _codes(record.get("cp2011"), CP2011, "cp2011", "CP2011", problems),
        "validity_months": months, "competences": [],
    }
    competences = record.get("competences")
    if not isinstance(competences, list) or not competences:
        problems.append(Problem("competences", "a profile has at least one competence"))
        competences = []
    seen: set[str] = set()
    for i, item in enumerate(competences):
        path = f"competences[{i}]."
        if not isinstance(item, dict):
            problems.append(Problem(path.rstrip("."), "not an object"))
            continue
        ccode = _text(item, "code", path, problems, limit=40)
        if ccode and not CODE.match(ccode):
            problems.append(Problem(f"{path}code", "letters, digits, '.', '_' and '-' only (at most 40)"))
        if ccode in seen:
            problems.append(Problem(f"{path}code", f"competence {ccode!r} appears twice"))
        seen.add(ccode)
        esco = []
        for j, skill in enumerate(item.get("esco") or []):
            uri = (skill.get("uri") if isinstance(skill, dict) else skill) or ""
            if not isinstance(uri, str) or not ESCO_SKILL.match(uri.strip()):
                problems.append(Problem(f"{path}esco[{j}]", f"not an ESCO skill URI: {uri!r}"))
                continue
            label = skill.get("label", "") if isinstance(skill, dict) else ""
            esco.append({"uri": uri.strip(), "label": str(label or "").strip()})
        out["competences"].append({
            "code": ccode, "title": _text(item, "title", path, problems),
            "description": _text(item, "description", path, problems, required=False, limit=4000),
            "eqf_level": _eqf(item, path, problems),
            "abilities": _strings(item.get("abilities"), f"{path}abilities", problems),
            "knowledge": _strings(item.get("knowledge"), f"{path}knowledge", problems),
            "esco": esco})
    return out, problems


def fingerprint(record: dict[str, Any]) -> str:
    """The content hash of a checked record (ESCO labels left out: the URI is the alignment)."""
    return content_hash({**record, "competences": [{**c, "esco": sorted(s["uri"] for s in c["esco"])}
                                                   for c in record["competences"]]})


def store(session: Session, record: dict[str, Any], *, source: str, is_demo: bool = False) -> tuple[str, Profile]:
    """Keep a checked record: ``("stored" | "unchanged", profile)``; :class:`Conflict` when this version is held
    with other content."""
    digest = fingerprint(record)
    held = session.scalar(select(Profile).where(Profile.code == record["code"],
                                                Profile.version == record["version"]))
    if held is not None:
        if held.content_hash == digest:
            return "unchanged", held
        raise Conflict(f"version {record['version']} of {record['code']} is already held with other content: a "
                       "changed standard needs a new version", field="version")
    profile = Profile(code=record["code"], version=record["version"], sector_code=record["sector"]["code"],
                      sector_name=record["sector"]["name"], title=record["title"],
                      description=record["description"], qualification=record["qualification"],
                      repertory=record["repertory"], eqf_level=record["eqf_level"], ateco=record["ateco"],
                      cp2011=record["cp2011"], valid_from=date.fromisoformat(record["valid_from"]),
                      validity_months=record["validity_months"], is_demo=is_demo, source=source,
                      content_hash=digest)
    now = datetime.now(UTC)
    for position, item in enumerate(record["competences"]):
        competence = Competence(code=item["code"], position=position, title=item["title"],
                                description=item["description"], eqf_level=item["eqf_level"],
                                abilities=item["abilities"], knowledge=item["knowledge"])
        competence.alignments = [SkillAlignment(esco_uri=s["uri"], label=s["label"], origin="import",
                                                status="confirmed", decided_by=f"import:{source}", decided_at=now)
                                 for s in item["esco"]]
        profile.competences.append(competence)
    session.add(profile)
    session.flush()
    return "stored", profile


# --- reading --------------------------------------------------------------------------------------------------

def latest_versions(session: Session) -> Any:
    """A subquery of the newest version of each profile code."""
    return select(Profile.code, func.max(Profile.version).label("version")).group_by(Profile.code).subquery()


def search(session: Session, *, text: str = "", sector: str | None = None, all_versions: bool = False,
           limit: int = 50) -> list[Profile]:
    """Profiles whose title, qualification, sector, codes or competences match ``text`` (accent- and
    case-insensitive, every word), newest version of each unless ``all_versions``."""
    query = select(Profile).options(selectinload(Profile.competences).selectinload(Competence.alignments))
    if not all_versions:
        newest = latest_versions(session)
        query = query.join(newest, (Profile.code == newest.c.code) & (Profile.version == newest.c.version))
    if sector:
        query = query.where(Profile.sector_code == sector)
    profiles = list(session.scalars(query.order_by(Profile.sector_code, Profile.code, Profile.version)))
    words = fold(text).split()
    if words:
        def haystack(p: Profile) -> str:
            parts = [p.code, p.title, p.qualification, p.sector_name, p.description, *p.ateco, *p.cp2011]
            for c in p.competences:
                parts += [c.code, c.title, c.description, *c.abilities, *c.knowledge, *(a.label for a in c.alignments)]
            return fold(" ".join(parts))

        profiles = [p for p in profiles if all(w in haystack(p) for w in words)]
    return profiles[:limit]


def sectors(session: Session) -> list[tuple[str, str]]:
    return list(session.execute(select(Profile.sector_code, Profile.sector_name).distinct()
                                .order_by(Profile.sector_code)).tuples())


def get_profile(session: Session, *, code: str, version: int | None = None) -> Profile:
    query = select(Profile).where(Profile.code == code).options(
        selectinload(Profile.competences).selectinload(Competence.alignments))
    query = query.where(Profile.version == version) if version else query.order_by(Profile.version.desc())
    profile = session.scalars(query.limit(1)).first()
    if profile is None:
        raise NotFound(f"no standard {code}" + (f" version {version}" if version else ""),
                       key=N_("certification.err.no_standard"), params={"code": code})
    return profile


def versions(session: Session, code: str) -> list[int]:
    return list(session.scalars(select(Profile.version).where(Profile.code == code).order_by(Profile.version)))


def competence(session: Session, competence_id: int) -> Competence:
    row = session.get(Competence, competence_id)
    if row is None:
        raise NotFound(f"no competence {competence_id}")
    return row


def find_competences(session: Session, pairs: Sequence[tuple[str, str]]) -> list[Competence]:
    """The newest-version competences named by ``(profile code, competence code)``."""
    if not pairs:
        return []
    newest = latest_versions(session)
    rows = session.scalars(select(Competence).join(Profile).join(
        newest, (Profile.code == newest.c.code) & (Profile.version == newest.c.version))
        .where(or_(*[(Profile.code == p) & (Competence.code == c) for p, c in pairs])))
    return list(rows)


# --- ESCO alignment -------------------------------------------------------------------------------------------

def suggest_alignments(engine: Engine, session: Session, *, actor: Principal, profile: Profile,
                       per_competence: int = 5, minimum: float = 0.2) -> int:
    """Ask the classifier (:mod:`regia.classify`) for the ESCO skills of each competence's text; new ones are
    kept as suggestions (``origin="classifier"``) for a person to confirm. Returns how many were added."""
    from regia.classify.classifier import Classifier
    from regia.taxonomy.models import Concept

    if session.scalar(select(Concept.id).where(Concept.type == "skill").limit(1)) is None:
        raise Conflict("the ESCO skills are not loaded (regia taxonomy import)",
                       key=N_("certification.err.no_taxonomy"))
    classifier = Classifier.from_engine(engine)
    added = 0
    for item in profile.competences:
        text = ". ".join([item.title, item.description, *item.abilities, *item.knowledge])
        result = classifier.classify(text, top_k=20, lang="it")
        held = {a.esco_uri for a in item.alignments}
        for match in [m for m in result.skills if m.selected or m.score >= minimum][:per_competence]:
            if match.uri in held:
                continue
            item.alignments.append(SkillAlignment(esco_uri=match.uri, label=match.label, origin="classifier",
                                                  score=round(float(match.score), 4), status="suggested"))
            held.add(match.uri)
            added += 1
    session.flush()
    audit.record(session, actor=actor, action="suggest_alignment", resource_type="qrsp_profile",
                 resource_id=profile.id, after={"code": profile.code, "version": profile.version, "added": added})
    return added


def decide_alignment(session: Session, *, actor: Principal, alignment_id: int, confirm: bool) -> SkillAlignment:
    """A person confirms (or rejects) a suggested alignment; the origin stays what it was."""
    alignment = session.get(SkillAlignment, alignment_id)
    if alignment is None:
        raise NotFound(f"no alignment {alignment_id}")
    before = {"status": alignment.status}
    alignment.status = "confirmed" if confirm else "rejected"
    alignment.decided_by, alignment.decided_at = actor.label, datetime.now(UTC)
    session.flush()
    audit.record(session, actor=actor, action="confirm_alignment" if confirm else "reject_alignment",
                 resource_type="qrsp_alignment", resource_id=alignment.id, before=before,
                 after={"status": alignment.status, "esco_uri": alignment.esco_uri, "origin": alignment.origin})
    return alignment


def add_alignment(session: Session, *, actor: Principal, competence_id: int, esco_uri: str,
                  label: str = "") -> SkillAlignment:
    """A person aligns a competence to an ESCO skill (``origin="person"``, confirmed)."""
    if not ESCO_SKILL.match(esco_uri):
        raise InvalidInput(f"not an ESCO skill URI: {esco_uri!r}", field="esco_uri")
    item = competence(session, competence_id)
    if any(a.esco_uri == esco_uri for a in item.alignments):
        raise Conflict("this skill is already aligned", field="esco_uri")
    alignment = SkillAlignment(esco_uri=esco_uri, label=label, origin="person", status="confirmed",
                               decided_by=actor.label, decided_at=datetime.now(UTC))
    item.alignments.append(alignment)
    session.flush()
    audit.record(session, actor=actor, action="add_alignment", resource_type="qrsp_alignment",
                 resource_id=alignment.id, after={"competence_id": item.id, "esco_uri": esco_uri})
    return alignment


def confirmed_skills(item: Competence) -> list[SkillAlignment]:
    return [a for a in item.alignments if a.status == "confirmed"]
