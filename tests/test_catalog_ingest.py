"""Once-only publishing into the catalogue, on SQLite and PostgreSQL: counts, recognition of the same course
from two sources, edits kept as history, quarantine of bad records, CSV/Excel/JSON alike."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from regia.catalog.ingest import ingest_file
from regia.catalog.models import Course, CourseSource, CourseVersion, Edition
from regia.importing.quarantine import entries
from regia.taxonomy.models import ESSENTIAL_SKILL, CollectionMember, Concept, Label, Relation

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "samples" / "courses" / "courses.csv"
ESCO = "http://data.europa.eu/esco/"
WELDER = ESCO + "occupation/00000000-0000-0000-0000-00000000we1d"
SKILLS = {
    "weld": (ESCO + "skill/00000000-0000-0000-0000-000000000001", "welding techniques"),
    "tig": (ESCO + "skill/00000000-0000-0000-0000-000000000002", "perform tungsten inert gas welding"),
    "blue": (ESCO + "skill/00000000-0000-0000-0000-000000000003", "read standard blueprints"),
    "excel": (ESCO + "skill/00000000-0000-0000-0000-000000000004", "use spreadsheets software"),
}
COMUNI = {"017029": ("Brescia", "ITC47", "BS"), "097042": ("Lecco", "ITC43", "LC"),
          "014061": ("Sondrio", "ITC44", "SO"), "017001": ("Acquafredda", "ITC47", "BS")}
PROVINCES = {"ITC47": ("Brescia", "BS"), "ITC43": ("Lecco", "LC"), "ITC44": ("Sondrio", "SO")}


def add_mini_taxonomy(engine: Engine) -> None:
    """A handful of territories, one occupation with three essential skills, one digital skill."""
    with Session(engine) as s:
        def concept(ctype: str, scheme: str, code: str, label: str, level: str | None = None,
                    attrs: dict[str, object] | None = None, uri: str | None = None) -> Concept:
            c = Concept(type=ctype, scheme=scheme, code=code, uri=uri, level=level, attrs=attrs or {})
            c.labels = [Label(lang="it" if ctype == "territory" else "en", kind="preferred", text=label,
                              norm=label.lower())]
            s.add(c)
            return c

        for nuts3, (name, sigla) in PROVINCES.items():
            concept("territory", "territory", nuts3, name, "province", {"nuts3": nuts3, "sigla": sigla})
        for code, (name, nuts3, sigla) in COMUNI.items():
            concept("territory", "territory", code, name, "comune", {"nuts3": nuts3, "sigla": sigla})
        occ = concept("occupation", "esco", WELDER, "welder", uri=WELDER)
        skills = {k: concept("skill", "esco", uri, label, uri=uri) for k, (uri, label) in SKILLS.items()}
        s.flush()
        for k in ("weld", "tig", "blue"):
            s.add(Relation(source_id=occ.id, target_id=skills[k].id, type=ESSENTIAL_SKILL))
        s.add(CollectionMember(concept_id=skills["excel"].id, collection="digital"))
        s.commit()


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    add_mini_taxonomy(empty_engine)
    return empty_engine


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def count(engine: Engine, model: type) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_sample_file_is_ingested_once_and_re_ingest_is_idempotent(engine: Engine) -> None:
    first = ingest_file(engine, SAMPLE, source="cfv")
    assert first.counts() == {"read": 2, "stored": 2, "duplicate": 0, "rejected": 0}
    again = ingest_file(engine, SAMPLE, source="cfv")
    assert again.counts() == {"read": 2, "stored": 0, "duplicate": 2, "rejected": 0}
    assert (count(engine, Course), count(engine, Edition), count(engine, CourseVersion)) == (2, 2, 2)


def test_same_catalogue_from_two_sources_with_small_edits_is_one_course_with_two_sources(
        engine: Engine, tmp_path: Path) -> None:
    ingest_file(engine, SAMPLE, source="provider")
    fund_rows = rows_of(SAMPLE)
    for row in fund_rows:  # the Fund's own codes, re-worded titles, one more seat
        row["course_code"] = "FND-" + row["course_code"][-2:]
        row["title"] = row["title"].replace("per l'ufficio", "per ufficio").upper()
        row["seats"] = str(int(row["seats"]) + 1)
        row["funding"] = "fondo:Fondimpresa"
    report = ingest_file(engine, write(tmp_path / "fund.csv", fund_rows), source="fondimpresa")
    assert report.counts() == {"read": 2, "stored": 0, "duplicate": 2, "rejected": 0}
    with Session(engine) as s:
        courses = s.scalars(select(Course).order_by(Course.id)).all()
        assert len(courses) == 2
        for course in courses:
            assert sorted(src.source for src in course.sources) == ["fondimpresa", "provider"]
            assert {src.match for src in course.sources} == {"new", "fuzzy"}
            assert len(course.editions) == 1 and course.editions[0].sources == ["provider", "fondimpresa"]
            assert len(course.versions) == 2
            assert "fondo" in {f.channel for f in course.funding}
        # the first publication's title stays; the Fund's wording is in the history
        assert courses[0].title == "Excel avanzato per l'ufficio"
        assert courses[0].versions[1].data["title"] == "EXCEL AVANZATO PER UFFICIO"


def test_an_edited_resend_updates_the_course_and_keeps_its_history(engine: Engine, tmp_path: Path) -> None:
    ingest_file(engine, SAMPLE, source="cfv")
    rows = rows_of(SAMPLE)
    rows[0]["hours"] = "30"
    rows[0]["description"] += " Con esercitazioni."
    rows[1]["start_date"], rows[1]["end_date"] = "2026-09-07", "2026-09-11"  # a second edition
    report = ingest_file(engine, write(tmp_path / "v2.csv", rows), source="cfv")
    assert report.counts() == {"read": 2, "stored": 1, "duplicate": 1, "rejected": 0}
    with Session(engine) as s:
        excel = s.scalars(select(Course).where(Course.course_code == "CFV-EXC-01")).one()
        assert excel.hours == 30
        assert [v.changes for v in excel.versions] == [[], ["description", "hours"]]
        haccp = s.scalars(select(Course).where(Course.course_code == "CFV-HACCP-02")).one()
        assert len(haccp.editions) == 2
    assert count(engine, CourseSource) == 2


def test_bad_records_are_quarantined_with_field_and_reason(engine: Engine, tmp_path: Path) -> None:
    rows = rows_of(SAMPLE)
    bad_vat, bad_place, bad_hours = dict(rows[0]), dict(rows[0]), dict(rows[0])
    bad_vat["provider_vat"] = "01234567890"
    bad_place["comune"], bad_place["course_code"] = "Atlantide", "X-2"
    bad_hours["hours"], bad_hours["course_code"] = "molte", "X-3"
    path = write(tmp_path / "bad.csv", [rows[1], bad_vat, bad_place, bad_hours])
    with path.open("a", encoding="utf-8") as fh:
        fh.write('Ente,"01234567897,unterminated\n')
    report = ingest_file(engine, path, source="cfv")
    assert report.counts() == {"read": 5, "stored": 1, "duplicate": 0, "rejected": 4}
    again = ingest_file(engine, path, source="cfv")
    assert again.counts()["rejected"] == 4
    with Session(engine) as s:
        held = entries(s, domain="courses")
        assert [(e.line, e.field) for e in held] == [(3, "provider_vat"), (4, "comune"), (5, "hours"), (6, None)]
        assert "check digit" in held[0].reason


def test_excel_and_json_give_the_same_catalogue(engine: Engine, tmp_path: Path) -> None:
    from openpyxl import Workbook

    rows = rows_of(SAMPLE)
    book = Workbook()
    sheet = book.active
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append([int(v) if k in ("hours", "seats") else v for k, v in row.items()])
    book.save(tmp_path / "c.xlsx")
    json_rows = [{**r, "targets": r["targets"].split(";")} for r in rows]
    (tmp_path / "c.json").write_text(json.dumps(json_rows), encoding="utf-8")
    assert ingest_file(engine, tmp_path / "c.xlsx", source="xlsx").counts() == \
        {"read": 2, "stored": 2, "duplicate": 0, "rejected": 0}
    # the same courses again by another source, in JSON: recognised by their natural key
    assert ingest_file(engine, tmp_path / "c.json", source="json").counts() == \
        {"read": 2, "stored": 0, "duplicate": 2, "rejected": 0}
    with Session(engine) as s:
        matches = s.execute(text("select match from catalog_course_source order by id")).scalars().all()
    assert matches == ["new", "new", "natural_key", "natural_key"]
    assert count(engine, Course) == 2


def test_declared_skills_and_digital_flag(engine: Engine, tmp_path: Path) -> None:
    rows = rows_of(SAMPLE)
    rows[0]["skills"] = SKILLS["excel"][0]
    rows[1]["skills"] = ""
    ingest_file(engine, write(tmp_path / "s.csv", rows), source="cfv")
    with Session(engine) as s:
        excel = s.scalars(select(Course).where(Course.course_code == "CFV-EXC-01")).one()
        assert [(k.uri, k.origin, k.confirmed) for k in excel.skills] == [(SKILLS["excel"][0], "provider", True)]
        assert excel.digital is True
