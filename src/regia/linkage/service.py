"""Linkage as a service: link two files, keep the uncertain band for clerical review, apply and keep the
reviewers' decisions, maintain the linked identities and give other domains their stable keys.

- :func:`link_files` - read, link (decisions already taken applied), and with a database: store the run, queue
  the uncertain pairs not decided yet, update the identities.
- :func:`queue`, :func:`decide` - the clerical review (the page calls them; decisions are audited).
- :func:`person_key`, :func:`firm_key` - the stable key of the identity a record belongs to (the outcomes
  domain pseudonymises persons with it, the firm registry keys firms with it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from regia.auth import audit
from regia.auth.errors import Conflict, DomainError, NotFound
from regia.auth.principal import Principal
from regia.db import session_factory
from regia.i18n import N_
from regia.linkage import normalize as n
from regia.linkage import records
from regia.linkage.linker import LinkResult, link
from regia.linkage.model import Options
from regia.linkage.models import (
    MATCH,
    NON_MATCH,
    PENDING,
    LinkageEntity,
    LinkageMember,
    LinkageReview,
    LinkageRun,
)

AUDIT_ENTITY = "linkage_review"


def record_hash(kind: str, raw: Mapping[str, Any]) -> str:
    """The content hash of a record as read (every column of the kind but its id, stripped)."""
    values = {c: str(raw.get(c) or "").strip() for c in records.COLUMNS[kind] if c != "id"}
    return hashlib.sha256(json.dumps([kind, values], sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def pair_key(kind: str, hash_a: str, hash_b: str) -> str:
    return hashlib.sha256(f"{kind}\x1f{hash_a}\x1f{hash_b}".encode()).hexdigest()


def tax_key(kind: str, raw: Mapping[str, Any]) -> str | None:
    """The pseudonym of a record's valid tax code (codice fiscale of a person, P.IVA of a firm), else None."""
    from regia.auth.pseudonym import pseudonymise

    if kind == "persons":
        cf = n.alnum(raw.get("codice_fiscale"))
        return pseudonymise("fiscal_code", cf) if n.cf_valid(cf) else None
    piva = n.partita_iva(raw.get("partita_iva")) or n.partita_iva(raw.get("codice_fiscale"))
    return pseudonymise("vat_number", piva) if piva and n.piva_valid(piva) else None


@dataclass
class Outcome:
    result: LinkResult
    sources: tuple[records.Source, records.Source]
    run_id: int | None = None
    queued: int = 0
    decisions: int = 0
    issues: list[records.Issue] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        r = self.result
        return {"kind": r.kind, "run_id": self.run_id, **r.counts, "queued_for_review": self.queued,
                "decisions_reused": self.decisions,
                "issues": {"rejected": sum(1 for i in self.issues if i.rejected),
                           "fields_ignored": sum(1 for i in self.issues if not i.rejected)},
                "parameters": r.parameters}


def decisions_for(session: Session, kind: str, a: records.Source, b: records.Source) -> dict[tuple[str, str], bool]:
    """The reviewers' decisions that concern pairs of these two sources: (id_a, id_b) -> match."""
    ids_a: dict[str, list[str]] = {}
    ids_b: dict[str, list[str]] = {}
    for rid, raw in a.raw.items():
        ids_a.setdefault(record_hash(kind, raw), []).append(rid)
    for rid, raw in b.raw.items():
        ids_b.setdefault(record_hash(kind, raw), []).append(rid)
    out: dict[tuple[str, str], bool] = {}
    rows = session.execute(select(LinkageReview.record_a, LinkageReview.record_b, LinkageReview.status)
                           .where(LinkageReview.kind == kind, LinkageReview.status != PENDING))
    for rec_a, rec_b, status in rows:
        for x in ids_a.get(record_hash(kind, rec_a), []):
            for y in ids_b.get(record_hash(kind, rec_b), []):
                out[(x, y)] = status == MATCH
    return out


