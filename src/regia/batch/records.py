"""Batch input: one posting per row (Parquet) or line (JSON Lines), checked field by field.

Required: ``id`` (string or integer), ``title`` and ``text`` (strings). Optional, with the names of Regia's
postings facts (``regia batch export`` writes them): ``date_posted``, ``valid_through`` (dates or ISO /
dd/mm/yyyy strings), ``group_id`` (the dedup group, an integer; default: the posting itself), ``feed``,
``board``, ``synthetic``, ``comune`` (ISTAT code), ``nuts3``, ``nuts2``, ``ateco_code`` (ATECO 2007, 2022 or
2025), ``ateco_division``, ``ateco_section``, ``isco_source`` / ``isco``, ``cp_source`` / ``cp``,
``occupation_source`` / ``occupation`` (the source's codes), ``contract``, ``education``, ``experience``,
``working_hours``, ``salary``, ``dedup`` (lead, near, revision), ``employer_key`` (an employer pseudonym:
batch jobs never read employer names), ``source_skills`` (ESCO skill URIs, or objects ``{uri, digital, green}``).

A row that breaks a rule is rejected with its file, row, field and reason (the other rows go on); personal
data in titles and texts is stripped as ingest strips it. Codes are checked against the snapshot's code
lists: a wrong territory, sector or occupation code would move demand to the wrong cell.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from regia.postings import privacy
from regia.postings.formats.base import SourceSkill
from regia.postings.reference import ATECO_SCHEMES, Reference
from regia.postings.service import is_synthetic_url
from regia.postings.validate import MAX_TITLE, parse_date
from regia.taxonomy.codes import CP2011_CODE, ESCO_OCCUPATION_URI, ESCO_SKILL_URI, ISCO_UNIT_GROUP, ISTAT_COMUNE

REQUIRED = ("id", "title", "text")
ALIASES = {"isco": "isco_source", "cp": "cp_source", "occupation": "occupation_source"}
DEDUP_ROLES = ("lead", "near", "revision")
TEXT_FIELDS = {"dedup": 10, "feed": 120, "board": 200, "contract": 60, "education": 60, "experience": 60,
               "working_hours": 20, "salary": 200, "employer_key": 64}
MAX_ID = 300
_INT64 = 1 << 63


@dataclass(frozen=True)
class Problem:
    field: str | None
    reason: str


@dataclass
class BatchPosting:
    """A checked posting of a batch input."""

    id: str
    posting_id: int
    group_id: int
    title: str
    text: str
    date_posted: dt.date | None = None
    valid_through: dt.date | None = None
    codes: dict[str, Any] = field(default_factory=dict)  # territory, sector, source occupation codes
    extra: dict[str, Any] = field(default_factory=dict)  # the other facts columns (contract ... salary)
    source_skills: list[SourceSkill] = field(default_factory=list)

    @property
    def month(self) -> str | None:
        return self.date_posted.strftime("%Y-%m") if self.date_posted else None

    def classify_text(self) -> str:
        """What ingest classifies: the title and the text."""
        return "\n".join(p for p in (self.title, self.text) if p)


def posting_id_of(rid: str) -> int:
    """The facts' integer id of a posting: its own id when that is an integer (an export of stored postings),
    else a stable 62-bit hash of it, negative so that it never meets an id that ingest assigns."""
    if rid.isdigit() and int(rid) < _INT64:
        return int(rid)
    return -(int(hashlib.sha256(rid.encode()).hexdigest()[:16], 16) & ((1 << 62) - 1)) - 1


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return None


def _date(name: str, value: Any, problems: list[Problem]) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        problems.append(Problem(name, f"not a date: {type(value).__name__} {str(value)[:40]!r}"))
        return None
    parsed = parse_date(value)
    if parsed is None:
        problems.append(Problem(name, f"not a date: {value[:40]!r} (expected YYYY-MM-DD or dd/mm/yyyy)"))
    return parsed


def _code(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def _skills(value: Any, problems: list[Problem]) -> list[SourceSkill]:
    if value is None:
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip().startswith("[") else [v for v in value.split(";") if v]
        except json.JSONDecodeError:
            problems.append(Problem("source_skills", "not a JSON list of skills"))
            return []
    if not isinstance(value, list | tuple):
        problems.append(Problem("source_skills", f"must be a list of ESCO skill URIs, not {type(value).__name__}"))
        return []
    out: list[SourceSkill] = []
    for i, item in enumerate(value):
        digital = green = None
        if isinstance(item, dict):
            uri = item.get("uri") or item.get("skill_uri")
            digital, green = item.get("digital"), item.get("green")
            if any(flag is not None and not isinstance(flag, bool) for flag in (digital, green)):
                problems.append(Problem("source_skills", f"item {i}: digital/green must be true, false or null"))
                continue
        else:
            uri = item
        if not isinstance(uri, str) or not ESCO_SKILL_URI.match(uri.strip()):
            problems.append(Problem("source_skills", f"item {i}: not an ESCO skill URI: {str(uri)[:100]!r}"))
            continue
        out.append(SourceSkill(uri.strip(), digital=digital, green=green))
    return out


def decode(raw: dict[str, Any], ref: Reference, *, need_date: bool = False) -> BatchPosting | list[Problem]:
    """A checked posting, or every problem of the row (one per field)."""
    problems: list[Problem] = []
    raw = {ALIASES.get(k, k): v for k, v in raw.items() if not (k in ALIASES and ALIASES[k] in raw)}
    rid = raw.get("id")
    if rid is None or rid == "":
        problems.append(Problem("id", "missing id"))
    elif isinstance(rid, bool) or not isinstance(rid, str | int):
        problems.append(Problem("id", f"must be a string or an integer, not {type(rid).__name__}"))
    elif len(str(rid)) > MAX_ID:
        problems.append(Problem("id", f"longer than {MAX_ID} characters"))
    elif not str(rid).strip(" "):
        problems.append(Problem("id", "missing id"))
    for name in ("title", "text"):
        if name not in raw or raw[name] is None:
            problems.append(Problem(name, f"missing {name}"))
        elif not isinstance(raw[name], str):
            problems.append(Problem(name, f"must be a string, not {type(raw[name]).__name__}"))
    title = privacy.strip(" ".join((_str(raw.get("title")) or "").split()))
    if "title" in raw and isinstance(raw.get("title"), str) and not title:
        problems.append(Problem("title", "empty title"))
    posted = _date("date_posted", raw.get("date_posted"), problems)
    if need_date and posted is None and not any(p.field == "date_posted" for p in problems):
        problems.append(Problem("date_posted", "missing publication date"))
    valid = _date("valid_through", raw.get("valid_through"), problems)
    if posted and valid and valid < posted:
        problems.append(Problem("valid_through", f"expiry {valid.isoformat()} before publication "
                                                 f"{posted.isoformat()}"))
    group = raw.get("group_id")
    if group is not None and (isinstance(group, bool) or not isinstance(group, int) or abs(group) >= _INT64):
        problems.append(Problem("group_id", f"must be an integer, not {str(group)[:40]!r}"))

    codes: dict[str, Any] = {}
    comune = _code(raw.get("comune"))
    if comune:
        comune = comune.zfill(6) if comune.isdigit() else comune
        if not ISTAT_COMUNE.match(comune) or comune not in ref.comuni:
            problems.append(Problem("comune", f"unknown ISTAT comune code {comune!r}"))
        codes["comune"] = comune
    nuts3 = _code(raw.get("nuts3"))
    if nuts3 and nuts3.upper() not in ref.provinces:
        problems.append(Problem("nuts3", f"unknown NUTS3 province code {nuts3!r}"))
    nuts2 = _code(raw.get("nuts2"))
    if nuts2 and nuts2.upper() not in ref.regions:
        problems.append(Problem("nuts2", f"unknown NUTS2 region code {nuts2!r}"))
    if comune and not nuts3 and comune in ref.comuni:
        nuts3 = ref.comuni[comune].nuts3
    if nuts3 and not nuts2 and nuts3.upper() in ref.provinces:
        nuts2 = ref.provinces[nuts3.upper()].nuts2
    codes["nuts3"] = nuts3.upper() if nuts3 else None
    codes["nuts2"] = nuts2.upper() if nuts2 else None
    codes.setdefault("comune", None)
    _ateco(raw, ref, codes, problems)
    isco = _code(raw.get("isco_source"))
    if isco:
        isco = isco.zfill(4) if isco.isdigit() else isco
        if not ISCO_UNIT_GROUP.match(isco) or isco not in ref.isco:
            problems.append(Problem("isco_source", f"unknown ISCO-08 unit group {isco!r}"))
    cp = _code(raw.get("cp_source"))
    if cp and not CP2011_CODE.match(cp):
        problems.append(Problem("cp_source", f"not a CP2011 code: {cp!r}"))
    occupation = _code(raw.get("occupation_source"))
    if occupation and not ESCO_OCCUPATION_URI.match(occupation):
        problems.append(Problem("occupation_source", f"not an ESCO occupation URI: {occupation[:100]!r}"))
    codes.update(isco_source=isco, cp_source=cp, occupation_source=occupation)
    skills = _skills(raw.get("source_skills"), problems)

    extra: dict[str, Any] = {}
    for name, limit in TEXT_FIELDS.items():
        value = raw.get(name)
        if value is None or value == "":
            extra[name] = None
        elif not isinstance(value, str):
            problems.append(Problem(name, f"must be a string, not {type(value).__name__}"))
        else:
            extra[name] = (privacy.strip(" ".join(value.split())) if name == "salary" else value.strip())[:limit]
    if extra.get("dedup") not in (None, *DEDUP_ROLES):
        problems.append(Problem("dedup", f"must be one of {', '.join(DEDUP_ROLES)}"))
    synthetic = raw.get("synthetic")
    if synthetic is not None and not isinstance(synthetic, bool):
        problems.append(Problem("synthetic", "must be true or false"))
    url = raw.get("url")
    extra["synthetic"] = bool(synthetic) if synthetic is not None else is_synthetic_url(url if isinstance(
        url, str) else None)
    if problems:
        return _merge(problems)

    rid_text = str(rid).strip(" ")  # as the partitions see it (SQL trim)
    posting_id = posting_id_of(rid_text)
    return BatchPosting(
        id=rid_text, posting_id=posting_id, group_id=int(group) if group is not None else posting_id,
        title=title[:MAX_TITLE], text=privacy.strip(str(raw["text"]).strip()), date_posted=posted,
        valid_through=valid, codes=codes, extra=extra, source_skills=skills,
    )


def _ateco(raw: dict[str, Any], ref: Reference, codes: dict[str, Any], problems: list[Problem]) -> None:
    code = _code(raw.get("ateco_code"))
    division = _code(raw.get("ateco_division"))
    section = _code(raw.get("ateco_section"))
    path = None
    if code:
        code = code.upper() if code.isalpha() else code
        for scheme in ATECO_SCHEMES:
            if path := ref.ateco_path(code, scheme):
                break
        if path is None:
            problems.append(Problem("ateco_code", f"unknown ATECO code {code!r}"))
    elif division:
        path = ref.ateco_path(division)
        if path is None or path[1] != division:
            problems.append(Problem("ateco_division", f"unknown ATECO 2007 division {division!r}"))
    elif section:
        path = ref.ateco_path(section.upper())
        if path is None or path[2] != section.upper():
            problems.append(Problem("ateco_section", f"unknown ATECO 2007 section {section!r}"))
    codes["ateco_code"] = code
    codes["ateco_division"] = division or (path[1] if path else None)
    codes["ateco_section"] = (section.upper() if section else None) or (path[2] if path else None)


def _merge(problems: list[Problem]) -> list[Problem]:
    by_field: dict[str | None, list[str]] = {}
    for p in problems:
        by_field.setdefault(p.field, []).append(p.reason)
    return [Problem(f, "; ".join(reasons)) for f, reasons in by_field.items()]
