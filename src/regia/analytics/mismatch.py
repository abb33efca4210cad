"""Mismatch between skill demand (job postings) and training supply (the catalogue), per territory × sector ×
skill (or ESCO skill group). Read-only: postings facts through DuckDB, catalogue tables through SQL.

Definitions, for a territory T (a province, NUTS3; all of them when not given) and a sector S (ATECO section
letter or 2-digit division; all when not given):

- **demand** ``d`` of a skill: distinct posting groups (near-duplicates counted once) in T and S asking for it
  (the feed's skills and Regia's selected ones alike); ``D`` = all posting groups in T and S;
- **supply** ``c`` of a skill: seats of the course editions held in T whose course teaches it (any tag:
  declared, confirmed or the classifier's); ``C`` = all seats of editions in T. Courses are not tied to a
  sector, so the supply of T serves every sector. Online editions are counted apart (``online_seats``) and
  not in ``c``; hours (seats × course hours) and the split by target and by funding channel are given too;
- **certified**: IVC certificates in force (the certification domain) aligned to the skill, region-wide;
  shown beside the seats, not part of ``c`` nor of the gap;
- **gap** = ``log2( ((d + 0.5) / (D + 0.5)) / ((c + 0.5) / (C + 0.5)) )``: the skill's share of demand over its
  share of supply, smoothed by ½ so that zeros stay finite. ``+1`` means the skill is asked twice as often,
  relative to everything asked, as it is taught relative to everything taught; ``0`` balance; negative,
  taught more than asked;
- **confidence**: ``low`` when ``d < 10`` or the Wilson 95% interval of the demand share is wider than the
  share itself (half-width > 50% of it) or fewer than 3 courses teach it while ``c > 0``; ``medium`` when
  ``d < 30``; else ``high``.

Rows can be sorted by ``gap`` (largest first), ``-gap``, ``demand`` or ``supply``.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import Markup
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from regia.auth.policy import READ, public
from regia.catalog.models import Course, CourseFunding, CourseSkill, CourseTarget, Edition
from regia.i18n import chart_locale, gettext
from regia.taxonomy.models import BROADER, SKILL_GROUP, Concept, Relation
from regia.taxonomy.service import preferred_labels

SORTS = ("gap", "-gap", "demand", "supply")
# Draws #map from the JSON in #provinces (GeoJSON) and #coverage (per NUTS3), without a tile server.
# The choropleth of seats per 100 postings (Leaflet), shared by the page and the standalone report; its words
# and number format come from the ``#map-words`` JSON of the page (see :func:`map_words`).
MAP_JS = Markup("""(function () {
  var el = document.getElementById('map'); if (!window.L || !el) return;
  var geo = JSON.parse(document.getElementById('provinces').textContent);
  var cov = JSON.parse(document.getElementById('coverage').textContent);
  var words = JSON.parse(document.getElementById('map-words').textContent);
  function colour(v) { return v === null || v === undefined ? '#cccccc' : v < 50 ? '#b2182b' : v < 100 ? '#ef8a62'
    : v < 200 ? '#fddbc7' : v < 400 ? '#67a9cf' : '#2166ac'; }
  var map = L.map(el, {attributionControl: true, zoomSnap: 0.25});
  var layer = L.geoJSON(geo, {style: function (f) { var c = cov[f.properties.nuts3] || {};
      return {color: '#333', weight: 1, fillOpacity: 0.8, fillColor: colour(c.seats_per_100_postings)}; },
    onEachFeature: function (f, l) { var c = cov[f.properties.nuts3] || {};
      l.bindTooltip(f.properties.name + ': ' + (c.seats || 0).toLocaleString(words.tag) + ' ' + words.seats + ', '
                    + (c.postings || 0).toLocaleString(words.tag) + ' ' + words.postings);
      if (el.dataset.link) l.on('click', function () { window.location = el.dataset.link + f.properties.nuts3; }); }
  }).addTo(map);
  map.fitBounds(layer.getBounds());
  map.attributionControl.addAttribution(words.source);
})();""")


def map_words(lang: str) -> dict[str, str]:
    """What the map's tooltips say, in ``lang`` (``MAP_JS`` reads it from the ``#map-words`` JSON)."""
    return {"tag": chart_locale(lang)["tag"], "seats": gettext("mismatch.map.seats", lang),
            "postings": gettext("mismatch.map.postings", lang), "source": gettext("mismatch.map.source", lang)}


