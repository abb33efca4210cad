"""Employment histories: monthly person panels derived from the employment events (UNILAV).

Rules (each one tested, ``tests/test_monitoring_panel.py``, against a day-by-day reading of the same rules):

1. **A relationship** is identified by (person, employer, start date): every event of the CO about it carries
   its start date, so hires, extensions, transformations, transfers and terminations meet there even when they
   arrive in different files or out of order. A relationship whose hire was never received still exists from
   the start date its other events carry.
2. **Its end** is the earliest termination (CES) date when there is one — whatever the planned end said: a
   termination before the term ends it early, a *late* termination (after the planned end, or communicated
   long after the fact) keeps the relationship going until the termination date. Without a termination, the
   end is the planned end set by the latest hire, extension or transformation (by event date; on the same
   date: hire, extension, transformation, transfer, termination): a fixed-term contract ends at its term
   without any communication, an open-ended one (no end date) lasts until the end of the observation window.
   Events dated after a termination do not reopen the relationship.
3. **Its contract** is the hire's, then each transformation's from its date on (fixed-term → open-ended,
   part-time → full-time). A relationship has no gaps between its start and its end.
4. **Overlapping relationships** (two jobs, or a new contract before the old one's end) are counted once: a
   day is worked if at least one relationship covers it.
5. **Monthly cells**: ``days`` = days of the month worked (rule 4); ``employed`` = a relationship covers the
   last day of the month (the month-end stock, as CO statistics count positions); ``stable`` = an open-ended
   contract (permanent or apprenticeship, ``codes.STABLE``) covers the last day of the month.
6. **The observation window** ends on the last day of the month of the latest event held (the cut-off),
   unless given; months after it are not observed, and outcomes that need them are missing.

The panel is held as arrays (persons × months) and cached as Parquet (``write_parquet``), keyed by person
(the pseudonym, or a linked-person key: ``identity.PersonKeys``).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from regia.monitoring import codes

EPOCH = date(1970, 1, 1)


def month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def month_first(m: int) -> date:
    return date(m // 12, m % 12 + 1, 1)


def month_last(m: int) -> date:
    year, month = m // 12, m % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def month_label(m: int) -> str:
    return f"{m // 12:04d}-{m % 12 + 1:02d}"


@dataclass(frozen=True)
class Event:
    person: str
    employer: str
    event: str
    event_date: date
    start: date
    end: date | None
    contract: str


@dataclass(frozen=True)
class Segment:
    """Part of a relationship under one contract: days ``start``..``end`` (inclusive; None: still going)."""

    person: str
    start: date
    end: date | None
    stable: bool


def relationship_segments(events: Sequence[Event]) -> list[Segment]:
    """The segments of one relationship (all ``events`` share person, employer and start), by rules 1–3."""
    ordered = sorted(events, key=lambda e: (e.event_date, codes.EVENT_ORDER[e.event]))
    start, person = ordered[0].start, ordered[0].person
    terminations = [e.end or e.event_date for e in ordered if e.event == codes.TERMINATION]
    terminated = min(terminations) if terminations else None
    hire = next((e for e in ordered if e.event == codes.HIRE), None)
    # before any transformation: the hire's contract; without a hire, the contract the other events carry
    # (a transformation names the contract it leads to, not the one before it: unknown, so not stable)
    initial = hire.contract if hire else next((e.contract for e in ordered if e.event != codes.TRANSFORMATION),
                                              codes.OTHER)
    pieces: list[tuple[date, str]] = [(start, initial)]
    planned: date | None = None
    for e in ordered:
        if terminated is not None and e.event_date > terminated:
            break  # nothing reopens a terminated relationship
        if e.event in (codes.HIRE, codes.EXTENSION):
            planned = e.end
        elif e.event == codes.TRANSFORMATION:
            planned = None if e.contract in codes.STABLE or e.end is None else e.end
            when = max(e.event_date, start)
            if pieces[-1][0] == when:
                pieces[-1] = (when, e.contract)
            elif pieces[-1][1] != e.contract:
                pieces.append((when, e.contract))
    end = terminated if terminated is not None else planned
    segments = []
    for k, (begin, kind) in enumerate(pieces):
        stop = pieces[k + 1][0] - timedelta(days=1) if k + 1 < len(pieces) else end
        if end is not None and (stop is None or stop > end):
            stop = end
        if stop is not None and stop < begin:
            continue
        segments.append(Segment(person, begin, stop, kind in codes.STABLE))
    return segments


def segments_of(events: Iterable[Event]) -> list[Segment]:
    groups: dict[tuple[str, str, date], list[Event]] = {}
    for e in events:
        groups.setdefault((e.person, e.employer, e.start), []).append(e)
    out: list[Segment] = []
    for group in groups.values():
        out.extend(relationship_segments(group))
    return out


@dataclass
class Panel:
    """Monthly employment of ``persons`` over months ``first``..``last`` (month indexes, see ``month_index``)."""

    persons: list[str]
    first: int
    last: int
    employed: np.ndarray  # bool, persons × months
    stable: np.ndarray  # bool
    days: np.ndarray  # int16

    @property
    def months(self) -> int:
        return self.last - self.first + 1

    def index(self) -> dict[str, int]:
        return {p: k for k, p in enumerate(self.persons)}

    def column(self, month: int) -> int:
        return month - self.first

    def write_parquet(self, path: Path, *, version: str = "") -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        n, m = self.employed.shape
        table = pa.table({
            "person": pa.array(np.repeat(np.array(self.persons, dtype=object), m)),
            "month": pa.array([month_label(self.first + k) for k in range(m)] * n),
            "employed": pa.array(self.employed.ravel()),
            "stable": pa.array(self.stable.ravel()),
            "days": pa.array(self.days.ravel().astype(np.int16)),
        })
        table = table.replace_schema_metadata({"regia.version": version, "regia.first": str(self.first),
                                               "regia.last": str(self.last)})
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)

    @classmethod
    def read_parquet(cls, path: Path, *, version: str = "") -> Panel | None:
        import pyarrow.parquet as pq

        if not path.is_file():
            return None
        table = pq.read_table(path)
        meta = table.schema.metadata or {}
        if meta.get(b"regia.version", b"").decode() != version:
            return None
        first, last = int(meta[b"regia.first"]), int(meta[b"regia.last"])
        m = last - first + 1
        persons = table.column("person").to_pylist()[::m] if m else []
        shape = (len(persons), m)
        return cls(persons, first, last, table.column("employed").to_numpy().reshape(shape),
                   table.column("stable").to_numpy().reshape(shape),
                   table.column("days").to_numpy().astype(np.int16).reshape(shape))


def build(persons: Sequence[str], segments: Iterable[Segment], *, first: int, last: int,
          chunk: int = 4000) -> Panel:
    """The panel of ``persons`` over months ``first``..``last`` from relationship segments (rules 4–6): open
    segments run to the end of month ``last``; segments of other persons are ignored."""
    index = {p: k for k, p in enumerate(persons)}
    day0 = (month_first(first) - EPOCH).days
    n_days = (month_last(last) - month_first(first)).days + 1
    rows, starts, ends, stable = [], [], [], []
    for s in segments:
        k = index.get(s.person)
        if k is None:
            continue
        a = (s.start - EPOCH).days - day0
        b = n_days - 1 if s.end is None else (s.end - EPOCH).days - day0
        a, b = max(a, 0), min(b, n_days - 1)
        if b < a:
            continue
        rows.append(k)
        starts.append(a)
        ends.append(b)
        stable.append(s.stable)
    r, a_, b_, st = (np.asarray(x, dtype=np.int64) for x in (rows, starts, ends, stable))
    m = last - first + 1
    bounds = np.array([(month_first(first + j) - month_first(first)).days for j in range(m)] + [n_days])
    month_ends = bounds[1:] - 1
    n = len(persons)
    employed = np.zeros((n, m), dtype=bool)
    stable_out = np.zeros((n, m), dtype=bool)
    days = np.zeros((n, m), dtype=np.int16)
    order = np.argsort(r, kind="stable")
    r, a_, b_, st = r[order], a_[order], b_[order], st[order]
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        sel = (r >= lo) & (r < hi)
        for which, mask in ((0, sel), (1, sel & (st == 1))):
            diff = np.zeros((hi - lo, n_days + 1), dtype=np.int32)
            np.add.at(diff, (r[mask] - lo, a_[mask]), 1)
            np.add.at(diff, (r[mask] - lo, b_[mask] + 1), -1)
            cover = np.cumsum(diff[:, :n_days], axis=1) > 0
            if which == 0:
                days[lo:hi] = np.add.reduceat(cover, bounds[:-1], axis=1).astype(np.int16)
                employed[lo:hi] = cover[:, month_ends]
            else:
                stable_out[lo:hi] = cover[:, month_ends]
    return Panel(list(persons), first, last, employed, stable_out, days)
