"""Route × role rows of the linkage review pages (regia.linkage.pages): the pairs show two sources' personal
data, so only Region staff who may decide (``linkage``: Region admins and editors; not the Region's
analysts, not anyone else) read the queue, open a pair and decide it."""

from __future__ import annotations

from sqlalchemy import Engine

from regia.db import session_factory
from regia.linkage.models import LinkageReview
from support.accounts import World

REGION_STAFF = frozenset({"region_admin"})

EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/linkage/review"): REGION_STAFF,
    ("GET", "/linkage/review/{review_id}"): REGION_STAFF,
    ("POST", "/linkage/review/{review_id}"): REGION_STAFF,
}

RECORD_A = {"id": "A1", "nome": "Giuseppe", "cognome": "D'Angelo", "data_nascita": "1980-05-12", "sesso": "M",
            "comune_nascita": "Milano", "codice_fiscale": "", "indirizzo": "Via Roma 3", "cap": "20121",
            "comune": "Milano"}
RECORD_B = {**RECORD_A, "id": "B7", "nome": "GIUSEPPE", "cognome": "DANGELO", "data_nascita": "12/05/1980"}


def seed(engine: Engine, world: World) -> None:
    with session_factory(engine)() as session:
        row = LinkageReview(kind="persons", pair_key="route-table-pair", source_a="a.csv", id_a="A1",
                            source_b="b.csv", id_b="B7", record_a=RECORD_A, record_b=RECORD_B, probability=0.6,
                            match_weight=0.5, status="pending")
        session.add(row)
        session.commit()
        world.extra["linkage_review"] = row.id


def params(world: World) -> dict[str, str]:
    return {"review_id": str(world.extra["linkage_review"])}


def request_kwargs(method: str, path: str, world: World, role: str, csrf: str | None) -> dict[str, object] | None:
    if method == "POST" and path.startswith("/linkage/review/"):
        return {"data": {"decision": "match", "version": "1", "csrf_token": csrf or ""}}
    return None
