"""Values as the files give them: spreadsheet cells as text, dates in the formats Italian sources write."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from regia.clock import rome_today

ISO_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%Y%m%d")


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a CSV would hold: empty for nothing, ISO dates, whole numbers without
    their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_date(value: object, formats: Sequence[str] = DATE_FORMATS) -> dt.date | None:
    """The date of a value (a date, or text in one of ``formats``; an ISO date-time counts by its date), or
    None. A two-digit year (``%y``) never lands in the future: ``01/02/75`` is 1975."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    if not text:
        return None
    if ISO_DATE_TIME.match(text):
        text = text[:10]
    for fmt in formats:
        try:
            parsed = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if fmt.endswith("%y") and parsed > rome_today():
            parsed = parsed.replace(year=parsed.year - 100)
        return parsed
    return None
