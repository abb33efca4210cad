"""The impact report for a Cabina di regia member who is not a statistician: data, method, assumptions,
diagnostics and caveats, in the page's language (Italian first). One structure (:class:`Report`) feeds the
HTML page and the PDF (fpdf2), so both say the same; the event-study chart is a Vega-Lite spec on the page
and is drawn with fpdf2's lines in the PDF.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from regia.clock import rome_today
from regia.i18n import N_, format_date, format_decimal, format_number, gettext
from regia.monitoring import codes
from regia.monitoring.dataset import Dataset
from regia.monitoring.impact import COVARIATE_LABELS, METHOD_LABELS, OUTCOME_LABELS, Estimate

SMD_OK = 0.1
KEYS = (N_("monitoring.report.method.naive"), N_("monitoring.report.method.psm"), N_("monitoring.report.method.ipw"),
        N_("monitoring.report.method.did"), N_("monitoring.report.method.cs"),
        N_("monitoring.report.assume.naive"), N_("monitoring.report.assume.psm"), N_("monitoring.report.assume.ipw"),
        N_("monitoring.report.assume.did"), N_("monitoring.report.assume.cs"),
        N_("monitoring.report.outcome_text.employed_6m"), N_("monitoring.report.outcome_text.employed_12m"),
        N_("monitoring.report.outcome_text.stable_12m"), N_("monitoring.report.outcome_text.days_worked_12m"),
        N_("monitoring.heterogeneity.target_group"), N_("monitoring.heterogeneity.sex"),
        N_("monitoring.heterogeneity.age_band"), N_("monitoring.heterogeneity.citizenship"))
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Report:
    title: str
    subtitle: str
    synthetic: bool
    sections: list[Section]
    study: list[dict[str, float]]
    study_title: str
    outcome: str


def value(v: float | None, outcome: str, lang: str) -> str:
    """An effect in the outcome's unit: percentage points for shares, days for days."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if outcome == "days_worked_12m":
        return gettext("monitoring.report.days", lang, n=format_decimal(v, lang, 1))
    return gettext("monitoring.report.points", lang, n=format_decimal(v * 100, lang, 1))


def _group_label(dim: str, group: str, lang: str) -> str:
    labels = {**codes.TARGET_LABELS, **codes.SEX_LABELS, **codes.CITIZENSHIP_LABELS, **codes.AGE_BAND_LABELS}
    return gettext(labels[group], lang) if group in labels else group


