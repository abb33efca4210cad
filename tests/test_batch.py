"""Batch jobs on the local engine (DuckDB + worker processes) over 2,000 demo postings exported from the store:
classification rows as the classifier ranks them, the needs cube as the analytics layer computes it, loading
it back into the analytics store, bad rows reported, a killed run resumed without doubling anything."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from typer.testing import CliRunner

from regia.analytics.needs import Filters, Needs
from regia.batch import exchange, parts, records, service
from regia.batch.job import Job, JobError
from regia.cli import app
from support.batch_world import BatchWorld, batch_world, cube, kill_mid_run, query, rows


@pytest.fixture(scope="module")
def world(sqlite_taxonomy: Engine, tmp_path_factory: pytest.TempPathFactory) -> BatchWorld:
    return batch_world(sqlite_taxonomy, tmp_path_factory)


def test_classify_rows_are_the_classifiers_rankings(world: BatchWorld) -> None:
    out = world.local("classify")
    manifest = world.manifest("classify")
    exported = pq.read_table(world.export).to_pylist()
    assert manifest["read"] == manifest["written"] == len(exported) and manifest["rejected"] == 0
    result = rows(out, "classify")
    assert len(result) == manifest["rows"]
    assert len({(r[1], r[2], r[6]) for r in result}) == len(result)  # one row per posting x kind x rank
    assert {r[1] for r in result} == {r["id"] for r in exported}
    # month partitions are the postings' months
    months = {r["id"]: r["date_posted"].strftime("%Y-%m") for r in exported}
    assert all(r[0] == months[r[1]] for r in result)
    assert sorted(p.name for p in out.iterdir() if p.name.startswith("month=")) == sorted(
        f"month={m}" for m in set(months.values()))
    # rows are what the classifier computes for the posting's title and text, in its order
    by_id: dict[str, list[tuple]] = {}
    for r in result:
        by_id.setdefault(r[1], []).append(r)
    for posting in exported[:: len(exported) // 25]:
        expected = world.classifier.classify(posting["title"] + "\n" + posting["text"], top_k=20)
        got = sorted(by_id[posting["id"]], key=lambda r: (r[2], r[6]))
        want = [("occupation", m.uri, m.score, m.selected, i) for i, m in enumerate(expected.occupations, 1)] + [
            ("skill", m.uri, m.score, m.selected, i) for i, m in enumerate(expected.skills, 1)]
        assert [(r[2], r[3], r[4], r[5], r[6]) for r in got] == want


def test_needs_cube_is_the_analytics_cube_and_loads_into_the_store(world: BatchWorld, tmp_path: Path) -> None:
    out = world.local("needs")
    manifest = world.manifest("needs")
    shipped = cube(out)
    assert manifest["cube_cells"] == len(shipped) > 0
    # the analytics layer over the job's facts computes the same cube
    dims = list(manifest["dims"])
    needs = Needs(world.engine, out / "facts")
    mine = needs.cube_table(Filters(), dims, flags=True).to_pylist()
    ordered = [*[d for d in dims if d != "month"], "postings", "ads", "digital", "green", "month"]
    assert sorted(tuple(r[c] for c in ordered) for r in mine) == shipped
    # facts: one postings row per exported posting, the same demand units, Regia's skills only (the demo
    # feed's own skills come back as origin 'source')
    con = duckdb.connect()
    n, groups = con.execute(f"SELECT count(*), count(DISTINCT group_id) FROM read_parquet('{out}/facts/postings/*')"
                            ).fetchone()
    held = Needs(world.engine, world.facts_dir).summary(Filters())
    assert (n, groups) == (held["ads"], held["postings"])

    # loaded into an empty analytics store, the pages' figures are the cube's
    store = tmp_path / "facts"
    assert exchange.load(str(out), facts_dir=store, name="cluster")["status"] == "loaded"
    loaded = Needs(world.engine, store)
    assert sorted(tuple(r[c] for c in ordered) for r in loaded.cube_table(Filters(), dims, flags=True).to_pylist()
                  ) == shipped
    assert loaded.summary(Filters())["postings"] == groups
    assert exchange.load(str(out), facts_dir=store, name="cluster")["status"] == "unchanged"
    assert len(list((store / "postings").glob("batch-cluster-*.parquet"))) == len(
        list((out / "facts" / "postings").glob("*.parquet")))
    # the same postings are already in the ingested store: loading them there would count them twice
    with pytest.raises(exchange.LoadError, match="already in the analytics store"):
        exchange.load(str(out), facts_dir=world.facts_dir, name="again")
    # an altered cube is refused
    altered = tmp_path / "altered"
    shutil.copytree(out, altered)
    victim = next((altered / "cube").rglob("*.parquet"))
    table = pq.read_table(victim)
    pq.write_table(table.slice(1), victim)
    with pytest.raises(exchange.LoadError, match="not the cube of its facts"):
        exchange.load(str(altered), facts_dir=tmp_path / "other")


def _bad_input(world: BatchWorld, target: Path) -> dict[int, tuple[str | None, str]]:
    """A JSON Lines input: 60 exported postings and, between them, lines that break one rule each
    (line number -> expected field and reason fragment)."""
    good = pq.read_table(world.export).slice(0, 60).to_pylist()
    lines: list[str] = []
    expected: dict[int, tuple[str | None, str]] = {}

    def add(text: str, fld: str | None = None, reason: str | None = None) -> None:
        lines.append(text)
        if reason:
            expected[len(lines)] = (fld, reason)

    for i, posting in enumerate(good):
        posting = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in posting.items()}
        add(json.dumps(posting, ensure_ascii=False))
        if i == 3:
            add('{"id": "broken", "title": "Saldatore", "text": "trunc', None, "not JSON")
        if i == 7:
            add(json.dumps({"id": "B1", "text": "Cercasi cuoco"}), "title", "missing title")
        if i == 11:
            add(json.dumps({"id": "B2", "title": "Cuoco", "text": "x", "comune": "999999"}), "comune",
                "unknown ISTAT comune code")
        if i == 15:
            add(json.dumps({"id": "B3", "title": "Cuoco", "text": "x", "date_posted": "31/02/2025"}), "date_posted",
                "not a date")
        if i == 19:
            add(json.dumps(posting, ensure_ascii=False), "id", "duplicate id")
        if i == 23:
            add("[1, 2, 3]", None, "not a JSON object")
        if i == 27:
            add(json.dumps({"id": "B4", "title": "Cuoco", "text": "x", "source_skills": ["not-a-uri"]}),
                "source_skills", "not an ESCO skill URI")
        if i == 31:
            add(json.dumps({"id": True, "title": "Cuoco", "text": "x"}), "id", "must be a string or an integer")
    target.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    return expected


def test_bad_rows_are_reported_with_file_row_field_and_reason(world: BatchWorld, tmp_path: Path) -> None:
    source = tmp_path / "postings.jsonl"
    expected = _bad_input(world, source)
    out = tmp_path / "out"
    manifest = service.run(world.job("classify", out, source=source, partitions=4), workers=0)
    assert manifest["written"] == 60 and manifest["rejected"] == len(expected)
    assert manifest["read"] == 60 + len(expected)
    got = service.rejected(str(out))
    assert [(r["file"], r["row"]) for r in got] == [("postings.jsonl", line) for line in sorted(expected)]
    for r in got:
        fld, reason = expected[r["row"]]
        assert r["field"] == fld and reason in r["reason"], r
    assert len({r[1] for r in rows(out, "classify")}) == 60  # every valid row is there
    # the needs task rejects what ingest rejects too: a posting without a publication date
    undated = tmp_path / "undated.jsonl"
    undated.write_text(json.dumps({"id": 1, "title": "Cuoco", "text": "Cercasi cuoco"}) + "\n", encoding="utf-8")
    needs_out = tmp_path / "needs"
    assert service.run(world.job("needs", needs_out, source=undated, partitions=1), workers=0)["rejected"] == 1
    assert service.rejected(str(needs_out))[0]["reason"] == "missing publication date"


def test_an_output_holding_another_job_is_refused(world: BatchWorld, tmp_path: Path) -> None:
    source = tmp_path / "few.parquet"
    pq.write_table(pq.read_table(world.export).slice(0, 5), source)
    out = tmp_path / "out"
    service.run(world.job("classify", out, source=source, partitions=2), workers=0)
    other = Job(task="classify", input=str(source), output=str(out), snapshot=world.snapshot, partitions=3)
    with pytest.raises(JobError, match="holds the results of another job"):
        service.run(other, workers=0)
    assert service.run(other, workers=0, overwrite=True)["partitions"] == 3
    assert len(list((out / "_parts").glob("*.json"))) == 3
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine")
    with pytest.raises(JobError, match="not empty"):
        service.run(world.job("classify", stranger, source=source), workers=0)
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    result = CliRunner().invoke(app, ["batch", "classify", str(tmp_path / "bad.parquet"), "-o", str(tmp_path / "o"),
                                      "--snapshot", world.snapshot])
    assert result.exit_code == 2 and "not a readable Parquet file" in result.output


def test_killed_local_run_resumes_without_doubling(world: BatchWorld, tmp_path: Path) -> None:
    source = tmp_path / "part.parquet"
    pq.write_table(pq.read_table(world.export).slice(0, 300), source)
    reference = tmp_path / "reference"
    service.run(world.job("needs", reference, source=source, partitions=8), workers=0)
    out = tmp_path / "out"
    args = ["needs", str(source), "-o", str(out), "--snapshot", world.snapshot, "--partitions", "8",
            "--workers", "2", "--quiet"]
    complete = kill_mid_run(args, out, after_parts=2)
    assert 2 <= complete < 8
    result = CliRunner().invoke(app, ["batch", *args[:-3], "--workers", "0", "--json"])  # resumed in-process
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.stdout[result.stdout.index("{"):])
    assert manifest["resumed"] and manifest["partitions_resumed"] >= complete
    assert rows(out, "needs") == rows(reference, "needs")
    assert cube(out) == cube(reference)
    facts = query(f"SELECT posting_id FROM read_parquet('{out}/facts/postings/*.parquet')")
    assert len(facts) == len(set(facts)) == manifest["written"]
    assert not list(out.rglob(".*.tmp")) and not (out / "_staging").exists()


@given(st.text(max_size=40))
@example("\xa0")  # a no-break space is part of an id: only spaces are trimmed
@example(" id-7 ")
def test_partition_of_an_id_is_the_same_in_python_and_duckdb(key: str) -> None:
    [(got,)] = query(f"SELECT {parts.part_sql('?', 37, 'duckdb')}", [key])
    assert int(got) == parts.part_of(key, 37)


@settings(max_examples=200)
@given(st.dictionaries(st.sampled_from(["id", "title", "text", "date_posted", "comune", "nuts3", "ateco_code",
                                        "isco", "group_id", "source_skills", "synthetic", "contract", "dedup"]),
                       st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=30),
                                 st.lists(st.text(max_size=10), max_size=3))))
def test_decode_never_raises(raw: dict) -> None:
    from regia.postings.reference import Reference

    result = records.decode(raw, Reference())
    if isinstance(result, list):
        assert result and all(p.reason for p in result)
    else:
        assert result.id and isinstance(result.title, str) and result.title
