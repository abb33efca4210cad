"""The programming pages under ``/programming`` (Italian first, English with ``?lang=en``).

- ``/programming`` — the agreements the user may read, and the way to everything else;
- ``/programming/agreements/new`` and ``/programming/agreements/{id}`` — an agreement: the draft's form (the Region
  all of it, the Fund its commitments), status, amendments, documents, plans;
- ``/programming/plans/{id}`` — lines and tranches; a broken rule is shown next to its line;
- ``/programming/scenarios``, ``/programming/scenarios/{id}``, ``/programming/compare`` — scenarios built from
  Regia's data or imported, their optimisation, the comparison with the status quo (Vega-Lite charts and a
  Leaflet map), and the step that turns one into a plan's tranches;
- ``/programming/cabina`` — the Cabina di regia across the Funds and the Region.

Forms work without JavaScript (Post/Redirect/Get).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from regia.auth.errors import DomainError, Forbidden, InvalidInput
from regia.auth.policy import READ, WRITE, Resource, can, require
from regia.auth.principal import Principal
from regia.clock import rome_today
from regia.db import request_session
from regia.i18n import N_, gettext
from regia.programming import cabina, scenarios, service, states
from regia.programming.models import AREAS, CHANNELS, TARGETS, FundingSource, Plan
from regia.programming.scenario import ScenarioError

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
NAV = [("programming", "programming_page", N_("nav.programming"))]
router = APIRouter(prefix="/programming")
SessionDep = Annotated[Session, Depends(request_session)]
Reader = Annotated[Principal, Depends(require(READ, Resource.PROGRAMMING))]
Writer = Annotated[Principal, Depends(require(WRITE, Resource.PROGRAMMING))]
Analyst = Annotated[Principal, Depends(require(READ, Resource.PROGRAMMING_SCENARIO))]
Planner = Annotated[Principal, Depends(require(WRITE, Resource.PROGRAMMING_SCENARIO))]
MAX_ROWS = 300
Id = Annotated[int, PathParam(ge=1, le=2_147_483_647)]


def _lang(request: Request) -> str:
    return "en" if getattr(request.state, "lang", "it") == "en" else "it"


def _render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return request.app.state.templates.TemplateResponse(
        request, f"programming/{name}", {"nav": "programming", **context}, status_code=status_code)


def _redirect(request: Request, name: str, query: str = "", **params: Any) -> RedirectResponse:
    target = str(request.app.url_path_for(name, **{k: str(v) for k, v in params.items()}))
    return RedirectResponse(f"{target}?{query}" if query else target, status_code=303)


def _error(request: Request, exc: DomainError) -> str:
    if exc.key:
        try:
            return gettext(exc.key, _lang(request), **exc.params)
        except (KeyError, ValueError, TypeError):
            pass
    return exc.detail


def _needs(request: Request) -> Any:
    return getattr(request.app.state, "programming_needs", None) or (lambda provinces: {})


# --- agreements ------------------------------------------------------------------------------------------------

@router.get("", response_class=HTMLResponse, name="programming_page")
def index(request: Request, session: SessionDep, principal: Reader, saved: bool = False) -> Response:
    return _index(request, session, principal, saved=saved)


def _index(request: Request, session: Session, principal: Principal, *, saved: bool = False,
           error: str | None = None, status_code: int = 200) -> Response:
    agreements = service.list_agreements(session, principal=principal)
    names = {f.id: f.name for f in cabina.fund_choices(session)}
    return _render(request, "index.html", {
        "agreements": agreements, "fund_names": names, "region": service.region_staff(principal),
        "analyst": can(principal, READ, Resource.PROGRAMMING_SCENARIO), "saved": saved, "error": error,
        "sources": service.list_sources(session, principal=principal), "targets": TARGETS,
        "years": (2026, 2027, 2028), "csrf_token": principal.csrf or ""}, status_code)


@router.post("/sources/{source_id}", response_class=HTMLResponse, name="programming_source_save")
async def source_save(request: Request, source_id: Id, session: SessionDep, principal: Writer) -> Response:
    """The Region edits a source's eligibility rule (the target groups it may fund) and its envelopes."""
    form = await request.form()
    envelopes = {int(k.rsplit("-", 1)[1]): str(v) for k, v in form.items()
                 if k.startswith("envelope-") and k.rsplit("-", 1)[1].isdigit() and str(v).strip()}
    try:
        service.update_source(session, actor=principal, id=source_id, targets=form.getlist("targets"),
                              envelopes=envelopes)
    except DomainError as exc:
        session.rollback()
        return _index(request, session, principal, error=_error(request, exc), status_code=exc.status)
    session.commit()
    return _redirect(request, "programming_page", "saved=true")


