"""A file cache of vectors keyed by (model, sha1 of text), so repeated evaluations embed once."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from papertide.embed.base import Embedder


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def embed_cached(
    embedder: Embedder,
    texts: list[str],
    cache_dir: Path | None,
    progress: Callable[[int], None] | None = None,
    batch: int = 256,
) -> npt.NDArray[np.float32]:
    """Vectors for `texts`; with a folder, read and extend `<cache_dir>/<model>.npz`."""
    keys = [_key(t) for t in texts]
    known: dict[str, npt.NDArray[np.float32]] = {}
    path = cache_dir / f"{embedder.name}.npz" if cache_dir is not None else None
    if path is not None and path.exists():
        with np.load(path) as data:
            known = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
    missing = sorted(
        {k: i for i, k in enumerate(keys) if k not in known}.items(), key=lambda x: x[1]
    )
    for start in range(0, len(missing), batch):
        chunk = missing[start : start + batch]
        vectors = embedder.embed([texts[i] for _, i in chunk])
        for (k, _), v in zip(chunk, vectors, strict=True):
            known[k] = v
        if progress is not None:
            progress(len(chunk))
    if path is not None and missing:
        path.parent.mkdir(parents=True, exist_ok=True)
        all_keys = np.array(list(known), dtype="U40")
        np.savez(path, keys=all_keys, vectors=np.stack([known[k] for k in all_keys.tolist()]))
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.stack([known[k] for k in keys]).astype(np.float32)
