"""Settings of accounts and security, read from ``REGIA_*`` environment variables like the rest.

They live here rather than in :mod:`regia.config` so that the auth package owns its knobs. Secrets that are
not given are created once and kept in ``<data_dir>/secrets/`` (mode 0600), so that sessions and
pseudonyms stay stable across restarts without anybody having to invent a key for the demo.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from regia.config import get_settings


def load_or_create_secret(path: Path) -> str:
    """The secret kept in ``path``, created (random, 256 bits) when missing."""
    if path.is_file():
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return value
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value)
    return value


class AuthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REGIA_", env_file=".env", extra="ignore")

    secret_key: SecretStr | None = Field(
        default=None, description="Signs session cookies and CSRF tokens; kept in data_dir/secrets when unset.")
    pseudonym_key: SecretStr | None = Field(
        default=None, description="HMAC key of personal identifiers; kept in data_dir/secrets when unset. "
                                  "Changing it changes every pseudonym.")
    session_max_age: int = Field(default=8 * 3600, ge=60, description="Seconds a page session lasts.")
    cookie_secure: bool = Field(default=False, description="Send cookies over HTTPS only (set in production).")
    token_max_age_days: int = Field(default=90, ge=1, description="Lifetime of API bearer tokens.")
    login_max_failures: int = Field(default=5, ge=1, description="Failed logins allowed per account and window.")
    login_window_seconds: int = Field(default=900, ge=1, description="Window of the login rate limit.")
    max_request_bytes: int = Field(default=1_000_000, ge=1024, description="Largest request body accepted.")
    cors_origins: list[str] = Field(default_factory=list,
                                    description="Origins allowed to call the API from a browser; none by default.")

    oidc_issuer: str | None = Field(default=None, description="OpenID provider (e.g. the regional SPID/CIE "
                                                               "gateway); the OIDC login is off when unset.")
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_scopes: str = "openid profile email"
    oidc_redirect_uri: str | None = Field(default=None, description="Callback URL registered at the provider; "
                                                                     "derived from the request when unset.")
    oidc_label: str = Field(default="SPID / CIE", description="Name of the login button.")

    data_dir: Path | None = Field(default=None, description="Where generated secrets are kept (default: "
                                                            "REGIA_DATA_DIR).")

    def _secrets_dir(self) -> Path:
        return (self.data_dir or get_settings().data_dir) / "secrets"

    def signing_key(self) -> str:
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return load_or_create_secret(self._secrets_dir() / "secret_key")

    def pseudonym_secret(self) -> bytes:
        if self.pseudonym_key is not None:
            return self.pseudonym_key.get_secret_value().encode()
        return load_or_create_secret(self._secrets_dir() / "pseudonym_key").encode()

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)


@lru_cache
def get_auth_settings() -> AuthSettings:
    return AuthSettings()