def _agreement_form(form: Any) -> dict[str, Any]:
    signatories = []
    for n in range(6):
        name = str(form.get(f"sig-{n}-name") or "").strip()
        if name:
            signatories.append({"name": name, "role": str(form.get(f"sig-{n}-role") or ""),
                                "party": str(form.get(f"sig-{n}-party") or ""),
                                "signed_on": str(form.get(f"sig-{n}-signed_on") or "") or None})
    return {
        "title": str(form.get("title") or ""),
        "starts_on": _date(form.get("starts_on"), "starts_on"), "ends_on": _date(form.get("ends_on"), "ends_on"),
        "priorities": {"areas": form.getlist("areas"), "targets": form.getlist("targets"),
                       "territories": [t.strip() for t in str(form.get("territories") or "").split(",") if t.strip()]},
        "commitments": {"region": str(form.get("commitment_region") or ""),
                        "fund": str(form.get("commitment_fund") or "")},
        "signatories": signatories}


def _date(value: Any, field: str) -> date:
    try:
        return date.fromisoformat(str(value or ""))
    except ValueError:
        raise InvalidInput(f"{field}: not a date", field=field, key=N_("programming.err.date")) from None


@router.get("/agreements/new", response_class=HTMLResponse, name="programming_agreement_new")
def agreement_new(request: Request, session: SessionDep, principal: Writer) -> Response:
    if not service.region_staff(principal):
        raise Forbidden("only Region staff create agreements", key=N_("programming.err.region_only"))
    return _render(request, "agreement_new.html", {"funds": cabina.fund_choices(session), "error": None,
                                                   "form": {}, "csrf_token": principal.csrf or "",
                                                   "areas": AREAS, "targets": TARGETS})


@router.post("/agreements/new", response_class=HTMLResponse, name="programming_agreement_create")
async def agreement_create(request: Request, session: SessionDep, principal: Writer) -> Response:
    form = await request.form()
    try:
        values = _agreement_form(form)
        try:
            fund_id = int(str(form.get("fund_id") or ""))
        except ValueError:
            raise InvalidInput("fund_id: choose a Fund", field="fund_id",
                               key=N_("programming.err.not_a_fund")) from None
        agreement = service.create_agreement(session, actor=principal, code=str(form.get("code") or ""),
                                             fund_id=fund_id, **values)
    except DomainError as exc:
        session.rollback()
        return _render(request, "agreement_new.html", {
            "funds": cabina.fund_choices(session), "error": _error(request, exc),
            "form": {k: v for k, v in form.items() if k != "csrf_token"}, "csrf_token": principal.csrf or "",
            "areas": AREAS, "targets": TARGETS}, exc.status)
    session.commit()
    return _redirect(request, "programming_agreement_page", "saved=true", agreement_id=agreement.id)


def _agreement_page(request: Request, session: Session, principal: Principal, agreement_id: Id, *,
                    error: str | None = None, message: str = "", status_code: int = 200) -> Response:
    agreement = service.get_agreement(session, principal=principal, id=agreement_id)
    parties = states.parties_of(principal, agreement)
    return _render(request, "agreement.html", {
        "a": agreement, "parties": [p.value for p in parties], "region": states.Party.REGION in parties,
        "fund_party": states.Party.FUND in parties, "next_states": states.next_states(agreement.status),
        "editable": agreement.status in states.EDITED_DIRECTLY, "amendable": agreement.status in states.AMENDED,
        "planned": agreement.status in states.PLANNED,
        "fund_name": {f.id: f.name for f in cabina.fund_choices(session)}.get(agreement.fund_id, ""),
        "documents": service.list_documents(session, principal=principal, agreement_id=agreement.id),
        "error": error, "message": message, "csrf_token": principal.csrf or "", "areas": AREAS, "targets": TARGETS},
        status_code)


