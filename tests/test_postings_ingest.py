"""Ingest of postings end to end: every format, counts, quarantine, dedupe, resume after kill -9, re-ingest,
personal data, source codes next to Regia's - on a writable copy of the imported taxonomy."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from regia.classify import Classifier
from regia.cli import app
from regia.config import get_settings
from regia.db import get_engine, make_engine, migrate, session_factory
from regia.importing.models import QuarantineEntry
from regia.postings import demo_data, facts, privacy, service
from regia.postings.classification import Labeller
from regia.postings.models import LEAD, IngestFile, Posting

PSEUDONYM_KEY = "test-key-for-postings-0123456789abcdef"


@pytest.fixture(scope="module", autouse=True)
def _pseudonym_key() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REGIA_PSEUDONYM_KEY", PSEUDONYM_KEY)
        privacy._key.cache_clear()
        yield
    privacy._key.cache_clear()


@pytest.fixture(scope="module")
def samples(reference_dir: Path) -> Path:
    return reference_dir.parent / "samples"


def copy_taxonomy(source: Engine, target: Path) -> Engine:
    """A writable copy of the (read-only, session) imported taxonomy."""
    src = sqlite3.connect(str(source.url.database))
    dst = sqlite3.connect(str(target))
    src.backup(dst)
    src.close()
    dst.close()
    engine = make_engine(f"sqlite:///{target}")
    migrate(engine)
    return engine


@pytest.fixture
def db(sqlite_taxonomy: Engine, tmp_path: Path) -> Engine:
    return copy_taxonomy(sqlite_taxonomy, tmp_path / "regia.db")


@pytest.fixture(scope="module")
def classifier(sqlite_taxonomy: Engine, tmp_path_factory: pytest.TempPathFactory) -> Classifier:
    return Classifier.from_engine(sqlite_taxonomy, cache_dir=tmp_path_factory.mktemp("classify-cache"))


@pytest.fixture(scope="module")
def demo(sqlite_taxonomy: Engine, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("demo")
    demo_data.generate(sqlite_taxonomy, out, n=1500, seed=11)
    return out, json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def held_by_place(engine: Engine) -> dict[tuple[str, int], Posting]:
    with session_factory(engine)() as session:
        rows = session.execute(select(Posting, IngestFile.name).join(IngestFile, IngestFile.id == Posting.file_id))
        return {(name, p.line): p for p, name in rows}


def quarantine_rows(engine: Engine) -> list[QuarantineEntry]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(QuarantineEntry).where(QuarantineEntry.domain == "postings")))


# ------------------------------------------------------------------------------------------------ samples
def test_feed_and_jsonld_samples_with_source_and_regia_codes(db: Engine, samples: Path, classifier: Classifier,
                                                              tmp_path: Path) -> None:
    facts_dir = tmp_path / "facts"
    feed = [samples / "oja-feed" / "postings.csv", samples / "oja-feed" / "skills.csv"]
    with Labeller(classifier) as labeller:
        result = service.ingest(db, feed, labeller=labeller, facts_dir=facts_dir)
        assert result.counts.as_dict() == {"read": 3, "stored": 3, "duplicate": 0, "rejected": 0}
        ld = service.ingest(db, [samples / "jobposting-jsonld" / "postings.json"], labeller=labeller,
                            facts_dir=facts_dir)
    assert ld.counts.as_dict() == {"read": 1, "stored": 1, "duplicate": 0, "rejected": 0}
    with session_factory(db)() as session:
        rows = {p.source_id: p for p in session.scalars(select(Posting))}
    bg = rows["900001"]
    assert (bg.comune, bg.nuts3, bg.ateco_division, bg.ateco_section, bg.isco_source) == (
        "016024", "ITC46", "29", "C", "7233")
    assert bg.occupation_regia is not None and bg.isco_regia is not None  # Regia's classifier, beside the source
    assert bg.skills_source == 1 and bg.skills_regia >= 1
    lc = rows["LC-2026-0117"]
    assert (lc.comune, lc.nuts3, lc.working_hours, lc.feed) == ("097013", "ITC43", "Full time", "jsonld")
    con = facts.connect(facts_dir)
    origins = dict(con.execute("select origin, count(*) from posting_skills group by origin").fetchall())
    assert origins.get("source") == 2 and origins.get("regia", 0) >= 3
    digital = con.execute("select digital, digital_source from posting_skills where origin = 'source' and "
                          "skill_uri like '%1973c966%'").fetchone()
    assert digital == (True, True)


def _jsonld_of_feed_row(row: dict[str, str]) -> dict[str, object]:
    """The same posting as a job board publishes it: HTML text, the employer's legal form spelled otherwise."""
    return {
        "@context": "https://schema.org", "@type": "JobPosting",
        "identifier": {"@type": "PropertyValue", "name": "Bacheca Bergamo", "value": "BG-77"},
        "title": row["title"] + " (m/f)",
        "description": "<p>" + row["description"].replace(". ", ".</p><p>", 2) + "</p>",
        "datePosted": "2026-03-04", "validThrough": "2026-04-03", "employmentType": "FULL_TIME",
        "hiringOrganization": {"@type": "Organization", "name": row["companyname"].replace("Srl", "S.r.l.")},
        "jobLocation": {"@type": "Place", "address": {"@type": "PostalAddress", "addressLocality": row["city"],
                                                      "addressRegion": "BG", "addressCountry": "IT"}},
    }


