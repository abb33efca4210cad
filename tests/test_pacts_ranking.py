"""The ranking and the budget-constrained selection (pure functions): tie rules, the envelope, properties."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from regia.pacts import ranking
from regia.pacts.ranking import Entry

CODES = ("C1", "C2", "C3")
T0 = datetime(2027, 2, 1, tzinfo=UTC)


def entry(key: int, total: str, scores: tuple[int, ...] = (5, 5, 5), day: int | None = 0, eligible: bool = True,
          **requested: str) -> Entry:
    return Entry(key=key, total=Decimal(total), scores=tuple(Decimal(s) for s in scores), codes=CODES,
                 submitted_at=None if day is None else T0 + timedelta(days=day),
                 requested={k: Decimal(v) for k, v in requested.items()}, eligible=eligible)


def test_total_then_criteria_in_grid_order_then_submission_then_shared_rank() -> None:
    rows = ranking.rank([
        entry(1, "50", (6, 5, 9), day=0),
        entry(2, "50", (7, 3, 1), day=5),  # same total, higher C1: ahead of 1
        entry(3, "50", (6, 5, 9), day=-1),  # same as 1 but submitted earlier: ahead of 1
        entry(4, "60"),
        entry(5, "50", (6, 5, 9), day=0),  # identical to 1 in everything: same rank
        entry(6, "50", (6, 6, 0), day=9),  # C1 equal, C2 higher: ahead of 3
    ])
    assert [(r.entry.key, r.rank) for r in rows] == [(4, 1), (2, 2), (6, 3), (3, 4), (1, 5), (5, 5)]
    notes = {r.entry.key: r.note for r in rows}
    assert notes[4] == ranking.RULE_TOTAL
    assert notes[2] == ranking.rule_criterion("C1")  # what put it ahead of 6
    assert notes[6] == ranking.rule_criterion("C1")  # behind 2 because of C1
    assert notes[3] == ranking.rule_criterion("C2")  # behind 6 because of C2
    assert notes[1] == notes[5] == ranking.RULE_TIED
    assert "presentazione" in ranking.RULE_SUBMISSION


def test_unknown_submission_date_counts_as_last() -> None:
    rows = ranking.rank([entry(1, "40", day=None), entry(2, "40", day=3)])
    assert [r.entry.key for r in rows] == [2, 1] and rows[1].note == ranking.RULE_SUBMISSION


def test_selection_skips_what_does_not_fit_and_goes_on() -> None:
    ranked = ranking.rank([
        entry(1, "90", regional="600"),
        entry(2, "80", regional="500"),  # does not fit after 1 (400 left): idoneo non finanziato
        entry(3, "70", regional="300", fse_plus="100"),  # fits
        entry(4, "65", eligible=False, regional="10"),  # under a threshold: never selected
        entry(5, "60", fund="1"),  # the call has no Fund envelope
        entry(6, "55", regional="2000"),  # over the max grant
    ])
    result = ranking.select(ranked, {"regional": Decimal(1000), "fse_plus": Decimal(100)}, Decimal(1500))
    assert [(o.entry.key, o.status) for o in result.outcomes] == [
        (1, ranking.SELECTED), (2, ranking.NOT_FUNDED), (3, ranking.SELECTED), (4, ranking.BELOW_THRESHOLD),
        (5, ranking.NOT_FUNDED), (6, ranking.OVER_MAX_GRANT)]
    assert result.remaining == {"regional": Decimal(100), "fse_plus": Decimal(0)}
    assert result.outcomes[2].granted == {"regional": Decimal(300), "fse_plus": Decimal(100)}
    assert result.outcomes[1].granted == {}


# --- properties -----------------------------------------------------------------------------------------------

SOURCES = ("regional", "fse_plus", "fund")
amounts = st.integers(min_value=0, max_value=50).map(lambda n: Decimal(n * 1000))
entries = st.lists(
    st.builds(lambda key, total, scores, day, eligible, req: Entry(
        key=key, total=Decimal(total), scores=tuple(Decimal(s) for s in scores), codes=CODES,
        submitted_at=T0 + timedelta(days=day), requested=req, eligible=eligible),
        st.integers(0, 10_000), st.integers(0, 12), st.tuples(*[st.integers(0, 3)] * 3), st.integers(0, 2),
        st.booleans(), st.dictionaries(st.sampled_from(SOURCES), amounts, max_size=3)),
    max_size=25, unique_by=lambda e: e.key)
budgets = st.dictionaries(st.sampled_from(SOURCES), amounts, max_size=3)


@settings(max_examples=300, deadline=None)
@given(entries, budgets, st.one_of(st.none(), amounts), st.randoms())
def test_selection_properties(rows: list[Entry], budget: dict[str, Decimal], max_grant: Decimal | None,
                              rnd: object) -> None:
    result = ranking.select(ranking.rank(rows), budget, max_grant)
    # never exceeds the envelope, per source, and the remainder is what is left of it
    for source in set(budget) | {s for o in result.outcomes for s in o.granted}:
        granted = sum((o.granted.get(source, Decimal(0)) for o in result.outcomes), Decimal(0))
        assert granted <= budget.get(source, Decimal(0))
        if source in budget:
            assert result.remaining[source] == budget[source] - granted
    # a skipped proposal really did not fit what was left when its turn came
    left = dict(budget)
    for o in result.outcomes:
        asked = {s: a for s, a in o.entry.requested.items() if a}
        if o.status == ranking.SELECTED:
            assert o.entry.eligible and o.granted == asked
            for s, a in asked.items():
                left[s] -= a
        elif o.status == ranking.NOT_FUNDED:
            assert o.entry.eligible
            assert any(a > left.get(s, Decimal(0)) for s, a in asked.items())
        elif o.status == ranking.BELOW_THRESHOLD:
            assert not o.entry.eligible
        else:
            assert max_grant is not None and sum(asked.values(), Decimal(0)) > max_grant
    # the order of the input does not matter
    shuffled = list(rows)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    again = ranking.select(ranking.rank(shuffled), budget, max_grant)
    assert [(o.entry.key, o.rank, o.status, o.note) for o in again.outcomes] == \
        [(o.entry.key, o.rank, o.status, o.note) for o in result.outcomes]


@settings(max_examples=300, deadline=None)
@given(entries)
def test_rank_properties(rows: list[Entry]) -> None:
    ranked = ranking.rank(rows)
    assert sorted(r.entry.key for r in ranked) == sorted(e.key for e in rows)
    for i, (a, b) in enumerate(itertools.pairwise(ranked)):
        assert a.entry.total >= b.entry.total
        same = a.entry.sort_key() == b.entry.sort_key()
        # equal on every rule ⇔ same rank (competition ranking: otherwise the position + 1)
        assert (a.rank == b.rank) == same
        assert b.rank == (a.rank if same else i + 2)
        if same:
            assert a.note == b.note == ranking.RULE_TIED
    if ranked:
        assert ranked[0].rank == 1
