"""Independent check: a credential Regia issues verifies with Digital Bazaar's ``@digitalbazaar/vc`` and
``@digitalbazaar/eddsa-rdfc-2022-cryptosuite`` (node, npm devDependencies), which fetch the issuer's controller
document and the status list from the running app on loopback; a changed signed field fails; after the
revocation the status check reports it revoked (the bit is set)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from regia.certification import credentials
from regia.certification.models import Credential
from regia.config import get_settings
from regia.db import session_scope
from regia.web.app import create_app
from support.ivc import PERSON, IvcWorlds, principal, take_to
from support.servers import free_port, live_server

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "support" / "vc_verify.mjs"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None or not (ROOT / "node_modules" / "@digitalbazaar" / "vc").is_dir(),
                                reason="node and the npm devDependencies are needed (make install)")


def _node(path: Path, base: str) -> dict[str, Any]:
    run = subprocess.run([NODE or "node", str(SCRIPT), str(path), base], capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_digital_bazaar_verifies_what_regia_issues(databases: Any, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("REGIA_PUBLIC_URL", base)
    monkeypatch.setenv("REGIA_CREDENTIAL_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    try:
        world = IvcWorlds(databases).new()
        with session_scope(world.engine) as session:
            from regia.certification import procedure

            request = procedure.create(session, actor=principal(session, world, "citizen"),
                                       profile_code="DEMO-MEC-001", provider_org_id=world.orgs["provider"],
                                       person=PERSON)
            take_to(session, world, request.id, "certified")
            credential = session.scalars(select(Credential).where(Credential.request_id == request.id)).first()
            assert credential is not None
            credential_id, body = credential.id, credential.body
        assert body["issuer"]["id"].startswith(base + "/certification/issuers/")
        app = create_app(engine=world.engine)
        app.state.auth_settings = world.settings
        with live_server(app, port=port):
            issued = tmp_path / "credential.json"
            issued.write_text(json.dumps(body), encoding="utf-8")
            result = _node(issued, base)
            assert result["verified"] is True, result
            assert result["status"] == {"verified": True, "revoked": False}, result

            for change in (lambda d: d.update(name="Certificazione contraffatta"),
                           lambda d: d["credentialSubject"]["achievement"].update(name="Altra competenza"),
                           lambda d: d["credentialSubject"]["identifier"][0].update(identityHash="sha256$00")):
                tampered = json.loads(json.dumps(body))
                change(tampered)
                path = tmp_path / "tampered.json"
                path.write_text(json.dumps(tampered), encoding="utf-8")
                assert _node(path, base)["verified"] is False

            with session_scope(world.engine) as session:
                credentials.revoke(session, actor=principal(session, world, "region_admin"), id=credential_id,
                                   reason="Prova di revoca")
            result = _node(issued, base)
            # the proof still holds; the status list (re-signed, and verified by the library) has the bit set
            assert result["status"] == {"verified": True, "revoked": True}, result
    finally:
        get_settings.cache_clear()