def link_files(kind: str, path_a: Path, path_b: Path, *, engine: Engine | None = None, options: Options | None = None,
               link_engine: str = "local", spark: Any = None) -> Outcome:
    """Link two files of ``kind``; with ``engine`` (a database), reuse and keep decisions, runs, identities."""
    options = options or Options()
    a = records.read(path_a, kind)
    b = records.read(path_b, kind)
    if a.name == b.name:
        a.name, b.name = f"A:{a.name}", f"B:{b.name}"
    decisions: dict[tuple[str, str], bool] = {}
    if engine is not None:
        with session_factory(engine)() as session:
            decisions = decisions_for(session, kind, a, b)
    result = link(kind, a, b, options=options, engine=link_engine, spark=spark, decisions=decisions)
    outcome = Outcome(result, (a, b), decisions=len(decisions), issues=a.issues + b.issues)
    if engine is not None:
        with session_factory(engine)() as session:
            outcome.run_id, outcome.queued = _store(session, kind, a, b, result, options, link_engine)
            session.commit()
    return outcome


def _store(session: Session, kind: str, a: records.Source, b: records.Source, result: LinkResult,
           options: Options, link_engine: str) -> tuple[int, int]:
    run = LinkageRun(kind=kind, source_a=a.name, source_b=b.name, engine=link_engine, threshold=options.threshold,
                     review_low=options.review_low, counts=result.counts, parameters=result.parameters)
    session.add(run)
    session.flush()
    queued = 0
    for r in result.review:
        raw_a, raw_b = a.raw[r["id_a"]], b.raw[r["id_b"]]
        key = pair_key(kind, record_hash(kind, raw_a), record_hash(kind, raw_b))
        held = session.scalar(select(LinkageReview).where(LinkageReview.pair_key == key))
        if held is None:
            session.add(LinkageReview(kind=kind, pair_key=key, source_a=a.name, id_a=r["id_a"], source_b=b.name,
                                      id_b=r["id_b"], record_a=raw_a, record_b=raw_b, probability=r["probability"],
                                      match_weight=r["match_weight"], run_id=run.id, status=PENDING))
            queued += 1
        elif held.status == PENDING:
            held.probability, held.match_weight, held.run_id = r["probability"], r["match_weight"], run.id
    _identities(session, kind, (a, b), result, run.id)
    return run.id, queued


def _identities(session: Session, kind: str, sources: tuple[records.Source, records.Source], result: LinkResult,
                run_id: int) -> None:
    """Each cluster becomes (or stays) one identity: the one most of its records already belong to."""
    by_side = {"a": sources[0], "b": sources[1]}
    members: dict[tuple[str, str], LinkageMember] = {
        (m.source, m.record_id): m for m in session.scalars(select(LinkageMember).where(
            LinkageMember.kind == kind, LinkageMember.source.in_([s.name for s in sources])))}
    clusters: dict[str, list[tuple[records.Source, str]]] = {}
    for cluster, side, rid in result.clusters:
        clusters.setdefault(cluster, []).append((by_side[side], rid))
    for recs in clusters.values():
        held = Counter(members[(s.name, rid)].entity_id for s, rid in recs if (s.name, rid) in members)
        if held:
            entity_id = min(held, key=lambda e: (-held[e], e))
        else:
            entity = LinkageEntity(key=uuid.uuid4().hex, kind=kind)
            session.add(entity)
            session.flush()
            entity_id = entity.id
        for src, rid in recs:
            raw = src.raw[rid]
            m = members.get((src.name, rid))
            if m is None:
                m = LinkageMember(kind=kind, source=src.name, record_id=rid, entity_id=entity_id,
                                  record_hash=record_hash(kind, raw), tax_key=tax_key(kind, raw), run_id=run_id)
                session.add(m)
                members[(src.name, rid)] = m
            else:
                m.entity_id, m.record_hash, m.tax_key, m.run_id = (entity_id, record_hash(kind, raw),
                                                                   tax_key(kind, raw), run_id)


