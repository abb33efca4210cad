"""The audit log: every change recorded with before/after, the hash chain verifies, and tampering — an edited,
a removed or a forged row — is detected. On SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import json

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError

from regia.auth import audit, service
from regia.auth.models import AuditEntry, OrgType, Role
from regia.auth.principal import cli_principal
from regia.db import session_factory, session_scope

ACTOR = cli_principal("test")


def _changes(engine: Engine) -> None:
    with session_scope(engine) as session:
        org = service.create_organisation(session, actor=ACTOR, name="Patto di prova", type=OrgType.PARTNERSHIP,
                                          tax_code="09000000027")
        user = service.create_user(session, actor=ACTOR, email="Editor@Example.org", display_name="Editor",
                                   password="a-long-password-1", memberships=[(org.id, Role.EDITOR)])
        service.update_organisation(session, actor=ACTOR, id=org.id, name="Patto di prova (rinominato)")
        service.add_membership(session, actor=ACTOR, user_id=user.id, organisation_id=org.id, role=Role.ADMIN)


def _disable_guards(engine: Engine) -> None:
    """What an attacker with full database rights would do first: drop the append-only triggers."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER audit_entry_no_update"))
            conn.execute(text("DROP TRIGGER audit_entry_no_delete"))


def test_changes_are_recorded_with_before_and_after(empty_engine: Engine) -> None:
    _changes(empty_engine)
    with session_factory(empty_engine)() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(e.action, e.resource_type) for e in entries] == [
            ("create", "organisation"), ("create", "user"), ("create", "membership"), ("update", "organisation"),
            ("update", "membership")]
        rename = entries[3]
        assert rename.before["name"] == "Patto di prova" and rename.after["name"] == "Patto di prova (rinominato)"
        assert rename.actor == "test"
        assert entries[4].before["role"] == "editor" and entries[4].after["role"] == "admin"
        assert all("password" not in json.dumps(e.after) for e in entries if e.after)  # no secrets
        assert entries[0].prev_hash == "0" * 64
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
        result = audit.verify(session)
        assert result.ok and result.checked == 5 and result.head == entries[-1].hash


def test_database_refuses_update_and_delete(empty_engine: Engine) -> None:
    _changes(empty_engine)
    for statement in ("UPDATE audit_entry SET actor = 'someone else'", "DELETE FROM audit_entry"):
        with pytest.raises(DBAPIError, match="append-only"), empty_engine.begin() as conn:
            conn.execute(text(statement))
    with session_factory(empty_engine)() as session:
        assert audit.count(session) == 5 and audit.verify(session).ok


def test_verification_detects_an_edited_row(empty_engine: Engine) -> None:
    _changes(empty_engine)
    _disable_guards(empty_engine)
    with empty_engine.begin() as conn:  # quietly change who was renamed into what
        conn.execute(text("UPDATE audit_entry SET after = :after WHERE id = 4"),
                     {"after": json.dumps({"name": "Patto falsificato"})})
    with session_factory(empty_engine)() as session:
        result = audit.verify(session)
    assert not result.ok
    assert result.first_bad_id == 4 and "edited" in (result.problem or "")
    assert result.checked == 3


def test_verification_detects_a_removed_row(empty_engine: Engine) -> None:
    _changes(empty_engine)
    _disable_guards(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_entry WHERE id = 2"))
    with session_factory(empty_engine)() as session:
        result = audit.verify(session)
    assert not result.ok and result.first_bad_id == 3 and "removed" in (result.problem or "")


def test_verification_detects_a_rehashed_forgery(empty_engine: Engine) -> None:
    """Recomputing the edited row's own hash is not enough: the next row's link breaks."""
    _changes(empty_engine)
    _disable_guards(empty_engine)
    with session_factory(empty_engine)() as session:
        entry = session.get(AuditEntry, 2)
        assert entry is not None
        entry.after = {**(entry.after or {}), "email": "attacker@example.org"}
        entry.hash = audit.compute_hash(entry)
        session.commit()
        result = audit.verify(session)
    assert not result.ok and result.first_bad_id == 3


def test_export_verifies_on_its_own(empty_engine: Engine) -> None:
    _changes(empty_engine)
    with session_factory(empty_engine)() as session:
        lines = list(audit.export_json_lines(session))
        csv_text = "".join(audit.export_csv(session))
    assert audit.verify_export(iter(lines)).ok
    assert csv_text.splitlines()[0].startswith("id,at,actor_user_id") and len(csv_text.splitlines()) >= 6
    tampered = json.loads(lines[1])
    tampered["actor"] = "someone else"
    lines[1] = json.dumps(tampered)
    result = audit.verify_export(iter(lines))
    assert not result.ok and result.first_bad_id == 2
