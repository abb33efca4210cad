"""Route × role rows of the certification domain (API under /api/certification, pages and the public
documents under /certification).

Seeded (``seed``): the DEMO standards, the provider accredited, Fondimpresa delegated for DEMO-LOG-001; two
requests of the world's citizen through the world's provider: ``validation`` (in the validation phase, the
world's assessor assigned and declared, a document in the dossier) — the rows on ``{request_id}`` — and
``certified`` (certificate issued by the Region with its credentials) — the rows on documents and credentials.
The person sees only their own, assessors only what they are assigned to; rows others may not read answer 404
(``HIDDEN_404``: counted as denied)."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from sqlalchemy import Engine, select

from regia.certification import procedure, sharing
from regia.certification.models import Credential, IssuedDocument, Issuer, SkillAlignment, StatusList
from regia.config import get_settings
from regia.db import session_scope
from support.accounts import ALL_ROLES
from support.ivc import PDF, PERSON, SYSTEM, principal, seed_ivc, take_to

ALL = frozenset(ALL_ROLES)
AUTH = ALL - {"anonymous"}
PERSON_ONLY = frozenset({"citizen"})
PROVIDER = frozenset({"provider_editor"})
ASSESSOR = frozenset({"assessor"})
REGION = frozenset({"region_admin"})
DOSSIER = PERSON_ONLY | PROVIDER  # who edits the dossier (the phase then decides: 409 in validation)
REQUEST_READERS = frozenset({"citizen", "provider_editor", "assessor", "region_admin", "region_viewer"})
CREDENTIAL_READERS = frozenset({"citizen", "region_admin", "region_viewer"})
DELEGATION_READERS = frozenset({"region_admin", "region_viewer", "fund_viewer", "fund_editor", "fund_b_editor"})
ASSIGNMENT_READERS = frozenset({"assessor", "region_admin", "region_viewer", "fund_editor", "fund_b_editor",
                                "provider_editor", "other_provider_editor"})
CREATORS = frozenset({"citizen", "provider_editor", "fund_editor"})  # fund_b is not delegated for the standard

A = "/api/certification"
P = "/certification"
EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    ("GET", f"{A}/standards"): ALL,
    ("GET", f"{A}/standards/{{code}}"): ALL,
    ("POST", f"{A}/standards/{{code}}/suggestions"): REGION,  # 409 here: no ESCO skills in this world
    ("POST", f"{A}/alignments/{{alignment_id}}"): REGION,
    ("POST", f"{A}/verify"): ALL,
    ("POST", f"{A}/verify/file"): ALL,
    ("GET", f"{A}/share/{{token}}"): ALL,
    ("GET", f"{A}/requests"): AUTH,
    ("POST", f"{A}/requests"): CREATORS,
    ("GET", f"{A}/requests/{{request_id}}"): REQUEST_READERS,
    ("POST", f"{A}/requests/{{request_id}}/experiences"): DOSSIER,
    ("POST", f"{A}/requests/{{request_id}}/claims"): DOSSIER,
    ("POST", f"{A}/requests/{{request_id}}/evidence"): DOSSIER,
    ("GET", f"{A}/requests/{{request_id}}/evidence"): REQUEST_READERS,
    ("GET", f"{A}/requests/{{request_id}}/evidence/{{evidence_id}}"): REQUEST_READERS,
    ("POST", f"{A}/requests/{{request_id}}/assignments"): PROVIDER,
    ("POST", f"{A}/requests/{{request_id}}/claims/{{claim_id}}/evaluation"): ASSESSOR,
    ("POST", f"{A}/requests/{{request_id}}/outcome"): frozenset(),  # no commission in the validation phase
    ("POST", f"{A}/requests/{{request_id}}/moves"): ASSESSOR,  # close the validation: the validator's move
    ("POST", f"{A}/requests/{{request_id}}/validation-credentials"): PERSON_ONLY,
    ("GET", f"{A}/requests/{{request_id}}/documents"): REQUEST_READERS,
    ("GET", f"{A}/documents/{{document_id}}"): REQUEST_READERS,
    ("GET", f"{A}/documents/{{document_id}}/pdf"): REQUEST_READERS,
    ("GET", f"{A}/documents/{{document_id}}/fascicolo"): REQUEST_READERS,
    ("GET", f"{A}/statistics"): AUTH,
    ("GET", f"{A}/assignments"): ASSIGNMENT_READERS,
    ("POST", f"{A}/assignments/{{assignment_id}}/declaration"): ASSESSOR,
    ("GET", f"{A}/credentials"): AUTH,
    ("GET", f"{A}/credentials/{{credential_id}}"): CREDENTIAL_READERS,
    ("GET", f"{A}/credentials/{{credential_id}}/europass"): CREDENTIAL_READERS,
    ("POST", f"{A}/credentials/{{credential_id}}/revoke"): REGION,  # its issuer
    ("POST", f"{A}/credentials/{{credential_id}}/share"): PERSON_ONLY,
    ("PUT", f"{A}/courses/{{course_id}}/competences"): frozenset({"region_admin", "provider_editor"}),
    ("GET", f"{A}/delegations"): DELEGATION_READERS,
    ("POST", f"{A}/delegations"): REGION,
    ("POST", f"{A}/delegations/{{delegation_id}}/revoke"): REGION,
    ("GET", f"{P}/issuers/{{slug}}"): ALL,
    ("GET", f"{P}/issuers/{{slug}}/did.json"): ALL,
    ("GET", f"{P}/status/{{list_id}}"): ALL,
    # pages
    ("GET", P): ALL,
    ("GET", f"{P}/standards/{{code}}/{{version}}"): ALL,
    ("POST", f"{P}/standards/{{code}}/{{version}}/alignments"): REGION,
    ("GET", f"{P}/verify"): ALL,
    ("POST", f"{P}/verify"): ALL,
    ("GET", f"{P}/share/{{token}}"): ALL,
    ("GET", f"{P}/dossier"): AUTH,  # each sees their own only
    ("POST", f"{P}/requests"): CREATORS,
    ("GET", f"{P}/requests"): AUTH,
    ("GET", f"{P}/requests/{{request_id}}"): REQUEST_READERS,
    ("POST", f"{P}/requests/{{request_id}}"): ASSESSOR,
    ("GET", f"{P}/documents/{{document_id}}.pdf"): REQUEST_READERS,
    ("GET", f"{P}/credentials/{{credential_id}}.json"): CREDENTIAL_READERS,
    ("GET", f"{P}/credentials/{{credential_id}}.pdf"): CREDENTIAL_READERS,
    ("POST", f"{P}/credentials/{{credential_id}}/share"): PERSON_ONLY,
    ("POST", f"{P}/credentials/{{credential_id}}/revoke"): REGION,
    ("GET", f"{P}/delegations"): DELEGATION_READERS,
    ("POST", f"{P}/delegations"): REGION,
}
HIDDEN_404 = {key for key in EXPECTED if any(p in key[1] for p in ("{request_id}", "{document_id}",
                                                                   "{credential_id}", "{assignment_id}"))}


def seed(engine: Engine, world: Any) -> None:
    os.environ["REGIA_CREDENTIAL_KEYS_DIR"] = tempfile.mkdtemp(prefix="regia-route-keys-")
    get_settings.cache_clear()
    seed_ivc(engine, world)
    with session_scope(engine) as session:
        citizen = principal(session, world, "citizen")
        certified = procedure.create(session, actor=citizen, profile_code="DEMO-LOG-001",
                                     provider_org_id=world.orgs["provider"], person=PERSON)
        take_to(session, world, certified.id, "certified")
        validation = procedure.create(session, actor=citizen, profile_code="DEMO-LOG-001",
                                      provider_org_id=world.orgs["provider"], person=PERSON)
        take_to(session, world, validation.id, "identification")
        evidence = procedure.upload_evidence(session, actor=principal(session, world, "provider_editor"),
                                             request_id=validation.id, filename="attestato.pdf", data=PDF)
        take_to(session, world, validation.id, "validation")
        credential = session.scalars(select(Credential).where(Credential.request_id == certified.id)).first()
        _, token = sharing.create(session, actor=SYSTEM, credential_id=credential.id, days=30)
        document = session.scalar(select(IssuedDocument).where(IssuedDocument.request_id == certified.id,
                                                               IssuedDocument.kind == "certificate"))
        world.extra.update({
            "ivc_request": validation.id, "ivc_claim": validation.claims[0].id, "ivc_evidence": evidence.id,
            "ivc_assignment": next(a.id for a in validation.assignments if a.role == "validation"),
            "ivc_document": document.id, "ivc_alignment": session.scalars(select(SkillAlignment.id)).first(),
            "ivc_list": session.scalars(select(StatusList.id)).first()})
        world.extra_text = {"credential": credential.id, "token": token,
                            "slug": session.scalars(select(Issuer.slug)).first()}


def params(world: Any) -> dict[str, str]:
    text = getattr(world, "extra_text", {})
    return {"request_id": str(world.extra["ivc_request"]), "claim_id": str(world.extra["ivc_claim"]),
            "evidence_id": str(world.extra["ivc_evidence"]), "assignment_id": str(world.extra["ivc_assignment"]),
            "document_id": str(world.extra["ivc_document"]), "list_id": str(world.extra["ivc_list"]),
            "delegation_id": str(world.extra["delegation"]), "credential_id": text.get("credential", "x"),
            "token": text.get("token", "x" * 20), "slug": text.get("slug", "x"), "code": "DEMO-LOG-001",
            "version": "1", "alignment_id": str(world.extra["ivc_alignment"])}


def _person() -> dict[str, str]:
    return {"given_name": PERSON.given_name, "family_name": PERSON.family_name, "tax_code": PERSON.tax_code,
            "birth_date": PERSON.birth_date.isoformat(), "birth_place": PERSON.birth_place}


def request_kwargs(method: str, path: str, world: Any, role: str, csrf: str | None) -> dict[str, Any] | None:
    if method == "GET" or "/certification" not in path:
        return None
    if path.startswith(A):
        if "/alignments/" in path:
            return {"json": {"confirm": True}}
        if path.endswith("/suggestions"):
            return {}
        if path.endswith("/competences"):
            return {"json": {"competences": ["DEMO-LOG-001/LOG-001-C2"]}}
        if path.endswith("/verify"):
            return {"json": {"@context": [], "type": ["VerifiableCredential"]}}
        if path.endswith("/verify/file") or path.endswith("/evidence"):
            return {"files": {"file": ("documento.pdf", PDF, "application/pdf")}}
        if path == f"{A}/requests":
            return {"json": {"profile_code": "DEMO-LOG-001", "provider_org_id": world.orgs["provider"],
                             "person": _person()}}
        if path.endswith("/experiences"):
            return {"json": {"kind": "work", "title": "Magazziniere"}}
        if path.endswith("/claims"):
            return {"json": {"competence_code": "LOG-001-C3", "learning": "informal"}}
        if path.endswith("/assignments"):
            return {"json": {"user_id": world.users["assessor"], "role": "validation"}}
        if path.endswith("/evaluation"):
            return {"json": {"validated": True, "reason": "Evidenze coerenti"}}
        if path.endswith("/outcome"):
            return {"json": {"method": "interview", "assessed_on": "2026-01-15", "outcomes": []}}
        if path.endswith("/moves"):
            return {"json": {"target": "validated"}}
        if path.endswith("/declaration"):
            return {"json": {"conflict": False}}
        if path.endswith("/revoke"):
            return {"json": {"reason": "Prova"}}
        if path.endswith("/share"):
            return {"json": {"days": 7}}
        if path == f"{A}/delegations":
            return {"json": {"organisation_id": world.orgs["fund_b"], "valid_from": "2026-01-01",
                             "valid_to": "2026-12-31", "profiles": ["DEMO-DIG-001"], "sectors": [],
                             "legal_reference": "Decreto di prova"}}
        return {}
    data: dict[str, str] = {"csrf_token": csrf or ""}
    if path == f"{P}/verify":
        data["credential"] = "{}"
    elif path == f"{P}/requests":
        data |= {"profile_code": "DEMO-LOG-001", "provider_org_id": str(world.orgs["provider"]), "version": "1",
                 **_person()}
    elif path.endswith("/alignments"):
        data |= {"action": "confirm", "alignment_id": str(world.extra["ivc_alignment"])}
    elif path.startswith(f"{P}/requests/"):
        data |= {"action": "move", "target": "validated"}
    elif path.endswith("/share"):
        data["days"] = "7"
    elif path.endswith("/revoke"):
        data["reason"] = "Prova"
    elif path == f"{P}/delegations":
        data |= {"action": "grant", "organisation_id": str(world.orgs["fund_b"]), "valid_from": "2026-01-01",
                 "valid_to": "2026-12-31", "profiles": "DEMO-DIG-001", "legal_reference": "Decreto di prova"}
    return {"data": data}
