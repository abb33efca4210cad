"""Errors that services raise; the web layer turns them into problem details or error pages.

Services know nothing of HTTP, but each error says which status it deserves, so that every domain's
errors look the same to API clients.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400

    def __init__(self, detail: str, *, field: str | None = None, key: str | None = None,
                 params: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail  # English: API clients and logs read it
        self.field = field
        self.key = key  # optional message key, so that pages can show ``detail`` in their own language
        self.params = dict(params or {})  # the values the key's message shows


class InvalidInput(DomainError):
    status = 422


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Forbidden(DomainError):
    status = 403


class NotAuthenticated(DomainError):
    status = 401


class RateLimited(DomainError):
    status = 429

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
