"""The embedding job: vectors for new or changed papers, stored in the `embeddings` table.

A paper needs a vector when it has none for the configured model, or when the text it was
embedded from changed (content hash differs). Resumable: work is committed batch by batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np
from sqlalchemy import Engine, Table, and_, delete, func, insert, or_, select

from papertide.embed.base import Embedder, paper_text
from papertide.models import content_hash
from papertide.store.schema import Embedding, Paper, utcnow


@dataclass
class EmbedReport:
    embedded: int = 0
    pending_before: int = 0
    total_papers: int = 0
    seconds: float = 0.0


def _stale_condition(model: str):  # type: ignore[no-untyped-def]
    e = Embedding.__table__.c
    return or_(
        e.paper_id.is_(None),
        e.model != model,
        and_(Paper.content_hash != "", e.content_hash != Paper.content_hash),
    )


def count_pending(engine: Engine, model: str) -> tuple[int, int]:
    """(papers needing a vector, all papers)."""
    e = cast(Table, Embedding.__table__)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(Paper)).scalar_one()
        pending = conn.execute(
            select(func.count())
            .select_from(Paper)
            .outerjoin(e, e.c.paper_id == Paper.id)
            .where(_stale_condition(model))
        ).scalar_one()
    return int(pending), int(total)


def embed_pending(
    engine: Engine,
    embedder: Embedder,
    batch_size: int = 64,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    after_batch: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> EmbedReport:
    """Embed every paper whose vector is missing or stale; `progress(done, pending)` per batch.

    `should_stop` is asked before each batch: a node shutting down stops within one batch
    (a second or two) instead of being killed inside the model, and later runs carry on.
    """
    import time

    started = time.perf_counter()
    pending, total = count_pending(engine, embedder.name)
    report = EmbedReport(pending_before=pending, total_papers=total)
    if limit is not None:
        pending = min(pending, limit)
    e = cast(Table, Embedding.__table__)
    last_id = 0
    while report.embedded < pending:
        if should_stop is not None and should_stop():
            break
        with engine.connect() as conn:
            rows = conn.execute(
                select(Paper.id, Paper.title, Paper.abstract, Paper.content_hash)
                .outerjoin(e, e.c.paper_id == Paper.id)
                .where(Paper.id > last_id, _stale_condition(embedder.name))
                .order_by(Paper.id)
                .limit(min(batch_size, pending - report.embedded))
            ).all()
        if not rows:
            break
        last_id = rows[-1].id
        vectors = embedder.embed([paper_text(r.title, r.abstract or "") for r in rows])
        now = utcnow()
        values = [
            {
                "paper_id": r.id,
                "model": embedder.name,
                "dim": int(vectors.shape[1]),
                "vector": np.asarray(v, dtype="<f4").tobytes(),
                "content_hash": r.content_hash or content_hash(r.title, r.abstract or ""),
                "updated_at": now,
            }
            for r, v in zip(rows, vectors, strict=True)
        ]
        with engine.begin() as conn:
            conn.execute(delete(e).where(e.c.paper_id.in_([r.id for r in rows])))
            conn.execute(insert(e), values)
        report.embedded += len(rows)
        if progress is not None:
            progress(report.embedded, pending)
        if after_batch is not None:
            after_batch(report.embedded)
    report.seconds = time.perf_counter() - started
    return report


def vector_from_bytes(data: bytes, dim: int) -> np.ndarray:
    return np.frombuffer(data, dtype="<f4", count=dim).astype(np.float32)
