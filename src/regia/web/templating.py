"""Jinja2 templates shared by every page: the layout (``base.html``) and what each page may use.

Domain templates are found under the domain's name: ``taxonomy/search.html`` is
``src/regia/taxonomy/templates/search.html``. Every template gets, besides its own context:

- ``lang`` and ``t(key, **params)``: the page language and its messages (see :mod:`regia.web.i18n`);
- ``languages``: ``[(code, name, url_of_this_page_in_that_language), ...]``;
- ``path_for(name, **params)``: the path of a named route (behind a proxy: with its root path);
- ``number(n)``: an integer with the language's thousands separator;
- ``static_url(path)`` and ``vendor(path)``: a static file's URL, and whether a vendored front-end file
  (``static/vendor/...``, installed by ``scripts/install-assets.sh``) is present, so that pages render
  without those files instead of pointing at missing ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from regia.web.i18n import DEFAULT, LANGUAGE_NAMES, SUPPORTED, Catalog

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
TEMPLATES_DIR = WEB_DIR / "templates"


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


def make_templates(catalog: Catalog, domain_templates: Mapping[str, Path],
                   static_dir: Path = STATIC_DIR) -> Jinja2Templates:
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
    vendor_dir = static_dir / "vendor"

    def context(request: Request) -> dict[str, Any]:
        lang = request_lang(request)
        root = _root(request)

        def path_for(name: str, /, **params: Any) -> str:
            return root + str(request.app.url_path_for(name, **params))

        return {
            "lang": lang,
            "t": catalog.translator(lang),
            "languages": _language_links(request),
            "path_for": path_for,
            "static_url": lambda path: f"{root}/static/{path}",
            "vendor": lambda path: (vendor_dir / path).is_file(),
            "number": lambda n: f"{n:,}".replace(",", "." if lang == "it" else ","),
        }

    return Jinja2Templates(env=env, context_processors=[context])
