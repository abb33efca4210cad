"""QRSP standards: the import formats (JSON, CSV), validation with file/line/field/reason, quarantine,
idempotent re-import, versions, resumable batches, Italian search and the ESCO alignment workflow."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from regia.auth.principal import cli_principal
from regia.certification import ingest, standards
from regia.certification.models import Competence, Profile, SkillAlignment
from regia.importing.models import QuarantineEntry

ACTOR = cli_principal("test")
DEMO = json.loads(ingest.DEMO_FILE.read_text(encoding="utf-8"))


def _profile(**changes: Any) -> dict[str, Any]:
    record = json.loads(json.dumps(DEMO["profiles"][0]))
    record.update(changes)
    return record


def _write_json(tmp_path: Path, profiles: list[Any], name: str = "standards.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"source": "test", "profiles": profiles}, ensure_ascii=False), encoding="utf-8")
    return path


def _csv_rows(record: dict[str, Any]) -> list[dict[str, str]]:
    rows = []
    for c in record["competences"]:
        rows.append({"profile_code": record["code"], "profile_version": str(record["version"]),
                     "valid_from": record["valid_from"], "sector_code": record["sector"]["code"],
                     "sector_name": record["sector"]["name"], "profile_title": record["title"],
                     "profile_description": record["description"], "qualification": record["qualification"],
                     "repertory": record["repertory"], "profile_eqf": str(record["eqf_level"]),
                     "ateco": ";".join(record["ateco"]), "cp2011": ";".join(record["cp2011"]),
                     "validity_months": str(record["validity_months"] or ""), "competence_code": c["code"],
                     "competence_title": c["title"], "competence_description": c["description"],
                     "competence_eqf": str(c["eqf_level"]), "abilities": "|".join(c["abilities"]),
                     "knowledge": "|".join(c["knowledge"]), "esco_skills": ";".join(s["uri"] for s in c["esco"])})
    return rows


def _write_csv(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    path = tmp_path / "standards.csv"
    with path.open("w", encoding="utf-8", newline="") as fp:
        writer = csv.DictWriter(fp, fieldnames=ingest.CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_demo_standards_import_once_and_are_labelled_demo(empty_engine: Engine) -> None:
    report = ingest.import_demo(empty_engine, actor=ACTOR)
    assert (report.read, report.stored, report.rejected, report.competences) == (4, 4, 0, 12)
    again = ingest.import_demo(empty_engine, actor=ACTOR)
    assert (again.stored, again.unchanged, again.rejected) == (0, 4, 0)
    with Session(empty_engine) as session:
        assert session.scalar(select(func.count(Profile.id))) == 4
        assert session.scalar(select(func.count(Competence.id))) == 12
        profiles = session.scalars(select(Profile)).all()
        assert all(p.is_demo and "DEMO" in p.repertory and "DEMO" in p.description for p in profiles)
        assert {p.sector_code for p in profiles} == {"MEC", "LOG", "SOC", "DIG"}
        # the file's ESCO alignments are kept as confirmed, with their origin
        alignments = session.scalars(select(SkillAlignment)).all()
        assert alignments and all(a.origin == "import" and a.status == "confirmed" for a in alignments)


def test_csv_and_json_describe_the_same_standard(tmp_path: Path, empty_engine: Engine) -> None:
    record = DEMO["profiles"][1]
    report = ingest.import_standards(empty_engine, _write_csv(tmp_path, _csv_rows(record)), actor=ACTOR)
    assert (report.read, report.stored, report.rejected) == (1, 1, 0), report.as_dict()
    again = ingest.import_standards(empty_engine, _write_json(tmp_path, [record]), actor=ACTOR)
    assert (again.stored, again.unchanged) == (0, 1)  # the same content hash from either format


def test_bad_rows_are_quarantined_with_file_line_field_and_the_valid_ones_stored(tmp_path: Path,
                                                                                 empty_engine: Engine) -> None:
    good = _csv_rows(DEMO["profiles"][0])
    bad = _csv_rows(DEMO["profiles"][1])
    bad[1]["competence_eqf"] = "9"
    disagreeing = _csv_rows(DEMO["profiles"][2])
    disagreeing[2]["profile_title"] = "Un altro titolo"
    path = _write_csv(tmp_path, good + bad + disagreeing)
    report = ingest.import_standards(empty_engine, path, actor=ACTOR)
    assert (report.read, report.stored, report.rejected) == (3, 1, 2), report.as_dict()
    reasons = {(r.line, r.field): r.reason for r in report.rejections}
    assert reasons[(6, "competences[1].eqf_level")].startswith("competences[1].eqf_level: an EQF level")
    assert "differs from line 8" in reasons[(10, "profile_title")]
    with Session(empty_engine) as session:
        kept = session.scalars(select(QuarantineEntry).where(QuarantineEntry.domain == "qrsp")).all()
        assert {(q.file, q.line, q.field) for q in kept} == {("standards.csv", 6, "competences[1].eqf_level"),
                                                            ("standards.csv", 10, "profile_title")}
        # the profile whose rows disagree is rejected whole, never stored with some competences only
        assert {p.code for p in session.scalars(select(Profile))} == {"DEMO-MEC-001"}
    ingest.import_standards(empty_engine, path, actor=ACTOR)  # re-run: quarantine not duplicated
    with Session(empty_engine) as session:
        assert session.scalar(select(func.count(QuarantineEntry.id))) == 2


def test_a_changed_standard_needs_a_new_version_and_the_old_one_stays(tmp_path: Path, empty_engine: Engine) -> None:
    ingest.import_standards(empty_engine, _write_json(tmp_path, [_profile()]), actor=ACTOR)
    changed = _profile(title="Saldatore/saldatrice (rivisto)")
    report = ingest.import_standards(empty_engine, _write_json(tmp_path, [changed]), actor=ACTOR)
    assert report.rejected == 1 and "needs a new version" in report.rejections[0].reason
    assert report.rejections[0].field == "profiles[0].version"
    report = ingest.import_standards(empty_engine, _write_json(tmp_path, [{**changed, "version": 2,
                                                                      "valid_from": "2026-01-01"}]), actor=ACTOR)
    assert report.stored == 1
    with Session(empty_engine) as session:
        assert standards.versions(session, "DEMO-MEC-001") == [1, 2]
        assert standards.get_profile(session, code="DEMO-MEC-001").title.endswith("(rivisto)")
        assert standards.get_profile(session, code="DEMO-MEC-001", version=1).title.startswith("Saldatore/")
        assert [p.version for p in standards.search(session, text="saldatore")] == [2]


def test_import_resumes_from_its_checkpoint(tmp_path: Path, empty_engine: Engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(ingest, "BATCH", 2)
    path = _write_json(tmp_path, DEMO["profiles"])
    report = ingest.import_standards(empty_engine, path, actor=ACTOR, start_at=2)
    assert (report.stored, report.checkpoint) == (2, 4)
    with Session(empty_engine) as session:
        assert {p.code for p in session.scalars(select(Profile))} == {"DEMO-SOC-001", "DEMO-DIG-001"}
    report = ingest.import_standards(empty_engine, path, actor=ACTOR)
    assert (report.stored, report.unchanged) == (2, 2)


def test_malformed_files_are_rejected_with_their_reason(tmp_path: Path, empty_engine: Engine) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{\"profiles\": [", encoding="utf-8")
    report = ingest.import_standards(empty_engine, broken, actor=ACTOR)
    assert report.rejected == 1 and report.rejections[0].reason.startswith("file: not JSON")
    header_only = tmp_path / "header.csv"
    header_only.write_text("profile_code,title\nX,Y\n", encoding="utf-8")
    report = ingest.import_standards(empty_engine, header_only, actor=ACTOR)
    assert report.rejected == 1 and "missing columns" in report.rejections[0].reason


def test_italian_search_is_accent_and_case_insensitive(empty_engine: Engine) -> None:
    ingest.import_demo(empty_engine, actor=ACTOR)
    with Session(empty_engine) as session:
        assert [p.code for p in standards.search(session, text="CARRELLI elevatori")] == ["DEMO-LOG-001"]
        assert [p.code for p in standards.search(session, text="attivita quotidiane")] == ["DEMO-SOC-001"]
        assert [p.code for p in standards.search(session, text="operate forklift")] == ["DEMO-LOG-001"]  # ESCO
        assert [p.code for p in standards.search(session, sector="DIG")] == ["DEMO-DIG-001"]
        assert standards.search(session, text="astronauta") == []


@settings(max_examples=60, deadline=None)
@given(field=st.sampled_from(["code", "version", "valid_from", "eqf_level", "title", "ateco", "cp2011"]),
       value=st.one_of(st.none(), st.text(max_size=12), st.integers(-5, 20), st.lists(st.text(max_size=6),
                                                                                       max_size=3)))
def test_check_names_the_field_of_every_bad_value(field: str, value: Any) -> None:
    record = _profile(**{field: value})
    normalised, problems = standards.check(record)
    if problems:
        assert all(p.field and p.reason for p in problems)
        assert any(p.field.split("[")[0] == field for p in problems), (field, value, problems)
    else:
        assert normalised["code"] and normalised["version"] >= 1 and 1 <= normalised["eqf_level"] <= 8


def test_alignment_suggestions_wait_for_a_person(sqlite_taxonomy: Engine, tmp_path: Path) -> None:
    import shutil

    from regia.db import make_engine

    copy = tmp_path / "taxonomy.db"
    with sqlite_taxonomy.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(sqlite_taxonomy.url.database or "", copy)
    engine = make_engine(f"sqlite:///{copy}")
    from regia.db import migrate

    migrate(engine)
    ingest.import_demo(engine, actor=ACTOR)
    with Session(engine) as session:
        profile = standards.get_profile(session, code="DEMO-LOG-001")
        added = standards.suggest_alignments(engine, session, actor=ACTOR, profile=profile)
        assert added > 0
        suggested = [a for c in profile.competences for a in c.alignments if a.origin == "classifier"]
        assert suggested and all(a.status == "suggested" and a.decided_by is None for a in suggested)
        confirmed_before = sum(len(standards.confirmed_skills(c)) for c in profile.competences)
        standards.decide_alignment(session, actor=ACTOR, alignment_id=suggested[0].id, confirm=True)
        standards.decide_alignment(session, actor=ACTOR, alignment_id=suggested[1].id, confirm=False)
        assert sum(len(standards.confirmed_skills(c)) for c in profile.competences) == confirmed_before + 1
        assert suggested[0].origin == "classifier" and suggested[0].decided_by == "test"
        assert suggested[1].status == "rejected"
        with pytest.raises(Exception, match="already aligned"):
            standards.add_alignment(session, actor=ACTOR, competence_id=suggested[0].competence_id,
                                    esco_uri=suggested[0].esco_uri)
