"""The Spark engine: the same partitions, processed by Spark's Python workers inside ``mapInArrow``.

1. The input is read as a DataFrame: Parquet natively (file and row from the ``_metadata`` column), JSON
   Lines as text lines numbered per file (``zipWithIndex``), so that a broken line is reported with its line.
2. Each row gets its partition with the SQL form of ``parts.part_of``; completed partitions are filtered out;
   ``repartitionByRange`` on the partition number puts each partition wholly in one task.
3. ``mapInArrow`` hands each task's rows to ``parts.process``, which classifies them and writes the
   partition's files and marker straight to the output (shared storage on a cluster); tasks return one
   summary row per partition. The snapshot is shipped with ``SparkContext.addFile`` (or read from a URI on
   shared storage) and loaded once per Python worker, which Spark reuses from task to task.
4. The cube: Spark SQL runs the analytics layer's cube SQL over the facts and writes it partitioned by month.

Progress comes from Spark's status tracker (stages and tasks). Local masters run the workers with this
process's Python; on a cluster, ``spark.pyspark.python`` names theirs (see ``docs/spark.md``).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from regia.batch import parts
from regia.batch.inputs import JSONL, Source
from regia.batch.job import Job
from regia.batch.store import Store, is_uri
from regia.progress import Progress

DEFAULT_CONF = {
    "spark.sql.session.timeZone": "UTC",  # dates read from timestamps are the same days on every machine
    "spark.ui.showConsoleProgress": "false",  # progress is Regia's bar (status tracker)
    "spark.python.worker.reuse": "true",  # a worker keeps its snapshot from task to task
    "spark.sql.execution.arrow.maxRecordsPerBatch": "2000",
}


def session(master: str | None = None, conf: dict[str, str] | None = None, app_name: str = "regia-batch") -> Any:
    """A Spark session for batch jobs: ``master`` (default: spark-submit's, else ``local[*]``) and ``conf``."""
    from pyspark import SparkConf
    from pyspark.sql import SparkSession

    settings = {**DEFAULT_CONF, **(conf or {})}
    master = master or SparkConf().get("spark.master", None) or "local[*]"
    if master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the workers import Regia from this environment
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # one machine: everything on the loopback
        settings.setdefault("spark.driver.host", "127.0.0.1")
        settings.setdefault("spark.driver.bindAddress", "127.0.0.1")
        settings.setdefault("spark.ui.enabled", "false")
        settings.setdefault("spark.sql.shuffle.partitions", "8")  # a few cores: not 200 shuffle buckets
    builder = SparkSession.builder.appName(app_name).master(master)
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


class StageProgress(threading.Thread):
    """Reports the running stage's completed tasks (Spark's status tracker) to a ``Progress``."""

    def __init__(self, spark: Any, progress: Progress, interval: float = 0.5) -> None:
        super().__init__(daemon=True, name="regia-spark-progress")
        self.tracker = spark.sparkContext.statusTracker()
        self.progress = progress
        self.interval = interval
        self._halt = threading.Event()
        self._stage: int | None = None
        self._done = 0

    def _catch_up(self) -> None:
        info = self.tracker.getStageInfo(self._stage) if self._stage is not None else None
        if info is not None and info.numCompletedTasks > self._done:
            self.progress.advance(info.numCompletedTasks - self._done)
            self._done = info.numCompletedTasks

    def poll(self) -> None:
        self._catch_up()  # the current stage, active or just finished
        for sid in sorted(self.tracker.getActiveStageIds()):
            if sid == self._stage:
                continue
            info = self.tracker.getStageInfo(sid)
            if info is not None:
                self._stage, self._done = sid, 0
                self.progress.start(f"spark stage {sid}: {info.name.split(' at ')[0]}", info.numTasks)
                self._catch_up()
                break

    def run(self) -> None:
        while not self._halt.wait(self.interval):
            try:
                self.poll()
            except Exception:  # the tracker is gone (session stopping): nothing more to report
                return

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)
        with contextlib.suppress(Exception):  # the last tasks' completions
            self.poll()