def chart_spec(table: Table, lang: str, *, rows: int, width: int | str) -> dict[str, Any]:
    """Vega-Lite bars of demand and supply shares per skill, labelled in ``lang``."""
    demand, supply = gettext("mismatch.chart.demand", lang), gettext("mismatch.chart.supply", lang)
    return {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "width": width,
            "data": {"values": [{"skill": r.label[:60], "measure": m, "share": v} for r in table.rows[:rows]
                                for m, v in ((demand, r.demand_share), (supply, r.supply_share))]},
            "mark": "bar", "encoding": {
                "y": {"field": "skill", "type": "nominal", "sort": None, "title": None},
                "x": {"field": "share", "type": "quantitative", "title": gettext("mismatch.chart.share", lang),
                      "axis": {"format": "%"}},
                "yOffset": {"field": "measure"}, "color": {"field": "measure", "type": "nominal", "title": None}}}


Z = 1.96


@dataclass
class Row:
    skill: str
    label: str
    demand: int
    demand_share: float
    supply: int  # seats in the territory
    supply_share: float
    courses: int
    hours: float
    online_seats: int
    gap: float
    confidence: str
    by_target: dict[str, int] = field(default_factory=dict)
    by_funding: dict[str, int] = field(default_factory=dict)
    untaggable: bool = False  # transversal or language skill: courses seldom declare it (see UNTAGGABLE)
    certified: int = 0  # IVC certificates in force aligned to the skill (whole region: not in supply or gap)


@dataclass
class Table:
    territory: str | None
    territory_label: str
    sector: str | None
    by_group: bool
    postings: int  # D
    seats: int  # C
    rows: list[Row]
    no_demand: list[Row] = field(default_factory=list)  # taught here, asked by nobody here

    def as_dict(self) -> dict[str, Any]:
        return {"territory": self.territory, "territory_label": self.territory_label, "sector": self.sector,
                "by_group": self.by_group, "postings": self.postings, "seats": self.seats,
                "rows": [asdict(r) for r in self.rows], "no_demand": [asdict(r) for r in self.no_demand]}


