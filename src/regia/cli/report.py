"""`regia report needs` (a command of the `regia report` group): skills needs of a territory, sector,
occupation and period as tables, JSON and an HTML report with charts and a province map."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from regia.cli.common import console, engine, err, fail, print_json

app = typer.Typer(no_args_is_help=True, help="Reports: skill needs, and the mismatch of demand and training supply.")


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def needs(
    territory: str | None = typer.Option(None, "--territory", "-t",
                                         help="NUTS code, province (name or sigla) or comune: ITC4C, Milano, BG"),
    sector: str | None = typer.Option(None, "--sector", "-s", help="ATECO 2007 section (C) or division (25)"),
    occupation: str | None = typer.Option(None, "--occupation", help="ISCO-08 code (1-4 digits), CP2011 code or "
                                                                       "ESCO occupation URI"),
    start: str | None = typer.Option(None, "--from", help="First month, YYYY-MM"),
    end: str | None = typer.Option(None, "--to", help="Last month, YYYY-MM"),
    compare_territory: str | None = typer.Option(None, "--compare", "--vs",
                                                 help="Compare with this territory (same other filters)"),
    compare_sector: str | None = typer.Option(None, "--compare-sector", help="Compare with this sector"),
    origin: str = typer.Option("all", "--origin", help="Skills: all, source (the feed's) or regia (classifier)"),
    top: int = typer.Option(20, "--top", min=1, max=200, help="How many top skills"),
    lang: str = typer.Option("it", "--lang", help="Labels and report language: it or en"),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON"),
    html: Path | None = typer.Option(None, "--html", help="Where to write the HTML report "
                                                          "(default REGIA_DATA_DIR/reports/needs-....html)"),
    no_html: bool = typer.Option(False, "--no-html", help="Do not write the HTML report"),
) -> None:
    """Demand of occupations and skills: postings (distinct demand units), provinces, sectors, trend, top and
    emerging skills, co-occurrence, and a comparison with another territory or sector."""
    from regia.analytics import FilterError, Needs
    from regia.analytics.report import Selection, build, write_html
    from regia.config import get_settings

    if lang not in ("it", "en"):
        raise fail("--lang must be it or en", 2)
    analytics = Needs(engine())
    try:
        main = analytics.filters(territory=territory, sector=sector, occupation=occupation, start=start, end=end,
                                 origin=origin)
        other = None
        if compare_territory or compare_sector:
            other = analytics.filters(territory=compare_territory or territory,
                                      sector=compare_sector or sector, occupation=occupation, start=start,
                                      end=end, origin=origin)
    except FilterError as exc:
        raise fail(f"--{exc.field}: {exc}", 2) from None
    report = build(analytics, Selection(main, _label(analytics, main)),
                   Selection(other, _label(analytics, other)) if other else None, top=top, lang=lang)
    path = None
    if not no_html:
        path = html or get_settings().data_dir / "reports" / _file_name(main)
        write_html(analytics, report, path, lang=lang)
        report["html"] = str(path)
    if as_json:
        print_json(report)
        return
    _print(report)
    if path:
        err.print(f"HTML report: {path}")


def _label(analytics: Any, f: Any) -> str:
    parts = []
    if f.territory:
        name = analytics.province_name(f.territory) or analytics.ref.regions.get(f.territory)
        if not name and f.territory in analytics.ref.comuni:
            name = analytics.ref.comuni[f.territory].name
        parts.append(name or f.territory)
    if f.sector:
        label = analytics.ref.ateco_labels.get(f.sector, "")
        parts.append(f"ATECO {f.sector}" + (f" {label.capitalize()}" if label else ""))
    if f.occupation:
        parts.append(f"{f.occupation} {analytics.ref.isco.get(f.occupation, '')}".strip())
    return ", ".join(parts) or "Lombardia"


def _file_name(f: Any) -> str:
    bits = [f.territory or "all", f.sector or "all", f.occupation or "", f.start or "", f.end or ""]
    return "needs-" + "-".join(b.replace("/", "_").replace(":", "") for b in bits if b)[:120] + ".html"


def _print(r: dict[str, Any]) -> None:
    s = r["shares"]
    console.print(f"[bold]{escape(r['label'])}[/bold]  {r['first_month'] or '–'} – {r['last_month'] or '–'}"
                  + ("  [yellow](synthetic data)[/yellow]" if r["synthetic"] else ""))
    console.print(f"postings (demand units): [bold]{r['postings']}[/bold]   ads: {r['ads']}   employers: "
                  f"{r['employers']}   digital: {_pct(s['digital_share'])}   green: {_pct(s['green_share'])}   "
                  f"transversal: {_pct(s['transversal_share'])}")
    table = Table(title="Top skills")
    for col in ("skill", "postings", "share", "kind"):
        table.add_column(col, justify="right" if col in ("postings", "share") else "left")
    for sk in r["top_skills"]:
        kind = ", ".join(k for k in ("digital", "green", "transversal") if sk[k])
        table.add_row(escape(sk["label"]), str(sk["postings"]), _pct(sk["share"]), kind)
    console.print(table)
    em = r.get("emerging_skills") or {}
    if em.get("skills"):
        table = Table(title=f"Emerging skills {em['previous'][0]}..{em['previous'][1]} → "
                            f"{em['recent'][0]}..{em['recent'][1]} (q < {em['alpha']})")
        for col in ("skill", "before", "now", "z", "q"):
            table.add_column(col, justify="left" if col == "skill" else "right")
        for sk in em["skills"][:10]:
            table.add_row(escape(sk["label"]), _pct(sk["share_previous"]), _pct(sk["share_recent"]),
                          f"{sk['z']:.1f}", f"{sk['q']:.2g}")
        console.print(table)
    table = Table(title="Provinces")
    table.add_column("province")
    table.add_column("postings", justify="right")
    for p in r["by_province"]:
        table.add_row(escape(p["name"] or p["province"] or "unknown"), str(p["postings"]))
    console.print(table)
    c = r.get("comparison")
    if c:
        table = Table(title=f"{c['a']['label']} vs {c['b']['label']}")
        for col in ("skill", c["a"]["label"], c["b"]["label"], "z", "q"):
            table.add_column(escape(col), justify="left" if col == "skill" else "right")
        table.add_row("[bold]postings", str(c["a"]["postings"]), str(c["b"]["postings"]), "", "")
        for sk in c["skills"][:15]:
            table.add_row(escape(sk["label"]), _pct(sk["a_share"]), _pct(sk["b_share"]), f"{sk['z']:.1f}",
                          f"{sk['q']:.2g}")
        console.print(table)
