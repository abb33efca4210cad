"""Employment histories from CO events (regia.monitoring.panel): the monthly panel equals a day-by-day reading of
the documented rules on random histories (hypothesis), whatever the order the events arrive in, and the named
rules hold on hand-made cases (late cessation, open-ended contracts, overlapping jobs, transformations)."""

from __future__ import annotations

import calendar
import random
from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from regia.monitoring import codes
from regia.monitoring.panel import Event, build, month_index, segments_of

FIRST, LAST = month_index(date(2024, 1, 1)), month_index(date(2025, 6, 1))
WINDOW_END = date(2025, 6, 30)
CONTRACTS = (codes.PERMANENT, codes.FIXED_TERM, codes.APPRENTICESHIP, codes.TEMP_AGENCY)


def reference(events: list[Event], persons: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rules of the panel's docstring, read day by day (no segments, no arrays)."""
    groups: dict[tuple[str, str, date], list[Event]] = {}
    for e in events:
        groups.setdefault((e.person, e.employer, e.start), []).append(e)
    months = LAST - FIRST + 1
    employed = np.zeros((len(persons), months), bool)
    stable = np.zeros((len(persons), months), bool)
    days = np.zeros((len(persons), months), int)
    covered: dict[tuple[str, date], tuple[bool, bool]] = {}
    for (person, _, start), evs in groups.items():
        order = sorted(evs, key=lambda e: (e.event_date, codes.EVENT_ORDER[e.event]))
        ces = [e.end or e.event_date for e in order if e.event == codes.TERMINATION]
        stop = min(ces) if ces else None
        live = [e for e in order if stop is None or e.event_date <= stop]
        planned = None
        for e in live:
            if e.event in (codes.HIRE, codes.EXTENSION):
                planned = e.end
            elif e.event == codes.TRANSFORMATION:
                planned = None if e.contract in codes.STABLE or e.end is None else e.end
        end = stop if stop is not None else planned
        hire = next((e for e in order if e.event == codes.HIRE), None)
        base = hire.contract if hire else next((e.contract for e in order if e.event != codes.TRANSFORMATION),
                                               codes.OTHER)
        d = start
        last = min(end, WINDOW_END) if end else WINDOW_END
        while d <= last:
            trs = [e for e in live if e.event == codes.TRANSFORMATION and max(e.event_date, start) <= d]
            kind = trs[-1].contract if trs else base
            was = covered.get((person, d), (False, False))
            covered[(person, d)] = (True, was[1] or kind in codes.STABLE)
            d += timedelta(days=1)
    for k, person in enumerate(persons):
        for j in range(months):
            m = FIRST + j
            y, mo = m // 12, m % 12 + 1
            n = calendar.monthrange(y, mo)[1]
            cells = [covered.get((person, date(y, mo, day)), (False, False)) for day in range(1, n + 1)]
            days[k, j] = sum(c[0] for c in cells)
            employed[k, j], stable[k, j] = cells[-1]
    return employed, stable, days


dates = st.dates(min_value=date(2023, 10, 1), max_value=date(2025, 5, 31))


@st.composite
def histories(draw: st.DrawFn) -> list[Event]:
    events: list[Event] = []
    for person in ("p1", "p2"):
        for r in range(draw(st.integers(0, 3))):
            start = draw(dates)
            employer = f"e{draw(st.integers(0, 2))}"
            kind = draw(st.sampled_from(CONTRACTS))
            if draw(st.booleans()) or r == 0:
                end = None if kind in codes.STABLE else start + timedelta(days=draw(st.integers(0, 300)))
                events.append(Event(person, employer, codes.HIRE, start, start, end, kind))
            for _ in range(draw(st.integers(0, 3))):
                ev = draw(st.sampled_from((codes.EXTENSION, codes.TRANSFORMATION, codes.TRANSFER,
                                           codes.TERMINATION)))
                when = start + timedelta(days=draw(st.integers(0, 400)))
                end = when + timedelta(days=draw(st.integers(0, 200))) if ev == codes.EXTENSION else None
                if ev == codes.TERMINATION:
                    end = when
                contract = draw(st.sampled_from(CONTRACTS))
                if ev == codes.TRANSFORMATION and draw(st.booleans()):
                    end = when + timedelta(days=draw(st.integers(0, 200)))
                events.append(Event(person, employer, ev, when, start, end, contract))
    return events


@settings(max_examples=60, deadline=None)
@given(histories(), st.randoms(use_true_random=False))
def test_panel_equals_the_rules_read_day_by_day_in_any_order(events: list[Event], rnd: random.Random) -> None:
    persons = ["p1", "p2"]
    expected = reference(events, persons)
    shuffled = list(events)
    rnd.shuffle(shuffled)
    for variant in (events, shuffled, shuffled + shuffled[:2]):  # order and repeated events do not matter
        panel = build(persons, segments_of(variant), first=FIRST, last=LAST)
        assert np.array_equal(panel.employed, expected[0])
        assert np.array_equal(panel.stable, expected[1])
        assert np.array_equal(panel.days, expected[2])
        assert (panel.days <= 31).all()


def _panel(*events: Event) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    panel = build(["p"], segments_of(events), first=FIRST, last=LAST)
    return panel.employed[0], panel.stable[0], panel.days[0]


def col(year: int, month: int) -> int:
    return month_index(date(year, month, 1)) - FIRST


def test_a_fixed_term_contract_ends_at_its_term_and_a_late_cessation_extends_it() -> None:
    hire = Event("p", "e", codes.HIRE, date(2024, 1, 1), date(2024, 1, 1), date(2024, 3, 31), codes.FIXED_TERM)
    employed, _, days = _panel(hire)
    assert employed[col(2024, 3)] and not employed[col(2024, 4)]
    assert days[col(2024, 1): col(2024, 4)].tolist() == [31, 29, 31]
    late = Event("p", "e", codes.TERMINATION, date(2024, 5, 20), date(2024, 1, 1), date(2024, 5, 20),
                 codes.FIXED_TERM)
    employed, _, days = _panel(late, hire)  # communicated late, arrives first: the job lasted until May 20
    assert employed[col(2024, 4)] and not employed[col(2024, 5)] and days[col(2024, 5)] == 20
    early = Event("p", "e", codes.TERMINATION, date(2024, 2, 10), date(2024, 1, 1), None, codes.FIXED_TERM)
    employed, _, days = _panel(hire, early)
    assert days[col(2024, 2)] == 10 and days[col(2024, 3)] == 0


def test_open_ended_contracts_run_to_the_cutoff_and_overlaps_count_once() -> None:
    permanent = Event("p", "a", codes.HIRE, date(2024, 6, 15), date(2024, 6, 15), None, codes.PERMANENT)
    second = Event("p", "b", codes.HIRE, date(2024, 7, 1), date(2024, 7, 1), date(2024, 12, 31), codes.FIXED_TERM)
    employed, stable, days = _panel(permanent, second)
    assert employed[col(2024, 6):].all() and stable[col(2024, 6):].all()
    assert days[col(2024, 6)] == 16 and days[col(2024, 8)] == 31 and days[-1] == 30


def test_a_transformation_makes_the_contract_stable_from_its_date() -> None:
    hire = Event("p", "e", codes.HIRE, date(2024, 1, 1), date(2024, 1, 1), date(2024, 6, 30), codes.FIXED_TERM)
    trs = Event("p", "e", codes.TRANSFORMATION, date(2024, 4, 1), date(2024, 1, 1), None, codes.PERMANENT)
    employed, stable, _ = _panel(hire, trs)
    assert not stable[col(2024, 3)] and stable[col(2024, 4)] and employed[-1] and stable[-1]