def wilson(k: int, n: int, z: float = Z) -> tuple[float, float]:
    """95% Wilson score interval of a proportion k/n."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def gap(d: int, total_d: int, c: int, total_c: int) -> float:
    return math.log2(((d + 0.5) / (total_d + 0.5)) / ((c + 0.5) / (total_c + 0.5)))


def confidence(d: int, total_d: int, c: int, courses: int) -> str:
    lo, hi = wilson(d, total_d)
    share = d / total_d if total_d else 0.0
    if d < 10 or share == 0 or (hi - lo) / 2 > 0.5 * share or (c > 0 and courses < 3):
        return "low"
    return "medium" if d < 30 else "high"


# ---------------------------------------------------------------------------------------------- territory
def resolve_territory(session: Session, value: str | None) -> tuple[str | None, str]:
    """(NUTS3, name) of a province given by NUTS3 or sigla; (None, "Lombardia") for none."""
    if not value:
        return None, "Lombardia"
    v = value.strip().upper()
    for code, attrs, cid in session.execute(select(Concept.code, Concept.attrs, Concept.id).where(
            Concept.type == "territory", Concept.level == "province")):
        if code == v or (attrs or {}).get("sigla", "").upper() == v:
            return code, preferred_labels(session, [cid], "it").get(cid, code)
    raise ValueError(f"unknown province {value!r}: give a NUTS3 code (ITC46) or a sigla (BG)")


def _sector_clause(sector: str | None) -> tuple[str, list[Any]]:
    if not sector:
        return "", []
    s = sector.strip().upper()
    if len(s) == 1 and s.isalpha():
        return " AND ateco_section = ?", [s]
    if s.isdigit() and len(s) <= 2:
        return " AND ateco_division = ?", [s.zfill(2)]
    raise ValueError(f"sector must be an ATECO section letter (C) or a 2-digit division (25), not {sector!r}")


# ---------------------------------------------------------------------------------------------- demand
def facts_connection(facts_dir: Path | None = None) -> Any:
    from regia.postings import facts

    return facts.connect(facts_dir)


def _sector_code(sector: str | None) -> str | None:
    if not sector:
        return None
    s = sector.strip().upper()
    return s if s.isalpha() else s.zfill(2)


def demand(engine: Engine, *, territory: str | None, sector: str | None, groups: dict[str, str] | None = None,
           facts_dir: Path | None = None, start: str | None = None, end: str | None = None
           ) -> tuple[dict[str, int], int]:
    """(skill or group -> distinct posting groups asking it, all posting groups) in the territory and sector.

    By skill through ``regia.analytics.needs`` (the cube by skill and the count of postings, the same figures
    as the needs pages); by skill group with a query of its own over the same facts (the needs cube has no
    skill-group dimension)."""
    from regia.analytics.needs import Filters, Needs

    _sector_clause(sector)  # validates
    needs = Needs(engine, facts_dir)
    f = Filters(territory=territory, sector=_sector_code(sector), start=start, end=end)
    total = needs.summary_count(f)
    if groups is None:
        return {r["skill"]: int(r["postings"]) for r in needs.cube(f, ["skill"]) if r["skill"]}, total
    import pyarrow as pa

    where, params = " WHERE TRUE", []
    if territory:
        where += " AND nuts3 = ?"
        params.append(territory)
    clause, more = _sector_clause(sector)
    con = needs.con()
    con.register("_skill_group", pa.table({"skill_uri": list(groups), "group_uri": list(groups.values())}))
    rows = con.execute(f"SELECT g.group_uri, count(DISTINCT s.group_id) FROM posting_skills s "
                       f"JOIN _skill_group g USING (skill_uri){where}{clause} GROUP BY g.group_uri",
                       [*params, *more]).fetchall()
    return {k: int(v) for k, v in rows if k}, total


# ---------------------------------------------------------------------------------------------- supply
@dataclass
class Supply:
    seats: int = 0
    online: int = 0
    hours: float = 0.0
    courses: set[int] = field(default_factory=set)
    by_target: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    by_funding: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def supply(session: Session, *, territory: str | None, groups: dict[str, str] | None = None
           ) -> tuple[dict[str, Supply], int]:
    """(skill or group -> seats and courses in the territory, all seats of editions in the territory).

    By skill the sums are grouped in SQL; by group an edition teaching several skills of a group counts once,
    so the (skill, edition) pairs of the territory are read and folded here."""
    from sqlalchemy import func

    placed = Edition.nuts3 == territory if territory else Edition.nuts3.is_not(None)
    total = int(session.scalar(select(func.coalesce(func.sum(Edition.seats), 0)).where(placed)) or 0)
    out: dict[str, Supply] = defaultdict(Supply)
    joined = select().select_from(CourseSkill).join(Edition, Edition.course_id == CourseSkill.course_id)
    if groups is None:
        for uri, seats, hours in session.execute(
                joined.add_columns(CourseSkill.uri, func.sum(Edition.seats), func.sum(Edition.seats * Course.hours))
                .join(Course, Course.id == CourseSkill.course_id).where(placed).group_by(CourseSkill.uri)):
            out[uri].seats, out[uri].hours = int(seats or 0), float(hours or 0.0)
        for uri, cid in session.execute(joined.add_columns(CourseSkill.uri, Edition.course_id).where(placed)
                                        .distinct()):
            out[uri].courses.add(cid)
        for uri, target, seats in session.execute(
                joined.add_columns(CourseSkill.uri, CourseTarget.target, func.sum(Edition.seats))
                .join(CourseTarget, CourseTarget.course_id == CourseSkill.course_id).where(placed)
                .group_by(CourseSkill.uri, CourseTarget.target)):
            out[uri].by_target[target] = int(seats or 0)
        for uri, channel, seats in session.execute(
                select(CourseSkill.uri, CourseFunding.channel, func.sum(Edition.seats)).select_from(CourseSkill)
                .join(Edition, Edition.course_id == CourseSkill.course_id)
                .join(CourseFunding, CourseFunding.course_id == CourseSkill.course_id).where(placed)
                .group_by(CourseSkill.uri, CourseFunding.channel)):
            out[uri].by_funding[channel] = int(seats or 0)
        for uri, seats in session.execute(joined.add_columns(CourseSkill.uri, func.sum(Edition.seats))
                                          .where(Edition.nuts3.is_(None)).group_by(CourseSkill.uri)):
            out[uri].online = int(seats or 0)
        return dict(out), total
    hours = {}
    targets: dict[int, list[str]] = defaultdict(list)
    funding: dict[int, set[str]] = defaultdict(set)
    rows = session.execute(joined.add_columns(CourseSkill.uri, Edition.id, Edition.course_id, Edition.seats,
                                              Edition.nuts3)
                           .where(placed | Edition.nuts3.is_(None))).all()
    courses = {r[2] for r in rows}
    if courses:
        hours = {cid: h for cid, h in session.execute(select(Course.id, Course.hours))}
        for cid, target in session.execute(select(CourseTarget.course_id, CourseTarget.target)):
            targets[cid].append(target)
        for cid, channel in session.execute(select(CourseFunding.course_id, CourseFunding.channel)):
            funding[cid].add(channel)
    seen: set[tuple[str, int]] = set()  # (group, edition): a group counts an edition once
    for uri, eid, cid, seats, nuts3 in rows:
        key = groups.get(uri)
        if not key or (key, eid) in seen:
            continue
        seen.add((key, eid))
        s = out[key]
        seats = seats or 0
        if nuts3 is None:
            s.online += seats
            continue
        s.seats += seats
        s.hours += seats * float(hours.get(cid, 0.0))
        s.courses.add(cid)
        for t in targets.get(cid, ()):
            s.by_target[t] += seats
        for f in funding.get(cid, ()):
            s.by_funding[f] += seats
    return dict(out), total


def skill_groups(session: Session) -> dict[str, str]:
    """Skill URI -> the URI of its (first) broader ESCO skill group."""
    group = Concept.__table__.alias("g")
    skill = Concept.__table__.alias("s")
    out: dict[str, str] = {}
    for s_uri, g_uri in session.execute(select(skill.c.uri, group.c.uri).select_from(Relation)
                                        .join(skill, skill.c.id == Relation.source_id)
                                        .join(group, group.c.id == Relation.target_id)
                                        .where(Relation.type == BROADER, group.c.type == SKILL_GROUP)
                                        .order_by(skill.c.uri, group.c.uri)):
        if s_uri and g_uri:
            out.setdefault(s_uri, g_uri)
    return out


def _labels(session: Session, uris: set[str], lang: str = "it") -> dict[str, str]:
    ids: dict[int, str] = {}
    uri_list = list(uris)
    for i in range(0, len(uri_list), 900):
        for uri, cid in session.execute(select(Concept.uri, Concept.id).where(Concept.uri.in_(uri_list[i:i + 900]))):
            ids[cid] = uri
    labels = preferred_labels(session, ids, lang)
    return {uri: labels.get(cid, uri) for cid, uri in ids.items()}


# ---------------------------------------------------------------------------------------------- the table
UNTAGGABLE = ("transversal", "language")  # ESCO collections of skills that course descriptions rarely name


def untaggable(session: Session, uris: set[str]) -> set[str]:
    """The skills among ``uris`` in ESCO's transversal or language collections: demand for them is real, but
    catalogues seldom tag a course with them, so their supply reads as zero and their gap as the largest."""
    from regia.taxonomy.models import CollectionMember

    found: set[str] = set()
    uri_list = sorted(uris)
    for i in range(0, len(uri_list), 900):
        chunk = uri_list[i:i + 900]
        found.update(u for u in session.scalars(
            select(Concept.uri).join(CollectionMember, CollectionMember.concept_id == Concept.id)
            .where(Concept.uri.in_(chunk), CollectionMember.collection.in_(UNTAGGABLE))) if u)
    return found
def certified_supply(engine: Engine, groups: dict[str, str] | None = None) -> dict[str, int]:
    """Certified competences in force (the certification domain's credentials) per ESCO skill they are aligned
    to, or per skill group: supply of people already certified, region-wide (a certificate has no territory)."""
    from regia.certification import service as certification

    counts = certification.certified_skill_counts(engine)
    if groups is None:
        return counts
    out: dict[str, int] = defaultdict(int)
    for uri, n in counts.items():
        if groups.get(uri):
            out[groups[uri]] += n
    return dict(out)


def mismatch(engine: Engine, *, territory: str | None = None, sector: str | None = None, by_group: bool = False,
             sort: str = "gap", limit: int = 50, min_demand: int = 1, facts_dir: Path | None = None,
             lang: str = "it", start: str | None = None, end: str | None = None) -> Table:
    """The table of the module's definitions; each row also carries ``certified`` (:func:`certified_supply`),
    shown beside the seats and kept out of the gap, which compares shares of seats."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}")
    _sector_clause(sector)  # validate early
    with Session(engine) as session:
        nuts3, name = resolve_territory(session, territory)
        groups = skill_groups(session) if by_group else None
        held, total_seats = supply(session, territory=nuts3, groups=groups)
        asked, total_postings = demand(engine, territory=nuts3, sector=sector, groups=groups, facts_dir=facts_dir,
                                       start=start, end=end)
        keys = set(asked) | {k for k, s in held.items() if s.seats}
        labels = _labels(session, keys, lang)
        apart = untaggable(session, keys) if groups is None else set()
    certified = certified_supply(engine, groups)
    rows = []
    for key in keys:
        d = asked.get(key, 0)
        s = held.get(key, Supply())
        rows.append(Row(
            skill=key, label=labels.get(key, key), demand=d,
            demand_share=round(d / total_postings, 6) if total_postings else 0.0, supply=s.seats,
            supply_share=round(s.seats / total_seats, 6) if total_seats else 0.0, courses=len(s.courses),
            hours=round(s.hours, 1), online_seats=s.online, gap=round(gap(d, total_postings, s.seats, total_seats), 4),
            confidence=confidence(d, total_postings, s.seats, len(s.courses)),
            by_target=dict(s.by_target), by_funding=dict(s.by_funding), untaggable=key in apart,
            certified=certified.get(key, 0)))
    no_demand = sorted((r for r in rows if r.demand == 0 and r.supply > 0), key=lambda r: (-r.supply, r.label))
    ranked = [r for r in rows if r.demand >= min_demand]
    order = {"gap": lambda r: (-r.gap, -r.demand, r.label), "-gap": lambda r: (r.gap, -r.supply, r.label),
             "demand": lambda r: (-r.demand, -r.gap, r.label), "supply": lambda r: (-r.supply, r.label)}[sort]
    ranked.sort(key=order)
    return Table(territory=nuts3, territory_label=name, sector=sector.upper() if sector else None,
                 by_group=by_group, postings=total_postings, seats=total_seats, rows=ranked[:limit],
                 no_demand=no_demand[:limit])


