"""Readers of course lists: CSV (as in ``shared/samples/courses``), Excel with the same columns, JSON.

Each reader yields ``Item`` (position, values, raw text) or ``importing.csvfile.BadRow`` for a record that
cannot be read at all; the validation of the values is not theirs (see ``validation``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from regia.importing.cells import cell_text
from regia.importing.csvfile import BadRow, read_rows, read_text

_RECORD_START = re.compile(r'^(?:"[^"\n]*"|[^,"\n]+),\s*"?(?:IT)?[0-9A-Za-z]{11,16}"?,')


@dataclass(frozen=True)
class Item:
    line: int  # CSV: physical line; Excel: sheet row; JSON: 1-based position in the list
    values: dict[str, object]
    raw: str


class FormatError(ValueError):
    """The file as a whole cannot be read (no header, not JSON...)."""


def detect(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".xlsx", ".xlsm")):
        return "excel"
    if name.endswith((".json", ".jsonl", ".ndjson")):
        return "json"
    return "csv"


def read(path: Path) -> tuple[list[str], Iterator[Item | BadRow]]:
    """The column names and the records of a course file of any supported format."""
    kind = detect(path)
    if kind == "excel":
        return read_excel(path)
    if kind == "json":
        return read_json(path)
    return read_csv(path)


def read_csv(path: Path) -> tuple[list[str], Iterator[Item | BadRow]]:
    text_head = read_text(path)[:4096].split("\n", 1)[0]
    delimiter = ";" if text_head.count(";") > text_head.count(",") else ","
    header, rows = read_rows(path, delimiter=delimiter, record_start=_RECORD_START if delimiter == "," else None)
    if not header:
        raise FormatError("empty file or unreadable header")
    header = [h.strip().lower() for h in header]

    def items() -> Iterator[Item | BadRow]:
        for row in rows:
            if isinstance(row, BadRow):
                yield row
            else:
                yield Item(row.line, {k.strip().lower(): v for k, v in row.values.items()}, row.raw)

    return header, items()


def read_excel(path: Path) -> tuple[list[str], Iterator[Item | BadRow]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise FormatError(f"not a readable Excel file: {exc}") from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        header = [str(h or "").strip().lower() for h in next(rows)]
    except StopIteration:
        raise FormatError("empty sheet") from None

    def items() -> Iterator[Item | BadRow]:
        # Excel stores codes like 014061 as text when typed so; a number loses its zeros: Places pads them.
        for number, row in enumerate(rows, start=2):
            if row is None or not any(c not in (None, "") for c in row):
                continue
            values = {h: cell_text(v) for h, v in zip(header, row, strict=False) if h}
            yield Item(number, values, json.dumps(values, ensure_ascii=False, default=str))
        book.close()

    return header, items()


def read_json(path: Path) -> tuple[list[str], Iterator[Item | BadRow]]:
    """A JSON array of objects, an object with a ``courses`` array, or JSON Lines (one object a line)."""
    text = read_text(path)
    records: list[tuple[int, object, str]] = []
    try:
        data = json.loads(text)
        if isinstance(data, dict):
            data = data.get("courses", [data])
        if not isinstance(data, list):
            raise FormatError("expected a JSON array of course objects")
        records = [(i, rec, json.dumps(rec, ensure_ascii=False)) for i, rec in enumerate(data, start=1)]
    except json.JSONDecodeError:
        for no, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                records.append((no, json.loads(line), line))
            except json.JSONDecodeError as exc:
                records.append((no, exc, line))
        if records and all(isinstance(r, json.JSONDecodeError) for _, r, _ in records[:3]):
            raise FormatError("not JSON nor JSON Lines") from None
    header = sorted({k for _, rec, _ in records if isinstance(rec, dict) for k in rec})

    def items() -> Iterator[Item | BadRow]:
        for no, rec, raw in records:
            if isinstance(rec, json.JSONDecodeError):
                yield BadRow(no, f"not JSON: {rec.msg}", raw[:2000])
            elif not isinstance(rec, dict):
                yield BadRow(no, "not a JSON object", raw[:2000])
            else:
                values = {str(k).strip().lower(): (v if isinstance(v, list) else cell_text(v)) for k, v in rec.items()}
                yield Item(no, values, raw)

    return header, items()