@router.get("/agreements/{agreement_id}", response_class=HTMLResponse, name="programming_agreement_page")
def agreement_page(request: Request, agreement_id: Id, session: SessionDep, principal: Reader,
                   saved: bool = False, done: str = "") -> Response:
    return _agreement_page(request, session, principal, agreement_id,
                           message="saved" if saved else done if done in ("signed", "in_force", "closed",
                                                                          "amended", "uploaded") else "")


@router.post("/agreements/{agreement_id}", response_class=HTMLResponse, name="programming_agreement_post")
async def agreement_post(request: Request, agreement_id: Id, session: SessionDep, principal: Writer) -> Response:
    form = await request.form()
    op = str(form.get("op") or "save")
    try:
        version = int(str(form.get("version") or "0")) or None
        if op == "save":
            agreement = service.get_agreement(session, principal=principal, id=agreement_id)
            if states.Party.REGION in states.parties_of(principal, agreement):
                changes = _agreement_form(form)
            else:
                changes = {"commitments": {"region": agreement.commitments.get("region", ""),
                                           "fund": str(form.get("commitment_fund") or "")}}
            service.update_agreement(session, actor=principal, id=agreement_id, version=version, changes=changes)
            done = "saved=true"
        elif op == "status":
            target = str(form.get("target") or "")
            service.move_agreement(session, actor=principal, id=agreement_id, target=target,
                                   note=str(form.get("note") or "") or None)
            done = f"done={target}"
        elif op == "amend":
            agreement = service.get_agreement(session, principal=principal, id=agreement_id)
            held = agreement.commitments
            changes = {"commitments": {"region": str(form.get("commitment_region") or held.get("region", "")),
                                       "fund": str(form.get("commitment_fund") or held.get("fund", ""))}}
            if states.Party.REGION in states.parties_of(principal, agreement) and form.get("ends_on"):
                changes["ends_on"] = _date(form.get("ends_on"), "ends_on")
            service.amend(session, actor=principal, id=agreement_id, version=version,
                          summary=str(form.get("summary") or ""), changes=changes)
            done = "done=amended"
        elif op == "plan":
            try:
                first, last = int(str(form.get("first_year"))), int(str(form.get("last_year")))
            except ValueError:
                raise InvalidInput("years: whole numbers", field="first_year", key=N_("programming.err.date")) from None
            plan = service.create_plan(session, actor=principal, agreement_id=agreement_id,
                                       title=str(form.get("title") or ""), first_year=first, last_year=last)
            session.commit()
            return _redirect(request, "programming_plan_page", plan_id=plan.id)
        elif op == "upload":
            upload = form.get("file")
            data = await upload.read(service.MAX_DOCUMENT_BYTES + 1) if hasattr(upload, "read") else b""
            service.upload_document(session, actor=principal, agreement_id=agreement_id,
                                    filename=getattr(upload, "filename", "") or "documento", data=data,
                                    kind=str(form.get("kind") or "agreement"))
            done = "done=uploaded"
        else:
            raise InvalidInput("unknown operation", field="op", key=N_("programming.err.fields"))
    except DomainError as exc:
        session.rollback()
        return _agreement_page(request, session, principal, agreement_id, error=_error(request, exc),
                               status_code=exc.status)
    session.commit()
    return _redirect(request, "programming_agreement_page", done, agreement_id=agreement_id)


# --- plans -----------------------------------------------------------------------------------------------------

