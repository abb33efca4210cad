"""Statistical disclosure control of the published frequency tables (``opendata``).

A table has one row per category of a dimension, a *total* row, and count columns (people). Each count column
may name its denominator column (``employed_12m`` of ``observed_12m``...). The rules:

1. **Primary suppression** — a count under ``THRESHOLD`` (5) people is suppressed; so is a count whose
   complement within its denominator is under the threshold (38 employed of 40 would tell that 2 people were
   not) when the column is marked so. A column whose total is under the threshold is suppressed whole.
2. **Secondary suppression** — in each column the categories add up to the published total, so a single
   suppressed cell could be recovered by subtraction, and a group of suppressed cells whose sum is under the
   threshold would say that each of them is small: the smallest published cells of the column are suppressed
   too until the column has at least two suppressed cells whose sum reaches the threshold.
3. **Check** — a linear programme (scipy's HiGHS) then bounds every suppressed cell given everything published
   (the column sums, each count between 0 and its denominator, a suppressed count not above its suppressed
   denominator); a cell whose lower and upper bounds are less than ``THRESHOLD`` apart is not protected enough,
   and one more cell of its column is suppressed, until every suppressed cell's feasible range is at least
   ``THRESHOLD`` wide (so that it cannot be recovered, nor narrowed to a value under the threshold).

Rates are published only where their count and denominator are both published.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog

THRESHOLD = 5


@dataclass(frozen=True)
class Column:
    name: str
    denominator: str | None = None
    complement: bool = False  # the complement within the denominator is sensitive too


@dataclass
class Protected:
    columns: tuple[Column, ...]
    cells: list[dict[str, int]]  # category rows
    total: dict[str, int]
    suppressed: set[tuple[int, str]] = field(default_factory=set)  # (row, column); row -1: the total
    primary: set[tuple[int, str]] = field(default_factory=set)

    def value(self, row: int, column: str) -> int | None:
        """The published value (None: suppressed)."""
        if (row, column) in self.suppressed:
            return None
        return self.total[column] if row == -1 else self.cells[row][column]


def _primary(cells: Sequence[Mapping[str, int]], total: Mapping[str, int], columns: Sequence[Column],
             threshold: int) -> set[tuple[int, str]]:
    out: set[tuple[int, str]] = set()
    for col in columns:
        if total[col.name] < threshold:
            out |= {(r, col.name) for r in range(-1, len(cells))}
            continue
        for r, row in enumerate(cells):
            value = row[col.name]
            small = value < threshold
            if col.complement and col.denominator is not None:
                small = small or row[col.denominator] - value < threshold
            if small:
                out.add((r, col.name))
        if col.complement and col.denominator is not None and total[col.denominator] - total[col.name] < threshold:
            out |= {(r, col.name) for r in range(-1, len(cells))}
    return out


def bounds(p: Protected) -> dict[tuple[int, str], tuple[float, float]]:
    """The feasible range of every suppressed category cell given what is published (the attacker's LP)."""
    cells = sorted(k for k in p.suppressed if k[0] >= 0)
    if not cells:
        return {}
    position = {k: i for i, k in enumerate(cells)}
    n = len(cells)
    a_eq, b_eq, a_ub, b_ub = [], [], [], []
    for col in p.columns:
        if (-1, col.name) in p.suppressed:
            continue  # total not published: no equation
        row = np.zeros(n)
        known = 0
        for r in range(len(p.cells)):
            if (r, col.name) in position:
                row[position[(r, col.name)]] = 1
            else:
                known += p.cells[r][col.name]
        if row.any():
            a_eq.append(row)
            b_eq.append(p.total[col.name] - known)
    upper = [None] * n
    for (r, name), i in position.items():
        col = next(c for c in p.columns if c.name == name)
        if col.denominator is None:
            continue
        den = (r, col.denominator)
        if den in position:  # x - den <= 0
            row = np.zeros(n)
            row[i], row[position[den]] = 1, -1
            a_ub.append(row)
            b_ub.append(0)
        else:
            upper[i] = p.cells[r][col.denominator]
    # a published count bounds its suppressed denominator from below
    for (r, name), i in position.items():
        for col in p.columns:
            if col.denominator == name and (r, col.name) not in position:
                row = np.zeros(n)
                row[i] = -1
                a_ub.append(row)
                b_ub.append(-p.cells[r][col.name])
    out = {}
    for k, i in position.items():
        for sign in (1, -1):
            c = np.zeros(n)
            c[i] = sign
            res = linprog(c, A_ub=np.array(a_ub) if a_ub else None, b_ub=b_ub or None,
                          A_eq=np.array(a_eq) if a_eq else None, b_eq=b_eq or None,
                          bounds=[(0, u) for u in upper], method="highs")
            value = float(res.fun) * sign if res.status == 0 else (0.0 if sign == 1 else float("inf"))
            if sign == 1:
                low = value
            else:
                high = value
        out[k] = (low, high)
    return out


def protect(cells: Sequence[Mapping[str, int]], columns: Sequence[Column], threshold: int = THRESHOLD) -> Protected:
    """Suppress what must not be published (see the module's docstring)."""
    rows = [dict(r) for r in cells]
    total = {c.name: sum(r[c.name] for r in rows) for c in columns}
    p = Protected(tuple(columns), rows, total)
    p.primary = _primary(rows, total, columns, threshold)
    p.suppressed = set(p.primary)
    for _ in range(4 * (len(rows) + 1) * len(columns)):
        changed = False
        for col in columns:
            if (-1, col.name) in p.suppressed:
                continue
            hidden = [r for r in range(len(rows)) if (r, col.name) in p.suppressed]
            if hidden and (len(hidden) < 2 or sum(rows[r][col.name] for r in hidden) < threshold):
                changed |= _suppress_one(p, col.name)
        if not changed:
            weak = [k for k, (lo, hi) in bounds(p).items() if hi - lo < threshold]
            for r, name in weak:
                if _suppress_one(p, name, besides=r):
                    changed = True
                    break
        if not changed:
            return p
    raise RuntimeError("disclosure control did not converge")  # pragma: no cover


def _suppress_one(p: Protected, name: str, besides: int | None = None) -> bool:
    """Suppress the smallest published cell of column ``name`` (the total when none is left)."""
    candidates = [r for r in range(len(p.cells)) if (r, name) not in p.suppressed and r != besides]
    if not candidates:
        if (-1, name) in p.suppressed:
            return False
        p.suppressed.add((-1, name))
        return True
    r = min(candidates, key=lambda k: (p.cells[k][name], k))
    p.suppressed.add((r, name))
    return True
