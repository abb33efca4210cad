"""Excel workbooks: the first sheet, a header row, one posting per row (same column names as CSV)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from regia.postings.formats import table
from regia.postings.formats.base import Input, RawPosting, ReadError


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


class XlsxReader:
    name = "xlsx"

    def count(self, source: Input) -> int | None:
        from openpyxl import load_workbook

        wb = load_workbook(source.path, read_only=True)
        try:
            rows = wb.worksheets[0].iter_rows(values_only=True)
            return max(0, sum(1 for row in rows if any(c not in (None, "") for c in row)) - 1)
        finally:
            wb.close()

    def read(self, source: Input) -> Iterator[RawPosting | ReadError]:
        from openpyxl import load_workbook

        name = source.path.name
        try:
            wb = load_workbook(source.path, read_only=True, data_only=True)
        except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException ...
            yield ReadError(name, None, None, f"not an Excel workbook: {type(exc).__name__}: {exc}")
            return
        try:
            rows = wb.worksheets[0].iter_rows(values_only=True)
            header = [str(h or "").strip() for h in next(rows, ())]
            cmap = table.column_map(header)
            if "title" not in cmap.values():
                yield ReadError(name, 1, None, f"no title column among {', '.join(header)[:300]}", "", "header")
                return
            ordinal = 0
            for no, row in enumerate(rows, 2):
                if not any(c not in (None, "") for c in row):
                    continue
                values = {h: _cell(v) for h, v in zip(header, row, strict=False)}
                if len(row) > len(header) and any(v not in (None, "") for v in row[len(header):]):
                    yield ReadError(name, no, ordinal, f"expected {len(header)} cells, found {len(row)}",
                                    "\t".join(str(c or "") for c in row)[:2000])
                    ordinal += 1
                    continue
                fields = table.fields(values, cmap)
                raw = "\t".join("" if c is None else str(c) for c in row)[:2000]
                yield RawPosting(name, no, ordinal, fields, raw,
                                 table.skills_from_text(str(fields.get("skills_text", ""))))
                ordinal += 1
        finally:
            wb.close()