def close_gap(engine: Engine, *, skill: str, territory: str | None, sector: str | None = None, km: float = 40.0,
              size: int = 10, facts_dir: Path | None = None, lang: str = "it") -> dict[str, Any]:
    """For one skill in a territory: the catalogue's courses nearby that teach it (with distance from the
    province's centroid), or - where there are none - the profile a new course should cover: the
    occupations that ask for the skill here and the skills asked with it."""
    from regia.catalog.orientation import courses_for_skills

    with Session(engine) as session:
        nuts3, name = resolve_territory(session, territory)
    courses = courses_for_skills(engine, [skill], near=nuts3, km=km, size=size, include_online=True)
    profile: dict[str, Any] = {"occupations": [], "skills": []}
    if not courses:
        con = facts_connection(facts_dir)
        try:
            where, params = " WHERE skill_uri = ?", [skill]
            if nuts3:
                where += " AND nuts3 = ?"
                params.append(nuts3)
            clause, more = _sector_clause(sector)
            where += clause
            params += more
            occupations = con.execute(f"SELECT occupation, count(DISTINCT group_id) n FROM posting_skills{where} "
                                      "AND occupation IS NOT NULL GROUP BY 1 ORDER BY n DESC, 1 LIMIT 5",
                                      params).fetchall()
            related = con.execute(
                f"SELECT o.skill_uri, count(DISTINCT o.group_id) n FROM posting_skills o WHERE o.group_id IN "
                f"(SELECT group_id FROM posting_skills{where}) AND o.skill_uri <> ? GROUP BY 1 ORDER BY n DESC, 1 "
                "LIMIT 12", [*params, skill]).fetchall()
        finally:
            con.close()
        with Session(engine) as session:
            labels = _labels(session, {o for o, _ in occupations if o} | {s for s, _ in related}, lang)
        profile = {"occupations": [{"uri": o, "label": labels.get(o, o), "postings": int(n)} for o, n in occupations
                                   if o],
                   "skills": [{"uri": s, "label": labels.get(s, s), "postings": int(n)} for s, n in related]}
    with Session(engine) as session:
        label = _labels(session, {skill}, lang).get(skill, skill)
    return {"skill": skill, "label": label, "territory": nuts3, "territory_label": name, "km": km,
            "courses": courses, "profile": profile}


