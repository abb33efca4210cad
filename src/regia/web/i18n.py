"""Interface language of a request: ``?lang=`` (then remembered in a cookie), else the cookie, else the
configured default (Italian). The browser's ``Accept-Language`` is not consulted: Regia's users are Lombardy's
offices and citizens, and English is an explicit choice.

The messages themselves are gettext catalogues (:mod:`regia.i18n`). :class:`Catalog` is the older message
dictionary of the domains not yet moved to gettext (``t("key")`` in their templates); it goes away with them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from regia.i18n import DEFAULT, LANGUAGE_NAMES, SUPPORTED

__all__ = ["COOKIE", "DEFAULT", "LANGUAGE_NAMES", "SUPPORTED", "Catalog", "negotiate"]

COOKIE = "regia_lang"

Messages = Mapping[str, Mapping[str, str]]  # language -> key -> text


class Catalog:
    """Messages per language, merged from the web layer's and the domains' catalogues."""

    def __init__(self, *sources: Messages) -> None:
        self.messages: dict[str, dict[str, str]] = {lang: {} for lang in SUPPORTED}
        for source in sources:
            self.add(source)

    def add(self, source: Messages) -> None:
        for lang, messages in source.items():
            if lang not in self.messages:
                raise ValueError(f"unsupported language in catalogue: {lang!r}")
            clash = set(messages) & set(self.messages[lang])
            if clash:
                raise ValueError(f"message keys defined twice: {', '.join(sorted(clash))}")
            self.messages[lang].update(messages)

    def gettext(self, lang: str, key: str, /, **params: object) -> str:
        text = self.messages.get(lang, {}).get(key) or self.messages[DEFAULT].get(key) or key
        return text.format(**params) if params else text

    def translator(self, lang: str) -> Callable[..., str]:
        def t(key: str, /, **params: object) -> str:
            return self.gettext(lang, key, **params)

        return t

    def missing(self) -> dict[str, set[str]]:
        """Keys that some language has and another lacks (should be empty; a test checks it)."""
        every = set().union(*(set(m) for m in self.messages.values()))
        return {lang: every - set(m) for lang, m in self.messages.items() if every - set(m)}


def negotiate(*, query: str | None, cookie: str | None, default: str = DEFAULT) -> str:
    """The page language: ``?lang=``, else the cookie, else ``default``."""
    for candidate in (query, cookie):
        if candidate and candidate.lower() in SUPPORTED:
            return candidate.lower()
    return default if default in SUPPORTED else DEFAULT
