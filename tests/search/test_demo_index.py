"""prepare_demo_index: shipped vectors make the demo's semantic search work with no embedding."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from papertide.config import Settings
from papertide.ingest.sample import load_demo_data
from papertide.search.api import get_searcher, prepare_demo_index
from papertide.search.demo_vectors import load_sample_vectors
from papertide.store.schema import Embedding, Paper


def test_demo_index_uses_shipped_vectors_for_every_sample_paper(
    settings: Settings, engine: Engine
) -> None:
    load_demo_data(settings, engine)
    prepare_demo_index(settings, engine)
    with engine.connect() as conn:
        papers = conn.execute(select(func.count()).select_from(Paper)).scalar_one()
        vectors = conn.execute(select(func.count()).select_from(Embedding)).scalar_one()
    assert papers > 2500 and vectors == papers
    searcher = get_searcher(settings)
    response = searcher.search("vision language models for robots", min_relevance=0.0)
    assert response.mode == "hybrid" and response.message is None
    assert len(response.results) == 20
    # a second start finds everything in place and stores nothing again
    assert load_sample_vectors(engine, searcher.embedder.name) == 0
