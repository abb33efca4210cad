"""The IeFP repertory import: CSV and JSON, idempotent, versions by content hash, quarantine with file, line,
field and reason, resumable after an interruption; the validator never fails on odd input (hypothesis)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from regia.db import session_scope
from regia.iefp import figures
from regia.iefp.figures import CSV_COLUMNS, Invalid, References, ingest_figures, validate_competence, validate_figure
from regia.iefp.models import Figure, FigureVersion, ImportRun
from regia.importing.models import QuarantineEntry

DEMO = Path(figures.__file__).parent / "data" / "demo_figures.json"


def demo_figures() -> list[dict[str, Any]]:
    return json.loads(DEMO.read_text(encoding="utf-8"))["figures"]


def write_json(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"figures": items}, ensure_ascii=False), encoding="utf-8")
    return path


def write_csv(path: Path, items: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fp:
        w = csv.writer(fp)
        w.writerow(CSV_COLUMNS)
        for f in items:
            for c in f["competences"]:
                w.writerow([f["code"], f["kind"], f["title"], f.get("title_en", ""), f.get("eqf_level", ""),
                            f.get("years", ""), f.get("description", ""), "|".join(f["ateco"]), "|".join(f["cp2011"]),
                            "|".join(f["esco_occupations"]), c["code"], c["title"], c["kind"],
                            "|".join(c["esco_skills"])])
    return path


def versions(engine: Engine) -> dict[str, list[int]]:
    with session_scope(engine) as session:
        out: dict[str, list[int]] = {}
        for code, number in session.execute(select(Figure.code, FigureVersion.number).join(
                FigureVersion, FigureVersion.figure_id == Figure.id).order_by(Figure.code, FigureVersion.number)):
            out.setdefault(code, []).append(number)
        return out


def test_json_import_is_idempotent_and_versions_changed_content(empty_engine: Engine, tmp_path: Path) -> None:
    items = demo_figures()
    first = ingest_figures(empty_engine, write_json(tmp_path / "rep.json", items), demo=True)
    assert (first.read, first.stored, first.duplicate, first.rejected) == (8, 8, 0, 0)
    again = ingest_figures(empty_engine, tmp_path / "rep.json")
    assert (again.read, again.stored, again.duplicate, again.rejected) == (8, 0, 8, 0)
    assert all(v == [1] for v in versions(empty_engine).values())

    # the order of lists carries no meaning: the same content in another order is unchanged
    items[0]["ateco"].reverse()
    items[0]["competences"].reverse()
    assert ingest_figures(empty_engine, write_json(tmp_path / "reordered.json", items)).stored == 0

    items[0]["competences"][0]["title"] += " (rivista)"
    changed = ingest_figures(empty_engine, write_json(tmp_path / "rep2.json", items), source="repertorio-2027")
    assert (changed.stored, changed.duplicate, changed.versions_new, changed.figures_new) == (1, 7, 1, 0)
    held = versions(empty_engine)
    assert held[items[0]["code"]] == [1, 2]  # the older version stays
    with session_scope(empty_engine) as session:
        figure = session.scalar(select(Figure).where(Figure.code == items[0]["code"]))
        assert figure is not None and figure.current_version == 2 and figure.demo is False
        v1, v2 = figure.versions
        assert v1.content_hash != v2.content_hash and v2.source == "repertorio-2027"
        assert any(c.title.endswith("(rivista)") for c in figures.current(session, figure).competences)
        assert not any(c.title.endswith("(rivista)") for c in v1.competences)


def test_csv_rejects_a_figure_whole_and_keeps_its_rows_in_quarantine(empty_engine: Engine, tmp_path: Path) -> None:
    items = demo_figures()[:3]
    items[1]["competences"][2]["kind"] = "segreta"  # one bad competence row of the second figure
    path = write_csv(tmp_path / "rep.csv", items)
    counts = ingest_figures(empty_engine, path)
    assert (counts.read, counts.stored, counts.rejected) == (3, 2, 1)
    assert set(versions(empty_engine)) == {items[0]["code"], items[2]["code"]}
    with session_scope(empty_engine) as session:
        rows = session.scalars(select(QuarantineEntry).where(QuarantineEntry.domain == "iefp-figures")
                               .order_by(QuarantineEntry.line)).all()
        n_rows = len(items[1]["competences"])
        assert len(rows) == n_rows  # every row of the refused figure
        bad_line = 1 + len(items[0]["competences"]) + 3  # header, first figure's rows, then its third row
        bad = next(r for r in rows if r.line == bad_line)
        assert bad.field == "competence_kind" and "segreta" in bad.reason and bad.file == str(path)
        assert all(r.record_id == items[1]["code"] for r in rows)
        assert all(items[1]["code"] in r.reason for r in rows if r.line != bad_line)
    again = ingest_figures(empty_engine, path)  # no new quarantine rows, nothing stored twice
    assert (again.stored, again.duplicate, again.rejected) == (0, 2, 1)
    with session_scope(empty_engine) as session:
        assert session.scalar(select(func.count(QuarantineEntry.id))) == n_rows


FAULTS: list[tuple[Any, str, str]] = [
    (lambda f: f.update(kind="diploma", eqf_level=3), "eqf_level", "EQF level 4"),
    (lambda f: f.update(years=4, eqf_level=None), "years", "lasts 3 years"),
    (lambda f: f.update(code="minuscolo e spazi"), "code", "not a figure code"),
    (lambda f: f.update(ateco=["99.99.99.9"]), "ateco", "not a valid ATECO"),
    (lambda f: f.update(cp2011=["7"]), "cp2011", "not a valid CP2011"),
    (lambda f: f.update(esco_occupations=["http://example.org/x"]), "esco_occupations", "not a valid ESCO"),
    (lambda f: f.update(competences=[]), "competences", "at least one competence"),
    (lambda f: f["competences"].append(dict(f["competences"][0])), "competence_code", "appears twice"),
    (lambda f: f["competences"][0].update(esco_skills=["nope"]), "competences[0].esco_skills", "ESCO skill"),
]


def test_json_rejections_name_line_field_and_reason(empty_engine: Engine, tmp_path: Path) -> None:
    good = demo_figures()[1]
    items = []
    for n, (change, _, _) in enumerate(FAULTS):
        bad = json.loads(json.dumps(demo_figures()[0]))
        bad["code"] = f"Q-FAULT{n}"
        change(bad)
        items.append(bad)
    counts = ingest_figures(empty_engine, write_json(tmp_path / "rep.json", [*items, good]))
    assert (counts.read, counts.stored, counts.rejected) == (len(FAULTS) + 1, 1, len(FAULTS))
    with session_scope(empty_engine) as session:
        rows = {r.line: r for r in session.scalars(select(QuarantineEntry))}
    assert sorted(rows) == list(range(1, len(FAULTS) + 1))  # the record's position in the list
    for n, (_, field, reason) in enumerate(FAULTS, start=1):
        assert rows[n].field == field, (n, rows[n].field, rows[n].reason)
        assert reason in rows[n].reason


def test_unreadable_files_store_nothing(empty_engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "rep.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(figures.FormatError, match="not valid JSON"):
        ingest_figures(empty_engine, bad)
    wrong = tmp_path / "rep.csv"
    wrong.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(figures.FormatError, match="missing columns"):
        ingest_figures(empty_engine, wrong)
    assert versions(empty_engine) == {}


class Interrupt(Exception):
    pass


class StopAfter:
    """A progress reporter that interrupts the import after ``n`` advances (as a crash or Ctrl-C would)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def start(self, name: str, total: int | None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        self.n -= 1
        if self.n < 0:
            raise Interrupt


def test_an_interrupted_import_resumes_after_the_last_committed_batch(empty_engine: Engine, tmp_path: Path) -> None:
    path = write_json(tmp_path / "rep.json", demo_figures())
    with pytest.raises(Interrupt):
        ingest_figures(empty_engine, path, batch_size=3, progress=StopAfter(1))  # the second batch is committed
    assert len(versions(empty_engine)) == 6
    resumed = ingest_figures(empty_engine, path, batch_size=3)
    assert resumed.resumed_from == 6 and (resumed.read, resumed.stored) == (2, 2)
    assert len(versions(empty_engine)) == 8 and all(v == [1] for v in versions(empty_engine).values())
    with session_scope(empty_engine) as session:
        run = session.get_one(ImportRun, resumed.run_id)
        assert (run.status, run.position, run.read, run.stored) == ("done", 8, 8, 8)
    fresh = ingest_figures(empty_engine, path, batch_size=3)  # a finished run is not resumed: a new one
    assert (fresh.resumed_from, fresh.read, fresh.duplicate) == (0, 8, 8)


def test_the_demo_set_links_exist_in_the_taxonomy(sqlite_taxonomy: Engine) -> None:
    with session_scope(sqlite_taxonomy) as session:
        refs = References.load(session)
    assert refs.ateco and refs.cp2011 and refs.occupations and refs.skills
    items = figures.read_items(DEMO, refs)
    assert [i.rejections for i in items] == [[]] * 8
    bad = dict(demo_figures()[0], esco_occupations=["http://data.europa.eu/esco/occupation/" + "0" * 8 + "-0000-0000"
                                                    "-0000-" + "0" * 12])
    with pytest.raises(Invalid, match="no such ESCO occupation"):
        validate_figure(bad, [validate_competence(c, refs) for c in bad["competences"]], refs)


# --- the validator on odd input -----------------------------------------------------------------------------

VALUES = st.one_of(st.none(), st.text(max_size=40), st.integers(-5, 10), st.lists(st.text(max_size=20), max_size=3),
                   st.sampled_from(["qualifica", "diploma", "Q-X1", "C", "25.62", "6.2.1.2.0", "3", "4"]))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([*figures.FIGURE_FIELDS, "competence_code", "competence_title",
                                        "competence_kind", "esco_skills"]), VALUES, max_size=12))
