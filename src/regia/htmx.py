"""Pages that answer htmx with a fragment: one rule for every domain.

A route that serves a piece of a page (results, examples, suggestions) sends the fragment alone when htmx
asks for it (``HX-Request``, not a history restore), and the same fragment inside the full layout
(``fragment_page.html``: header, navigation, title) when someone opens its address directly — from a link, a
bookmark or a new tab — so that no address of Regia ever shows an unstyled scrap. Answers vary on
``HX-Request`` (caches keep both).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

FRAGMENT_PAGE = "fragment_page.html"


def wants_fragment(request: Request) -> bool:
    """Did htmx ask for this (a swap into a page that is already shown)?"""
    return bool(request.headers.get("hx-request")) and not request.headers.get("hx-history-restore-request")


def fragment_or_page(request: Request, fragment: str, context: dict[str, Any], *, title: str, nav: str = "",
                     status_code: int = 200) -> Response:
    """``fragment`` (a template name) alone for htmx, else inside the layout under the heading ``title``."""
    partial = wants_fragment(request)
    name = fragment if partial else FRAGMENT_PAGE
    response = request.app.state.templates.TemplateResponse(
        request, name, {**context, "fragment": fragment, "fragment_title": title, "partial": partial, "nav": nav},
        status_code=status_code)
    response.headers["Vary"] = "HX-Request"
    return response
