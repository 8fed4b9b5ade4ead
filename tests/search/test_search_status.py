"""`SearchResponse.status`: what a search could do, as an enum next to the human message."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from papertide.config import Settings
from papertide.digest.compose import ContentUnavailable, default_search
from papertide.digest.schedule import Period
from papertide.search.api import Searcher, SearchStatus


def test_status_before_an_index_and_of_queries_without_words(
    corpus: Engine, searcher: Searcher
) -> None:
    assert searcher.search("").status is SearchStatus.EMPTY_QUERY
    missing = searcher.search("graph neural networks")
    assert missing.status is SearchStatus.INDEX_NOT_BUILT and missing.results == []
    searcher.sync(corpus, embed=False)
    assert searcher.search("*").status is SearchStatus.NO_SEARCHABLE_WORDS


def test_status_follows_embedding_coverage(corpus: Engine, searcher: Searcher) -> None:
    searcher.sync(corpus, embed=False)
    keyword = searcher.search("graph neural networks", mode="keyword", min_relevance=0.0)
    assert keyword.status is SearchStatus.OK and keyword.message is None
    nothing_embedded = searcher.search("graph neural networks", min_relevance=0.0)
    assert nothing_embedded.status is SearchStatus.SEMANTIC_PENDING
    assert nothing_embedded.mode == "keyword" and nothing_embedded.results

    searcher.sync(corpus, embed_limit=4)  # half of the eight papers get a vector
    half = searcher.search("graph neural networks", min_relevance=0.0)
    assert half.status is SearchStatus.SEMANTIC_PENDING and half.mode == "hybrid"

    searcher.sync(corpus)
    done = searcher.search("graph neural networks", min_relevance=0.0)
    assert done.status is SearchStatus.OK and done.mode == "hybrid"


def test_status_of_a_damaged_index(corpus: Engine, searcher: Searcher, settings: Settings) -> None:
    searcher.sync(corpus, embed=False)
    (settings.effective_index_dir / "keyword" / "meta.json").write_text("{not json")
    response = Searcher(settings).search("Ramsey graphs")
    assert response.status is SearchStatus.INDEX_UNREADABLE and response.results == []


@pytest.fixture
def period() -> Period:
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    return Period("2024-01", "monthly", start, start + dt.timedelta(days=120), "January")


def test_a_saved_search_before_the_index_is_built_is_retried_later(
    corpus: Engine, settings: Settings, period: Period
) -> None:
    search = default_search(settings)
    with pytest.raises(ContentUnavailable, match="search index not built"):
        search("graph neural networks", [], period, 0.0, 10)
    Searcher(settings).sync(corpus, embed=False)
    found = search("graph neural networks", [], period, 0.0, 10)
    assert found and all(0.0 <= relevance <= 1.0 for _paper, relevance in found)
