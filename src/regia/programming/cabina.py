"""The Cabina di regia across the Funds and the Region: agreements, plans, tranches planned / committed / spent
per source and year, coverage of the needs by territory and skill area, and the CSV / XLSX export.

A Fund's members see their own agreements in full; of the others only aggregate figures (per year, all the other
agreements together: no agreement, line or source named). Region readers see everything.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from regia.auth.errors import Forbidden
from regia.auth.models import Organisation, OrgType
from regia.auth.policy import READ, REGION_READERS, Resource, can
from regia.auth.principal import Principal
from regia.i18n import N_
from regia.programming.models import Agreement, Plan, PlanLine, Tranche
from regia.programming.scenarios import TARGET_SHARES, NeedsProvider

COLUMNS = ("agreement", "fund", "status", "plan", "line", "territory", "area", "target", "source", "year",
           "planned", "committed", "spent")


@dataclass
class Figures:
    planned: Decimal = Decimal(0)
    committed: Decimal = Decimal(0)
    spent: Decimal = Decimal(0)

    def add(self, t: Tranche) -> None:
        self.planned += Decimal(t.planned)
        self.committed += Decimal(t.committed)
        self.spent += Decimal(t.spent)


@dataclass
class Overview:
    agreements: list[Agreement]
    fund_names: dict[int, str]
    rows: list[dict[str, Any]]  # one per visible tranche (COLUMNS)
    by_source_year: dict[tuple[str, int], Figures]
    others: dict[int, Figures]  # per year: the agreements this principal may not read, together
    coverage: list[dict[str, Any]]  # per territory × area: planned participants, need, share
    totals: Figures = field(default_factory=Figures)
    full_view: bool = True


def overview(session: Session, *, principal: Principal, needs: NeedsProvider | None = None) -> Overview:
    if not can(principal, READ, Resource.PROGRAMMING):
        raise Forbidden("not allowed to read the programming", key=N_("programming.err.not_party"))
    full = principal.is_system or principal.has(roles=REGION_READERS, types=(OrgType.REGION,))
    agreements = session.scalars(select(Agreement).options(
        selectinload(Agreement.plans).selectinload(Plan.lines).selectinload(PlanLine.tranches)
        .selectinload(Tranche.source)).order_by(Agreement.code)).all()
    names = {o.id: o.name for o in session.scalars(select(Organisation).where(
        Organisation.id.in_({a.fund_id for a in agreements})))}
    mine = [a for a in agreements if full or can(principal, READ, Resource.PROGRAMMING, a)]
    rows: list[dict[str, Any]] = []
    by_source_year: dict[tuple[str, int], Figures] = defaultdict(Figures)
    others: dict[int, Figures] = defaultdict(Figures)
    totals = Figures()
    participants: dict[tuple[str, str], float] = defaultdict(float)
    for a in agreements:
        visible = a in mine
        for plan in a.plans:
            for line in plan.lines:
                if visible:
                    for n in line.participants.values():
                        participants[(line.territory, line.area)] += float(n)
                for t in line.tranches:
                    if not visible:
                        others[t.year].add(t)
                        continue
                    totals.add(t)
                    by_source_year[(t.source.name, t.year)].add(t)
                    rows.append({"agreement": a.code, "fund": names.get(a.fund_id, ""), "status": a.status,
                                 "plan": plan.title, "line": line.code, "territory": line.territory,
                                 "area": line.area, "target": line.target, "source": t.source.name, "year": t.year,
                                 "planned": Decimal(t.planned), "committed": Decimal(t.committed),
                                 "spent": Decimal(t.spent)})
    demand = needs(None) if needs is not None else {}
    keys = sorted(set(participants) | set(demand))
    coverage = []
    for territory, area in keys:
        need = float(demand.get((territory, area), 0)) * sum(TARGET_SHARES.values())
        got = participants.get((territory, area), 0.0)
        coverage.append({"territory": territory, "area": area, "participants": got, "need": need,
                         "share": min(1.0, got / need) if need else None})
    return Overview(agreements=list(mine), fund_names=names, rows=rows, by_source_year=dict(by_source_year),
                    others=dict(others), coverage=coverage, totals=totals, full_view=full)


def export_rows(view: Overview) -> list[list[Any]]:
    """The export's rows: the visible tranches, then (for a Fund) one aggregate row per year of the others."""
    out: list[list[Any]] = [list(COLUMNS)]
    for r in view.rows:
        out.append([r[c] if not isinstance(r[c], Decimal) else float(r[c]) for c in COLUMNS])
    for year, f in sorted(view.others.items()):
        out.append(["(other agreements, aggregate)", "", "", "", "", "", "", "", "", year, float(f.planned),
                    float(f.committed), float(f.spent)])
    return out


def to_csv(view: Overview) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(export_rows(view))
    return buffer.getvalue()


def to_xlsx(view: Overview) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "cabina"
    for row in export_rows(view):
        sheet.append(row)
    money = "#,##0.00 [$€-410]"
    for cells in sheet.iter_rows(min_row=2, min_col=11, max_col=13):
        for cell in cells:
            cell.number_format = money
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def fund_choices(session: Session) -> Sequence[Organisation]:
    return session.scalars(select(Organisation).where(Organisation.type == OrgType.FUND)
                           .order_by(Organisation.name)).all()
