"""`regia users`, `regia org` and `regia audit` as an operator runs them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from regia.auth import passwords, service
from regia.auth.demo import DEMO_PASSWORD, DEMO_USERS
from regia.auth.settings import get_auth_settings
from regia.cli import app
from regia.config import get_settings
from regia.db import get_engine, session_factory


@pytest.fixture
def regia(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[CliRunner, Engine]]:
    monkeypatch.setenv("REGIA_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("REGIA_DATA_DIR", str(tmp_path / "var"))
    for cache in (get_settings, get_engine, get_auth_settings):
        cache.cache_clear()
    yield CliRunner(), get_engine()
    get_engine().dispose()
    for cache in (get_settings, get_engine, get_auth_settings):
        cache.cache_clear()


def test_create_admin_org_add_and_users(regia: tuple[CliRunner, Engine], monkeypatch: pytest.MonkeyPatch) -> None:
    runner, engine = regia
    monkeypatch.setenv("REGIA_NEW_PASSWORD", "an-admin-password-1")
    result = runner.invoke(app, ["users", "create-admin", "--email", "Admin@Regione.example"])
    assert result.exit_code == 0, result.output
    assert "admin@regione.example" in result.output
    assert "an-admin-password-1" not in result.output

    bad = runner.invoke(app, ["org", "add", "Fondo sbagliato", "--type", "fund", "--cf", "12345678901"])
    assert bad.exit_code == 1 and "codice fiscale" in bad.output
    ok = runner.invoke(app, ["org", "add", "Fondimpresa", "--type", "fund", "--cf", "97278470584"])
    assert ok.exit_code == 0, ok.output
    added = runner.invoke(app, ["users", "add", "--email", "fondo@example.org", "--name", "Referente",
                                "--org", "Fondimpresa", "--role", "viewer"])
    assert added.exit_code == 0, added.output

    orgs = json.loads(runner.invoke(app, ["org", "list", "--json"]).stdout)
    assert {(o["name"], o["type"]) for o in orgs} == {("Regione Lombardia", "region"), ("Fondimpresa", "fund")}
    users = json.loads(runner.invoke(app, ["users", "list", "--json"]).stdout)
    assert {u["email"]: u["roles"] for u in users} == {"admin@regione.example": ["admin@Regione Lombardia"],
                                                       "fondo@example.org": ["viewer@Fondimpresa"]}
    with session_factory(engine)() as session:
        admin = service.find_user(session, "admin@regione.example")
        assert admin is not None and passwords.verify_password(admin.password_hash, "an-admin-password-1")

    token = runner.invoke(app, ["users", "token", "--email", "fondo@example.org"])
    assert token.exit_code == 0 and token.stdout.strip().startswith("rga_")

    monkeypatch.setenv("REGIA_NEW_PASSWORD", "a-new-password-22")
    assert runner.invoke(app, ["users", "set-password", "--email", "fondo@example.org"]).exit_code == 0
    assert runner.invoke(app, ["users", "disable", "fondo@example.org"]).exit_code == 0
    with session_factory(engine)() as session:
        user = service.find_user(session, "fondo@example.org")
        assert user is not None and not user.is_active
        assert passwords.verify_password(user.password_hash, "a-new-password-22")
    last_admin = runner.invoke(app, ["users", "disable", "admin@regione.example"])
    assert last_admin.exit_code == 1 and "last Region administrator" in last_admin.output


def test_demo_accounts_and_audit_commands(regia: tuple[CliRunner, Engine], tmp_path: Path) -> None:
    runner, engine = regia
    result = runner.invoke(app, ["users", "demo"])
    assert result.exit_code == 0, result.output
    assert "DEMO ONLY" in result.output and DEMO_PASSWORD in result.output
    for email, *_ in DEMO_USERS:
        assert email in result.output
    assert runner.invoke(app, ["users", "demo"]).exit_code == 0  # idempotent

    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0 and "intact" in verified.output
    out = tmp_path / "audit.jsonl"
    assert runner.invoke(app, ["audit", "export", "-o", str(out)]).exit_code == 0
    assert len(out.read_text().splitlines()) > 10

    with engine.begin() as conn:  # tamper with a row behind the application's back
        conn.execute(text("DROP TRIGGER audit_entry_no_update"))
        conn.execute(text("UPDATE audit_entry SET actor = 'nobody' WHERE id = 3"))
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1 and "entry 3" in broken.output
