"""The open-data package: aggregated indicators per dimension as CSV files with a Frictionless
``datapackage.json`` (Data Package v1, Table Schema per file), after statistical disclosure control.

One CSV per dimension (``esiti_per_<dimension>.csv``): a row per category and a total row (``category`` =
``TOTALE``). Counts of people (``participants``, ``completed``, ``certified``, ``observed_12m``,
``employed_12m``, ``stable_12m``) go through ``disclosure.protect``: a suppressed count is written ``c``
(confidential, the Eurostat flag), a rate whose count or denominator is suppressed too; an empty cell is a
rate without denominator. Courses appear by their catalogue id and title; no person-level value is in the
package. Labels are in Italian.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from regia.i18n import gettext
from regia.monitoring import indicators
from regia.monitoring.dataset import Dataset
from regia.monitoring.disclosure import THRESHOLD, Column, Protected, protect

CONFIDENTIAL = "c"
COLUMNS = (Column("participants"), Column("completed", "participants", complement=True),
           Column("certified", "completed", complement=True), Column("observed_12m", "participants"),
           Column("employed_12m", "observed_12m", complement=True),
           Column("stable_12m", "observed_12m", complement=True))
RATES = (("completion_rate", "completed", "participants"), ("certification_rate", "certified", "completed"),
         ("employed_12m_rate", "employed_12m", "observed_12m"), ("stable_12m_rate", "stable_12m", "observed_12m"))
TITLES = {
    "category": "Categoria (codice)", "label": "Categoria",
    "participants": "Partecipazioni", "completed": "Percorsi conclusi", "certified": "Certificati",
    "observed_12m": "Partecipazioni osservabili a 12 mesi dalla fine",
    "employed_12m": "Occupati a 12 mesi dalla fine", "stable_12m": "Occupati stabili a 12 mesi dalla fine",
    "completion_rate": "Tasso di conclusione", "certification_rate": "Tasso di certificazione",
    "employed_12m_rate": "Tasso di occupazione a 12 mesi", "stable_12m_rate": "Tasso di occupazione stabile a 12 mesi",
}


def table(engine: Engine, ds: Dataset, by: str) -> tuple[list[dict[str, Any]], Protected]:
    """The published rows of one dimension (values, ``c`` where suppressed) and the protection applied."""
    ind = indicators.compute(engine, ds, by=by, lang="it")
    cells = [{c.name: getattr(r, c.name) for c in COLUMNS} for r in ind.rows]
    protected = protect(cells, COLUMNS, THRESHOLD)
    out = []
    for k, r in enumerate([*ind.rows, None]):
        pos = -1 if r is None else k
        row: dict[str, Any] = {"category": "TOTALE" if r is None else r.key,
                               "label": gettext("monitoring.total", "it") if r is None else r.label}
        for c in COLUMNS:
            value = protected.value(pos, c.name)
            row[c.name] = CONFIDENTIAL if value is None else value
        for name, num, den in RATES:
            a, b = protected.value(pos, num), protected.value(pos, den)
            row[name] = CONFIDENTIAL if a is None or b is None else (round(a / b, 4) if b else "")
        out.append(row)
    return out, protected


def _schema() -> dict[str, Any]:
    fields = [{"name": "category", "type": "string", "title": TITLES["category"]},
              {"name": "label", "type": "string", "title": TITLES["label"]}]
    fields += [{"name": c.name, "type": "integer", "title": TITLES[c.name], "constraints": {"minimum": 0}}
               for c in COLUMNS]
    fields += [{"name": name, "type": "number", "title": TITLES[name],
                "constraints": {"minimum": 0, "maximum": 1}} for name, *_ in RATES]
    return {"fields": fields, "missingValues": ["", CONFIDENTIAL], "primaryKey": ["category"]}


def descriptor(resources: list[dict[str, Any]], ds: Dataset) -> dict[str, Any]:
    return {
        "profile": "tabular-data-package",
        "name": "regia-esiti-formazione",
        "title": "Esiti occupazionali della formazione (Regia)" + (" — DATI SINTETICI" if ds.synthetic else ""),
        "description": (
            "Indicatori aggregati di partecipazione ed esito occupazionale dei percorsi formativi, per dimensione. "
            f"Controllo della divulgazione: i conteggi inferiori a {THRESHOLD} persone, o il cui complemento è "
            f"inferiore a {THRESHOLD}, sono soppressi ('{CONFIDENTIAL}'), con soppressione secondaria perché nessun "
            "valore soppresso sia ricavabile dai totali. Occupazione: contratto in essere alla fine del 12º mese "
            "successivo alla conclusione (Comunicazioni Obbligatorie). Dati osservati fino al "
            f"{ds.cutoff.isoformat()}."),
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
                      "title": "Creative Commons Attribution 4.0"}],
        "keywords": ["formazione", "esiti occupazionali", "Lombardia", "open data"],
        "resources": resources,
    }


def write_package(engine: Engine, ds: Dataset, out: Path) -> dict[str, Any]:
    """Write the CSV files and ``datapackage.json`` into ``out``; returns the descriptor (validated with
    frictionless)."""
    out.mkdir(parents=True, exist_ok=True)
    resources = []
    for by in indicators.DIMENSIONS:
        rows, _ = table(engine, ds, by)
        name = f"esiti_per_{by}"
        path = out / f"{name}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["category"], lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        resources.append({"name": name, "path": path.name, "profile": "tabular-data-resource", "format": "csv",
                          "mediatype": "text/csv", "encoding": "utf-8",
                          "title": f"Esiti per {gettext(indicators.DIMENSION_LABELS[by], 'it').lower()}",
                          "schema": _schema()})
    meta = descriptor(resources, ds)
    (out / "datapackage.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return meta


def validate(path: Path) -> list[str]:
    """Errors frictionless finds in the package at ``path`` (its ``datapackage.json``); empty when valid."""
    from frictionless import Package

    report = Package(str(path / "datapackage.json")).validate()
    return [f"{e.type}: {e.message}" for task in report.tasks for e in task.errors] + \
        [f"{e.type}: {e.message}" for e in report.errors]


def zipped(engine: Engine, ds: Dataset) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        write_package(engine, ds, Path(tmp))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(Path(tmp).iterdir()):
                zf.write(path, path.name)
        return buffer.getvalue()
