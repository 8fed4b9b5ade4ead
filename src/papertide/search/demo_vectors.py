"""Precomputed vectors of the bundled sample (`papertide/sample/sample_embeddings.npz`).

`papertide demo` would otherwise embed 4,161 papers (a minute or more on 2 cores) before semantic
search works. The file holds float16 vectors keyed by arXiv id, the model name and the content
hash of the text they were computed from; only papers whose text is unchanged get them.
Made by `bench/make_sample_vectors.py`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import cast

import numpy as np
from sqlalchemy import Engine, Table, delete, insert, select

from papertide.models import content_hash
from papertide.store.schema import Embedding, Paper, utcnow

SAMPLE_VECTORS = "sample_embeddings.npz"


def sample_vectors_path() -> Path:
    return Path(str(resources.files("papertide.sample").joinpath(SAMPLE_VECTORS)))


def load_sample_vectors(engine: Engine, model: str) -> int:
    """Store shipped vectors for sample papers that lack a current one; returns how many."""
    path = sample_vectors_path()
    if not path.exists():
        return 0
    with np.load(path) as data:
        if str(data["model"]) != model:
            return 0
        by_id = {
            str(a): (str(h), v)
            for a, h, v in zip(data["arxiv_ids"], data["hashes"], data["vectors"], strict=True)
        }
    e = cast(Table, Embedding.__table__)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Paper.id,
                Paper.arxiv_id,
                Paper.title,
                Paper.abstract,
                Paper.content_hash,
                e.c.model,
                e.c.content_hash.label("vector_hash"),
            ).outerjoin(e, e.c.paper_id == Paper.id)
        ).all()
    values = []
    now = utcnow()
    for r in rows:
        shipped = by_id.get(r.arxiv_id)
        if shipped is None:
            continue
        current = r.content_hash or content_hash(r.title, r.abstract or "")
        if shipped[0] != current:
            continue  # the text changed since the vectors were made: the embed job redoes it
        if r.model == model and r.vector_hash == current:
            continue
        vector = np.asarray(shipped[1], dtype=np.float32)
        vector /= max(float(np.linalg.norm(vector)), 1e-12)
        values.append(
            {
                "paper_id": r.id,
                "model": model,
                "dim": len(vector),
                "vector": vector.astype("<f4").tobytes(),
                "content_hash": current,
                "updated_at": now,
            }
        )
    for start in range(0, len(values), 1000):
        chunk = values[start : start + 1000]
        with engine.begin() as conn:
            conn.execute(delete(e).where(e.c.paper_id.in_([v["paper_id"] for v in chunk])))
            conn.execute(insert(e), chunk)
    return len(values)
