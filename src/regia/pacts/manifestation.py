"""The *manifestazione di interesse*: its shape (:class:`Manifestation`, stored in ``Proposal.body``) and the
validator that lists **every** missing or inconsistent item before submission (:func:`validate`).

A draft may be incomplete: the schema accepts empty sections, and :func:`validate` says what is missing. Each
:class:`Issue` has the path of the field (``partners[1].letter_document_id``), a message key (translated in
the pacts' catalogue, Italian and English) and the values the message shows.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.it import codicefiscale

from regia.auth.models import OrgType
from regia.i18n import N_
from regia.pacts import messages
from regia.pacts.models import ACTION_KINDS, FUNDING_SOURCES, TARGET_GROUPS, Call
from regia.taxonomy.codes import ESCO_SKILL_URI, ISTAT_COMUNE

PUBLIC_SOURCES = tuple(s for s in FUNDING_SOURCES if s != "cofinancing")
PARTNER_TYPES = tuple(t.value for t in OrgType if t not in (OrgType.REGION, OrgType.CITIZEN))
NUTS3 = re.compile(r"^IT[A-Z0-9]{3}$")
SIGLA = re.compile(r"^[A-Z]{2}$")
ATECO = re.compile(r"^(?:[A-U]|\d{2}(?:\.\d{1,2}){0,3})$")
ACTION_CODE = re.compile(r"^A\d{1,3}$")
PERSON_TYPES = (OrgType.PROVIDER.value, OrgType.BUSINESS_NETWORK.value)  # may be sole traders (16 chars)


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Partner(_Lenient):
    name: str = Field(default="", max_length=300)
    tax_code: str = Field(default="", max_length=20, description="Codice fiscale (11 digits for bodies)")
    type: str = Field(default="", max_length=40, description="An organisation type (regia.auth OrgType)")
    role: str = Field(default="", max_length=300, description="What the partner does in the pact")
    letter_document_id: int | None = Field(default=None, ge=1, description="Its uploaded letter of commitment")


class Territory(_Lenient):
    comuni: list[str] = Field(default_factory=list, max_length=2000, description="ISTAT codes (6 digits)")
    provinces: list[str] = Field(default_factory=list, max_length=20, description="Sigle (BG, BS, …)")
    nuts3: list[str] = Field(default_factory=list, max_length=20, description="NUTS3 codes (ITC46, …)")


class PlannedAction(_Lenient):
    code: str = Field(default="", max_length=10, description="A1, A2, …")
    kind: str = Field(default="", max_length=20, description=f"One of {', '.join(ACTION_KINDS)}")
    title: str = Field(default="", max_length=300)
    course_id: int | None = Field(default=None, ge=1, description="A course of the shared catalogue")
    new_course: bool = Field(default=False, description="A course still to design (then list its skills)")
    skills: list[str] = Field(default_factory=list, max_length=50, description="ESCO skill URIs it targets")
    target_group: str = Field(default="", max_length=30)
    participants: int = Field(default=0, ge=0, le=1_000_000)


class TargetCount(_Lenient):
    group: str = Field(default="", max_length=30)
    number: int = Field(default=0, ge=0, le=1_000_000)


class Impact(_Lenient):
    indicator: str = Field(default="", max_length=300)
    unit: str = Field(default="", max_length=60)
    baseline: Decimal | None = None
    target: Decimal | None = None
    direction: Literal["increase", "decrease"] = "increase"


class Manifestation(_Lenient):
    """What a partnership writes; every section may be empty in a draft."""

    lead: Partner = Field(default_factory=Partner, description="The lead partner (capofila)")
    partners: list[Partner] = Field(default_factory=list, max_length=100)
    territory: Territory = Field(default_factory=Territory)
    sectors: list[str] = Field(default_factory=list, max_length=50, description="ATECO codes")
    needs: str = Field(default="", max_length=20_000, description="The needs of the context")
    actions: list[PlannedAction] = Field(default_factory=list, max_length=100)
    targets: list[TargetCount] = Field(default_factory=list, max_length=20)
    impacts: list[Impact] = Field(default_factory=list, max_length=50)
    requested: dict[str, Decimal] = Field(default_factory=dict, description="Funding asked, per source")
    summary: str = Field(default="", max_length=20_000)

    def all_partners(self) -> list[Partner]:
        return [self.lead, *self.partners]


@dataclass(frozen=True)
class Issue:
    path: str
    key: str  # "pacts.issue.<code>", in the pacts' catalogue
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str = "it") -> str:
        return messages.text(self.key, lang, self.params)

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "key": self.key, "params": self.params, "message": self.text("en"),
                "messaggio": self.text("it")}


def parse(body: dict[str, Any]) -> tuple[Manifestation, list[Issue]]:
    """The manifestation in ``body``; shapes it cannot read become issues (and the empty default)."""
    try:
        return Manifestation.model_validate(body or {}), []
    except ValidationError as exc:
        issues = [Issue(".".join(str(p) for p in err["loc"]) or "body", N_("pacts.issue.malformed"),
                      {"detail": err["msg"]}) for err in exc.errors()]
        return Manifestation(), issues


def _tax_code_ok(code: str, org_type: str) -> bool:
    try:
        compact = codicefiscale.validate(code)
    except StdnumError:
        return False
    return len(compact) == 11 or org_type in PERSON_TYPES


def _money(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def validate(call: Call | None, title: str, body: dict[str, Any], documents: Iterable[Any] = (), *,
             course_exists: Callable[[int], bool] | None = None) -> list[Issue]:
    """Every missing or inconsistent item of a manifestation under ``call`` (an empty list: ready to submit).

    ``documents``: the proposal's uploaded files (objects with ``id`` and ``partner_tax_code``);
    ``course_exists``: asks the catalogue whether a course id exists (not checked when None)."""
    m, issues = parse(body)
    add = issues.append
    if not title.strip():
        add(Issue("title", N_("pacts.issue.title_missing")))
    if call is None:
        add(Issue("call_id", N_("pacts.issue.no_call")))
    docs = {d.id: d for d in documents}

    # partners
    seen_codes: Counter[str] = Counter()
    for i, (partner, path) in enumerate(
            [(m.lead, "lead")] + [(p, f"partners[{j}]") for j, p in enumerate(m.partners)]):
        del i
        if not partner.name:
            add(Issue(f"{path}.name", N_("pacts.issue.partner_name")))
        if not partner.tax_code:
            add(Issue(f"{path}.tax_code", N_("pacts.issue.partner_tax_code_missing"), {"partner": partner.name}))
        elif not _tax_code_ok(partner.tax_code, partner.type):
            add(Issue(f"{path}.tax_code", N_("pacts.issue.partner_tax_code_invalid"),
                      {"partner": partner.name, "code": partner.tax_code}))
        else:
            seen_codes[codicefiscale.compact(partner.tax_code)] += 1
        if partner.type not in PARTNER_TYPES:
            add(Issue(f"{path}.type", N_("pacts.issue.partner_type"), {"partner": partner.name}))
        if not partner.role:
            add(Issue(f"{path}.role", N_("pacts.issue.partner_role"), {"partner": partner.name}))
        if partner.letter_document_id is None:
            add(Issue(f"{path}.letter_document_id", N_("pacts.issue.letter_missing"), {"partner": partner.name}))
        elif partner.letter_document_id not in docs:
            add(Issue(f"{path}.letter_document_id", N_("pacts.issue.letter_unknown"),
                      {"partner": partner.name, "id": partner.letter_document_id}))
    for code, n in sorted(seen_codes.items()):
        if n > 1:
            add(Issue("partners", N_("pacts.issue.partner_duplicate"), {"code": code}))
    named = [p for p in m.all_partners() if p.name or p.tax_code]
    if call is not None:
        if len(named) < call.min_partners:
            add(Issue("partners", N_("pacts.issue.min_partners"), {"min": call.min_partners, "count": len(named)}))
        present = {p.type for p in named}
        for needed in call.required_partner_types or []:
            if needed not in present:
                add(Issue("partners", N_("pacts.issue.partner_type_required"), {"type": needed}))

    # territory and sectors
    t = m.territory
    if not (t.comuni or t.provinces or t.nuts3):
        add(Issue("territory", N_("pacts.issue.territory_missing")))
    for j, code in enumerate(t.comuni):
        if not ISTAT_COMUNE.match(code):
            add(Issue(f"territory.comuni[{j}]", N_("pacts.issue.comune_invalid"), {"code": code}))
    for j, code in enumerate(t.provinces):
        if not SIGLA.match(code):
            add(Issue(f"territory.provinces[{j}]", N_("pacts.issue.province_invalid"), {"code": code}))
    for j, code in enumerate(t.nuts3):
        if not NUTS3.match(code):
            add(Issue(f"territory.nuts3[{j}]", N_("pacts.issue.nuts3_invalid"), {"code": code}))
        elif call is not None and call.territories and code not in call.territories:
            add(Issue(f"territory.nuts3[{j}]", N_("pacts.issue.territory_outside"),
                      {"code": code, "allowed": ", ".join(call.territories)}))
    if not m.sectors:
        add(Issue("sectors", N_("pacts.issue.sectors_missing")))
    for j, code in enumerate(m.sectors):
        if not ATECO.match(code):
            add(Issue(f"sectors[{j}]", N_("pacts.issue.ateco_invalid"), {"code": code}))
    if not m.needs.strip():
        add(Issue("needs", N_("pacts.issue.needs_missing")))

    # targets
    admitted = set(call.targets or TARGET_GROUPS) if call is not None else set(TARGET_GROUPS)
    if not m.targets:
        add(Issue("targets", N_("pacts.issue.targets_missing")))
    target_groups: Counter[str] = Counter()
    for j, target in enumerate(m.targets):
        target_groups[target.group] += 1
        if target.group not in TARGET_GROUPS or target.group not in admitted:
            add(Issue(f"targets[{j}].group", N_("pacts.issue.target_not_admitted"), {"group": target.group}))
        if target.number <= 0:
            add(Issue(f"targets[{j}].number", N_("pacts.issue.target_number"), {"group": target.group}))
    for group, n in sorted(target_groups.items()):
        if n > 1:
            add(Issue("targets", N_("pacts.issue.target_duplicate"), {"group": group}))

    # actions
    if not m.actions:
        add(Issue("actions", N_("pacts.issue.actions_missing")))
    codes: Counter[str] = Counter()
    planned: Counter[str] = Counter()
    for j, action in enumerate(m.actions):
        path = f"actions[{j}]"
        codes[action.code] += 1
        if not ACTION_CODE.match(action.code):
            add(Issue(f"{path}.code", N_("pacts.issue.action_code"), {"code": action.code}))
        if action.kind not in ACTION_KINDS:
            add(Issue(f"{path}.kind", N_("pacts.issue.action_kind"), {"code": action.code}))
        if not action.title:
            add(Issue(f"{path}.title", N_("pacts.issue.action_title"), {"code": action.code}))
        if action.course_id is None and not action.new_course:
            add(Issue(f"{path}.course_id", N_("pacts.issue.action_course_missing"), {"code": action.code}))
        elif action.course_id is not None and action.new_course:
            add(Issue(f"{path}.course_id", N_("pacts.issue.action_course_both"), {"code": action.code}))
        elif action.course_id is not None and course_exists is not None and not course_exists(action.course_id):
            add(Issue(f"{path}.course_id", N_("pacts.issue.action_course_unknown"),
                      {"code": action.code, "id": action.course_id}))
        if action.new_course and not action.skills:
            add(Issue(f"{path}.skills", N_("pacts.issue.action_skills_missing"), {"code": action.code}))
        for k, uri in enumerate(action.skills):
            if not ESCO_SKILL_URI.match(uri):
                add(Issue(f"{path}.skills[{k}]", N_("pacts.issue.action_skill_invalid"),
                          {"code": action.code, "uri": uri}))
        if action.target_group not in admitted:
            add(Issue(f"{path}.target_group", N_("pacts.issue.target_not_admitted"), {"group": action.target_group}))
        elif target_groups and action.target_group not in target_groups:
            add(Issue(f"{path}.target_group", N_("pacts.issue.action_target_unlisted"),
                      {"code": action.code, "group": action.target_group}))
        if action.participants <= 0:
            add(Issue(f"{path}.participants", N_("pacts.issue.action_participants"), {"code": action.code}))
        planned[action.target_group] += action.participants
    for code, n in sorted(codes.items()):
        if n > 1 and code:
            add(Issue("actions", N_("pacts.issue.action_duplicate"), {"code": code}))
    for j, target in enumerate(m.targets):
        if target.number > 0 and planned.get(target.group, 0) < target.number and target_groups[target.group] == 1:
            add(Issue(f"targets[{j}].number", N_("pacts.issue.target_uncovered"),
                      {"group": target.group, "number": target.number, "planned": planned.get(target.group, 0)}))

    # impacts
    if not m.impacts:
        add(Issue("impacts", N_("pacts.issue.impacts_missing")))
    for j, impact in enumerate(m.impacts):
        path = f"impacts[{j}]"
        if not impact.indicator:
            add(Issue(f"{path}.indicator", N_("pacts.issue.impact_indicator")))
        if not impact.unit:
            add(Issue(f"{path}.unit", N_("pacts.issue.impact_unit"), {"indicator": impact.indicator}))
        if impact.baseline is None or impact.target is None:
            add(Issue(f"{path}.target", N_("pacts.issue.impact_values"), {"indicator": impact.indicator}))
        elif (impact.target <= impact.baseline if impact.direction == "increase"
              else impact.target >= impact.baseline):
            add(Issue(f"{path}.target", N_("pacts.issue.impact_not_better"),
                      {"indicator": impact.indicator, "baseline": impact.baseline, "target": impact.target}))

    # funding
    total = Decimal(0)
    for source, amount in sorted(m.requested.items()):
        if source not in PUBLIC_SOURCES:
            add(Issue(f"requested.{source}", N_("pacts.issue.source_unknown"), {"source": source}))
            continue
        if amount < 0:
            add(Issue(f"requested.{source}", N_("pacts.issue.amount_negative"), {"source": source}))
            continue
        envelope = _money((call.budget or {}).get(source, 0)) if call is not None else None
        if amount > 0 and envelope is not None and envelope <= 0:
            add(Issue(f"requested.{source}", N_("pacts.issue.source_not_in_call"), {"source": source}))
        total += amount
    if total <= 0:
        add(Issue("requested", N_("pacts.issue.requested_missing")))
    elif call is not None and call.max_grant is not None and total > call.max_grant:
        add(Issue("requested", N_("pacts.issue.requested_over_max"),
                  {"total": f"{total:.2f}", "maximum": f"{call.max_grant:.2f}"}))
    return issues


def sample(*, lead: tuple[str, str, str], partners: Iterable[tuple[str, str, str]], letters: dict[str, int],
           nuts3: str, sector: str = "C", course_id: int | None = None, skills: Iterable[str] = (),
           target_group: str = "unemployed", participants: int = 20,
           requested: Decimal | Mapping[str, Decimal] = Decimal("100000"), source: str = "regional") -> dict[str, Any]:
    """A complete manifestation (for demo data and tests): ``lead``/``partners`` are (name, tax code, type);
    ``letters`` maps tax codes to uploaded document ids; ``requested`` an amount of ``source`` or an amount per
    source."""
    by_source = requested if isinstance(requested, Mapping) else {source: requested}

    def partner(name: str, code: str, kind: str, role: str) -> dict[str, Any]:
        return {"name": name, "tax_code": code, "type": kind, "role": role, "letter_document_id": letters.get(code)}

    actions: list[dict[str, Any]] = [{"code": "A1", "kind": "training", "title": "Percorso di formazione tecnica",
                                      "course_id": course_id, "new_course": course_id is None,
                                      "skills": list(skills), "target_group": target_group,
                                      "participants": participants}]
    actions.append({"code": "A2", "kind": "placement", "title": "Accompagnamento al lavoro",
                    "new_course": True, "skills": list(skills) or
                    ["http://data.europa.eu/esco/skill/00000000-0000-0000-0000-000000000001"],
                    "target_group": target_group, "participants": participants})
    if course_id is None and not actions[0]["skills"]:
        actions[0]["skills"] = actions[1]["skills"]
    return {
        "lead": partner(*lead, "capofila"),
        "partners": [partner(*p, "partner") for p in partners],
        "territory": {"comuni": [], "provinces": [], "nuts3": [nuts3]},
        "sectors": [sector],
        "needs": "Le imprese del territorio cercano tecnici qualificati che non trovano.",
        "actions": actions,
        "targets": [{"group": target_group, "number": participants}],
        "impacts": [{"indicator": "Tasso di occupazione dei partecipanti", "unit": "%", "baseline": "40",
                     "target": "60", "direction": "increase"}],
        "requested": {name: str(amount) for name, amount in by_source.items()},
        "summary": "",
    }
