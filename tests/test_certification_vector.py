"""Conformance: the 1EdTech Open Badges 3.0 Linked Data Proof test vector (eddsa-rdfc-2022), reproduced byte
for byte — canonical N-Quads of the proof and of the document, their SHA-256, the data to sign, the Ed25519
signature and the multibase proofValue — with the contexts held offline from their npm packages.

Source: repository 1EdTech/openbadges-specification, file ob_v3p0/impl/linked-data-proof-ob.md (the data is
in tests/data/certification/ob3_ldp_vector*.{json,nq}, copied from there)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from regia.certification import contexts, dataintegrity, multibase

DATA = Path(__file__).parent / "data" / "certification"
VECTOR = json.loads((DATA / "ob3_ldp_vector.json").read_text(encoding="utf-8"))


def _loader() -> contexts.Loader:
    held = contexts.held()
    return contexts.document_loader({alias: held[url] for alias, url in VECTOR["context_aliases"].items()})


def _key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(VECTOR["private_key_hex"])[:32])


def _created() -> datetime:
    return datetime.fromisoformat(VECTOR["proof_before_signing"]["created"])


def test_key_pair_and_multikey_encodings() -> None:
    key = _key()
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert public.hex() == VECTOR["public_key_hex"]
    assert bytes.fromhex(VECTOR["private_key_hex"])[32:] == public  # the 64-byte secret is seed || public key
    assert multibase.ed25519_public_multikey(public) == VECTOR["public_key_multibase"]
    assert multibase.ed25519_public_from_multikey(VECTOR["public_key_multibase"]) == public
    secret = multibase.decode_base58btc(VECTOR["secret_key_multibase"])
    assert secret[:2] == b"\x80\x26" and secret[2:34] == bytes.fromhex(VECTOR["private_key_hex"])[:32]


def test_canonical_forms_hashes_and_signature_equal_the_vector() -> None:
    document = VECTOR["document_with_cryptosuite_context"]
    proof = VECTOR["proof_before_signing"]
    assert proof == dataintegrity.proof_options(verification_method=proof["verificationMethod"],
                                                created=_created())
    data = dataintegrity.hash_data(document, proof, _loader())
    assert data.canonical_proof == (DATA / VECTOR["proof_normalized_file"]).read_text(encoding="utf-8")
    assert data.canonical_document == (DATA / VECTOR["document_normalized_file"]).read_text(encoding="utf-8")
    assert data.document_hash.hex() == VECTOR["document_hash_hex"]
    assert data.proof_hash.hex() == VECTOR["proof_hash_hex"]
    assert data.to_sign.hex() == VECTOR["data_to_sign_hex"]
    assert _key().sign(data.to_sign).hex() == VECTOR["signature_hex"]  # Ed25519 is deterministic


def test_signed_credential_equals_the_vector_and_verifies() -> None:
    signed = dataintegrity.add_proof(VECTOR["document_with_cryptosuite_context"], _key(),
                                     verification_method=VECTOR["proof_before_signing"]["verificationMethod"],
                                     created=_created(), loader=_loader())
    assert signed["proof"] == {**VECTOR["proof_before_signing"], "proofValue": VECTOR["proof_value"]}
    assert multibase.decode_base58btc(VECTOR["proof_value"]).hex() == VECTOR["signature_hex"]
    public = bytes.fromhex(VECTOR["public_key_hex"])
    assert dataintegrity.verify_proof(signed, public, loader=_loader())


@pytest.mark.parametrize("change", [
    lambda d: d.update(name="Teamwork Badge!"),
    lambda d: d["credentialSubject"].update(id="did:example:someone-else"),
    lambda d: d["credentialSubject"]["achievement"]["criteria"].update(narrative="Anyone."),
    lambda d: d["issuer"].update(name="Other Corp"),
    lambda d: d.update(issuanceDate="2011-01-01T00:00:00Z"),
    lambda d: d["proof"].update(created="2010-01-01T19:23:25Z"),
])
def test_any_signed_change_breaks_the_signature(change) -> None:  # type: ignore[no-untyped-def]
    signed = json.loads(json.dumps({**VECTOR["document_with_cryptosuite_context"],
                                    "proof": {**VECTOR["proof_before_signing"], "proofValue": VECTOR["proof_value"]}}))
    change(signed)
    assert not dataintegrity.verify_proof(signed, bytes.fromhex(VECTOR["public_key_hex"]), loader=_loader())


def test_undefined_terms_and_unknown_contexts_are_refused() -> None:
    document = {**VECTOR["document_with_cryptosuite_context"], "notInAnyContext": "x"}
    with pytest.raises(dataintegrity.ProofError, match="notInAnyContext"):
        dataintegrity.canonize(document, _loader())
    undefined_type = {**VECTOR["document_with_cryptosuite_context"], "type": ["VerifiableCredential", "NoSuchType"]}
    with pytest.raises(dataintegrity.ProofError, match="NoSuchType"):  # pyld would resolve it against example.org
        dataintegrity.canonize(undefined_type, _loader())
    with pytest.raises(dataintegrity.ProofError, match="not one of the contexts held offline"):
        dataintegrity.canonize({**document, "@context": ["https://example.org/unknown-context.jsonld"]})