def build(estimates: list[Estimate], ds: Dataset, *, lang: str, programme: str | None = None) -> Report:
    if not estimates:
        raise ValueError("no estimate to report")
    outcome = estimates[0].outcome
    def t(key: str, **kw: Any) -> str:  # keys built at run time (declared in KEYS)
        return gettext(key, lang, **kw)

    out_label = t(OUTCOME_LABELS[outcome])
    proper = [e for e in estimates if e.causal]
    main = proper[0] if proper else estimates[0]
    sections: list[Section] = []
    summary = Section(gettext("monitoring.report.summary", lang))
    for e in estimates:
        lo, hi = e.ci
        text = gettext("monitoring.report.result", lang, method=t(METHOD_LABELS[e.method]), outcome=out_label,
                 att=value(e.att, outcome, lang), lo=value(lo, outcome, lang), hi=value(hi, outcome, lang))
        if not e.causal:
            text += " " + gettext("monitoring.report.naive_warning", lang)
        elif math.isfinite(lo) and (lo > 0 or hi < 0):
            text += " " + gettext("monitoring.report.significant", lang)
        else:
            text += " " + gettext("monitoring.report.not_significant", lang)
        summary.paragraphs.append(text)
    summary.paragraphs.append(gettext("monitoring.report.att_meaning", lang))
    sections.append(summary)

    data = Section(gettext("monitoring.report.data", lang))
    data.paragraphs.append(gettext("monitoring.report.data_text", lang, treated=format_number(main.n_treated, lang),
                             control=format_number(main.n_control, lang), cutoff=format_date(ds.cutoff, lang),
                             programme=programme or gettext("monitoring.report.all_programmes", lang)))
    data.paragraphs.append(t(f"monitoring.report.outcome_text.{outcome}"))
    data.paragraphs.append(gettext("monitoring.report.reference_dates", lang))
    excluded = main.diagnostics.get("excluded", {})
    if excluded:
        data.paragraphs.append(gettext("monitoring.report.excluded", lang,
                                       window=format_number(excluded.get("outside_window", 0), lang),
                                       pseudo=format_number(excluded.get("no_pseudo_date", 0), lang)))
    sections.append(data)

    method = Section(gettext("monitoring.report.methods", lang))
    assumptions = Section(gettext("monitoring.report.assumptions", lang))
    for e in estimates:
        method.paragraphs.append(f"{t(METHOD_LABELS[e.method])}: {t(f'monitoring.report.method.{e.method}')}")
        assumptions.paragraphs.append(f"{t(METHOD_LABELS[e.method])}: {t(f'monitoring.report.assume.{e.method}')}")
    sections += [method, assumptions]

    diagnostics = Section(gettext("monitoring.report.diagnostics", lang))
    weighted = next((e for e in estimates if e.method in ("psm", "ipw")), None)
    balance_source = weighted or main
    diagnostics.paragraphs.append(gettext("monitoring.report.balance_text", lang,
                                          threshold=format_decimal(SMD_OK, lang, 1)))
    diagnostics.header = [gettext("monitoring.report.covariate", lang), gettext("monitoring.report.smd_before", lang),
                          gettext("monitoring.report.smd_after", lang)]
    for name, row in balance_source.balance.items():
        diagnostics.rows.append([t(COVARIATE_LABELS[name]), format_decimal(row["before"], lang, 3),
                                 format_decimal(row["after"], lang, 3) if row["after"] is not None else "–"])
    if weighted is not None:
        after = [abs(r["after"]) for r in weighted.balance.values() if r["after"] is not None]
        worst = max(after) if after else 0.0
        if worst < SMD_OK:
            diagnostics.paragraphs.append(gettext("monitoring.report.balance_ok", lang,
                                                  worst=format_decimal(worst, lang, 3)))
        else:
            diagnostics.paragraphs.append(gettext("monitoring.report.balance_bad", lang,
                                                  worst=format_decimal(worst, lang, 3)))
        diagnostics.paragraphs.append(gettext("monitoring.report.support", lang,
                                        trimmed=format_number(weighted.diagnostics.get("trimmed_treated", 0), lang)))
    for e in estimates:
        if e.method == "did" and "placebo_pre_trend" in e.diagnostics:
            p = e.diagnostics["placebo_pre_trend"]
            ok = p["ci"][0] is not None and p["ci"][0] <= 0 <= p["ci"][1]
            shown = value(p["att"], outcome, lang)
            diagnostics.paragraphs.append(gettext("monitoring.report.placebo_ok", lang, att=shown) if ok else
                                          gettext("monitoring.report.placebo_bad", lang, att=shown))
        if e.method == "cs" and "pre_periods" in e.diagnostics:
            diagnostics.paragraphs.append(gettext("monitoring.report.pretrends", lang,
                                            n=format_number(e.diagnostics["pre_periods"], lang),
                                            k=format_number(e.diagnostics["pre_periods_ci_excluding_zero"], lang)))
    sections.append(diagnostics)

    hetero = Section(gettext("monitoring.report.heterogeneity", lang))
    hetero.paragraphs.append(gettext("monitoring.report.heterogeneity_text", lang,
                                     method=t(METHOD_LABELS[main.method])))
    hetero.header = [gettext("monitoring.report.group", lang), gettext("monitoring.report.effect", lang),
                     gettext("monitoring.report.ci", lang), gettext("monitoring.report.n_treated", lang),
                     gettext("monitoring.report.n_control", lang)]
    for row in main.heterogeneity:
        hetero.rows.append([f"{t('monitoring.heterogeneity.' + row['dimension'])}: "
                            f"{_group_label(row['dimension'], row['group'], lang)}",
                            value(row["att"], outcome, lang),
                            f"{value(row['ci'][0], outcome, lang)} – {value(row['ci'][1], outcome, lang)}",
                            format_number(row["n_treated"], lang), format_number(row["n_control"], lang)])
    sections.append(hetero)

    caveats = Section(gettext("monitoring.report.caveats", lang))
    caveats.paragraphs += [gettext("monitoring.report.caveat.selection", lang),
                           gettext("monitoring.report.caveat.lockin", lang),
                           gettext("monitoring.report.caveat.coverage", lang),
                           gettext("monitoring.report.caveat.population", lang)]
    if ds.synthetic:
        caveats.paragraphs.insert(0, gettext("monitoring.report.caveat.synthetic", lang))
    sections.append(caveats)
    study_from = next((e for e in estimates if e.method == "cs" and e.event_study), None) or \
        next((e for e in estimates if e.event_study), None)
    return Report(title=gettext("monitoring.report.title", lang, outcome=out_label),
                  subtitle=gettext("monitoring.report.subtitle", lang, day=format_date(rome_today(), lang)),
                  synthetic=ds.synthetic, sections=sections, study=study_from.event_study if study_from else [],
                  study_title=gettext("monitoring.report.study_title", lang, method=t(METHOD_LABELS[study_from.method]))
                  if study_from else "", outcome=outcome)