def test_the_validator_accepts_or_names_a_field(raw: dict[str, Any]) -> None:
    refs = References()
    try:
        comp = validate_competence(raw, refs, "competence_")
        record = validate_figure(raw, [comp], refs)
    except Invalid as exc:
        assert exc.field and exc.reason
        return
    assert record.kind in ("qualifica", "diploma") and record.competences == (comp,)
    assert figures.CODE.match(record.code)


@settings(max_examples=100, deadline=None)
@given(st.permutations(demo_figures()[0]["competences"]), st.permutations(demo_figures()[0]["ateco"]))
def test_the_content_hash_ignores_the_order_of_lists(comps: list[dict[str, Any]], ateco: list[str]) -> None:
    refs = References()
    base = demo_figures()[0]
    a = validate_figure(base, [validate_competence(c, refs) for c in base["competences"]], refs)
    b = validate_figure(dict(base, ateco=ateco), [validate_competence(c, refs) for c in comps], refs)
    assert a.content() == b.content()


# --- the upload kind of the jobs machinery (regia.jobs): the checkpoint contract ---------------------------

class Stop(Exception):
    """As the job runner's Cancelled: raised by the checkpoint, it rolls the batch in hand back."""


class JobCheckpoint:
    """A checkpoint as the job runner keeps one: position, total, and the batches committed."""

    def __init__(self, position: int = 0, stop_at: int | None = None) -> None:
        self.position, self.stop_at = position, stop_at
        self.rows: int | None = None
        self.batches: list[Any] = []

    def total(self, rows: int | None) -> None:
        self.rows = rows

    def committed(self, session: Any, batch: Any) -> None:
        # called inside the batch's transaction: its figures are already visible in the same session
        assert session.scalar(select(func.count(FigureVersion.id))) >= batch.stored
        if self.stop_at is not None and len(self.batches) == self.stop_at:
            raise Stop
        self.batches.append(batch)
        self.position = batch.position


