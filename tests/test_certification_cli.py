"""`regia credentials …`, `regia ingest standards` and `regia demo-data certification` as an operator runs
them: exit codes (0 only when valid), JSON output, the 1EdTech vector checked with --trust-key, the Europass
export's mandatory fields, share links."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from regia.auth.settings import get_auth_settings
from regia.certification import europass, sharing
from regia.certification.models import Credential
from regia.cli import app
from regia.config import get_settings
from regia.db import get_engine, session_scope

VECTOR = json.loads((Path(__file__).parent / "data" / "certification" / "ob3_ldp_vector.json").read_text())


@pytest.fixture(scope="module")
def regia(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CliRunner, Engine, Path]]:
    tmp = tmp_path_factory.mktemp("cli")
    patch = pytest.MonkeyPatch()
    patch.setenv("REGIA_DATABASE_URL", f"sqlite:///{tmp / 'cli.db'}")
    patch.setenv("REGIA_DATA_DIR", str(tmp / "var"))
    for cache in (get_settings, get_engine, get_auth_settings):
        cache.cache_clear()
    runner = CliRunner()
    result = runner.invoke(app, ["demo-data", "certification", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["revoked"] == 1 and summary["credentials"] >= 4
    assert set(summary["by_status"]) == {"requested", "identification", "validation", "validated", "certification",
                                         "assessed", "certified", "closed", "withdrawn", "refused"}
    yield runner, get_engine(), tmp
    get_engine().dispose()
    patch.undo()
    for cache in (get_settings, get_engine, get_auth_settings):
        cache.cache_clear()


def _list(runner: CliRunner) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["credentials", "list", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_list_show_verify_revoke(regia: tuple[CliRunner, Engine, Path]) -> None:
    runner, _, tmp = regia
    rows = _list(runner)
    assert {"credential_id", "certificate_id", "issuer", "status"} <= set(rows[0])
    assert sum(r["status"] == "revoked" for r in rows) == 1
    active = next(r for r in rows if r["status"] == "active")
    out = tmp / "c.json"
    assert runner.invoke(app, ["credentials", "show", active["credential_id"], "-o", str(out)]).exit_code == 0
    result = runner.invoke(app, ["credentials", "verify", str(out), "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["status"] == "valid", result.output
    tampered = json.loads(out.read_text())
    tampered["credentialSubject"]["achievement"]["name"] = "Un'altra competenza"
    (tmp / "t.json").write_text(json.dumps(tampered))
    result = runner.invoke(app, ["credentials", "verify", str(tmp / "t.json"), "--json"])
    assert result.exit_code == 1 and json.loads(result.output)["status"] == "tampered"
    (tmp / "bad.json").write_text("{nope")
    result = runner.invoke(app, ["credentials", "verify", str(tmp / "bad.json"), "--json"])
    assert result.exit_code == 1 and json.loads(result.output)["status"] == "malformed"
    result = runner.invoke(app, ["credentials", "revoke", active["credential_id"], "--reason", "Prova di revoca"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["credentials", "verify", str(out), "--json"])
    verdict = json.loads(result.output)
    assert result.exit_code == 1 and verdict["status"] == "revoked" and verdict["params"]["reason"] == "Prova di revoca"
    revoked = next(r for r in rows if r["status"] == "revoked")  # the demo's own revoked credential
    assert runner.invoke(app, ["credentials", "revoke", revoked["credential_id"], "--reason", "x"]).exit_code == 1


def test_issue_writes_the_certificates_credentials(regia: tuple[CliRunner, Engine, Path]) -> None:
    runner, _, tmp = regia
    certificate = _list(runner)[0]["certificate_id"]
    out = tmp / "issued.json"
    result = runner.invoke(app, ["credentials", "issue", "--certificate", str(certificate), "-o", str(out)])
    assert result.exit_code == 0, result.output
    issued = json.loads(out.read_text())
    assert isinstance(issued, list) and len(issued) == 2  # two certified competences, already issued: written
    assert all(c["type"] == ["VerifiableCredential", "OpenBadgeCredential"] for c in issued)
    result = runner.invoke(app, ["credentials", "verify", str(out), "--json"])
    assert {v["status"] for v in json.loads(result.output)} <= {"valid", "revoked"}


def test_the_1edtech_vector_verifies_with_its_trusted_key(regia: tuple[CliRunner, Engine, Path],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    runner, _, tmp = regia
    from regia.certification import contexts

    held = contexts.held()
    extra = {alias: held[url] for alias, url in VECTOR["context_aliases"].items()}
    real = contexts.document_loader
    monkeypatch.setattr(contexts, "document_loader", lambda more=None: real({**extra, **(more or {})}))
    signed = {**VECTOR["document_with_cryptosuite_context"],
              "proof": {**VECTOR["proof_before_signing"], "proofValue": VECTOR["proof_value"]}}
    path = tmp / "vector.json"
    path.write_text(json.dumps(signed))
    key = VECTOR["public_key_multibase"]
    result = runner.invoke(app, ["credentials", "verify", str(path), "--trust-key", key, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["status"] == "valid"
    assert runner.invoke(app, ["credentials", "verify", str(path)]).exit_code == 1  # not one of our issuers
    signed["name"] = "Teamwork Badge (edited)"
    path.write_text(json.dumps(signed))
    result = runner.invoke(app, ["credentials", "verify", str(path), "--trust-key", key, "--json"])
    assert result.exit_code == 1 and json.loads(result.output)["status"] == "tampered"


def test_ingest_standards_is_idempotent(regia: tuple[CliRunner, Engine, Path]) -> None:
    runner, _, _ = regia
    from regia.certification.ingest import DEMO_FILE

    result = runner.invoke(app, ["ingest", "standards", str(DEMO_FILE), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)[0]
    assert (report["stored"], report["unchanged"], report["rejected"]) == (0, 4, 0)


def test_europass_export_has_the_mandatory_fields_and_share_links_expire(
        regia: tuple[CliRunner, Engine, Path]) -> None:
    _, engine, _ = regia
    from regia.auth.principal import cli_principal

    with session_scope(engine) as session:
        credential = session.query(Credential).filter(Credential.revoked_at.is_(None)).first()
        document = europass.export(session, credential)
        assert europass.check(document) == []
        assert document["type"] == ["VerifiableCredential", "EuropeanDigitalCredential"]
        assert document["issuer"]["eidasLegalIdentifier"]["notation"]
        claim = document["credentialSubject"]["hasClaim"][0]
        assert claim["title"]["it"] and claim["awardedBy"]["awardingBody"]
        broken = {**document, "issuer": {"id": "x"}}
        assert "issuer.eidasLegalIdentifier" in europass.check(broken)
        link, token = sharing.create(session, actor=cli_principal(), credential_id=credential.id, days=2)
        assert sharing.resolve(session, token)[1].id == credential.id
        with pytest.raises(Exception, match="expired"):
            sharing.resolve(session, token, now=datetime.now(UTC) + timedelta(days=3))
        assert link.token_hash != token
