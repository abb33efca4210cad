"""The rules of an individual training plan (*piano formativo individuale*), with the legal bounds as data.

The numbers live in ``data/legal_bounds.json``, each rule with its source (statute, agreement, or "setting"
where Regia picks a default the Region should confirm); :func:`check_plan` lists every broken rule as an
:class:`Issue` — the field it is about, a message key and the values the message shows — so that the API
and the pages refuse a plan with the field and the reason, in either language.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from regia.auth.errors import InvalidInput
from regia.i18n import N_, gettext
from regia.iefp.models import APPRENDISTATO, PLACE_KINDS

BOUNDS_FILE = Path(__file__).resolve().parent / "data" / "legal_bounds.json"
WHERE = ("work", "centre")


@lru_cache(maxsize=1)
def bounds() -> dict[str, Any]:
    """The legal bounds (``data/legal_bounds.json``)."""
    data: dict[str, Any] = json.loads(BOUNDS_FILE.read_text(encoding="utf-8"))
    missing = set(PLACE_KINDS) - set(data["kinds"])
    if missing:
        raise ValueError(f"{BOUNDS_FILE}: no rules for {', '.join(sorted(missing))}")
    return data


@dataclass(frozen=True)
class Issue:
    field: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return gettext(self.key, lang, **self.params)

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "key": self.key, "params": self.params, "message": self.text("en"),
                "messaggio": self.text("it")}


class PlanInvalid(InvalidInput):
    """A training plan that breaks rules: all of them in ``issues``."""

    def __init__(self, issues: list[Issue]) -> None:
        first = issues[0]
        super().__init__("; ".join(f"{i.field}: {i.text('en')}" for i in issues), field=first.field,
                         key=first.key, params=first.params)
        self.issues = issues


@dataclass(frozen=True)
class PlanInput:
    year_of_course: int
    hours_work: int
    hours_centre: int
    weekly_hours_work: int
    competences: list[dict[str, str]]
    tutor_company: str
    tutor_centre: str


@dataclass(frozen=True)
class Context:
    """What the plan is checked against: the placement, the figure version, the student."""

    kind: str
    figure_code: str
    figure_kind: str  # qualifica / diploma
    figure_years: int
    competences: dict[str, str]  # the figure version's competences: code -> kind
    birth_date: date
    start_date: date
    end_date: date


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` inclusive: 1 September to 28 February is six."""
    after = end + timedelta(days=1)
    return (after.year - start.year) * 12 + after.month - start.month - (1 if after.day < start.day else 0)


