"""The monitoring domain's entry points for the CLI, the API, the pages and the job runner: ingest, the demo's
simulated data, indicators, impact estimates, the open-data package. No HTTP here.

Access is decided by ``regia.auth.policy`` (resources ``outcomes`` and ``impact``); the row-level rule for the
Funds (their own sources' figures only) is applied here through :func:`scope_of`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from regia.auth.errors import Forbidden
from regia.auth.policy import WRITE, Resource, can
from regia.auth.principal import Principal
from regia.auth.settings import AuthSettings
from regia.config import get_settings
from regia.db import session_scope
from regia.i18n import N_
from regia.importing.checkpoint import Checkpoint
from regia.importing.models import LedgerEntry, QuarantineEntry
from regia.monitoring import dataset as datasets
from regia.monitoring import impact as impacts
from regia.monitoring.identity import PersonKeys, same_person
from regia.monitoring.ingest import DOMAIN, MODELS, IngestResult, ingest_batches, ingest_file, read_items
from regia.monitoring.models import EmploymentEvent, IngestFile, Participation
from regia.monitoring.validation import EMPLOYMENT, KINDS, PARTICIPATIONS, UNEMPLOYED
from regia.progress import Progress

if TYPE_CHECKING:
    from regia.iefp.service import Hire

__all__ = ["KINDS", "IngestResult", "ingest_file"]


def data_dir() -> Path:
    return get_settings().data_dir / "monitoring"


def held(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {kind: session.scalar(select(func.count(model.id))) or 0 for kind, model in MODELS.items()}


def holds_real_records(engine: Engine) -> bool:
    with Session(engine) as session:
        return any(session.scalar(select(func.count(model.id)).where(model.synthetic.is_(False)))
                   for model in MODELS.values())


def clear_synthetic(engine: Engine) -> None:
    """Remove the demo's simulated records (and their ledger, ingest state and quarantine); refused while real
    records are held (the ledger is shared by both)."""
    if holds_real_records(engine):
        raise ValueError("real monitoring records are held: simulated ones are not removed separately")
    with session_scope(engine) as session:
        for model in MODELS.values():
            session.execute(delete(model).where(model.synthetic.is_(True)))
        session.execute(delete(LedgerEntry).where(LedgerEntry.source.like(f"{DOMAIN}.%")))
        session.execute(delete(IngestFile).where(IngestFile.source.like("demo-outcomes%")))
        session.execute(delete(QuarantineEntry).where(QuarantineEntry.domain == DOMAIN,
                                                      QuarantineEntry.source.like("demo-outcomes%")))
    _CACHE.clear()


# --- uploads (the import kinds of ``regia.jobs``) ---------------------------------------------------------------

IMPORT_LABELS = {PARTICIPATIONS: N_("monitoring.import.participations.label"),
                 EMPLOYMENT: N_("monitoring.import.employment.label"),
                 UNEMPLOYED: N_("monitoring.import.unemployed.label")}
IMPORT_HINTS = {PARTICIPATIONS: N_("monitoring.import.participations.hint"),
                EMPLOYMENT: N_("monitoring.import.employment.hint"),
                UNEMPLOYED: N_("monitoring.import.unemployed.hint")}


def import_file(engine: Engine, path: Path, *, principal: Principal, file_name: str, checkpoint: Checkpoint,
                kind: str) -> None:
    """Import an uploaded file of ``kind`` (the jobs' ``participations``, ``employment``, ``unemployed``): the
    command line's batches (:func:`regia.monitoring.ingest.ingest_batches`) under the job's checkpoint, from
    the source ``upload:<uploader>``. The records have no owner to tell apart: ingesting is the Region staff's
    (``WRITE`` on ``outcomes``), so an uploader without it has the whole file refused (``Forbidden``)."""
    if not can(principal, WRITE, Resource.OUTCOMES):
        raise Forbidden("only the Region's staff ingest monitoring records", key=N_("monitoring.err.not_allowed"))
    ingest_batches(engine, read_items(path, kind), kind=kind, file_name=file_name,
                   source=f"upload:{principal.label}", checkpoint=checkpoint)


def import_participations(engine: Engine, path: Path, *, principal: Principal, file_name: str,
                          checkpoint: Checkpoint) -> None:
    import_file(engine, path, principal=principal, file_name=file_name, checkpoint=checkpoint, kind=PARTICIPATIONS)


def import_employment(engine: Engine, path: Path, *, principal: Principal, file_name: str,
                      checkpoint: Checkpoint) -> None:
    import_file(engine, path, principal=principal, file_name=file_name, checkpoint=checkpoint, kind=EMPLOYMENT)


def import_unemployed(engine: Engine, path: Path, *, principal: Principal, file_name: str,
                      checkpoint: Checkpoint) -> None:
    import_file(engine, path, principal=principal, file_name=file_name, checkpoint=checkpoint, kind=UNEMPLOYED)


# --- what other domains ask ---------------------------------------------------------------------------------------

def first_hires(engine: Engine, pseudonyms: Sequence[str], *, after: date) -> dict[str, Hire]:
    """The IeFP domain's hiring lookup (``regia.iefp.seams.HiringLookup``; the web app binds it to its engine as
    ``app.state.iefp_hiring``): for each person (pseudonym) the CO records know, the first employment
    relationship that started on or after ``after`` — its start date and contract (of two starting the same
    day, the one with the earlier event, then the one ingested first). A relationship is known by any of its
    events (a file may hold its extension or termination without the hire). Employers are held as pseudonyms
    only: ``employer_vat`` stays empty."""
    from regia.iefp.service import Hire

    wanted = sorted(set(pseudonyms))
    found: dict[str, Hire] = {}
    with Session(engine) as session:
        for i in range(0, len(wanted), 500):
            rows = session.execute(select(EmploymentEvent.person, EmploymentEvent.start_date,
                                          EmploymentEvent.event_date, EmploymentEvent.contract).where(
                EmploymentEvent.person.in_(wanted[i:i + 500]), EmploymentEvent.start_date >= after)
                .order_by(EmploymentEvent.person, EmploymentEvent.start_date, EmploymentEvent.event_date,
                          EmploymentEvent.id))
            for person, start, _, contract in rows:
                if person not in found:
                    found[person] = Hire(start_date=start, contract=contract)
    return found


@dataclass(frozen=True)
class Demo:
    manifest: dict[str, Any]
    ingests: list[IngestResult]


def load_demo(engine: Engine, *, seed: int, effect: float, persons: int, out: Path | None = None,
              progress: Progress | None = None, settings: AuthSettings | None = None,
              on_file: Callable[[str, Path], None] | None = None) -> Demo:
    """Simulate the demo's outcomes (``simulation``), replacing earlier simulated records, and ingest them.
    Refused (``ValueError``) when real monitoring records are held: simulated and real data never mix."""
    from regia.catalog import service as catalog
    from regia.monitoring import simulation

    if holds_real_records(engine):
        raise ValueError("real monitoring records are held: the simulated ones would mix with them (use a "
                         "separate database for the demo)")
    courses = sorted(catalog.course_facts(engine))[:40]
    target = out or get_settings().data_dir / "demo" / "outcomes" / f"seed-{seed}"
    manifest = simulation.generate(target, seed=seed, effect=effect, persons=persons, course_ids=courses)
    clear_synthetic(engine)
    results = []
    for kind in ("participations", "unemployed", "employment"):
        for name in manifest.files[kind]:
            if on_file:
                on_file(kind, Path(name))
            results.append(ingest_file(engine, Path(name), kind=kind, source=simulation.SOURCE, synthetic=True,
                                       progress=progress, settings=settings))
    return Demo(manifest.as_dict(), results)


# --- analyses ---------------------------------------------------------------------------------------------------

_CACHE: dict[tuple[Any, ...], Any] = {}
_LOCK = threading.Lock()


def dataset(engine: Engine, *, person_keys: PersonKeys = same_person, cache_dir: Path | None = None
            ) -> datasets.Dataset:
    """The analysis dataset, kept in memory until the records change; ``cache_dir`` also keeps its panel as
    Parquet there (the CLI's, between processes)."""
    with Session(engine) as session:
        stamp = datasets.version(session)
    key = ("dataset", id(engine), stamp, id(person_keys))
    with _LOCK:
        found = _CACHE.get(key)
    if found is None:
        found = datasets.load(engine, person_keys=person_keys, cache_dir=cache_dir)
        with _LOCK:
            for k in [k for k in _CACHE if k[0] == "dataset" and k[1] == id(engine)]:
                del _CACHE[k]
            _CACHE[key] = found
    return found  # type: ignore[no-any-return]


def estimate(engine: Engine, *, outcome: str, method: str, programme: str | None = None,
             bootstrap: int = impacts.BOOTSTRAP, person_keys: PersonKeys = same_person,
             cache_dir: Path | None = None) -> impacts.Estimate:
    """The impact estimate (``impact.estimate``) on the records held; cached until they change."""
    ds = dataset(engine, person_keys=person_keys, cache_dir=cache_dir)
    key = ("estimate", id(engine), ds.version, outcome, method, programme or "", bootstrap)
    with _LOCK:
        found = _CACHE.get(key)
    if found is None:
        found = impacts.estimate(ds, outcome=outcome, method=method, programme=programme or None,
                                 bootstrap=bootstrap)
        with _LOCK:
            _CACHE[key] = found
    return found  # type: ignore[no-any-return]


def programmes(engine: Engine) -> list[str]:
    with Session(engine) as session:
        names = session.scalars(select(Participation.programme).distinct().where(Participation.programme.is_not(None)))
        return sorted(n for n in names if n)


def jsonable(value: Any) -> Any:
    """NaN and infinities as null (JSON has none), recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def estimate_json(est: impacts.Estimate) -> dict[str, Any]:
    out = est.as_dict()
    head = {k: out.pop(k) for k in ("method", "outcome", "att", "ci", "n_treated", "n_control", "balance")}
    return jsonable({**head, **out})


# --- who sees which figures -------------------------------------------------------------------------------------

def fund_names(session: Session, principal: Principal) -> Sequence[str] | None:
    """None: the principal sees every source's figures (Region staff); otherwise the names of the Funds whose
    figures it may see (the Fund organisations it belongs to; an empty list: none)."""
    from regia.auth import service as accounts
    from regia.auth.models import OrgType, Role

    if principal.is_system or principal.has(roles=(Role.ADMIN, Role.EDITOR, Role.VIEWER), types=(OrgType.REGION,)):
        return None
    names = []
    for org_id in principal.org_ids(types=(OrgType.FUND,)):
        names.append(accounts.get_organisation(session, principal=principal, id=org_id).name)
    return names


def may_see_impact(principal: Principal) -> bool:
    from regia.auth.policy import READ, Resource, can

    return can(principal, READ, Resource.IMPACT)
