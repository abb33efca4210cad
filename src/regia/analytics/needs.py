"""Skills needs (the demand side) over the postings facts, in DuckDB: read-only.

The unit of demand is the dedup group (``group_id``): a posting published on several boards, re-scraped or
lightly edited counts once ("postings" below); ``ads`` counts the stored ads (near-duplicates included).
Every function takes :class:`Filters` - territory, sector, occupation, period - and returns plain rows that
pages, the API and reports share, so that they show the same numbers.

Statistics: growth of a skill is tested with a one-sided two-proportion z-test (share of postings asking for it
in the recent window vs the previous one), with Benjamini-Hochberg correction over all skills tested;
differences between two selections use the two-sided version.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats
from sqlalchemy import Engine

from regia.db import session_factory
from regia.postings import facts, reference
from regia.postings.location import Gazetteer
from regia.taxonomy.codes import CP2011_CODE

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_DIVISION = re.compile(r"^\d{2}$")
_SECTION = re.compile(r"^[A-Ua-u]$")
_ISCO = re.compile(r"^\d{1,4}$")
_ESCO_OCC = re.compile(r"^https?://data\.europa\.eu/esco/occupation/")
ORIGINS = ("all", "source", "regia")
FLAGS = ("digital", "green", "transversal")

# cube dimensions: name -> column of the facts
DIMENSIONS = {
    "province": "nuts3", "region": "nuts2", "section": "ateco_section", "division": "ateco_division",
    "isco": "isco", "isco1": "substr(isco, 1, 1)", "isco2": "substr(isco, 1, 2)", "cp": "cp",
    "occupation": "occupation", "skill": "skill_uri", "month": "month",
}


class FilterError(ValueError):
    """A filter value that cannot be understood; ``field`` names the filter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Filters:
    territory: str | None = None  # NUTS2, NUTS3 or ISTAT comune code
    sector: str | None = None  # ATECO 2007 section (letter) or division (2 digits)
    occupation: str | None = None  # ISCO-08 code (1-4 digits), CP2011 code, or ESCO occupation URI
    skill: str | None = None  # ESCO skill URI: postings asking for it
    start: str | None = None  # first month, YYYY-MM
    end: str | None = None  # last month, YYYY-MM
    origin: str = "all"  # skills: all, source (the feed's), regia (the classifier's)

    def describe(self) -> dict[str, str | None]:
        return {"territory": self.territory, "sector": self.sector, "occupation": self.occupation,
                "skill": self.skill, "from": self.start, "to": self.end, "origin": self.origin}


def _clause(f: Filters, *, skills_table: bool, alias: str = "") -> tuple[str, list[Any]]:
    """SQL condition (for ``postings`` or ``posting_skills``) and its parameters."""
    a = f"{alias}." if alias else ""
    conds: list[str] = []
    params: list[Any] = []
    if f.territory:
        t = f.territory
        if re.fullmatch(r"\d{6}", t):
            if skills_table:
                conds.append(f"{a}posting_id IN (SELECT posting_id FROM postings WHERE comune = ?)")
            else:
                conds.append(f"{a}comune = ?")
        elif len(t) == 5:
            conds.append(f"{a}nuts3 = ?")
        else:
            conds.append(f"{a}nuts2 = ?")
        params.append(t)
    if f.sector:
        conds.append(f"{a}ateco_section = ?" if _SECTION.match(f.sector) else f"{a}ateco_division = ?")
        params.append(f.sector.upper() if _SECTION.match(f.sector) else f.sector)
    if f.occupation:
        o = f.occupation
        if _ESCO_OCC.match(o):
            conds.append(f"{a}occupation = ?")
            params.append(o)
        elif CP2011_CODE.match(o):
            conds.append(f"({a}cp = ? OR {a}cp LIKE ?)")
            params += [o, o + ".%"]
        else:
            conds.append(f"{a}isco LIKE ?")
            params.append(o + "%")
    if f.start:
        conds.append(f"{a}month >= ?")
        params.append(f.start)
    if f.end:
        conds.append(f"{a}month <= ?")
        params.append(f.end)
    if f.skill:
        if skills_table:
            conds.append(f"{a}group_id IN (SELECT group_id FROM posting_skills WHERE skill_uri = ?)")
        else:
            conds.append(f"{a}group_id IN (SELECT group_id FROM posting_skills WHERE skill_uri = ?)")
        params.append(f.skill)
    if skills_table and f.origin != "all":
        conds.append(f"{a}origin = ?")
        params.append(f.origin)
    return (" AND ".join(conds) if conds else "TRUE"), params


