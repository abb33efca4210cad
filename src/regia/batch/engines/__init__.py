"""The engines a batch job runs on, behind one small interface (:class:`Engine`).

- ``local`` (default): DuckDB splits the input into the job's partitions and computes the cube; a pool of
  worker processes classifies the partitions, each loading the snapshot once.
- ``spark``: PySpark DataFrames; the partitions are processed inside ``mapInArrow`` by Spark's Python workers
  (the snapshot is shipped with ``SparkContext.addFile`` and loaded once per worker), the cube is the same
  SQL run by Spark SQL. Needs the ``spark`` extra (``pip install -e '.[spark]'``) and Java 17 or newer.

An engine only moves rows and runs SQL: what a partition computes is ``regia.batch.parts.process`` for both,
and the cube's SQL is ``regia.analytics.needs.cube_sql`` for both.
"""

from __future__ import annotations

from typing import Any, Protocol

from regia.batch.inputs import Source
from regia.batch.job import Job
from regia.batch.store import Store
from regia.progress import Progress

NAMES = ("local", "spark")


class Engine(Protocol):
    name: str

    def process(self, job: Job, source: Source, out: Store, pending: list[int], progress: Progress
                ) -> list[dict[str, Any]]:
        """Run ``parts.process`` on every pending partition; the partitions' summaries."""
        ...

    def cube(self, job: Job, out: Store, sql: str, params: list[Any]) -> int:
        """Write ``out/cube`` (partitioned by month when it is a dimension) from ``out/facts``; its cells."""
        ...

    def close(self) -> None: ...


def get(name: str, **options: Any) -> Engine:
    if name == "local":
        from regia.batch.engines.local import LocalEngine

        return LocalEngine(**options)
    if name == "spark":
        from regia.batch.engines.spark import SparkEngine

        return SparkEngine(**options)
    raise ValueError(f"engine must be one of {', '.join(NAMES)}, not {name!r}")
