"""Readers of postings files: OJA feed CSV with its skills file, JSON-LD, JSON Lines, Excel; line numbers of
every record and of every bad one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from regia.postings.formats import READERS, Input, RawPosting, ReadError, detect, plan
from regia.postings.formats.jsonld import html_to_text, map_jobposting


@pytest.fixture(scope="module")
def samples(reference_dir: Path) -> Path:
    path = reference_dir.parent / "samples"
    if not path.is_dir():
        pytest.fail(f"samples not found next to the reference data: {path}")
    return path


def _read(path: Path, fmt: str | None = None, companion: Path | None = None) -> list[RawPosting | ReadError]:
    fmt = fmt or detect(path)
    return list(READERS[fmt].read(Input(path, fmt, companion)))


def test_oja_feed_with_skills_file(samples: Path) -> None:
    inputs = plan([samples / "oja-feed" / "skills.csv", samples / "oja-feed" / "postings.csv"])
    assert len(inputs) == 1 and inputs[0].companion == samples / "oja-feed" / "skills.csv"
    records = list(READERS["csv"].read(inputs[0]))
    assert all(isinstance(r, RawPosting) for r in records)
    first = records[0]
    assert isinstance(first, RawPosting)
    assert (first.line, first.ordinal) == (2, 0)
    f = first.fields
    assert (f["id"], f["comune_code"], f["province_code"], f["sector_code"], f["isco"]) == (
        "900001", "016024", "ITC46", "29", "7233")
    assert f["title"] == "Manutentore meccanico" and f["date_posted"] == "2026-03-02"
    assert [s.uri.rsplit("/", 1)[1] for s in first.skills] == ["68b6ef08-d823-489d-a95c-752ae6f6e6a7"]
    second = records[1]
    assert isinstance(second, RawPosting) and second.skills[0].digital is True


def test_jsonld_sample(samples: Path) -> None:
    [rec] = _read(samples / "jobposting-jsonld" / "postings.json")
    assert isinstance(rec, RawPosting)
    f = rec.fields
    assert f["id"] == "LC-2026-0117" and f["board"] == "Bacheca Lavoro Lecco"
    assert f["employer"] == "Officine Lariane Spa" and f["comune"] == "Calolziocorte"
    assert f["province"] == "LC" and f["postal_code"] == "23801" and f["employment_type"] == "FULL_TIME"
    assert "<" not in f["description"] and "operatore CNC" in f["description"]
    assert f["skills_text"] == "lettura disegno meccanico, programmazione CNC"


def test_jsonld_array_with_a_broken_object_keeps_line_numbers(tmp_path: Path) -> None:
    good = {"@type": "JobPosting", "title": "Magazziniere", "datePosted": "2026-01-10"}
    path = tmp_path / "board.json"
    path.write_text("[\n" + json.dumps(good) + ",\n" + '{"@type": "JobPosting", "title": "Trunc' + ",\n"
                    + json.dumps({**good, "title": "Carrellista"}) + ",\n"
                    + json.dumps({"@type": "Organization", "name": "x"}) + "\n]\n", encoding="utf-8")
    out = _read(path)
    assert [(type(r).__name__, r.line, r.ordinal) for r in out] == [
        ("RawPosting", 2, 0), ("ReadError", 3, 1), ("RawPosting", 4, 2), ("ReadError", 5, 3)]
    assert isinstance(out[2], RawPosting) and out[2].fields["title"] == "Carrellista"
    assert isinstance(out[3], ReadError) and "not JobPosting" in out[3].reason


def test_jsonld_in_html_page_and_graph(tmp_path: Path) -> None:
    page = tmp_path / "annuncio.html"
    posting = {"@context": "https://schema.org", "@graph": [
        {"@type": "Organization", "name": "Ditta"},
        {"@type": "JobPosting", "title": "Saldatore", "datePosted": "2026-02-01",
         "jobLocation": [{"@type": "Place", "address": "Lonato del Garda (BS)"}],
         "occupationalCategory": {"@type": "CategoryCode", "codeValue": "7212", "inCodeSet": "ISCO-08"},
         "skills": [{"@type": "DefinedTerm", "name": "saldatura TIG",
                     "url": "http://data.europa.eu/esco/skill/1973c966-f236-40c9-b2d4-5d71a89019be"}],
         "baseSalary": {"@type": "MonetaryAmount", "currency": "EUR",
                        "value": {"@type": "QuantitativeValue", "minValue": 24000, "maxValue": 28000,
                                  "unitText": "YEAR"}}}]}
    page.write_text("<html><head>\n<script type=\"application/ld+json\">" + json.dumps(posting)
                    + "</script></head><body>x</body></html>", encoding="utf-8")
    [rec] = _read(page)
    assert isinstance(rec, RawPosting)
    assert rec.fields["location"] == "Lonato del Garda (BS)" and rec.fields["isco"] == "7212"
    assert rec.fields["salary"] == "24000-28000 EUR YEAR" and rec.fields["skills_text"] == "saldatura TIG"
    assert [s.uri[-36:] for s in rec.skills] == ["1973c966-f236-40c9-b2d4-5d71a89019be"]


def test_jsonl_bad_lines_do_not_stop_the_file(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text(json.dumps({"title": "Cuoco", "datePosted": "2026-03-01"}) + "\n\n"
                    + '{"title": "Camer\n' + "[1, 2]\n"
                    + json.dumps({"title": "Barista", "datePosted": "2026-03-02", "companyname": "Bar Sport",
                                  "city": "Lodi"}) + "\n", encoding="utf-8")
    out = _read(path)
    assert [(type(r).__name__, r.line, r.ordinal) for r in out] == [
        ("RawPosting", 1, 0), ("ReadError", 3, 1), ("ReadError", 4, 2), ("RawPosting", 5, 3)]
    last = out[3]
    assert isinstance(last, RawPosting) and last.fields["employer"] == "Bar Sport" and last.fields["comune"] == "Lodi"


def test_csv_truncated_line_is_one_bad_record(tmp_path: Path, samples: Path) -> None:
    lines = (samples / "oja-feed" / "postings.csv").read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    path = tmp_path / "postings.csv"
    path.write_text("\n".join([header, rows[0], rows[1][:150], rows[2]]) + "\n", encoding="utf-8")
    out = _read(path)
    assert [(type(r).__name__, r.line) for r in out] == [("RawPosting", 2), ("ReadError", 3), ("RawPosting", 4)]
    assert isinstance(out[1], ReadError) and out[1].record_id == "900002"
    assert isinstance(out[2], RawPosting) and out[2].fields["id"] == "900003"


def test_excel_rows(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["codice", "titolo", "data_pubblicazione", "comune", "provincia", "azienda", "competenze"])
    ws.append(["X1", "Elettricista", "2026-02-03", "Cremona", "CR", "Impianti Padani Srl", "cablaggio"])
    ws.append([None, None, None, None, None, None, None])
    ws.append(["X2", None, "2026-02-04", "Pavia", "PV", "Ditta", ""])
    path = tmp_path / "annunci.xlsx"
    wb.save(path)
    out = _read(path)
    assert [(type(r).__name__, r.line) for r in out] == [("RawPosting", 2), ("RawPosting", 4)]
    first = out[0]
    assert isinstance(first, RawPosting)
    assert first.fields["title"] == "Elettricista" and first.fields["province"] == "CR"
    assert "title" not in out[1].fields  # type: ignore[union-attr]


def test_mapping_details() -> None:
    assert html_to_text("<p>Uno &amp; due</p><ul><li>tre</li><li>quattro</li></ul>") == "Uno & due\ntre\nquattro"
    fields, _ = map_jobposting({"@type": "JobPosting", "title": "T", "identifier": "ABC-1",
                                "hiringOrganization": "Ditta Srl", "experienceRequirements": {
                                    "@type": "OccupationalExperienceRequirements", "monthsOfExperience": 24},
                                "occupationalCategory": "http://data.europa.eu/esco/occupation/"
                                                        "86c49d9c-b37d-4a14-8e9d-d0357005a48d"})
    assert fields["id"] == "ABC-1" and fields["employer"] == "Ditta Srl" and fields["experience"] == "24 mesi"
    assert fields["occupation"].endswith("86c49d9c-b37d-4a14-8e9d-d0357005a48d")


def test_detect_by_name_and_content(tmp_path: Path) -> None:
    for name, content, fmt in [("a.csv", "x,y\n", "csv"), ("a.jsonl", "{}\n", "jsonl"), ("a.json", "[]", "jsonld"),
                               ("a.dat", '{"a": 1}\n{"a": 2}\n', "jsonl"), ("b.dat", "[\n]", "jsonld"),
                               ("c.dat", "id;title\n", "csv")]:
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        assert detect(path) == fmt, name
