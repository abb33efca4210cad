"""Page sessions: a signed, time-limited cookie holding the user id, the user's session epoch and the
session's CSRF token (synchronizer token, sent back in forms as ``csrf_token`` or in the ``X-CSRF-Token``
header). Before login, a separate random cookie carries the login form's CSRF token (double submit).

Nothing personal is in the cookie; the signature (itsdangerous, HMAC) stops tampering, the epoch lets a
logout or a password change end every session of the user.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.responses import Response

from regia.auth.settings import AuthSettings

SESSION_COOKIE = "regia_session"
LOGIN_CSRF_COOKIE = "regia_login_csrf"
OIDC_COOKIE = "regia_oidc"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


@dataclass(frozen=True)
class SessionData:
    user_id: int
    epoch: int
    csrf: str


def _serializer(settings: AuthSettings, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.signing_key(), salt=salt)


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def make_session(user_id: int, epoch: int, settings: AuthSettings) -> tuple[str, SessionData]:
    data = SessionData(user_id=user_id, epoch=epoch, csrf=new_csrf())
    value = _serializer(settings, "regia.session").dumps({"u": user_id, "e": epoch, "c": data.csrf})
    return value, data


def read_session(cookie: str, settings: AuthSettings) -> SessionData | None:
    try:
        raw = _serializer(settings, "regia.session").loads(cookie, max_age=settings.session_max_age)
    except (BadSignature, SignatureExpired, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(raw, dict):
        return None
    user_id, epoch, csrf = raw.get("u"), raw.get("e"), raw.get("c")
    if not isinstance(user_id, int) or not isinstance(epoch, int) or not isinstance(csrf, str):
        return None
    return SessionData(user_id=user_id, epoch=epoch, csrf=csrf)


def set_cookie(response: Response, name: str, value: str, settings: AuthSettings, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, secure=settings.cookie_secure,
                        samesite="lax", path="/")


def clear_cookie(response: Response, name: str, settings: AuthSettings) -> None:
    response.delete_cookie(name, path="/", secure=settings.cookie_secure, httponly=True, samesite="lax")


def tokens_match(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def sign(payload: dict[str, Any], settings: AuthSettings, salt: str) -> str:
    return _serializer(settings, salt).dumps(payload)


def unsign(value: str, settings: AuthSettings, salt: str, max_age: int) -> dict[str, Any] | None:
    try:
        raw = _serializer(settings, salt).loads(value, max_age=max_age)
    except (BadSignature, SignatureExpired, ValueError, UnicodeDecodeError):
        return None
    return raw if isinstance(raw, dict) else None