def weeks_between(start: date, end: date) -> int:
    return max(1, ((end - start).days + 1 + 6) // 7)


def check_plan(plan: PlanInput, ctx: Context) -> list[Issue]:
    """Every rule the plan breaks (empty: valid)."""
    data = bounds()
    rules = data["kinds"][ctx.kind]
    total = int(data["ordinamental_hours_per_year"]["value"])
    out: list[Issue] = []
    year = plan.year_of_course
    if not 1 <= year <= ctx.figure_years:
        out.append(Issue("year_of_course", N_("iefp.plan.year_range"), {"year": year, "years": ctx.figure_years}))
    elif year < rules["min_year_of_course"]:
        out.append(Issue("year_of_course", N_("iefp.plan.year_too_early"),
                         {"year": year, "min": rules["min_year_of_course"]}))
    for name in ("hours_work", "hours_centre", "weekly_hours_work"):
        if getattr(plan, name) < 0:
            out.append(Issue(name, N_("iefp.plan.negative"), {"value": getattr(plan, name)}))
    if out:
        return out
    if rules.get("hours_total") == "ordinamental" and plan.hours_work + plan.hours_centre != total:
        out.append(Issue("hours_centre", N_("iefp.plan.hours_total"),
                         {"work": plan.hours_work, "centre": plan.hours_centre, "total": total}))
    share = rules.get("max_centre_share", {}).get(str(year))
    if share is not None and plan.hours_centre > share * total:
        out.append(Issue("hours_centre", N_("iefp.plan.centre_share"),
                         {"hours": plan.hours_centre, "max": int(share * total), "share": round(share * 100),
                          "year": year}))
    if plan.hours_work < rules.get("min_work_hours", 0):
        out.append(Issue("hours_work", N_("iefp.plan.work_min"), {"hours": plan.hours_work,
                                                               "min": rules["min_work_hours"]}))
    if "max_work_share" in rules and plan.hours_work > rules["max_work_share"] * total:
        out.append(Issue("hours_work", N_("iefp.plan.work_max"),
                         {"hours": plan.hours_work, "max": int(rules["max_work_share"] * total)}))
    minor = age_on(ctx.birth_date, ctx.start_date) < 18
    weekly_max = int(data["weekly_hours_max"]["minor" if minor else "adult"])
    if plan.weekly_hours_work > weekly_max or plan.weekly_hours_work == 0 < plan.hours_work:
        out.append(Issue("weekly_hours_work", N_("iefp.plan.weekly_max") if plan.weekly_hours_work else
                         N_("iefp.plan.weekly_missing"), {"hours": plan.weekly_hours_work, "max": weekly_max}))
    else:
        weeks = weeks_between(ctx.start_date, ctx.end_date)
        if plan.hours_work > plan.weekly_hours_work * weeks:
            out.append(Issue("hours_work", N_("iefp.plan.period_too_short"),
                             {"hours": plan.hours_work, "weekly": plan.weekly_hours_work, "weeks": weeks,
                              "max": plan.weekly_hours_work * weeks}))
    if ctx.kind == APPRENDISTATO:
        age = age_on(ctx.birth_date, ctx.start_date)
        if not rules["min_age"] <= age < rules["max_age"]:
            out.append(Issue("student", N_("iefp.plan.age"), {"age": age, "min": rules["min_age"],
                                                           "max": rules["max_age"]}))
        months = months_between(ctx.start_date, ctx.end_date)
        longest = int(rules["max_months"][ctx.figure_kind])
        if months < rules["min_months"]:
            out.append(Issue("end_date", N_("iefp.plan.duration_min"), {"months": months, "min": rules["min_months"]}))
        elif months > longest:
            out.append(Issue("end_date", N_("iefp.plan.duration_max"), {"months": months, "max": longest}))
    out += _competences(plan, ctx, rules)
    for name, key in (("tutor_company", N_("iefp.plan.tutor_company_missing")),
                      ("tutor_centre", N_("iefp.plan.tutor_centre_missing"))):
        if not getattr(plan, name).strip():
            out.append(Issue(name, key))
    return out


def _competences(plan: PlanInput, ctx: Context, rules: dict[str, Any]) -> list[Issue]:
    out: list[Issue] = []
    if not plan.competences:
        return [Issue("competences", N_("iefp.plan.competences_missing"))]
    seen: set[str] = set()
    at_work = False
    for n, item in enumerate(plan.competences):
        code, where = str(item.get("code") or "").strip(), str(item.get("where") or "").strip()
        if code not in ctx.competences:
            out.append(Issue(f"competences[{n}].code", N_("iefp.plan.competence_unknown"),
                             {"code": code, "figure": ctx.figure_code}))
        elif code in seen:
            out.append(Issue(f"competences[{n}].code", N_("iefp.plan.competence_twice"), {"code": code}))
        seen.add(code)
        if where not in WHERE:
            out.append(Issue(f"competences[{n}].where", N_("iefp.plan.where_invalid"), {"where": where}))
        at_work = at_work or where == "work"
    if not at_work:
        out.append(Issue("competences", N_("iefp.plan.no_work_competence")))
    if rules.get("requires_all_specific_competences"):
        missing = sorted(c for c, kind in ctx.competences.items() if kind == "specific" and c not in seen)
        if missing:
            out.append(Issue("competences", N_("iefp.plan.specific_missing"), {"codes": ", ".join(missing)}))
    return out
