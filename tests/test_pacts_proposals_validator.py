"""Property tests of the manifestation validator: any complete manifestation has no issues, and each
injected defect produces its own issue (the validator lists everything, it does not stop at the first)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import luhn

from regia.pacts.manifestation import ACTION_KINDS, PARTNER_TYPES, Issue, parse, validate
from regia.pacts.models import Call

CALL = Call(id=1, code="T", title="T", opens_at=datetime(2027, 1, 1, tzinfo=UTC),
            manifestation_deadline=datetime(2027, 2, 28, tzinfo=UTC),
            evaluation_deadline=datetime(2027, 4, 1, tzinfo=UTC), programme_deadline=datetime(2027, 6, 1, tzinfo=UTC),
            ends_on=date(2029, 12, 31), territories=["ITC46", "ITC47", "ITC4C"],
            required_partner_types=["cciaa", "education"], min_partners=3,
            targets=["students", "unemployed", "suspended_workers"], grid=[], budget={"regional": "1000000.00",
                                                                                      "fse_plus": "500000.00"},
            max_grant=Decimal("300000"))
COURSES = {11, 12, 13}
SKILL = "http://data.europa.eu/esco/skill/{:08x}-0000-4000-8000-000000000000"


@dataclass
class Doc:
    id: int
    partner_tax_code: str | None = None


def _tax_code(n: int) -> str:
    base = f"{n % 10_000_000:07d}{n % 100 + 1:03d}"  # company number, then a valid office code (001-100)
    return base + luhn.calc_check_digit(base)


text = st.text(st.characters(categories=("L", "N", "Zs"), max_codepoint=0x24F), min_size=1,
               max_size=40).map(str.strip).filter(bool)


@st.composite
def manifestations(draw: st.DrawFn) -> tuple[dict[str, Any], list[Doc]]:
    n_partners = draw(st.integers(CALL.min_partners, CALL.min_partners + 3))
    numbers = draw(st.lists(st.integers(1_000_000, 9_999_999), min_size=n_partners, max_size=n_partners,
                            unique=True))
    types = list(CALL.required_partner_types) + draw(st.lists(st.sampled_from(PARTNER_TYPES),
                                                              min_size=n_partners - 2, max_size=n_partners - 2))
    types = draw(st.permutations(types))
    partners = [{"name": draw(text), "tax_code": _tax_code(n), "type": kind, "role": draw(text),
                 "letter_document_id": i + 1} for i, (n, kind) in enumerate(zip(numbers, types, strict=True))]
    docs = [Doc(i + 1, p["tax_code"]) for i, p in enumerate(partners)]
    groups = draw(st.lists(st.sampled_from(CALL.targets), min_size=1, max_size=3, unique=True))
    targets = [{"group": g, "number": draw(st.integers(1, 500))} for g in groups]
    actions = []
    for target in targets:
        for k in range(draw(st.integers(1, 2))):
            new = draw(st.booleans())
            actions.append({
                "code": f"A{len(actions) + 1}", "kind": draw(st.sampled_from(ACTION_KINDS)), "title": draw(text),
                "course_id": None if new else draw(st.sampled_from(sorted(COURSES))), "new_course": new,
                "skills": [SKILL.format(draw(st.integers(0, 2**32 - 1)))] if new else [],
                "target_group": target["group"],
                "participants": target["number"] if k == 0 else draw(st.integers(1, 100))})
    impacts = []
    for _ in range(draw(st.integers(1, 3))):
        baseline = draw(st.decimals(0, 1000, places=1))
        step = draw(st.decimals("0.1", 100, places=1))
        direction = draw(st.sampled_from(["increase", "decrease"]))
        impacts.append({"indicator": draw(text), "unit": "%", "baseline": str(baseline),
                        "target": str(baseline + step if direction == "increase" else baseline - step),
                        "direction": direction})
    regional = draw(st.decimals(1, 200_000, places=2))
    body = {"lead": partners[0], "partners": partners[1:],
            "territory": {"nuts3": draw(st.lists(st.sampled_from(CALL.territories), min_size=1, unique=True)),
                          "provinces": [], "comuni": draw(st.lists(st.from_regex(r"\A0\d{5}\Z"), max_size=3))},
            "sectors": draw(st.lists(st.sampled_from(["C", "25", "25.62", "F", "43.2"]), min_size=1, unique=True)),
            "needs": draw(text), "actions": actions, "targets": targets, "impacts": impacts,
            "requested": {"regional": str(regional),
                          "fse_plus": str(draw(st.decimals(0, 100_000, places=2)))}}
    return body, docs


def _issues(body: dict[str, Any], docs: list[Doc]) -> list[Issue]:
    return validate(CALL, "Titolo", body, docs, course_exists=lambda i: i in COURSES)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(manifestations())
def test_complete_manifestations_have_no_issues(case: tuple[dict[str, Any], list[Doc]]) -> None:
    body, docs = case
    assert parse(body)[1] == []
    assert _issues(body, docs) == []


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(body: dict[str, Any]) -> None:
        node: Any = body
        *parents, last = path.split(".")
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return apply


def _drop_partners(body: dict[str, Any]) -> None:
    body["partners"] = body["partners"][: CALL.min_partners - 2]


def _drop_type(kind: str) -> Callable[[dict[str, Any]], None]:
    def apply(body: dict[str, Any]) -> None:
        for p in [body["lead"], *body["partners"]]:
            if p["type"] == kind:
                p["type"] = "bank_foundation"
    return apply


def _duplicate_action(body: dict[str, Any]) -> None:
    body["actions"].append(copy.deepcopy(body["actions"][0]))


def _duplicate_partner(body: dict[str, Any]) -> None:
    body["partners"][0]["tax_code"] = body["lead"]["tax_code"]


def _over_max(body: dict[str, Any]) -> None:
    body["requested"] = {"regional": "250000", "fse_plus": "100000"}


def _worse_impact(body: dict[str, Any]) -> None:
    impact = body["impacts"][0]
    impact["target"] = impact["baseline"]


DEFECTS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "few partners": (_drop_partners, "pacts.issue.min_partners"),
    "no cciaa": (_drop_type("cciaa"), "pacts.issue.partner_type_required"),
    "no school": (_drop_type("education"), "pacts.issue.partner_type_required"),
    "partner without letter": (_set("partners.0.letter_document_id", None), "pacts.issue.letter_missing"),
    "letter not uploaded": (_set("lead.letter_document_id", 999), "pacts.issue.letter_unknown"),
    "bad tax code": (_set("lead.tax_code", "12345678901"), "pacts.issue.partner_tax_code_invalid"),
    "duplicate partner": (_duplicate_partner, "pacts.issue.partner_duplicate"),
    "territory outside": (_set("territory.nuts3", ["ITC41"]), "pacts.issue.territory_outside"),
    "bad comune": (_set("territory.comuni", ["12AB"]), "pacts.issue.comune_invalid"),
    "bad ateco": (_set("sectors", ["ZZ"]), "pacts.issue.ateco_invalid"),
    "no needs": (_set("needs", ""), "pacts.issue.needs_missing"),
    "target not admitted": (_set("targets.0.group", "employed"), "pacts.issue.target_not_admitted"),
    "action target not admitted": (_set("actions.0.target_group", "foreign_workers"),
                                   "pacts.issue.target_not_admitted"),
    "impact not better": (_worse_impact, "pacts.issue.impact_not_better"),
    "over max grant": (_over_max, "pacts.issue.requested_over_max"),
    "no funding": (_set("requested", {}), "pacts.issue.requested_missing"),
    "cofinancing is not asked": (_set("requested", {"cofinancing": "10"}), "pacts.issue.source_unknown"),
    "source outside the call": (_set("requested", {"fund": "10"}), "pacts.issue.source_not_in_call"),
    "unknown course": (_set("actions.0.course_id", 404), "pacts.issue.action_course_unknown"),
    "duplicate action": (_duplicate_action, "pacts.issue.action_duplicate"),
    "bad action kind": (_set("actions.0.kind", "party"), "pacts.issue.action_kind"),
    "no participants": (_set("actions.0.participants", 0), "pacts.issue.action_participants"),
    "no actions": (_set("actions", []), "pacts.issue.actions_missing"),
    "skill not ESCO": (_set("actions.0.skills", ["saldatura"]), "pacts.issue.action_skill_invalid"),
    "no title": (_set("actions.0.title", ""), "pacts.issue.action_title"),
}


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(manifestations(), st.sampled_from(sorted(DEFECTS)))
def test_each_defect_produces_its_issue(case: tuple[dict[str, Any], list[Doc]], defect: str) -> None:
    body, docs = copy.deepcopy(case[0]), case[1]
    inject, key = DEFECTS[defect]
    if defect == "unknown course" and body["actions"][0]["new_course"]:
        body["actions"][0].update(new_course=False, skills=[])
    inject(body)
    keys = [i.key for i in _issues(body, docs)]
    assert key in keys, (defect, keys)
    assert all(i.text("it") and i.text("en") and "{" not in i.text("it") for i in _issues(body, docs))


@settings(max_examples=60, deadline=None)
@given(manifestations(), st.lists(st.sampled_from(sorted(DEFECTS)), min_size=2, max_size=4, unique=True))
def test_several_defects_are_all_listed(case: tuple[dict[str, Any], list[Doc]], defects: list[str]) -> None:
    independent = {"few partners", "bad comune", "bad ateco", "no needs", "impact not better", "no title",
                   "letter not uploaded"}
    chosen = [d for d in defects if d in independent]
    body = copy.deepcopy(case[0])
    for d in chosen:
        DEFECTS[d][0](body)
    keys = {i.key for i in _issues(body, case[1])}
    assert {DEFECTS[d][1] for d in chosen} <= keys


def test_an_empty_draft_lists_every_section() -> None:
    keys = {i.key for i in validate(CALL, "", {}, [])}
    assert keys >= {"pacts.issue.title_missing", "pacts.issue.partner_name", "pacts.issue.letter_missing",
                    "pacts.issue.min_partners", "pacts.issue.partner_type_required",
                    "pacts.issue.territory_missing", "pacts.issue.sectors_missing", "pacts.issue.needs_missing",
                    "pacts.issue.targets_missing", "pacts.issue.actions_missing", "pacts.issue.impacts_missing",
                    "pacts.issue.requested_missing"}
    assert {i.key for i in validate(None, "x", {}, [])} >= {"pacts.issue.no_call"}
    malformed = validate(CALL, "x", {"actions": "tante"}, [])
    assert malformed[0].key == "pacts.issue.malformed" and malformed[0].path == "actions"
