"""Interface language of a request: ``?lang=`` (then remembered in a cookie), else the cookie, else the
configured default (Italian). The browser's ``Accept-Language`` is not consulted: Regia's users are Lombardy's
offices and citizens, and English is an explicit choice.

The messages themselves are gettext catalogues (:mod:`regia.i18n`).
"""

from __future__ import annotations

from regia.i18n import DEFAULT, LANGUAGE_NAMES, SUPPORTED

__all__ = ["COOKIE", "DEFAULT", "LANGUAGE_NAMES", "SUPPORTED", "negotiate"]

COOKIE = "regia_lang"


def negotiate(*, query: str | None, cookie: str | None, default: str = DEFAULT) -> str:
    """The page language: ``?lang=``, else the cookie, else ``default``."""
    for candidate in (query, cookie):
        if candidate and candidate.lower() in SUPPORTED:
            return candidate.lower()
    return default if default in SUPPORTED else DEFAULT