def _task(job_dict: dict[str, Any], out_location: str, snapshot_ref: str, shipped: bool, input_root: str
          ) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: every partition of the task's rows through ``parts.process``."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from pyspark import SparkFiles

        tables = [pa.Table.from_batches([b]) for b in batches if b.num_rows]
        if not tables:
            return
        table = pa.concat_tables(tables)
        job = Job.from_dict(job_dict)
        path = SparkFiles.get(snapshot_ref) if shipped else snapshot_ref
        store = Store(out_location)
        for part in sorted(pc.unique(table[parts.PART]).to_pylist()):
            rows = table.filter(pc.equal(table[parts.PART], part))
            result = parts.process(job, int(part), rows, store=store, snapshot_path=path, input_root=input_root)
            yield pa.RecordBatch.from_pylist([result.summary()], schema=parts.SUMMARY_SCHEMA)

    return run


class SparkEngine:
    name = "spark"

    def __init__(self, master: str | None = None, conf: dict[str, str] | None = None, spark: Any = None) -> None:
        self._own = spark is None
        self.spark = spark or session(master, conf)

    # ------------------------------------------------------------------ input
    def _frame(self, job: Job, source: Source) -> Any:
        from pyspark.sql import functions as F
        from pyspark.sql import types as T

        spark = self.spark
        if source.format == JSONL:
            sc = spark.sparkContext
            rdds = []
            for rel, uri in zip(source.files, source.uris(), strict=True):
                rdds.append(sc.textFile(uri).zipWithIndex()
                            .filter(lambda t: bool(t[0].strip()))
                            .map(lambda t, rel=rel: (rel, t[1] + 1, t[0])))
            schema = T.StructType([T.StructField(parts.FILE, T.StringType()), T.StructField(parts.ROW, T.LongType()),
                                   T.StructField(parts.JSON, T.StringType())])
            frame = spark.createDataFrame(sc.union(rdds), schema)
            key = (f"coalesce(get_json_object({parts.JSON}, '$.id'), "
                   f"concat({parts.FILE}, ':', CAST({parts.ROW} AS STRING)))")
        else:
            frame = (spark.read.option("mergeSchema", "true").parquet(*source.uris())
                     .select("*", F.col("_metadata.file_path").alias(parts.FILE),
                             (F.col("_metadata.row_index") + 1).alias(parts.ROW)))
            key = f"coalesce(CAST(id AS STRING), concat({parts.FILE}, ':', CAST({parts.ROW} AS STRING)))"
        return frame.withColumn(parts.PART, F.expr(parts.part_sql(key, job.partitions, "spark")).cast("int"))

    def process(self, job: Job, source: Source, out: Store, pending: list[int], progress: Progress
                ) -> list[dict[str, Any]]:
        from pyspark.sql import functions as F

        spark = self.spark
        shipped = not is_uri(job.snapshot)
        ref = job.snapshot
        if shipped:
            spark.sparkContext.addFile(os.path.abspath(job.snapshot))
            ref = os.path.basename(job.snapshot)
        frame = self._frame(job, source).filter(F.col(parts.PART).isin(pending))
        frame = frame.repartitionByRange(len(pending), parts.PART)
        fn = _task(job.as_dict(), out.location, ref, shipped, source.root)
        tracker = StageProgress(spark, progress)
        tracker.start()
        try:
            rows = frame.mapInArrow(fn, _spark_schema(parts.SUMMARY_SCHEMA)).collect()
        except KeyboardInterrupt:
            spark.sparkContext.cancelAllJobs()
            raise
        finally:
            tracker.stop()
        summaries = [r.asDict() for r in rows]
        for part in set(pending) - {s["part"] for s in summaries}:  # no row of the input hashes to it
            parts.mark_empty(out, part)
        return summaries

    def cube(self, job: Job, out: Store, sql: str, params: list[Any]) -> int:
        from regia.postings import facts

        spark = self.spark
        for table in facts.SCHEMAS:
            spark.read.parquet(out.uri(f"facts/{table}")).createOrReplaceTempView(table)
        frame = spark.sql(sql, args=params) if params else spark.sql(sql)
        writer = frame.write.mode("overwrite")
        if "month" in job.dims:
            writer = writer.partitionBy("month")
        writer.parquet(out.uri("_cube.tmp"))
        out.delete_dir("cube")
        out.fs.move(out.path("_cube.tmp"), out.path("cube"))
        return int(spark.read.parquet(out.uri("cube")).count())

    def close(self) -> None:
        if self._own:
            self.spark.stop()


def _spark_schema(schema: pa.Schema) -> str:
    names = {pa.int32(): "int", pa.int64(): "bigint", pa.float64(): "double", pa.string(): "string",
             pa.bool_(): "boolean"}
    return ", ".join(f"{f.name} {names[f.type]}" for f in schema)
