"""Interface messages and formats: gettext catalogues (one per package) and Babel's locale-aware formats.

Messages
    Every package that shows text to people keeps its own catalogue,
    ``src/regia/<package>/locale/<lang>/LC_MESSAGES/<package>.po``, one per supported language. Message ids are
    stable symbolic keys prefixed by the package's area (``programming.agreement.title``): the API hands the
    same keys to its clients with their parameters, and both languages are translations of the key (English is
    not the source text, so that an English wording can change without touching code or the Italian text).
    Placeholders are Python-format ``%(name)s``; a literal percent sign is ``%%``. The catalogues of all
    packages are merged into one :class:`~babel.support.Translations` per language (keys must be unique
    across packages; a test checks it).

    ``make messages`` extracts the keys the code uses (``pybabel extract``: ``_()``/``gettext()``/``ngettext()``
    in templates and Python, ``N_()`` for keys only built at run time) and updates every catalogue;
    ``make install`` compiles them (``pybabel compile``; the ``.mo`` files are never committed). A ``.po`` newer
    than its ``.mo`` (or without one) is compiled in memory when loaded, so an edited catalogue shows at once.

    Python code calls ``gettext(key, lang, **params)`` / ``ngettext(singular, plural, n, lang, **params)``
    (the message first, so that ``pybabel`` reads it with its default keywords); templates call ``_(key,
    **params)`` and ``ngettext(singular, plural, n, **params)`` through Jinja2's i18n extension (see
    :func:`install_jinja`), in the language of the page. The text is always %-formatted (also without
    parameters), as Jinja2's "new style" gettext does, so ``%%`` means the same everywhere.

Formats
    Amounts, numbers, percentages, dates and times go through Babel in the page's language
    (:data:`LOCALES`): ``format_money(975000, "it")`` is ``975.000,00 €`` and ``€975,000.00`` in English.
    Instants are stored in UTC (SQLite hands them back without an offset: they are UTC) and always shown in
    Europe/Rome (:func:`to_rome`).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel import numbers as babel_numbers
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from regia.clock import ROME, to_rome

log = logging.getLogger(__name__)

SUPPORTED = ("it", "en")
DEFAULT = "it"
LANGUAGE_NAMES = {"it": "Italiano", "en": "English"}
LOCALES = {"it": "it_IT", "en": "en_GB"}
PACKAGE_DIR = Path(__file__).resolve().parent
DATE_PATTERN = "dd/MM/yyyy"
DATETIME_PATTERN = "dd/MM/yyyy HH:mm"

Number = int | float | Decimal


def N_(msgid: str) -> str:
    """Marks a key that code builds at run time (``'pacts.state.' ~ s``) so that ``pybabel`` keeps it."""
    return msgid


def _lang(lang: str | None) -> str:
    return lang if lang in SUPPORTED else DEFAULT


def catalogues(lang: str) -> Iterator[tuple[str, Path]]:
    """Every package catalogue of ``lang``: ``(domain, path of its .po)``."""
    for po in sorted(PACKAGE_DIR.glob(f"*/locale/{lang}/LC_MESSAGES/*.po")):
        yield po.stem, po


def _load(po: Path) -> Translations:
    mo = po.with_suffix(".mo")
    if mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as fp:
            return Translations(fp, domain=po.stem)
    with po.open("rb") as fp:
        catalog = read_po(fp)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=po.stem)


@lru_cache(maxsize=len(SUPPORTED))
def translations(lang: str) -> Translations:
    """All packages' messages in ``lang`` (a missing key falls back to Italian, then to the key itself)."""
    lang = _lang(lang)
    merged = Translations(domain="regia")
    for _domain, po in catalogues(lang):
        merged.merge(_load(po))
    if lang != DEFAULT:
        merged.add_fallback(translations(DEFAULT))
    return merged


def reload() -> None:
    """Forget the loaded catalogues (after editing a .po in a running process, e.g. in tests)."""
    translations.cache_clear()


def gettext(msgid: str, lang: str, /, **params: Any) -> str:
    """The message ``msgid`` in ``lang``, %-formatted with ``params``."""
    return translations(lang).gettext(msgid) % params


def ngettext(singular: str, plural: str, n: int, lang: str, /, **params: Any) -> str:
    """The singular or plural form for ``n`` (``%(num)d`` in the text is ``n``)."""
    return translations(lang).ngettext(singular, plural, n) % {"num": n, **params}


# --- formats --------------------------------------------------------------------------------------------------

def locale_of(lang: str) -> str:
    return LOCALES[_lang(lang)]


def format_number(value: Number | None, lang: str) -> str:
    """A whole number with the language's grouping: ``975.000`` / ``975,000``; ``–`` for None."""
    if value is None:
        return "–"
    return babel_numbers.format_decimal(value, format="#,##0", locale=locale_of(lang))


def format_decimal(value: Number | None, lang: str, digits: int = 2) -> str:
    """A number with exactly ``digits`` decimals: ``1.234,50`` / ``1,234.50``."""
    if value is None:
        return "–"
    pattern = "#,##0." + "0" * digits if digits > 0 else "#,##0"
    return babel_numbers.format_decimal(value, format=pattern, locale=locale_of(lang),
                                        decimal_quantization=True)


