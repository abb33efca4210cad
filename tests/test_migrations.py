"""The Alembic migrations build exactly the schema the models describe, on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from regia.db import all_models, migrate


def test_migrations_match_the_models(empty_engine: Engine) -> None:
    migrate(empty_engine)
    with empty_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), all_models())
    assert diff == [], "models and migrations differ: generate a migration (see README, Development)"


def test_migrating_twice_is_a_no_op(empty_engine: Engine) -> None:
    migrate(empty_engine)
    migrate(empty_engine)
    with empty_engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() is not None