def coverage(engine: Engine, *, sector: str | None = None, facts_dir: Path | None = None) -> dict[str, dict[str, Any]]:
    """Per Lombard province: posting groups (in the sector), course seats, and seats per 100 postings - the
    map of where training supply is thin against demand."""
    from sqlalchemy import func

    clause, params = _sector_clause(sector)
    con = facts_connection(facts_dir)
    try:
        postings = dict(con.execute(f"SELECT nuts3, count(DISTINCT group_id) FROM postings WHERE nuts3 IS NOT NULL"
                                    f"{clause} GROUP BY nuts3", params).fetchall())
    finally:
        con.close()
    with Session(engine) as session:
        seats = {n: int(v or 0) for n, v in session.execute(
            select(Edition.nuts3, func.sum(Edition.seats)).where(Edition.nuts3.is_not(None)).group_by(Edition.nuts3))}
    out = {}
    for nuts3 in sorted(set(postings) | set(seats)):
        if not nuts3.startswith("ITC4"):
            continue
        p, c = int(postings.get(nuts3, 0)), seats.get(nuts3, 0)
        out[nuts3] = {"postings": p, "seats": c, "seats_per_100_postings": round(100 * c / p, 1) if p else None}
    return out


def html_report(engine: Engine, table: Table, lang: str = "it") -> str:
    """A standalone HTML page: the table, a Vega-Lite chart of demand and supply shares, and a choropleth of
    the provinces by their largest gaps (Leaflet, boundaries from the taxonomy; scripts inlined when the
    front-end assets are installed)."""
    from regia.analytics.report import render_standalone
    from regia.taxonomy.service import province_features

    with Session(engine) as session:
        features = province_features(session, region="ITC4")
    return render_standalone("mismatch_report.html", lang, table=table, chart=chart_spec(table, lang, rows=25,
                                                                                          width=600),
                             provinces=features, coverage=coverage(engine, sector=table.sector),
                             map_words=map_words(lang), map_js=MAP_JS)