def format_signed(value: Number | None, lang: str, digits: int = 2) -> str:
    """A difference with its sign: ``+13,87`` / ``-2,00``."""
    if value is None:
        return "–"
    text = format_decimal(abs(value), lang, digits)
    return ("+" if value > 0 else "-" if value < 0 else "") + text


def format_money(value: Number | str | None, lang: str) -> str:
    """An amount in euro: ``975.000,00 €`` / ``€975,000.00`` (CLDR's no-break space before the sign is a plain
    space here, so that what people copy, search and export reads as typed; pages keep an amount on one line)."""
    if value is None or value == "":
        return "–"
    text = babel_numbers.format_currency(Decimal(str(value)), "EUR", locale=locale_of(lang))
    return text.replace("\xa0", " ")


def format_percent(share: Number | None, lang: str, digits: int = 1) -> str:
    """A share (0.125) as a percentage: ``12,5%`` / ``12.5%``."""
    if share is None:
        return "–"
    pattern = "#,##0." + "0" * digits + "%" if digits > 0 else "#,##0%"
    return babel_numbers.format_percent(share, format=pattern, locale=locale_of(lang))


def format_significant(value: Number | None, lang: str, digits: int = 3) -> str:
    """A statistic with ``digits`` significant digits (``0,000123``; below 0.001 in scientific notation,
    ``1,23E-12``), for p- and q-values."""
    if value is None:
        return "–"
    if value and abs(value) < 0.001:
        return babel_numbers.format_scientific(value, format="0." + "#" * (digits - 1) + "E0",
                                               locale=locale_of(lang))
    return babel_numbers.format_decimal(value, format="@" * digits, locale=locale_of(lang))


def chart_locale(lang: str) -> dict[str, Any]:
    """The language's number and time formats for Vega charts (vega-embed's ``formatLocale`` and
    ``timeFormatLocale``, d3's shapes), from Babel's locale data; ``tag`` is the BCP 47 tag for the browser's
    ``toLocaleString``."""
    locale = Locale.parse(locale_of(lang))
    symbols = locale.number_symbols["latn"]
    currency = locale.currency_formats["standard"].pattern
    euro = ("", "\u00a0€") if currency.endswith("¤") else ("€", "")
    days = [locale.days["format"]["wide"][i] for i in (6, 0, 1, 2, 3, 4, 5)]  # d3 weeks start on Sunday
    short_days = [locale.days["format"]["abbreviated"][i] for i in (6, 0, 1, 2, 3, 4, 5)]
    return {
        "tag": locale_of(lang).replace("_", "-"),
        "number": {"decimal": symbols["decimal"], "thousands": symbols["group"], "grouping": [3],
                   "currency": list(euro), "percent": "%", "minus": "-"},
        "time": {"dateTime": "%x, %X", "date": "%d/%m/%Y", "time": "%H:%M:%S",
                 "periods": [locale.day_periods["format"]["abbreviated"].get(p, p.upper()) for p in ("am", "pm")],
                 "days": days, "shortDays": short_days,
                 "months": [locale.months["format"]["wide"][i] for i in range(1, 13)],
                 "shortMonths": [locale.months["format"]["abbreviated"][i] for i in range(1, 13)]},
    }


def format_date(value: date | datetime | None, lang: str) -> str:
    """``28/02/2026`` (an instant: its date in Rome)."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        value = to_rome(value).date()
    return babel_format_date(value, format=DATE_PATTERN, locale=locale_of(lang))


def format_datetime(value: datetime | str | None, lang: str, *, seconds: bool = False) -> str:
    """``28/02/2026 23:59`` (with ``seconds``: ``23:59:07``), always in Europe/Rome. A string is an RFC 3339
    instant as stored in JSON snapshots (one that is not shows as it is)."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    pattern = DATETIME_PATTERN + ":ss" if seconds else DATETIME_PATTERN
    return babel_format_datetime(to_rome(value), format=pattern, tzinfo=ROME, locale=locale_of(lang))


def formatters(lang: str) -> dict[str, Any]:
    """The format functions bound to one language, as templates see them."""
    return {
        "number": lambda v: format_number(v, lang),
        "decimal": lambda v, digits=2: format_decimal(v, lang, digits),
        "signed": lambda v, digits=2: format_signed(v, lang, digits),
        "money": lambda v: format_money(v, lang),
        "percent": lambda v, digits=1: format_percent(v, lang, digits),
        "significant": lambda v, digits=3: format_significant(v, lang, digits),
        "date": lambda v: format_date(v, lang),
        "datetime": lambda v, seconds=False: format_datetime(v, lang, seconds=seconds),
        "rome": to_rome,
    }


# --- templates ------------------------------------------------------------------------------------------------

@pass_context
def _template_gettext(context: Context, msgid: str) -> str:
    return translations(context.get("lang", DEFAULT)).gettext(msgid)


@pass_context
def _template_ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return translations(context.get("lang", DEFAULT)).ngettext(singular, plural, n)


def install_jinja(env: Environment) -> None:
    """Jinja2's i18n extension with "new style" gettext, in the language of each render's ``lang``."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_template_gettext, ngettext=_template_ngettext, newstyle=True)
