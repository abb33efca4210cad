"""The *graduatoria* of a call and the selection under its budget envelope: pure functions, no database.

Ranking rules, in order (the first that separates two proposals decides, and ``note`` says which):

1. the higher total score (Σ weight × score);
2. at equal total, the higher score on the grid's criteria **in grid order** (first criterion first);
3. at equal scores, the earlier submission of the manifestation;
4. still tied: the same rank (competition ranking: 1, 2, 2, 4), with a note saying so.

Selection (:func:`select`) walks the ranking in order: a proposal below a threshold (any criterion under its
threshold, or the total under the call's ``min_total``) is never selected; one asking for more than the
``max_grant`` per proposal is not selected; one whose request does not fit the remaining envelope of every
funding source it asks from is skipped (*idoneo non finanziato*) and the next ones are still considered.
Proposals sharing a rank are taken in the order of their key (the proposal id), so the result never depends
on the order of the input.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

ZERO = Decimal(0)

# Outcomes of the selection
SELECTED = "selected"
NOT_FUNDED = "not_funded"  # idoneo non finanziato: eligible, but the envelope had no room left
BELOW_THRESHOLD = "below_threshold"  # non idoneo
OVER_MAX_GRANT = "over_max_grant"  # asks more than the call's per-proposal maximum

# Which rule decided a proposal's place (stored as the proposal's rank_note; Italian, as in the graduatoria)
RULE_TOTAL = "punteggio totale"
RULE_TIED = "parità piena: stessa posizione in graduatoria"


def rule_criterion(code: str) -> str:
    return f"a parità di totale, decide il punteggio del criterio {code}"


RULE_SUBMISSION = "a parità di punteggi, decide la presentazione anticipata"


@dataclass(frozen=True)
class Entry:
    """A proposal as the ranking sees it. ``scores`` follow the grid order (``codes``)."""

    key: int
    total: Decimal
    scores: tuple[Decimal, ...] = ()
    codes: tuple[str, ...] = ()
    submitted_at: datetime | None = None
    requested: Mapping[str, Decimal] = field(default_factory=dict)
    eligible: bool = True  # False: some criterion under its threshold or the total under min_total

    def sort_key(self) -> tuple[object, ...]:
        # None (no submission date known) counts as the latest possible submission
        when = (1, datetime.max) if self.submitted_at is None else (0, self.submitted_at.replace(tzinfo=None))
        return (-self.total, tuple(-s for s in self.scores), when)


@dataclass(frozen=True)
class Ranked:
    entry: Entry
    rank: int
    note: str


@dataclass(frozen=True)
class Outcome:
    entry: Entry
    rank: int
    note: str
    status: str  # SELECTED, NOT_FUNDED, BELOW_THRESHOLD, OVER_MAX_GRANT
    granted: dict[str, Decimal]


@dataclass(frozen=True)
class Selection:
    outcomes: list[Outcome]
    remaining: dict[str, Decimal]  # envelope left per funding source

    @property
    def selected(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == SELECTED]


def _decider(a: Entry, b: Entry) -> str | None:
    """The rule that separates two neighbours of the ranking (None: fully tied)."""
    if a.total != b.total:
        return RULE_TOTAL
    for code, sa, sb in zip(a.codes or b.codes, a.scores, b.scores, strict=False):
        if sa != sb:
            return rule_criterion(code)
    if a.sort_key()[2] != b.sort_key()[2]:
        return RULE_SUBMISSION
    return None


def rank(entries: Iterable[Entry]) -> list[Ranked]:
    """The ranking, best first, with each entry's rank and the rule that placed it against its neighbours
    of equal total (``punteggio totale`` when the total alone decided)."""
    ordered = sorted(entries, key=lambda e: (e.sort_key(), e.key))
    result: list[Ranked] = []
    for i, entry in enumerate(ordered):
        tied_before = i > 0 and _decider(ordered[i - 1], entry) is None
        rank_ = result[-1].rank if tied_before else i + 1
        before = _decider(ordered[i - 1], entry) if i > 0 else RULE_TOTAL
        after = _decider(entry, ordered[i + 1]) if i + 1 < len(ordered) else RULE_TOTAL
        if before is None or after is None:
            note = RULE_TIED
        elif before != RULE_TOTAL:
            note = before  # what put it behind the previous one of equal total
        else:
            note = after  # what put it ahead of the next one (RULE_TOTAL when the total alone decided)
        result.append(Ranked(entry, rank_, note))
    return result


def select(ranked: Sequence[Ranked], budget_by_source: Mapping[str, Decimal],
           max_grant: Decimal | None = None) -> Selection:
    """Walk the ranking and fund what fits (see the module's rules). ``budget_by_source``: the call's envelope."""
    remaining = {source: Decimal(amount) for source, amount in budget_by_source.items()}
    outcomes: list[Outcome] = []
    for item in sorted(ranked, key=lambda r: (r.rank, r.entry.key)):
        entry = item.entry
        asked = {s: Decimal(a) for s, a in entry.requested.items() if Decimal(a) != ZERO}
        if not entry.eligible:
            status = BELOW_THRESHOLD
        elif max_grant is not None and sum(asked.values(), ZERO) > max_grant:
            status = OVER_MAX_GRANT
        elif all(amount <= remaining.get(source, ZERO) for source, amount in asked.items()):
            status = SELECTED
            for source, amount in asked.items():
                remaining[source] -= amount
        else:
            status = NOT_FUNDED
        outcomes.append(Outcome(entry, item.rank, item.note, status, asked if status == SELECTED else {}))
    return Selection(outcomes, remaining)
