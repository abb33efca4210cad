"""Open data: the public resources as a Frictionless data package (CSV tables with Table Schemas, primary and
foreign keys, licence and sources in ``datapackage.json``), and the funded pacts as an OpenCoesione-style
export (projects, subjects with their roles, locations and funding per source, with OpenCoesione's column
names).

Tables are built from the change log's current records (the same data the feeds and the packages give).
Codici fiscali of natural persons (16 characters) never enter open data: a partner that is a sole trader
appears by name only.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from regia.db import session_factory, session_scope
from regia.exchange import bulk, feeds
from regia.exchange.models import Change
from regia.exchange.registry import REGISTRY, LoadContext
from regia.progress import NoProgress, Progress
from regia.taxonomy.models import Concept, Label

PROJECTS = "pacts.projects"  # regia.exchange.eservices.pacts
LICENSE = {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
           "title": "Creative Commons Attribution 4.0"}
Row = dict[str, Any]


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # Table Schema type: string, integer, number, boolean, date, datetime
    description: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    resource: str  # the registry resource whose records make it
    title: str
    columns: tuple[Column, ...]
    rows: Callable[[str, dict[str, Any], Any], Iterable[Row]]  # (id, record, lookups) -> rows
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[tuple[str, str, str], ...] = ()  # (field, table, field)


def _joined(values: Iterable[str]) -> str:
    return ";".join(values)


def _public_code(code: str | None) -> str:
    """An organisation's codice fiscale / partita IVA; a person's (16 characters) is withheld."""
    code = (code or "").strip().upper()
    return "" if len(code) == 16 else code


def _course_rows(key: str, c: dict[str, Any], _: Any) -> Iterable[Row]:
    yield {"id": c["id"], "provider_vat": _public_code(c["provider"]["vat"]), "provider_name": c["provider"]["name"],
           "course_code": c["course_code"], "title": c["title"], "description": c["description"],
           "hours": c["hours"], "modality": c["modality"], "cost_eur": c["cost_eur"], "eqf_level": c["eqf_level"],
           "certification": c["certification"], "digital": c["digital"], "green": c["green"],
           "targets": _joined(c["targets"]), "funding": _joined(c["funding"])}


def _course_skill_rows(key: str, c: dict[str, Any], _: Any) -> Iterable[Row]:
    for s in c["skills"]:
        yield {"course_id": c["id"], "skill": s["uri"], "origin": s["origin"], "confirmed": s["confirmed"]}


def _edition_rows(key: str, e: dict[str, Any], _: Any) -> Iterable[Row]:
    yield {k: e[k] for k in ("id", "course_id", "start_date", "end_date", "seats", "comune", "nuts3")}


def _figure_rows(key: str, r: dict[str, Any], _: Any) -> Iterable[Row]:
    yield dict(r)


S, INT, N, B, D = "string", "integer", "number", "boolean", "date"
CATALOG_TABLES = (
    Table("courses", "catalog.courses", "Corsi del catalogo condiviso", (
        Column("id", INT), Column("provider_vat", S, "Partita IVA / codice fiscale dell'ente"),
        Column("provider_name", S), Column("course_code", S), Column("title", S), Column("description", S),
        Column("hours", N), Column("modality", S, "presenza, online, blended"), Column("cost_eur", N),
        Column("eqf_level", INT), Column("certification", S), Column("digital", B), Column("green", B),
        Column("targets", S, "Destinatari, separati da ;"), Column("funding", S, "Canali di finanziamento, ;")),
        _course_rows, ("id",)),
    Table("course_skills", "catalog.courses", "Competenze ESCO insegnate dai corsi", (
        Column("course_id", INT), Column("skill", S, "URI ESCO della competenza"),
        Column("origin", S, "provider (dichiarata) o classifier"), Column("confirmed", B)),
        _course_skill_rows, ("course_id", "skill"), (("course_id", "courses", "id"),)),
    Table("editions", "catalog.editions", "Edizioni dei corsi", (
        Column("id", INT), Column("course_id", INT), Column("start_date", D), Column("end_date", D),
        Column("seats", INT), Column("comune", S, "Codice ISTAT del comune"), Column("nuts3", S)),
        _edition_rows, ("id",), (("course_id", "courses", "id"),)),
)
FIGURE_TABLES = (
    Table("skill_needs", "needs.skills", "Competenze richieste dagli annunci, per provincia", (
        Column("territory", S, "NUTS3"), Column("skill", S, "URI ESCO"), Column("postings", INT),
        Column("share", N, "Quota degli annunci della provincia")), _figure_rows, ("territory", "skill")),
    Table("mismatch", "needs.mismatch", "Domanda e offerta di competenze per provincia", (
        Column("territory", S), Column("skill", S), Column("demand", INT), Column("demand_share", N),
        Column("supply", INT, "Posti nelle edizioni in provincia"), Column("supply_share", N), Column("courses", INT),
        Column("gap", N, "log2 della quota di domanda sulla quota di offerta"), Column("confidence", S)),
        _figure_rows, ("territory", "skill")),
)


# --- OpenCoesione -------------------------------------------------------------------------------------------

SOURCES = {"fse_plus": "FINANZ_UE", "regional": "FINANZ_REGIONE", "fund": "FINANZ_FONDI_PARITETICI",
           "cofinancing": "FINANZ_PRIVATO"}
STATES = {"selected": "Non avviato", "programme_submitted": "Non avviato", "approved": "Non avviato",
          "in_progress": "In corso", "closed": "Concluso"}
ROLES = {1: "Programmatore", 2: "Attuatore", 3: "Beneficiario", 4: "Realizzatore"}


@dataclass
class Places:
    """Territories of the taxonomy: provinces by sigla, comuni by ISTAT code (names and ISTAT codes)."""

    provinces: dict[str, dict[str, str]]  # sigla -> {nuts3, code, name}
    comuni: dict[str, dict[str, str]]  # ISTAT code -> {name, sigla}
    regions: dict[str, dict[str, str]]  # nuts2 -> {code, name}
    programmer: tuple[str, str]  # (codice fiscale, name) of the Region

    @classmethod
    def load(cls, session: Any) -> Places:
        provinces, comuni, regions = {}, {}, {}
        for code, level, attrs, name in session.execute(
                select(Concept.code, Concept.level, Concept.attrs, Label.text)
                .join(Label, Label.concept_id == Concept.id)
                .where(Concept.type == "territory", Label.kind == "preferred")):
            attrs = attrs or {}
            if level == "province":
                provinces[str(attrs.get("sigla", "")).upper()] = {"nuts3": code, "code": str(
                    attrs.get("istat_code", "")), "name": name, "nuts2": str(attrs.get("nuts2", ""))}
            elif level == "comune":
                comuni[code] = {"name": name, "sigla": str(attrs.get("sigla", "")).upper()}
            elif level == "region":
                regions[code] = {"code": str(attrs.get("istat_code", "")), "name": name}
        from regia.auth.models import Organisation, OrgType

        region = session.execute(select(Organisation.tax_code, Organisation.name)
                                 .where(Organisation.type == OrgType.REGION).order_by(Organisation.id)).first()
        programmer = (region.tax_code or "", region.name) if region else ("", "Regione Lombardia")
        return cls(provinces, comuni, regions, programmer)


def _dates(p: dict[str, Any], which: str, pick: Callable[[Iterable[str]], str]) -> str:
    values = [a[which] for a in p["actions"] if a.get(which)]
    return pick(values) if values else ""


def _project_rows(key: str, p: dict[str, Any], places: Places) -> Iterable[Row]:
    granted = p["granted"]
    cost = p["cost"]
    row: Row = {"COD_LOCALE_PROGETTO": p["code"], "CUP": "", "OC_TITOLO_PROGETTO": p["title"],
                "OC_SINTESI_PROGETTO": p["summary"], "OC_COD_PROGRAMMA": p["call"],
                "OC_DESCRIZIONE_PROGRAMMA": p["call_title"], "OC_TEMA_SINTETICO": "Occupazione e formazione",
                "OC_STATO_PROGETTO": STATES.get(p["status"], p["status"]),
                "OC_DATA_INIZIO_PROGETTO": _dates(p, "start_date", min),
                "OC_DATA_FINE_PROGETTO_PREVISTA": _dates(p, "end_date", max)}
    for source, column in SOURCES.items():
        value = cost.get(source) if source == "cofinancing" else granted.get(source)
        row[column] = float(value) if value else 0.0
    row["FINANZ_TOTALE_PUBBLICO"] = round(sum(float(v) for k, v in granted.items() if k != "cofinancing"), 2)
    row["OC_FINANZ_TOT_PUB_NETTO"] = row["FINANZ_TOTALE_PUBBLICO"]
    row["COSTO_TOTALE"] = round(sum(float(v) for v in cost.values()), 2)
    yield row


def _subject_rows(key: str, p: dict[str, Any], places: Places) -> Iterator[Row]:
    code = p["code"]
    programmer_cf, programmer = places.programmer
    yield {"COD_LOCALE_PROGETTO": code, "SOGG_COD_RUOLO": 1, "SOGG_DESCR_RUOLO": ROLES[1],
           "SOGG_CODICE_FISCALE": programmer_cf, "SOGG_DENOMINAZIONE": programmer, "SOGG_TIPO": "region"}
    lead = p["lead"] if p["lead"].get("name") else {**p["partnership"], "type": "partnership"}
    yield {"COD_LOCALE_PROGETTO": code, "SOGG_COD_RUOLO": 2, "SOGG_DESCR_RUOLO": ROLES[2],
           "SOGG_CODICE_FISCALE": _public_code(lead.get("tax_code")), "SOGG_DENOMINAZIONE": lead.get("name", ""),
           "SOGG_TIPO": lead.get("type", "")}
    funded = {line["partner_tax_code"].upper() for a in p["actions"] for line in a["budget"]}
    seen = {(lead.get("tax_code") or "").upper()}
    for partner in [p["lead"], *p["partners"]]:
        tax = (partner.get("tax_code") or "").upper()
        if tax in funded:
            yield {"COD_LOCALE_PROGETTO": code, "SOGG_COD_RUOLO": 3, "SOGG_DESCR_RUOLO": ROLES[3],
                   "SOGG_CODICE_FISCALE": _public_code(tax), "SOGG_DENOMINAZIONE": partner.get("name", ""),
                   "SOGG_TIPO": partner.get("type", "")}
        if tax not in seen:
            seen.add(tax)
            yield {"COD_LOCALE_PROGETTO": code, "SOGG_COD_RUOLO": 4, "SOGG_DESCR_RUOLO": ROLES[4],
                   "SOGG_CODICE_FISCALE": _public_code(tax), "SOGG_DENOMINAZIONE": partner.get("name", ""),
                   "SOGG_TIPO": partner.get("type", "")}


def _location_rows(key: str, p: dict[str, Any], places: Places) -> Iterator[Row]:
    code = p["code"]
    comuni = p["territory"]["comuni"]
    covered = {places.comuni.get(c, {}).get("sigla", "") for c in comuni}
    def row(sigla: str, comune: str = "") -> Row:
        prov = places.provinces.get(sigla.upper(), {})
        region = places.regions.get(prov.get("nuts2", ""), {})
        return {"COD_LOCALE_PROGETTO": code, "COD_REGIONE": region.get("code", ""),
                "DEN_REGIONE": region.get("name", ""), "COD_PROVINCIA": prov.get("code", ""),
                "DEN_PROVINCIA": prov.get("name", ""), "COD_COMUNE": comune,
                "DEN_COMUNE": places.comuni.get(comune, {}).get("name", "") if comune else "",
                "NUTS3": prov.get("nuts3", ""), "SIGLA_PROVINCIA": sigla.upper()}
    for comune in comuni:
        yield row(places.comuni.get(comune, {}).get("sigla", ""), comune)
    for sigla in p["territory"]["provinces"]:
        if sigla.upper() not in covered:
            yield row(sigla)


def _funding_rows(key: str, p: dict[str, Any], places: Places) -> Iterator[Row]:
    for a in p["actions"]:
        for line in a["budget"]:
            yield {"COD_LOCALE_PROGETTO": p["code"], "COD_AZIONE": a["code"], "TIPO_AZIONE": a["kind"],
                   "FONTE": line["source"], "SOGG_CODICE_FISCALE": _public_code(line["partner_tax_code"]),
                   "IMPORTO": float(line["amount"])}


MONEY = "number"
OPENCOESIONE_TABLES = (
    Table("progetti", PROJECTS, "Progetti: i patti finanziati", (
        Column("COD_LOCALE_PROGETTO", S, "Codice locale del progetto (avviso e numero del patto)"),
        Column("CUP", S, "Codice unico di progetto (non ancora assegnato)"), Column("OC_TITOLO_PROGETTO", S),
        Column("OC_SINTESI_PROGETTO", S), Column("OC_COD_PROGRAMMA", S, "Codice dell'avviso"),
        Column("OC_DESCRIZIONE_PROGRAMMA", S), Column("OC_TEMA_SINTETICO", S), Column("OC_STATO_PROGETTO", S),
        Column("OC_DATA_INIZIO_PROGETTO", S, "AAAA-MM-GG"), Column("OC_DATA_FINE_PROGETTO_PREVISTA", S),
        Column("FINANZ_UE", MONEY, "FSE+"), Column("FINANZ_REGIONE", MONEY),
        Column("FINANZ_FONDI_PARITETICI", MONEY, "Fondi paritetici interprofessionali (non in OpenCoesione)"),
        Column("FINANZ_PRIVATO", MONEY, "Cofinanziamento dei partner"), Column("FINANZ_TOTALE_PUBBLICO", MONEY),
        Column("OC_FINANZ_TOT_PUB_NETTO", MONEY), Column("COSTO_TOTALE", MONEY)),
        _project_rows, ("COD_LOCALE_PROGETTO",)),
    Table("soggetti", PROJECTS, "Soggetti dei progetti e loro ruolo", (
        Column("COD_LOCALE_PROGETTO", S), Column("SOGG_COD_RUOLO", INT, "1 programmatore, 2 attuatore, "
                                                 "3 beneficiario, 4 realizzatore"),
        Column("SOGG_DESCR_RUOLO", S), Column("SOGG_CODICE_FISCALE", S), Column("SOGG_DENOMINAZIONE", S),
        Column("SOGG_TIPO", S)), _subject_rows, (), (("COD_LOCALE_PROGETTO", "progetti", "COD_LOCALE_PROGETTO"),)),
    Table("localizzazioni", PROJECTS, "Territori dei progetti", (
        Column("COD_LOCALE_PROGETTO", S), Column("COD_REGIONE", S), Column("DEN_REGIONE", S),
        Column("COD_PROVINCIA", S), Column("DEN_PROVINCIA", S), Column("COD_COMUNE", S), Column("DEN_COMUNE", S),
        Column("NUTS3", S), Column("SIGLA_PROVINCIA", S)), _location_rows, (),
        (("COD_LOCALE_PROGETTO", "progetti", "COD_LOCALE_PROGETTO"),)),
    Table("finanziamenti", PROJECTS, "Righe di bilancio per azione, fonte e partner", (
        Column("COD_LOCALE_PROGETTO", S), Column("COD_AZIONE", S), Column("TIPO_AZIONE", S), Column("FONTE", S),
        Column("SOGG_CODICE_FISCALE", S), Column("IMPORTO", MONEY)), _funding_rows, (),
        (("COD_LOCALE_PROGETTO", "progetti", "COD_LOCALE_PROGETTO"),)),
)


# --- writing a data package -----------------------------------------------------------------------------------

def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def write_package(engine: Engine, folder: Path, tables: tuple[Table, ...], *, name: str, title: str,
                  progress: Progress | None = None, figures: Any = None) -> dict[str, Any]:
    """Writes the tables as CSV files with a ``datapackage.json`` (Frictionless Data Package v1)."""
    progress = progress or NoProgress()
    folder.mkdir(parents=True, exist_ok=True)
    resources = {t.resource for t in tables}
    with session_scope(engine) as session:
        ctx = LoadContext(session=session, engine=engine, figures=figures)
        for rname in resources:
            resource = REGISTRY.resource(rname)
            if not resource.computed or figures is not None:
                feeds.initialise(session, resource, ctx)
    described = []
    with session_factory(engine)() as session:
        bulk.snapshot(session)  # the same consistent read as the signed packages
        places = Places.load(session) if any(t.resource == PROJECTS for t in tables) else None
        for table in tables:
            resource = REGISTRY.resource(table.resource)
            upto = session.scalar(select(func.max(Change.seq)).where(Change.resource == resource.name)) or 0
            path = folder / f"{table.name}.csv"
            progress.start(table.name, None)
            count = 0
            with path.open("w", encoding="utf-8", newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=[c.name for c in table.columns], lineterminator="\n")
                writer.writeheader()
                for key, record in bulk.current_records(session, resource, upto):
                    for row in table.rows(key, record, places):
                        writer.writerow({k: _cell(row.get(k)) for k in writer.fieldnames})
                        count += 1
                    progress.advance()
            schema: dict[str, Any] = {"fields": [{"name": c.name, "type": c.type, **(
                {"description": c.description} if c.description else {})} for c in table.columns],
                "missingValues": [""]}
            if table.primary_key:
                schema["primaryKey"] = list(table.primary_key)
            if table.foreign_keys:
                schema["foreignKeys"] = [{"fields": f, "reference": {"resource": t, "fields": rf}}
                                         for f, t, rf in table.foreign_keys]
            described.append({"name": table.name, "title": table.title, "path": path.name, "profile":
                              "tabular-data-resource", "format": "csv", "mediatype": "text/csv",
                              "encoding": "utf-8", "hash": bulk.sha256_file(path), "bytes": path.stat().st_size,
                              "schema": schema, "x-rows": count})
    descriptor = {"profile": "tabular-data-package", "name": name, "title": title, "licenses": [LICENSE],
                  "created": datetime.now(UTC).isoformat(timespec="seconds"),
                  "sources": [{"title": "Regia — Regione Lombardia"},
                              {"title": "ESCO classification of the European Commission",
                               "path": "https://esco.ec.europa.eu"}, {"title": "Fonte: ISTAT"}],
                  "resources": [{**r, "hash": f"sha256:{r['hash']}"} for r in described]}
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n",
                                             encoding="utf-8")
    return descriptor


def export_open_data(engine: Engine, folder: Path, *, progress: Progress | None = None,
                     figures: Any = None) -> dict[str, Any]:
    """The catalogue (and the figures, when the analytics are handed over) as one open data package."""
    tables = CATALOG_TABLES + (FIGURE_TABLES if figures is not None else ())
    return write_package(engine, folder, tables, name="regia-open-data", title="Regia: catalogo e fabbisogni",
                         progress=progress, figures=figures)


def export_opencoesione(engine: Engine, folder: Path, *, progress: Progress | None = None) -> dict[str, Any]:
    """The funded pacts as OpenCoesione-style tables (progetti, soggetti, localizzazioni, finanziamenti)."""
    return write_package(engine, folder, OPENCOESIONE_TABLES, name="regia-patti-opencoesione",
                         title="Patti territoriali finanziati (formato OpenCoesione)", progress=progress)
