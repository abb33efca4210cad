"""The whole `regia` command: one Typer sub-app per domain (`regia.cli.main` runs it; `regia.cli.app` is it)."""

from __future__ import annotations

import typer

from regia.cli import HELP, batch, bench, ingest_courses, system, taxonomy
from regia.cli import catalog as catalog_cli
from regia.cli import classify as classify_cli
from regia.cli import credentials as credentials_cli
from regia.cli import demo_data as demo_data_cli
from regia.cli import exchange as exchange_cli
from regia.cli import iefp as iefp_cli
from regia.cli import ingest as ingest_cli
from regia.cli import linkage as linkage_cli
from regia.cli import outcomes as outcomes_cli
from regia.cli import programming as programming_cli
from regia.cli import report as report_cli
from regia.cli import users as users_cli
from regia.cli import worker as worker_cli
from regia.exchange import capture

capture.install()  # what the commands write into the domains reaches the exchange's change feeds

app = typer.Typer(no_args_is_help=True, help=HELP)
app.add_typer(taxonomy.app, name="taxonomy")
app.add_typer(system.db_app, name="db")
app.command("serve")(system.serve)
app.command("demo")(system.demo)
app.command("worker")(worker_cli.worker)
app.command("classify")(classify_cli.classify)
app.command("classify-index")(classify_cli.index)
app.command("classify-train")(classify_cli.train)
app.command("classify-distill")(classify_cli.distill)
app.add_typer(bench.app, name="bench")
app.add_typer(ingest_cli.app, name="ingest")
app.add_typer(demo_data_cli.app, name="demo-data")
ingest_cli.app.command("courses")(ingest_courses.courses)
app.add_typer(catalog_cli.app, name="catalog")
demo_data_cli.app.command("courses")(catalog_cli.demo_courses)
app.add_typer(report_cli.app, name="report")
report_cli.app.command("needs")(report_cli.needs)
report_cli.app.command("mismatch")(catalog_cli.report_mismatch)
app.add_typer(users_cli.app, name="users")
app.add_typer(users_cli.org_app, name="org")
app.add_typer(users_cli.audit_app, name="audit")
app.add_typer(batch.app, name="batch")
app.add_typer(linkage_cli.app, name="linkage")
app.add_typer(programming_cli.app, name="programming")
demo_data_cli.app.command("programming")(programming_cli.demo)
ingest_cli.app.command("participations")(outcomes_cli.participations)
ingest_cli.app.command("employment")(outcomes_cli.employment)
ingest_cli.app.command("unemployed")(outcomes_cli.unemployed)
demo_data_cli.app.command("outcomes")(outcomes_cli.demo_outcomes)
app.add_typer(outcomes_cli.impact_app, name="impact")
app.add_typer(outcomes_cli.outcomes_app, name="outcomes")
app.add_typer(credentials_cli.app, name="credentials")
ingest_cli.app.command("standards")(credentials_cli.ingest_standards)
demo_data_cli.app.command("certification")(credentials_cli.demo_certification)
app.add_typer(exchange_cli.app, name="exchange")
demo_data_cli.app.command("exchange")(exchange_cli.demo)
app.add_typer(iefp_cli.app, name="iefp")
ingest_cli.app.command("iefp-figures")(iefp_cli.ingest_figures)
demo_data_cli.app.command("iefp")(iefp_cli.demo_iefp)

__all__ = ["app"]
