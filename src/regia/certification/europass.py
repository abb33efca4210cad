"""The certificate as a Europass Digital Credential (European Learning Model 3, ``EuropeanDigitalCredential``
JSON-LD), for the Europass wallet and the EDC issuing/verification services.

:func:`export` writes, per credential, the ELM 3 document with its mandatory parts: ``credentialProfiles``,
``displayParameter`` (language, title, an individual display), one ``issuer`` with its
``eidasLegalIdentifier`` (the codice fiscale of the Region or Fund, country ITA), ``credentialSubject`` (a
``Person`` with at least one ``hasClaim``: the ``LearningAchievement`` with its ``title``, ``awardedBy`` and
the ``specifiedBy`` specification carrying the EQF level and the QRSP standard), ``issued``, ``validFrom``
and ``credentialSchema`` (the EDC generic SHACL profile). :func:`check` lists the mandatory fields missing —
the EDC SHACL shapes themselves are not distributed through a package registry reachable here, so the shapes'
mandatory paths are checked structurally instead.

**Sealing.** An EDC is valid in Europass only once sealed with a qualified electronic seal (JAdES, by a
qualified trust service provider: e.g. the Region's QSCD-backed seal through its remote signing service).
Regia does not fake it: the exported document is unsealed. To plug a seal in, send the JSON of :func:`export`
to the provider's JAdES endpoint (ETSI TS 119 182-1, enveloping JWS with ``sigD``/``x5c``) or to the
European Commission's EDC *Issuing Service* with the seal's certificate, and serve the sealed result; the
verification of a sealed EDC is the EDC *Verification Service*'s (it checks the seal against the EU trusted
lists).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from regia.auth.models import Organisation
from regia.certification.models import Claim, Credential, Issuer

EDC_CONTEXT = "http://data.europa.eu/snb/model/context/edc-ap"
VC_V1 = "https://www.w3.org/2018/credentials/v1"
EDC_SCHEMA = "http://data.europa.eu/snb/model/ap/edc-generic-full"
ITA_LANGUAGE = "http://publications.europa.eu/resource/authority/language/ITA"
ITA_COUNTRY = "http://publications.europa.eu/resource/authority/country/ITA"
GENERIC_PROFILE = "http://data.europa.eu/snb/credential/e34929035b"
MANDATORY = ("credentialProfiles", "displayParameter", "issuer", "issuer.eidasLegalIdentifier",
             "credentialSubject", "credentialSubject.hasClaim", "issued", "validFrom", "credentialSchema")


def _concept(uri: str, scheme: str, label: str, notation: str) -> dict[str, Any]:
    return {"id": uri, "type": "Concept", "inScheme": {"id": scheme, "type": "ConceptScheme"},
            "prefLabel": {"en": label}, "notation": notation}


def export(session: Session, credential: Credential) -> dict[str, Any]:
    """The ELM 3 EuropeanDigitalCredential of one competence credential (unsealed)."""
    body = credential.body
    claim = session.get(Claim, credential.claim_id)
    issuer = session.get(Issuer, credential.issuer_id)
    assert claim is not None and issuer is not None
    organisation = session.get(Organisation, issuer.organisation_id)
    competence = claim.competence
    profile = competence.profile
    request = credential.request
    uid = credential.id
    language = _concept(ITA_LANGUAGE, "http://publications.europa.eu/resource/authority/language", "Italian",
                        "language")
    issuer_node = {"id": f"urn:epass:org:{issuer.slug}", "type": "Organisation",
                   "legalName": {"it": issuer.name},
                   "eidasLegalIdentifier": {"id": f"urn:epass:legalIdentifier:{issuer.slug}", "type": "LegalIdentifier",
                                            "notation": (organisation.tax_code if organisation else "") or "",
                                            "spatial": _concept(ITA_COUNTRY,
                                                                "http://publications.europa.eu/resource/authority/"
                                                                "country", "Italy", "country")},
                   "location": [{"id": f"urn:epass:location:{issuer.slug}", "type": "Location",
                                 "address": [{"id": f"urn:epass:address:{issuer.slug}", "type": "Address",
                                              "countryCode": _concept(ITA_COUNTRY, "http://publications.europa.eu/"
                                                                      "resource/authority/country", "Italy",
                                                                      "country")}]}],
                   "homepage": [{"id": f"urn:epass:webResource:{issuer.slug}", "type": "WebResource",
                                 "contentURL": body["issuer"]["id"]}]}
    title = {"it": body["name"]}
    return {
        "@context": [VC_V1, EDC_CONTEXT],
        "id": f"urn:epass:credential:{uid}",
        "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
        "credentialProfiles": [_concept(GENERIC_PROFILE, "http://data.europa.eu/snb/credential/25831c2",
                                        "Generic", "credential")],
        "displayParameter": {"id": f"urn:epass:displayParameter:{uid}", "type": "DisplayParameter",
                             "language": [language], "primaryLanguage": language, "title": title,
                             "description": {"it": body.get("description", "")},
                             "individualDisplay": [{"id": f"urn:epass:individualDisplay:{uid}",
                                                    "type": "IndividualDisplay", "language": language,
                                                    "displayDetail": [{"id": f"urn:epass:displayDetail:{uid}",
                                                                       "type": "DisplayDetail", "page": 1}]}]},
        "issuer": issuer_node,
        "issued": body["validFrom"],
        "issuanceDate": body["validFrom"],
        "validFrom": body["validFrom"],
        **({"validUntil": body["validUntil"], "expirationDate": body["validUntil"]} if body.get("validUntil") else {}),
        "credentialSubject": {
            "id": f"urn:epass:person:{uid}", "type": "Person",
            "givenName": {"it": request.given_name}, "familyName": {"it": request.family_name},
            "fullName": {"it": f"{request.given_name} {request.family_name}"},
            "hasClaim": [{
                "id": f"urn:epass:learningAchievement:{uid}", "type": "LearningAchievement",
                "title": {"it": competence.title},
                "description": {"it": competence.description or competence.title},
                "awardedBy": {"id": f"urn:epass:awardingProcess:{uid}", "type": "AwardingProcess",
                              "awardingBody": [{"id": issuer_node["id"]}], "awardingDate": body["validFrom"]},
                "specifiedBy": {
                    "id": f"urn:epass:learningAchievementSpec:{profile.code}:{profile.version}:{competence.code}",
                    "type": "LearningAchievementSpecification", "title": {"it": competence.title},
                    "eqfLevel": _concept(f"http://data.europa.eu/snb/eqf/{competence.eqf_level}",
                                         "http://data.europa.eu/snb/eqf/25831c2", f"Level {competence.eqf_level}",
                                         "eqf"),
                    "learningOutcomeSummary": {"id": f"urn:epass:note:{uid}", "type": "Note",
                                               "noteLiteral": {"it": "; ".join(competence.abilities)}},
                    "supplementaryDocument": [{"id": f"urn:epass:webResource:std:{uid}", "type": "WebResource",
                                               "contentURL": body["credentialSubject"]["achievement"]["id"]}],
                    "language": [language]},
            }],
        },
        "credentialSchema": [{"id": EDC_SCHEMA, "type": "ShaclValidator2017"}],
        "evidence": [{"id": f"urn:epass:evidence:{uid}", "type": "Evidence",
                      "evidenceStatement": body["evidence"][0]["description"]}],
    }


def check(document: dict[str, Any]) -> list[str]:
    """The mandatory ELM 3 fields the document lacks (empty: complete)."""
    missing = []
    for path in MANDATORY:
        node: Any = document
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node in (None, "", [], {}):
            missing.append(path)
    for i, claim in enumerate((document.get("credentialSubject") or {}).get("hasClaim") or []):
        for name in ("title", "awardedBy"):
            if not claim.get(name):
                missing.append(f"credentialSubject.hasClaim[{i}].{name}")
    if "EuropeanDigitalCredential" not in (document.get("type") or []):
        missing.append("type")
    return missing
