"""The skills-needs report: the figures of :mod:`regia.analytics.needs` for one selection (and optionally a
second one to compare with), as JSON and as a self-contained HTML file with Vega-Lite charts (Altair specs,
rendered by vega-embed) and a Leaflet province map (boundaries from the taxonomy, no tile server).

The HTML embeds the front-end libraries installed under ``web/static/vendor`` so that the file opens
offline, anywhere; without them it still shows every table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from markupsafe import Markup

import regia
from regia import i18n
from regia.analytics.needs import Filters, Needs
from regia.db import session_factory
from regia.i18n import gettext
from regia.taxonomy import service as taxonomy_service

VENDOR = Path(regia.__file__).resolve().parent / "web" / "static" / "vendor"
TEMPLATES = Path(__file__).resolve().parent / "templates"
SCRIPTS = ("vega/vega.min.js", "vega-lite/vega-lite.min.js", "vega-embed/vega-embed.min.js", "leaflet/leaflet.js")
STYLES = ("leaflet/leaflet.css",)


@dataclass(frozen=True)
class Selection:
    filters: Filters
    label: str


def figures(needs: Needs, f: Filters, *, top: int = 20, lang: str = "it", with_extras: bool = True
            ) -> dict[str, Any]:
    """Every figure of one selection; ``postings`` are distinct demand units after de-duplication."""
    summary = needs.summary(f)
    out: dict[str, Any] = {"filters": f.describe()}
    out.update({k: summary[k] for k in ("postings", "ads", "employers", "first_month", "last_month", "synthetic")})
    out["shares"] = {k: v for k, v in summary.items() if k.startswith(("digital", "green", "transversal"))
                     or k in ("postings_with_skills", "skill_mentions")}
    out["by_month"] = needs.trend(f)
    out["by_province"] = needs.by_province(f)
    sectors = needs.cube(f, ["section", "division"], limit=15)
    for r in sectors:
        r["label"] = needs.ref.ateco_labels.get(r["division"] or "", r["division"])
    out["by_sector"] = sectors
    occupations = needs.cube(f, ["isco"], limit=15)
    for r in occupations:
        r["label"] = needs.ref.isco.get(r["isco"] or "", r["isco"])
    out["by_occupation"] = occupations
    out["top_skills"] = needs.top_skills(f, top, lang)
    if with_extras:
        out["emerging_skills"] = needs.emerging_skills(f, lang=lang)
        out["cooccurrence"] = needs.cooccurrence(f, n=15, lang=lang)
    return out


def build(needs: Needs, main: Selection, other: Selection | None = None, *, top: int = 20, lang: str = "it"
          ) -> dict[str, Any]:
    report = figures(needs, main.filters, top=top, lang=lang)
    report["label"] = main.label
    report["comparison"] = None
    if other is not None:
        comparison = needs.compare(main.filters, other.filters, lang=lang)
        comparison["a"]["label"], comparison["b"]["label"] = main.label, other.label
        comparison["b_figures"] = figures(needs, other.filters, top=top, lang=lang, with_extras=False)
        report["comparison"] = comparison
    report["generated"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return report


# ---------------------------------------------------------------------------------------------- charts
def charts(report: dict[str, Any], lang: str = "it") -> dict[str, dict[str, Any]]:
    """Vega-Lite specs (via Altair) of the report's figures, titled in ``lang``; numbers on the axes and in the
    tooltips follow the page's ``formatLocale`` (:func:`regia.i18n.chart_locale`)."""
    import altair as alt

    def _(key: str) -> str:
        return gettext(key, lang)

    specs: dict[str, dict[str, Any]] = {}
    months = report["by_month"]
    if months:
        rows = [{"month": r["month"], "series": _("needs.postings"), "value": r["postings"]} for r in months]
        rows += [{"month": r["month"], "series": _("needs.chart.digital_series"), "value": r["digital_postings"]}
                 for r in months]
        trend = alt.Chart(alt.Data(values=rows)).mark_line(point=True).encode(
            x=alt.X("month:O", title=_("needs.chart.month")),
            y=alt.Y("value:Q", title=_("needs.chart.postings"), axis=alt.Axis(format=",d")),
            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=[alt.Tooltip("month:O", title=_("needs.chart.month")),
                     alt.Tooltip("series:N", title=_("needs.chart.series")),
                     alt.Tooltip("value:Q", title=_("needs.chart.postings"), format=",d")],
        ).properties(width="container", height=260)
        specs["trend"] = trend.to_dict()
    skills = report["top_skills"]
    if skills:
        kinds = [_("needs.chart.kind.digital"), _("needs.chart.kind.green"), _("needs.chart.kind.transversal"),
                 _("needs.chart.kind.other")]
        rows = [{"skill": r["label"], "share": r["share"],
                 "kind": kinds[0] if r["digital"] else kinds[1] if r["green"] else kinds[2] if r["transversal"]
                 else kinds[3]} for r in skills]
        bars = alt.Chart(alt.Data(values=rows)).mark_bar().encode(
            y=alt.Y("skill:N", sort="-x", title=None),
            x=alt.X("share:Q", axis=alt.Axis(format="%"), title=_("needs.chart.share")),
            color=alt.Color("kind:N", title=None, scale=alt.Scale(
                domain=kinds, range=["#0066cc", "#008055", "#995c00", "#5c6f82"])),
            tooltip=[alt.Tooltip("skill:N", title=_("needs.skill")),
                     alt.Tooltip("share:Q", title=_("needs.chart.share"), format=".1%"),
                     alt.Tooltip("kind:N", title=_("needs.chart.kind"))],
        ).properties(width="container", height=max(160, 18 * len(rows)))
        specs["skills"] = bars.to_dict()
    sectors = [r for r in report["by_sector"] if r["division"]]
    if sectors:
        bars = alt.Chart(alt.Data(values=[{"sector": f"{r['division']} {str(r['label']).capitalize()[:50]}",
                                           "postings": r["postings"]} for r in sectors])).mark_bar().encode(
            y=alt.Y("sector:N", sort="-x", title=None),
            x=alt.X("postings:Q", title=_("needs.chart.postings"), axis=alt.Axis(format=",d")),
            tooltip=[alt.Tooltip("sector:N", title=_("needs.chart.sector")),
                     alt.Tooltip("postings:Q", title=_("needs.chart.postings"), format=",d")],
        ).properties(width="container", height=max(120, 18 * len(sectors)))
        specs["sectors"] = bars.to_dict()
    return specs


