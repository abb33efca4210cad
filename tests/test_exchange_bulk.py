"""Bulk exchange: a signed export package (NDJSON or Parquet, a manifest with counts and SHA-256 signed as a
JWS) verifies with the server's public keys and imports into another Regia once-only; a package changed after
signing is refused with the file and the reason, and nothing is imported; the open data are a valid
Frictionless data package (checked by the frictionless library), and the funded pacts export as
OpenCoesione-style tables with their projects, subjects and roles, places and money per source."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from joserfc import jws
from joserfc.jwk import ECKey, KeySet
from sqlalchemy import Engine, func, select

from regia.auth.principal import SYSTEM
from regia.catalog import service as catalog
from regia.catalog.models import Course, CourseSkill, Edition
from regia.db import make_engine, migrate, session_factory, session_scope
from regia.exchange import bulk, capture, keys, opendata
from regia.pacts.models import BudgetLine, Call, ProgrammeAction, Proposal
from support.exchange_world import PROVIDER_VAT, ExchangeWorld, Template, settings, shared_template
from test_catalog_ingest import SKILLS, add_mini_taxonomy

SERVER = settings()
SERVER_KEYS = KeySet.import_key_set(keys.server_jwks(SERVER))  # what the importer is given: public keys only


def course(code: str, title: str, *, comune: str = "017029", funding: str = "fondo:Fondimpresa",
           **extra: str) -> dict[str, str]:
    return {"provider_name": "Ente di formazione di prova", "provider_vat": PROVIDER_VAT, "course_code": code,
            "title": title, "description": f"Descrizione di {title}", "hours": "24", "modality": "presenza",
            "comune": comune, "start_date": "2027-04-01", "end_date": "2027-04-30", "seats": "10",
            "funding": funding, "targets": "occupati;disoccupati", "skills": SKILLS["weld"][0], **extra}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    capture.install()
    return shared_template()


@pytest.fixture
def world(template: Template) -> Iterator[ExchangeWorld]:
    world = template.new()
    catalog.publish(world.engine, [course("B1", "Saldatura TIG"), course("B1", "Saldatura TIG", comune="097042"),
                                   course("B2", "Fogli di calcolo", funding="regione", skills=SKILLS["excel"][0]),
                                   course("B2", "Fogli di calcolo", funding="fse+", skills=SKILLS["excel"][0])],
                    source="fondo", tagger=None, principal=SYSTEM)
    yield world
    world.engine.dispose()


@pytest.fixture
def elsewhere(tmp_path: Path) -> Iterator[Engine]:
    """Another Regia, empty but for its reference data."""
    engine = make_engine(f"sqlite:///{tmp_path / 'elsewhere.db'}")
    migrate(engine)
    add_mini_taxonomy(engine)
    yield engine
    engine.dispose()


def _catalogue(engine: Engine) -> set[tuple[object, ...]]:
    with session_factory(engine)() as session:
        courses = {(c.course_code, c.title, c.hours, tuple(sorted(t.target for t in c.targets)),
                    tuple(sorted((f.channel, f.fund) for f in c.funding)),
                    tuple(sorted(s.uri for s in c.skills)),
                    tuple(sorted((str(e.start_date), e.comune, e.seats) for e in c.editions)))
                   for c in session.scalars(select(Course))}
    return courses


@pytest.mark.parametrize("fmt", ["ndjson", "parquet"])
def test_a_signed_package_verifies_and_imports_once(world: ExchangeWorld, elsewhere: Engine, tmp_path: Path,
                                                    fmt: str) -> None:
    folder = tmp_path / "package"
    manifest = bulk.export_package(world.engine, SERVER, folder, resources=["catalog.courses", "catalog.editions"],
                                   fmt=fmt)
    entries = {e["name"]: e for e in manifest["resources"]}
    assert entries["catalog.courses"]["records"] == 2 and entries["catalog.editions"]["records"] == 3
    for e in entries.values():
        assert e["sha256"] == bulk.sha256_file(folder / e["file"]) and e["format"] == fmt
    signed = jws.deserialize_compact((folder / "manifest.jws").read_text().strip(), SERVER_KEYS)
    assert signed.payload == (folder / "manifest.json").read_bytes()
    assert signed.headers()["kid"] == manifest["kid"]

    package = bulk.verify(folder, SERVER_KEYS)
    assert sorted(dict(package.records("catalog.courses"))) == sorted(
        str(i) for i in _ids(world.engine))
    first = bulk.import_package(elsewhere, package)
    assert first["catalog"]["imported"] and first["catalog"]["rejected"] == 0
    assert _catalogue(elsewhere) == _catalogue(world.engine)
    again = bulk.import_package(elsewhere, bulk.verify(folder, SERVER_KEYS))
    assert again["catalog"]["stored"] == 0 and again["catalog"]["duplicate"] == again["catalog"]["read"]
    assert _catalogue(elsewhere) == _catalogue(world.engine)


def _ids(engine: Engine) -> list[int]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(Course.id)))


def test_the_package_carries_the_feed_position(world: ExchangeWorld, tmp_path: Path) -> None:
    manifest = bulk.export_package(world.engine, SERVER, tmp_path / "p", resources=["catalog.courses"])
    cursor = manifest["resources"][0]["cursor"]
    catalog.publish(world.engine, [course("B3", "Nuovo dopo l'export")], source="fondo", tagger=None, principal=SYSTEM)
    from regia.exchange import feeds
    from regia.exchange.registry import REGISTRY

    resource = REGISTRY.resource("catalog.courses")
    with session_factory(world.engine)() as session:
        after = feeds.read(session, resource, after=feeds.decode_cursor(resource.name, cursor), limit=10)
    assert [i.data["course_code"] for i in after] == ["B3"]  # type: ignore[index]


@pytest.mark.parametrize(("tamper", "file", "reason"), [
    ("a record changed", "catalog.courses.ndjson", "SHA-256 differs"),
    ("a record added", "catalog.courses.ndjson", "bytes, the manifest says"),
    ("the manifest's count edited", "manifest.json", "differs from the signed manifest"),
    ("signed by another key", "manifest.jws", "does not verify"),
    ("a file removed", "catalog.courses.ndjson", "missing"),
    ("no signature", "manifest.jws", "missing"),
])
def test_a_package_changed_after_signing_is_refused(world: ExchangeWorld, elsewhere: Engine, tmp_path: Path,
                                                    tamper: str, file: str, reason: str) -> None:
    folder = tmp_path / "package"
    bulk.export_package(world.engine, SERVER, folder, resources=["catalog.courses"])
    data = folder / "catalog.courses.ndjson"
    if tamper == "a record changed":
        data.write_text(data.read_text().replace("Saldatura TIG", "Saldatura MIG"))
    elif tamper == "a record added":
        data.write_text(data.read_text() + data.read_text().splitlines()[0] + "\n")
    elif tamper == "the manifest's count edited":
        manifest = json.loads((folder / "manifest.json").read_text())
        manifest["resources"][0]["records"] += 1
        (folder / "manifest.json").write_text(json.dumps(manifest))
    elif tamper == "signed by another key":
        other = ECKey.generate_key("P-256", private=True, auto_kid=True)
        raw = (folder / "manifest.json").read_bytes()
        (folder / "manifest.jws").write_text(jws.serialize_compact({"alg": "ES256", "kid": SERVER_KEYS.keys[0].kid},
                                                                   raw, other))
    elif tamper == "a file removed":
        data.unlink()
    else:
        (folder / "manifest.jws").unlink()
    with pytest.raises(bulk.PackageError) as caught:
        bulk.verify(folder, SERVER_KEYS)
    assert caught.value.file == file and reason in caught.value.reason
    with session_factory(elsewhere)() as session:
        assert session.scalar(select(func.count(Course.id))) == 0


# --- open data ----------------------------------------------------------------------------------------------------

def _validate(descriptor: Path) -> None:
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(str(descriptor))
    assert report.valid, report.flatten(["type", "note", "rowNumber", "fieldName"])


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_open_data_is_a_valid_frictionless_package(world: ExchangeWorld, tmp_path: Path) -> None:
    folder = tmp_path / "open"
    descriptor = opendata.export_open_data(world.engine, folder)
    _validate(folder / "datapackage.json")
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    by_name = {r["name"]: r for r in descriptor["resources"]}
    assert set(by_name) == {"courses", "course_skills", "editions"}
    courses = _rows(folder / "courses.csv")
    assert {c["course_code"] for c in courses} == {"B1", "B2"}
    b2 = next(c for c in courses if c["course_code"] == "B2")
    assert b2["funding"] == "fse+;regione" and b2["targets"] == "disoccupati;occupati"
    with session_factory(world.engine)() as session:
        skills = session.scalar(select(func.count(CourseSkill.id))) or 0
        editions = session.scalar(select(func.count(Edition.id))) or 0
    assert len(_rows(folder / "course_skills.csv")) == skills == by_name["course_skills"]["x-rows"]
    assert len(_rows(folder / "editions.csv")) == editions
    assert by_name["editions"]["schema"]["foreignKeys"][0]["reference"] == {"resource": "courses", "fields": "id"}


def _fund_a_pact(world: ExchangeWorld) -> int:
    pid = world.world.proposals["submitted_a"]
    with session_scope(world.engine) as session:
        proposal = session.get_one(Proposal, pid)
        body = dict(proposal.body)
        body["territory"] = {"provinces": ["BS", "LC"], "comuni": ["017029"]}
        body["partners"] = [*body.get("partners", []),
                            {"name": "Mario Rossi (ditta individuale)", "tax_code": "RSSMRA80A01F205X",
                             "type": "business_network", "role": "docenza"}]
        proposal.body = body
        proposal.status, proposal.rank, proposal.total_score = "in_progress", 1, Decimal("88.5")
        proposal.granted = {"regional": "200000.00", "fse_plus": "100000.00"}
        session.get_one(Call, proposal.call_id).ranking_published_at = datetime.now(UTC)
        lead = body["lead"]["tax_code"]
        partner = body["partners"][0]["tax_code"]
        action = ProgrammeAction(proposal_id=pid, code="A1", kind="training", title="Corso di saldatura",
                                 target_group="unemployed", lead_partner_tax_code=lead, start_date=date(2027, 3, 1),
                                 end_date=date(2028, 2, 28), target_enrolled=40, target_completed=30)
        action.budget_lines = [BudgetLine(partner_tax_code=lead, source="regional", amount=Decimal("200000")),
                               BudgetLine(partner_tax_code=partner, source="fse_plus", amount=Decimal("100000")),
                               BudgetLine(partner_tax_code=lead, source="cofinancing", amount=Decimal("35000.50"))]
        session.add(action)
    return pid


def test_funded_pacts_export_as_opencoesione_tables(world: ExchangeWorld, tmp_path: Path) -> None:
    pid = _fund_a_pact(world)
    folder = tmp_path / "oc"
    opendata.export_opencoesione(world.engine, folder)
    _validate(folder / "datapackage.json")
    [project] = _rows(folder / "progetti.csv")
    code = f"PATTI-2027-{pid:05d}"
    assert project["COD_LOCALE_PROGETTO"] == code and project["OC_COD_PROGRAMMA"] == "PATTI-2027"
    assert project["OC_STATO_PROGETTO"] == "In corso"
    assert float(project["FINANZ_REGIONE"]) == 200000 and float(project["FINANZ_UE"]) == 100000
    assert float(project["FINANZ_PRIVATO"]) == 35000.5 and float(project["FINANZ_TOTALE_PUBBLICO"]) == 300000
    assert float(project["COSTO_TOTALE"]) == 335000.5
    assert project["OC_DATA_INIZIO_PROGETTO"] == "2027-03-01" and project["OC_DATA_FINE_PROGETTO_PREVISTA"] == \
        "2028-02-28"
    subjects = _rows(folder / "soggetti.csv")
    roles = {(s["SOGG_COD_RUOLO"], s["SOGG_DENOMINAZIONE"]) for s in subjects}
    assert ("1", "Regione Lombardia") in roles and ("2", "Patto A") in roles
    beneficiaries = {s["SOGG_DENOMINAZIONE"] for s in subjects if s["SOGG_COD_RUOLO"] == "3"}
    assert beneficiaries == {"Patto A", "Camera di Commercio di Bergamo"}
    person = [s for s in subjects if s["SOGG_DENOMINAZIONE"].startswith("Mario Rossi")]
    assert person and all(s["SOGG_CODICE_FISCALE"] == "" for s in person)  # a person's CF is not open data
    assert "RSSMRA80A01F205X" not in (folder / "soggetti.csv").read_text()
    places = _rows(folder / "localizzazioni.csv")
    assert {(p["SIGLA_PROVINCIA"], p["COD_COMUNE"], p["DEN_COMUNE"]) for p in places} == \
        {("BS", "017029", "Brescia"), ("LC", "", "")}
    assert {p["NUTS3"] for p in places} == {"ITC47", "ITC43"}
    money = _rows(folder / "finanziamenti.csv")
    assert sorted((m["FONTE"], float(m["IMPORTO"])) for m in money) == [
        ("cofinancing", 35000.5), ("fse_plus", 100000.0), ("regional", 200000.0)]
