"""The pacts' messages in the page's language: the gettext catalogue of the package (``locale/``, through
:mod:`regia.i18n`) with the parameters shown as a reader expects them.

Issues, alerts and service errors carry a message key and its parameters as stored or sent by the API (codes,
plain decimal strings, ISO dates and instants); :func:`text` shows them in ``lang``:

- a parameter called ``source``, ``kind``, ``group``, ``figure`` or ``status`` holding a code is replaced by
  the code's in-sentence name (``pacts.term.<name>.<code>``; an unknown code is shown as it is);
- amounts (:data:`MONEY_PARAMS`) as money, shares (:data:`SHARE_PARAMS`, fractions) as percentages, days
  and instants (:data:`DATE_PARAMS`) as dates, instants in Europe/Rome — all through Babel.

Whatever the values, a text comes back (a parameter the message names but the caller did not pass shows as
``–``): a page never fails on a stored message.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from regia.auth.errors import DomainError
from regia.i18n import N_, format_date, format_datetime, format_money, format_percent, translations

TERMS = ("source", "kind", "group", "figure", "status")
# The in-sentence names (pybabel keeps keys only where it sees them written out).
TERM_KEYS = (
    N_("pacts.term.source.regional"), N_("pacts.term.source.fse_plus"), N_("pacts.term.source.fund"),
    N_("pacts.term.source.cofinancing"),
    N_("pacts.term.kind.training"), N_("pacts.term.kind.guidance"), N_("pacts.term.kind.certification"),
    N_("pacts.term.kind.apprenticeship"), N_("pacts.term.kind.placement"),
    N_("pacts.term.group.students"), N_("pacts.term.group.unemployed"), N_("pacts.term.group.suspended_workers"),
    N_("pacts.term.group.employed"), N_("pacts.term.group.apprentices"), N_("pacts.term.group.foreign_workers"),
    N_("pacts.term.figure.enrolled"), N_("pacts.term.figure.completed"), N_("pacts.term.figure.certified"),
    N_("pacts.term.figure.placed"), N_("pacts.term.figure.spent"),
    N_("pacts.term.status.draft"), N_("pacts.term.status.submitted"), N_("pacts.term.status.admissible"),
    N_("pacts.term.status.inadmissible"), N_("pacts.term.status.evaluated"), N_("pacts.term.status.selected"),
    N_("pacts.term.status.not_selected"), N_("pacts.term.status.programme_submitted"),
    N_("pacts.term.status.approved"), N_("pacts.term.status.in_progress"), N_("pacts.term.status.closed"),
)
MONEY_PARAMS = frozenset({"spent", "allowed", "public", "maximum", "cofinancing", "total", "budget"})
SHARE_PARAMS = frozenset({"share", "minimum"})  # fractions (0.25), shown as percentages
DATE_PARAMS = frozenset({"first", "last", "start", "end", "since", "today", "deadline", "submitted"})  # ISO
ORGTYPE_PARAMS = frozenset({"type", "types"})  # organisation types (cciaa, education...), comma-separated
MISSING = "–"


class _Values(dict[str, Any]):
    """The parameters of one message; one it names and nobody passed shows as a dash."""

    def __missing__(self, name: str) -> str:
        return MISSING


def _number(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def shown(lang: str, name: str, value: Any) -> Any:
    """A parameter as the message shows it in ``lang``."""
    if name in TERMS and isinstance(value, str):
        key = f"pacts.term.{name}.{value}"
        term = translations(lang).gettext(key)
        return value if term == key else term
    if name in ORGTYPE_PARAMS and isinstance(value, str):
        names = []
        for code in (c.strip() for c in value.split(",")):
            label = translations(lang).gettext(f"pacts.orgtype.{code}")
            names.append(code if label == f"pacts.orgtype.{code}" else label)
        return ", ".join(names)
    if name in MONEY_PARAMS or name in SHARE_PARAMS:
        number = _number(value)
        if number is None:
            return value
        return format_percent(number, lang, digits=2) if name in SHARE_PARAMS else format_money(number, lang)
    if name in DATE_PARAMS and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return format_date(moment.date(), lang) if len(value) == 10 else format_datetime(moment, lang)
    return value


def text(key: str, lang: str, params: Mapping[str, Any] | None = None) -> str:
    """The message ``key`` in ``lang`` with ``params`` shown as :func:`shown` says (an unknown key: the key)."""
    values = _Values({name: shown(lang, name, v) for name, v in (params or {}).items()})
    template = translations(lang).gettext(key)
    try:
        return template % values
    except (TypeError, ValueError):  # a stored text that is not a valid format
        return template


def error_text(lang: str, exc: DomainError) -> str:
    """What a page shows for a service error: its key's message in ``lang``, or (an error without a key) the
    English detail, after the field it is about."""
    if exc.key:
        return text(exc.key, lang, exc.params)
    return f"{exc.field}: {exc.detail}" if exc.field and exc.field not in exc.detail else exc.detail
