"""Ingest of participations, CO events (CSV, Excel, UNILAV XML) and registered unemployed: bad codici fiscali,
unknown contract codes, dates out of order and duplicates are quarantined with file, line, field and reason;
re-importing adds nothing; an interrupted ingest resumes with the same end result; UNILAV codes and words mean
the same; no codice fiscale is held in clear anywhere (database file, Parquet panel, logs, exports)."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from stdnum.it import codicefiscale

from regia.importing.models import QuarantineEntry
from regia.monitoring import codes, dataset, ingest, opendata
from regia.monitoring.identity import Identities
from regia.monitoring.models import EmploymentEvent, Participation, RegisteredUnemployed
from support.accounts import make_settings

SETTINGS = make_settings()


def cf(body: str) -> str:
    return body + codicefiscale.calc_check_digit(body)


ANNA = cf("RSSNNA85M41F205")  # a woman born in 1985
PAOLO = cf("BNCPLA90A01B157")
BAD = "RSSMRA85T10A562X"
EMPLOYER = "12345670017"  # P.IVA with a valid check digit


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def participation(**over: str) -> dict[str, str]:
    row = {"codice_fiscale": ANNA, "course_id": "", "funding_source": "fondo:Fondimpresa", "programme": "GOL-2024",
           "enrolled_on": "2024-02-05", "ended_on": "2024-04-30", "status": "concluso", "certified": "sì",
           "birth_year": "1985", "sex": "F", "citizenship": "IT", "education": "3", "comune": "015146",
           "labour_status": "disoccupata", "unemployed_since": "2023-01-10"}
    return {**row, **over}


def event(**over: str) -> dict[str, str]:
    row = {"codice_fiscale": PAOLO, "employer_id": EMPLOYER, "event": "ASS", "event_date": "2024-03-01",
           "start_date": "2024-03-01", "end_date": "2024-08-31", "contract": "A.02.00", "full_time": "si",
           "ateco": "C.25.62.00", "cp2011": "7.2.1.1.0", "comune": "017029"}
    return {**row, **over}


def run(engine: Engine, path: Path, kind: str, **kw: object) -> ingest.IngestResult:
    return ingest.ingest_file(engine, path, kind=kind, settings=SETTINGS, **kw)  # type: ignore[arg-type]


def quarantined(engine: Engine) -> list[QuarantineEntry]:
    with Session(engine) as session:
        return list(session.scalars(select(QuarantineEntry).where(QuarantineEntry.domain == "monitoring")
                                    .order_by(QuarantineEntry.line)))


def test_bad_rows_are_quarantined_with_reasons_and_reimport_adds_nothing(empty_engine: Engine,
                                                                          tmp_path: Path) -> None:
    path = write(tmp_path / "parts.csv", [
        participation(),
        participation(codice_fiscale=BAD),
        participation(codice_fiscale=PAOLO, sex="M", birth_year="1990", ended_on="2023-12-31"),
        participation(),  # the first line again
        participation(codice_fiscale=PAOLO, sex="F", birth_year="1990"),  # the code says M
    ])
    first = run(empty_engine, path, "participations")
    assert first.counts() == {"read": 5, "stored": 1, "duplicate": 0, "rejected": 4}
    reasons = {(q.line, q.field): q.reason for q in quarantined(empty_engine)}
    assert "invalid codice fiscale" in reasons[(3, "codice_fiscale")]
    assert "dates out of order" in reasons[(4, "ended_on")]
    assert reasons[(5, None)] == "duplicate: repeats the record of line 2"
    assert "disagrees with the codice fiscale" in reasons[(6, "sex")]
    assert all(ANNA not in (q.raw or "") and BAD not in (q.raw or "") for q in quarantined(empty_engine))
    again = run(empty_engine, path, "participations")
    assert again.counts() == {"read": 5, "stored": 0, "duplicate": 1, "rejected": 4}
    assert len(quarantined(empty_engine)) == 4
    with Session(empty_engine) as session:
        row = session.scalars(select(Participation)).one()
    assert row.person == Identities(SETTINGS).person(ANNA) and row.fund == "Fondimpresa"
    assert row.target_group == codes.LONG_TERM_UNEMPLOYED and row.certified and row.nuts3 == "ITC4C"
    # a re-sent record with new content replaces the held one
    write(path, [participation(status="ritirato", certified="no")])
    changed = run(empty_engine, path, "participations")
    assert (changed.stored, changed.updated) == (1, 1)
    with Session(empty_engine) as session:
        assert session.scalars(select(Participation.status)).one() == codes.DROPPED


def test_employment_events_codes_and_words_and_their_errors(empty_engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "co.csv", [
        event(),
        event(event="proroga", event_date="2024-08-20", end_date="2024-12-31", contract="tempo determinato"),
        event(event="CES", event_date="2024-10-15", end_date="", contract="fixed-term"),
        event(contract="A.99.99", start_date="2024-05-01", event_date="2024-05-01"),
        event(start_date="2024-05-01", event_date="2024-05-01", end_date="2024-04-30"),
        event(event="TRS", event_date="2024-02-01", contract="A.01.00"),  # before the start
        event(employer_id="12345670018"),  # wrong check digit
        event(),
    ])
    result = run(empty_engine, path, "employment")
    assert result.counts() == {"read": 8, "stored": 3, "duplicate": 0, "rejected": 5}
    reasons = {(q.line, q.field): q.reason for q in quarantined(empty_engine)}
    assert "unknown UNILAV contract code 'A.99.99'" in reasons[(5, "contract")]
    assert "dates out of order" in reasons[(6, "end_date")] and "dates out of order" in reasons[(7, "event_date")]
    assert "invalid partita IVA" in reasons[(8, "employer_id")]
    assert "duplicate" in reasons[(9, None)]
    with Session(empty_engine) as session:
        rows = {e.event: e for e in session.scalars(select(EmploymentEvent))}
    assert rows["ASS"].contract == rows["PRO"].contract == rows["CES"].contract == codes.FIXED_TERM
    assert rows["ASS"].contract_code == "A.02.00" and rows["CES"].end_date.isoformat() == "2024-10-15"
    assert rows["ASS"].working_time == "F" and rows["ASS"].nuts3 == "ITC47"


UNILAV = """<?xml version="1.0" encoding="UTF-8"?>
<Comunicazioni>
<UniLav xmlns="http://servizi.lavoro.gov.it/unilav" dataInvio="2024-03-02T10:00:00">
  <DatoreLavoro codiceFiscale="{employer}" denominazione="Officina"><Settore>C.25.62.00</Settore></DatoreLavoro>
  <Lavoratore><AnagraficaCompleta><cognome>Bianchi</cognome><nome>Paolo</nome>
    <codice-fiscale>{person}</codice-fiscale></AnagraficaCompleta></Lavoratore>
  <InizioRapporto dataInizio="2024-03-01" dataFine="2024-08-31" tipologiaContrattuale="A.03.08">
    <tipoOrario codice="P"/><qualificaProfessionale>7.2.1.1.0</qualificaProfessionale></InizioRapporto>
