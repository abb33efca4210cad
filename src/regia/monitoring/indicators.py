"""Outcome indicators per programme, plan line, funding source, Fund, province, target group or course.

Per group (one row per participation: a person on two courses counts in both):

- ``participants`` — participations; ``ended`` — completed or dropped; ``completed``; ``certified``;
- **completion rate** = completed ÷ ended; **certification rate** = certified ÷ completed;
- **employed at 6 / 12 months** = employed at the end of the 6th / 12th month after the month the participation
  ended (``panel`` rule 5), among the ended participations whose 6th / 12th month is observed
  (``observed_6m`` / ``observed_12m``: the rest are too recent to tell);
- **stable employment** = in an open-ended contract at the end of the 12th month, same denominator;
- **days worked** in the 12 months after the end (mean over ``observed_12m``);
- **cost per participant** = the cost of the participations whose cost is known ÷ their number; the cost of a
  participation is the ``cost_eur`` of its record, else its course's cost per participant in the catalogue
  (``regia.catalog.service``); **cost per person employed** = the cost of the participations observed at 12
  months ÷ those of them employed at 12 months.

The province is the participant's province of residence. Figures here are the Region's working view (no
suppression); what is published goes through ``disclosure`` (``opendata``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from regia.i18n import N_, format_decimal, format_money, format_percent, gettext
from regia.monitoring import codes
from regia.monitoring.dataset import Dataset
from regia.monitoring.panel import month_index

DIMENSIONS = ("programme", "plan_line", "funding", "fund", "province", "target_group", "course")
DIMENSION_LABELS = {"programme": N_("monitoring.dimension.programme"),
                    "plan_line": N_("monitoring.dimension.plan_line"), "funding": N_("monitoring.dimension.funding"),
                    "fund": N_("monitoring.dimension.fund"), "province": N_("monitoring.dimension.province"),
                    "target_group": N_("monitoring.dimension.target_group"),
                    "course": N_("monitoring.dimension.course")}
NONE = "-"
COLUMNS = ("participants", "completion_rate", "certification_rate", "employed_6m_rate", "employed_12m_rate",
           "stable_12m_rate", "days_12m", "cost_per_participant", "cost_per_employed")


@dataclass
class Row:
    key: str
    label: str
    participants: int = 0
    ended: int = 0
    completed: int = 0
    certified: int = 0
    observed_6m: int = 0
    employed_6m: int = 0
    observed_12m: int = 0
    employed_12m: int = 0
    stable_12m: int = 0
    days_12m: int = 0
    costed: int = 0
    cost: float = 0.0
    cost_observed_12m: float = 0.0
    employed_12m_costed: int = 0

    @staticmethod
    def _share(a: float, b: float) -> float | None:
        return a / b if b else None

    @property
    def completion_rate(self) -> float | None:
        return self._share(self.completed, self.ended)

    @property
    def certification_rate(self) -> float | None:
        return self._share(self.certified, self.completed)

    @property
    def employed_6m_rate(self) -> float | None:
        return self._share(self.employed_6m, self.observed_6m)

    @property
    def employed_12m_rate(self) -> float | None:
        return self._share(self.employed_12m, self.observed_12m)

    @property
    def stable_12m_rate(self) -> float | None:
        return self._share(self.stable_12m, self.observed_12m)

    @property
    def days_12m_mean(self) -> float | None:
        return self._share(self.days_12m, self.observed_12m)

    @property
    def cost_per_participant(self) -> float | None:
        return self._share(self.cost, self.costed)

    @property
    def cost_per_employed(self) -> float | None:
        return self._share(self.cost_observed_12m, self.employed_12m_costed)

    def figures(self) -> list[Any]:
        return [self.participants, self.completion_rate, self.certification_rate, self.employed_6m_rate,
                self.employed_12m_rate, self.stable_12m_rate, self.days_12m_mean, self.cost_per_participant,
                self.cost_per_employed]

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(completion_rate=self.completion_rate, certification_rate=self.certification_rate,
                   employed_6m_rate=self.employed_6m_rate, employed_12m_rate=self.employed_12m_rate,
                   stable_12m_rate=self.stable_12m_rate, days_12m_mean=self.days_12m_mean,
                   cost_per_participant=self.cost_per_participant, cost_per_employed=self.cost_per_employed)
        return out


@dataclass
class Table:
    by: str
    rows: list[Row]
    total: Row
    cutoff: Any
    synthetic: bool


def plain(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _fold_fund(name: str) -> str:
    text = codes.fold(name)
    return text.split(" (", 1)[0].strip()


def fund_filter(frame: pd.DataFrame, funds: Sequence[str] | None) -> pd.DataFrame:
    """The participations a viewer limited to ``funds`` (Fund organisations' names) may count: those financed
    by one of them. None: no limit."""
    if funds is None:
        return frame
    wanted = {_fold_fund(n) for n in funds}
    mask = frame["funding"].eq(codes.FUND) & frame["fund"].fillna("").map(_fold_fund).isin(wanted)
    return frame[mask]


def _labels(engine: Engine, by: str, keys: set[str], lang: str) -> dict[str, str]:
    if by == "course":
        from regia.catalog import service as catalog

        facts = catalog.course_facts(engine, [int(k) for k in keys if k.isdigit()])
        return {str(cid): f"{f.title} ({f.provider})" for cid, f in facts.items()}
    if by == "province":
        from regia.monitoring.places import province_names

        with Session(engine) as session:
            return province_names(session, keys)
    if by == "funding":
        return {k: gettext(codes.FUNDING_LABELS[k], lang) for k in keys if k in codes.FUNDING_LABELS}
    if by == "target_group":
        return {k: gettext(codes.TARGET_LABELS[k], lang) for k in keys if k in codes.TARGET_LABELS}
    return {}


def compute(engine: Engine, ds: Dataset, *, by: str, funds: Sequence[str] | None = None,
            course_id: int | None = None, lang: str = "it") -> Table:
    """The indicators of the participations held, grouped ``by`` a dimension (``DIMENSIONS``)."""
    if by not in DIMENSIONS:
        raise ValueError(f"unknown dimension {by!r}")
    frame = fund_filter(ds.participations, funds)
    if course_id is not None:
        frame = frame[frame["course_id"] == course_id]
    column = {"province": "nuts3", "course": "course_id"}.get(by, by)
    if by == "fund":
        frame = frame[frame["funding"] == codes.FUND]
    keys = frame[column].map(lambda v: NONE if v is None or pd.isna(v) else str(int(v)) if isinstance(v, float)
                             else str(v))
    costs = _costs(engine, frame)
    panel = ds.panel
    index = panel.index()
    last = ds.cutoff_month
    rows: dict[str, Row] = {}
    total = Row("total", "")
    for (_, part), key, cost in zip(frame.iterrows(), keys, costs, strict=True):
        row = rows.setdefault(key, Row(key, ""))
        for target in (row, total):
            _add(target, part, cost, panel, index, last)
    labels = _labels(engine, by, set(rows), lang)
    out = sorted(rows.values(), key=lambda r: (-r.participants, r.key))
    for r in out:
        r.label = labels.get(r.key, r.key)
    return Table(by, out, total, ds.cutoff, ds.synthetic)


def _costs(engine: Engine, frame: pd.DataFrame) -> list[float | None]:
    from regia.catalog import service as catalog

    ids = {int(c) for c in frame["course_id"].dropna()}
    facts = catalog.course_facts(engine, ids) if ids else {}
    out: list[float | None] = []
    for cost, course in zip(frame["cost_eur"], frame["course_id"], strict=True):
        if cost is not None and not pd.isna(cost):
            out.append(float(cost))
        elif course is not None and not pd.isna(course) and int(course) in facts:
            out.append(facts[int(course)].cost_eur)
        else:
            out.append(None)
    return out


def _add(row: Row, part: pd.Series, cost: float | None, panel: Any, index: dict[str, int], last: int) -> None:
    row.participants += 1
    if cost is not None:
        row.costed += 1
        row.cost += cost
    if part["status"] == codes.ENROLLED or part["ended_on"] is None or pd.isna(part["ended_on"]):
        return
    row.ended += 1
    if part["status"] == codes.COMPLETED:
        row.completed += 1
        row.certified += bool(part["certified"])
    k = index.get(part["person"])
    if k is None:
        return
    end = month_index(part["ended_on"])
    col = end - panel.first
    if end + 6 <= last and col + 6 >= 0:
        row.observed_6m += 1
        row.employed_6m += bool(panel.employed[k, col + 6])
    if end + 12 <= last and col + 1 >= 0:
        row.observed_12m += 1
        employed = bool(panel.employed[k, col + 12])
        row.employed_12m += employed
        row.stable_12m += bool(panel.stable[k, col + 12])
        row.days_12m += int(np.sum(panel.days[k, col + 1: col + 13]))
        if cost is not None:
            row.cost_observed_12m += cost
            row.employed_12m_costed += employed


def formatted(row: Row, lang: str) -> list[str]:
    """A row's figures in the page's language."""
    return [format_decimal(row.participants, lang, 0), format_percent(row.completion_rate, lang),
            format_percent(row.certification_rate, lang), format_percent(row.employed_6m_rate, lang),
            format_percent(row.employed_12m_rate, lang), format_percent(row.stable_12m_rate, lang),
            format_decimal(row.days_12m_mean, lang, 1), format_money(row.cost_per_participant, lang),
            format_money(row.cost_per_employed, lang)]


HEADER_KEYS = {"participants": N_("monitoring.column.participants"),
               "completion_rate": N_("monitoring.column.completion_rate"),
               "certification_rate": N_("monitoring.column.certification_rate"),
               "employed_6m_rate": N_("monitoring.column.employed_6m_rate"),
               "employed_12m_rate": N_("monitoring.column.employed_12m_rate"),
               "stable_12m_rate": N_("monitoring.column.stable_12m_rate"),
               "days_12m": N_("monitoring.column.days_12m"),
               "cost_per_participant": N_("monitoring.column.cost_per_participant"),
               "cost_per_employed": N_("monitoring.column.cost_per_employed")}


def to_csv(table: Table, lang: str) -> str:
    """The table as CSV (machine values: shares 0–1, amounts in euro), with the counts behind each rate."""
    buffer = io.StringIO()
    fields = ["key", "label", "participants", "ended", "completed", "certified", "observed_6m", "employed_6m",
              "observed_12m", "employed_12m", "stable_12m", "completion_rate", "certification_rate",
              "employed_6m_rate", "employed_12m_rate", "stable_12m_rate", "days_12m_mean", "cost_per_participant",
              "cost_per_employed"]
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in [*table.rows, table.total]:
        values = row.as_dict()
        if row is table.total:
            values["label"] = gettext("monitoring.total", lang)
        writer.writerow({k: ("" if values[k] is None else round(values[k], 4) if isinstance(values[k], float)
                             else values[k]) for k in fields})
    return buffer.getvalue()
