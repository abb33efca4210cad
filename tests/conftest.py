"""Shared fixtures: reference data location, databases on both engines, an imported taxonomy.

PostgreSQL tests run when REGIA_TEST_POSTGRES_URL points to a server (``scripts/postgres.sh`` starts
one; `.ci/run` always does). Under CI a missing server is an error, not a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from regia.db import make_engine, migrate
from regia.taxonomy.importer import import_reference

ROOT = Path(__file__).resolve().parents[1]
# The classifier's label embeddings of the whole ESCO take 10-15 minutes to build: tests use what exists (or
# build them over small taxonomies, asking for it explicitly), never the whole build by accident.
os.environ.setdefault("REGIA_CLASSIFY_ENCODER", "auto")


def _dir(env: str, default: Path) -> Path:
    path = Path(os.environ.get(env, default)).resolve()
    if not path.is_dir():
        pytest.fail(f"{env} not found: {path}")
    return path


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return _dir("REGIA_REFERENCE_DIR", ROOT.parent / "shared" / "data")


@pytest.fixture(scope="session")
def bench_dir() -> Path:
    return _dir("REGIA_BENCH_DIR", ROOT.parent / "shared" / "bench")


def _postgres_admin_url() -> str | None:
    url = os.environ.get("REGIA_TEST_POSTGRES_URL")
    if not url and os.environ.get("CI"):
        pytest.fail("CI must provide PostgreSQL: REGIA_TEST_POSTGRES_URL is not set")
    return url


class Databases:
    """Creates empty databases on demand: SQLite files or fresh PostgreSQL databases."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.created: list[tuple[str, str]] = []
        self.engines: list[Engine] = []

    def new(self, kind: str) -> Engine:
        name = f"regia_test_{uuid.uuid4().hex[:10]}"
        if kind == "sqlite":
            engine = make_engine(f"sqlite:///{self.tmp / name}.db")
        else:
            admin = _postgres_admin_url()
            if not admin:
                pytest.skip("no PostgreSQL server (set REGIA_TEST_POSTGRES_URL, see scripts/postgres.sh)")
            with create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=NullPool).connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            self.created.append((admin, name))
            engine = make_engine(admin.rsplit("/", 1)[0] + f"/{name}")
        self.engines.append(engine)
        return engine

    def drop(self, engine: Engine) -> None:
        """Dispose of one test database now (a long run would otherwise keep a thousand of them on disk)."""
        engine.dispose()
        self.engines.remove(engine)
        if engine.dialect.name == "sqlite":
            Path(engine.url.database or "").unlink(missing_ok=True)
            return
        for admin, name in list(self.created):
            if name == engine.url.database:
                self._drop_database(admin, name)
                self.created.remove((admin, name))

    @staticmethod
    def _drop_database(admin: str, name: str) -> None:
        with create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=NullPool).connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def drop_all(self) -> None:
        for engine in self.engines:
            engine.dispose()
        for admin, name in self.created:
            self._drop_database(admin, name)


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    dbs = Databases(tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.drop_all()


@pytest.fixture(autouse=True)
def _release_connections(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test, close the pooled connections of every test database (they reopen on demand), so that
    a long run stays under PostgreSQL's connection limit."""
    yield
    if "databases" in request.fixturenames:
        for engine in request.getfixturevalue("databases").engines:
            engine.pool.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, databases: Databases) -> Iterator[Engine]:
    """A fresh, migrated database on each engine, dropped after the test."""
    engine = databases.new(request.param)
    migrate(engine)
    yield engine
    databases.drop(engine)


_imported: dict[str, Engine] = {}


def _taxonomy(kind: str, databases: Databases, reference_dir: Path) -> Engine:
    if kind not in _imported:
        engine = databases.new(kind)
        import_reference(engine, reference_dir)
        _imported[kind] = engine
    return _imported[kind]


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def taxonomy_engine(request: pytest.FixtureRequest, databases: Databases, reference_dir: Path) -> Engine:
    """The full reference data imported once per engine (read-only for tests)."""
    return _taxonomy(request.param, databases, reference_dir)


@pytest.fixture(scope="session")
def sqlite_taxonomy(databases: Databases, reference_dir: Path) -> Engine:
    """The full reference data imported in SQLite (read-only), for tests that need one engine only."""
    return _taxonomy("sqlite", databases, reference_dir)
