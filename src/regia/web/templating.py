"""Jinja2 templates shared by every page: the layout (``base.html``) and what each page may use.

Domain templates are found under the domain's name: ``taxonomy/search.html`` is
``src/regia/taxonomy/templates/search.html``. Every template gets, besides its own context:

- ``lang``, and ``_(key, **params)`` / ``ngettext(singular, plural, n, **params)``: the page language and its
  messages (Jinja2's i18n extension over the gettext catalogues of :mod:`regia.i18n`);
- ``viewer``: who is signed in (a :class:`~regia.auth.principal.Principal`, for display only: its
  ``display_name`` and its grants' ``organisation_name``; access is decided by each route's policy) and
  ``here``, this page's path and query (the login link's ``next``);
- ``nav_items``: the main navigation, ``(key, route name, label key)`` (the layout's own and each domain's ``NAV``);
- ``languages``: ``[(code, name, url_of_this_page_in_that_language), ...]``;
- ``path_for(name, **params)``: the path of a named route (behind a proxy: with its root path);
- ``number(n)``, ``decimal(x, digits)``, ``signed(x)``, ``money(x)``, ``percent(share)``, ``date(d)``,
  ``datetime(instant)`` and ``rome(instant)``: Babel's formats in the page language, times in Europe/Rome
  (:func:`regia.i18n.formatters`);
- ``place_names()``: territory code -> name (NUTS, sigle), for ``_names.html``'s ``named`` / ``named_list``;
- ``labelled(values, prefix)``: ``(value, its message prefix ~ value)`` pairs, the options of a select;
- ``chart_locale``: the page language's number and time formats for Vega charts (vega-embed's
  ``formatLocale`` / ``timeFormatLocale``, :func:`regia.i18n.chart_locale`); ``esco_statement``: ESCO's
  attribution in English, as its licence asks;
- ``html_attrs(mapping)``: keyword arguments as HTML attributes (the form macros of ``_forms.html``);
- ``static_url(path)`` and ``vendor(path)``: a static file's URL, and whether a vendored front-end file
  (``static/vendor/...``, installed by ``scripts/install-assets.sh``) is present, so that pages render
  without those files instead of pointing at missing ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from regia import i18n
from regia.auth.principal import peek
from regia.web.i18n import DEFAULT, LANGUAGE_NAMES, SUPPORTED

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
TEMPLATES_DIR = WEB_DIR / "templates"
# ESCO's licence asks for this sentence in English, whatever the page's language.
ESCO_STATEMENT = "This service uses the ESCO classification of the European Commission."


def request_lang(request: Request) -> str:
    return getattr(request.state, "lang", DEFAULT)


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _language_links(request: Request) -> list[tuple[str, str, str]]:
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    links = []
    for code in SUPPORTED:
        links.append((code, LANGUAGE_NAMES[code], f"{_root(request)}{request.url.path}?"
                      f"{urlencode([*query, ('lang', code)])}"))
    return links


NavItem = tuple[str, str, str]  # (key, route name, message key of its label)


def html_attrs(attrs: Mapping[str, Any]) -> Markup:
    """Keyword arguments of a form macro as HTML attributes: `` maxlength="300" required``; ``aria_label`` is
    ``aria-label``; True is a bare attribute, False and None leave it out; values escaped."""
    parts = []
    for key, value in attrs.items():
        name = key.replace("_", "-")
        if value is True:
            parts.append(f" {escape(name)}")
        elif value is not False and value is not None:
            parts.append(f' {escape(name)}="{escape(value)}"')
    return Markup("".join(parts))


def place_names(request: Request) -> dict[str, str]:
    """Territory code -> name (regions, NUTS3 provinces and their sigle), in the page language, read once per
    app from the taxonomy (reference data): what ``names.named(code, place_names())`` shows instead of
    ``ITC4D``."""
    lang = getattr(request.state, "lang", i18n.DEFAULT)
    cache = getattr(request.app.state, "place_names", None)
    if cache is None:
        cache = request.app.state.place_names = {}
    if lang not in cache:
        from sqlalchemy.orm import Session

        from regia.taxonomy import service as taxonomy

        with Session(request.app.state.engine) as session:
            cache[lang] = taxonomy.territory_names(session, lang)
    return cache[lang]  # type: ignore[no-any-return]


def make_templates(domain_templates: Mapping[str, Path], static_dir: Path = STATIC_DIR,
                   nav_items: Sequence[NavItem] = ()) -> Jinja2Templates:
    env = Environment(
        loader=ChoiceLoader([
            FileSystemLoader(TEMPLATES_DIR),
            PrefixLoader({name: FileSystemLoader(path) for name, path in domain_templates.items()}),
        ]),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    i18n.install_jinja(env)
    env.globals["nav_items"] = list(nav_items)
    env.globals["html_attrs"] = html_attrs
    vendor_dir = static_dir / "vendor"

    def context(request: Request) -> dict[str, Any]:
        lang = request_lang(request)
        root = _root(request)

        def path_for(name: str, /, **params: Any) -> str:
            return root + str(request.app.url_path_for(name, **params))

        query = request.url.query
        return {
            "lang": lang,
            "viewer": peek(request),
            "here": request.url.path + ("?" + query if query else ""),
            "languages": _language_links(request),
            "path_for": path_for,
            "static_url": lambda path: f"{root}/static/{path}",
            "vendor": lambda path: (vendor_dir / path).is_file(),
            "chart_locale": i18n.chart_locale(lang),
            "place_names": lambda: place_names(request),
            "labelled": lambda values, prefix: [(v, i18n.gettext(prefix + v, lang)) for v in values],
            "esco_statement": ESCO_STATEMENT,
            **i18n.formatters(lang),
        }

    return Jinja2Templates(env=env, context_processors=[context])
