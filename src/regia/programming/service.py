"""Agreements, funding sources, plans and tranches: the logic behind the API, the pages and the CLI.

Services take keyword-only arguments, decide access with :mod:`regia.auth.policy`, raise
:mod:`regia.auth.errors` (with a message key of this package's catalogue), and write the audit entry in the same
transaction as the change. Who edits what:

- Region staff: sources (eligibility rules, envelopes), agreements (while drafts; amendments afterwards), their
  status, plans, lines and every tranche;
- a Fund's editors: in their own agreements, the Fund's commitments, and the tranches of the Fund's own sources;
- everybody who reads an agreement (Region readers, the Fund's members) reads its plans.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from regia.auth import audit
from regia.auth.errors import Conflict, Forbidden, InvalidInput, NotFound
from regia.auth.models import Organisation, OrgType
from regia.auth.policy import READ, REGION_STAFF, WRITE, Resource, can, visible
from regia.auth.principal import Principal
from regia.i18n import N_
from regia.pacts.documents import safe_filename, sniff
from regia.programming import rules, states
from regia.programming.models import (
    AREAS,
    CHANNELS,
    SOURCE_KINDS,
    TARGETS,
    Agreement,
    AgreementDocument,
    Amendment,
    Envelope,
    FundingSource,
    Plan,
    PlanLine,
    Tranche,
)
from regia.programming.states import Party

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
AGREEMENT_FIELDS = ("title", "starts_on", "ends_on", "priorities", "commitments", "signatories")


class PlanRulesBroken(InvalidInput):
    """A plan whose tranches break the rules: every issue, each naming its line and year."""

    def __init__(self, issues: list[rules.Issue]) -> None:
        self.issues = issues
        super().__init__("; ".join(i.detail for i in issues[:20]), field=f"lines.{issues[0].line}",
                         key=N_("programming.err.rules"), params={"n": len(issues)})


MAX_ID = 2_147_483_647


def _year(value: Any, field: str) -> int:
    try:
        year = int(str(value))
    except ValueError:
        year = 0
    if not 2000 <= year <= 2100:
        raise InvalidInput(f"{field}: a year between 2000 and 2100", field=field, key=N_("programming.err.date"))
    return year


def region_staff(principal: Principal) -> bool:
    return principal.is_system or principal.has(roles=REGION_STAFF, types=(OrgType.REGION,))


def _money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else 0).replace(" ", ""))
    except InvalidOperation:
        raise InvalidInput(f"{field}: not an amount", field=field, key=N_("programming.err.amount"),
                           params={"field": field}) from None
    if not amount.is_finite() or amount < 0 or amount > Decimal("1e12"):
        raise InvalidInput(f"{field}: must be an amount of at least 0", field=field, key=N_("programming.err.amount"),
                           params={"field": field})
    return amount.quantize(Decimal("0.01"))


def _snapshot(a: Agreement) -> dict[str, Any]:
    return audit.jsonable({name: getattr(a, name) for name in ("code", "fund_id", "status", "amendment",
                                                               *AGREEMENT_FIELDS)}) or {}


# --- funding sources ---------------------------------------------------------------------------------------

def _targets(targets: Sequence[str], field: str = "targets") -> list[str]:
    bad = [t for t in targets if t not in TARGETS]
    if bad:
        raise InvalidInput(f"{field}: unknown target group(s) {', '.join(bad)}", field=field,
                           key=N_("programming.err.targets"), params={"values": ", ".join(bad)})
    return [t for t in TARGETS if t in targets]


def create_source(session: Session, *, actor: Principal, code: str, name: str, kind: str, targets: Sequence[str],
                  priority: str = "", organisation_id: int | None = None,
                  envelopes: dict[int, Any] | None = None) -> FundingSource:
    if not can(actor, WRITE, Resource.PROGRAMMING_SCENARIO):  # Region staff
        raise Forbidden("only Region staff edit funding sources", key=N_("programming.err.region_only"))
    if kind not in SOURCE_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(SOURCE_KINDS)}", field="kind",
                           key=N_("programming.err.kind"))
    if session.scalar(select(FundingSource.id).where(FundingSource.code == code)) is not None:
        raise Conflict(f"a source {code!r} exists", field="code", key=N_("programming.err.code_taken"),
                       params={"code": code})
    if kind.startswith("fund_"):
        org = session.get(Organisation, organisation_id) if organisation_id and 0 < organisation_id <= MAX_ID \
            else None
        if org is None or org.type != OrgType.FUND:
            raise InvalidInput("a Fund's source names its Fund", field="organisation_id",
                               key=N_("programming.err.not_a_fund"))
    elif organisation_id is not None:
        raise InvalidInput("only a Fund's sources name an organisation", field="organisation_id",
                           key=N_("programming.err.not_a_fund"))
    source = FundingSource(code=code, name=name, kind=kind, priority=priority, organisation_id=organisation_id,
                           targets=_targets(targets))
    session.add(source)
    session.flush()
    for year, amount in (envelopes or {}).items():
        session.add(Envelope(source_id=source.id, year=_year(year, f"envelopes.{year}"),
                             amount=_money(amount, f"envelopes.{year}")))
    session.flush()
    audit.record(session, actor=actor, action="create", resource_type="programming_source", resource_id=source.id,
                 after={"code": code, "kind": kind, "targets": source.targets,
                        "envelopes": {str(k): str(v) for k, v in (envelopes or {}).items()}})
    return source


def update_source(session: Session, *, actor: Principal, id: int, targets: Sequence[str] | None = None,
                  envelopes: dict[int, Any] | None = None, name: str | None = None) -> FundingSource:
    """The Region changes a source's eligibility rule, name or envelopes (a year given replaces that year)."""
    if not can(actor, WRITE, Resource.PROGRAMMING_SCENARIO):
        raise Forbidden("only Region staff edit funding sources", key=N_("programming.err.region_only"))
    source = session.get(FundingSource, id) if 0 < id <= MAX_ID else None
    if source is None:
        raise NotFound(f"no funding source {id}", key=N_("programming.err.not_found"))
    before = {"targets": list(source.targets), "name": source.name,
              "envelopes": {str(e.year): str(e.amount) for e in source.envelopes}}
    if targets is not None:
        source.targets = _targets(targets)
    if name:
        source.name = name
    held = {e.year: e for e in source.envelopes}
    for year, amount in (envelopes or {}).items():
        value = _money(amount, f"envelopes.{year}")
        year = _year(year, f"envelopes.{year}")
        if year in held:
            held[int(year)].amount = value
        else:
            source.envelopes.append(Envelope(year=int(year), amount=value))
    session.flush()
    audit.record(session, actor=actor, action="update", resource_type="programming_source", resource_id=source.id,
                 before=before, after={"targets": list(source.targets), "name": source.name,
                                       "envelopes": {str(e.year): str(e.amount) for e in source.envelopes}})
    return source