</UniLav>
<UniLav xmlns="http://servizi.lavoro.gov.it/unilav" dataInvio="2024-07-01T10:00:00">
  <DatoreLavoro codiceFiscale="{employer}"/>
  <Lavoratore><AnagraficaCompleta><codice-fiscale>{person}</codice-fiscale></AnagraficaCompleta></Lavoratore>
  <InizioRapporto dataInizio="2024-03-01" tipologiaContrattuale="A.03.08"/>
  <Cessazione dataCessazione="2024-06-30"/>
</UniLav>
<UniLav><DatoreLavoro codiceFiscale="{employer}"/><Lavoratore><AnagraficaCompleta>
  <codice-fiscale>{bad}</codice-fiscale></AnagraficaCompleta></Lavoratore>
  <InizioRapporto dataInizio="2024-03-01" tipologiaContrattuale="A.02.00" dataFine="2024-04-01"/></UniLav>
</Comunicazioni>
"""


def test_unilav_xml_is_read_and_names_are_never_kept(empty_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "unilav.xml"
    path.write_text(UNILAV.format(employer=EMPLOYER, person=PAOLO, bad=BAD), encoding="utf-8")
    result = run(empty_engine, path, "employment")
    assert result.counts() == {"read": 3, "stored": 2, "duplicate": 0, "rejected": 1}
    with Session(empty_engine) as session:
        rows = {e.event: e for e in session.scalars(select(EmploymentEvent))}
    assert rows["ASS"].contract == codes.APPRENTICESHIP and rows["ASS"].contract_code == "A.03.08"
    assert rows["ASS"].working_time == "P" and rows["ASS"].cp2011 == "7.2.1.1.0"
    assert rows["CES"].end_date.isoformat() == "2024-06-30"
    (entry,) = quarantined(empty_engine)
    assert entry.line == 3 and entry.field == "codice_fiscale" and BAD not in (entry.raw or "")


def test_excel_files_are_read_like_csv(empty_engine: Engine, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    row = {"codice_fiscale": PAOLO, "registered_on": "2023-09-01", "citizenship": "extra UE", "education": "2"}
    sheet.append(list(row))
    sheet.append(list(row.values()))
    book.save(tmp_path / "did.xlsx")
    result = run(empty_engine, tmp_path / "did.xlsx", "unemployed")
    assert result.counts()["stored"] == 1
    with Session(empty_engine) as session:
        reg = session.scalars(select(RegisteredUnemployed)).one()
    assert (reg.citizenship, reg.sex, reg.birth_year) == (codes.NON_EU, "M", 1990)


def test_an_interrupted_ingest_resumes_to_the_same_result(empty_engine: Engine, tmp_path: Path) -> None:
    rows = [event(start_date=f"2024-{m:02d}-01", event_date=f"2024-{m:02d}-01", end_date=f"2024-{m:02d}-20")
            for m in range(1, 13)]
    rows.insert(5, event(codice_fiscale=BAD))
    path = write(tmp_path / "co.csv", rows)

    class Stop(Exception):
        pass

    def stop_after_two(position: int) -> None:
        if position >= 6:
            raise Stop

    with pytest.raises(Stop):
        run(empty_engine, path, "employment", batch_size=3, on_batch=stop_after_two)
    resumed = run(empty_engine, path, "employment", batch_size=3)
    assert resumed.resumed_at == 6
    assert resumed.counts() == {"read": 13, "stored": 12, "duplicate": 0, "rejected": 1}
    with Session(empty_engine) as session:
        assert session.scalar(select(func.count(EmploymentEvent.id))) == 12


@given(st.sampled_from(sorted(codes.UNILAV_CONTRACTS)), st.sampled_from(["", " ", "\t"]))
def test_unilav_contract_codes_are_recognised_with_any_spacing(code: str, pad: str) -> None:
    kind, found = codes.contract(f"{pad}{code.lower()}{pad}")
    assert (kind, found) == (codes.UNILAV_CONTRACTS[code], code)


@given(st.sampled_from([("ASS", "avviamento"), ("PRO", "Proroga"), ("TRS", "trasformazione"),
                        ("TRD", "trasferimento"), ("CES", "CESSAZIONE")]))
def test_event_codes_and_words_agree(pair: tuple[str, str]) -> None:
    assert codes.event(pair[0]) == codes.event(pair[1]) == pair[0]


@given(st.text(max_size=12))
def test_unknown_values_are_refused_with_a_reason(text: str) -> None:
    try:
        kind, _ = codes.contract(text)
    except codes.UnknownValue as exc:
        assert "contract" in str(exc)
    else:
        assert kind in codes.CONTRACTS


def test_no_clear_codice_fiscale_in_database_parquet_logs_or_exports(tmp_path: Path, caplog: pytest.LogCaptureFixture
                                                                     ) -> None:
    from regia.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'clear.db'}")
    migrate(engine)
    caplog.set_level(logging.DEBUG)
    write(tmp_path / "p.csv", [participation(), participation(codice_fiscale=BAD)])
    write(tmp_path / "u.csv", [{"codice_fiscale": ANNA, "registered_on": "2023-01-10", "citizenship": "IT"},
                               {"codice_fiscale": PAOLO, "registered_on": "2023-01-10", "citizenship": "IT"}])
    write(tmp_path / "e.csv", [event(codice_fiscale=ANNA, employer_id=PAOLO), event(codice_fiscale=BAD)])
    run(engine, tmp_path / "p.csv", "participations")
    run(engine, tmp_path / "u.csv", "unemployed")
    run(engine, tmp_path / "e.csv", "employment")
    ds = dataset.load(engine, cache_dir=tmp_path / "var")
    assert ds.panel.employed.any()
    opendata.write_package(engine, ds, tmp_path / "export")
    engine.dispose()
    files = [tmp_path / "clear.db", *tmp_path.glob("clear.db-*"), *(tmp_path / "var").glob("*.parquet"),
             *(tmp_path / "export").iterdir()]
    assert any(p.suffix == ".parquet" for p in files)
    for path in files:
        data = path.read_bytes()
        for code in (ANNA, PAOLO, BAD):
            assert code.encode() not in data and code.lower().encode() not in data, path
    for code in (ANNA, PAOLO, BAD):
        assert code not in caplog.text
