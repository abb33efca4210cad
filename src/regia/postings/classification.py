"""Regia's classifier over batches of postings, in worker processes when asked (the classifier is loaded
once in the parent and shared with forked workers, copy-on-write).

Only what ingest stores travels back: the best selected occupation and the selected skills with scores.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult, Pool
from types import TracebackType
from typing import Any

TOP_K = 20


@dataclass(frozen=True)
class Labels:
    """What the classifier asserts about one posting."""

    occupation: str | None = None
    occupation_score: float | None = None
    skills: list[tuple[str, float]] = field(default_factory=list)  # (ESCO URI, score), selected only


def labels_of(classifier: Any, text: str, top_k: int = TOP_K) -> Labels:
    result = classifier.classify(text, top_k=top_k)
    best = next((m for m in result.occupations if m.selected), None)
    skills = [(m.uri, float(m.score)) for m in result.skills if m.selected]
    return Labels(best.uri if best else None, float(best.score) if best else None, skills)


_WORKER_CLASSIFIER: Any = None


def _work(texts: Sequence[str]) -> list[Labels]:
    return [labels_of(_WORKER_CLASSIFIER, t) for t in texts]


class _Done:
    def __init__(self, value: list[Labels]) -> None:
        self._value = value

    def get(self) -> list[Labels]:
        return self._value


class Pending:
    """Labels of a batch, being computed."""

    def __init__(self, parts: AsyncResult[list[list[Labels]]] | _Done) -> None:
        self._parts = parts

    def get(self) -> list[Labels]:
        value = self._parts.get()
        if value and isinstance(value[0], list):
            return [x for part in value for x in part]  # type: ignore[union-attr]
        return value  # type: ignore[return-value]


class Labeller:
    """Classifies batches of texts, with ``workers`` forked processes (0: in this process).

    Create it (and so fork the workers) before starting threads such as a progress bar's."""

    def __init__(self, classifier: Any | None = None, *, workers: int = 0,
                 factory: Callable[[], Any] | None = None) -> None:
        self._classifier = classifier
        self._factory = factory
        self.workers = workers
        self._pool: Pool | None = None

    @property
    def classifier(self) -> Any:
        if self._classifier is None:
            if self._factory is None:
                raise RuntimeError("no classifier")
            self._classifier = self._factory()
        return self._classifier

    def start(self) -> Labeller:
        global _WORKER_CLASSIFIER
        if self.workers > 0 and self._pool is None:
            _WORKER_CLASSIFIER = self.classifier
            self._pool = mp.get_context("fork").Pool(self.workers)
        return self

    def submit(self, texts: list[str]) -> Pending:
        if not texts:
            return Pending(_Done([]))
        if self.workers <= 0 or self._pool is None:
            return Pending(_Done([labels_of(self.classifier, t) for t in texts]))
        n = max(1, min(len(texts), self.workers * 4))
        size = -(-len(texts) // n)
        chunks = [texts[i:i + size] for i in range(0, len(texts), size)]
        return Pending(self._pool.map_async(_work, chunks))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    def __enter__(self) -> Labeller:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is not None and self._pool is not None:
            self._pool.terminate()
            self._pool = None
        self.close()
