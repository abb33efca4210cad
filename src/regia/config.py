"""Settings, read from environment variables prefixed ``REGIA_`` (and an optional ``.env`` file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REGIA_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///regia.db",
        description="SQLAlchemy URL; SQLite file by default, postgresql+psycopg://... in production.",
    )
    reference_dir: Path = Field(
        default=Path("../shared/data"),
        description="Folder holding the publishers' reference files (ESCO CSV, ISTAT, geography).",
    )
    bench_dir: Path = Field(default=Path("../shared/bench"), description="Public evaluation sets.")
    data_dir: Path = Field(default=Path("var"), description="Working data: Parquet facts, caches, reports.")
    default_lang: str = Field(default="it", description="Interface and search language: it or en.")
    classify_encoder: str = Field(
        default="build",
        description="Label embeddings of the classifier's encoder: build (when missing, by `regia taxonomy import`, "
        "`regia demo` and `regia classify`), auto (use them when built), off (lexical classification only).",
    )

    esco_download_url: str = Field(
        default="https://esco.ec.europa.eu/sites/default/files/download",
        description="Base URL of the ESCO CSV packages, see `regia taxonomy download`.",
    )
    geo_download_url: str = Field(
        default="https://raw.githubusercontent.com/openpolis/geojson-italy/master/geojson",
        description="Base URL of the province boundaries (openpolis GeoJSON).",
    )
    download_timeout: float = 30.0

    jobs_queue_url: str | None = Field(
        default=None, description="Queue of the background jobs: sqlite:///PATH (default: a SQLite file in "
                                  "data_dir) or redis://HOST:PORT/DB (production; the redis extra)")
    jobs_upload_dir: Path | None = Field(default=None, description="Where uploads wait for their job "
                                                                   "(default: data_dir/uploads)")
    jobs_max_upload_mb: int = Field(default=50, ge=1, le=10_000, description="Largest file accepted for an "
                                                                            "import, in MB")
    jobs_stale_seconds: float = Field(default=60.0, gt=0, description="A running job whose worker has not "
                                      "reported for this long is taken over by another worker")
    jobs_workers: int = Field(default=1, ge=1, le=32, description="Jobs a worker process runs at once")

    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Public base URL of this Regia: issuers, status lists and credentials are named under it.",
    )
    credential_keys_dir: Path | None = Field(
        default=None,
        description="Folder of the credential issuers' private keys (default: DATA_DIR/keys); keep it outside "
                    "the repository and the database, readable by the service only.",
    )
    jsonld_contexts_dir: Path | None = Field(
        default=None,
        description="JSON-LD contexts exported from their npm packages (default: the package's contexts/ "
                    "folder, written by scripts/install-assets.sh).",
    )

    @property
    def jobs_dir(self) -> Path:
        return self.jobs_upload_dir or self.data_dir / "uploads"

    @property
    def jobs_max_upload_bytes(self) -> int:
        return self.jobs_max_upload_mb * 1_000_000


@lru_cache
def get_settings() -> Settings:
    return Settings()
