"""Search pages and API over a real (keyword) index built from the test database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.web.conftest import Seed

from papertide.config import Settings
from papertide.web.app import create_app


@pytest.fixture
def indexed(web_settings: Settings, engine: Engine, seed: Seed) -> Iterator[TestClient]:
    from papertide.search.api import get_searcher

    get_searcher(web_settings).sync(engine, embed=False)
    with TestClient(create_app(web_settings, engine=engine)) as client:
        yield client


def test_search_page_finds_papers_with_snippets_and_relevance(indexed: TestClient) -> None:
    page = indexed.get("/search?q=attention")
    assert page.status_code == 200
    assert "Alpha: attention for all" in page.text
    assert 'class="relevance"' in page.text
    body = indexed.get("/api/papers/search?q=attention&limit=5").json()
    assert body[0]["paper"]["id"] == "2608.00001"
    assert {"relevance", "score", "snippet"} <= set(body[0])


def test_category_filter_is_applied(indexed: TestClient) -> None:
    everything = indexed.get("/search.json?q=vision+attention+language").json()["results"]
    only_cv = indexed.get("/search.json?q=vision+attention+language&category=cs.CV").json()
    ids = [r["paper"]["id"] for r in only_cv["results"]]
    assert ids == ["2608.00005"]
    assert len(everything) >= len(ids)


def test_search_bad_input(indexed: TestClient) -> None:
    assert indexed.get("/search?q=" + "x" * 1001).status_code == 422
    empty = indexed.get("/api/papers/search?q=")
    assert empty.json() == [] and "empty" in empty.headers["X-Search-Message"]
    bad_date = indexed.get("/search.json?q=attention&from=2026-99-01")
    assert bad_date.status_code == 400 and bad_date.json()["error"]["code"] == "bad_date"
    assert indexed.get("/search?q=attention&page=-1").status_code == 422
    html = indexed.get("/search?q=<script>alert(1)</script>").text
    assert "<script>alert(1)</script>" not in html


def test_without_an_index_search_says_so(client: TestClient, seed: Seed) -> None:
    page = client.get("/search?q=attention")
    assert page.status_code == 200
    assert "search index not built" in page.text and "papertide index rebuild" in page.text


def test_search_page_offers_the_query_as_atom_feed_and_email_alert(indexed: TestClient) -> None:
    import feedparser

    page = indexed.get("/search?q=attention&category=cs.CL").text
    assert 'href="/search.atom?q=attention&amp;category=cs.CL' in page
    assert 'href="/subscribe?kind=search&amp;q=attention"' in page
    feed = feedparser.parse(indexed.get("/search.atom?q=attention&category=cs.CL").content)
    assert not feed.bozo
    assert all("cs.CL" in {t.term for t in e.tags} for e in feed.entries)
    form = indexed.get("/subscribe?kind=search&q=attention").text
    assert 'value="attention"' in form


def test_overlong_queries_are_refused_with_a_clear_message(indexed: TestClient) -> None:
    api = indexed.get("/api/papers/search", params={"q": "x" * 1001})
    assert api.status_code == 422
    assert "1,000" in api.text or "1000" in api.text


def test_results_under_the_calibrated_cutoff_sit_below_a_divider(indexed: TestClient) -> None:
    from papertide.search.params import load_params

    cutoff = load_params().min_relevance["keyword"]
    page = indexed.get("/search?q=attention").text
    results = indexed.get("/search.json?q=attention").json()["results"]
    below = [r for r in results if r["relevance"] < cutoff]
    assert ('class="cutoff"' in page) == bool(below)