def chart_spec(study: list[dict[str, float]], *, lang: str, outcome: str) -> dict[str, Any] | None:
    """Vega-Lite: the effect at each month from entry with its 95% interval, zero line, entry marked."""
    if not study:
        return None
    scale = 1.0 if outcome == "days_worked_12m" else 100.0
    rows = [{"e": r["e"], "att": r["att"] * scale, "lo": r["lo"] * scale, "hi": r["hi"] * scale} for r in study
            if all(isinstance(r[k], float | int) and math.isfinite(r[k]) for k in ("att", "lo", "hi"))]
    if outcome == "days_worked_12m":
        y_title = gettext("monitoring.chart.days", lang)
    else:
        y_title = gettext("monitoring.chart.points", lang)
    x_title = gettext("monitoring.chart.months", lang)
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json", "width": "container", "height": 260,
        "data": {"values": rows},
        "layer": [
            {"mark": {"type": "rule", "color": "#5c6f82"}, "encoding": {"y": {"datum": 0}}},
            {"mark": {"type": "rule", "strokeDash": [4, 4], "color": "#cc334d"}, "encoding": {"x": {"datum": 0}}},
            {"mark": {"type": "errorbar", "color": "#0066cc"},
             "encoding": {"x": {"field": "e", "type": "quantitative", "title": x_title},
                          "y": {"field": "lo", "type": "quantitative", "title": y_title}, "y2": {"field": "hi"}}},
            {"mark": {"type": "point", "filled": True, "color": "#003366"},
             "encoding": {"x": {"field": "e", "type": "quantitative"}, "y": {"field": "att", "type": "quantitative"},
                          "tooltip": [{"field": "e", "title": x_title}, {"field": "att", "format": ".1f"}]}},
        ],
    }


