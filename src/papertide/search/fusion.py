"""Score normalisation and convex fusion of keyword and semantic scores (pure functions)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


def normalise(scores: F64, method: str) -> F64:
    """Per-query normalisation of one retriever's scores over the candidate pool."""
    scores = np.asarray(scores, dtype=np.float64)
    if len(scores) == 0:
        return scores
    if method == "zscore":
        std = scores.std()
        return (scores - scores.mean()) / std if std > 1e-12 else np.zeros_like(scores)
    if method == "minmax":
        low, high = scores.min(), scores.max()
        return (scores - low) / (high - low) if high - low > 1e-12 else np.zeros_like(scores)
    raise ValueError(f"unknown normalisation {method!r}")


@dataclass
class Fused:
    paper_ids: list[int]
    fused: F64  # convex combination of the normalised scores
    keyword: F64  # raw BM25 (0 where no query word matches)
    semantic: F64  # raw cosine (nan where the paper has no vector yet)


def fuse(
    keyword: Mapping[int, float],
    semantic: Mapping[int, float],
    weight: float,
    method: str = "zscore",
) -> Fused:
    """Fuse scores of the union of both candidate lists; `weight` is the semantic share.

    `keyword` must hold the BM25 of every candidate that matches a query word (absent = 0);
    `semantic` the cosine of every candidate that has a vector (absent = no vector yet, which
    counts as the lowest semantic score of the pool rather than as a penalty below it).
    """
    ids = sorted(set(keyword) | set(semantic))
    if not ids:
        empty = np.zeros(0)
        return Fused([], empty, empty, empty)
    kw = np.array([keyword.get(i, 0.0) for i in ids], dtype=np.float64)
    sem = np.array([semantic.get(i, np.nan) for i in ids], dtype=np.float64)
    parts = np.zeros(len(ids))
    if weight < 1.0:
        parts += (1.0 - weight) * normalise(kw, method)
    if weight > 0.0 and np.isfinite(sem).any():
        filled = np.where(np.isfinite(sem), sem, np.nanmin(sem))
        parts += weight * normalise(filled, method)
    order = np.argsort(-parts, kind="stable")
    return Fused([ids[i] for i in order], parts[order], kw[order], sem[order])
