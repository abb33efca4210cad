"""Files of a proposal (partners' letters of commitment), kept in the database.

Only PDF, PNG and JPEG are accepted, recognised by their first bytes (not by the name or the declared type);
at most :data:`MAX_BYTES`; the name is reduced to safe characters; the SHA-256 is kept. Whoever may read the
proposal lists and downloads its files; its editors upload only while it is a draft.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from regia.auth import audit
from regia.auth.errors import Conflict, Forbidden, InvalidInput, NotFound
from regia.auth.policy import READ, WRITE, Resource, can
from regia.auth.principal import Principal
from regia.pacts import states
from regia.pacts.models import Document, Proposal

MAX_BYTES = 5 * 1024 * 1024
KINDS = ("commitment_letter", "other")
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)


def sniff(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a PDF, PNG or JPEG by its magic bytes; None for anything else."""
    for magic, content_type, ext in SIGNATURES:
        if data.startswith(magic):
            return content_type, ext
    return None


def safe_filename(name: str, ext: str) -> str:
    """A name without paths, control or special characters, ending in the type's extension."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("._-")[:100] or "documento"
    return f"{stem}{ext}"


def _proposal(session: Session, principal: Principal, proposal_id: int) -> Proposal:
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(f"no proposal {proposal_id}")
    if not can(principal, READ, Resource.PACT_PROPOSAL, proposal):
        raise Forbidden("this proposal belongs to another organisation")
    return proposal


def upload(session: Session, *, actor: Principal, proposal_id: int, filename: str, data: bytes,
           kind: str = "commitment_letter", partner_tax_code: str | None = None) -> Document:
    proposal = _proposal(session, actor, proposal_id)
    if not can(actor, WRITE, Resource.PACT_PROPOSAL, proposal):
        raise Forbidden("only editors of the owner partnership upload its documents")
    if proposal.status not in states.OWNER_EDITS_MANIFESTATION:
        raise Conflict("documents are uploaded only while the proposal is a draft", field="status")
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", field="kind")
    if not data:
        raise InvalidInput("the file is empty", field="file")
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"the file is over {MAX_BYTES // (1024 * 1024)} MB", field="file")
    found = sniff(data)
    if found is None:
        raise InvalidInput("only PDF, PNG or JPEG files are accepted", field="file")
    content_type, ext = found
    code = (partner_tax_code or "").strip().upper() or None
    if code is not None and (len(code) > 16 or not code.isalnum()):
        raise InvalidInput("invalid partner codice fiscale", field="partner_tax_code")
    document = Document(proposal_id=proposal.id, kind=kind, partner_tax_code=code,
                        filename=safe_filename(filename, ext), content_type=content_type, size=len(data),
                        sha256=hashlib.sha256(data).hexdigest(), data=data, uploaded_by=actor.label)
    session.add(document)
    session.flush()
    audit.record(session, actor=actor, action="upload", resource_type="pact_document", resource_id=document.id,
                 organisation_id=proposal.organisation_id,
                 after={"proposal_id": proposal.id, "filename": document.filename, "kind": kind,
                        "partner_tax_code": code, "size": document.size, "sha256": document.sha256})
    return document


def list_documents(session: Session, *, principal: Principal, proposal_id: int) -> Sequence[Document]:
    proposal = _proposal(session, principal, proposal_id)
    return session.scalars(select(Document).where(Document.proposal_id == proposal.id)
                           .order_by(Document.id)).all()


def get(session: Session, *, principal: Principal, proposal_id: int, id: int) -> Document:
    proposal = _proposal(session, principal, proposal_id)
    document = session.get(Document, id)
    if document is None or document.proposal_id != proposal.id:
        raise NotFound(f"no document {id} in proposal {proposal_id}")
    return document
