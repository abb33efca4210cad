"""Free text -> ranked ESCO occupations and skills with evidence spans (``Classifier``, ``classify``)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from regia.classify.classifier import Classifier, Match, Params, Result


def cache_dir() -> Path:
    from regia.config import get_settings

    return get_settings().data_dir / "classify"


def classifier_for(engine: Engine, *, params: Params | None = None) -> Classifier:
    """A classifier over ``engine``'s taxonomy, its index cached under ``REGIA_DATA_DIR/classify``."""
    return Classifier.from_engine(engine, cache_dir=cache_dir(), params=params)


def classify(engine: Engine, text: str, top_k: int = 20, lang: str = "auto") -> Result:
    """One-off classification (builds or loads the index; keep a ``Classifier`` for many texts)."""
    return classifier_for(engine).classify(text, top_k=top_k, lang=lang)


__all__ = ["Classifier", "Match", "Params", "Result", "classifier_for", "classify"]