def map_data(needs: Needs, report: dict[str, Any], region: str = "ITC4") -> dict[str, Any]:
    with session_factory(needs.engine)() as session:
        features = taxonomy_service.province_features(session, region=region)
    values = {r["province"]: r["postings"] for r in report["by_province"] if r["province"]}
    for feature in cast(list[dict[str, Any]], features["features"]):
        feature["properties"]["postings"] = values.get(feature["properties"]["nuts3"], 0)
    return features


def _vendor(path: str) -> str | None:
    file = VENDOR / path
    return file.read_text(encoding="utf-8") if file.is_file() else None


def render_standalone(name: str, lang: str, **context: Any) -> str:
    """A self-contained HTML file from ``templates/<name>``: gettext and Babel formats in ``lang``, the
    vendored front-end libraries inlined (``scripts``, ``styles``; ``have_charts``, ``have_map``)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    i18n.install_jinja(env)
    scripts = {p: _vendor(p) for p in SCRIPTS}
    styles = {p: _vendor(p) for p in STYLES}
    # The vendored libraries are our own files, embedded as they are (a "</script" inside one would end its tag).
    return env.get_template(name).render(
        lang=lang, **i18n.formatters(lang), chart_locale=i18n.chart_locale(lang),
        scripts=[Markup(s.replace("</script", "<\\/script")) for s in scripts.values() if s],
        styles=[Markup(s) for s in styles.values() if s],
        have_charts=all(scripts[p] for p in SCRIPTS[:3]), have_map=bool(scripts["leaflet/leaflet.js"]), **context)


def render_html(needs: Needs, report: dict[str, Any], *, lang: str = "it") -> str:
    return render_standalone(
        "report.html", lang, r=report,
        generated=i18n.format_datetime(dt.datetime.fromisoformat(report["generated"]), lang),
        charts=charts(report, lang), provinces=map_data(needs, report))


def write_html(needs: Needs, report: dict[str, Any], path: Path, *, lang: str = "it") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(render_html(needs, report, lang=lang), encoding="utf-8")
    tmp.replace(path)
    return path