def _plan_rows(plan: Plan) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    lines = [{"code": ln.code, "title": ln.title, "area": ln.area, "target": ln.target, "territory": ln.territory,
              "channel": ln.channel, "cost": dict(ln.cost), "participants": dict(ln.participants),
              "indicators": ln.indicators} for ln in plan.lines]
    tranches = [{"line": ln.code, "source": t.source.code, "year": str(t.year), "planned": f"{t.planned:.2f}",
                 "committed": f"{t.committed:.2f}", "spent": f"{t.spent:.2f}"} for ln in plan.lines
                for t in ln.tranches]
    return lines, tranches


def _plan_form(form: Any, years: range) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    lines, tranches = [], []
    for n in range(MAX_ROWS):
        if f"lines-{n}-code" not in form:
            break
        code = str(form.get(f"lines-{n}-code") or "").strip()
        if not code:
            continue
        indicator = str(form.get(f"lines-{n}-indicator") or "").strip()
        lines.append({"code": code, "title": str(form.get(f"lines-{n}-title") or ""),
                      "area": str(form.get(f"lines-{n}-area") or ""),
                      "target": str(form.get(f"lines-{n}-target") or ""),
                      "territory": str(form.get(f"lines-{n}-territory") or ""),
                      "channel": str(form.get(f"lines-{n}-channel") or ""),
                      "cost": {str(y): form.get(f"lines-{n}-cost-{y}") for y in years
                               if str(form.get(f"lines-{n}-cost-{y}") or "").strip()},
                      "participants": {str(y): form.get(f"lines-{n}-participants-{y}") for y in years
                                       if str(form.get(f"lines-{n}-participants-{y}") or "").strip()},
                      "indicators": [{"indicator": indicator, "unit": "n",
                                      "target": _number(form.get(f"lines-{n}-indicator_target"))}]
                      if indicator else []})
    for n in range(MAX_ROWS * 6):
        if f"tranches-{n}-line" not in form:
            break
        row = {k: str(form.get(f"tranches-{n}-{k}") or "").strip() for k in ("line", "source", "year", "planned",
                                                                              "committed")}
        if row["line"] and row["planned"]:
            tranches.append(row)
    return lines, tranches


def _number(value: Any) -> int | float | str:
    text = str(value or "").strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


def _plan_page(request: Request, session: Session, principal: Principal, plan_id: Id, *,
               rows: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None, error: str | None = None,
               issues: list[Any] | None = None, add: str = "", saved: bool = False, status_code: int = 200) -> Response:
    plan = service.get_plan(session, principal=principal, id=plan_id)
    parties = states.parties_of(principal, plan.agreement)
    editable = bool(parties) and plan.agreement.status in states.PLANNED
    lines, tranches = rows or _plan_rows(plan)
    region = states.Party.REGION in parties
    if editable and region and (add == "line" or not lines):
        lines = [*lines, {"code": "", "title": "", "area": "", "target": "", "territory": "", "channel": "",
                          "cost": {}, "participants": {}, "indicators": []}]
    if editable and (add == "tranche" or not tranches):
        tranches = [*tranches, {"line": "", "source": "", "year": "", "planned": "", "committed": "", "spent": ""}]
    lang = _lang(request)
    by_line: dict[str, list[str]] = {}
    for issue in issues or []:
        by_line.setdefault(issue.line, []).append(issue.text(lang))
    sources = session.scalars(select(FundingSource).order_by(FundingSource.code)).all()
    own = {s.code for s in sources if s.organisation_id == plan.agreement.fund_id}
    return _render(request, "plan.html", {
        "plan": plan, "lines": lines, "tranches": tranches, "issues": by_line, "error": error, "saved": saved,
        "years": list(range(plan.first_year, plan.last_year + 1)), "editable": editable, "region": region,
        "own_sources": own, "sources": sources, "areas": AREAS, "targets": TARGETS, "channels": CHANNELS,
        "csrf_token": principal.csrf or "", "checked": issues is not None}, status_code)


@router.get("/plans/{plan_id}", response_class=HTMLResponse, name="programming_plan_page")
def plan_page(request: Request, plan_id: Id, session: SessionDep, principal: Reader, saved: bool = False,
              add: str = "", check: bool = False) -> Response:
    issues = service.check_plan(session, principal=principal, plan_id=plan_id) if check else None
    return _plan_page(request, session, principal, plan_id, saved=saved, add=add, issues=issues)


