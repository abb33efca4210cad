"""The *manifestazione di interesse*: its shape (:class:`Manifestation`, stored in ``Proposal.body``) and the
validator that lists **every** missing or inconsistent item before submission (:func:`validate`).

A draft may be incomplete: the schema accepts empty sections, and :func:`validate` says what is missing. Each
:class:`Issue` has the path of the field (``partners[1].letter_document_id``), a message key (translated in
:data:`MESSAGES`, Italian and English) and the values the message shows.
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
    key: str  # "pacts.issue.<code>", translated in MESSAGES
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str = "it") -> str:
        template = MESSAGES.get(lang, MESSAGES["en"]).get(self.key, self.key)
        try:
            return template.format(**self.params)
        except (KeyError, IndexError):
            return template

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "key": self.key, "params": self.params, "message": self.text("en"),
                "messaggio": self.text("it")}


def parse(body: dict[str, Any]) -> tuple[Manifestation, list[Issue]]:
    """The manifestation in ``body``; shapes it cannot read become issues (and the empty default)."""
    try:
        return Manifestation.model_validate(body or {}), []
    except ValidationError as exc:
        issues = [Issue(".".join(str(p) for p in err["loc"]) or "body", "pacts.issue.malformed",
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
        add(Issue("title", "pacts.issue.title_missing"))
    if call is None:
        add(Issue("call_id", "pacts.issue.no_call"))
    docs = {d.id: d for d in documents}

    # partners
    seen_codes: Counter[str] = Counter()
    for i, (partner, path) in enumerate(
            [(m.lead, "lead")] + [(p, f"partners[{j}]") for j, p in enumerate(m.partners)]):
        del i
        if not partner.name:
            add(Issue(f"{path}.name", "pacts.issue.partner_name"))
        if not partner.tax_code:
            add(Issue(f"{path}.tax_code", "pacts.issue.partner_tax_code_missing", {"partner": partner.name}))
        elif not _tax_code_ok(partner.tax_code, partner.type):
            add(Issue(f"{path}.tax_code", "pacts.issue.partner_tax_code_invalid",
                      {"partner": partner.name, "code": partner.tax_code}))
        else:
            seen_codes[codicefiscale.compact(partner.tax_code)] += 1
        if partner.type not in PARTNER_TYPES:
            add(Issue(f"{path}.type", "pacts.issue.partner_type", {"partner": partner.name}))
        if not partner.role:
            add(Issue(f"{path}.role", "pacts.issue.partner_role", {"partner": partner.name}))
        if partner.letter_document_id is None:
            add(Issue(f"{path}.letter_document_id", "pacts.issue.letter_missing", {"partner": partner.name}))
        elif partner.letter_document_id not in docs:
            add(Issue(f"{path}.letter_document_id", "pacts.issue.letter_unknown",
                      {"partner": partner.name, "id": partner.letter_document_id}))
    for code, n in sorted(seen_codes.items()):
        if n > 1:
            add(Issue("partners", "pacts.issue.partner_duplicate", {"code": code}))
    named = [p for p in m.all_partners() if p.name or p.tax_code]
    if call is not None:
        if len(named) < call.min_partners:
            add(Issue("partners", "pacts.issue.min_partners", {"min": call.min_partners, "count": len(named)}))
        present = {p.type for p in named}
        for needed in call.required_partner_types or []:
            if needed not in present:
                add(Issue("partners", "pacts.issue.partner_type_required", {"type": needed}))

    # territory and sectors
    t = m.territory
    if not (t.comuni or t.provinces or t.nuts3):
        add(Issue("territory", "pacts.issue.territory_missing"))
    for j, code in enumerate(t.comuni):
        if not ISTAT_COMUNE.match(code):
            add(Issue(f"territory.comuni[{j}]", "pacts.issue.comune_invalid", {"code": code}))
    for j, code in enumerate(t.provinces):
        if not SIGLA.match(code):
            add(Issue(f"territory.provinces[{j}]", "pacts.issue.province_invalid", {"code": code}))
    for j, code in enumerate(t.nuts3):
        if not NUTS3.match(code):
            add(Issue(f"territory.nuts3[{j}]", "pacts.issue.nuts3_invalid", {"code": code}))
        elif call is not None and call.territories and code not in call.territories:
            add(Issue(f"territory.nuts3[{j}]", "pacts.issue.territory_outside",
                      {"code": code, "allowed": ", ".join(call.territories)}))
    if not m.sectors:
        add(Issue("sectors", "pacts.issue.sectors_missing"))
    for j, code in enumerate(m.sectors):
        if not ATECO.match(code):
            add(Issue(f"sectors[{j}]", "pacts.issue.ateco_invalid", {"code": code}))
    if not m.needs.strip():
        add(Issue("needs", "pacts.issue.needs_missing"))

    # targets
    admitted = set(call.targets or TARGET_GROUPS) if call is not None else set(TARGET_GROUPS)
    if not m.targets:
        add(Issue("targets", "pacts.issue.targets_missing"))
    target_groups: Counter[str] = Counter()
    for j, target in enumerate(m.targets):
        target_groups[target.group] += 1
        if target.group not in TARGET_GROUPS or target.group not in admitted:
            add(Issue(f"targets[{j}].group", "pacts.issue.target_not_admitted", {"group": target.group}))
        if target.number <= 0:
            add(Issue(f"targets[{j}].number", "pacts.issue.target_number", {"group": target.group}))
    for group, n in sorted(target_groups.items()):
        if n > 1:
            add(Issue("targets", "pacts.issue.target_duplicate", {"group": group}))

    # actions
    if not m.actions:
        add(Issue("actions", "pacts.issue.actions_missing"))
    codes: Counter[str] = Counter()
    planned: Counter[str] = Counter()
    for j, action in enumerate(m.actions):
        path = f"actions[{j}]"
        codes[action.code] += 1
        if not ACTION_CODE.match(action.code):
            add(Issue(f"{path}.code", "pacts.issue.action_code", {"code": action.code}))
        if action.kind not in ACTION_KINDS:
            add(Issue(f"{path}.kind", "pacts.issue.action_kind", {"code": action.code}))
        if not action.title:
            add(Issue(f"{path}.title", "pacts.issue.action_title", {"code": action.code}))
        if action.course_id is None and not action.new_course:
            add(Issue(f"{path}.course_id", "pacts.issue.action_course_missing", {"code": action.code}))
        elif action.course_id is not None and action.new_course:
            add(Issue(f"{path}.course_id", "pacts.issue.action_course_both", {"code": action.code}))
        elif action.course_id is not None and course_exists is not None and not course_exists(action.course_id):
            add(Issue(f"{path}.course_id", "pacts.issue.action_course_unknown",
                      {"code": action.code, "id": action.course_id}))
        if action.new_course and not action.skills:
            add(Issue(f"{path}.skills", "pacts.issue.action_skills_missing", {"code": action.code}))
        for k, uri in enumerate(action.skills):
            if not ESCO_SKILL_URI.match(uri):
                add(Issue(f"{path}.skills[{k}]", "pacts.issue.action_skill_invalid",
                          {"code": action.code, "uri": uri}))
        if action.target_group not in admitted:
            add(Issue(f"{path}.target_group", "pacts.issue.target_not_admitted", {"group": action.target_group}))
        elif target_groups and action.target_group not in target_groups:
            add(Issue(f"{path}.target_group", "pacts.issue.action_target_unlisted",
                      {"code": action.code, "group": action.target_group}))
        if action.participants <= 0:
            add(Issue(f"{path}.participants", "pacts.issue.action_participants", {"code": action.code}))
        planned[action.target_group] += action.participants
    for code, n in sorted(codes.items()):
        if n > 1 and code:
            add(Issue("actions", "pacts.issue.action_duplicate", {"code": code}))
    for j, target in enumerate(m.targets):
        if target.number > 0 and planned.get(target.group, 0) < target.number and target_groups[target.group] == 1:
            add(Issue(f"targets[{j}].number", "pacts.issue.target_uncovered",
                      {"group": target.group, "number": target.number, "planned": planned.get(target.group, 0)}))

    # impacts
    if not m.impacts:
        add(Issue("impacts", "pacts.issue.impacts_missing"))
    for j, impact in enumerate(m.impacts):
        path = f"impacts[{j}]"
        if not impact.indicator:
            add(Issue(f"{path}.indicator", "pacts.issue.impact_indicator"))
        if not impact.unit:
            add(Issue(f"{path}.unit", "pacts.issue.impact_unit", {"indicator": impact.indicator}))
        if impact.baseline is None or impact.target is None:
            add(Issue(f"{path}.target", "pacts.issue.impact_values", {"indicator": impact.indicator}))
        elif (impact.target <= impact.baseline if impact.direction == "increase"
              else impact.target >= impact.baseline):
            add(Issue(f"{path}.target", "pacts.issue.impact_not_better",
                      {"indicator": impact.indicator, "baseline": impact.baseline, "target": impact.target}))

    # funding
    total = Decimal(0)
    for source, amount in sorted(m.requested.items()):
        if source not in PUBLIC_SOURCES:
            add(Issue(f"requested.{source}", "pacts.issue.source_unknown", {"source": source}))
            continue
        if amount < 0:
            add(Issue(f"requested.{source}", "pacts.issue.amount_negative", {"source": source}))
            continue
        envelope = _money((call.budget or {}).get(source, 0)) if call is not None else None
        if amount > 0 and envelope is not None and envelope <= 0:
            add(Issue(f"requested.{source}", "pacts.issue.source_not_in_call", {"source": source}))
        total += amount
    if total <= 0:
        add(Issue("requested", "pacts.issue.requested_missing"))
    elif call is not None and call.max_grant is not None and total > call.max_grant:
        add(Issue("requested", "pacts.issue.requested_over_max",
                  {"total": f"{total:.2f}", "max": f"{call.max_grant:.2f}"}))
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


MESSAGES: dict[str, dict[str, str]] = {
    "it": {
        "pacts.issue.malformed": "Dato non leggibile: {detail}.",
        "pacts.issue.title_missing": "Manca il titolo della proposta.",
        "pacts.issue.no_call": "La proposta non è legata a un avviso.",
        "pacts.issue.partner_name": "Manca il nome di un partner.",
        "pacts.issue.partner_tax_code_missing": "Manca il codice fiscale del partner «{partner}».",
        "pacts.issue.partner_tax_code_invalid": "Il codice fiscale «{code}» del partner «{partner}» non è valido.",
        "pacts.issue.partner_type": "Indica la tipologia del partner «{partner}».",
        "pacts.issue.partner_role": "Indica il ruolo del partner «{partner}».",
        "pacts.issue.letter_missing": "Manca la lettera di impegno del partner «{partner}».",
        "pacts.issue.letter_unknown": "La lettera di impegno del partner «{partner}» (documento {id}) non è "
                                      "tra i documenti caricati.",
        "pacts.issue.partner_duplicate": "Il codice fiscale {code} compare più volte tra i partner.",
        "pacts.issue.min_partners": "Il partenariato ha {count} partner: l'avviso ne chiede almeno {min}.",
        "pacts.issue.partner_type_required": "L'avviso chiede un partner di tipo «{type}».",
        "pacts.issue.territory_missing": "Indica il territorio di intervento.",
        "pacts.issue.comune_invalid": "Il codice ISTAT di comune «{code}» non è valido (6 cifre).",
        "pacts.issue.province_invalid": "La sigla di provincia «{code}» non è valida.",
        "pacts.issue.nuts3_invalid": "Il codice NUTS3 «{code}» non è valido.",
        "pacts.issue.territory_outside": "Il territorio {code} non è ammesso dall'avviso ({allowed}).",
        "pacts.issue.sectors_missing": "Indica almeno un settore (codice ATECO).",
        "pacts.issue.ateco_invalid": "Il codice ATECO «{code}» non è valido.",
        "pacts.issue.needs_missing": "Descrivi le esigenze del contesto di intervento.",
        "pacts.issue.targets_missing": "Indica i destinatari con il loro numero.",
        "pacts.issue.target_not_admitted": "I destinatari «{group}» non sono ammessi dall'avviso.",
        "pacts.issue.target_number": "Indica quanti destinatari «{group}» prevedi.",
        "pacts.issue.target_duplicate": "I destinatari «{group}» compaiono più volte.",
        "pacts.issue.target_uncovered": "Prevedi {number} destinatari «{group}» ma le azioni ne coinvolgono "
                                        "{planned}.",
        "pacts.issue.actions_missing": "Indica almeno un'azione prevista.",
        "pacts.issue.action_code": "Il codice d'azione «{code}» non è valido (A1, A2, …).",
        "pacts.issue.action_kind": "Indica il tipo dell'azione {code}.",
        "pacts.issue.action_title": "Manca il titolo dell'azione {code}.",
        "pacts.issue.action_course_missing": "L'azione {code} deve indicare un corso del catalogo o un nuovo "
                                             "corso.",
        "pacts.issue.action_course_both": "L'azione {code} indica sia un corso del catalogo sia un nuovo corso.",
        "pacts.issue.action_course_unknown": "Il corso {id} dell'azione {code} non esiste nel catalogo.",
        "pacts.issue.action_skills_missing": "Il nuovo corso dell'azione {code} deve indicare le competenze "
                                             "ESCO.",
        "pacts.issue.action_skill_invalid": "La competenza «{uri}» dell'azione {code} non è un URI ESCO.",
        "pacts.issue.action_target_unlisted": "I destinatari «{group}» dell'azione {code} non sono tra i "
                                              "destinatari indicati.",
        "pacts.issue.action_participants": "Indica i partecipanti previsti dell'azione {code}.",
        "pacts.issue.action_duplicate": "Il codice d'azione {code} è ripetuto.",
        "pacts.issue.impacts_missing": "Indica almeno un indicatore di impatto.",
        "pacts.issue.impact_indicator": "Manca il nome di un indicatore di impatto.",
        "pacts.issue.impact_unit": "Manca l'unità di misura dell'indicatore «{indicator}».",
        "pacts.issue.impact_values": "Indica valore di partenza e obiettivo dell'indicatore «{indicator}».",
        "pacts.issue.impact_not_better": "L'obiettivo ({target}) dell'indicatore «{indicator}» non migliora il "
                                         "valore di partenza ({baseline}).",
        "pacts.issue.source_unknown": "Fonte di finanziamento sconosciuta: {source}.",
        "pacts.issue.amount_negative": "L'importo richiesto su {source} è negativo.",
        "pacts.issue.source_not_in_call": "L'avviso non ha risorse sulla fonte {source}.",
        "pacts.issue.requested_missing": "Indica il contributo richiesto.",
        "pacts.issue.requested_over_max": "Il contributo richiesto ({total} €) supera il massimo dell'avviso "
                                          "({max} €).",
    },
    "en": {
        "pacts.issue.malformed": "Unreadable value: {detail}.",
        "pacts.issue.title_missing": "The proposal has no title.",
        "pacts.issue.no_call": "The proposal is not under a call.",
        "pacts.issue.partner_name": "A partner has no name.",
        "pacts.issue.partner_tax_code_missing": "Partner “{partner}” has no codice fiscale.",
        "pacts.issue.partner_tax_code_invalid": "The codice fiscale “{code}” of partner “{partner}” is invalid.",
        "pacts.issue.partner_type": "Give the type of partner “{partner}”.",
        "pacts.issue.partner_role": "Give the role of partner “{partner}”.",
        "pacts.issue.letter_missing": "Partner “{partner}” has no letter of commitment.",
        "pacts.issue.letter_unknown": "The letter of commitment of partner “{partner}” (document {id}) is not "
                                      "among the uploaded documents.",
        "pacts.issue.partner_duplicate": "Codice fiscale {code} appears more than once among the partners.",
        "pacts.issue.min_partners": "The partnership has {count} partners: the call asks for at least {min}.",
        "pacts.issue.partner_type_required": "The call requires a partner of type “{type}”.",
        "pacts.issue.territory_missing": "Give the territory of the pact.",
        "pacts.issue.comune_invalid": "ISTAT comune code “{code}” is invalid (6 digits).",
        "pacts.issue.province_invalid": "Province sigla “{code}” is invalid.",
        "pacts.issue.nuts3_invalid": "NUTS3 code “{code}” is invalid.",
        "pacts.issue.territory_outside": "Territory {code} is not eligible under the call ({allowed}).",
        "pacts.issue.sectors_missing": "Give at least one sector (ATECO code).",
        "pacts.issue.ateco_invalid": "ATECO code “{code}” is invalid.",
        "pacts.issue.needs_missing": "Describe the needs of the context.",
        "pacts.issue.targets_missing": "Give the target groups with their numbers.",
        "pacts.issue.target_not_admitted": "Target group “{group}” is not admitted by the call.",
        "pacts.issue.target_number": "Give how many “{group}” you plan to reach.",
        "pacts.issue.target_duplicate": "Target group “{group}” appears more than once.",
        "pacts.issue.target_uncovered": "You plan {number} “{group}” but the actions involve {planned}.",
        "pacts.issue.actions_missing": "Give at least one planned action.",
        "pacts.issue.action_code": "Action code “{code}” is invalid (A1, A2, …).",
        "pacts.issue.action_kind": "Give the kind of action {code}.",
        "pacts.issue.action_title": "Action {code} has no title.",
        "pacts.issue.action_course_missing": "Action {code} must name a catalogue course or a new course.",
        "pacts.issue.action_course_both": "Action {code} names both a catalogue course and a new course.",
        "pacts.issue.action_course_unknown": "Course {id} of action {code} is not in the catalogue.",
        "pacts.issue.action_skills_missing": "The new course of action {code} must list its ESCO skills.",
        "pacts.issue.action_skill_invalid": "Skill “{uri}” of action {code} is not an ESCO URI.",
        "pacts.issue.action_target_unlisted": "Target group “{group}” of action {code} is not among the targets.",
        "pacts.issue.action_participants": "Give the planned participants of action {code}.",
        "pacts.issue.action_duplicate": "Action code {code} is repeated.",
        "pacts.issue.impacts_missing": "Give at least one impact indicator.",
        "pacts.issue.impact_indicator": "An impact indicator has no name.",
        "pacts.issue.impact_unit": "Indicator “{indicator}” has no unit.",
        "pacts.issue.impact_values": "Give the baseline and the target of indicator “{indicator}”.",
        "pacts.issue.impact_not_better": "The target ({target}) of indicator “{indicator}” is not better than "
                                         "its baseline ({baseline}).",
        "pacts.issue.source_unknown": "Unknown funding source: {source}.",
        "pacts.issue.amount_negative": "The amount asked from {source} is negative.",
        "pacts.issue.source_not_in_call": "The call has no envelope for {source}.",
        "pacts.issue.requested_missing": "Give the funding you ask for.",
        "pacts.issue.requested_over_max": "The funding asked ({total} €) exceeds the call's maximum ({max} €).",
    },
}
