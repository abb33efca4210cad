"""The documents of the procedure — *documento di trasparenza*, *documento di validazione*, *certificato* —
with the minimum content of D.Lgs. 13/2013 art. 6, as data (``IssuedDocument.content``) and as PDF.

Every document holds (:data:`MINIMUM_FIELDS`): the person's data; the *ente titolare* and the *ente
titolato* with the legal reference of their title or accreditation; for each competence its name, the
repertory and the qualification it refers to (name, description, EQF level, ATECO and CP ISTAT codes where
they apply); how it was learned (the course for formal learning, the experience otherwise) and assessed; the
dates. :func:`fascicolo_record` flattens a document into the record exchanged with the *Libretto formativo* /
*Fascicolo elettronico del lavoratore*. The PDF (fpdf2) carries a QR code of the public verification page
when the document has credentials.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import segno
from fpdf import FPDF
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regia.auth import audit
from regia.auth.models import Organisation
from regia.auth.principal import Principal
from regia.certification.models import Accreditation, Claim, IssuedDocument, Request
from regia.importing.ledger import content_hash

TITLES = {"transparency": "Documento di trasparenza", "validation": "Documento di validazione",
          "certificate": "Certificato di competenze"}
PREFIX = {"transparency": "TRA", "validation": "VAL", "certificate": "CERT"}
LEGAL_BASIS = ("D.Lgs. 16 gennaio 2013, n. 13, art. 6; D.I. 5 gennaio 2021 (Linee guida per l'interoperatività "
               "degli enti pubblici titolari), Allegato A")
LEARNING_IT = {"formal": "Apprendimento formale", "non_formal": "Apprendimento non formale",
               "informal": "Apprendimento informale"}
METHOD_IT = {"test": "Prova scritta", "interview": "Colloquio tecnico", "practical_trial": "Prova pratica"}
# What every document carries (the test lists them; D.Lgs. 13/2013 art. 6 c. 4)
MINIMUM_FIELDS = ("person.given_name", "person.family_name", "person.tax_code", "person.birth_date",
                  "ente_titolare.name", "ente_titolare.legal_reference", "ente_titolato.name",
                  "ente_titolato.legal_reference", "competences[].name", "competences[].repertory",
                  "competences[].qualification.name", "competences[].qualification.description",
                  "competences[].qualification.eqf_level", "competences[].qualification.ateco",
                  "competences[].qualification.cp2011", "competences[].learning.kind",
                  "competences[].learning.context", "competences[].assessment", "dates.requested_at",
                  "dates.issued_at")
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


def _entity(session: Session, organisation_id: int, default: str) -> dict[str, Any]:
    organisation = session.get(Organisation, organisation_id)
    assert organisation is not None
    accreditation = session.scalar(select(Accreditation).where(Accreditation.organisation_id == organisation_id))
    return {"name": organisation.name, "tax_code": organisation.tax_code or organisation.vat_number or "",
            "legal_reference": accreditation.reference if accreditation else default}


def _claim(claim: Claim, kind: str) -> dict[str, Any]:
    competence = claim.competence
    profile = competence.profile
    assessment: dict[str, Any]
    if kind == "transparency":
        assessment = {"phase": "individuazione e messa in trasparenza", "outcome": "competenza dichiarata"}
    elif kind == "validation":
        assessment = {"phase": "validazione", "method": "esame delle evidenze",
                      "outcome": "validata" if claim.validated else "non validata",
                      "reason": claim.validation_reason, "by": claim.validated_by,
                      "date": claim.validated_at.date().isoformat() if claim.validated_at else None}
    else:
        assessment = {"phase": "certificazione", "method": METHOD_IT.get(claim.method or "", claim.method),
                      "outcome": "certificata" if claim.certified else "non certificata",
                      "reason": claim.certification_reason,
                      "date": claim.assessed_on.isoformat() if claim.assessed_on else None}
    return {"code": competence.code, "name": competence.title, "description": competence.description,
            "eqf_level": competence.eqf_level, "abilities": competence.abilities, "knowledge": competence.knowledge,
            "repertory": profile.repertory, "standard": {"code": profile.code, "version": profile.version},
            "qualification": {"name": profile.qualification, "profile": profile.title,
                              "description": profile.description, "eqf_level": profile.eqf_level,
                              "ateco": profile.ateco, "cp2011": profile.cp2011},
            "learning": {"kind": LEARNING_IT[claim.learning], "context": claim.context,
                         "course_id": claim.course_id},
            "assessment": assessment}


def content(session: Session, request: Request, kind: str, *, number: str, issued_at: datetime) -> dict[str, Any]:
    """The minimum content of the ``kind`` document of ``request``."""
    claims = request.claims
    if kind == "validation":
        claims = [c for c in claims if c.validated is not None]
    elif kind == "certificate":
        claims = [c for c in claims if c.certified]
    dates = {"requested_at": request.created_at.astimezone(UTC).date().isoformat() if request.created_at.tzinfo
             else request.created_at.date().isoformat(), "issued_at": issued_at.date().isoformat()}
    return {
        "kind": kind, "title": TITLES[kind], "number": number, "request": request.number,
        "legal_basis": LEGAL_BASIS,
        "person": {"given_name": request.given_name, "family_name": request.family_name,
                   "tax_code": request.tax_code, "birth_date": request.birth_date.isoformat(),
                   "birth_place": request.birth_place},
        "ente_titolare": _entity(session, request.titolare_org_id,
                                 "Ente pubblico titolare ai sensi del D.Lgs. 13/2013, art. 2, c. 1, lett. g)"),
        "ente_titolato": _entity(session, request.provider_org_id, "accreditamento non registrato"),
        "competences": [_claim(c, kind) for c in claims],
        "experiences": [{"kind": e.kind, "title": e.title, "organisation": e.organisation,
                         "from": e.started_on.isoformat() if e.started_on else None,
                         "to": e.ended_on.isoformat() if e.ended_on else None} for e in request.experiences],
        "dates": dates,
    }


def issue(session: Session, *, actor: Principal, request: Request, kind: str,
          when: datetime | None = None) -> IssuedDocument:
    """Write the ``kind`` document of the request (once: a second call returns the first)."""
    held = session.scalar(select(IssuedDocument).where(IssuedDocument.request_id == request.id,
                                                       IssuedDocument.kind == kind))
    if held is not None:
        return held
    issued_at = (when or datetime.now(UTC)).replace(microsecond=0)
    count = session.scalar(select(func.count(IssuedDocument.id)).where(IssuedDocument.kind == kind)) or 0
    number = f"{PREFIX[kind]}-{issued_at.year}-{count + 1:06d}"
    body = content(session, request, kind, number=number, issued_at=issued_at)
    document = IssuedDocument(request_id=request.id, kind=kind, number=number, issued_at=issued_at,
                              issued_by=actor.label, content=body, content_hash=content_hash(body))
    session.add(document)
    session.flush()
    audit.record(session, actor=actor, action=f"issue_{kind}", resource_type="ivc_document",
                 resource_id=document.id, organisation_id=request.titolare_org_id,
                 after={"number": number, "request": request.number, "sha256": document.content_hash})
    return document


def fascicolo_record(document: IssuedDocument) -> list[dict[str, Any]]:
    """One flat record per competence, as exchanged with the Libretto formativo / Fascicolo elettronico."""
    c = document.content
    return [{"tipo_documento": c["title"], "numero_documento": c["number"], "codice_fiscale": c["person"]["tax_code"],
             "cognome": c["person"]["family_name"], "nome": c["person"]["given_name"],
             "ente_titolare": c["ente_titolare"]["name"], "ente_titolato": c["ente_titolato"]["name"],
             "repertorio": k["repertory"], "qualificazione": k["qualification"]["name"],
             "codice_competenza": k["code"], "competenza": k["name"], "livello_eqf": k["eqf_level"],
             "ateco": ";".join(k["qualification"]["ateco"]), "cp_istat": ";".join(k["qualification"]["cp2011"]),
             "modalita_apprendimento": k["learning"]["kind"], "esito": k["assessment"]["outcome"],
             "data_rilascio": c["dates"]["issued_at"]} for k in c["competences"]]


# --- PDF ------------------------------------------------------------------------------------------------------

class _Pdf(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.family = "Helvetica"
        for folder in _FONT_DIRS:
            if (folder / "DejaVuSans.ttf").is_file() and (folder / "DejaVuSans-Bold.ttf").is_file():
                self.add_font("DejaVu", "", str(folder / "DejaVuSans.ttf"))
                self.add_font("DejaVu", "B", str(folder / "DejaVuSans-Bold.ttf"))
                self.family = "DejaVu"
                break
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, 16)

    def text_of(self, value: Any) -> str:
        text = "" if value is None else str(value)
        return text if self.family == "DejaVu" else text.encode("latin-1", "replace").decode("latin-1")

    def line_of(self, text: Any, *, size: float = 10, bold: bool = False, height: float = 5.5) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.multi_cell(0, height, self.text_of(text), new_x="LMARGIN", new_y="NEXT")

    def pair(self, label: str, value: Any) -> None:
        self.set_font(self.family, "B", 9.5)
        self.cell(52, 5.5, self.text_of(label))
        self.set_font(self.family, "", 9.5)
        self.multi_cell(0, 5.5, self.text_of(value if value not in (None, "", []) else "–"),
                        new_x="LMARGIN", new_y="NEXT")


def _date(iso: str | None) -> str:
    return datetime.fromisoformat(iso).strftime("%d/%m/%Y") if iso else "–"


def pdf(document: IssuedDocument, *, verify_url: str | None = None) -> bytes:
    """The document as PDF (Italian), with a QR code of ``verify_url`` when given."""
    c = document.content
    out = _Pdf()
    out.add_page()
    out.line_of(c["ente_titolare"]["name"], size=11, bold=True)
    out.line_of("Sistema regionale di individuazione, validazione e certificazione delle competenze", size=9)
    out.ln(3)
    out.line_of(c["title"], size=16, bold=True, height=8)
    out.line_of(f"N. {c['number']} – rilasciato il {_date(c['dates']['issued_at'])} – pratica {c['request']}",
                size=9)
    out.line_of(f"Riferimenti normativi: {c['legal_basis']}", size=8)
    if verify_url:
        image = io.BytesIO()
        segno.make(verify_url, error="m").save(image, kind="png", scale=4, border=2)
        image.seek(0)
        y = out.get_y()
        out.image(image, x=out.w - 18 - 30, y=16, w=30, h=30)
        out.set_y(max(y, 16 + 31))
        out.line_of(f"Verifica online: {verify_url}", size=7.5)
    out.ln(2)
    out.line_of("Persona", size=12, bold=True)
    p = c["person"]
    out.pair("Cognome e nome", f"{p['family_name']} {p['given_name']}")
    out.pair("Codice fiscale", p["tax_code"])
    out.pair("Nascita", f"{_date(p['birth_date'])} {p.get('birth_place') or ''}".strip())
    out.ln(2)
    out.line_of("Enti", size=12, bold=True)
    for label, key in (("Ente titolare", "ente_titolare"), ("Ente titolato", "ente_titolato")):
        entity = c[key]
        out.pair(label, f"{entity['name']} ({entity['tax_code']})" if entity["tax_code"] else entity["name"])
        out.pair("  titolo / accreditamento", entity["legal_reference"])
    out.ln(2)
    out.line_of("Competenze", size=12, bold=True)
    if not c["competences"]:
        out.line_of("Nessuna competenza.", size=10)
    for k in c["competences"]:
        q = k["qualification"]
        out.ln(1)
        out.line_of(f"{k['code']} – {k['name']}", size=10.5, bold=True)
        out.pair("Repertorio", f"{k['repertory']} – standard {k['standard']['code']} v{k['standard']['version']}")
        out.pair("Qualificazione", f"{q['name']} ({q['profile']})")
        out.pair("Descrizione", q["description"])
        out.pair("Livello EQF", f"competenza {k['eqf_level']}, qualificazione {q['eqf_level']}")
        out.pair("ATECO / CP ISTAT", f"{', '.join(q['ateco']) or '–'} / {', '.join(q['cp2011']) or '–'}")
        out.pair("Abilità", "; ".join(k["abilities"]))
        out.pair("Conoscenze", "; ".join(k["knowledge"]))
        out.pair("Come è stata acquisita", f"{k['learning']['kind']}: {k['learning']['context'] or '–'}")
        a = k["assessment"]
        assessed = f"{a['phase']}: {a['outcome']}"
        if a.get("method"):
            assessed += f" ({a['method']}{', ' + _date(a['date']) if a.get('date') else ''})"
        if a.get("reason"):
            assessed += f" – {a['reason']}"
        out.pair("Come è stata valutata", assessed)
    if c.get("experiences"):
        out.ln(2)
        out.line_of("Esperienze del dossier", size=12, bold=True)
        for e in c["experiences"]:
            period = f"{_date(e['from'])} – {_date(e['to'])}" if e.get("from") else ""
            out.line_of(f"• {e['title']} {('– ' + e['organisation']) if e['organisation'] else ''} {period}", size=9)
    out.ln(2)
    out.pair("Data della richiesta", _date(c["dates"]["requested_at"]))
    out.pair("Data di rilascio", _date(c["dates"]["issued_at"]))
    out.pair("Impronta (SHA-256)", document.content_hash)
    return bytes(out.output())
