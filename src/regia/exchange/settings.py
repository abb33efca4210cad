"""Settings of the exchange, read from ``REGIA_EXCHANGE_*`` environment variables.

The audiences of every token are derived from ``base_url``, never from the request's ``Host`` header: a token
made for another server must not become valid here because a request says it is addressed to that server.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from regia.config import get_settings

API_PREFIX = "/exchange/v1"


class ExchangeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REGIA_EXCHANGE_", env_file=".env", extra="ignore")

    base_url: str = Field(default="http://127.0.0.1:8000",
                          description="Public URL of this Regia (scheme and host): the audiences of the tokens.")
    voucher_ttl: int = Field(default=600, ge=30, le=3600, description="Seconds an access token (voucher) lasts.")
    assertion_max_ttl: int = Field(default=600, ge=30, le=3600,
                                   description="Longest accepted lifetime (exp - iat) of a client assertion, of "
                                               "an integrity signature and of tracking evidence.")
    leeway: int = Field(default=30, ge=0, le=300, description="Clock skew tolerated on iat, nbf and exp.")
    rate_limit: int = Field(default=600, ge=1, description="Requests per window of a client (unless its own).")
    anonymous_rate_limit: int = Field(default=60, ge=1, description="Requests per window of one address "
                                                                    "without a valid token (the token endpoint).")
    rate_window: int = Field(default=60, ge=1, description="Seconds of a rate-limit window.")
    page_max: int = Field(default=1000, ge=1, description="Largest page of a change feed.")
    figures_max_age: int = Field(default=3600, ge=0, description="Seconds after which the figures' feeds "
                                                                 "(needs, mismatch) are recomputed when read.")
    idempotency_ttl: int = Field(default=24 * 3600, ge=60, description="Seconds an Idempotency-Key is kept.")
    signing_key: SecretStr | None = Field(default=None, description="The server's private key (a JWK as JSON) "
                                                                    "signing vouchers and packages; kept in "
                                                                    "data_dir/secrets when unset.")
    data_dir: Path | None = None

    @property
    def issuer(self) -> str:
        return self.base_url.rstrip("/")

    @property
    def audience(self) -> str:
        """The audience of vouchers and integrity signatures: the e-services' base URL."""
        return f"{self.issuer}{API_PREFIX}"

    @property
    def token_endpoint(self) -> str:
        """The audience of client assertions."""
        return f"{self.audience}/token"

    def secrets_dir(self) -> Path:
        return (self.data_dir or get_settings().data_dir) / "secrets"


@lru_cache
def get_exchange_settings() -> ExchangeSettings:
    return ExchangeSettings()