# ---------------------------------------------------------------------------------------------- API and pages
_public = [Depends(public(READ, "aggregate statistics of public data"))]
api_router = APIRouter(prefix="/api/mismatch", tags=["mismatch"], dependencies=_public)
page_router = APIRouter(prefix="/mismatch", dependencies=_public)
Territory = Annotated[str | None, Query(max_length=10, description="Province: NUTS3 (ITC46) or sigla (BG)")]
Sector = Annotated[str | None, Query(max_length=2, description="ATECO section (C) or division (25)")]


Month = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="Postings from/to this month (YYYY-MM)")]
CSV_COLUMNS = ("skill", "label", "demand", "demand_share", "supply", "supply_share", "courses", "hours", "gap",
               "confidence", "untaggable")


@api_router.get("", summary="Skill demand, training supply and gap for a territory and sector")
def mismatch_api(request: Request, territory: Territory = None, sector: Sector = None, group: bool = False,
                 sort: Literal["gap", "-gap", "demand", "supply"] = "gap",
                 limit: Annotated[int, Query(ge=1, le=1000)] = 50, start: Month = None, end: Month = None,
                 format: Literal["json", "csv"] = "json") -> Response:
    """Rows `{skill, label, demand, supply, gap, confidence, courses, hours, by_target, by_funding, untaggable,
    ...}` sorted as asked (`untaggable`: a transversal or language skill, which courses seldom declare: its
    supply reads as zero); `no_demand`: skills taught here that no posting here asks for; `start`/`end`: the
    postings' months. `format=csv`: the rows as CSV. The gap's formula is in the module's documentation
    (`regia.analytics.mismatch`)."""
    try:
        table = mismatch(request.app.state.engine, territory=territory, sector=sector, by_group=group, sort=sort,
                         limit=limit, start=start, end=end)
    except ValueError as exc:
        raise HTTPException(422, detail=str(exc)) from None
    if format == "csv":
        import csv
        import io

        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for r in table.rows:
            writer.writerow([getattr(r, c) for c in CSV_COLUMNS])
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="mismatch.csv"'})
    return JSONResponse(table.as_dict())


@api_router.get("/gap", summary="Close one gap: courses nearby, or the profile of a new course")
def gap_api(request: Request, skill: Annotated[str, Query(min_length=10, max_length=200)],
            territory: Territory = None, sector: Sector = None,
            km: Annotated[float, Query(ge=1, le=300)] = 40) -> JSONResponse:
    try:
        return JSONResponse(close_gap(request.app.state.engine, skill=skill, territory=territory, sector=sector,
                                      km=km))
    except ValueError as exc:
        raise HTTPException(422, detail=str(exc)) from None


