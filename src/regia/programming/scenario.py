"""Allocation scenarios: the JSON format that analysts share, read and checked into a :class:`Scenario`.

The format (README of this package; more optional fields than the issue's are marked *optional*)::

    {"name": "Scenario A", "years": [2026, 2027],
     "sources": [{"id": "fse", "targets": ["disoccupati", "inattivi"]},
                 {"id": "fondo-x", "targets": ["occupati"], "carry_over": 1.0}],
     "budget": {"fse": {"2026": 100000, "2027": 80000}, "fondo-x": {"2026": 50000, "2027": 50000}},
     "cells": [{"province": "ITC4C", "target": "occupati", "area": "digital", "need": 120, "weight": 1.5,
                "cost": 1200, "capacity": {"2026": 80, "2027": 80}}],
     "floor": {"ITC4C": 0.1}, "minimum": {"ITC47": 30},
     "options": {"integer": false, "min_lot": 0}}

A source funds a cell only when the cell's target is in the source's ``targets``. A missing ``capacity`` means
no capacity limit (also for a year the cell's ``capacity`` leaves out); a missing ``weight`` means 1; a source
without a budget for a year has nothing to spend that year. Optional: ``description``; per source ``name`` and
``carry_over`` (the share, 0–1, of a year's unspent budget that may be spent the next year; default 0);
per cell ``min_lot`` (overrides ``options.min_lot``: a cell × source × year is funded for at least that many
participants or not at all); ``options.integer`` (whole participants).

Every problem is reported with its path in the document (``cells[3].cost: must be more than 0``), all at once.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from regia.auth.errors import InvalidInput
from regia.i18n import N_

FORMAT_VERSION = 1
MAX_CELLS = 2_000_000


class ScenarioError(InvalidInput):
    """A scenario document that cannot be used: every problem with its path."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        text = "; ".join(f"{path}: {message}" for path, message in problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(f"invalid scenario: {text}{more}", field=problems[0][0] if problems else None,
                         key=N_("programming.err.scenario"), params={"problems": text + more})


@dataclass(frozen=True)
class Source:
    id: str
    targets: frozenset[str]
    name: str = ""
    carry_over: float = 0.0  # share of a year's unspent budget available the next year


@dataclass(frozen=True)
class Cell:
    province: str
    target: str
    area: str
    need: float
    cost: float
    weight: float = 1.0
    capacity: dict[int, float] | None = None  # seats per year; None (or a year absent): no limit
    min_lot: float | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.province, self.target, self.area)

    def as_key_dict(self) -> dict[str, str]:
        return {"province": self.province, "target": self.target, "area": self.area}


@dataclass(frozen=True)
class Options:
    integer: bool = False
    min_lot: float = 0.0


@dataclass
class Scenario:
    name: str
    years: list[int]
    sources: list[Source]
    budget: dict[str, dict[int, float]]
    cells: list[Cell]
    floor: dict[str, float] = field(default_factory=dict)
    minimum: dict[str, float] = field(default_factory=dict)
    options: Options = field(default_factory=Options)
    description: str = ""

    def source(self, source_id: str) -> Source:
        return next(s for s in self.sources if s.id == source_id)

    def to_json(self) -> dict[str, Any]:
        """The document (the same format it was read from; numbers as given)."""
        doc: dict[str, Any] = {
            "name": self.name, "years": list(self.years),
            "sources": [{"id": s.id, "targets": sorted(s.targets), **({"name": s.name} if s.name else {}),
                         **({"carry_over": s.carry_over} if s.carry_over else {})} for s in self.sources],
            "budget": {s: {str(y): _num(v) for y, v in sorted(by_year.items())} for s, by_year in self.budget.items()},
            "cells": [_cell_json(c) for c in self.cells],
            "floor": {p: v for p, v in self.floor.items()}, "minimum": {p: _num(v) for p, v in self.minimum.items()},
        }
        if self.options != Options():
            doc["options"] = {"integer": self.options.integer, "min_lot": _num(self.options.min_lot)}
        if self.description:
            doc["description"] = self.description
        return doc


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _cell_json(c: Cell) -> dict[str, Any]:
    out: dict[str, Any] = {"province": c.province, "target": c.target, "area": c.area, "need": _num(c.need),
                           "weight": _num(c.weight), "cost": _num(c.cost)}
    if c.capacity is not None:
        out["capacity"] = {str(y): _num(v) for y, v in sorted(c.capacity.items())}
    if c.min_lot is not None:
        out["min_lot"] = _num(c.min_lot)
    return out