@router.post("/plans/{plan_id}", response_class=HTMLResponse, name="programming_plan_save")
async def plan_save(request: Request, plan_id: Id, session: SessionDep, principal: Writer) -> Response:
    form = await request.form()
    plan = service.get_plan(session, principal=principal, id=plan_id)
    rows = _plan_form(form, range(plan.first_year, plan.last_year + 1))
    op = str(form.get("op") or "save")
    try:
        version = int(str(form.get("version") or "0")) or None
        service.save_plan(session, actor=principal, plan_id=plan_id, version=version, lines=rows[0],
                          tranches=rows[1])
    except service.PlanRulesBroken as exc:
        session.rollback()
        return _plan_page(request, session, principal, plan_id, rows=rows, issues=exc.issues,
                          error=_error(request, exc), status_code=422)
    except DomainError as exc:
        session.rollback()
        return _plan_page(request, session, principal, plan_id, rows=rows, error=_error(request, exc),
                          status_code=exc.status)
    session.commit()
    query = {"add_line": "add=line", "add_tranche": "add=tranche"}.get(op, "saved=true")
    return _redirect(request, "programming_plan_page", query, plan_id=plan_id)


# --- scenarios -------------------------------------------------------------------------------------------------

def _scenarios_page(request: Request, session: Session, principal: Principal, *, error: str | None = None,
                    problems: list[tuple[str, str]] | None = None, status_code: int = 200) -> Response:
    rows = scenarios.list_scenarios(session, principal=principal)
    plans = [p for a in service.list_agreements(session, principal=principal) for p in a.plans]
    return _render(request, "scenarios.html", {
        "rows": rows, "plans": plans, "error": error, "problems": problems or [],
        "planner": can(principal, WRITE, Resource.PROGRAMMING_SCENARIO), "csrf_token": principal.csrf or "",
        "this_year": rome_today().year}, status_code)


@router.get("/scenarios", response_class=HTMLResponse, name="programming_scenarios_page")
def scenarios_page(request: Request, session: SessionDep, principal: Analyst) -> Response:
    return _scenarios_page(request, session, principal)


@router.post("/scenarios", response_class=HTMLResponse, name="programming_scenarios_post")
async def scenarios_post(request: Request, session: SessionDep, principal: Planner) -> Response:
    form = await request.form()
    op = str(form.get("op") or "build")
    try:
        if op == "import":
            upload = form.get("file")
            text = await upload.read() if hasattr(upload, "read") else b""
            text = text or str(form.get("document") or "").encode()
            row = scenarios.import_document(session, actor=principal, text=text)
        else:
            years = [int(y) for y in form.getlist("years") if str(y).isdigit()] or [rome_today().year]
            plan_ids = [int(p) for p in form.getlist("plan_ids") if str(p).isdigit()]
            scenario = scenarios.build(session, request.app.state.engine, principal=principal,
                                       name=str(form.get("name") or "").strip() or "Scenario", years=years,
                                       needs=_needs(request), plan_ids=plan_ids)
            row = scenarios.save(session, actor=principal, document=scenario.to_json())
    except ScenarioError as exc:
        session.rollback()
        return _scenarios_page(request, session, principal, error=_error(request, exc), problems=exc.problems,
                               status_code=422)
    except DomainError as exc:
        session.rollback()
        return _scenarios_page(request, session, principal, error=_error(request, exc), status_code=exc.status)
    session.commit()
    return _redirect(request, "programming_scenario_page", scenario_id=row.id)


@router.get("/scenarios/{scenario_id}", response_class=HTMLResponse, name="programming_scenario_page")
def scenario_page(request: Request, scenario_id: Id, session: SessionDep, principal: Analyst,
                  applied: int = 0) -> Response:
    return _scenario_page(request, session, principal, scenario_id, applied=applied)


