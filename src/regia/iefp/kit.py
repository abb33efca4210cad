"""Small helpers the iefp services share: the access checks, comuni, school years, ATECO sections."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from regia.auth.errors import Forbidden, InvalidInput, NotFound
from regia.auth.policy import Action, Resource, can
from regia.auth.principal import Principal
from regia.i18n import N_
from regia.taxonomy.models import Concept

SCHOOL_YEAR = re.compile(r"^(\d{4})/(\d{2})$")
# ATECO 2007 (= NACE Rev. 2) divisions of each section
SECTIONS = (("A", 1, 3), ("B", 5, 9), ("C", 10, 33), ("D", 35, 35), ("E", 36, 39), ("F", 41, 43), ("G", 45, 47),
            ("H", 49, 53), ("I", 55, 56), ("J", 58, 63), ("K", 64, 66), ("L", 68, 68), ("M", 69, 75),
            ("N", 77, 82), ("O", 84, 84), ("P", 85, 85), ("Q", 86, 88), ("R", 90, 93), ("S", 94, 96),
            ("T", 97, 98), ("U", 99, 99))


@dataclass(frozen=True)
class Owner:
    """What the policy reads of a row not yet written: the organisation it will belong to."""

    organisation_id: int


def allow(principal: Principal, action: Action, resource: Resource, obj: Any = None) -> None:
    if not can(principal, action, resource, obj):
        raise Forbidden(f"not allowed to {action} this {resource}")


def get(session: Session, model: type, id: int, what: str) -> Any:
    row = session.get(model, id)
    if row is None:
        raise NotFound(f"no {what} {id}", key=N_("iefp.err.not_found"), params={"what": what, "id": id})
    return row


def invalid(field: str, key: str, detail: str, **params: Any) -> InvalidInput:
    return InvalidInput(f"{field}: {detail}", field=field, key=key, params={"field": field, **params})


def section_of(code: str) -> str | None:
    """The ATECO section letter of a section, division, group or class code."""
    c = code.strip().upper()
    if len(c) == 1 and c.isalpha():
        return c
    digits = c.split(".")[0]
    if not digits.isdigit():
        return None
    n = int(digits)
    return next((s for s, lo, hi in SECTIONS if lo <= n <= hi), None)


def division_of(code: str) -> str | None:
    digits = code.strip().split(".")[0]
    return digits.zfill(2) if digits.isdigit() and len(digits) <= 2 else None


def check_school_year(value: str, field: str = "school_year") -> str:
    m = SCHOOL_YEAR.match(value.strip())
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise invalid(field, N_("iefp.err.school_year"), f"{value!r} is not a school year such as 2026/27",
                      value=value)
    return value.strip()


def comune(session: Session, code: str, field: str = "comune") -> tuple[str, str]:
    """(ISTAT code, NUTS3) of a comune the taxonomy holds."""
    code = code.strip()
    attrs = session.scalar(select(Concept.attrs).where(Concept.type == "territory", Concept.level == "comune",
                                                       Concept.code == code)) if re.fullmatch(r"\d{6}", code) else None
    nuts3 = (attrs or {}).get("nuts3")
    if not nuts3:
        raise invalid(field, N_("iefp.err.comune"), f"{code!r} is not the ISTAT code of a comune", code=code)
    return code, nuts3


def comune_names(session: Session, codes: set[str]) -> dict[str, str]:
    from regia.taxonomy.service import preferred_labels

    if not codes:
        return {}
    rows = session.execute(select(Concept.id, Concept.code).where(Concept.type == "territory",
                                                                  Concept.code.in_(sorted(codes)))).all()
    labels = preferred_labels(session, [cid for cid, _ in rows], "it")
    return {code: labels.get(cid, code) for cid, code in rows}