@pytest.mark.parametrize("jsonld_first", [False, True])
def test_jsonld_and_two_file_feed_of_the_same_posting_are_one_demand_unit(
        db: Engine, samples: Path, tmp_path: Path, jsonld_first: bool) -> None:
    with (samples / "oja-feed" / "postings.csv").open(encoding="utf-8") as fh:
        row = next(csv.DictReader(fh))
    ld = tmp_path / "board.json"
    ld.write_text(json.dumps([_jsonld_of_feed_row(row)], ensure_ascii=False), encoding="utf-8")
    feed = [samples / "oja-feed" / "postings.csv", samples / "oja-feed" / "skills.csv"]
    facts_dir = tmp_path / "facts"
    runs = [[ld], feed] if jsonld_first else [feed, [ld]]
    results = [service.ingest(db, files, facts_dir=facts_dir) for files in runs]
    second = results[1].counts
    assert second.duplicate == 1 and second.stored == (2 if jsonld_first else 0)
    con = facts.connect(facts_dir)
    n_rows, demand = con.execute("select count(*), count(distinct group_id) from postings").fetchone()
    assert demand == 3  # the three postings of the feed, the JSON-LD one among them
    with session_factory(db)() as session:
        same = session.scalars(select(Posting.group_id).where(Posting.source_id.in_(["900001", "BG-77"]))).all()
    assert len(set(same)) == 1
    assert n_rows in (3, 4)  # stored again only as a near-duplicate, never as a second demand unit


# ------------------------------------------------------------------------------------------------ demo data
def test_demo_files_counts_quarantine_duplicates_and_reingest(db: Engine, demo: tuple[Path, dict],
                                                               classifier: Classifier, tmp_path: Path) -> None:
    out, manifest = demo
    files = demo_data.input_files(out)
    facts_dir = tmp_path / "facts"
    with Labeller(classifier) as labeller:
        result = service.ingest(db, files, labeller=labeller, facts_dir=facts_dir, batch_size=300)
    counts = result.counts
    assert counts.read == manifest["records"]
    assert counts.stored + counts.duplicate + counts.rejected == counts.read
    for f in result.files:
        c = f.counts
        assert c.stored + c.duplicate + c.rejected == c.read == manifest["postings"][f.file]
    assert counts.rejected == len(manifest["bad_rows"])

    # the quarantine lists every planted bad row, with its reason
    entries = {(e.file, e.line): e for e in quarantine_rows(db)}
    for bad in manifest["bad_rows"] + manifest["bad_skill_rows"]:
        entry = entries.get((bad["file"], bad["line"]))
        assert entry is not None, bad
        assert bad["reason"].lower() in entry.reason.lower() or (bad["reason"] == "truncated" and (
            "truncated" in entry.reason or "fields" in entry.reason)), (bad, entry.reason)
        if bad["field"]:
            assert entry.field == bad["field"], (bad, entry.field)
    assert len(entries) == len(manifest["bad_rows"]) + len(manifest["bad_skill_rows"])

    # planted duplicates are counted once
    held = held_by_place(db)
    for dup in manifest["duplicates"]:
        original, copy = held.get(tuple(dup["original"])), held.get(tuple(dup["copy"]))
        if dup["kind"] in ("exact", "rescrape"):
            assert original is None or copy is None, dup  # one of the two is not stored again
        elif original is not None:
            assert copy is not None and original.group_id == copy.group_id, dup
        else:  # the original was itself an exact duplicate of an ad ingested before it: its group holds the copy
            assert copy is not None, dup
            with session_factory(db)() as session:
                assert len(service.group_of(session, copy.id)) >= 2, dup
    with session_factory(db)() as session:
        leads = session.scalar(select(func.count(Posting.id)).where(Posting.dedup == LEAD))
        stored_rows = session.scalar(select(func.count(Posting.id)))
        assert session.scalar(select(func.count(Posting.id)).where(Posting.synthetic.is_(False))) == 0
    assert leads == counts.stored

    con = facts.connect(facts_dir)
    n_rows, demand, skills = con.execute(
        "select count(*), count(distinct group_id), (select count(*) from posting_skills) from postings").fetchone()
    assert (n_rows, demand) == (stored_rows, counts.stored) and skills > n_rows
    # personal data never stored
    texts = [t for (t,) in con.execute("select title || ' ' || description from postings").fetchall()]
    assert manifest["with_personal_data"] > 0
    assert not [t for t in texts if "@" in t or re.search(r"\b3\d{2} \d{7}\b|\b0\d{3} \d{6}\b", t)]
    assert sum(privacy.PHONE in t or privacy.EMAIL in t or privacy.NAME in t for t in texts) > 0

    # re-ingest: nothing new
    again = service.ingest(db, files, facts_dir=facts_dir)
    c2 = again.counts
    assert (c2.read, c2.stored, c2.duplicate, c2.rejected) == (counts.read, 0, counts.read - counts.rejected,
                                                                counts.rejected)
    con = facts.connect(facts_dir)
    assert con.execute("select count(*) from postings").fetchone()[0] == n_rows
    with session_factory(db)() as session:
        assert session.scalar(select(func.count(Posting.id))) == stored_rows
    assert len(quarantine_rows(db)) == len(entries)


