"""schema.org ``JobPosting`` as job boards publish it: a JSON array, one object, an ``@graph``, or the
``<script type="application/ld+json">`` blocks of an HTML page. Also the mapping used by JSON Lines."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

from regia.importing.csvfile import read_text
from regia.postings.formats import table
from regia.postings.formats.base import Input, RawPosting, ReadError, SourceSkill
from regia.taxonomy.codes import CP2011_CODE, ESCO_OCCUPATION_URI, ESCO_SKILL_URI, ISCO_UNIT_GROUP

_SCRIPT = re.compile(r"<script[^>]*type\s*=\s*[\"']application/ld\+json[\"'][^>]*>(.*?)</script>",
                     re.IGNORECASE | re.DOTALL)
_BLOCK_TAG = re.compile(r"<\s*(?:br|/p|/li|/div|/h\d|/tr|p|li|ul|ol)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_JOBPOSTING_TYPE = re.compile(r'"@type"\s*:\s*"(?:https?://schema\.org/)?JobPosting"')
_NEXT_OBJECT = re.compile(r",?\s*\n\s*(?=\{)")


def html_to_text(value: str) -> str:
    if "<" not in value and "&" not in value:
        return value.strip()
    text = _BLOCK_TAG.sub("\n", value)
    text = html.unescape(_TAG.sub("", text))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return "\n".join(line for line in lines if line).strip()


def _text(value: Any) -> str:
    """A readable string of a schema.org value (string, Thing with name, list)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return ", ".join(t for t in (_text(v) for v in value) if t)
    if isinstance(value, dict):
        for k in ("name", "value", "codeValue", "termCode", "credentialCategory", "@id", "url"):
            if value.get(k):
                return _text(value[k])
    return ""


def _types(obj: dict[str, Any]) -> set[str]:
    t = obj.get("@type", "")
    return {str(x).rsplit("/", 1)[-1] for x in (t if isinstance(t, list) else [t])}


def _salary(value: Any) -> str:
    if not isinstance(value, dict):
        return _text(value)
    inner = value.get("value", value)
    currency = value.get("currency", "")
    if isinstance(inner, dict):
        lo, hi = inner.get("minValue"), inner.get("maxValue")
        amount = f"{lo}-{hi}" if lo is not None and hi is not None else str(inner.get("value") or lo or hi or "")
        unit = inner.get("unitText", "")
    else:
        amount, unit = str(inner), ""
    return " ".join(x for x in (amount, currency, unit) if x).strip()


def _experience(value: Any) -> str:
    if isinstance(value, dict) and value.get("monthsOfExperience") is not None:
        return f"{value['monthsOfExperience']} mesi"
    return _text(value)


def _occupation(value: Any, out: dict[str, Any]) -> None:
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            code = _text(item.get("codeValue") or item.get("termCode") or item.get("@id") or item.get("url"))
            name = _text(item.get("name"))
        else:
            code, name = _text(item), ""
        if ESCO_OCCUPATION_URI.match(code):
            out.setdefault("occupation", code)
        elif ISCO_UNIT_GROUP.match(code):
            out.setdefault("isco", code)
        elif CP2011_CODE.match(code):
            out.setdefault("cp", code)
        elif code or name:
            out.setdefault("occupation_label", name or code)


def _skills(value: Any) -> tuple[str, list[SourceSkill]]:
    names: list[str] = []
    found: list[SourceSkill] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            uri = _text(item.get("url") or item.get("@id") or item.get("termCode"))
            name = _text(item.get("name"))
            if ESCO_SKILL_URI.match(uri):
                found.append(SourceSkill(uri, name))
            if name:
                names.append(name)
        elif isinstance(item, str):
            if ESCO_SKILL_URI.match(item.strip()):
                found.append(SourceSkill(item.strip()))
            else:
                names.append(item.strip())
    return ", ".join(n for n in names if n), found