def arrow_table(relation: Any) -> Any:
    """A DuckDB relation (``con.sql(...)``) as an Arrow table (``to_arrow_table`` in DuckDB 2, ``arrow`` before)."""
    fetch = getattr(relation, "to_arrow_table", None) or relation.arrow
    return fetch()


def bh(pvalues: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (q-values)."""
    if not pvalues:
        return []
    return [float(q) for q in stats.false_discovery_control(np.asarray(pvalues, dtype=float), method="bh")]


def two_proportions(x1: int, n1: int, x0: int, n0: int) -> tuple[float, float]:
    """z statistic and one-sided p-value (share 1 > share 0) of the pooled two-proportion z-test."""
    if n1 == 0 or n0 == 0:
        return 0.0, 1.0
    p = (x1 + x0) / (n1 + n0)
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n0)) if 0 < p < 1 else 0.0
    if se == 0:
        return 0.0, 1.0
    z = (x1 / n1 - x0 / n0) / se
    return z, float(stats.norm.sf(z))


def shift_month(month: str, delta: int) -> str:
    y, m = int(month[:4]), int(month[5:7])
    k = y * 12 + (m - 1) + delta
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def cube_sql(f: Filters, dims: Sequence[str], *, limit: int | None = None, ordered: bool = False,
             flags: bool = False) -> tuple[str, list[Any]]:
    """The cube's SQL over the views ``postings`` / ``posting_skills`` and its parameters (``?`` placeholders).

    Plain SQL that DuckDB and Spark SQL both run (``regia.batch`` runs it on Spark over the same facts).
    ``flags``: over skills, whether any fact of the cell marks its skill digital / green (``bool_or``)."""
    unknown = [d for d in dims if d not in DIMENSIONS]
    if unknown:
        raise FilterError("dims", f"unknown dimension(s) {', '.join(unknown)}; use {', '.join(DIMENSIONS)}")
    over_skills = "skill" in dims
    where, params = _clause(f, skills_table=over_skills)
    cols = [f"{DIMENSIONS[d]} AS {d}" for d in dims]
    measures = ["count(DISTINCT group_id) AS postings", "count(DISTINCT posting_id) AS ads"]
    if flags and over_skills:
        measures += ["bool_or(digital) AS digital", "bool_or(green) AS green"]
    select = ", ".join([*cols, *measures])
    sql = f"SELECT {select} FROM {'posting_skills' if over_skills else 'postings'} WHERE {where}"
    if dims:
        sql += " GROUP BY ALL"
        if ordered or limit:
            sql += " ORDER BY postings DESC, " + ", ".join(dims)
    if limit:
        sql += f" LIMIT {int(limit)}"
    return sql, params


@dataclass
class Labels:
    """Labels of codes in one language, looked up once per call."""

    skills: dict[str, str] = field(default_factory=dict)
    provinces: dict[str, str] = field(default_factory=dict)


class Needs:
    """Read-only analytics over the postings facts of one database (labels from its taxonomy)."""

    def __init__(self, engine: Engine, facts_dir: Path | None = None, *, threads: int | None = None) -> None:
        self.engine = engine
        self.facts_dir = facts_dir or facts.default_dir()
        self.threads = threads
        self._con: Any = None
        self._files: tuple[int, ...] = ()
        self.ref = reference.for_engine(engine)
        self._gazetteer: Gazetteer | None = None

    # ------------------------------------------------------------------ plumbing
    def con(self) -> Any:
        """A DuckDB cursor with views over the current facts (refreshed when files were added)."""
        current = tuple(len(facts.files(self.facts_dir, t)) for t in facts.SCHEMAS)
        if self._con is None:
            self._con = facts.connect(self.facts_dir, threads=self.threads)
            self._files = current
        elif current != self._files:
            facts.attach(self._con, self.facts_dir)
            self._files = current
        return self._con.cursor()

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        cur = self.con()
        try:
            result = cur.execute(sql, list(params))
            cols = [d[0] for d in result.description]
            return [dict(zip(cols, row, strict=True)) for row in result.fetchall()]
        finally:
            cur.close()

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def skill_labels(self, uris: Iterable[str], lang: str = "it") -> dict[str, str]:
        uris = [u for u in dict.fromkeys(uris) if u]
        if not uris:
            return {}
        with session_factory(self.engine)() as session:
            return reference.skill_labels(session, uris, lang)

    def province_name(self, nuts3: str | None) -> str | None:
        p = self.ref.provinces.get(nuts3 or "")
        return p.name if p else None

    # ------------------------------------------------------------------ filters
    def filters(self, *, territory: str | None = None, sector: str | None = None, occupation: str | None = None,
                skill: str | None = None, start: str | None = None, end: str | None = None,
                origin: str = "all") -> Filters:
        """Filters from user input: territory by code, sigla or name ("Milano", "MI", "ITC4C", "015146")."""
        out = Filters(origin=origin)
        if origin not in ORIGINS:
            raise FilterError("origin", f"origin must be one of {', '.join(ORIGINS)}")
        if territory:
            out = replace(out, territory=self.territory_code(territory))
        if sector:
            s = sector.strip()
            if not (_SECTION.match(s) or _DIVISION.match(s)):
                raise FilterError("sector", f"sector must be an ATECO section (A-U) or division (2 digits): {s!r}")
            path = self.ref.ateco_path(s.upper() if s.isalpha() else s)
            if self.ref.ateco and path is None:
                raise FilterError("sector", f"unknown ATECO 2007 section or division {s!r}")
            out = replace(out, sector=s.upper() if s.isalpha() else s)
        if occupation:
            o = occupation.strip()
            if not (_ISCO.match(o) or CP2011_CODE.match(o) or _ESCO_OCC.match(o)):
                raise FilterError("occupation", f"occupation must be an ISCO-08 code, a CP2011 code or an ESCO "
                                                f"occupation URI: {o!r}")
            out = replace(out, occupation=o)
        if skill:
            out = replace(out, skill=skill.strip())
        for name, value in (("start", start), ("end", end)):
            if value:
                if not _MONTH.match(value.strip()):
                    raise FilterError("from" if name == "start" else "to", f"month must be YYYY-MM: {value!r}")
                out = replace(out, **{name: value.strip()})
        if out.start and out.end and out.start > out.end:
            raise FilterError("to", "the last month is before the first one")
        return out

    def territory_code(self, text: str) -> str:
        t = text.strip()
        if t.upper() in self.ref.provinces or t.upper() in self.ref.regions:
            return t.upper()
        if re.fullmatch(r"\d{6}", t) and t in self.ref.comuni:
            return t
        if self._gazetteer is None:
            self._gazetteer = Gazetteer(self.ref)
        nuts3 = self._gazetteer.province_of(t)  # a province's name or sigla first: "Milano" is the province
        if nuts3:
            return nuts3
        loc = self._gazetteer.resolve(text=t)
        code = loc.comune or loc.nuts3 or loc.nuts2
        if not code:
            raise FilterError("territory", f"unknown territory {text!r}")
        return code

    # ------------------------------------------------------------------ figures
    def summary(self, f: Filters) -> dict[str, Any]:
        """Postings (demand units), ads, employers, months covered, shares of digital/green/transversal."""
        where, params = _clause(f, skills_table=False)
        [row] = self._rows(f"SELECT count(DISTINCT group_id) AS postings, count(*) AS ads, "
                           f"count(DISTINCT employer_key) AS employers, min(month) AS first_month, "
                           f"max(month) AS last_month, bool_or(synthetic) AS synthetic FROM postings WHERE {where}",
                           params)
        out = dict(row)
        out["synthetic"] = bool(out["synthetic"])
        out.update(self.shares(f, total=out["postings"]))
        return out

    def shares(self, f: Filters, total: int | None = None) -> dict[str, Any]:
        """Share of postings asking for at least one digital / green / transversal skill, and of skill
        mentions of each kind."""
        where, params = _clause(f, skills_table=True)
        [row] = self._rows(
            "SELECT count(DISTINCT group_id) AS with_skills, count(*) AS mentions, "
            + ", ".join(f"count(DISTINCT group_id) FILTER (WHERE {k}) AS {k}_postings, "
                        f"count(*) FILTER (WHERE {k}) AS {k}_mentions" for k in FLAGS)
            + f" FROM posting_skills WHERE {where}", params)
        if total is None:
            w2, p2 = _clause(f, skills_table=False)
            total = self._rows(f"SELECT count(DISTINCT group_id) AS n FROM postings WHERE {w2}", p2)[0]["n"]
        out: dict[str, Any] = {"postings_with_skills": row["with_skills"], "skill_mentions": row["mentions"]}
        for k in FLAGS:
            out[f"{k}_postings"] = row[f"{k}_postings"]
            out[f"{k}_share"] = row[f"{k}_postings"] / total if total else 0.0
            out[f"{k}_mention_share"] = row[f"{k}_mentions"] / row["mentions"] if row["mentions"] else 0.0
        return out

    def cube(self, f: Filters, dims: Sequence[str], *, limit: int | None = None) -> list[dict[str, Any]]:
        """Postings (distinct groups) and ads by the given dimensions, largest first. Over skills (``skill``
        among ``dims``) the rows are posting-skill facts (an ad asking a skill twice, from the feed and from
        the classifier, counts once); otherwise postings."""
        sql, params = cube_sql(f, dims, limit=limit, ordered=True)
        return self._rows(sql, params)

    def cube_table(self, f: Filters, dims: Sequence[str], *, limit: int | None = None, flags: bool = False) -> Any:
        """The same cube as an Arrow table (columnar, no Python objects per row): for large results, e.g. the
        full province x sector x occupation x skill x month cube. Unordered unless ``limit`` is given;
        ``flags`` adds the skills' digital/green flags (see :func:`cube_sql`)."""
        sql, params = cube_sql(f, dims, limit=limit, ordered=False, flags=flags)
        cur = self.con()
        try:
            return arrow_table(cur.sql(sql, params=params))
        finally:
            cur.close()

    def by_province(self, f: Filters) -> list[dict[str, Any]]:
        """Postings per province for the selection's other filters (every province of the selection's region
        when the territory is a province or comune, so that the map shows where it stands)."""
        rows = self.cube(replace(f, territory=f.territory if f.territory and len(f.territory) == 4 else None),
                         ["province"])
        for r in rows:
            r["name"] = self.province_name(r["province"])
        return rows

    def trend(self, f: Filters) -> list[dict[str, Any]]:
        """Postings per month, with the share asking for digital and green skills."""
        where, params = _clause(f, skills_table=False)
        swhere, sparams = _clause(f, skills_table=True)
        return self._rows(
            f"WITH p AS (SELECT month, count(DISTINCT group_id) AS postings, count(*) AS ads FROM postings "
            f"WHERE {where} GROUP BY month), s AS (SELECT month, count(DISTINCT group_id) FILTER (WHERE digital) "
            f"AS digital, count(DISTINCT group_id) FILTER (WHERE green) AS green FROM posting_skills WHERE {swhere} "
            "GROUP BY month) SELECT p.month, p.postings, p.ads, coalesce(s.digital, 0) AS digital_postings, "
            "coalesce(s.green, 0) AS green_postings FROM p LEFT JOIN s USING (month) ORDER BY p.month",
            [*params, *sparams])

    def top_skills(self, f: Filters, n: int = 20, lang: str = "it") -> list[dict[str, Any]]:
        """Skills asked by most postings, with their share of the selection and digital/green flags."""
        where, params = _clause(f, skills_table=True)
        total = self.summary_count(f)
        rows = self._rows(
            f"SELECT skill_uri AS skill, count(DISTINCT group_id) AS postings, bool_or(digital) AS digital, "
            f"bool_or(green) AS green, bool_or(transversal) AS transversal FROM posting_skills WHERE {where} "
            f"GROUP BY skill_uri ORDER BY postings DESC, skill_uri LIMIT {int(n)}", params)
        labels = self.skill_labels([r["skill"] for r in rows], lang)
        for r in rows:
            r["label"] = labels.get(r["skill"], r["skill"])
            r["share"] = r["postings"] / total if total else 0.0
        return rows

    def summary_count(self, f: Filters) -> int:
        where, params = _clause(f, skills_table=False)
        return int(self._rows(f"SELECT count(DISTINCT group_id) AS n FROM postings WHERE {where}", params)[0]["n"])

    def emerging_skills(self, f: Filters, *, months: int = 6, alpha: float = 0.05, min_postings: int = 10,
                        n: int = 20, lang: str = "it") -> dict[str, Any]:
        """Skills whose share of postings grew in the last ``months`` months vs the ``months`` before
        (one-sided two-proportion z-test, Benjamini-Hochberg over every skill with ``min_postings``)."""
        where, params = _clause(f, skills_table=False)
        last = self._rows(f"SELECT max(month) AS m FROM postings WHERE {where}", params)[0]["m"]
        if last is None:
            return {"recent": None, "previous": None, "tested": 0, "skills": []}
        recent = (shift_month(last, -(months - 1)), last)
        previous = (shift_month(last, -(2 * months - 1)), shift_month(last, -months))
        n1 = self.summary_count(replace(f, start=recent[0], end=recent[1]))
        n0 = self.summary_count(replace(f, start=previous[0], end=previous[1]))
        swhere, sparams = _clause(replace(f, start=previous[0], end=recent[1]), skills_table=True)
        rows = self._rows(
            f"SELECT skill_uri AS skill, count(DISTINCT group_id) FILTER (WHERE month >= ?) AS x1, "
            f"count(DISTINCT group_id) FILTER (WHERE month <= ?) AS x0, bool_or(digital) AS digital, "
            f"bool_or(green) AS green FROM posting_skills WHERE {swhere} GROUP BY skill_uri "
            f"HAVING count(DISTINCT group_id) >= ?", [recent[0], previous[1], *sparams, min_postings])
        tested = []
        for r in rows:
            z, p = two_proportions(r["x1"], n1, r["x0"], n0)
            tested.append({**r, "z": z, "p": p})
        for r, q in zip(tested, bh([r["p"] for r in tested]), strict=True):
            r["q"] = q
            r["share_recent"] = r["x1"] / n1 if n1 else 0.0
            r["share_previous"] = r["x0"] / n0 if n0 else 0.0
            r["growth"] = (r["share_recent"] / r["share_previous"]) if r["share_previous"] else None
        emerging = sorted((r for r in tested if r["q"] < alpha and r["z"] > 0), key=lambda r: (-r["z"], r["skill"]))
        emerging = emerging[:n]
        labels = self.skill_labels([r["skill"] for r in emerging], lang)
        for r in emerging:
            r["label"] = labels.get(r["skill"], r["skill"])
        return {"recent": list(recent), "previous": list(previous), "postings_recent": n1, "postings_previous": n0,
                "tested": len(tested), "alpha": alpha, "skills": emerging}

    def cooccurrence(self, f: Filters, *, top: int = 25, n: int = 30, skill: str | None = None,
                     lang: str = "it") -> list[dict[str, Any]]:
        """Pairs of skills asked together (among the ``top`` skills, or with ``skill``), with lift."""
        where, params = _clause(f, skills_table=True)
        total = self.summary_count(f)
        if skill:
            keep = "SELECT ? AS skill_uri UNION SELECT skill_uri FROM (SELECT skill_uri, count(DISTINCT group_id) c " \
                   f"FROM posting_skills WHERE {where} GROUP BY 1 ORDER BY c DESC LIMIT {int(top) * 4})"
            keep_params: list[Any] = [skill, *params]
        else:
            keep = (f"SELECT skill_uri FROM (SELECT skill_uri, count(DISTINCT group_id) c FROM posting_skills WHERE "
                    f"{where} GROUP BY 1 ORDER BY c DESC, skill_uri LIMIT {int(top)})")
            keep_params = list(params)
        pair_filter = "AND (a.skill_uri = ? OR b.skill_uri = ?)" if skill else ""
        rows = self._rows(
            f"WITH k AS ({keep}), s AS (SELECT DISTINCT group_id, skill_uri FROM posting_skills WHERE {where} "
            "AND skill_uri IN (SELECT skill_uri FROM k)), c AS (SELECT skill_uri, count(*) AS n FROM s GROUP BY 1) "
            "SELECT a.skill_uri AS a, b.skill_uri AS b, count(*) AS together, ca.n AS a_postings, "
            "cb.n AS b_postings FROM s a JOIN s b ON a.group_id = b.group_id AND a.skill_uri < b.skill_uri "
            f"JOIN c ca ON ca.skill_uri = a.skill_uri JOIN c cb ON cb.skill_uri = b.skill_uri WHERE TRUE "
            f"{pair_filter} GROUP BY ALL ORDER BY together DESC, a, b LIMIT {int(n)}",
            [*keep_params, *params, *([skill, skill] if skill else [])])
        labels = self.skill_labels([u for r in rows for u in (r["a"], r["b"])], lang)
        for r in rows:
            r["a_label"], r["b_label"] = labels.get(r["a"], r["a"]), labels.get(r["b"], r["b"])
            r["lift"] = (r["together"] * total / (r["a_postings"] * r["b_postings"])) if total else None
            r["jaccard"] = r["together"] / (r["a_postings"] + r["b_postings"] - r["together"])
        return rows

    def compare(self, a: Filters, b: Filters, *, n: int = 15, lang: str = "it") -> dict[str, Any]:
        """Two selections side by side: totals, shares, and the skills whose share differs (two-sided z-test,
        Benjamini-Hochberg) among the top skills of either."""
        sa, sb = self.summary(a), self.summary(b)
        skills = list(dict.fromkeys([r["skill"] for r in self.top_skills(a, n, lang)]
                                    + [r["skill"] for r in self.top_skills(b, n, lang)]))
        counts: dict[str, dict[str, int]] = {u: {"a": 0, "b": 0} for u in skills}
        for key, f in (("a", a), ("b", b)):
            if not skills:
                break
            where, params = _clause(f, skills_table=True)
            marks = ", ".join("?" for _ in skills)
            for r in self._rows(f"SELECT skill_uri, count(DISTINCT group_id) AS c FROM posting_skills WHERE {where} "
                                f"AND skill_uri IN ({marks}) GROUP BY 1", [*params, *skills]):
                counts[r["skill_uri"]][key] = r["c"]
        na, nb = sa["postings"], sb["postings"]
        rows = []
        for u in skills:
            xa, xb = counts[u]["a"], counts[u]["b"]
            z, p_one = two_proportions(xa, na, xb, nb)
            rows.append({"skill": u, "a_postings": xa, "b_postings": xb, "a_share": xa / na if na else 0.0,
                         "b_share": xb / nb if nb else 0.0, "z": z, "p": min(1.0, 2 * min(p_one, 1 - p_one))})
        for r, q in zip(rows, bh([r["p"] for r in rows]), strict=True):
            r["q"] = q
        labels = self.skill_labels(skills, lang)
        for r in rows:
            r["label"] = labels.get(r["skill"], r["skill"])
        rows.sort(key=lambda r: (-abs(r["z"]), r["skill"]))
        return {"a": {"filters": a.describe(), **sa}, "b": {"filters": b.describe(), **sb}, "skills": rows}

    def examples(self, f: Filters, *, limit: int = 5, lang: str = "it") -> list[dict[str, Any]]:
        """Example postings of the selection, anonymised: no employer, personal data already stripped at
        ingest, text shortened; one per demand unit (the group's lead)."""
        where, params = _clause(f, skills_table=False)
        rows = self._rows(
            f"SELECT posting_id, group_id, title, description, month, nuts3, ateco_division, isco, contract, "
            f"working_hours, synthetic FROM postings WHERE {where} AND posting_id = group_id "
            f"ORDER BY date_posted DESC, posting_id DESC LIMIT {int(limit)}", params)
        ids = [r["posting_id"] for r in rows]
        skills: dict[int, list[str]] = {}
        if ids:
            marks = ", ".join("?" for _ in ids)
            for r in self._rows(f"SELECT posting_id, list(DISTINCT skill_uri) AS uris FROM posting_skills "
                                f"WHERE posting_id IN ({marks}) GROUP BY 1", ids):
                skills[r["posting_id"]] = sorted(r["uris"])
        labels = self.skill_labels([u for us in skills.values() for u in us], lang)
        for r in rows:
            text = r.pop("description") or ""
            r["text"] = text if len(text) <= 600 else text[:600].rsplit(" ", 1)[0] + " …"
            r["province"] = self.province_name(r["nuts3"])
            r["sector"] = self.ref.ateco_labels.get(r["ateco_division"] or "")
            r["skills"] = [labels.get(u, u) for u in skills.get(r["posting_id"], [])][:8]
        return rows
