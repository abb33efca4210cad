"""What the pacts' page modules share: rendering one of this package's templates, the redirect after a POST
(303: Post/Redirect/Get), and the names pages show instead of ids and codes (organisations, taxonomy concepts)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from regia.auth.models import Organisation
from regia.pacts.manifestation import Manifestation
from regia.taxonomy import service as taxonomy


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return request.app.state.templates.TemplateResponse(request, f"pacts/{name}", context, status_code=status_code)


def redirect(request: Request, name: str, query: str = "", **params: Any) -> RedirectResponse:
    target = str(request.app.url_path_for(name, **{k: str(v) for k, v in params.items()}))
    return RedirectResponse(f"{target}?{query}" if query else target, status_code=303)


def org_names(session: Session, ids: set[int]) -> dict[int, str]:
    """The names of the organisations behind what the page shows (the partnerships of the proposals the user
    may read: who proposes a pact under a public call is public), never their numbers."""
    if not ids:
        return {}
    return dict(session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))).all())


def concept_names(session: Session, lang: str, *, codes: Iterable[str] = (), sectors: Iterable[str] = ()
                  ) -> dict[str, str]:
    """What pages show instead of codes: the names of ESCO concepts and territories (``codes``: URIs, NUTS3,
    ISTAT comuni, sigle) and of ATECO ``sectors``, in ``lang`` (the code stays beside it as secondary text)."""
    names = taxonomy.names(session, codes, lang, schemes=("esco", "territory"))
    names.update(taxonomy.names(session, sectors, lang, schemes=taxonomy.ATECO_EDITIONS))
    return names


def manifestation_names(session: Session, m: Manifestation, lang: str) -> dict[str, str]:
    """:func:`concept_names` of everything a manifestation names by code: territory, sectors, actions' skills."""
    t = m.territory
    return concept_names(session, lang, codes=[*t.nuts3, *t.provinces, *t.comuni,
                                               *(s for a in m.actions for s in a.skills)], sectors=m.sectors)


def manifestation_view(session: Session, m: Manifestation, lang: str, docs: Iterable[Any] = (),
                       codes: Iterable[str] = ()) -> dict[str, Any]:
    """What ``proposal_readonly.html`` names instead of codes and numbers: ``labels`` (code -> name, with
    ``codes`` such as the call's territories), ``course_titles`` and ``doc_names`` (document id -> file name)."""
    return {"labels": manifestation_names(session, m, lang) | concept_names(session, lang, codes=codes),
            "course_titles": course_titles(session, m), "doc_names": {d.id: d.filename for d in docs}}


def course_titles(session: Session, m: Manifestation) -> dict[int, str]:
    """The titles of the catalogue courses a manifestation's actions name (through the catalogue's service)."""
    from regia.catalog import service as catalog

    return catalog.course_titles(session.get_bind(), (a.course_id for a in m.actions if a.course_id))  # type: ignore[arg-type]