def _scenario_page(request: Request, session: Session, principal: Principal, scenario_id: Id, *,
                   error: str | None = None, applied: int = 0, status_code: int = 200) -> Response:
    row = scenarios.get(session, principal=principal, id=scenario_id)
    plans = [p for a in service.list_agreements(session, principal=principal) for p in a.plans]
    result = row.result or {}
    allocations = sorted(result.get("allocations", []), key=lambda a: -a["euros"])
    return _render(request, "scenario.html", {
        "row": row, "result": result, "baseline": row.baseline or {}, "allocations": allocations[:200],
        "more": max(0, len(allocations) - 200), "plans": plans, "error": error, "applied": applied,
        "planner": can(principal, WRITE, Resource.PROGRAMMING_SCENARIO), "csrf_token": principal.csrf or "",
        "others": [r for r in scenarios.list_scenarios(session, principal=principal) if r.id != row.id]},
        status_code)


@router.post("/scenarios/{scenario_id}", response_class=HTMLResponse, name="programming_scenario_post")
async def scenario_post(request: Request, scenario_id: Id, session: SessionDep, principal: Planner) -> Response:
    form = await request.form()
    try:
        if str(form.get("op")) == "run":
            scenarios.run(session, actor=principal, id=scenario_id, integer=form.get("integer") == "on")
            session.commit()
            return _redirect(request, "programming_scenario_page", scenario_id=scenario_id)
        try:
            plan_id = int(str(form.get("plan_id") or ""))
        except ValueError:
            raise InvalidInput("choose a plan", field="plan_id", key=N_("programming.err.not_found")) from None
        scenarios.apply_to_plan(session, actor=principal, id=scenario_id, plan_id=plan_id)
    except service.PlanRulesBroken as exc:
        session.rollback()
        lang = _lang(request)
        return _scenario_page(request, session, principal, scenario_id,
                              error=" ".join(i.text(lang) for i in exc.issues), status_code=422)
    except DomainError as exc:
        session.rollback()
        return _scenario_page(request, session, principal, scenario_id, error=_error(request, exc),
                              status_code=exc.status)
    session.commit()
    return _redirect(request, "programming_plan_page", "saved=true", plan_id=plan_id)


@router.get("/compare", response_class=HTMLResponse, name="programming_compare_page")
def compare_page(request: Request, session: SessionDep, principal: Analyst, ids: str = "") -> Response:
    wanted = [int(i) for i in ids.replace(" ", "").split(",") if i.isdigit()][:6]
    view = scenarios.compare(session, principal=principal, ids=wanted) if wanted else {"columns": [], "series": []}
    lang = _lang(request)
    label = {"participants": gettext("programming.compare.participants", lang),
             "euros": gettext("programming.compare.euros", lang)}
    charts = {dim: {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "width": "container",
                    "data": {"values": [s for s in view["series"] if s["dimension"] == dim]},
                    "mark": "bar", "encoding": {
                        "y": {"field": "key", "type": "nominal", "title": None},
                        "x": {"field": measure, "type": "quantitative", "title": label[measure]},
                        "yOffset": {"field": "scenario"}, "color": {"field": "scenario", "type": "nominal",
                                                                     "title": None}}}
              for dim, measure in (("target", "participants"), ("province", "participants"), ("source", "euros"))}
    coverage = {}
    for s in view["series"]:
        if s["dimension"] == "coverage":
            coverage.setdefault(s["scenario"], {})[s["key"]] = s["coverage"]
    return _render(request, "compare.html", {
        "view": view, "charts": charts, "coverage": coverage, "ids": ",".join(map(str, wanted)),
        "geojson_url": str(request.app.url_path_for("provinces_geojson")) + "?region=ITC4",
        "all": scenarios.list_scenarios(session, principal=principal)})


# --- the Cabina di regia -----------------------------------------------------------------------------------------

@router.get("/cabina", response_class=HTMLResponse, name="programming_cabina_page")
def cabina_page(request: Request, session: SessionDep, principal: Reader) -> Response:
    view = cabina.overview(session, principal=principal, needs=getattr(request.app.state, "programming_needs", None))
    years = sorted({y for _, y in view.by_source_year} | set(view.others))
    return _render(request, "cabina.html", {"view": view, "years": years,
                                            "sources": sorted({s for s, _ in view.by_source_year})})
