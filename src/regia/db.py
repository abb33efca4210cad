"""Database engine, sessions and migrations (SQLite file by default, PostgreSQL by URL).

Instants: every ``DateTime(timezone=True)`` column holds a UTC instant and reads back as an *aware* datetime on
both engines. PostgreSQL's ``timestamptz`` does so itself; on SQLite (which has no time-zone type) the engine made
by :func:`make_engine` stores an aware value converted to UTC and hands values back with ``tzinfo=UTC``
(:class:`UTCDateTime`), so that pages, letters and the API never meet a naive time whose zone they must guess.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import DateTime
from starlette.requests import Request

from regia.config import get_settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(SQLITE_DATETIME):
    """SQLite's ``DATETIME`` for ``DateTime(timezone=True)`` columns: an aware value is stored as its UTC time
    (SQLAlchemy's own would store the wall-clock of whatever zone it carries), and a stored value comes back
    aware, in UTC (SQLAlchemy's would be naive). Columns without ``timezone=True`` are left as they are."""

    def bind_processor(self, dialect: Any) -> Callable[[Any], Any] | None:
        store = super().bind_processor(dialect)
        if not self.timezone or store is None:
            return store

        def process(value: Any) -> Any:
            if isinstance(value, datetime) and value.tzinfo is not None:
                value = value.astimezone(UTC).replace(tzinfo=None)
            return store(value)

        return process

    def result_processor(self, dialect: Any, coltype: object) -> Callable[[Any], Any] | None:
        parse = super().result_processor(dialect, coltype)
        if not self.timezone:
            return parse

        def process(value: Any) -> Any:
            moment = parse(value) if parse is not None else value
            if isinstance(moment, datetime) and moment.tzinfo is None:
                return moment.replace(tzinfo=UTC)
            return moment

        return process


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        # This engine's dialect (not SQLite's class) maps DateTime to UTCDateTime: instants read back aware.
        engine.dialect.colspecs = {**engine.dialect.colspecs, DateTime: UTCDateTime}

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


@lru_cache
def get_engine(url: str | None = None) -> Engine:
    return make_engine(url or get_settings().database_url)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def request_session(request: Request) -> Iterator[Session]:
    """FastAPI dependency: a session on the web application's engine (``app.state.engine``), closed after
    the response. It lives here, not in ``regia.web``, so that domain routers need not import the web layer."""
    with session_factory(request.app.state.engine)() as session:
        yield session


MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest Alembic revision (a no-op when already there)."""
    from alembic import command

    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def all_models() -> MetaData:
    """Import every package's models so that the metadata is complete (for Alembic)."""
    import regia.auth.models
    import regia.catalog.models
    import regia.certification.models
    import regia.exchange.models
    import regia.iefp.models
    import regia.importing.models
    import regia.jobs.models
    import regia.linkage.models
    import regia.monitoring.models
    import regia.pacts.models
    import regia.postings.models
    import regia.programming.models
    import regia.taxonomy.models  # noqa: F401

    return Base.metadata