def list_sources(session: Session, *, principal: Principal) -> Sequence[FundingSource]:
    if not can(principal, READ, Resource.PROGRAMMING):
        raise Forbidden("not allowed to read the programming")
    return session.scalars(select(FundingSource).options(selectinload(FundingSource.envelopes))
                           .order_by(FundingSource.kind, FundingSource.code)).all()


# --- agreements ---------------------------------------------------------------------------------------------

def _period(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise InvalidInput("ends_on: before starts_on", field="ends_on", key=N_("programming.err.period"))


def _clean_priorities(priorities: dict[str, Any] | None) -> dict[str, list[str]]:
    p = priorities or {}
    areas = [a for a in p.get("areas", []) if a]
    if bad := [a for a in areas if a not in AREAS]:
        raise InvalidInput(f"priorities.areas: unknown area(s) {', '.join(bad)}", field="priorities.areas",
                           key=N_("programming.err.areas"), params={"values": ", ".join(bad)})
    return {"areas": areas, "targets": _targets([t for t in p.get("targets", []) if t], "priorities.targets"),
            "territories": [str(t).upper() for t in p.get("territories", []) if t]}


def _clean_signatories(signatories: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    out = []
    for i, s in enumerate(signatories or []):
        if not str(s.get("name") or "").strip():
            continue
        if s.get("party") not in ("region", "fund"):
            raise InvalidInput(f"signatories[{i}].party: region or fund", field=f"signatories[{i}].party",
                               key=N_("programming.err.party"))
        signed = s.get("signed_on") or None
        if signed is not None:
            try:
                signed = date.fromisoformat(str(signed)).isoformat()
            except ValueError:
                raise InvalidInput(f"signatories[{i}].signed_on: not a date", field=f"signatories[{i}].signed_on",
                                   key=N_("programming.err.date")) from None
        out.append({"name": str(s["name"]).strip()[:200], "role": str(s.get("role") or "").strip()[:200],
                    "party": s["party"], "signed_on": signed})
    return out


def create_agreement(session: Session, *, actor: Principal, code: str, title: str, fund_id: int, starts_on: date,
                     ends_on: date, priorities: dict[str, Any] | None = None,
                     commitments: dict[str, str] | None = None,
                     signatories: list[dict[str, Any]] | None = None) -> Agreement:
    if not region_staff(actor):
        raise Forbidden("only Region staff create agreements", key=N_("programming.err.region_only"))
    fund = session.get(Organisation, fund_id) if 0 < fund_id <= MAX_ID else None
    if fund is None or fund.type != OrgType.FUND:
        raise InvalidInput("fund_id: not a Fund", field="fund_id", key=N_("programming.err.not_a_fund"))
    code = code.strip().upper()
    if not code or session.scalar(select(Agreement.id).where(Agreement.code == code)) is not None:
        raise Conflict(f"code {code!r} is empty or taken", field="code", key=N_("programming.err.code_taken"),
                       params={"code": code})
    _period(starts_on, ends_on)
    agreement = Agreement(code=code, title=title.strip(), fund_id=fund_id, starts_on=starts_on, ends_on=ends_on,
                          priorities=_clean_priorities(priorities),
                          commitments={"region": (commitments or {}).get("region", ""),
                                       "fund": (commitments or {}).get("fund", "")},
                          signatories=_clean_signatories(signatories))
    session.add(agreement)
    session.flush()
    audit.record(session, actor=actor, action="create", resource_type="programming_agreement",
                 resource_id=agreement.id, organisation_id=fund_id, after=_snapshot(agreement))
    return agreement


def get_agreement(session: Session, *, principal: Principal, id: int) -> Agreement:
    agreement = session.get(Agreement, id) if 0 < id <= MAX_ID else None
    if agreement is None or not can(principal, READ, Resource.PROGRAMMING, agreement):
        raise NotFound(f"no agreement {id}", key=N_("programming.err.not_found"))  # others' are not acknowledged
    return agreement


def list_agreements(session: Session, *, principal: Principal) -> Sequence[Agreement]:
    return session.scalars(visible(select(Agreement), principal, Agreement)
                           .options(selectinload(Agreement.plans)).order_by(Agreement.code)).all()


def _apply(agreement: Agreement, parties: set[Party], changes: dict[str, Any]) -> None:
    """Write ``changes`` into the agreement: the Region any field, the Fund only its own commitments."""
    unknown = set(changes) - set(AGREEMENT_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field(s) {', '.join(sorted(unknown))}", field=sorted(unknown)[0],
                           key=N_("programming.err.fields"))
    changes = _typed(changes)
    if Party.REGION not in parties:
        region_side = {k for k in changes if k != "commitments"}
        asked = changes.get("commitments", {})
        if region_side or (asked.get("region", agreement.commitments.get("region", ""))
                           != agreement.commitments.get("region", "")):
            raise Forbidden("a Fund edits only its own commitments", key=N_("programming.err.fund_side"))
        agreement.commitments = {**agreement.commitments, "fund": str(asked.get("fund", ""))}
        return
    if "starts_on" in changes or "ends_on" in changes:
        _period(changes.get("starts_on", agreement.starts_on), changes.get("ends_on", agreement.ends_on))
    for name, value in changes.items():
        if name == "priorities":
            value = _clean_priorities(value)
        elif name == "signatories":
            value = _clean_signatories(value)
        elif name == "commitments":
            value = {"region": str(value.get("region", "")), "fund": str(value.get("fund", ""))}
        elif name == "title":
            value = str(value).strip()
        setattr(agreement, name, value)


def _typed(changes: dict[str, Any]) -> dict[str, Any]:
    """The changes with dates as dates; a value of the wrong shape is refused with its field."""
    out = dict(changes)
    for name in ("starts_on", "ends_on"):
        if name in out and not isinstance(out[name], date):
            try:
                out[name] = date.fromisoformat(str(out[name]))
            except ValueError:
                raise InvalidInput(f"{name}: not a date", field=name, key=N_("programming.err.date")) from None
    shapes = {"priorities": dict, "commitments": dict, "signatories": list, "title": str}
    for name, shape in shapes.items():
        if name in out and not isinstance(out[name], shape):
            raise InvalidInput(f"{name}: wrong shape", field=name, key=N_("programming.err.fields"))
    if "signatories" in out and not all(isinstance(s, dict) for s in out["signatories"]):
        raise InvalidInput("signatories: a list of objects", field="signatories", key=N_("programming.err.fields"))
    if "priorities" in out and not all(isinstance(v, list) for v in out["priorities"].values()):
        raise InvalidInput("priorities: lists of values", field="priorities", key=N_("programming.err.fields"))
    return out


def _writable(session: Session, actor: Principal, id: int, version: int | None) -> tuple[Agreement, set[Party]]:
    agreement = get_agreement(session, principal=actor, id=id)
    parties = states.parties_of(actor, agreement)
    if not parties:
        raise Forbidden("not a party of this agreement", key=N_("programming.err.not_party"))
    if version is not None and version != agreement.version:
        raise Conflict("the agreement changed meanwhile: reload it", field="version", key=N_("programming.err.stale"))
    return agreement, parties


def update_agreement(session: Session, *, actor: Principal, id: int, version: int | None,
                     changes: dict[str, Any]) -> Agreement:
    """Edit a draft (the Region everything, the Fund its commitments)."""
    agreement, parties = _writable(session, actor, id, version)
    if agreement.status not in states.EDITED_DIRECTLY:
        raise Conflict("a signed agreement changes only by an amendment", field="status",
                       key=N_("programming.err.amend_instead"))
    before = _snapshot(agreement)
    _apply(agreement, parties, changes)
    session.flush()
    audit.record(session, actor=actor, action="update", resource_type="programming_agreement",
                 resource_id=agreement.id, organisation_id=agreement.fund_id, before=before,
                 after=_snapshot(agreement))
    return agreement


def amend(session: Session, *, actor: Principal, id: int, version: int | None, summary: str,
          changes: dict[str, Any]) -> Amendment:
    """An amendment of a signed or in-force agreement: numbered, with what it changed before and after."""
    agreement, parties = _writable(session, actor, id, version)
    if agreement.status not in states.AMENDED:
        raise Conflict(f"an agreement in status {agreement.status} is not amended", field="status",
                       key=N_("programming.err.not_amendable"))
    if not summary.strip():
        raise InvalidInput("summary: say what the amendment changes", field="summary",
                           key=N_("programming.err.summary"))
    before = _snapshot(agreement)
    _apply(agreement, parties, changes)
    agreement.amendment += 1
    session.flush()
    after = _snapshot(agreement)
    amendment = Amendment(agreement_id=agreement.id, number=agreement.amendment, summary=summary.strip(),
                          before={k: before[k] for k in changes}, after={k: after[k] for k in changes},
                          made_by=actor.label)
    session.add(amendment)
    session.flush()
    audit.record(session, actor=actor, action="amend", resource_type="programming_agreement",
                 resource_id=agreement.id, organisation_id=agreement.fund_id, before=before, after=after,
                 note=f"amendment {amendment.number}: {amendment.summary}")
    return amendment


def move_agreement(session: Session, *, actor: Principal, id: int, target: str, note: str | None = None
                   ) -> Agreement:
    agreement = get_agreement(session, principal=actor, id=id)
    return states.move(session, actor=actor, agreement=agreement, target=target, note=note)


# --- documents ------------------------------------------------------------------------------------------------

def upload_document(session: Session, *, actor: Principal, agreement_id: int, filename: str, data: bytes,
                    kind: str = "agreement") -> AgreementDocument:
    """A PDF, PNG or JPEG (recognised by its bytes, at most 5 MB) of an agreement, by either party."""
    agreement, _ = _writable(session, actor, agreement_id, None)
    if kind not in ("agreement", "annex", "amendment"):
        raise InvalidInput("kind: agreement, annex or amendment", field="kind", key=N_("programming.err.kind"))
    if not data:
        raise InvalidInput("the file is empty", field="file", key=N_("programming.err.file_empty"))
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InvalidInput("the file is over 5 MB", field="file", key=N_("programming.err.file_large"))
    found = sniff(data)
    if found is None:
        raise InvalidInput("only PDF, PNG or JPEG files are accepted", field="file",
                           key=N_("programming.err.file_type"))
    content_type, ext = found
    document = AgreementDocument(agreement_id=agreement.id, kind=kind, filename=safe_filename(filename, ext),
                                 content_type=content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                                 data=data, uploaded_by=actor.label)
    session.add(document)
    session.flush()
    audit.record(session, actor=actor, action="upload", resource_type="programming_document",
                 resource_id=document.id, organisation_id=agreement.fund_id,
                 after={"agreement_id": agreement.id, "filename": document.filename, "kind": kind,
                        "size": document.size, "sha256": document.sha256})
    return document


def list_documents(session: Session, *, principal: Principal, agreement_id: int) -> Sequence[AgreementDocument]:
    agreement = get_agreement(session, principal=principal, id=agreement_id)
    return session.scalars(select(AgreementDocument).where(AgreementDocument.agreement_id == agreement.id)
                           .order_by(AgreementDocument.id)).all()


def get_document(session: Session, *, principal: Principal, agreement_id: int, id: int) -> AgreementDocument:
    agreement = get_agreement(session, principal=principal, id=agreement_id)
    document = session.get(AgreementDocument, id) if 0 < id <= MAX_ID else None
    if document is None or document.agreement_id != agreement.id:
        raise NotFound(f"no document {id} in agreement {agreement_id}", key=N_("programming.err.not_found"))
    return document


# --- plans, lines and tranches ----------------------------------------------------------------------------------

def create_plan(session: Session, *, actor: Principal, agreement_id: int, title: str, first_year: int,
                last_year: int) -> Plan:
    agreement, parties = _writable(session, actor, agreement_id, None)
    if Party.REGION not in parties:
        raise Forbidden("only Region staff create plans", key=N_("programming.err.region_only"))
    if agreement.status not in states.PLANNED:
        raise Conflict("a closed agreement gets no new plan", field="status", key=N_("programming.err.closed"))
    if not agreement.starts_on.year <= first_year <= last_year <= agreement.ends_on.year:
        raise InvalidInput(f"years: within the agreement's period ({agreement.starts_on.year}-"
                           f"{agreement.ends_on.year})", field="first_year", key=N_("programming.err.plan_years"),
                           params={"first": agreement.starts_on.year, "last": agreement.ends_on.year})
    plan = Plan(agreement_id=agreement.id, title=title.strip() or agreement.title, first_year=first_year,
                last_year=last_year)
    session.add(plan)
    session.flush()
    audit.record(session, actor=actor, action="create", resource_type="programming_plan", resource_id=plan.id,
                 organisation_id=agreement.fund_id,
                 after={"agreement_id": agreement.id, "title": plan.title, "years": [first_year, last_year]})
    return plan


def get_plan(session: Session, *, principal: Principal, id: int) -> Plan:
    if not 0 < id <= MAX_ID:
        raise NotFound(f"no plan {id}", key=N_("programming.err.not_found"))
    plan = session.scalar(select(Plan).where(Plan.id == id).options(
        selectinload(Plan.lines).selectinload(PlanLine.tranches).selectinload(Tranche.source)))
    if plan is None:
        raise NotFound(f"no plan {id}", key=N_("programming.err.not_found"))
    get_agreement(session, principal=principal, id=plan.agreement_id)  # 404 when the agreement is not visible
    return plan


def _year_map(value: Any, field: str, convert: Any) -> dict[str, Any]:
    """``{"2026": value}`` from a form or JSON object; a bad year or value is refused with its field."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{field}: an object {{year: value}}", field=field, key=N_("programming.err.amount"),
                           params={"field": field})
    out = {}
    for year, amount in value.items():
        if amount in (None, ""):
            continue
        try:
            y = int(str(year))
            if not 2000 <= y <= 2100:
                raise ValueError(year)
            out[str(y)] = convert(amount, f"{field}.{year}")
        except (ValueError, TypeError, OverflowError):
            raise InvalidInput(f"{field}.{year}: not a year and a number", field=f"{field}.{year}",
                               key=N_("programming.err.amount"), params={"field": f"{field}.{year}"}) from None
    return out


def _count(value: Any, field: str) -> float:
    number = float(value)
    if not 0 <= number <= 1e9:
        raise ValueError(field)
    return number


def _line_from(row: dict[str, Any], k: int) -> PlanLine:
    code = str(row.get("code") or "").strip().upper()[:20]
    if not code:
        raise InvalidInput(f"lines[{k}].code: required", field=f"lines[{k}].code", key=N_("programming.err.line_code"))
    for name, allowed in (("area", AREAS), ("target", TARGETS), ("channel", CHANNELS)):
        if row.get(name) not in allowed:
            raise InvalidInput(f"lines[{k}].{name}: one of {', '.join(allowed)}", field=f"lines[{k}].{name}",
                               key=N_("programming.err.line_field"), params={"line": code, "field": name})
    cost = _year_map(row.get("cost"), f"lines[{k}].cost", lambda v, f: str(_money(v, f)))
    participants = _year_map(row.get("participants"), f"lines[{k}].participants", _count)
    indicators = row.get("indicators") or []
    if not isinstance(indicators, list) or not all(isinstance(i, dict) for i in indicators):
        raise InvalidInput(f"lines[{k}].indicators: a list of objects", field=f"lines[{k}].indicators",
                           key=N_("programming.err.fields"))
    return PlanLine(code=code, title=str(row.get("title") or code).strip()[:300], area=row["area"],
                    target=row["target"], territory=str(row.get("territory") or "ITC4").strip().upper()[:10],
                    channel=row["channel"], indicators=indicators, cost=cost,
                    participants=participants)


def line_json(line: PlanLine) -> dict[str, Any]:
    return {"code": line.code, "title": line.title, "area": line.area, "target": line.target,
            "territory": line.territory, "channel": line.channel, "indicators": line.indicators,
            "cost": dict(line.cost), "participants": dict(line.participants)}


def _tranche_key(t: Tranche) -> tuple[str, int, int]:
    return (t.line.code, t.source_id, t.year)


def save_plan(session: Session, *, actor: Principal, plan_id: int, version: int | None,
              lines: list[dict[str, Any]], tranches: list[dict[str, Any]]) -> Plan:
    """Replace the plan's lines and tranches (``tranches``: ``{"line", "source", "year", "planned",
    "committed"}``, ``source`` a source code). Region staff change everything; a Fund's editors only the
    tranches of the Fund's own sources (every other line and tranche must come back as it was). The rules of
    :mod:`regia.programming.rules` are checked on the whole result: :class:`PlanRulesBroken` lists every issue
    and nothing is saved."""
    plan = get_plan(session, principal=actor, id=plan_id)
    agreement, parties = _writable(session, actor, plan.agreement_id, None)
    if version is not None and version != plan.version:
        raise Conflict("the plan changed meanwhile: reload it", field="version", key=N_("programming.err.stale"))
    if agreement.status not in states.PLANNED:
        raise Conflict("the agreement is closed", field="status", key=N_("programming.err.closed"))
    sources = {s.code: s for s in session.scalars(select(FundingSource))}
    new_lines = [_line_from(row, k) for k, row in enumerate(lines)]
    codes = [line.code for line in new_lines]
    if len(set(codes)) != len(codes):
        dup = next(c for c in codes if codes.count(c) > 1)
        raise InvalidInput(f"line {dup} is repeated", field="lines", key=N_("programming.err.line_repeated"),
                           params={"line": dup})
    by_code = {line.code: line for line in new_lines}
    new_tranches: list[tuple[PlanLine, Tranche]] = []
    seen: set[tuple[str, int, int]] = set()
    for k, row in enumerate(tranches):
        line = by_code.get(str(row.get("line") or "").strip().upper())
        if line is None:
            raise InvalidInput(f"tranches[{k}].line: no such line", field=f"tranches[{k}].line",
                               key=N_("programming.err.tranche_line"), params={"line": str(row.get("line"))})
        source = sources.get(str(row.get("source") or ""))
        if source is None:
            raise InvalidInput(f"tranches[{k}].source: unknown source", field=f"tranches[{k}].source",
                               key=N_("programming.err.tranche_source"), params={"source": str(row.get("source"))})
        year = _year(row.get("year"), f"tranches[{k}].year")
        t = Tranche(source_id=source.id, year=year, planned=_money(row.get("planned"), f"tranches[{k}].planned"),
                    committed=_money(row.get("committed"), f"tranches[{k}].committed"), spent=Decimal(0))
        key = (line.code, source.id, year)
        if key in seen:
            raise InvalidInput(f"line {line.code}, {year}: {source.name} twice", field=f"tranches[{k}]",
                               key=N_("programming.err.tranche_repeated"),
                               params={"line": line.code, "year": year, "source": source.name})
        seen.add(key)
        new_tranches.append((line, t))
    held = {_tranche_key(t): t for line in plan.lines for t in line.tranches}
    for line, t in new_tranches:  # spent is the monitoring's: kept from the stored tranche
        old = held.get((line.code, t.source_id, t.year))
        t.spent = old.spent if old is not None else Decimal(0)
    if Party.REGION not in parties:
        _only_fund_side(plan, agreement, new_lines, new_tranches, sources)
    issues = rules.check(session, plan, new_lines, new_tranches)
    if issues:
        raise PlanRulesBroken(issues)
    before = {"lines": [line_json(line) for line in plan.lines],
              "tranches": [_tranche_json(t) for line in plan.lines for t in line.tranches]}
    plan.lines.clear()
    session.flush()
    for line in new_lines:
        plan.lines.append(line)
    for line, t in new_tranches:
        line.tranches.append(t)
    plan.version += 1
    session.flush()
    audit.record(session, actor=actor, action="save_plan", resource_type="programming_plan", resource_id=plan.id,
                 organisation_id=agreement.fund_id, before=before,
                 after={"lines": [line_json(line) for line in new_lines],
                        "tranches": [_tranche_json(t) for _, t in new_tranches]})
    return plan


def _tranche_json(t: Tranche) -> dict[str, Any]:
    line = t.line.code if t.line is not None else None
    return {"line": line, "source_id": t.source_id, "year": t.year, "planned": str(t.planned),
            "committed": str(t.committed), "spent": str(t.spent)}


def _only_fund_side(plan: Plan, agreement: Agreement, lines: list[PlanLine], tranches: list[tuple[PlanLine, Tranche]],
                    sources: dict[str, FundingSource]) -> None:
    """A Fund's editor sent the plan back: only the tranches of the Fund's own sources may differ."""
    if [line_json(line) for line in lines] != [line_json(line) for line in plan.lines]:
        raise Forbidden("a Fund edits only the tranches of its own sources", key=N_("programming.err.fund_side"))
    own = {s.id for s in sources.values() if s.organisation_id == agreement.fund_id}

    def others(items: list[tuple[str, Tranche]]) -> list[tuple[str, int, int, Decimal, Decimal]]:
        return sorted((code, t.source_id, t.year, Decimal(t.planned), Decimal(t.committed))
                      for code, t in items if t.source_id not in own)

    held = [(line.code, t) for line in plan.lines for t in line.tranches]
    if others([(line.code, t) for line, t in tranches]) != others(held):
        raise Forbidden("a Fund edits only the tranches of its own sources", key=N_("programming.err.fund_side"))


def check_plan(session: Session, *, principal: Principal, plan_id: int) -> list[rules.Issue]:
    plan = get_plan(session, principal=principal, id=plan_id)
    return rules.check(session, plan, list(plan.lines), [(line, t) for line in plan.lines for t in line.tranches])


def record_spent(session: Session, *, actor: Principal, plan_id: int, line: str, source: str, year: int,
                 spent: Any) -> Tranche:
    """The spending of a tranche so far (cumulative: it replaces the previous figure), as the outcomes /
    monitoring work reports it; at most what is committed. Region staff, the system (a monitoring job) or
    the Fund's editors for the Fund's own sources."""
    plan = get_plan(session, principal=actor, id=plan_id)
    agreement = plan.agreement
    tranche = next((t for pl in plan.lines if pl.code == line.upper() for t in pl.tranches
                    if t.source.code == source and t.year == year), None)
    if tranche is None:
        raise NotFound(f"no tranche of {source} for line {line}, {year}", key=N_("programming.err.no_tranche"),
                       params={"line": line, "source": source, "year": year})
    parties = states.parties_of(actor, agreement)
    if Party.REGION not in parties and not (Party.FUND in parties
                                            and tranche.source.organisation_id == agreement.fund_id):
        raise Forbidden("not allowed to record this tranche's spending", key=N_("programming.err.not_party"))
    amount = _money(spent, "spent")
    if amount > Decimal(tranche.committed):
        raise InvalidInput(f"line {line}, {year}: spent {amount} over committed {tranche.committed}",
                           field="spent", key=N_("programming.rule.spent"),
                           params={"line": line, "year": year, "source": tranche.source.name, "spent": amount,
                                   "committed": Decimal(tranche.committed)})
    before = str(tranche.spent)
    tranche.spent = amount
    session.flush()
    audit.record(session, actor=actor, action="record_spent", resource_type="programming_tranche",
                 resource_id=tranche.id, organisation_id=agreement.fund_id, before={"spent": before},
                 after={"spent": str(amount), "line": line, "source": source, "year": year})
    return tranche