def _choices(engine: Engine, lang: str = "it") -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    with Session(engine) as session:
        rows = session.execute(select(Concept.id, Concept.code, Concept.attrs).where(
            Concept.type == "territory", Concept.level == "province")).all()
        lombardy = [(cid, code) for cid, code, attrs in rows if (attrs or {}).get("nuts2") == "ITC4"]
        names = preferred_labels(session, [cid for cid, _ in lombardy], lang)
        provinces = sorted(((code, names.get(cid, code)) for cid, code in lombardy), key=lambda x: x[1])
        sections = session.execute(select(Concept.id, Concept.code).where(
            Concept.scheme == "ateco2007", Concept.level == "section")).all()
        snames = preferred_labels(session, [cid for cid, _ in sections], lang)
        sectors = sorted((code, sentence_case(snames.get(cid, code))) for cid, code in sections)
    return provinces, sectors


def sentence_case(label: str) -> str:
    """ATECO's section names are upper-case in ISTAT's files ("ATTIVITÀ MANIFATTURIERE"): shown as a sentence."""
    return label[:1].upper() + label[1:].lower() if label.isupper() else label


def _render(request: Request, name: str, context: dict[str, Any]) -> Response:
    return request.app.state.templates.TemplateResponse(request, f"catalog/{name}", context)


@page_router.get("", response_class=HTMLResponse, name="mismatch_page", include_in_schema=False)
def mismatch_page(request: Request, territory: str = "", sector: str = "", start: str = "", end: str = ""
                  ) -> Response:
    """The gaps of a province and sector; transversal and language skills apart (courses seldom declare them,
    so their supply reads as zero: ranked with the others they would hide every other gap)."""
    from urllib.parse import urlencode

    engine = request.app.state.engine
    lang = getattr(request.state, "lang", "it")
    provinces, sectors = _choices(engine, lang)
    months = [m if re.fullmatch(r"\d{4}-\d{2}", m or "") else None for m in (start, end)]
    try:
        table = mismatch(engine, territory=territory or None, sector=sector or None, limit=80, lang=lang,
                         start=months[0], end=months[1])
    except ValueError:
        table = mismatch(engine, limit=80, lang=lang)
        months = [None, None]
    apart = [r for r in table.rows if r.untaggable]
    table.rows = [r for r in table.rows if not r.untaggable][:40]
    chart = chart_spec(table, lang, rows=15, width="container")
    root = str(request.url_for("mismatch_gap_page").path)
    selection = {"territory": table.territory or "", "sector": table.sector or "", "start": months[0] or "",
                 "end": months[1] or ""}

    def gap_url(skill: str) -> str:
        return root + "?" + urlencode({"skill": skill, "territory": table.territory or "",
                                       "sector": table.sector or ""})

    link = str(request.url_for("mismatch_page").path) + "?" + urlencode(
        {k: v for k, v in selection.items() if k != "territory"}) + "&territory="
    export = str(request.url_for("mismatch_api").path) + "?" + urlencode(
        {**{k: v for k, v in selection.items() if v}, "format": "csv", "limit": 1000})
    return _render(request, "mismatch.html", {
        "nav": "mismatch", "table": table, "apart": apart[:20], "provinces": provinces, "sectors": sectors,
        "chart": chart, "gap_url": gap_url, "coverage": coverage(engine, sector=table.sector), "map_js": MAP_JS,
        "map_words": map_words(lang), "map_link": link, "export_url": export, "start": months[0] or "",
        "end": months[1] or "", "geojson_url": str(request.url_for("provinces_geojson").path) + "?region=ITC4"})


@page_router.get("/gap", response_class=HTMLResponse, name="mismatch_gap_page", include_in_schema=False)
def gap_page(request: Request, skill: str = "", territory: str = "", sector: str = "") -> Response:
    if not skill.startswith("http"):
        raise HTTPException(404, detail="no skill")
    try:
        g = close_gap(request.app.state.engine, skill=skill[:200], territory=territory or None,
                      sector=sector or None)
    except ValueError as exc:
        raise HTTPException(404, detail=str(exc)) from None
    return _render(request, "gap.html", {"nav": "mismatch", "g": g})
