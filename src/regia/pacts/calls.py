"""Calls (*avvisi*) of the Region: create, update, read, list. Anyone reads a call; Region staff write them
(``pact_call``). Every change is audited; an update names the ``version`` it read (optimistic locking: the
table's version counter refuses a stale write too)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from regia.auth import audit
from regia.auth.errors import Conflict, Forbidden, InvalidInput, NotFound
from regia.auth.models import OrgType
from regia.auth.policy import WRITE, Resource, can, visible
from regia.auth.principal import Principal
from regia.pacts.manifestation import NUTS3, PUBLIC_SOURCES
from regia.pacts.models import AGGREGATIONS, TARGET_GROUPS, Call

FIELDS = ("code", "title", "description", "opens_at", "manifestation_deadline", "evaluation_deadline",
          "programme_deadline", "ends_on", "territories", "required_partner_types", "min_partners", "targets",
          "grid", "min_total", "aggregation", "max_spread", "min_evaluators", "budget", "max_grant",
          "min_cofinancing_share")


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def phase(call: Call, now: datetime | None = None) -> str:
    """Which phase the call is in at ``now``: ``not_open``, ``manifestation`` (proposals may be submitted),
    ``evaluation``, ``programme``, ``implementation`` or ``closed``."""
    now = aware(now or datetime.now(UTC))
    if now < aware(call.opens_at):
        return "not_open"
    if now <= aware(call.manifestation_deadline):
        return "manifestation"
    if now <= aware(call.evaluation_deadline):
        return "evaluation"
    if now <= aware(call.programme_deadline):
        return "programme"
    return "implementation" if now.date() <= call.ends_on else "closed"


def is_open(call: Call, now: datetime | None = None) -> bool:
    return phase(call, now) == "manifestation"


def known_provinces(session: Session) -> set[str] | None:
    """NUTS3 codes of the provinces in the taxonomy; None when the taxonomy holds none (not imported)."""
    from regia.taxonomy.models import Concept

    codes = set(session.scalars(select(Concept.code).where(Concept.type == "territory",
                                                           Concept.level == "province")))
    return codes or None


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{field} is not a number", field=field) from None
    if not number.is_finite():
        raise InvalidInput(f"{field} is not a number", field=field)
    return number


def check(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """The call's values, normalised; raises InvalidInput (with the field) for the first incoherent one."""
    v = dict(values)
    for name in ("code", "title"):
        v[name] = " ".join(str(v.get(name) or "").split())
        if not v[name]:
            raise InvalidInput(f"the {name} is empty", field=name)
    stamps = ["opens_at", "manifestation_deadline", "evaluation_deadline", "programme_deadline"]
    for name in stamps:
        if not isinstance(v.get(name), datetime):
            raise InvalidInput(f"{name} is required", field=name)
        v[name] = aware(v[name]).astimezone(UTC)  # the instant in UTC: SQLite keeps no offset
    if not isinstance(v.get("ends_on"), date):
        raise InvalidInput("ends_on is required", field="ends_on")
    for earlier, later in pairwise(stamps):
        if not v[earlier] < v[later]:
            raise InvalidInput(f"{later} must come after {earlier}", field=later)
    if not v["programme_deadline"].date() < v["ends_on"]:
        raise InvalidInput("ends_on must come after programme_deadline", field="ends_on")

    territories = [str(t).strip().upper() for t in v.get("territories") or []]
    provinces = known_provinces(session)
    for code in territories:
        if not NUTS3.match(code) or (provinces is not None and code not in provinces):
            raise InvalidInput(f"{code!r} is not a NUTS3 province", field="territories")
    v["territories"] = sorted(set(territories))
    kinds = {t.value for t in OrgType} - {OrgType.REGION.value, OrgType.CITIZEN.value}
    for kind in v.get("required_partner_types") or []:
        if kind not in kinds:
            raise InvalidInput(f"{kind!r} is not a partner type", field="required_partner_types")
    v["required_partner_types"] = sorted(set(v.get("required_partner_types") or []))
    for group in v.get("targets") or []:
        if group not in TARGET_GROUPS:
            raise InvalidInput(f"{group!r} is not a target group", field="targets")
    v["targets"] = [g for g in TARGET_GROUPS if g in set(v.get("targets") or [])]
    v["min_partners"] = int(v["min_partners"] if v.get("min_partners") is not None else 3)
    if v["min_partners"] < 1:
        raise InvalidInput("min_partners must be at least 1", field="min_partners")
    v["min_evaluators"] = int(v["min_evaluators"] if v.get("min_evaluators") is not None else 2)
    if v["min_evaluators"] < 1:
        raise InvalidInput("min_evaluators must be at least 1", field="min_evaluators")

    grid, codes, best = [], set(), Decimal(0)
    for i, criterion in enumerate(v.get("grid") or []):
        code = str(criterion.get("code") or "").strip()
        label = str(criterion.get("label") or "").strip()
        if not code or not label:
            raise InvalidInput(f"criterion {i + 1} needs a code and a label", field=f"grid[{i}]")
        if code in codes:
            raise InvalidInput(f"criterion {code} is repeated", field=f"grid[{i}].code")
        codes.add(code)
        weight = _decimal(criterion.get("weight", 1), f"grid[{i}].weight")
        max_score = _decimal(criterion.get("max_score"), f"grid[{i}].max_score")
        threshold = _decimal(criterion.get("threshold", 0), f"grid[{i}].threshold")
        if weight <= 0:
            raise InvalidInput(f"the weight of {code} must be positive", field=f"grid[{i}].weight")
        if max_score <= 0:
            raise InvalidInput(f"the maximum score of {code} must be positive", field=f"grid[{i}].max_score")
        if not 0 <= threshold <= max_score:
            raise InvalidInput(f"the threshold of {code} must be between 0 and its maximum score",
                               field=f"grid[{i}].threshold")
        best += weight * max_score
        grid.append({"code": code, "label": label, "weight": str(weight), "max_score": str(max_score),
                     "threshold": str(threshold)})
    if not grid:
        raise InvalidInput("the evaluation grid has no criteria", field="grid")
    v["grid"] = grid
    v["min_total"] = _decimal(v.get("min_total") or 0, "min_total")
    if not 0 <= v["min_total"] <= best:
        raise InvalidInput(f"min_total must be between 0 and the best possible total ({best})", field="min_total")
    if v.get("aggregation", "average") not in AGGREGATIONS:
        raise InvalidInput(f"aggregation must be one of {', '.join(AGGREGATIONS)}", field="aggregation")
    v["aggregation"] = v.get("aggregation") or "average"
    v["max_spread"] = _decimal(v.get("max_spread") or 0, "max_spread")
    if v["max_spread"] < 0:
        raise InvalidInput("max_spread must not be negative", field="max_spread")

    budget = {}
    for source, amount in (v.get("budget") or {}).items():
        if source not in PUBLIC_SOURCES:
            raise InvalidInput(f"{source!r} is not a funding source of a call ({', '.join(PUBLIC_SOURCES)})",
                               field=f"budget.{source}")
        money = _decimal(amount, f"budget.{source}")
        if money < 0:
            raise InvalidInput(f"the {source} envelope is negative", field=f"budget.{source}")
        budget[source] = f"{money:.2f}"
    v["budget"] = budget
    if v.get("max_grant") is not None:
        v["max_grant"] = _decimal(v["max_grant"], "max_grant")
        if v["max_grant"] <= 0:
            raise InvalidInput("max_grant must be positive", field="max_grant")
    share = _decimal(v.get("min_cofinancing_share") or 0, "min_cofinancing_share")
    if not 0 <= share < 1:
        raise InvalidInput("min_cofinancing_share is a fraction from 0 to 1", field="min_cofinancing_share")
    v["min_cofinancing_share"] = share
    v["description"] = str(v.get("description") or "")
    return {k: v[k] for k in FIELDS if k in v}