def map_jobposting(obj: dict[str, Any]) -> tuple[dict[str, Any], list[SourceSkill]]:
    """Regia's fields and the source's skills from one JobPosting object."""
    f: dict[str, Any] = {}
    ident = obj.get("identifier")
    if isinstance(ident, list):
        ident = ident[0] if ident else None
    if isinstance(ident, dict):
        f["id"] = _text(ident.get("value") or ident.get("@id"))
        if ident.get("name"):
            f["id_scope"] = f["board"] = _text(ident.get("name"))
    elif ident is not None:
        f["id"] = _text(ident)
    for key, name in (("title", "title"), ("datePosted", "date_posted"), ("validThrough", "valid_through"),
                      ("workHours", "working_hours"), ("url", "url"), ("industry", "sector"),
                      ("educationRequirements", "education")):
        if obj.get(key) not in (None, ""):
            f[name] = _text(obj[key])
    if obj.get("description"):
        f["description"] = html_to_text(_text(obj["description"]))
    if obj.get("title"):
        f["title"] = html_to_text(f["title"])
    org = obj.get("hiringOrganization")
    if org:
        f["employer"] = _text(org)
    if obj.get("experienceRequirements") is not None:
        f["experience"] = _experience(obj["experienceRequirements"])
    if obj.get("employmentType"):
        f["employment_type"] = _text(obj["employmentType"])
    for key in ("baseSalary", "estimatedSalary"):
        if obj.get(key) and "salary" not in f:
            f["salary"] = _salary(obj[key])
    places = obj.get("jobLocation")
    place = (places[0] if places else None) if isinstance(places, list) else places
    if isinstance(place, dict):
        address = place.get("address", place)
        if isinstance(address, dict):
            for key, name in (("addressLocality", "comune"), ("addressRegion", "province"),
                              ("postalCode", "postal_code"), ("addressCountry", "country")):
                if address.get(key):
                    f[name] = _text(address[key])
        elif address:
            f["location"] = _text(address)
    elif isinstance(place, str):
        f["location"] = place
    if obj.get("occupationalCategory"):
        _occupation(obj["occupationalCategory"], f)
    skills: list[SourceSkill] = []
    if obj.get("skills"):
        f["skills_text"], skills = _skills(obj["skills"])
    if "board" not in f and f.get("url"):
        f["board"] = urlparse(str(f["url"])).netloc or None
    # flat, OJA-style keys in a JSON object are accepted too
    flat = table.fields(obj, table.column_map([k for k in obj if isinstance(obj.get(k), str | int | float)]))
    for k, v in flat.items():
        f.setdefault(k, str(v))
    return {k: v for k, v in f.items() if v not in (None, "")}, skills


def postings_of(value: Any, *, strict: bool) -> Iterator[dict[str, Any] | str]:
    """JobPosting objects in a parsed JSON value; with ``strict`` a reason string for what is not one."""
    if isinstance(value, list):
        for item in value:
            yield from postings_of(item, strict=strict)
    elif isinstance(value, dict):
        if "@graph" in value:
            yield from postings_of(value["@graph"], strict=False)
        elif "JobPosting" in _types(value) or (not value.get("@type") and "title" in value):
            yield value
        elif strict:
            yield f"@type {value.get('@type')!r} is not JobPosting"
    elif strict:
        yield f"not a JSON object: {type(value).__name__}"


def _line_at(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


class JsonLdReader:
    name = "jsonld"

    def count(self, source: Input) -> int | None:
        return len(_JOBPOSTING_TYPE.findall(read_text(source.path))) or None

    def read(self, source: Input) -> Iterator[RawPosting | ReadError]:
        text = read_text(source.path)
        name = source.path.name
        stripped = text.lstrip()
        ordinal = 0
        if stripped.startswith("<"):
            for m in _SCRIPT.finditer(text):
                line = _line_at(text, m.start(1))
                try:
                    value = json.loads(m.group(1))
                except json.JSONDecodeError as exc:
                    yield ReadError(name, line + exc.lineno - 1, ordinal, f"invalid JSON-LD block: {exc.msg}",
                                    m.group(1)[:2000])
                    ordinal += 1
                    continue
                for obj in postings_of(value, strict=False):
                    assert isinstance(obj, dict)
                    fields, skills = map_jobposting(obj)
                    yield RawPosting(name, line, ordinal, fields, json.dumps(obj, ensure_ascii=False)[:2000], skills)
                    ordinal += 1
            return
        if not stripped.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                yield ReadError(name, exc.lineno, 0, f"not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                                text[:2000])
                return
            for item in postings_of(value, strict=True):
                yield self._one(name, 1, ordinal, item)
                ordinal += 1
            return
        # a JSON array: decode element by element, so that each has its line and a bad one is not fatal
        decoder = json.JSONDecoder()
        pos = text.index("[") + 1
        end = len(text)
        line, counted = 1, 0  # line number at offset ``counted``, advanced incrementally
        while pos < end:
            while pos < end and text[pos] in " \t\r\n,":
                pos += 1
            if pos >= end or text[pos] == "]":
                break
            line += text.count("\n", counted, pos)
            counted = pos
            try:
                value, nxt = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as exc:
                nxt_obj = _NEXT_OBJECT.search(text, exc.pos if exc.pos > pos else pos + 1)
                resume = nxt_obj.end() if nxt_obj else end
                yield ReadError(name, line, ordinal, f"invalid JSON object: {exc.msg}", text[pos:resume][:2000])
                ordinal += 1
                pos = resume
                continue
            for item in postings_of(value, strict=True):
                yield self._one(name, line, ordinal, item, text[pos:nxt])
                ordinal += 1
            pos = nxt

    @staticmethod
    def _one(name: str, line: int, ordinal: int, item: dict[str, Any] | str, raw: str = "") -> RawPosting | ReadError:
        if isinstance(item, str):
            return ReadError(name, line, ordinal, item, raw[:2000])
        fields, skills = map_jobposting(item)
        return RawPosting(name, line, ordinal, fields, (raw or json.dumps(item, ensure_ascii=False))[:2000], skills)
