"""The learned combination of the classifier's skill signals: logistic regression, trained by `regia classify-train`.

For every text of the training data the classifier scores its skill candidates (the best ``CANDIDATES`` by the
hand-set sum); each candidate is a row of features, labelled 1 when it is a gold skill:

* ``lexical``: the raw score without the encoder (labels, lexicon, descriptions, static embeddings, priors);
* ``encoder``: the encoder's similarity gain (0..1, ``Classifier._encoded``);
* ``both``: their product (the two agreeing).

A logistic regression (numpy, L2, full-batch gradient descent on standardised features) is fitted to them. The
ranking of a text's candidates by the fitted logit is what ``Classifier`` uses when ``Params.learned`` is on:
``data/combination.json`` holds the weights (a few hundred bytes, versioned), the training sets and the fit's
figures. Training data: the public *validation* splits (TECH, HOUSE) and, as synthetic queries, the first
sentence of ESCO skill descriptions (never a test split, nothing derived from MELO's crosswalk); deterministic
for the same taxonomy and code.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from regia.classify.lexicon import DATA

FEATURES = ("lexical", "encoder", "both")
CANDIDATES = 100
ARTEFACT = DATA / "combination.json"


@dataclass(frozen=True)
class Combination:
    weights: tuple[float, ...]  # per feature, on the raw (unstandardised) features
    bias: float

    def logit(self, lexical: np.ndarray, encoder: np.ndarray) -> np.ndarray:
        w = self.weights
        return self.bias + w[0] * lexical + w[1] * encoder + w[2] * lexical * encoder


def features(lexical: np.ndarray, encoder: np.ndarray) -> np.ndarray:
    return np.stack([lexical, encoder, lexical * encoder], axis=1).astype(np.float64)


def fit(x: np.ndarray, y: np.ndarray, *, l2: float = 1e-3, steps: int = 3000, rate: float = 0.5
        ) -> tuple[Combination, dict[str, float]]:
    """Logistic regression by gradient descent on standardised features; weights mapped back to raw units."""
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std == 0] = 1.0
    z = (x - mean) / std
    pos = max(float(y.mean()), 1e-6)
    sample = np.where(y == 1, 0.5 / pos, 0.5 / max(1 - pos, 1e-6))  # balanced classes
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(z @ w + b)))
        g = (p - y) * sample / len(y)
        w -= rate * (z.T @ g + l2 * w)
        b -= rate * float(g.sum())
    raw_w = w / std
    raw_b = b - float((w * mean / std).sum())
    p = 1.0 / (1.0 + np.exp(-(z @ w + b)))
    loss = float(-(sample * (y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))).sum() / len(y))
    return Combination(tuple(float(v) for v in raw_w), float(raw_b)), {"rows": float(len(y)),
                                                                        "positives": float(y.sum()), "loss": loss}


@lru_cache(maxsize=2)
def load(path: Path = ARTEFACT) -> Combination | None:
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return Combination(tuple(data["weights"][f] for f in FEATURES), float(data["bias"]))


def synthetic_queries(descriptions: dict[str, str], n: int = 600, seed: int = 13) -> list[tuple[str, frozenset[str]]]:
    """First sentences of ESCO skill descriptions (URI -> English description) as queries naming their skill."""
    uris = sorted(descriptions)
    random.Random(seed).shuffle(uris)
    out = []
    for uri in uris:
        first = descriptions[uri].split(". ")[0].strip()
        if len(first) > 20:
            out.append((first, frozenset([uri])))
        if len(out) >= n:
            break
    return out


def save(combination: Combination, info: dict[str, object], path: Path = ARTEFACT) -> None:
    data = {"features": list(FEATURES), "weights": dict(zip(FEATURES, combination.weights, strict=True)),
            "bias": combination.bias, **info}
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    load.cache_clear()


def training_rows(classifier: object, queries: Sequence[tuple[str, frozenset[str]]], lang: str
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows and labels of the best ``CANDIDATES`` skills of each query."""
    xs, ys = [], []
    for text, gold in queries:
        lexical, encoder, uris = classifier.candidate_signals(text, lang=lang, k=CANDIDATES)  # type: ignore[attr-defined]
        xs.append(features(lexical, encoder))
        ys.append(np.array([1.0 if u in gold else 0.0 for u in uris]))
    return np.concatenate(xs), np.concatenate(ys)
