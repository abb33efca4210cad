"""Statistical disclosure control of the open data (regia.monitoring.disclosure): on random tables (hypothesis)
no published count is under 5 people (nor is its complement, where marked), and no suppressed cell can be
recovered from what is published — checked by an LP of our own that bounds each suppressed cell given the
published cells, the column totals and the count ≤ denominator relations; and the package is valid Frictionless."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from regia.monitoring.disclosure import THRESHOLD, Column, protect

COLUMNS = (Column("participants"), Column("completed", "participants", complement=True),
           Column("employed", "completed", complement=True))


@st.composite
def tables(draw: st.DrawFn) -> list[dict[str, int]]:
    rows = []
    for _ in range(draw(st.integers(1, 7))):
        participants = draw(st.integers(0, 60))
        completed = draw(st.integers(0, participants))
        rows.append({"participants": participants, "completed": completed,
                     "employed": draw(st.integers(0, completed))})
    return rows


def attacker_range(p, cell: tuple[int, str]) -> tuple[float, float]:
    """Min and max of a suppressed cell over every table consistent with what is published."""
    hidden = sorted(k for k in p.suppressed if k[0] >= 0)
    var = {k: i for i, k in enumerate(hidden)}
    n = len(hidden)

    def value(r: int, name: str) -> int | None:
        return None if (r, name) in p.suppressed else p.cells[r][name]

    a_eq, b_eq, a_ub, b_ub = [], [], [], []
    for col in COLUMNS:
        if (-1, col.name) in p.suppressed:
            continue
        row, known = np.zeros(n), 0
        for r in range(len(p.cells)):
            v = value(r, col.name)
            if v is None:
                row[var[(r, col.name)]] = 1
            else:
                known += v
        if row.any():
            a_eq.append(row)
            b_eq.append(p.total[col.name] - known)
    for r in range(len(p.cells)):  # employed <= completed <= participants, whatever is hidden
        for small, big in (("completed", "participants"), ("employed", "completed")):
            row, rhs = np.zeros(n), 0.0
            for name, sign in ((small, 1), (big, -1)):
                v = value(r, name)
                if v is None:
                    row[var[(r, name)]] += sign
                else:
                    rhs -= sign * v
            if row.any():
                a_ub.append(row)
                b_ub.append(rhs)
    c = np.zeros(n)
    c[var[cell]] = 1
    kw = {"A_ub": np.array(a_ub) if a_ub else None, "b_ub": b_ub or None,
          "A_eq": np.array(a_eq) if a_eq else None, "b_eq": b_eq or None, "bounds": [(0, None)] * n}
    low = linprog(c, method="highs", **kw)
    high = linprog(-c, method="highs", **kw)
    return low.fun, (-high.fun if high.status == 0 else float("inf"))


@settings(max_examples=80, deadline=None)
@given(tables())
def test_nothing_small_is_published_and_nothing_suppressed_is_recoverable(cells: list[dict[str, int]]) -> None:
    p = protect(cells, COLUMNS)
    for r in range(-1, len(cells)):
        for col in COLUMNS:
            v = p.value(r, col.name)
            if v is None:
                continue
            assert v >= THRESHOLD
            if col.complement:
                den = p.total[col.denominator] if r == -1 else cells[r][col.denominator]
                assert den - v >= THRESHOLD
    for cell in p.suppressed:
        if cell[0] >= 0:
            low, high = attacker_range(p, cell)
            assert high - low >= THRESHOLD, (cell, low, high, cells)


def test_a_single_small_cell_brings_a_second_one_down_with_it() -> None:
    cells = [{"participants": 40, "completed": 30, "employed": 20}, {"participants": 3, "completed": 3,
                                                                     "employed": 1},
             {"participants": 25, "completed": 20, "employed": 10}]
    p = protect(cells, COLUMNS)
    assert (1, "participants") in p.primary and (2, "participants") in p.suppressed
    assert p.value(-1, "participants") == 68 and p.value(0, "participants") == 40