def get(session: Session, *, id: int) -> Call:
    call = session.get(Call, id)
    if call is None:
        raise NotFound(f"no call {id}")
    return call


def list_calls(session: Session, *, principal: Principal, limit: int = 50, offset: int = 0
               ) -> tuple[Sequence[Call], int]:
    stmt = visible(select(Call), principal, Call)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Call.opens_at.desc(), Call.id).limit(limit).offset(offset)).all()
    return rows, total


def open_calls(session: Session, *, now: datetime | None = None) -> list[Call]:
    return [c for c in session.scalars(select(Call).order_by(Call.manifestation_deadline)) if is_open(c, now)]


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict("a call with this code already exists", field="code") from None
    except StaleDataError:
        session.rollback()
        raise Conflict("the call changed since you read it", field="version") from None


def create(session: Session, *, actor: Principal, **values: Any) -> Call:
    if not can(actor, WRITE, Resource.PACT_CALL):
        raise Forbidden("only Region staff write calls")
    clean = check(session, values)
    if session.scalar(select(Call.id).where(Call.code == clean["code"])) is not None:
        raise Conflict("a call with this code already exists", field="code")
    call = Call(**clean)
    session.add(call)
    _flush(session)
    audit.record(session, actor=actor, action="create", resource_type="pact_call", resource_id=call.id,
                 after=audit.snapshot(call))
    return call


def update(session: Session, *, actor: Principal, id: int, version: int, **values: Any) -> Call:
    """Replace the call's values (all of them, as in create). Deadlines already passed may still move: the
    Region decides (e.g. an extension), and the audit log keeps the old ones."""
    if not can(actor, WRITE, Resource.PACT_CALL):
        raise Forbidden("only Region staff write calls")
    call = get(session, id=id)
    if call.version != version:
        raise Conflict(f"the call changed since you read it (now version {call.version})", field="version")
    clean = check(session, values)
    if session.scalar(select(Call.id).where(Call.code == clean["code"], Call.id != id)) is not None:
        raise Conflict("a call with this code already exists", field="code")
    before = audit.snapshot(call)
    for name, value in clean.items():
        setattr(call, name, value)
    call.updated_at = datetime.now(UTC)
    _flush(session)
    audit.record(session, actor=actor, action="update", resource_type="pact_call", resource_id=call.id,
                 before=before, after=audit.snapshot(call))
    return call
