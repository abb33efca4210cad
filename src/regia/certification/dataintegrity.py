"""W3C Data Integrity proofs with the cryptosuite ``eddsa-rdfc-2022`` (vc-di-eddsa): RDFC-1.0
canonicalisation by pyld, SHA-256, Ed25519 by ``cryptography``.

Creating a proof (:func:`add_proof`)::

    proof config   = the proof options (type DataIntegrityProof, cryptosuite, created, verificationMethod,
                     proofPurpose) with the document's @context
    hash data      = SHA-256(RDFC-1.0(proof config)) || SHA-256(RDFC-1.0(document without proof))
    proofValue     = multibase base58btc of Ed25519-sign(hash data)

:func:`verify_proof` recomputes the same bytes from the received document and checks the signature with the
public key of the verification method. Canonicalisation runs in "safe mode": a property that no context
defines would be left out of the RDF (and so of the signature), so it is refused instead
(:class:`ProofError`). Contexts come only from :mod:`regia.certification.contexts` (offline).
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld.jsonld import DEFAULT_BASE_IRI, JsonLdError, JsonLdProcessor

from regia.certification import contexts
from regia.certification.multibase import decode_base58btc, encode_base58btc

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
XSD_DATETIME = re.compile(r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


class ProofError(ValueError):
    """The document or its proof cannot be processed (malformed, unknown context, undefined term...)."""


@dataclass(frozen=True)
class HashData:
    """The intermediate values of one proof: what the 1EdTech / W3C test vectors list."""

    canonical_document: str
    canonical_proof: str
    document_hash: bytes
    proof_hash: bytes

    @property
    def to_sign(self) -> bytes:
        return self.proof_hash + self.document_hash


def _relative_references(node: Any, found: list[str]) -> None:
    """``@type`` and ``@id`` values of the expanded document that are not absolute IRIs (nor blank nodes). pyld
    resolves a relative reference against its default base (``http://example.org/base/``) when the document
    has none, so those count as relative too."""
    if isinstance(node, list):
        for item in node:
            _relative_references(item, found)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in ("@type", "@id") and "@value" not in node:
                for ref in value if isinstance(value, list) else [value]:
                    if isinstance(ref, str) and (ref.startswith(DEFAULT_BASE_IRI) or not (
                            ref.startswith("_:") or ABSOLUTE.match(ref))):
                        found.append(f"{key} {ref.removeprefix(DEFAULT_BASE_IRI)!r}")
            elif key != "@value":
                _relative_references(value, found)


def canonize(document: dict[str, Any], loader: contexts.Loader | None = None) -> str:
    """RDFC-1.0 (URDNA2015) canonical N-Quads of a JSON-LD document, in "safe mode": undefined terms and
    relative ``@type`` / ``@id`` references (which the RDF would drop or keep unsigned) are refused."""
    dropped: list[str | None] = []
    processor = JsonLdProcessor(on_property_dropped=dropped.append)
    options = {"algorithm": "URDNA2015", "format": "application/n-quads",
               "documentLoader": loader or contexts.document_loader()}
    try:
        expanded = processor.expand(document, {"documentLoader": options["documentLoader"]})
        relative: list[str] = []
        _relative_references(expanded, relative)
        if relative:
            raise ProofError(f"relative references the contexts do not define: {', '.join(sorted(set(relative)))}")
        nquads = processor.normalize(expanded, options)
    except JsonLdError as exc:
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, contexts.UnknownContext):
                raise ProofError(str(cause)) from None
            cause = cause.__cause__ or getattr(cause, "cause", None)
        raise ProofError(f"the document is not valid JSON-LD: {exc.type if hasattr(exc, 'type') else exc}") \
            from None
    if dropped:
        names = ", ".join(sorted({str(d) for d in dropped}))
        raise ProofError(f"properties not defined by the document's contexts (they would not be signed): {names}")
    assert isinstance(nquads, str)
    return nquads


def proof_options(*, verification_method: str, created: datetime | None = None,
                  proof_purpose: str = "assertionMethod") -> dict[str, Any]:
    stamp = (created or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return {"type": PROOF_TYPE, "created": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "verificationMethod": verification_method, "cryptosuite": CRYPTOSUITE, "proofPurpose": proof_purpose}


def hash_data(document: dict[str, Any], proof: dict[str, Any], loader: contexts.Loader | None = None) -> HashData:
    """The bytes an ``eddsa-rdfc-2022`` proof signs, from the document (its ``proof`` ignored) and the proof
    (its ``proofValue`` ignored)."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    config["@context"] = unsecured.get("@context")
    loader = loader or contexts.document_loader()
    canonical_document = canonize(unsecured, loader)
    canonical_proof = canonize(config, loader)
    return HashData(canonical_document=canonical_document, canonical_proof=canonical_proof,
                    document_hash=hashlib.sha256(canonical_document.encode()).digest(),
                    proof_hash=hashlib.sha256(canonical_proof.encode()).digest())


def add_proof(document: dict[str, Any], key: Ed25519PrivateKey, *, verification_method: str,
              created: datetime | None = None, proof_purpose: str = "assertionMethod",
              loader: contexts.Loader | None = None) -> dict[str, Any]:
    """A copy of ``document`` secured with an ``eddsa-rdfc-2022`` DataIntegrityProof."""
    if "proof" in document:
        raise ProofError("the document already carries a proof")
    proof = proof_options(verification_method=verification_method, created=created, proof_purpose=proof_purpose)
    data = hash_data(document, proof, loader)
    signed = copy.deepcopy(document)
    signed["proof"] = {**proof, "proofValue": encode_base58btc(key.sign(data.to_sign))}
    return signed


def the_proof(document: dict[str, Any]) -> dict[str, Any]:
    """The document's single ``eddsa-rdfc-2022`` proof, its shape checked (:class:`ProofError` otherwise)."""
    proof = document.get("proof")
    if isinstance(proof, list):
        if len(proof) != 1:
            raise ProofError("exactly one proof is expected")
        proof = proof[0]
    if not isinstance(proof, dict):
        raise ProofError("the document has no proof")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(f"the proof is not a {PROOF_TYPE} with cryptosuite {CRYPTOSUITE}")
    for name in ("verificationMethod", "proofPurpose", "proofValue"):
        if not isinstance(proof.get(name), str) or not proof[name]:
            raise ProofError(f"the proof has no {name}")
    if "created" in proof and not (isinstance(proof["created"], str) and XSD_DATETIME.match(proof["created"])):
        raise ProofError("the proof's created is not an XML Schema dateTime")
    return proof


def verify_proof(document: dict[str, Any], public_key: bytes, *, expected_purpose: str = "assertionMethod",
                 loader: contexts.Loader | None = None) -> bool:
    """Whether the document's proof is a valid Ed25519 signature by ``public_key`` (32 bytes) over the
    canonical document and proof. False: tampered (or signed by another key); :class:`ProofError`: malformed."""
    proof = the_proof(document)
    if proof["proofPurpose"] != expected_purpose:
        raise ProofError(f"the proof's purpose is {proof['proofPurpose']!r}, not {expected_purpose!r}")
    try:
        signature = decode_base58btc(proof["proofValue"])
    except ValueError as exc:
        raise ProofError(f"proofValue: {exc}") from None
    if len(signature) != 64:
        return False
    data = hash_data(document, proof, loader)
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data.to_sign)
    except InvalidSignature:
        return False
    return True