# --------------------------------------------------------------------------------------------- review
def queue(session: Session, *, kind: str | None = None, status: str = PENDING, limit: int = 50, offset: int = 0
          ) -> tuple[list[LinkageReview], int]:
    """Pairs of the review queue (most uncertain first: probability closest to one half) and how many there are."""
    stmt = select(LinkageReview).where(LinkageReview.status == status)
    if kind:
        stmt = stmt.where(LinkageReview.kind == kind)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    order = (func.abs(LinkageReview.probability - 0.5), LinkageReview.id) if status == PENDING else (
        LinkageReview.decided_at.desc(), LinkageReview.id)
    return list(session.scalars(stmt.order_by(*order).limit(limit).offset(offset))), int(total)


def get(session: Session, *, review_id: int) -> LinkageReview:
    row = session.get(LinkageReview, review_id)
    if row is None:
        raise NotFound(f"no review pair {review_id}", key=N_("linkage.err.not_found"), params={"id": review_id})
    return row


def decide(session: Session, *, review_id: int, match: bool, principal: Principal, version: int | None = None,
           note: str | None = None) -> LinkageReview:
    """Record a reviewer's decision on a pair (audited); a stale version (someone decided meanwhile) is refused."""
    row = get(session, review_id=review_id)
    if version is not None and row.version != version:
        raise Conflict("someone decided this pair meanwhile: reload it", key=N_("linkage.err.stale"))
    if note is not None and len(note) > 500:
        raise DomainError("note: at most 500 characters", key=N_("linkage.err.note_long"), params={"max": 500})
    before = row.status
    row.status = MATCH if match else NON_MATCH
    row.decided_by = principal.user_id
    row.decided_at = dt.datetime.now(dt.UTC)
    row.note = note or None
    row.version += 1
    audit.record(session, actor=principal, action="linkage.decide", resource_type=AUDIT_ENTITY, resource_id=row.id,
                 before={"status": before}, after={"status": row.status, "kind": row.kind,
                                                   "probability": round(row.probability, 4)})
    return row


# --------------------------------------------------------------------------------------------- keys
def _key(session: Session, kind: str, raw: Mapping[str, Any], source: str | None) -> str:
    rid = str(raw.get("id") or "").strip()
    if source and rid:
        m = session.scalar(select(LinkageMember).where(LinkageMember.kind == kind, LinkageMember.source == source,
                                                       LinkageMember.record_id == rid))
        if m is not None:
            return str(session.get(LinkageEntity, m.entity_id).key)  # type: ignore[union-attr]
    digest = record_hash(kind, raw)
    taxed = tax_key(kind, raw)
    for cond in ([LinkageMember.record_hash == digest], [LinkageMember.tax_key == taxed] if taxed else []):
        if not cond:
            continue
        m = session.scalar(select(LinkageMember).where(LinkageMember.kind == kind, *cond).order_by(LinkageMember.id))
        if m is not None:
            entity = session.get(LinkageEntity, m.entity_id)
            assert entity is not None
            if source and rid:
                session.add(LinkageMember(kind=kind, source=source, record_id=rid, entity_id=entity.id,
                                          record_hash=digest, tax_key=taxed))
            return entity.key
    entity = LinkageEntity(key=uuid.uuid4().hex, kind=kind)
    session.add(entity)
    session.flush()
    session.add(LinkageMember(kind=kind, source=source or "", record_id=rid or digest[:32], entity_id=entity.id,
                              record_hash=digest, tax_key=taxed))
    session.flush()
    return entity.key


def person_key(session: Session, *, record: Mapping[str, Any], source: str | None = None) -> str:
    """The stable key of the person a record belongs to (``record``: the persons columns, ``id`` included).

    Found by source and id, else by the same record content, else by the same valid codice fiscale; a record
    seen for the first time gets a new identity (kept: the same record later gets the same key, and a linkage
    run that puts it in a cluster keeps the key most of the cluster had). The caller commits the session.
    The key is an opaque random token, not personal data; pseudonymise it again where analytics need that."""
    return _key(session, "persons", record, source)


def firm_key(session: Session, *, record: Mapping[str, Any], source: str | None = None) -> str:
    """The stable key of the firm a record belongs to (the firms columns): as :func:`person_key`, by P.IVA."""
    return _key(session, "firms", record, source)
