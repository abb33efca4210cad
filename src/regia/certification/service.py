"""What other domains (catalogue, analytics, monitoring) and the faces ask of certification: the competences
a course prepares for, the course page's "take this course → certify these competences" path, and counts of
certified competences (supply for mismatch and orientation; certifications per course and per Fund for
monitoring), and the upload of QRSP standards as a background job (``regia.jobs``). Cross-domain callers use this
module only."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, distinct, func, select
from sqlalchemy.orm import Session

from regia.auth import audit
from regia.auth.errors import InvalidInput
from regia.auth.models import Organisation
from regia.auth.principal import Principal
from regia.certification import ingest, standards
from regia.certification.models import Claim, Competence, CourseCompetence, Credential, Issuer, Request
from regia.i18n import N_
from regia.importing.checkpoint import Checkpoint

IMPORT_LABEL = N_("certification.import.label")
IMPORT_HINT = N_("certification.import.hint")


def import_file(engine: Engine, path: Path, *, principal: Principal, file_name: str,
                checkpoint: Checkpoint) -> None:
    """The ``standards`` upload kind of ``regia.jobs``: the command line's import of QRSP standards
    (:func:`regia.certification.ingest.ingest_batches`, CSV or JSON) under the job's checkpoint; the source is
    the file's own (JSON ``source``) or its name."""
    ingest.ingest_batches(engine, path, principal=principal, file_name=file_name, checkpoint=checkpoint)


def declare_course_competences(session: Session, *, actor: Principal, course_id: int,
                               competences: list[tuple[str, str]]) -> list[CourseCompetence]:
    """The course prepares for these ``(profile code, competence code)`` (replacing what it declared); the
    caller checks that ``actor`` may edit the course (the catalogue's rule)."""
    found = {(c.profile.code, c.code) for c in standards.find_competences(session, competences)}
    unknown = [f"{p}/{c}" for p, c in competences if (p, c) not in found]
    if unknown:
        raise InvalidInput(f"not competences of the standards: {', '.join(unknown)}", field="competences",
                           key=N_("certification.err.unknown_competences"), params={"codes": ", ".join(unknown)})
    for row in session.scalars(select(CourseCompetence).where(CourseCompetence.course_id == course_id)):
        session.delete(row)
    session.flush()
    rows = [CourseCompetence(course_id=course_id, profile_code=p, competence_code=c, declared_by=actor.label,
                             declared_at=datetime.now(UTC)) for p, c in sorted(set(competences))]
    session.add_all(rows)
    session.flush()
    audit.record(session, actor=actor, action="declare_competences", resource_type="catalog_course",
                 resource_id=course_id, after={"competences": [f"{p}/{c}" for p, c in sorted(set(competences))]})
    return rows


def course_competences(engine: Engine, course_id: int) -> list[dict[str, Any]]:
    """For the course page: each QRSP competence the course prepares for (newest version of its standard),
    with the standard's page — "take this course → certify these competences"."""
    with Session(engine) as session:
        pairs = [(r.profile_code, r.competence_code) for r in session.scalars(
            select(CourseCompetence).where(CourseCompetence.course_id == course_id).order_by(CourseCompetence.id))]
        return [{"profile_code": c.profile.code, "version": c.profile.version, "profile": c.profile.title,
                 "code": c.code, "title": c.title, "eqf_level": c.eqf_level,
                 "path": f"/certification/standards/{c.profile.code}/{c.profile.version}"}
                for c in standards.find_competences(session, pairs)]


def courses_for_competence(session: Session, profile_code: str, competence_code: str) -> list[int]:
    return list(session.scalars(select(CourseCompetence.course_id).where(
        CourseCompetence.profile_code == profile_code, CourseCompetence.competence_code == competence_code)))


def certified_competences(engine: Engine) -> list[dict[str, Any]]:
    """Certified competences (credentials in force), per competence, with their ESCO skills: supply that the
    mismatch and orientation pages may count besides courses."""
    with Session(engine) as session:
        rows = session.execute(select(Competence, Credential).join(Claim, Claim.competence_id == Competence.id)
                               .join(Credential, Credential.claim_id == Claim.id)
                               .where(Credential.kind == "certificate", Credential.revoked_at.is_(None))).all()
        counts: Counter[int] = Counter(c.id for c, _ in rows)
        by_id = {c.id: c for c, _ in rows}
        return [{"profile_code": by_id[i].profile.code, "competence_code": by_id[i].code, "title": by_id[i].title,
                 "certified": n, "esco": [a.esco_uri for a in standards.confirmed_skills(by_id[i])]}
                for i, n in counts.most_common()]


def certified_skill_counts(engine: Engine) -> dict[str, int]:
    """ESCO skill URI → certified competences (in force) aligned to it."""
    out: Counter[str] = Counter()
    for row in certified_competences(engine):
        for uri in row["esco"]:
            out[uri] += row["certified"]
    return dict(out)


def certified_skills_of(engine: Engine, user_id: int | None) -> list[str]:
    """The ESCO skills (confirmed alignments) of the competences certified to a person — certificate credentials
    in force of their own requests: what the orientation counts as held, beside their current occupation's."""
    if user_id is None:
        return []
    with Session(engine) as session:
        competences = session.scalars(
            select(Competence).join(Claim, Claim.competence_id == Competence.id)
            .join(Credential, Credential.claim_id == Claim.id).join(Request, Request.id == Credential.request_id)
            .where(Request.person_user_id == user_id, Credential.kind == "certificate",
                   Credential.revoked_at.is_(None)).distinct()).all()
        return sorted({a.esco_uri for c in competences for a in standards.confirmed_skills(c)})


def certifications_per_course_and_fund(engine: Engine, *, course_id: int | None = None) -> list[dict[str, Any]]:
    """For monitoring: certified competences in force (certificate credentials not revoked) per catalogue course
    in which they were learned (formal learning: the claim names the course) and per issuing *ente titolare*
    (the Region or a delegated Fund): ``{"course_id", "issuer", "issuer_type", "certifications", "persons"}``.
    Only the claim's own course counts, not every course that declares the competence."""
    with Session(engine) as session:
        query = (select(Claim.course_id, Organisation.name, Organisation.type, func.count(Credential.id),
                        func.count(distinct(Claim.request_id)))
                 .join(Credential, (Credential.claim_id == Claim.id) & (Credential.kind == "certificate")
                       & Credential.revoked_at.is_(None))
                 .join(Issuer, Issuer.id == Credential.issuer_id)
                 .join(Organisation, Organisation.id == Issuer.organisation_id)
                 .where(Claim.course_id.is_not(None))
                 .group_by(Claim.course_id, Organisation.name, Organisation.type)
                 .order_by(Claim.course_id, Organisation.name))
        if course_id is not None:
            query = query.where(Claim.course_id == course_id)
        rows = session.execute(query).all()
    return [{"course_id": c, "issuer": name, "issuer_type": str(getattr(kind, "value", kind)), "certifications": n,
             "persons": persons} for c, name, kind, n, persons in rows]
