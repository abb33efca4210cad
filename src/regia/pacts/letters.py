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
from sqlalchemy import select
from sqlalchemy.orm import Session

from regia.auth.errors import Conflict, Forbidden, NotFound
from regia.auth.models import AuditEntry, Organisation
from regia.auth.policy import READ, Resource, can
from regia.auth.principal import Principal
from regia.clock import to_rome
from regia.i18n import N_, format_date, format_decimal, format_money, format_number, gettext
from regia.pacts import evaluation, labels, ranking
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

# Labels of the failed admissibility checks the letter lists (pybabel keeps keys it sees written out).
CHECK_KEYS = {"deadline": N_("pacts.letter.check.deadline"), "min_partners": N_("pacts.letter.check.min_partners"),
              "partner_types": N_("pacts.letter.check.partner_types"),
              "commitment_letters": N_("pacts.letter.check.commitment_letters"),
              "territory": N_("pacts.letter.check.territory"), "decision": N_("pacts.letter.check.decision")}
OUTCOME_STATES = {INADMISSIBLE, NOT_SELECTED, SELECTED, PROGRAMME_SUBMITTED, APPROVED, IN_PROGRESS, CLOSED}
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


class _Letter(FPDF):
    def __init__(self, lang: str) -> None:
        super().__init__(format="A4")
        self.lang = lang
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
        self.cell(0, 8, self.text_of(gettext("pacts.letter.letterhead", self.lang)), new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family, "", 9)
        self.multi_cell(0, 5, self.text_of(gettext("pacts.letter.office", self.lang)), new_x="LMARGIN",
                        new_y="NEXT")
        self.line(20, self.get_y() + 2, 190, self.get_y() + 2)
        self.ln(6)

    def para(self, value: str, *, bold: bool = False, size: int = 11) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.multi_cell(0, 6, self.text_of(value), align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(1)


def _org_name(session: Session, organisation_id: int, lang: str) -> str:
    org = session.get(Organisation, organisation_id)
    return org.name if org is not None else gettext("pacts.letter.organisation", lang, id=organisation_id)


def outcome_lines(session: Session, proposal: Proposal, call: Call | None, lang: str = "it") -> tuple[str, list[str]]:
    """The outcome's title and its paragraphs (the text of the letter, testable without a PDF)."""
    if proposal.status == INADMISSIBLE:
        checks = proposal.admissibility or []
        failed = [c for c in checks if not c.get("passed") and c.get("check") != "decision"]
        reason = next((c.get("note") for c in checks if c.get("check") == "decision" and c.get("note")), None)
        lines = [gettext("pacts.letter.inadmissible.lead", lang)]
        for c in failed:
            code = c.get("check", "")
            label = gettext(CHECK_KEYS[code], lang) if code in CHECK_KEYS else code
            note = c.get("note") or gettext("pacts.letter.check.failed", lang)
            lines.append(f"- {label}: {note}")
        if reason:
            lines.append(gettext("pacts.letter.reason", lang, reason=reason))
        return gettext("pacts.letter.inadmissible.title", lang), lines
    score = format_decimal(Decimal(proposal.total_score), lang) if proposal.total_score is not None else "—"
    rank = format_number(proposal.rank, lang) if proposal.rank is not None else "—"
    scored = gettext("pacts.letter.score", lang, score=score, rank=rank)
    if proposal.status == NOT_SELECTED:
        lines = [scored]
        status = evaluation._published_status(call, proposal) if call is not None else ranking.NOT_FUNDED
        if status == ranking.BELOW_THRESHOLD:
            lines.append(gettext("pacts.letter.not_selected.below", lang))
        elif status == ranking.OVER_MAX_GRANT and call is not None:
            lines.append(gettext("pacts.letter.not_selected.over_max", lang,
                                 max=format_money(Decimal(call.max_grant or 0), lang)))
        else:
            lines.append(gettext("pacts.letter.not_selected.no_room", lang))
            for source, asked, left in _shortfall(session, call, proposal) if call is not None else []:
                name = gettext(labels.SOURCE[source], lang) if source in labels.SOURCE else source
                lines.append(gettext("pacts.letter.not_selected.short", lang, source=name,
                                     asked=format_money(asked, lang), left=format_money(left, lang)))
        if proposal.rank_note:
            lines.append(gettext("pacts.letter.rank_note", lang, note=proposal.rank_note))
        return gettext("pacts.letter.not_selected.title", lang), lines
    lines = [scored, gettext("pacts.letter.selected.lead", lang), gettext("pacts.letter.selected.granted", lang)]
    granted = proposal.granted or {}
    for source, amount in sorted(granted.items()):
        name = gettext(labels.SOURCE[source], lang) if source in labels.SOURCE else source
        lines.append(f"- {name}: {format_money(amount, lang)}")
    total = sum((Decimal(a) for a in granted.values()), Decimal(0))
    lines.append(gettext("pacts.letter.selected.total", lang, total=format_money(total, lang)))
    return gettext("pacts.letter.selected.title", lang), lines


def _shortfall(session: Session, call: Call, proposal: Proposal) -> list[tuple[str, Decimal, Decimal]]:
    """The funding sources that had no room for an eligible, not funded proposal: ``(source, asked, left)``
    with what was left of that source's envelope when its turn came (after the grants ranked before it)."""
    budget = evaluation.budget_of(call)
    before = session.scalars(select(Proposal).where(Proposal.call_id == call.id, Proposal.rank.is_not(None),
                                                    Proposal.rank < (proposal.rank or 0))).all()
    for other in before:
        for source, amount in (other.granted or {}).items():
            budget[source] = budget.get(source, Decimal(0)) - Decimal(amount)
    asked = evaluation._entry(call, proposal).requested
    return [(source, Decimal(amount), budget.get(source, Decimal(0))) for source, amount in sorted(asked.items())
            if Decimal(amount) > budget.get(source, Decimal(0))]


def decided_on(session: Session, proposal: Proposal, call: Call | None) -> date | None:
    """The day of the outcome, in Rome: the ranking's publication, or the inadmissibility decision."""
    if proposal.status == INADMISSIBLE:
        at = session.scalar(select(AuditEntry.at).where(
            AuditEntry.resource_type == "pact_proposal", AuditEntry.resource_id == str(proposal.id),
            AuditEntry.action == "declare_inadmissible").order_by(AuditEntry.id.desc()).limit(1))
        return to_rome(at).date() if at is not None else None
    if call is not None and call.ranking_published_at is not None:
        return to_rome(call.ranking_published_at).date()
    return None


def letter_pdf(session: Session, *, principal: Principal, proposal_id: int, today: date | None = None,
               lang: str = "it") -> bytes:
    """The outcome letter of a proposal, as PDF bytes (owner partnership's members, the Region's staff); in
    Italian, the language of the Region's acts, unless ``lang`` asks for another."""
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
    title, lines = outcome_lines(session, proposal, call, lang)
    when = today or decided_on(session, proposal, call) or to_rome(datetime.now(UTC)).date()

    pdf = _Letter(lang)
    pdf.set_title(gettext("pacts.letter.pdf_title", lang, id=proposal.id))
    pdf.add_page()
    pdf.para(gettext("pacts.letter.place_date", lang, date=format_date(when, lang)))
    pdf.para(gettext("pacts.letter.addressee", lang, name=_org_name(session, proposal.organisation_id, lang)))
    if call is not None:
        pdf.para(gettext("pacts.letter.subject", lang, code=call.code, title=call.title), bold=True)
    pdf.para(gettext("pacts.letter.proposal", lang, id=proposal.id, title=proposal.title), bold=True)
    pdf.ln(2)
    pdf.para(title, bold=True, size=13)
    for line in lines:
        pdf.para(line)
    pdf.ln(4)
    pdf.para(gettext("pacts.letter.greeting", lang))
    pdf.para(gettext("pacts.letter.signature", lang))
    return bytes(pdf.output())
