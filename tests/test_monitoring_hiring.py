"""The hiring lookup monitoring offers the IeFP domain (``app.state.iefp_hiring``): from the CO records it holds —
the demo's simulated ones plus a young person's own — each person's first employment relationship started on or
after a date, by pseudonym; through the API, a finished placement's student with a later hire is marked hired
(source ``co``), a hire before the placement does not count."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from regia.auth.pseudonym import pseudonymise
from regia.db import session_scope
from regia.iefp.models import Student
from regia.monitoring import codes, ingest
from regia.monitoring import service as monitoring_service
from regia.monitoring.models import EmploymentEvent
from support.accounts import World
from support.route_tables import iefp as table
from test_monitoring_ingest import EMPLOYER, cf, event, write

LUCA = cf("BNCLCU10C14F704")  # the route table's IeFP student, with his code's check character


def _api(world: World, client: TestClient, method: str, path: str, role: str, **kwargs: Any) -> Any:
    client.cookies.clear()
    return client.request(method, f"/api/iefp{path}", headers=world.bearer(role), **kwargs)


def test_a_finished_placements_student_hired_later_is_marked_hired_from_the_co_records(
        databases: Any, tmp_path: Path) -> None:
    w, client = table.http_world(databases.new("sqlite"))
    luca = pseudonymise("fiscal_code", LUCA)
    with session_scope(w.engine) as session:  # the table writes its students as rows, with a made-up code
        session.execute(update(Student).where(Student.id == w.extra["iefp_student"]).values(pseudonym=luca))
    demo = monitoring_service.load_demo(w.engine, seed=4, effect=0.1, persons=200, out=tmp_path / "outcomes")
    assert sum(r.stored for r in demo.ingests if r.kind == "employment") > 100
    own = write(tmp_path / "co-luca.csv", [
        event(codice_fiscale=LUCA, start_date="2026-06-15", event_date="2026-06-15", end_date="2026-08-31"),  # before
        event(codice_fiscale=LUCA, start_date="2027-09-01", event_date="2027-09-01", end_date="", contract="A.03.08"),
        event(codice_fiscale=LUCA, start_date="2027-09-01", event="PRO", event_date="2027-12-01",
              end_date="2028-06-30", contract="A.03.08"),
    ])
    result = ingest.ingest_file(w.engine, own, kind="employment")
    assert result.counts()["stored"] == 3, result.rejections

    # the lookup itself, against the records read one by one
    with Session(w.engine) as session:
        events = session.execute(select(EmploymentEvent.person, EmploymentEvent.start_date,
                                        EmploymentEvent.contract)).all()
    after = date(2024, 1, 1)
    starts: dict[str, dict[date, set[str]]] = defaultdict(lambda: defaultdict(set))
    for person, start, contract in events:
        if start >= after:
            starts[person][start].add(contract)
    asked = [*sorted({p for p, _, _ in events})[::3][:60], "0" * 64]  # and someone the records do not know
    hires = client.app.state.iefp_hiring(asked, after=after)  # type: ignore[attr-defined]
    assert set(hires) == {p for p in asked if p in starts} and len(hires) > 10
    for person, hire in hires.items():
        first = min(starts[person])
        assert hire.start_date == first and hire.contract in starts[person][first]  # two jobs may start together
    assert all(h.source == "co" and h.employer_vat is None for h in hires.values())  # employers stay pseudonyms
    (hire,) = client.app.state.iefp_hiring([luca], after=date(2026, 10, 1)).values()  # type: ignore[attr-defined]
    assert (hire.start_date, hire.contract) == (date(2027, 9, 1), codes.APPRENTICESHIP)

    # through the API: the placement finishes, the Region reads the hirings
    pid = w.extra["iefp_placement"]
    plan = {**table.valid_plan().__dict__, "sign": True}
    assert _api(w, client, "PUT", f"/placements/{pid}/plan", "provider_editor", json=plan).status_code == 200
    done = _api(w, client, "PUT", f"/placements/{pid}/outcome", "provider_editor",
                json={"outcome": "qualified", "outcome_at": "2027-07-01", "hired_after": False})
    assert done.status_code == 200, done.text
    assert done.json()["hired_source"] == "declared"
    assert _api(w, client, "POST", "/placements/hiring", "region_admin").json() == {"updated": 1}
    out = _api(w, client, "GET", f"/placements/{pid}", "region_admin").json()
    assert (out["hired_after"], out["hired_on"], out["hired_source"]) == (True, "2027-09-01", "co")
    assert _api(w, client, "POST", "/placements/hiring", "region_admin").json() == {"updated": 0}  # held already
    assert EMPLOYER not in str(out) and LUCA not in str(out)
