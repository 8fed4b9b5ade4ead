"""The embedder interface and the text a paper is embedded from."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors of a fixed size."""

    name: str  # stored with every vector, so vectors of different models never mix
    dim: int

    def embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """Vectors for `texts`, shape [len(texts), dim], each of unit length."""
        ...


def paper_text(title: str, abstract: str) -> str:
    """The text a paper is embedded from: title and abstract, whitespace collapsed."""
    return " ".join(f"{title}. {abstract}".split())
