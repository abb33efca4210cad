"""The skills-needs report: the figures of :mod:`regia.analytics.needs` for one selection (and optionally a
second one to compare with), as JSON and as a self-contained HTML file with Vega-Lite charts (Altair specs,
rendered by vega-embed) and a Leaflet province map (boundaries from the taxonomy, no tile server).

The HTML embeds the front-end libraries installed under ``web/static/vendor`` so that the file opens
offline, anywhere; without them it still shows every table.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import regia
from regia.analytics.needs import Filters, Needs
from regia.db import session_factory
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
    """Vega-Lite specs (via Altair) of the report's figures."""
    import altair as alt

    it = lang == "it"
    specs: dict[str, dict[str, Any]] = {}
    months = report["by_month"]
    if months:
        rows = [{"month": r["month"], "series": "annunci (unità di domanda)" if it else "postings (demand units)",
                 "value": r["postings"]} for r in months]
        rows += [{"month": r["month"], "series": "con competenze digitali" if it else "with digital skills",
                  "value": r["digital_postings"]} for r in months]
        trend = alt.Chart(alt.Data(values=rows)).mark_line(point=True).encode(
            x=alt.X("month:O", title="mese" if it else "month"),
            y=alt.Y("value:Q", title="annunci" if it else "postings"),
            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=["month:O", "series:N", "value:Q"]).properties(width="container", height=260)
        specs["trend"] = trend.to_dict()
    skills = report["top_skills"]
    if skills:
        rows = [{"skill": r["label"], "share": r["share"],
                 "kind": "digitale" if r["digital"] else "green" if r["green"] else
                 ("trasversale" if it else "transversal") if r["transversal"] else ("altra" if it else "other")}
                for r in skills]
        bars = alt.Chart(alt.Data(values=rows)).mark_bar().encode(
            y=alt.Y("skill:N", sort="-x", title=None),
            x=alt.X("share:Q", axis=alt.Axis(format="%"), title="quota di annunci" if it else "share of postings"),
            color=alt.Color("kind:N", title=None, scale=alt.Scale(
                domain=["digitale", "green", "trasversale" if it else "transversal", "altra" if it else "other"],
                range=["#0066cc", "#008055", "#995c00", "#5c6f82"])),
            tooltip=["skill:N", alt.Tooltip("share:Q", format=".1%"), "kind:N"]).properties(
            width="container", height=max(160, 18 * len(rows)))
        specs["skills"] = bars.to_dict()
    sectors = [r for r in report["by_sector"] if r["division"]]
    if sectors:
        bars = alt.Chart(alt.Data(values=[{"sector": f"{r['division']} {str(r['label']).capitalize()[:50]}",
                                           "postings": r["postings"]} for r in sectors])).mark_bar().encode(
            y=alt.Y("sector:N", sort="-x", title=None), x=alt.X("postings:Q", title="annunci" if it else "postings"),
            tooltip=["sector:N", "postings:Q"]).properties(width="container", height=max(120, 18 * len(sectors)))
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


def render_html(needs: Needs, report: dict[str, Any], *, lang: str = "it") -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)

    def pct(x: float | None) -> str:
        return "–" if x is None else f"{100 * x:.1f}%".replace(".", "," if lang == "it" else ".")

    def number(n: int | None) -> str:
        return "–" if n is None else f"{n:,}".replace(",", "." if lang == "it" else ",")

    scripts = {p: _vendor(p) for p in SCRIPTS}
    styles = {p: _vendor(p) for p in STYLES}
    template = env.get_template("report.html")
    return template.render(
        r=report, lang=lang, it=lang == "it", pct=pct, number=number,
        charts_json=json.dumps(charts(report, lang), ensure_ascii=False).replace("</", "<\\/"),
        map_json=json.dumps(map_data(needs, report), ensure_ascii=False).replace("</", "<\\/"),
        scripts=[s.replace("</script", "<\\/script") for s in scripts.values() if s],
        styles=[s for s in styles.values() if s],
        have_charts=all(scripts[p] for p in SCRIPTS[:3]), have_map=bool(scripts["leaflet/leaflet.js"]),
    )


def write_html(needs: Needs, report: dict[str, Any], path: Path, *, lang: str = "it") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(render_html(needs, report, lang=lang), encoding="utf-8")
    tmp.replace(path)
    return path
