"""`regia batch ...`: classification and the needs cube over files of postings, on this machine (DuckDB and a
process pool) or on Apache Spark, with the same results; export of the stored postings and load of a cube
computed elsewhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from regia.cli.common import console, engine, err, fail, print_json

app = typer.Typer(no_args_is_help=True, help="Batch jobs over files of postings: local engine or Apache Spark.")

ENGINE_HELP = "local (DuckDB + worker processes, default) or spark (PySpark: pip install -e '.\\[spark]')"
MASTER_HELP = "Spark master: local[2], spark://host:7077, yarn, k8s://https://host:6443 (default: local[*])"


def _snapshot(path: str | None, quiet: bool) -> str:
    if path:
        return path
    from regia.batch import snapshot
    from regia.config import get_settings

    if not quiet:
        err.print("Preparing the taxonomy snapshot from the database ...")
    try:
        return snapshot.ensure(engine(), get_settings().data_dir / "batch")
    except LookupError as exc:
        raise fail(str(exc)) from None


def _conf(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise fail(f"--conf takes KEY=VALUE, not {item!r}", 2)
        out[key.strip()] = value.strip()
    return out


def _run(task: str, source: str, output: str, *, engine_name: str, master: str | None, snapshot_path: str | None,
         partitions: int, workers: int | None, top_k: int, lang: str, dims: str | None, overwrite: bool,
         conf: list[str], as_json: bool, quiet: bool) -> None:
    from regia.batch import service
    from regia.batch.inputs import InputError
    from regia.batch.job import CUBE_DIMS, ClassifierSettings, Job, JobError
    from regia.batch.snapshot import SnapshotError
    from regia.progress import RichProgress

    if engine_name not in ("local", "spark"):
        raise fail(f"--engine must be local or spark, not {engine_name!r}", 2)
    options: dict[str, Any] = {}
    if engine_name == "local":
        if master:
            raise fail("--master is a Spark option: add --engine spark", 2)
        options["workers"] = workers
    else:
        options.update(master=master, conf=_conf(conf))
    try:
        job = Job(task=task, input=source, output=output, snapshot=_snapshot(snapshot_path, quiet or as_json),
                  classifier=ClassifierSettings(top_k=top_k, lang=lang), partitions=partitions,
                  dims=tuple(d.strip() for d in dims.split(",") if d.strip()) if dims else CUBE_DIMS)
        with RichProgress(err, enabled=not quiet and not as_json) as progress:
            manifest = service.run(job, engine=engine_name, overwrite=overwrite, progress=progress, **options)
    except (JobError, InputError, SnapshotError) as exc:
        raise fail(str(exc), 2) from None
    except ImportError as exc:
        raise fail(f"{exc}: the spark engine needs the spark extra (pip install -e '.\\[spark]') and Java 17+") \
            from None
    except KeyboardInterrupt:
        err.print("[yellow]interrupted:[/yellow] completed partitions are kept; run the same command again to "
                  "resume")
        raise typer.Exit(130) from None
    if as_json:
        print_json(manifest)
        return
    table = Table(title=f"batch {task} ({manifest['engine']})" + (" - resumed" if manifest["resumed"] else ""))
    for col in ("read", "written", "rejected", "rows", "partitions", "partitions resumed", "seconds"):
        table.add_column(col, justify="right")
    table.add_row(*(str(manifest[k]) for k in ("read", "written", "rejected", "rows", "partitions",
                                                "partitions_resumed", "seconds")))
    console.print(table)
    if manifest.get("cube_cells") is not None:
        console.print(f"cube: {manifest['cube_cells']} cells in {output}/cube (load it with `regia batch load`)")
    if manifest["rejected"]:
        err.print(f"{manifest['rejected']} rows rejected: see {output}/_rejected/ (file, row, id, field, reason)")


Input = typer.Argument(..., help="Postings: a Parquet or JSON Lines file or folder (path or URI), with at least "
                                 "id, title, text")
Output = typer.Option(..., "-o", "--output", help="Output folder (path or URI); a killed run resumes there")


ENGINE = typer.Option("local", "--engine", "-e", help=ENGINE_HELP)
MASTER = typer.Option(None, "--master", help=MASTER_HELP)
SNAPSHOT = typer.Option(None, "--snapshot", help="Taxonomy snapshot (`regia batch snapshot`); default: built from "
                                                 "the database")
PARTITIONS = typer.Option(16, "--partitions", min=1, max=100_000, help="Partitions (the resume unit)")
WORKERS = typer.Option(None, "--workers", min=0, max=256, help="Local engine: worker processes")
OVERWRITE = typer.Option(False, "--overwrite", help="Clear an output that holds another job")
CONF = typer.Option([], "--conf", help="Spark setting KEY=VALUE (repeatable)")
JSON = typer.Option(False, "--json", help="Print the manifest as JSON")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress bars")


@app.command("classify")
def classify(
    source: str = Input, output: str = Output, engine_name: str = ENGINE, master: str | None = MASTER,
    snapshot_path: str | None = SNAPSHOT, partitions: int = PARTITIONS, workers: int | None = WORKERS,
    top_k: int = typer.Option(20, "--top-k", min=1, max=1000, help="Occupations and skills kept per posting"),
    lang: str = typer.Option("auto", "--lang", help="Language of the texts: auto, it or en"),
    overwrite: bool = OVERWRITE, conf: list[str] = CONF, as_json: bool = JSON, quiet: bool = QUIET,
) -> None:
    """Classify postings: one row per posting x concept (id, kind, uri, score, selected, rank), Parquet
    partitioned by month."""
    _run("classify", source, output, engine_name=engine_name, master=master, snapshot_path=snapshot_path,
         partitions=partitions, workers=workers, top_k=top_k, lang=lang, dims=None, overwrite=overwrite, conf=conf,
         as_json=as_json, quiet=quiet)


@app.command("needs")
def needs(
    source: str = Input, output: str = Output, engine_name: str = ENGINE, master: str | None = MASTER,
    snapshot_path: str | None = SNAPSHOT, partitions: int = PARTITIONS, workers: int | None = WORKERS,
    top_k: int = typer.Option(20, "--top-k", min=1, max=1000, help="Concepts ranked per posting"),
    dims: str | None = typer.Option(None, "--dims", help="Cube dimensions, comma-separated (default: province, "
                                                         "section, division, isco, occupation, skill, month)"),
    overwrite: bool = OVERWRITE, conf: list[str] = CONF, as_json: bool = JSON, quiet: bool = QUIET,
) -> None:
    """The needs cube (territory x ATECO x occupation x skill x month, digital/green flags) as the analytics
    layer computes it, with the postings facts it is computed from."""
    _run("needs", source, output, engine_name=engine_name, master=master, snapshot_path=snapshot_path,
         partitions=partitions, workers=workers, top_k=top_k, lang="auto", dims=dims, overwrite=overwrite, conf=conf,
         as_json=as_json, quiet=quiet)


@app.command("snapshot")
def snapshot_cmd(
    output: str = typer.Option(..., "-o", "--output", help="Snapshot file to write (path or URI)"),
    as_json: bool = typer.Option(False, "--json", help="Print the header as JSON"),
) -> None:
    """Write the taxonomy snapshot (classifier index, weights, code lists) that batch workers load: ship it with
    the job (spark-submit --files) or put it on shared storage."""
    from regia.batch import snapshot

    try:
        header = snapshot.build(engine(), output)
    except LookupError as exc:
        raise fail(str(exc)) from None
    if as_json:
        print_json(header)
        return
    console.print(f"snapshot written to {output}: {header['bytes'] / 1e6:.0f} MB, {header['concepts']} concepts, "
                  f"sha256 {header['sha256'][:16]}…")


@app.command("export")
def export(
    output: Path = typer.Option(..., "-o", "--output", help="Parquet file to write"),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON"),
) -> None:
    """Export the stored postings (text, codes, the sources' skills) as a batch input, e.g. for a Spark cluster."""
    from regia.batch import exchange

    result = exchange.export(engine(), output)
    if as_json:
        print_json(result)
        return
    console.print(f"{result['postings']} postings ({result['groups']} demand units) written to {output}")


@app.command("load")
def load(
    output: str = typer.Argument(..., help="A finished `regia batch needs` output folder (path or URI)"),
    name: str | None = typer.Option(None, "--name", help="Dataset name in the analytics store (default: the "
                                                         "folder's name); the same name again replaces it"),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON"),
) -> None:
    """Load the facts and cube of a needs job run elsewhere into the analytics store: the needs pages, API and
    reports show them with the ingested postings."""
    from regia.batch import exchange

    try:
        result = exchange.load(output, name=name)
    except exchange.LoadError as exc:
        raise fail(str(exc), 2) from None
    if as_json:
        print_json(result)
        return
    verb = "already loaded, unchanged" if result["status"] == "unchanged" else "loaded"
    console.print(f"dataset {result['dataset']}: {result['postings']} postings {verb}")
