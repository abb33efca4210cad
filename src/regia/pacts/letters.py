"""Outcome letters (*lettere di esito*) of a call as PDF, made with fpdf2.

One letter per proposal once its outcome is known: inadmissible (with the failed checks), not selected
(with the score and the rank, and why: under a threshold, or no room left in the envelope), selected (with the
amounts granted per funding source). Readable by the owner partnership's members and the Region's staff.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF
from sqlalchemy.orm import Session

from regia.auth.errors import Conflict, Forbidden, NotFound
from regia.auth.models import Organisation
from regia.auth.policy import READ, Resource, can
from regia.auth.principal import Principal
from regia.pacts import evaluation
from regia.pacts.models import (
    APPROVED,
    CLOSED,
    IN_PROGRESS,
    INADMISSIBLE,
    NOT_SELECTED,
    PROGRAMME_SUBMITTED,
    SELECTED,
    Call,
    Proposal,
)

LETTERHEAD = "Regione Lombardia"
OFFICE = "Direzione Generale Formazione e Lavoro — Patti Territoriali per competenze e occupazione"
SOURCE_LABELS = {"regional": "Risorse regionali", "fse_plus": "FSE+ 2021–2027", "fund": "Fondi interprofessionali",
                 "cofinancing": "Cofinanziamento"}
CHECK_LABELS = {"deadline": "Presentazione entro la scadenza", "min_partners": "Numero minimo di partner",
                "partner_types": "Tipologie di partner richieste",
                "commitment_letters": "Lettere di impegno dei partner", "territory": "Territorio ammissibile",
                "decision": "Decisione"}
OUTCOME_STATES = {INADMISSIBLE, NOT_SELECTED, SELECTED, PROGRAMME_SUBMITTED, APPROVED, IN_PROGRESS, CLOSED}
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


def euro(amount: Decimal | str) -> str:
    """``1234567.5`` → ``1.234.567,50 €`` (Italian format)."""
    text = f"{Decimal(str(amount)):,.2f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".") + " €"


class _Letter(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.family = "Helvetica"
        for folder in _FONT_DIRS:  # a Unicode font when the system has one (€, typographic quotes)
            if (folder / "DejaVuSans.ttf").is_file() and (folder / "DejaVuSans-Bold.ttf").is_file():
                self.add_font("DejaVu", "", str(folder / "DejaVuSans.ttf"))
                self.add_font("DejaVu", "B", str(folder / "DejaVuSans-Bold.ttf"))
                self.family = "DejaVu"
                break
        self.set_auto_page_break(auto=True, margin=20)
        self.set_margins(20, 20, 20)

    def text_of(self, value: str) -> str:
        if self.family == "DejaVu":
            return value
        replaced = value.replace("€", "EUR").replace("—", "-").replace("–", "-").replace("’", "'")
        return replaced.encode("latin-1", "replace").decode("latin-1")

    def header(self) -> None:
        self.set_font(self.family, "B", 14)
        self.cell(0, 8, self.text_of(LETTERHEAD), new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family, "", 9)
        self.multi_cell(0, 5, self.text_of(OFFICE), new_x="LMARGIN", new_y="NEXT")
        self.line(20, self.get_y() + 2, 190, self.get_y() + 2)
        self.ln(6)

    def para(self, value: str, *, bold: bool = False, size: int = 11) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.multi_cell(0, 6, self.text_of(value), align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(1)


def _org_name(session: Session, organisation_id: int) -> str:
    org = session.get(Organisation, organisation_id)
    return org.name if org is not None else f"Organizzazione {organisation_id}"


def outcome_lines(session: Session, proposal: Proposal, call: Call | None) -> tuple[str, list[str]]:
    """The outcome's title and its paragraphs (the text of the letter, testable without a PDF)."""
    if proposal.status == INADMISSIBLE:
        checks = proposal.admissibility or []
        failed = [c for c in checks if not c.get("passed") and c.get("check") != "decision"]
        reason = next((c.get("note") for c in checks if c.get("check") == "decision" and c.get("note")), None)
        lines = ["La manifestazione di interesse non è ammissibile per i seguenti motivi:"]
        lines += [f"- {CHECK_LABELS.get(c.get('check', ''), c.get('check', ''))}: {c.get('note') or 'non superato'}"
                  for c in failed]
        if reason:
            lines.append(f"Motivazione: {reason}")
        return "Esito: NON AMMISSIBILE", lines
    score = f"{Decimal(proposal.total_score):.2f}" if proposal.total_score is not None else "—"
    rank = str(proposal.rank) if proposal.rank is not None else "—"
    if proposal.status == NOT_SELECTED:
        lines = [f"Punteggio complessivo: {score}. Posizione in graduatoria: {rank}."]
        if call is not None and not evaluation._entry(call, proposal).eligible:
            lines.append("La proposta non ha raggiunto le soglie minime previste dall'avviso (non idonea).")
        else:
            lines.append("La proposta è idonea ma non finanziabile per esaurimento delle risorse disponibili "
                         "(idonea non finanziata).")
        if proposal.rank_note:
            lines.append(f"Criterio di posizionamento: {proposal.rank_note}.")
        return "Esito: NON SELEZIONATA", lines
    lines = [f"Punteggio complessivo: {score}. Posizione in graduatoria: {rank}.",
             "La proposta è selezionata e ammessa alla presentazione del programma di intervento di dettaglio.",
             "Contributo concesso per fonte di finanziamento:"]
    granted = proposal.granted or {}
    lines += [f"- {SOURCE_LABELS.get(source, source)}: {euro(amount)}" for source, amount in sorted(granted.items())]
    lines.append(f"Totale concesso: {euro(sum((Decimal(a) for a in granted.values()), Decimal(0)))}")
    return "Esito: SELEZIONATA", lines


def letter_pdf(session: Session, *, principal: Principal, proposal_id: int, today: date | None = None) -> bytes:
    """The outcome letter of a proposal, as PDF bytes (owner partnership's members, the Region's staff)."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(f"no proposal {proposal_id}", field="proposal_id")
    owner = proposal.organisation_id in principal.org_ids()
    if not (principal.is_system or owner or can(principal, READ, Resource.PACT_DECISION)):
        raise Forbidden("the outcome letter is for the partnership and the Region")
    if not can(principal, READ, Resource.PACT_PROPOSAL, proposal):
        raise Forbidden("you may not read this proposal")
    if proposal.status not in OUTCOME_STATES:
        raise Conflict(f"no outcome yet (the proposal is {proposal.status})", field="status")
    call = session.get(Call, proposal.call_id) if proposal.call_id is not None else None
    title, lines = outcome_lines(session, proposal, call)
    when = today or datetime.now(UTC).date()

    pdf = _Letter()
    pdf.set_title(f"Esito - proposta {proposal.id}")
    pdf.add_page()
    pdf.para(f"Milano, {when:%d/%m/%Y}")
    pdf.para(f"Spett.le {_org_name(session, proposal.organisation_id)}")
    if call is not None:
        pdf.para(f"Oggetto: avviso {call.code} — {call.title}", bold=True)
    pdf.para(f"Manifestazione di interesse n. {proposal.id}: {proposal.title}", bold=True)
    pdf.ln(2)
    pdf.para(title, bold=True, size=13)
    for line in lines:
        pdf.para(line)
    pdf.ln(4)
    pdf.para("Distinti saluti.")
    pdf.para("Il Dirigente responsabile del procedimento")
    return bytes(pdf.output())
