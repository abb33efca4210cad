"""`regia linkage persons|firms A.csv B.csv -o PAIRS.csv`: the same person or firm across two sources without
a common key (Splink, trained unsupervised); `regia linkage demo-data`: a synthetic Italian pair of sources."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from regia.cli.common import console, err, fail, print_json

app = typer.Typer(no_args_is_help=True, help="Record linkage: persons and firms across sources (Splink).")


def _run(kind: str, a: Path, b: Path, output: Path, *, threshold: float, review_low: float, engine_name: str,
         master: str | None, store: bool, many: bool, as_json: bool, quiet: bool) -> None:
    from regia.linkage import service
    from regia.linkage.model import Options
    from regia.linkage.records import LinkageInputError

    if engine_name not in ("local", "spark"):
        raise fail(f"--engine must be local or spark, not {engine_name!r}", 2)
    if not 0 < threshold <= 1:
        raise fail(f"--threshold must be a probability in (0, 1], not {threshold}", 2)
    if not 0 < review_low <= threshold:
        raise fail(f"--review-from must be in (0, --threshold], not {review_low}", 2)
    spark: Any = None
    if engine_name == "spark":
        try:
            from regia.batch.engines.spark import session
            from regia.linkage.linker import spark_conf

            spark = session(master, spark_conf(), app_name="regia-linkage")
        except ImportError:
            raise fail("the spark engine needs the spark extra (pip install -e '.\\[spark]') and Java 17+") from None
    db = None
    if store:
        from regia.cli.common import engine

        try:
            db = engine()
        except Exception as exc:  # no database to keep runs in: link all the same, say so
            err.print(f"[yellow]note:[/yellow] no database ({type(exc).__name__}): the run, the review queue and "
                      "earlier decisions are not used (--no-store to silence this)")
    if not quiet and not as_json:
        err.print(f"Linking {kind}: {a.name} x {b.name} ({engine_name}) ...")
    try:
        outcome = service.link_files(kind, a, b, engine=db, link_engine=engine_name, spark=spark,
                                     options=Options(threshold=threshold, review_low=review_low, one_to_one=not many))
    except LinkageInputError as exc:
        raise fail(str(exc), 2) from None
    finally:
        if spark is not None:
            spark.stop()
    for issue in outcome.issues:
        what = "rejected" if issue.rejected else "value left out"
        err.print(f"[yellow]{escape(issue.file)} row {issue.row}[/yellow] (id {escape(issue.id or '-')}) "
                  f"{escape(issue.field or '-')}: {escape(issue.reason)} {escape(f'[{what}]')}", soft_wrap=True)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".part")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id_a", "id_b", "probability"])
        for id_a, id_b, p in outcome.result.pairs:
            writer.writerow([id_a, id_b, f"{p:.6f}"])
    tmp.replace(output)
    summary = outcome.summary()
    if as_json:
        print_json(summary)
        return
    c = outcome.result.counts
    console.print(f"{c['links']} links written to {output} ({c['records_a']} x {c['records_b']} records, "
                  f"{c.get('comparisons', 0)} comparisons after blocking, threshold {threshold})")
    if db is not None:
        console.print(f"{outcome.queued} new pairs for clerical review (probability {review_low}-{threshold}), "
                      f"{outcome.decisions} reviewers' decisions applied: /linkage/review")


A = typer.Argument(..., help="First source (CSV, comma or semicolon separated, with a header)")
B = typer.Argument(..., help="Second source")
OUT = typer.Option(..., "-o", "--output", help="Pairs at or above the threshold: id_a,id_b,probability")
THRESHOLD = typer.Option(0.9, "--threshold", help="Match probability from which a pair is a link")
REVIEW = typer.Option(0.3, "--review-from", help="Pairs from this probability to the threshold go to review")
ENGINE = typer.Option("local", "--engine", "-e", help="local (DuckDB) or spark (Splink's Spark backend)")
MASTER = typer.Option(None, "--master", help="Spark master (with --engine spark): local[2], yarn, k8s://...")
STORE = typer.Option(True, "--store/--no-store", help="Keep the run, the review queue and the identities in the "
                                                      "database (REGIA_DATABASE_URL) and apply earlier decisions")
MANY = typer.Option(False, "--many", help="Let a record link to several of the other source (sources with "
                                          "duplicates); default: one to one")
JSON = typer.Option(False, "--json", help="Print counts and the model's parameters as JSON")
QUIET = typer.Option(False, "--quiet", "-q", help="No messages but the issues")


@app.command("persons")
def persons(a: Path = A, b: Path = B, output: Path = OUT, threshold: float = THRESHOLD, review_low: float = REVIEW,
            engine_name: str = ENGINE, master: str | None = MASTER, store: bool = STORE, many: bool = MANY,
            as_json: bool = JSON, quiet: bool = QUIET) -> None:
    """Link persons: columns id,nome,cognome,data_nascita,sesso,comune_nascita,codice_fiscale,indirizzo,cap,comune."""
    _run("persons", a, b, output, threshold=threshold, review_low=review_low, engine_name=engine_name,
         master=master, store=store, many=many, as_json=as_json, quiet=quiet)


@app.command("firms")
def firms(a: Path = A, b: Path = B, output: Path = OUT, threshold: float = THRESHOLD, review_low: float = REVIEW,
          engine_name: str = ENGINE, master: str | None = MASTER, store: bool = STORE, many: bool = MANY,
          as_json: bool = JSON, quiet: bool = QUIET) -> None:
    """Link firms: columns id,ragione_sociale,partita_iva,codice_fiscale,ateco,indirizzo,cap,comune."""
    _run("firms", a, b, output, threshold=threshold, review_low=review_low, engine_name=engine_name,
         master=master, store=store, many=many, as_json=as_json, quiet=quiet)


@app.command("demo-data")
def demo_data(
    out: Path = typer.Option(..., "-o", "--out", help="Folder for persons_a.csv, persons_b.csv and truth.csv"),
    n: int = typer.Option(5000, "--n", min=10, max=5_000_000, help="Persons per source"),
    seed: int = typer.Option(1, "--seed", help="Random seed: same seed, same files"),
) -> None:
    """Write two synthetic Italian sources of persons with realistic errors, and the truth (id_a, id_b)."""
    from regia.linkage import demo_data as generator

    paths = generator.generate(out, n_a=n, n_b=n, seed=seed)
    console.print("written: " + ", ".join(str(p) for p in paths))
