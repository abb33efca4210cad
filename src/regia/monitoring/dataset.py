"""The analysis dataset: participations and registrations as frames, and the monthly panel of everyone in
them, built from the records held (cached as Parquet under ``REGIA_DATA_DIR/monitoring``).

Person-level data never leaves this module's callers in the monitoring domain: pages, API and exports get
aggregates (``indicators``, ``disclosure``) and estimates (``impact``) only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from regia.clock import rome_today
from regia.monitoring import panel as panels
from regia.monitoring.identity import PersonKeys, same_person
from regia.monitoring.models import EmploymentEvent, Participation, RegisteredUnemployed
from regia.monitoring.panel import Event, Panel, month_index, month_last

HISTORY_MONTHS = 24  # pre-entry employment history the analyses use
MAX_MONTHS = 120


@dataclass
class Dataset:
    participations: pd.DataFrame
    unemployed: pd.DataFrame
    panel: Panel
    cutoff: date  # last day observed
    version: str
    synthetic: bool

    @property
    def cutoff_month(self) -> int:
        return month_index(self.cutoff)

    @property
    def empty(self) -> bool:
        return self.participations.empty


def version(session: Session) -> str:
    """Changes whenever a monitoring record is added or changed."""
    parts = []
    for model in (Participation, RegisteredUnemployed, EmploymentEvent):
        row = session.execute(select(func.count(model.id), func.max(model.id), func.max(model.updated_at))).one()
        parts.append("|".join(str(v) for v in row))
    return hashlib.sha256("#".join(parts).encode()).hexdigest()[:24]


PARTICIPATION_COLUMNS = ("id", "person", "course_id", "funding", "fund", "programme", "plan_line", "enrolled_on",
                         "ended_on", "status", "certified", "birth_year", "sex", "citizenship", "education", "nuts3",
                         "labour_status", "unemployed_since", "target_group", "cost_eur", "synthetic")
UNEMPLOYED_COLUMNS = ("person", "registered_on", "birth_year", "sex", "citizenship", "education", "nuts3",
                      "unemployed_since")


def _frame(session: Session, model: type, columns: tuple[str, ...]) -> pd.DataFrame:
    rows = session.execute(select(*(getattr(model, c) for c in columns))).all()
    return pd.DataFrame(rows, columns=list(columns))


def load(engine: Engine, *, person_keys: PersonKeys = same_person, cache_dir: Path | None = None,
         cutoff: date | None = None) -> Dataset:
    with Session(engine) as session:
        stamp = version(session)
        parts = _frame(session, Participation, PARTICIPATION_COLUMNS)
        unemployed = _frame(session, RegisteredUnemployed, UNEMPLOYED_COLUMNS)
        latest = session.scalar(select(func.max(EmploymentEvent.event_date)))
        synthetic = bool(session.scalar(select(func.count(Participation.id)).where(Participation.synthetic)))
        people = sorted(set(parts["person"]) | set(unemployed["person"]))
        keys = dict(zip(people, person_keys(people), strict=True))
        for frame in (parts, unemployed):
            frame["person"] = frame["person"].map(keys)
        persons = sorted(set(keys.values()))
        if cutoff is None:
            cutoff = month_last(month_index(latest)) if latest else rome_today()
        last = month_index(cutoff)
        starts = [d for d in (*parts["enrolled_on"], *unemployed["registered_on"]) if d is not None]
        first = max(min([month_index(d) for d in starts] or [last]) - HISTORY_MONTHS - 12, last - MAX_MONTHS + 1)
        cached = None
        digest = hashlib.sha256("\x1f".join(keys[p] for p in people).encode()).hexdigest()[:16]
        tag = f"{stamp}:{digest}:{first}:{last}"
        path = cache_dir / "panel.parquet" if cache_dir else None
        if path is not None:
            cached = Panel.read_parquet(path, version=tag)
        if cached is None:
            events = []
            wanted = set(people)
            for row in session.execute(select(
                    EmploymentEvent.person, EmploymentEvent.employer, EmploymentEvent.event,
                    EmploymentEvent.event_date, EmploymentEvent.start_date, EmploymentEvent.end_date,
                    EmploymentEvent.contract)):
                if row[0] in wanted:
                    events.append(Event(keys[row[0]], *row[1:]))
            cached = panels.build(persons, panels.segments_of(events), first=first, last=last)
            if path is not None:
                cached.write_parquet(path, version=tag)
    return Dataset(parts, unemployed, cached, cutoff, stamp, synthetic)
