"""Taxonomy import on both engines: counts, idempotency, quarantine of malformed rows."""

from __future__ import annotations

import csv
import gzip
import io
import shutil
from pathlib import Path

from sqlalchemy import Engine, func, select

from regia.db import session_factory
from regia.importing import quarantine
from regia.taxonomy import models as m
from regia.taxonomy import service
from regia.taxonomy.importer import import_reference


def test_full_reference_data_counts(taxonomy_engine: Engine) -> None:
    with session_factory(taxonomy_engine)() as session:
        stats = service.stats(session)
        assert stats.skills >= 13_800
        assert stats.occupations >= 3_000
        assert stats.occupation_skill_relations >= 120_000
        assert stats.isco_groups == 619 and stats.isco_groups_with_label["it"] == 619
        assert stats.occupations_with_label["it"] >= 2_900
        assert stats.occupations_with_label["en"] == stats.occupations
        assert stats.cp2011_units == 800
        assert stats.ateco["2025"] >= 3_200 and stats.ateco["2007"] >= 3_000 and stats.ateco["2022"] >= 3_000
        assert stats.provinces == 107 and stats.provinces_with_geometry == 107
        assert stats.comuni >= 7_800 and stats.regions == 20 + 1  # Trentino-Alto Adige counts its two NUTS2
        lombardy = session.scalars(
            select(m.Concept.code).where(m.Concept.level == "province", m.Concept.code.like("ITC4%"))
        ).all()
        assert sorted(lombardy) == sorted(
            ["ITC41", "ITC42", "ITC43", "ITC44", "ITC46", "ITC47", "ITC48", "ITC49", "ITC4A", "ITC4B", "ITC4C",
             "ITC4D"])


def test_reimport_changes_nothing(taxonomy_engine: Engine, reference_dir: Path) -> None:
    with session_factory(taxonomy_engine)() as session:
        before = service.stats(session).model_dump()
        labels = session.scalar(select(func.count(m.Label.id)))
    report = import_reference(taxonomy_engine, reference_dir)
    assert report.totals["stored"] == 0
    assert report.totals["unchanged"] > 200_000
    with session_factory(taxonomy_engine)() as session:
        assert service.stats(session).model_dump() == before
        assert session.scalar(select(func.count(m.Label.id))) == labels


def _subset(src: Path, dst: Path, n: int) -> list[list[str]]:
    """First n records of a gzipped ESCO CSV, rewritten plain (so that lines can be damaged)."""
    with gzip.open(src, "rt", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        rows = [next(reader) for _ in range(n + 1)]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    dst.write_text(buf.getvalue(), encoding="utf-8")
    return rows


def test_malformed_rows_are_quarantined_and_the_rest_imported(
    empty_engine: Engine, reference_dir: Path, tmp_path: Path
) -> None:
    esco = reference_dir / "esco" / "en_v1.1.1"
    root = tmp_path / "ref"
    root.mkdir()
    skills = _subset(esco / "skills_en.csv.gz", root / "skills_en.csv", 300)
    shutil.copy(esco / "ISCOGroups_en.csv.gz", root)
    text = (root / "skills_en.csv").read_text(encoding="utf-8")
    # Plant a bad URI in record 10 and truncate record 50 in the middle of a quoted, multi-line cell.
    bad_uri = skills[10][1]
    text = text.replace(bad_uri, "http://example.org/not-esco/" + bad_uri[-8:], 1)
    bad_line = text[: text.index("http://example.org/not-esco/")].count("\n") + 1
    victim = skills[50][1]
    start = text.index(victim)
    quote = text.index('"', start)
    line_end = text.index("\n", quote)
    next_record = text.index("KnowledgeSkillCompetence,", line_end)
    text = text[: line_end] + "\n" + text[next_record:]
    (root / "skills_en.csv").write_text(text, encoding="utf-8")

    report = import_reference(empty_engine, root)
    skills_report = next(f for f in report.files if f.file == "skills_en.csv")
    assert skills_report.rejected == 2
    assert skills_report.stored == 298
    assert skills_report.read == 300
    with session_factory(empty_engine)() as session:
        assert service.stats(session).skills == 298
        held = set(session.scalars(select(m.Concept.uri).where(m.Concept.type == m.SKILL)))
        assert {r[1] for r in skills[1:]} - held == {bad_uri, victim}
        assert skills[51][1] in held  # the record after the truncated one survived
        entries = quarantine.entries(session, domain="taxonomy")
        assert len(entries) == 2
        by_line = {e.line: e for e in entries}
        assert all(e.file == "skills_en.csv" for e in entries)
        uri_entry = next(e for e in entries if e.field == "conceptUri")
        assert "not an ESCO concept URI" in uri_entry.reason and uri_entry.line == bad_line
        truncated = next(e for e in entries if e.field is None)
        assert "truncated line or unbalanced quote" in truncated.reason and victim in (truncated.raw or "")
        assert truncated.line == text[: text.index(victim)].count("\n") + 1
        assert len(by_line) == 2
    # Importing again reports the same rejections and adds nothing, not even to the quarantine.
    again = import_reference(empty_engine, root)
    skills_again = next(f for f in again.files if f.file == "skills_en.csv")
    assert (skills_again.stored, skills_again.unchanged, skills_again.rejected) == (0, 298, 2)
    with session_factory(empty_engine)() as session:
        assert len(quarantine.entries(session, domain="taxonomy")) == 2
    assert "ESCO occupations_<lang>.csv" in report.missing


def test_changed_row_is_updated_not_duplicated(empty_engine: Engine, reference_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "ref"
    root.mkdir()
    rows = _subset(reference_dir / "esco" / "en_v1.1.1" / "skills_en.csv.gz", root / "skills_en.csv", 20)
    import_reference(empty_engine, root)
    uri, old_label = rows[5][1], rows[5][4]
    (root / "skills_en.csv").write_text(
        (root / "skills_en.csv").read_text(encoding="utf-8").replace(old_label, "renamed skill label", 1),
        encoding="utf-8")
    report = import_reference(empty_engine, root)
    skills_report = next(f for f in report.files if f.file == "skills_en.csv")
    assert (skills_report.stored, skills_report.unchanged) == (1, 19)
    with session_factory(empty_engine)() as session:
        detail = service.get_concept(session, uri, lang="en")
        assert detail.labels["en"].preferred == ["renamed skill label"]
        assert service.stats(session).skills == 20


def test_unknown_files_are_reported_not_fatal(empty_engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "mystery.csv").write_text("a,b\n1,2\n")
    report = import_reference(empty_engine, tmp_path)
    assert report.unknown == ["mystery.csv"]
    assert "ESCO skills_<lang>.csv" in report.missing
    # ATECO and comuni come from packages, so they are there even without files.
    with session_factory(empty_engine)() as session:
        stats = service.stats(session)
        assert stats.ateco["2025"] >= 3_200 and stats.comuni >= 7_800