# --- reading ---------------------------------------------------------------------------------------------------

class _Reader:
    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def bad(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def text(self, value: Any, path: str, *, required: bool = True, max_length: int = 200) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.bad(path, "must be a non-empty text")
            return ""
        if len(value) > max_length:
            self.bad(path, f"must be at most {max_length} characters")
        return value.strip()

    def number(self, value: Any, path: str, *, minimum: float = 0.0, strict: bool = False,
               maximum: float | None = None) -> float:
        try:
            v = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else math.nan
        except OverflowError:
            v = math.inf
        if not math.isfinite(v) or abs(v) > 1e15:
            self.bad(path, "must be a number (at most 1e15)")
            return 0.0
        if (strict and v <= minimum) or v < minimum:
            self.bad(path, f"must be {'more than' if strict else 'at least'} {_num(minimum)}")
        if maximum is not None and v > maximum:
            self.bad(path, f"must be at most {_num(maximum)}")
        return v

    def year_map(self, value: Any, path: str, years: set[int], *, strict: bool = False) -> dict[int, float]:
        if not isinstance(value, dict):
            self.bad(path, 'must be an object {"year": number}')
            return {}
        out: dict[int, float] = {}
        for key, amount in value.items():
            try:
                year = int(str(key))
            except ValueError:
                self.bad(f"{path}.{key}", "is not a year")
                continue
            if year not in years:
                self.bad(f"{path}.{key}", "is not one of the scenario's years")
                continue
            out[year] = self.number(amount, f"{path}.{key}", strict=strict)
        return out


def parse(document: Any) -> Scenario:
    """The scenario of a decoded JSON document; :class:`ScenarioError` lists every problem."""
    r = _Reader()
    if not isinstance(document, dict):
        raise ScenarioError([("$", "a scenario is a JSON object")])
    known = {"name", "years", "sources", "budget", "cells", "floor", "minimum", "options", "description",
             "format", "version"}
    for key in document:
        if key not in known:
            r.bad(str(key), f"unknown field (known: {', '.join(sorted(known))})")
    name = r.text(document.get("name"), "name")
    description = r.text(document.get("description"), "description", required=False, max_length=2000)
    years: list[int] = []
    raw_years = document.get("years")
    if not isinstance(raw_years, list) or not raw_years:
        r.bad("years", "must be a non-empty list of years")
    else:
        for i, y in enumerate(raw_years):
            if isinstance(y, bool) or not isinstance(y, int) or not 2000 <= y <= 2100:
                r.bad(f"years[{i}]", "must be a year between 2000 and 2100")
            elif y in years:
                r.bad(f"years[{i}]", f"{y} is repeated")
            else:
                years.append(y)
    years.sort()
    year_set = set(years)

    sources: list[Source] = []
    raw_sources = document.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        r.bad("sources", "must be a non-empty list")
        raw_sources = []
    for i, s in enumerate(raw_sources):
        path = f"sources[{i}]"
        if not isinstance(s, dict):
            r.bad(path, "must be an object with id and targets")
            continue
        sid = r.text(s.get("id"), f"{path}.id", max_length=80)
        if sid and any(x.id == sid for x in sources):
            r.bad(f"{path}.id", f"{sid!r} is repeated")
        targets = s.get("targets")
        if not isinstance(targets, list) or not all(isinstance(t, str) and t for t in targets):
            r.bad(f"{path}.targets", "must be a list of target groups")
            targets = []
        carry = r.number(s.get("carry_over", 0), f"{path}.carry_over", maximum=1.0)
        sources.append(Source(id=sid, targets=frozenset(targets),
                              name=r.text(s.get("name"), f"{path}.name", required=False), carry_over=carry))
    ids = {s.id for s in sources}

    budget: dict[str, dict[int, float]] = {}
    raw_budget = document.get("budget", {})
    if not isinstance(raw_budget, dict):
        r.bad("budget", 'must be an object {"source": {"year": euros}}')
        raw_budget = {}
    for sid, by_year in raw_budget.items():
        if sid not in ids:
            r.bad(f"budget.{sid}", "is not one of the sources")
            continue
        budget[sid] = r.year_map(by_year, f"budget.{sid}", year_set)

    raw_cells = document.get("cells")
    cells: list[Cell] = []
    if not isinstance(raw_cells, list) or not raw_cells:
        r.bad("cells", "must be a non-empty list")
        raw_cells = []
    if len(raw_cells) > MAX_CELLS:
        raise ScenarioError([("cells", f"at most {MAX_CELLS} cells")])
    seen: set[tuple[str, str, str]] = set()
    for i, c in enumerate(raw_cells):
        path = f"cells[{i}]"
        if not isinstance(c, dict):
            r.bad(path, "must be an object")
            continue
        before = len(r.problems)
        province = r.text(c.get("province"), f"{path}.province", max_length=20)
        target = r.text(c.get("target"), f"{path}.target", max_length=40)
        area = r.text(c.get("area"), f"{path}.area", max_length=80)
        need = r.number(c.get("need"), f"{path}.need")
        cost = r.number(c.get("cost"), f"{path}.cost", strict=True)
        weight = r.number(c.get("weight", 1), f"{path}.weight")
        capacity = None if c.get("capacity") is None else r.year_map(c["capacity"], f"{path}.capacity", year_set)
        min_lot = None if c.get("min_lot") is None else r.number(c["min_lot"], f"{path}.min_lot")
        for extra in set(c) - {"province", "target", "area", "need", "cost", "weight", "capacity", "min_lot"}:
            r.bad(f"{path}.{extra}", "unknown field")
        key = (province, target, area)
        if key in seen:
            r.bad(path, f"the cell {province}/{target}/{area} is repeated")
        seen.add(key)
        if len(r.problems) == before:
            cells.append(Cell(province=province, target=target, area=area, need=need, cost=cost, weight=weight,
                              capacity=capacity, min_lot=min_lot))

    def shares(key: str, *, maximum: float | None) -> dict[str, float]:
        raw = document.get(key, {})
        if not isinstance(raw, dict):
            r.bad(key, 'must be an object {"province": number}')
            return {}
        return {str(p): r.number(v, f"{key}.{p}", maximum=maximum) for p, v in raw.items()}

    floor = shares("floor", maximum=1.0)
    minimum = shares("minimum", maximum=None)
    raw_options = document.get("options", {})
    options = Options()
    if not isinstance(raw_options, dict):
        r.bad("options", "must be an object")
    else:
        for extra in set(raw_options) - {"integer", "min_lot"}:
            r.bad(f"options.{extra}", "unknown option (known: integer, min_lot)")
        integer = raw_options.get("integer", False)
        if not isinstance(integer, bool):
            r.bad("options.integer", "must be true or false")
            integer = False
        options = Options(integer=integer, min_lot=r.number(raw_options.get("min_lot", 0), "options.min_lot"))
    if r.problems:
        raise ScenarioError(r.problems)
    return Scenario(name=name, years=years, sources=sources, budget=budget, cells=cells, floor=floor,
                    minimum=minimum, options=options, description=description)


def loads(text: str | bytes) -> Scenario:
    try:
        document = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScenarioError([("$", f"not JSON: {exc}")]) from None
    return parse(document)


def dumps(scenario: Scenario) -> str:
    return json.dumps(scenario.to_json(), ensure_ascii=False, indent=2)
