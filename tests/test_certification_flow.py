"""The IVC procedure end to end on the real services: a person's request through the provider, the
assessor and the commission to a certificate and its credentials; verification verdicts (valid, tampered,
revoked, unknown issuer, not delegated, expired, malformed); the Fund's delegation; documents' content."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from regia.auth.errors import Conflict, Forbidden, InvalidInput, NotFound
from regia.certification import credentials, delegations, documents, issuers, procedure, statuslist, verify
from regia.certification.models import Credential, IssuedDocument, StatusList
from regia.clock import rome_today
from regia.config import get_settings
from regia.db import session_scope
from support.ivc import PDF, PERSON, SYSTEM, IvcWorlds, principal, take_to


@pytest.fixture(autouse=True)
def _keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("REGIA_CREDENTIAL_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def worlds(databases: Any) -> IvcWorlds:
    return IvcWorlds(databases)


@pytest.fixture
def world(worlds: IvcWorlds, _keys: None) -> Any:
    return worlds.new()


def _request(session: Any, world: Any, role: str = "citizen", **kwargs: Any) -> int:
    actor = principal(session, world, role)
    return procedure.create(session, actor=actor, profile_code=kwargs.pop("profile_code", "DEMO-LOG-001"),
                            provider_org_id=world.orgs["provider"], person=PERSON, **kwargs).id


def test_a_request_goes_from_the_person_to_a_certificate_and_verifiable_credentials(world: Any) -> None:
    with session_scope(world.engine) as session:
        request_id = _request(session, world)
        take_to(session, world, request_id, "certified")
        request = procedure.get(session, principal=principal(session, world, "citizen"), id=request_id)
        assert request.status == "certified" and request.channel == "person"
        kinds = [d.kind for d in procedure.documents_of(session, principal=SYSTEM, request_id=request_id)]
        assert kinds == ["transparency", "validation", "certificate"]
        issued = session.scalars(select(Credential).where(Credential.request_id == request_id)).all()
        assert len(issued) == 2  # one per certified competence
        for credential in issued:
            verdict = verify.verify(session, credential.body)
            assert verdict.status == "valid", verdict.as_dict()
            body = credential.body
            assert body["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
            # what 1EdTech's OB 3.0 AchievementCredential schema and data model require
            assert body["@context"][:2] == ["https://www.w3.org/ns/credentials/v2",
                                            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
            assert {"@context", "id", "type", "credentialSubject", "issuer", "validFrom", "name"} <= set(body)
            assert {"id": credentials.OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"} in body["credentialSchema"]
            assert "Profile" in body["issuer"]["type"] and body["issuer"]["id"].startswith("http")
            achievement = body["credentialSubject"]["achievement"]
            assert {"id", "type", "name", "description", "criteria"} <= set(achievement)
            assert all({"type", "hashed", "identityHash", "identityType"} <= set(i)
                       for i in body["credentialSubject"]["identifier"])
            assert all({"targetName", "targetUrl"} <= set(a) for a in achievement["alignment"])
            assert body["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
            assert "RSSMRA85T10A562S" not in json.dumps(body)  # the codice fiscale is only hashed
            hashed = body["credentialSubject"]["identifier"][0]
            assert hashed["identityHash"] == credentials.identity_hash(PERSON.tax_code, hashed["salt"])
            targets = {a["targetType"] for a in body["credentialSubject"]["achievement"]["alignment"]}
            assert targets == {"ext:QRSP", "ext:EQF", "ceasn:Competency"}


def test_verdicts_tampered_revoked_unknown_expired_malformed(world: Any) -> None:
    with session_scope(world.engine) as session:
        request_id = _request(session, world)
        take_to(session, world, request_id, "certified")
        credential = session.scalars(select(Credential).where(Credential.request_id == request_id)).first()
        body = credential.body
        for path, value in ((("name",), "Certificazione falsa"), (("credentialSubject", "achievement", "name"), "X"),
                            (("validFrom",), "2020-01-01T00:00:00Z"), (("issuer", "name"), "Altro ente"),
                            (("credentialStatus", "statusListIndex"), "1")):
            changed = copy.deepcopy(body)
            target = changed
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value
            assert verify.verify(session, changed).status == "tampered", path
        assert verify.verify(session, "{not json").status == "malformed"
        assert verify.verify(session, {**body, "proof": {}}).status == "malformed"
        assert verify.verify(session, {**body, "unknownTerm": 1}).status == "malformed"
        stranger = copy.deepcopy(body)
        stranger["proof"]["verificationMethod"] = "https://example.org/issuers/1#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5j"
        assert verify.verify(session, stranger).status == "unknown_issuer"
        later = datetime.now(UTC) + timedelta(days=3650)
        assert verify.verify(session, body, now=later).status == "valid"  # logistics: no expiry
        region_admin = principal(session, world, "region_admin")
        with pytest.raises(InvalidInput):
            credentials.revoke(session, actor=region_admin, id=credential.id, reason=" ")
        with pytest.raises((Forbidden, NotFound)):
            credentials.revoke(session, actor=principal(session, world, "fund_editor"), id=credential.id,
                               reason="x")
        credentials.revoke(session, actor=region_admin, id=credential.id, reason="Rilasciato per errore")
        verdict = verify.verify(session, body)
        assert verdict.status == "revoked" and verdict.params["reason"] == "Rilasciato per errore"
        status_list = session.get(StatusList, credential.status_list_id)
        served = status_list.credential
        assert statuslist.bit(statuslist.decode(served["credentialSubject"]["encodedList"]), credential.status_index)
        assert verify.verify(session, served).status == "valid"  # the status list credential is signed too
        with pytest.raises(Conflict):
            credentials.revoke(session, actor=region_admin, id=credential.id, reason="di nuovo")


def test_expiry_follows_the_standard(world: Any) -> None:
    with session_scope(world.engine) as session:
        request_id = _request(session, world, profile_code="DEMO-MEC-001")
        take_to(session, world, request_id, "certified")
        credential = session.scalars(select(Credential).where(Credential.request_id == request_id)).first()
        assert credential.body["validUntil"]  # welding: 36 months
        assert verify.verify(session, credential.body, now=datetime.now(UTC) + timedelta(days=365 * 3 + 40)).status \
            == "expired"


def test_a_fund_issues_only_inside_its_delegation_and_what_it_issued_stays_valid(world: Any) -> None:
    with session_scope(world.engine) as session:
        fund = principal(session, world, "fund_editor")
        with pytest.raises(Forbidden) as refused:  # welding is outside the Fund's scope
            _request(session, world, role="fund_editor", profile_code="DEMO-MEC-001")
        assert refused.value.key == "certification.err.not_delegated"
        request_id = _request(session, world, role="fund_editor")
        take_to(session, world, request_id, "certified")
        credential = session.scalars(select(Credential).where(Credential.request_id == request_id)).first()
        assert credential.body["issuer"]["name"] == "Fondimpresa"
        assert verify.verify(session, credential.body).status == "valid"
        # the delegation ends: the Fund cannot issue any more, what it issued stays valid
        delegations.revoke(session, actor=SYSTEM, id=world.extra["delegation"], reason="Fine del protocollo")
        assert verify.verify(session, credential.body).status == "valid"
        with pytest.raises(Forbidden):
            _request(session, world, role="fund_editor")
        # a second request reaching the certificate after the delegation ended is refused at issuance
        assert fund.has()


def test_issuing_is_refused_when_the_delegation_expired_before_the_certificate(world: Any) -> None:
    with session_scope(world.engine) as session:
        request_id = _request(session, world, role="fund_editor")
        take_to(session, world, request_id, "assessed")
        delegations.revoke(session, actor=SYSTEM, id=world.extra["delegation"], reason="Scaduta")
        delegation = session.get(delegations.Delegation, world.extra["delegation"])
        delegation.revoked_at = datetime.now(UTC) - timedelta(days=1)
        with pytest.raises(Forbidden) as refused:
            procedure.advance(session, actor=principal(session, world, "fund_editor"), request_id=request_id,
                              target="certified")
        assert refused.value.key == "certification.err.not_delegated"


def test_a_credential_signed_by_an_undelegated_fund_is_not_delegated(world: Any) -> None:
    with session_scope(world.engine) as session:
        request_id = _request(session, world, role="fund_editor")
        take_to(session, world, request_id, "certified")
        credential = session.scalars(select(Credential).where(Credential.request_id == request_id)).first()
        delegation = session.get(delegations.Delegation, world.extra["delegation"])
        delegation.valid_from = rome_today() + timedelta(days=1)  # as if it had started after the issuance
        assert verify.verify(session, credential.body).status == "not_delegated"


def test_key_rotation_keeps_old_credentials_verifiable(world: Any) -> None:
    with session_scope(world.engine) as session:
        request_id = _request(session, world)
        take_to(session, world, request_id, "certified")
        credential = session.scalars(select(Credential).where(Credential.request_id == request_id)).first()
        issuer = session.get(issuers.Issuer, credential.issuer_id)
        old = issuers.active_key(issuer)
        new = issuers.rotate_key(session, actor=SYSTEM, issuer=issuer)
        assert new.public_key_multibase != old.public_key_multibase and old.retired_at is not None
        assert verify.verify(session, credential.body).status == "valid"
        document = issuers.controller_document(issuer)
        assert document["verificationMethod"][0]["publicKeyMultibase"] == new.public_key_multibase
        assert {m["publicKeyMultibase"] for m in document["verificationMethod"]} == {old.public_key_multibase,
                                                                                     new.public_key_multibase}
        assert issuers.did_document(issuer)["id"].startswith("did:web:127.0.0.1%3A8000:certification:issuers:")


def test_key_files_are_private_and_not_in_the_database(world: Any) -> None:
    with session_scope(world.engine) as session:
        request_id = _request(session, world)
        take_to(session, world, request_id, "certified")
        issuer = session.scalars(select(issuers.Issuer)).first()
        key = issuers.active_key(issuer)
        path = Path(get_settings().credential_keys_dir) / key.file_name
        assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
        pem = path.read_text()
        with world.engine.connect() as conn:
            for table in ("ivc_issuer_key", "ivc_issuer", "ivc_credential", "ivc_status_list"):
                dump = json.dumps([list(map(str, r)) for r in conn.exec_driver_sql(f"SELECT * FROM {table}")])
                assert pem.splitlines()[1] not in dump
        path.chmod(0o644)
        with pytest.raises(issuers.keys.KeyFileError, match="open to other users"):
            issuers.signing_key(issuer)


def test_every_document_carries_the_minimum_content(world: Any) -> None:
    with session_scope(world.engine) as session:
        request_id = _request(session, world)
        take_to(session, world, request_id, "certified")
        for document in session.scalars(select(IssuedDocument).where(IssuedDocument.request_id == request_id)):
            content = document.content
            for name in documents.MINIMUM_FIELDS:
                head, _, rest = name.partition(".")
                if head.endswith("[]"):
                    items = content[head[:-2]]
                    assert items, (document.kind, name)
                    for item in items:
                        value = item
                        for part in rest.split("."):
                            value = value[part]
                        assert value not in (None, ""), (document.kind, name)
                else:
                    value = content[head]
                    for part in rest.split("."):
                        value = value[part]
                    assert value not in (None, ""), (document.kind, name)
            assert content["ente_titolato"]["legal_reference"].startswith("Albo regionale")
            pdf = documents.pdf(document, verify_url="http://127.0.0.1:8000/certification/verify")
            import io

            from pypdf import PdfReader

            text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
            for expected in (documents.TITLES[document.kind], "Rossi Mario", "RSSMRA85T10A562S",
                             "Ente titolato", "Livello EQF", "52.10", "4.3.1.2.0", "Come è stata valutata"):
                assert expected in text, (document.kind, expected)
            records = documents.fascicolo_record(document)
            assert records and all(r["codice_fiscale"] == "RSSMRA85T10A562S" for r in records)


def test_dossier_uploads_are_checked_and_only_the_parties_write(world: Any) -> None:
    with session_scope(world.engine) as session:
        request_id = _request(session, world)
        citizen = principal(session, world, "citizen")
        with pytest.raises(InvalidInput, match="only PDF"):
            procedure.upload_evidence(session, actor=citizen, request_id=request_id, filename="x.exe",
                                      data=b"MZ\x90\x00")
        with pytest.raises(InvalidInput, match="over 5 MB"):
            procedure.upload_evidence(session, actor=citizen, request_id=request_id, filename="big.pdf",
                                      data=PDF + b"0" * (5 * 1024 * 1024))
        evidence = procedure.upload_evidence(session, actor=citizen, request_id=request_id,
                                             filename="../../attestato corso.PDF", data=PDF)
        assert evidence.filename == "attestato_corso.pdf" and evidence.content_type == "application/pdf"
        with pytest.raises(NotFound):  # another provider does not even see it
            procedure.add_experience(session, actor=principal(session, world, "other_provider_editor"),
                                     request_id=request_id, kind="work", title="x")
        with pytest.raises(Forbidden):  # the provider edits the dossier only once it took charge
            procedure.claim(session, actor=principal(session, world, "provider_editor"), request_id=request_id,
                            competence_code="LOG-001-C1", learning="informal")
        with pytest.raises(InvalidInput):
            procedure.claim(session, actor=citizen, request_id=request_id, competence_code="MEC-001-C1",
                            learning="informal")
        with pytest.raises(InvalidInput, match="names its course"):
            procedure.claim(session, actor=citizen, request_id=request_id, competence_code="LOG-001-C1",
                            learning="formal")


def test_guards_commission_and_conflicts(world: Any) -> None:
    with session_scope(world.engine) as session:
        request_id = _request(session, world)
        provider = principal(session, world, "provider_editor")
        assessor = principal(session, world, "assessor")
        procedure.advance(session, actor=provider, request_id=request_id, target="identification")
        with pytest.raises(Conflict, match="claim at least one"):
            procedure.advance(session, actor=provider, request_id=request_id, target="validation")
        procedure.claim(session, actor=provider, request_id=request_id, competence_code="LOG-001-C2",
                        learning="formal", context="Corso carrellisti (12 ore)")
        with pytest.raises(Conflict, match="an experience or a document"):
            procedure.advance(session, actor=provider, request_id=request_id, target="validation")
        procedure.add_experience(session, actor=provider, request_id=request_id, kind="training",
                                 title="Corso carrellisti")
        take_to(session, world, request_id, "validation")
        claim = procedure.get(session, principal=SYSTEM, id=request_id).claims[0]
        with pytest.raises(Forbidden):  # the provider is not the validator
            procedure.evaluate(session, actor=provider, request_id=request_id, claim_id=claim.id, validated=True,
                               reason="ok")
        with pytest.raises(InvalidInput):
            procedure.evaluate(session, actor=assessor, request_id=request_id, claim_id=claim.id, validated=False,
                               reason="")
        with pytest.raises(Conflict, match="evaluate every"):
            procedure.advance(session, actor=assessor, request_id=request_id, target="validated")
        take_to(session, world, request_id, "validated")
        with pytest.raises(Conflict, match="commission lacks"):
            procedure.advance(session, actor=provider, request_id=request_id, target="certification")
        seat = procedure.assign(session, actor=provider, request_id=request_id, user_id=world.users["assessor"],
                                role="evaluation_expert")
        with pytest.raises(Conflict, match="one person per seat"):
            procedure.assign(session, actor=provider, request_id=request_id, user_id=world.users["assessor"],
                             role="sector_expert")
        procedure.declare(session, actor=assessor, assignment_id=seat.id, conflict=True, note="Ex collega")
        for role, user in (("president", world.users["region_admin"]), ("sector_expert", world.extra["sector_expert"])):
            a = procedure.assign(session, actor=provider, request_id=request_id, user_id=user, role=role)
            procedure.declare(session, actor=SYSTEM, assignment_id=a.id, conflict=False)
        with pytest.raises(Conflict, match="declares no conflict"):
            procedure.advance(session, actor=provider, request_id=request_id, target="certification")
        with pytest.raises(InvalidInput):  # the person cannot sit on the commission, nor a non-assessor
            procedure.assign(session, actor=provider, request_id=request_id, user_id=world.users["citizen"],
                             role="sector_expert")


def test_statistics_per_phase(world: Any) -> None:
    with session_scope(world.engine) as session:
        done = _request(session, world)
        take_to(session, world, done, "certified")
        _request(session, world)
        stats = procedure.statistics(session, principal=principal(session, world, "region_admin"))
        by = {p["status"]: p for p in stats["phases"]}
        assert stats["total"] == 2 and by["requested"]["open"] == 1 and by["certified"]["open"] == 1
        assert by["validation"]["completed"] == 1 and by["validation"]["average_days"] is not None
        late = procedure.statistics(session, principal=SYSTEM, now=datetime.now(UTC) + timedelta(days=20))
        assert {p["status"]: p for p in late["phases"]}["requested"]["overdue"] == 1
        assert procedure.statistics(session, principal=principal(session, world, "other_provider_editor"))["total"] == 0


def test_the_certified_skills_of_a_person_are_those_of_their_credentials_in_force(world: Any) -> None:
    from regia.certification import service, standards
    from regia.certification.models import Claim, Competence

    with session_scope(world.engine) as session:
        request_id = _request(session, world)
        assert service.certified_skills_of(world.engine, world.users["citizen"]) == []  # requested, not certified
        take_to(session, world, request_id, "certified")
    with session_scope(world.engine) as session:
        issued = session.scalars(select(Credential).where(Credential.request_id == request_id,
                                                          Credential.kind == "certificate")).all()
        expected = {a.esco_uri for c in issued for a in standards.confirmed_skills(
            session.get(Competence, session.get(Claim, c.claim_id).competence_id))}
    assert expected and set(service.certified_skills_of(world.engine, world.users["citizen"])) == expected
    assert service.certified_skills_of(world.engine, world.users["provider_editor"]) == []  # someone else
    assert service.certified_skills_of(world.engine, None) == []
    with session_scope(world.engine) as session:
        for c in issued:
            credentials.revoke(session, actor=principal(session, world, "region_admin"), id=c.id, reason="Prova")
    assert service.certified_skills_of(world.engine, world.users["citizen"]) == []  # revoked: no longer held
