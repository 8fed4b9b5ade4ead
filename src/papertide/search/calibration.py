"""Relevance probabilities: a logistic model over a result's scores and its query's scores.

Fitted on SciFact train by `bench/eval_tune.py`; the coefficients ship in `params.json`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from papertide.search.fusion import Fused

FEATURES = (
    "fused",
    "gap_to_top",
    "gap_to_next",
    "log_rank",
    "is_top",
    "semantic",
    "semantic_top",
    "semantic_gap",
    "keyword_rel",
    "keyword_per_term",
    "fused_std",
)


def features(fused: Fused, query_terms: int, depth: int = 20) -> npt.NDArray[np.float64]:
    """One row of FEATURES per result in the first `depth` of a query's fused list."""
    n = min(depth, len(fused.paper_ids))
    if n == 0:
        return np.zeros((0, len(FEATURES)))
    f = fused.fused[:n]
    sem = fused.semantic[:n]
    has_sem = np.isfinite(sem)
    sem_filled = np.where(has_sem, sem, 0.0)
    sem_top = float(np.nanmax(fused.semantic)) if np.isfinite(fused.semantic).any() else 0.0
    kw = fused.keyword[:n]
    kw_top = float(fused.keyword.max()) if len(fused.keyword) else 0.0
    rank = np.arange(n, dtype=np.float64)
    nxt = np.append(f[1:], f[-1] if n else 0.0)
    rows = np.column_stack(
        [
            f,
            f[0] - f,
            f - nxt,
            np.log1p(rank),
            (rank == 0).astype(np.float64),
            sem_filled,
            np.full(n, sem_top),
            sem_top - sem_filled,
            kw / kw_top if kw_top > 0 else np.zeros(n),
            kw / max(query_terms, 1),
            np.full(n, f[: min(10, n)].std()),
        ]
    )
    return rows


class Calibrator:
    """p(relevant) = sigmoid(w · standardised features + b)."""

    def __init__(
        self, coef: Sequence[float], intercept: float, mean: Sequence[float], scale: Sequence[float]
    ) -> None:
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = float(intercept)
        self.mean = np.asarray(mean, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Calibrator:
        return cls(data["coef"], data["intercept"], data["mean"], data["scale"])  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, object]:
        return {
            "features": list(FEATURES),
            "coef": self.coef.round(6).tolist(),
            "intercept": round(self.intercept, 6),
            "mean": self.mean.round(6).tolist(),
            "scale": self.scale.round(6).tolist(),
        }

    def predict(self, rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        if len(rows) == 0:
            return np.zeros(0)
        z = ((rows - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))


def fit_calibrator(rows: npt.NDArray[np.float64], labels: npt.NDArray[np.int_]) -> Calibrator:
    """Fit the logistic model (scikit-learn) on feature rows and 0/1 labels."""
    from sklearn.linear_model import LogisticRegression

    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=1.0, max_iter=2000)
    model.fit((rows - mean) / scale, labels)
    return Calibrator(model.coef_[0], float(model.intercept_[0]), mean, scale)


def expected_calibration_error(
    probs: npt.NDArray[np.float64], labels: npt.NDArray[np.int_], bins: int = 10
) -> float:
    """ECE over equal-width probability bins."""
    if len(probs) == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(probs, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        sel = which == b
        if sel.any():
            total += sel.sum() / len(probs) * abs(probs[sel].mean() - labels[sel].mean())
    return float(total)
