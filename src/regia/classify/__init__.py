"""Free text -> ranked ESCO occupations and skills with evidence spans (``Classifier``, ``classify``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from regia.classify.classifier import Classifier, Match, Params, Result


def cache_dir() -> Path:
    from regia.config import get_settings

    return get_settings().data_dir / "classify"


def classifier_for(engine: Engine, *, params: Params | None = None, encoder: str = "auto",
                   progress: Any = None) -> Classifier:
    """A classifier over ``engine``'s taxonomy, its index cached under ``REGIA_DATA_DIR/classify``.

    ``encoder``: ``auto`` uses the label embeddings when they were built (``regia classify-index``), ``build``
    builds them when missing (minutes; ``progress`` reports), ``off`` never runs the encoder."""
    return Classifier.from_engine(engine, cache_dir=cache_dir(), params=params, encoder=encoder, progress=progress)


def classify(engine: Engine, text: str, top_k: int = 20, lang: str = "auto") -> Result:
    """One-off classification (builds or loads the index; keep a ``Classifier`` for many texts)."""
    return classifier_for(engine).classify(text, top_k=top_k, lang=lang)


__all__ = ["Classifier", "Match", "Params", "Result", "classifier_for", "classify"]
