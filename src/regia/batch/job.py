"""One description of a batch job - what to read, what to write, with which taxonomy and classifier - that
every engine runs the same way (Splink's pattern: one settings object, a small backend interface).

The job is stored with its output (``_job.json``); a run over an output that holds another job is refused,
so that a resumed run can never mix the partitions of two different jobs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from regia.analytics.needs import DIMENSIONS

CLASSIFY, NEEDS = "classify", "needs"
TASKS = (CLASSIFY, NEEDS)
LANGS = ("auto", "it", "en")
# The needs cube: territory x ATECO x occupation x skill x month (the analytics layer's dimension names).
CUBE_DIMS = ("province", "section", "division", "isco", "occupation", "skill", "month")
DEFAULT_PARTITIONS = 16
MAX_PARTITIONS = 100_000


class JobError(ValueError):
    """A job that cannot run as described; ``field`` names the setting at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ClassifierSettings:
    """How the classifier runs: ranked concepts kept per kind, the texts' language, and overrides of
    ``regia.classify.Params`` (the snapshot's weights otherwise)."""

    top_k: int = 20
    lang: str = "auto"
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 1 <= self.top_k <= 1000:
            raise JobError("top_k", f"top_k must be between 1 and 1000, not {self.top_k}")
        if self.lang not in LANGS:
            raise JobError("lang", f"lang must be one of {', '.join(LANGS)}, not {self.lang!r}")
        from regia.classify import Params

        known = {f.name for f in fields(Params)}
        unknown = sorted(set(self.params) - known)
        if unknown:
            raise JobError("params", f"unknown classifier parameter(s): {', '.join(unknown)}")


@dataclass(frozen=True)
class Job:
    """A batch job. ``input``/``output``/``snapshot`` are local paths or URIs (``hdfs://``, ``s3://`` ...).

    ``partitions``: the postings are split by a hash of their id into this many partitions; each is
    processed and committed on its own, which is what a resumed run skips. ``dims``: the needs cube's
    dimensions (``regia.analytics.needs.DIMENSIONS``)."""

    task: str
    input: str
    output: str
    snapshot: str
    classifier: ClassifierSettings = field(default_factory=ClassifierSettings)
    partitions: int = DEFAULT_PARTITIONS
    dims: tuple[str, ...] = CUBE_DIMS

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise JobError("task", f"task must be one of {', '.join(TASKS)}, not {self.task!r}")
        if not 1 <= self.partitions <= MAX_PARTITIONS:
            raise JobError("partitions", f"partitions must be between 1 and {MAX_PARTITIONS}, not {self.partitions}")
        unknown = [d for d in self.dims if d not in DIMENSIONS]
        if unknown:
            raise JobError("dims", f"unknown cube dimension(s) {', '.join(unknown)}; use {', '.join(DIMENSIONS)}")
        if self.task == NEEDS and not self.dims:
            raise JobError("dims", "the needs cube needs at least one dimension")
        if self.task == NEEDS and self.classifier.lang != "auto":
            raise JobError("lang", "the needs cube labels postings as ingest does (language detected: auto)")

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["dims"] = list(self.dims)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        data = dict(data)
        data["classifier"] = ClassifierSettings(**data.get("classifier", {}))
        data["dims"] = tuple(data.get("dims", CUBE_DIMS))
        return cls(**data)

    def key(self, input_fingerprint: str, snapshot_digest: str) -> str:
        """What the results depend on: task, settings, the input's files and the snapshot's content (not where
        the output is, nor the engine: both engines give the same results)."""
        basis = {"task": self.task, "classifier": asdict(self.classifier), "partitions": self.partitions,
                 "dims": list(self.dims) if self.task == NEEDS else [], "input": input_fingerprint,
                 "snapshot": snapshot_digest}
        return hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode()).hexdigest()[:24]
