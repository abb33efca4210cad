"""E-service ``outcomes`` v1: participations in training and what came of them, from the monitoring domain.

Two resources, for two kinds of client:

- ``outcomes.courses`` — per catalogue course: participations, completed paths, certificates, and employment
  12 months after the end (any contract / a stable one), with the rates. The same figures as the open-data
  package (:mod:`regia.monitoring.opendata`), after the same statistical disclosure control: a count that could
  single out fewer than ``THRESHOLD`` people (or be derived from the others) is ``null`` and listed in
  ``suppressed``. Purpose ``outcomes-aggregate``: a Fund's, a provider's or an analyst's system.
- ``outcomes.participations`` — person-level: one record per participation (course, funding, dates, how it
  ended, certified or not, labour status at entry), about a person known only by the pseudonym of their codice
  fiscale (the key every Regia domain shares; no name, no code). Purpose ``outcomes-register`` only: the
  Region's labour information system, which keeps the register of the participations it finances; every read is
  listed on the person's page (*chi ha letto i miei dati*).

The participations feed follows the records as they are imported (captured from the table); the per-course
figures are computed, their log refreshed when read after ``figures_max_age`` seconds.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select

from regia.exchange.feeds import chunks, only
from regia.exchange.registry import REGISTRY, EService, FeedResource, LoadContext, Purpose, Tracked
from regia.i18n import N_
from regia.monitoring import opendata
from regia.monitoring import service as monitoring
from regia.monitoring.models import Participation

COURSES = "outcomes.courses"
PARTICIPATIONS = "outcomes.participations"
COUNTS = tuple(c.name for c in opendata.COLUMNS)
RATES = tuple(name for name, _, _ in opendata.RATES)


def load_courses(ctx: LoadContext, keys: list[str] | None) -> dict[str, dict[str, Any]]:
    if ctx.engine is None:
        raise RuntimeError("the outcomes e-service computes its figures from the database (LoadContext.engine)")
    ds = monitoring.dataset(ctx.engine)
    if ds.empty:
        return {}
    rows, _ = opendata.table(ctx.engine, ds, "course")
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        if not str(row["category"]).isdigit():  # the total, and participations in no catalogue course
            continue
        # null: suppressed ("c"), or a rate without denominator ("")
        values = {name: None if row[name] in (opendata.CONFIDENTIAL, "") else row[name] for name in COUNTS + RATES}
        out[row["category"]] = {
            "course_id": int(row["category"]), "title": row["label"], **values,
            "suppressed": sorted(k for k in COUNTS if row[k] == opendata.CONFIDENTIAL),
            "observed_until": ds.cutoff, "synthetic": ds.synthetic}
    return only(out, keys)


PARTICIPATION_FIELDS = ("person", "course_id", "edition_id", "funding", "fund", "programme", "plan_line",
                        "enrolled_on", "ended_on", "status", "certified", "certificate_id", "labour_status",
                        "target_group", "nuts3", "synthetic")


def load_participations(ctx: LoadContext, keys: list[str] | None) -> dict[str, dict[str, Any]]:
    """Keyed by the record's natural key (a hash of its identifying fields, stable across re-imports: the
    ingest writes in bulk without returning ids, and a client needs a key that survives a reload)."""
    base = select(Participation.natural_key, *(getattr(Participation, f) for f in PARTICIPATION_FIELDS)
                  ).order_by(Participation.natural_key)
    parts = [base] if keys is None else [base.where(Participation.natural_key.in_(p)) for p in chunks(sorted(keys))]
    out: dict[str, dict[str, Any]] = {}
    for query in parts:
        for r in ctx.session.execute(query):
            record = dict(r._mapping)
            key = record.pop("natural_key")
            out[key] = {"id": key, **record}
    return out


class CourseOutcomeRecord(BaseModel):
    """What came of the participations in one catalogue course (disclosure-controlled: ``null`` counts are
    suppressed, named in ``suppressed``)."""

    course_id: int
    title: str = Field(description="The course's title and provider")
    participants: int | None = Field(description="Participations")
    completed: int | None = Field(description="Paths completed")
    certified: int | None = Field(description="Completed with a certificate")
    observed_12m: int | None = Field(description="Participations ended at least 12 months before observed_until")
    employed_12m: int | None = Field(description="... employed 12 months after the end")
    stable_12m: int | None = Field(description="... on an open-ended contract or apprenticeship 12 months after")
    completion_rate: float | None
    certification_rate: float | None
    employed_12m_rate: float | None
    stable_12m_rate: float | None
    suppressed: list[str] = Field(description="Counts withheld by disclosure control")
    observed_until: date = Field(description="Last day the employment records cover")
    synthetic: bool = Field(description="True when the figures come from the demo's simulated records")


class ParticipationRecord(BaseModel):
    """A person's participation in a course (person-level: only for the ``outcomes-register`` purpose)."""

    id: str = Field(description="The participation's natural key (a hash of its identifying fields; stable)")
    person: str = Field(description="Pseudonym of the participant's codice fiscale (keyed hash)")
    course_id: int | None = Field(description="Catalogue course, when the participation is in one")
    edition_id: int | None
    funding: str = Field(description="regione, fse_plus, gol, fondo, impresa or other")
    fund: str | None = Field(description="The interprofessional Fund, when funding is fondo")
    programme: str | None
    plan_line: str | None = Field(description="Line of a Region-Fund plan, when known")
    enrolled_on: date
    ended_on: date | None
    status: str = Field(description="enrolled, completed or dropped")
    certified: bool
    certificate_id: str | None
    labour_status: str = Field(description="At entry: unemployed, employed, inactive or student")
    target_group: str = Field(description="students, employed, long_term_unemployed, unemployed, neet or inactive")
    nuts3: str | None = Field(description="Province of residence (NUTS3)")
    synthetic: bool