def test_the_job_checkpoint_commits_with_each_batch_and_a_cancel_keeps_the_earlier_ones(
        empty_engine: Engine, tmp_path: Path) -> None:
    from regia.auth.principal import cli_principal

    path = write_json(tmp_path / "upload.json", demo_figures())
    staff = cli_principal("job")
    first = JobCheckpoint(stop_at=1)
    with pytest.raises(Stop):
        figures.ingest_batches(empty_engine, path, principal=staff, file_name="repertorio.json", checkpoint=first,
                               source="upload", batch_size=3)
    assert first.rows == 8 and [b.position for b in first.batches] == [3]
    assert len(versions(empty_engine)) == 3  # the cancelled batch rolled back
    again = JobCheckpoint(position=first.position)
    counts = figures.ingest_batches(empty_engine, path, principal=staff, file_name="repertorio.json",
                                    checkpoint=again, source="upload", batch_size=3)
    assert [b.position for b in again.batches] == [6, 8] and (counts.read, counts.stored) == (5, 5)
    assert sum(b.read for b in first.batches + again.batches) == 8
    assert len(versions(empty_engine)) == 8
    figures.import_file(empty_engine, path, principal=staff, file_name="repertorio.json",
                        checkpoint=(done := JobCheckpoint()))
    assert [(b.read, b.stored, b.duplicate) for b in done.batches] == [(8, 0, 8)]  # a new job stores nothing twice


def test_a_job_of_someone_who_may_not_import_rejects_every_figure(empty_engine: Engine, tmp_path: Path) -> None:
    from regia.auth.models import OrgType, Role
    from regia.auth.principal import Grant, Principal

    firm = Principal(user_id=9, grants=(Grant(1, OrgType.FIRM, Role.EDITOR),), via="token", label="user:9")
    checkpoint = JobCheckpoint()
    figures.import_file(empty_engine, write_json(tmp_path / "up.json", demo_figures()[:2]), principal=firm,
                        file_name="up.json", checkpoint=checkpoint)
    [batch] = checkpoint.batches
    assert (batch.read, batch.stored, batch.rejected) == (2, 0, 2)
    assert {(r.file, r.field) for r in batch.rejections} == {("up.json", "code")}
    assert versions(empty_engine) == {}
