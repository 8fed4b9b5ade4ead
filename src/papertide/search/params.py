"""Tuned search parameters (fusion weight, boosts, feedback, calibration) shipped as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from papertide.search.calibration import Calibrator

PARAMS_FILE = "params.json"


@dataclass
class SearchParams:
    title_boost: float = 1.0
    abstract_boost: float = 1.0
    authors_boost: float = 0.5
    normalisation: str = "zscore"
    weight: float = 0.5  # semantic share of the fused score
    depth: int = 100  # candidates taken from each retriever
    prf_docs: int = 0  # dense pseudo-relevance feedback: top fused docs averaged into the query
    prf_beta: float = 0.0
    # keyword pseudo-relevance feedback (RM3-like): expansion terms from the top fused docs
    rm3_docs: int = 0
    rm3_terms: int = 0
    rm3_weight: float = 0.0
    # per mode ("hybrid", "keyword", "semantic"): calibration model and default min_relevance
    calibration: dict[str, dict[str, Any]] = field(default_factory=dict)
    min_relevance: dict[str, float] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def field_boosts(self) -> dict[str, float]:
        return {
            "title": self.title_boost,
            "abstract": self.abstract_boost,
            "authors": self.authors_boost,
        }

    def calibrator(self, mode: str) -> Calibrator | None:
        data = self.calibration.get(mode)
        if not data:
            return None
        try:
            return Calibrator.from_dict(data)
        except (KeyError, ValueError):
            return None  # fitted for other features (an older params file): uncalibrated

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SearchParams:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    def save(self, path: Path) -> None:
        path.write_text(self.to_json() + "\n")


def load_params(path: Path | None = None) -> SearchParams:
    """The shipped parameters (or those in `path`); defaults when none were fitted yet."""
    if path is not None:
        return SearchParams.from_dict(json.loads(path.read_text()))
    resource = resources.files("papertide.search").joinpath(PARAMS_FILE)
    if not resource.is_file():
        return SearchParams()
    return SearchParams.from_dict(json.loads(resource.read_text()))