# ------------------------------------------------------------------------------------------------ resume
def _cli_env(db_path: Path, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGIA_")}
    env.update({"REGIA_DATABASE_URL": f"sqlite:///{db_path}", "REGIA_DATA_DIR": str(data_dir),
                "REGIA_PSEUDONYM_KEY": PSEUDONYM_KEY, "REGIA_REFERENCE_DIR": os.environ.get(
                    "REGIA_REFERENCE_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "data"))})
    return env


def _regia(*args: str) -> list[str]:
    return [sys.executable, "-c", "from regia.cli import app; app()", *args]


def _facts_summary(data_dir: Path) -> tuple[int, int, int]:
    con = facts.connect(data_dir / "facts" / "postings")
    return con.execute("select (select count(*) from postings), (select count(distinct group_id) from postings), "
                       "(select count(*) from posting_skills)").fetchone()


def test_kill_9_during_ingest_then_rerun_gives_the_counts_of_an_uninterrupted_run(
        sqlite_taxonomy: Engine, demo: tuple[Path, dict], tmp_path: Path) -> None:
    out, manifest = demo
    files = [str(p) for p in demo_data.input_files(out)]
    args = ["ingest", "postings", *files, "--json", "--no-classify", "--batch-size", "25"]

    whole_db, whole_data = tmp_path / "whole.db", tmp_path / "whole"
    copy_taxonomy(sqlite_taxonomy, whole_db).dispose()
    done = subprocess.run(_regia(*args), env=_cli_env(whole_db, whole_data), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    expected = json.loads(done.stdout)
    assert expected["read"] == manifest["records"]

    cut_db, cut_data = tmp_path / "cut.db", tmp_path / "cut"
    copy_taxonomy(sqlite_taxonomy, cut_db).dispose()
    proc = subprocess.Popen(_regia(*args), env=_cli_env(cut_db, cut_data), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    killed_at = 0
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                con = sqlite3.connect(f"file:{cut_db}?mode=ro", uri=True, timeout=1)
                row = con.execute("select coalesce(sum(position), 0) from posting_ingest_file").fetchone()
                con.close()
            except sqlite3.OperationalError:
                row = (0,)
            if row[0] >= 200:
                proc.send_signal(signal.SIGKILL)
                killed_at = row[0]
                break
            time.sleep(0.02)
    finally:
        proc.wait(timeout=60)
    assert killed_at, "the ingest ended before it could be killed: make the demo data larger"
    assert proc.returncode == -signal.SIGKILL
    resumed = subprocess.run(_regia(*args), env=_cli_env(cut_db, cut_data), capture_output=True, text=True,
                             timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout) == expected
    assert _facts_summary(cut_data) == _facts_summary(whole_data)
    for path in (whole_db, cut_db):
        con = sqlite3.connect(path)
        counts = con.execute("select count(*), count(distinct group_id) from posting").fetchone()
        quarantined = con.execute("select count(*) from quarantine where domain = 'postings'").fetchone()
        con.close()
        if path == whole_db:
            reference = (counts, quarantined)
        else:
            assert (counts, quarantined) == reference
    # and once more: a finished run stores nothing new
    again = subprocess.run(_regia(*args), env=_cli_env(cut_db, cut_data), capture_output=True, text=True,
                           timeout=600)
    assert json.loads(again.stdout) == {"read": expected["read"], "stored": 0,
                                        "duplicate": expected["read"] - expected["rejected"],
                                        "rejected": expected["rejected"]}


# ------------------------------------------------------------------------------------------------ fix and retry
def test_fixed_rows_reingested_leave_the_quarantine(db: Engine, samples: Path, tmp_path: Path) -> None:
    lines = (samples / "oja-feed" / "postings.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "postings.csv"
    broken = lines[2].replace(",2026-03-05,", ",2026-02-31,")
    path.write_text("\n".join([lines[0], lines[1], broken, lines[3]]) + "\n", encoding="utf-8")
    first = service.ingest(db, [path], facts_dir=tmp_path / "facts")
    assert first.counts.as_dict() == {"read": 3, "stored": 2, "duplicate": 0, "rejected": 1}
    [entry] = quarantine_rows(db)
    assert (entry.file, entry.line, entry.record_id, entry.field) == ("postings.csv", 3, "900002", "grab_date")
    assert "not a date" in entry.reason
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")  # fixed
    second = service.ingest(db, [path], facts_dir=tmp_path / "facts")
    assert second.counts.as_dict() == {"read": 3, "stored": 1, "duplicate": 2, "rejected": 0}
    assert quarantine_rows(db) == []


# ------------------------------------------------------------------------------------------------ both engines
def test_ingest_and_reingest_on_each_engine(empty_engine: Engine, tmp_path: Path) -> None:
    """Without a taxonomy (places stay unresolved, codes unchecked) the storage works on SQLite and PostgreSQL."""
    text = ("Cerchiamo magazziniere con patentino per carrelli elevatori, gestione ordini e inventario, "
            "utilizzo di terminali in radiofrequenza, disponibilità su tre turni dal lunedì al venerdì.")
    records = [{"@type": "JobPosting", "identifier": f"J{i}", "title": "Magazziniere", "description": text + f" {i}",
                "datePosted": f"2026-01-{10 + i:02d}", "hiringOrganization": f"Logistica {i} Srl"} for i in range(5)]
    records.append({**records[0], "identifier": "J9"})  # the same ad again under another id: exact duplicate
    records.append({**records[1], "identifier": "J10", "description": records[1]["description"] + " Subito."})
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    first = service.ingest(empty_engine, [path], facts_dir=tmp_path / "facts")
    assert first.counts.as_dict() == {"read": 7, "stored": 5, "duplicate": 2, "rejected": 0}
    assert first.files[0].grouped == 1
    again = service.ingest(empty_engine, [path], facts_dir=tmp_path / "facts")
    assert again.counts.as_dict() == {"read": 7, "stored": 0, "duplicate": 7, "rejected": 0}
    with session_factory(empty_engine)() as session:
        seen = dict(session.execute(select(Posting.source_id, Posting.times_seen)).all())
    assert seen["J0"] == 4 and seen["J1"] == 2 and seen["J10"] == 2  # J0 and J9 are one ad, held once


# ------------------------------------------------------------------------------------------------ CLI
@pytest.fixture
def regia(monkeypatch: pytest.MonkeyPatch, db: Engine, tmp_path: Path) -> Iterator[CliRunner]:
    monkeypatch.setenv("REGIA_DATABASE_URL", db.url.render_as_string(hide_password=False))
    monkeypatch.setenv("REGIA_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()
    get_engine.cache_clear()


def test_cli_json_counts_and_quarantine(regia: CliRunner, samples: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "Cuoco", "datePosted": "2026-01-05", "identifier": "C1"}\n'
                   '{"title": "", "datePosted": "2026-01-05", "identifier": "C2"}\n{oops\n', encoding="utf-8")
    result = regia.invoke(app, ["ingest", "postings", str(samples / "jobposting-jsonld" / "postings.json"), str(bad),
                                "--json", "--no-classify"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"read": 4, "stored": 2, "duplicate": 0, "rejected": 2}
    listed = regia.invoke(app, ["ingest", "quarantine", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [(r["file"], r["line"], r["id"], r["source"]) for r in rows] == [
        ("bad.jsonl", 2, "C2", "jsonl"), ("bad.jsonl", 3, None, "jsonl")]
    assert "missing title" in rows[0]["reason"] and "not JSON" in rows[1]["reason"]
    wrong = regia.invoke(app, ["ingest", "postings", str(bad), "--format", "pdf"])
    assert wrong.exit_code == 2
