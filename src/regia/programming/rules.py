"""The rules of a plan's tranches, each broken one reported with the line and year it concerns.

- a tranche falls in the plan's years;
- a source funds only the target groups it may fund (``FundingSource.targets``, data the Region edits), and a
  Fund's sources fund only lines of that Fund's agreements;
- all the tranches of a source in a year (every plan) stay within the source's envelope for that year;
- the sources of one line in one year together fund at most the line's cost for that year (no double funding);
- committed ≤ planned and spent ≤ committed.

An :class:`Issue` carries a message key and its parameters (Italian and English in this package's catalogue)
and an English ``detail`` for API clients and logs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regia.i18n import N_, format_money, gettext
from regia.programming.models import Envelope, FundingSource, Plan, PlanLine, Tranche


@dataclass(frozen=True)
class Issue:
    key: str
    line: str
    year: int | None
    detail: str
    source: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        values = {k: (format_money(v, lang) if isinstance(v, Decimal) else v) for k, v in self.params.items()}
        return gettext(self.key, lang, line=self.line, year=self.year or "", source=self.source or "", **values)

    def as_dict(self, lang: str = "it") -> dict[str, Any]:
        return {"key": self.key, "line": self.line, "year": self.year, "source": self.source,
                "params": {k: str(v) if isinstance(v, Decimal) else v for k, v in self.params.items()},
                "detail": self.detail, "messaggio": self.text("it"), "message": self.text(lang)}


def money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def envelope_use(session: Session, *, exclude_plan: int | None) -> dict[tuple[int, int], Decimal]:
    """Planned euros per (source, year) in every plan but ``exclude_plan``."""
    stmt = (select(Tranche.source_id, Tranche.year, func.coalesce(func.sum(Tranche.planned), 0))
            .join(PlanLine, PlanLine.id == Tranche.line_id).group_by(Tranche.source_id, Tranche.year))
    if exclude_plan is not None:
        stmt = stmt.where(PlanLine.plan_id != exclude_plan)
    return {(s, y): money(v) for s, y, v in session.execute(stmt)}


def check(session: Session, plan: Plan, lines: list[PlanLine], tranches: list[tuple[PlanLine, Tranche]]
          ) -> list[Issue]:
    """Every broken rule of ``plan`` holding ``lines`` and ``tranches`` (not yet flushed, or stored)."""
    issues: list[Issue] = []
    sources = {s.id: s for s in session.scalars(select(FundingSource))}
    envelopes = {(e.source_id, e.year): money(e.amount) for e in session.scalars(select(Envelope))}
    fund_id = plan.agreement.fund_id
    years = range(plan.first_year, plan.last_year + 1)
    for line in lines:
        for year in line.cost:
            if int(year) not in years:
                issues.append(Issue(N_("programming.rule.cost_year"), line.code, int(year),
                                    f"line {line.code}, {year}: a cost outside the plan's years "
                                    f"({plan.first_year}-{plan.last_year})",
                                    params={"first": plan.first_year, "last": plan.last_year}))
    used = envelope_use(session, exclude_plan=plan.id) if plan.id is not None else {}
    in_plan: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    per_line_year: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for line, t in tranches:
        source = sources.get(t.source_id)
        if source is None:
            continue
        planned, committed, spent = money(t.planned), money(t.committed), money(t.spent)
        in_plan[(t.source_id, t.year)] += planned
        per_line_year[(line.code, t.year)] += planned
        where = f"line {line.code}, {t.year}"
        if t.year not in years:
            issues.append(Issue(N_("programming.rule.year"), line.code, t.year,
                                f"{where}: outside the plan's years ({plan.first_year}-{plan.last_year})",
                                source.name, {"first": plan.first_year, "last": plan.last_year}))
        if line.target not in (source.targets or []):
            issues.append(Issue(N_("programming.rule.target"), line.code, t.year,
                                f"{where}: {source.name} may not fund the target group {line.target}",
                                source.name, {"target": line.target}))
        if source.organisation_id is not None and source.organisation_id != fund_id:
            issues.append(Issue(N_("programming.rule.other_fund"), line.code, t.year,
                                f"{where}: {source.name} belongs to another Fund", source.name))
        if committed > planned:
            issues.append(Issue(N_("programming.rule.committed"), line.code, t.year,
                                f"{where}: committed {committed} over planned {planned} ({source.name})",
                                source.name, {"committed": committed, "planned": planned}))
        if spent > committed:
            issues.append(Issue(N_("programming.rule.spent"), line.code, t.year,
                                f"{where}: spent {spent} over committed {committed} ({source.name})",
                                source.name, {"spent": spent, "committed": committed}))
    for (source_id, year), amount in sorted(in_plan.items()):
        total = amount + used.get((source_id, year), Decimal(0))
        limit = envelopes.get((source_id, year), Decimal(0))
        if total > limit:
            source = sources[source_id]
            for line, t in tranches:
                if t.source_id == source_id and t.year == year and money(t.planned) > 0:
                    issues.append(Issue(N_("programming.rule.envelope"), line.code, year,
                                        f"line {line.code}, {year}: the tranches of {source.name} in {year} total "
                                        f"{total} over its envelope {limit}", source.name,
                                        {"total": total, "envelope": limit}))
    costs = {(line.code, int(y)): money(v) for line in lines for y, v in line.cost.items()}
    for (code, year), amount in sorted(per_line_year.items()):
        cost = costs.get((code, year), Decimal(0))
        if amount > cost:
            issues.append(Issue(N_("programming.rule.double_funding"), code, year,
                                f"line {code}, {year}: its sources fund {amount} over the line's cost {cost}",
                                params={"total": amount, "cost": cost}))
    return issues