def pdf(report: Report, *, lang: str) -> bytes:
    from fpdf import FPDF

    doc = FPDF(format="A4")
    family = "Helvetica"
    for folder in _FONT_DIRS:
        if (folder / "DejaVuSans.ttf").is_file() and (folder / "DejaVuSans-Bold.ttf").is_file():
            doc.add_font("DejaVu", "", str(folder / "DejaVuSans.ttf"))
            doc.add_font("DejaVu", "B", str(folder / "DejaVuSans-Bold.ttf"))
            family = "DejaVu"
            break

    def text(v: str) -> str:
        if family == "DejaVu":
            return v
        return v.replace("–", "-").replace("—", "-").replace("’", "'").replace("≥", ">=").encode(
            "latin-1", "replace").decode("latin-1")

    doc.set_auto_page_break(auto=True, margin=18)
    doc.set_margins(18, 18, 18)
    doc.add_page()
    doc.set_font(family, "B", 15)
    doc.multi_cell(0, 8, text(report.title), new_x="LMARGIN", new_y="NEXT")
    doc.set_font(family, "", 9)
    doc.multi_cell(0, 5, text(report.subtitle), new_x="LMARGIN", new_y="NEXT")
    if report.synthetic:
        doc.set_font(family, "B", 10)
        doc.multi_cell(0, 6, text(gettext("monitoring.synthetic", lang)), new_x="LMARGIN", new_y="NEXT")
    for section in report.sections:
        doc.ln(3)
        doc.set_font(family, "B", 12)
        doc.multi_cell(0, 7, text(section.title), new_x="LMARGIN", new_y="NEXT")
        doc.set_font(family, "", 10)
        for p in section.paragraphs:
            doc.multi_cell(0, 5, text(p), new_x="LMARGIN", new_y="NEXT")
            doc.ln(1)
        if section.rows:
            widths = [70] + [104 / (len(section.header) - 1)] * (len(section.header) - 1)
            doc.set_font(family, "B", 9)
            for w, h in zip(widths, section.header, strict=True):
                doc.cell(w, 6, text(h), border=1)
            doc.ln()
            doc.set_font(family, "", 9)
            for row in section.rows:
                for w, v in zip(widths, row, strict=True):
                    doc.cell(w, 6, text(v)[:60], border=1)
                doc.ln()
    if report.study:
        _draw_study(doc, family, report, text)
    return bytes(doc.output())


def _draw_study(doc: Any, family: str, report: Report, text: Any) -> None:
    scale = 1.0 if report.outcome == "days_worked_12m" else 100.0
    points = [(r["e"], r["att"] * scale, r["lo"] * scale, r["hi"] * scale) for r in report.study
              if all(isinstance(r[k], float | int) and math.isfinite(r[k]) for k in ("att", "lo", "hi"))]
    if not points:
        return
    doc.add_page()
    doc.set_font(family, "B", 12)
    doc.multi_cell(0, 7, text(report.study_title), new_x="LMARGIN", new_y="NEXT")
    x0, y0, w, h = 28, doc.get_y() + 6, 160, 90
    es = [p[0] for p in points]
    lo, hi = min(min(p[2] for p in points), 0.0), max(max(p[3] for p in points), 0.0)
    span = (hi - lo) or 1.0
    e_min, e_max = min(es), max(es)

    def px(e: float) -> float:
        return x0 + (e - e_min) / ((e_max - e_min) or 1) * w

    def py(v: float) -> float:
        return y0 + h - (v - lo) / span * h

    doc.set_draw_color(120, 120, 120)
    doc.rect(x0, y0, w, h)
    doc.line(x0, py(0), x0 + w, py(0))
    doc.set_draw_color(204, 51, 77)
    if e_min <= 0 <= e_max:
        doc.line(px(0), y0, px(0), y0 + h)
    doc.set_draw_color(0, 102, 204)
    for e, att, a, b in points:
        doc.line(px(e), py(a), px(e), py(b))
        doc.circle(x=px(e) - 0.8, y=py(att) - 0.8, radius=1.6, style="F")
    doc.set_font(family, "", 8)
    for v in (lo, 0.0, hi):
        doc.text(x0 - 12, py(v) + 1, f"{v:.1f}")
    for e in (e_min, 0, e_max):
        doc.text(px(e) - 2, y0 + h + 5, str(e))
