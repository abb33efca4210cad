"""Local demand for the IeFP domain (:class:`regia.iefp.seams.DemandProvider`): per province × ATECO sector, the
postings (distinct posting groups, as in :mod:`regia.analytics.needs`) and the pacts' needs; for a path, the
postings asking for the figure's occupations and the demand/supply gap of its skills (the catalogue's
mismatch, :mod:`regia.analytics.mismatch`). ``regia.web.app`` puts one in ``app.state.iefp_demand``.

**Pacts' needs** of a province × sector: the participants planned by the pacts that name the province (NUTS3,
sigla, or one of its comuni) and the sector (ATECO section or division, matched at the level asked) in actions
of kind ``apprenticeship`` or ``placement``, or aimed at ``students`` or ``apprentices`` — the work-based
learning places the partnerships say the territory needs. Drafts, inadmissible and not-selected proposals do not
count. ``pacts`` is the number of pacts contributing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from regia.analytics import mismatch as mm
from regia.analytics.needs import Filters, Needs
from regia.pacts.models import Proposal
from regia.postings import reference

WBL_KINDS = ("apprenticeship", "placement")
WBL_TARGETS = ("students", "apprentices")
NOT_COUNTED = ("draft", "inadmissible", "not_selected")
SECTIONS = (("A", 1, 3), ("B", 5, 9), ("C", 10, 33), ("D", 35, 35), ("E", 36, 39), ("F", 41, 43), ("G", 45, 47),
            ("H", 49, 53), ("I", 55, 56), ("J", 58, 63), ("K", 64, 66), ("L", 68, 68), ("M", 69, 75),
            ("N", 77, 82), ("O", 84, 84), ("P", 85, 85), ("Q", 86, 88), ("R", 90, 93), ("S", 94, 96),
            ("T", 97, 98), ("U", 99, 99))


def _levels(code: str) -> set[str]:
    """The section letter and the two-digit division an ATECO code falls in."""
    c = code.strip().upper()
    if len(c) == 1 and c.isalpha():
        return {c}
    digits = c.split(".")[0]
    if not digits.isdigit():
        return set()
    division = digits.zfill(2)
    section = next((s for s, lo, hi in SECTIONS if lo <= int(division) <= hi), None)
    return {division, section} if section else {division}


def pact_needs(engine: Engine) -> dict[tuple[str, str], tuple[int, set[int]]]:
    """(NUTS3, sector) -> (participants, ids of the pacts), for every sector level a pact's codes fall in."""
    ref = reference.for_engine(engine)
    by_sigla = {p.sigla.upper(): n for n, p in ref.provinces.items()}
    out: dict[tuple[str, str], tuple[int, set[int]]] = defaultdict(lambda: (0, set()))
    with Session(engine) as session:
        for pid, body in session.execute(select(Proposal.id, Proposal.body)
                                         .where(Proposal.status.not_in(NOT_COUNTED))):
            body = body or {}
            territory = body.get("territory") or {}
            nuts3 = set(territory.get("nuts3") or [])
            nuts3 |= {by_sigla[s.upper()] for s in territory.get("provinces") or [] if s.upper() in by_sigla}
            nuts3 |= {ref.comuni[c].nuts3 for c in territory.get("comuni") or [] if c in ref.comuni}
            sectors = {lv for code in body.get("sectors") or [] for lv in _levels(str(code))}
            wanted = sum(int(a.get("participants") or 0) for a in body.get("actions") or []
                         if isinstance(a, dict)
                         and (a.get("kind") in WBL_KINDS or a.get("target_group") in WBL_TARGETS))
            if not wanted:
                continue
            for n in nuts3:
                for s in sectors:
                    total, ids = out[(n, s)]
                    out[(n, s)] = (total + wanted, ids | {pid})
    return out


def _occupation_postings(needs: Needs, territories: Sequence[str], occupations: Sequence[str]) -> dict[str, int]:
    uris = [o for o in occupations if o.startswith("http")]
    codes = [o for o in occupations if not o.startswith("http")]
    if not (uris or codes) or not territories:
        return {}
    conds, params = [], []
    if uris:
        conds.append(f"occupation IN ({', '.join('?' * len(uris))})")
        params += uris
    for code in codes:
        conds.append("(cp = ? OR cp LIKE ?)")
        params += [code, code + ".%"]
    sql = (f"SELECT nuts3, count(DISTINCT group_id) FROM postings WHERE ({' OR '.join(conds)}) "
           f"AND nuts3 IN ({', '.join('?' * len(territories))}) GROUP BY nuts3")
    cur = needs.con()
    try:
        return {n: int(v) for n, v in cur.execute(sql, [*params, *territories]).fetchall()}
    finally:
        cur.close()


def make_provider(engine: Engine, facts_dir: Path | None = None) -> Any:
    def provider(territories: Sequence[str], sectors: Sequence[str], *, occupations: Sequence[str] = (),
                 skills: Sequence[str] = ()) -> dict[str, Any]:
        needs = Needs(engine, facts_dir)
        try:
            wanted = set(territories)
            postings: dict[tuple[str, str], int] = defaultdict(int)
            for dim, key in (("section", "section"), ("division", "division")):
                if not any((len(s) == 1) == (dim == "section") for s in sectors):
                    continue
                for row in needs.cube(Filters(), ["province", dim]):
                    if row["province"] in wanted and row[key]:
                        postings[(row["province"], str(row[key]))] += int(row["postings"])
            pacts = pact_needs(engine)
            cells = []
            for t in territories:
                for s in sectors:
                    participants, ids = pacts.get((t, s), (0, set()))
                    cells.append({"territory": t, "sector": s, "postings": postings.get((t, s), 0),
                                  "pact_needs": participants, "pacts": len(ids)})
            out: dict[str, Any] = {
                "sources": ["postings facts (regia.postings, distinct posting groups)",
                            "pacts' programmes (regia.pacts: apprenticeship and placement actions, students and "
                            "apprentices)", "regia.analytics.mismatch (skills)"],
                "cells": cells, "occupations": _occupation_postings(needs, list(territories), occupations)}
        finally:
            needs.close()
        if skills and len(territories) == 1:
            try:
                table = mm.mismatch(engine, territory=territories[0], limit=100_000, facts_dir=facts_dir)
            except ValueError as exc:  # a province the taxonomy does not hold
                out["skills"], out["note"] = {}, str(exc)
                return out
            wanted_skills = set(skills)
            out["skills"] = {territories[0]: [
                {"skill": r.skill, "label": r.label, "demand": r.demand, "supply": r.supply, "gap": r.gap,
                 "confidence": r.confidence} for r in sorted(table.rows, key=lambda r: (-r.gap, r.label))
                if r.skill in wanted_skills]}
        return out

    return provider
