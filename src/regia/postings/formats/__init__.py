"""One reader strategy per input format; ``detect`` picks it from the name and, failing that, the content."""

from __future__ import annotations

from pathlib import Path

from regia.postings.formats.base import FIELDS, Input, RawPosting, Reader, ReadError, SourceSkill
from regia.postings.formats.csvfile import CsvReader, header_of
from regia.postings.formats.jsonl import JsonlReader
from regia.postings.formats.jsonld import JsonLdReader
from regia.postings.formats.table import is_oja_skills
from regia.postings.formats.xlsx import XlsxReader

FORMATS = ("csv", "jsonl", "jsonld", "xlsx")
READERS: dict[str, Reader] = {"csv": CsvReader(), "jsonl": JsonlReader(), "jsonld": JsonLdReader(),
                              "xlsx": XlsxReader()}


class UnknownFormat(ValueError):
    pass


def detect(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".csv", ".tsv", ".txt")):
        return "csv"
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if name.endswith((".json", ".jsonld", ".html", ".htm")):
        return "jsonld"
    if name.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PK"):
        return "xlsx"
    text = head.decode("utf-8", errors="replace").lstrip()
    if text.startswith(("[", "<")):
        return "jsonld"
    if text.startswith("{"):
        first = text.split("\n", 1)[0].strip()
        return "jsonl" if first.endswith("}") else "jsonld"
    if text:
        return "csv"
    raise UnknownFormat(f"cannot tell the format of {path}")


def plan(paths: list[Path], fmt: str = "auto") -> list[Input]:
    """The inputs of an ingest: OJA skills files are attached to the postings file given with them."""
    inputs: list[Input] = []
    skills_files: list[Path] = []
    for path in paths:
        kind = detect(path) if fmt == "auto" else fmt
        if kind not in FORMATS:
            raise UnknownFormat(f"unknown format {kind!r}; use one of auto, {', '.join(FORMATS)}")
        if kind == "csv" and is_oja_skills(header_of(path)):
            skills_files.append(path)
        else:
            inputs.append(Input(path, kind))
    for skills in skills_files:
        candidates = [i for i in inputs if i.format == "csv" and i.companion is None]
        same_dir = [i for i in candidates if i.path.parent == skills.parent]
        pool = same_dir or candidates
        if not pool:
            raise UnknownFormat(f"{skills} is an OJA skills file: give it together with its postings file")
        target = pool[0]
        inputs[inputs.index(target)] = Input(target.path, target.format, skills)
    return inputs


__all__ = ["FIELDS", "FORMATS", "READERS", "Input", "RawPosting", "ReadError", "SourceSkill", "UnknownFormat",
           "detect", "plan"]
