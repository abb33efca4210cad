"""The clerical-review pages of record linkage: the uncertain pairs of the last runs, one pair side by side,
the reviewer's decision (same person / firm, or not), kept and applied by every later run.

Access: Region staff (``Resource.LINKAGE``: admins and editors of the Region; the pairs show names and tax
codes). Stable element ids used by the browser test: ``#review-table`` (rows ``tr[data-review]``),
``#pair-table``, ``#decide-match``, ``#decide-non-match``, ``#decision-saved``, ``#decision-error``,
``#decided-table``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from regia.auth.errors import Conflict, DomainError, NotFound
from regia.auth.policy import READ, WRITE, Resource, require
from regia.auth.principal import Principal
from regia.db import session_factory
from regia.i18n import N_, gettext
from regia.linkage import service
from regia.linkage.models import MATCH, NON_MATCH, PENDING, STATUSES
from regia.linkage.records import COLUMNS

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
NAV = [("linkage", "linkage_review_page", N_("nav.linkage"))]
PAGE_SIZE = 25
KIND_KEYS = {"persons": N_("linkage.kind.persons"), "firms": N_("linkage.kind.firms")}
STATUS_KEYS = {PENDING: N_("linkage.status.pending"), MATCH: N_("linkage.status.match"),
               NON_MATCH: N_("linkage.status.non_match")}
FIELD_KEYS = {c: f"linkage.field.{c}" for cols in COLUMNS.values() for c in cols}
N_("linkage.field.id"), N_("linkage.field.nome"), N_("linkage.field.cognome"), N_("linkage.field.data_nascita")
N_("linkage.field.sesso"), N_("linkage.field.comune_nascita"), N_("linkage.field.codice_fiscale")
N_("linkage.field.indirizzo"), N_("linkage.field.cap"), N_("linkage.field.comune")
N_("linkage.field.ragione_sociale"), N_("linkage.field.partita_iva"), N_("linkage.field.ateco")

router = APIRouter(prefix="/linkage")
Reviewer = Annotated[Principal, Depends(require(READ, Resource.LINKAGE))]
Decider = Annotated[Principal, Depends(require(WRITE, Resource.LINKAGE))]


def _lang(request: Request) -> str:
    return getattr(request.state, "lang", "it")


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return request.app.state.templates.TemplateResponse(request, f"linkage/{name}", context, status_code=status_code)


def _summary(kind: str, record: dict[str, Any]) -> str:
    if kind == "persons":
        return " ".join(str(record.get(c) or "") for c in ("nome", "cognome", "data_nascita")).strip()
    return str(record.get("ragione_sociale") or record.get("partita_iva") or "")


@router.get("/review", response_class=HTMLResponse, name="linkage_review_page")
def review_page(request: Request, principal: Reviewer, kind: str = "", status: str = PENDING, page: int = 1
                ) -> Response:
    """The review queue (most uncertain first) or the pairs already decided (``status``)."""
    kind = kind if kind in KIND_KEYS else ""
    status = status if status in STATUSES else PENDING
    page = max(1, min(page, 10_000))
    with session_factory(request.app.state.engine)() as session:
        rows, total = service.queue(session, kind=kind or None, status=status, limit=PAGE_SIZE,
                                    offset=(page - 1) * PAGE_SIZE)
        pairs = [{"id": r.id, "kind": r.kind, "a": _summary(r.kind, r.record_a), "b": _summary(r.kind, r.record_b),
                  "source_a": r.source_a, "source_b": r.source_b, "probability": r.probability,
                  "status": r.status, "decided_at": r.decided_at} for r in rows]
    return render(request, "review.html", {
        "pairs": pairs, "total": total, "kind": kind, "status": status, "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)), "kinds": KIND_KEYS, "statuses": STATUS_KEYS,
        "decided": request.query_params.get("decided")})


def _pair_context(row: Any, principal: Principal) -> dict[str, Any]:
    fields = []
    for column in COLUMNS[row.kind]:
        a, b = str(row.record_a.get(column) or ""), str(row.record_b.get(column) or "")
        fields.append({"name": column, "key": FIELD_KEYS[column], "a": a, "b": b,
                       "same": " ".join(a.upper().split()) == " ".join(b.upper().split())})
    return {"pair": row, "fields": fields, "csrf_token": principal.csrf or "", "kinds": KIND_KEYS,
            "statuses": STATUS_KEYS, "error": None}


@router.get("/review/{review_id}", response_class=HTMLResponse, name="linkage_pair_page")
def pair_page(request: Request, review_id: int, principal: Reviewer) -> Response:
    """One pair: the two records field by field (differences marked), the model's probability, the decision."""
    with session_factory(request.app.state.engine)() as session:
        try:
            row = service.get(session, review_id=review_id)
        except NotFound:
            return render(request, "missing.html", {"review_id": review_id}, status_code=404)
        return render(request, "pair.html", _pair_context(row, principal))


@router.post("/review/{review_id}", response_class=HTMLResponse, name="linkage_decide")
def decide(
    request: Request, review_id: int, principal: Decider,
    decision: Annotated[str, Form(description="match (the same person or firm) or non_match")],
    version: Annotated[int, Form(ge=1, description="the pair's version as shown (a stale decision is refused)")],
    note: Annotated[str, Form(max_length=500, description="optional note")] = "",
) -> Response:
    """Keep the reviewer's decision (audited); back to the queue with the next pair - or the pair again with the
    error: a decision taken meanwhile by someone else (409), an unknown value (422)."""
    lang = _lang(request)
    with session_factory(request.app.state.engine)() as session:
        try:
            row = service.get(session, review_id=review_id)
        except NotFound:
            return render(request, "missing.html", {"review_id": review_id}, status_code=404)
        if decision not in (MATCH, NON_MATCH):
            context = _pair_context(row, principal) | {"error": gettext("linkage.err.decision", lang)}
            return render(request, "pair.html", context, status_code=422)
        try:
            service.decide(session, review_id=review_id, match=decision == MATCH, principal=principal,
                           version=version, note=note.strip() or None)
        except (Conflict, DomainError) as exc:
            session.rollback()
            fresh = service.get(session, review_id=review_id)
            message = gettext(exc.key, lang, **(exc.params or {})) if exc.key else exc.detail
            return render(request, "pair.html", _pair_context(fresh, principal) | {"error": message},
                          status_code=409 if isinstance(exc, Conflict) else 422)
        session.commit()
    url = request.scope.get("root_path", "") + request.app.url_path_for("linkage_review_page")
    return RedirectResponse(f"{url}?decided={review_id}", status_code=303)
