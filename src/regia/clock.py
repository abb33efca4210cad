"""Lombardy's calendar: the day and the instant as a reader in Rome sees them.

A server's clock may run in UTC: between 23:00 and 24:00 UTC it is already tomorrow in Rome (22:00 in
summer). Dates that a rule or a reader compares with "today" (delegations, report periods, ages, the
catalogue's next start) use :func:`rome_today`, never ``date.today()``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

ROME = ZoneInfo("Europe/Rome")


def rome_today() -> date:
    """Today in Lombardy."""
    return datetime.now(ROME).date()


def to_rome(moment: datetime) -> datetime:
    """The instant in Europe/Rome; a naive datetime is a UTC instant (as SQLite returns them)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ROME)