COURSE_EXAMPLE = {"course_id": 12, "title": "Saldatura a filo (Scuola Edile Bergamo)", "participants": 48,
                  "completed": 41, "certified": 37, "observed_12m": 30, "employed_12m": 19, "stable_12m": None,
                  "completion_rate": 0.8542, "certification_rate": 0.9024, "employed_12m_rate": 0.6333,
                  "stable_12m_rate": None, "suppressed": ["stable_12m"], "observed_until": "2027-06-30",
                  "synthetic": False}
PARTICIPATION_EXAMPLE = {"id": "9d41…", "person": "3f0c…", "course_id": 12, "edition_id": 40, "funding": "fse_plus",
                         "fund": None, "programme": "GOL", "plan_line": None, "enrolled_on": "2026-09-14",
                         "ended_on": "2026-12-18", "status": "completed", "certified": True,
                         "certificate_id": "CERT-2026-000041", "labour_status": "unemployed",
                         "target_group": "unemployed", "nuts3": "ITC46", "synthetic": False}

AGGREGATE = Purpose("outcomes-aggregate", N_("exchange.purpose.outcomes-aggregate"),
                    N_("exchange.purpose.outcomes-aggregate.text"), reads=frozenset({COURSES}))
REGISTER = Purpose("outcomes-register", N_("exchange.purpose.outcomes-register"),
                   N_("exchange.purpose.outcomes-register.text"), reads=frozenset({COURSES, PARTICIPATIONS}),
                   person_level=True)

ESERVICE = REGISTRY.add(EService(
    name="outcomes", title="Participations and outcomes",
    description="Outcomes of training per course (aggregated, disclosure-controlled) and, for the register's "
                "purpose only, the participations themselves (pseudonymised).",
    resources=(
        FeedResource(COURSES, "/outcomes/courses", "Outcomes per course", CourseOutcomeRecord, load_courses,
                     example=COURSE_EXAMPLE),
        FeedResource(PARTICIPATIONS, "/outcomes/participations", "Participations (person-level)",
                     ParticipationRecord, load_participations, tracked=(Tracked(Participation, "natural_key"),),
                     subjects=lambda d: [d["person"]], example=PARTICIPATION_EXAMPLE),
    ),
    purposes=(AGGREGATE, REGISTER),
))
