"""A search page people can steer, over HTTP, on the demo's real data (3,098 arXiv papers, a
month of Hugging Face feed with its upvotes, the bundled model's shipped vectors): sorting,
counts that say what they count, categories this instance holds, the Atom link, highlights.

One app for the module (SQLite): these tests only read.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import sqlite_instance

from papertide.ingest.sample import load_demo_data
from papertide.search.api import prepare_demo_index
from papertide.store.schema import Paper, PaperCategory
from papertide.web.app import create_app

BROAD = "mixture of experts"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Session]]:
    with sqlite_instance(tmp_path_factory.mktemp("demo"), mail_backend="null") as (
        settings,
        engine,
    ):
        load_demo_data(settings, engine)
        prepare_demo_index(settings, engine)
        with TestClient(create_app(settings, engine=engine)) as client, Session(engine) as db:
            yield client, db


@pytest.fixture
def client(demo: tuple[TestClient, Session]) -> TestClient:
    return demo[0]


def _json(client: TestClient, query: str, **params: Any) -> dict[str, Any]:
    response = client.get("/search.json", params={"q": query, **params})
    assert response.status_code == 200, response.text
    return response.json()


def _split(body: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    line = body["cutoff"]
    results = body["results"]
    return [r for r in results if r["relevance"] >= line], [
        r for r in results if r["relevance"] < line
    ]


def _when(result: dict[str, Any]) -> str:
    return str(result["paper"]["publishedAt"] or "")


def test_results_sort_by_relevance_newest_or_upvotes_in_the_page_and_its_json(
    client: TestClient,
) -> None:
    by_relevance = _json(client, BROAD)
    newest = _json(client, BROAD, sort="time")
    upvoted = _json(client, BROAD, sort="votes")
    assert (by_relevance["sort"], newest["sort"], upvoted["sort"]) == ("relevance", "time", "votes")
    relevance = [r["relevance"] for r in by_relevance["results"]]
    assert relevance == sorted(relevance, reverse=True)
    for body, key in ((newest, _when), (upvoted, lambda r: r["paper"]["upvotes"])):
        above, below = _split(body)
        assert len(above) == min(20, body["relevant"])  # what clears the line comes first
        assert body["results"] == above + below
        for part in (above, below):
            keys = [key(r) for r in part]
            assert keys == sorted(keys, reverse=True)
    assert upvoted["results"][0]["paper"]["upvotes"] > 0
    # The same papers clear the line in every order (read every page that holds some).
    pages = range(-(-by_relevance["relevant"] // 20))
    relevant = {
        sort: {
            r["paper"]["id"]
            for page in pages
            for r in _split(_json(client, BROAD, sort=sort, page=page))[0]
        }
        for sort in ("relevance", "time", "votes")
    }
    assert relevant["relevance"] == relevant["time"] == relevant["votes"]
    assert len(relevant["time"]) == by_relevance["relevant"]

    page = client.get("/search", params={"q": BROAD, "sort": "time"}).text
    assert re.search(r'<a href="[^"]*sort=time" aria-current="true">Newest</a>', page)
    assert 'href="/search?q=mixture+of+experts&amp;sort=votes">Most upvoted</a>' in page
    assert 'rel="next" href="/search?q=mixture+of+experts&amp;sort=time&amp;page=1"' in page
    assert 'name="sort" value="time"' in page  # a new query keeps the order
    assert client.get("/search", params={"q": BROAD, "sort": "stars"}).status_code == 422


@pytest.mark.parametrize("sort", ["relevance", "time", "votes"])
def test_every_order_pages_through_the_same_ranking_and_stops_where_it_stops(
    client: TestClient, sort: str
) -> None:
    """`total` is the ranking the pages go through (the first 200 ranked papers): the same on
    every page and in every order, and the last page has no Next link."""
    # A client address of its own per order: these ~40 searches stay under the per-IP limit.
    address = f"10.9.0.{['relevance', 'time', 'votes'].index(sort) + 1}"
    client = TestClient(client.app, client=(address, 50000))
    for query in (BROAD, "qwzx blorfing snarkle"):
        first = _json(client, query, sort=sort)
        total = first["total"]
        assert 0 < total <= 200
        last = (total - 1) // 20
        seen: list[str] = []
        for page in range(last + 1):
            body = _json(client, query, sort=sort, page=page)
            assert body["total"] == total, (query, page)
            seen += [r["paper"]["id"] for r in body["results"]]
            html = client.get("/search", params={"q": query, "sort": sort, "page": page}).text
            assert ('rel="next"' in html) == (page < last), (query, page)
        assert len(seen) == len(set(seen)) == total
        if last < 9:  # a page past the last: no results, no Next, a way back
            past = client.get("/search", params={"q": query, "sort": sort, "page": last + 1})
            assert past.status_code == 200 and "The results end on page" in past.text
            assert 'rel="next"' not in past.text
            assert f"page={last}" in past.text
    assert _json(client, BROAD, sort=sort)["total"] == 200  # a broad topic fills the ranking
    assert 'rel="next"' not in client.get("/search", params={"q": BROAD, "page": 9}).text


def test_the_count_says_what_it_counts(client: TestClient) -> None:
    body = _json(client, BROAD)
    pages = range(-(-body["relevant"] // 20) + 1)  # every page with relevant ones, and one more
    above = sum(len(_split(_json(client, BROAD, page=page))[0]) for page in pages)
    assert body["relevant"] == above and 0 < above < body["matching"]
    page = client.get("/search", params={"q": BROAD}).text
    # Which words the second count looks for, named ("of" is a stop word, not counted).
    words = f"{body['matching']:,} papers contain “mixture” or “experts”</span> · hybrid search"
    assert f"{body['relevant']:,} likely relevant · {words}" in page
    needle = client.get("/search", params={"q": "2607.16245"}).text
    assert "1 likely relevant · 1 paper contains" in needle
    nonsense = client.get("/search", params={"q": "qwzx blorfing snarkle"}).text
    assert "0 likely relevant · 0 papers contain “qwzx”, “blorfing” or “snarkle”" in nonsense
    assert "No result reaches the relevance cutoff" in nonsense


def test_the_category_filter_lists_the_categories_this_instance_holds(
    demo: tuple[TestClient, Session],
) -> None:
    client, db = demo
    rows = db.execute(select(PaperCategory.category, func.count()).group_by(PaperCategory.category))
    held = {str(category): int(count) for category, count in rows}
    page = client.get("/search", params={"q": "dark matter"}).text
    select_html = re.search(r'<select id="f-cat".*?</select>', page, re.S)
    assert select_html
    shown = re.findall(r'<option value="([^"]+)"', select_html.group(0))
    assert set(held) <= set(shown) and len(held) > 20  # not a fixed four
    assert f'<option value="astro-ph.GA">astro-ph.GA ({held["astro-ph.GA"]:,})</option>' in page
    assert '<option value="astro-ph">astro-ph: all</option>' in page
    galaxies = _json(client, "dark matter", category="astro-ph")
    assert galaxies["results"]
    assert all(
        any(c.startswith("astro-ph") for c in r["paper"]["categories"]) for r in galaxies["results"]
    )
    chosen = client.get("/search", params={"q": "dark matter", "category": "astro-ph.GA"}).text
    assert '<option value="astro-ph.GA" selected>' in chosen


def test_the_page_head_links_the_searchs_atom_feed(client: TestClient) -> None:
    page = client.get("/search", params={"q": BROAD, "category": "cs.LG", "sort": "votes"}).text
    head = page[: page.index("</head>")]
    link = re.search(r'<link rel="alternate" type="application/atom\+xml"[^>]*>', head)
    assert link and 'href="/search.atom?q=mixture+of+experts&amp;category=cs.LG"' in link.group(0)
    feed = client.get("/search.atom", params={"q": BROAD, "category": "cs.LG"})
    assert feed.status_code == 200 and "<feed" in feed.text
    assert "application/atom+xml" not in client.get("/search").text[:2000]  # no query, no feed


def test_papers_without_a_primary_category_show_no_none_label(
    demo: tuple[TestClient, Session],
) -> None:
    client, db = demo
    bare = db.scalars(
        select(Paper.arxiv_id).where(Paper.primary_category.is_(None)).order_by(Paper.id)
    ).first()
    assert bare is not None  # Hugging Face feed papers come without arXiv categories
    page = client.get("/search", params={"q": bare}).text
    assert f'id="p-{bare}"' in page
    assert ">None<" not in page and "None" not in re.sub(r"<[^>]+>", " ", page).split()


def test_query_words_are_highlighted_not_stop_words(client: TestClient) -> None:
    for query in (BROAD, "the role of attention in transformers", "what is a black hole?"):
        results = _json(client, query)["results"] or _json(client, query, sort="time")["results"]
        marked = {
            m.lower() for r in results for m in re.findall(r"<mark>([^<]*)</mark>", r["snippet"])
        }
        assert marked, query
        assert not marked & {"of", "the", "in", "is", "a", "what"}, (query, marked)
    marked = re.findall(r"<mark>([^<]*)</mark>", client.get("/search", params={"q": BROAD}).text)
    assert {m.lower() for m in marked} >= {"mixture", "experts"}


def test_the_demo_sample_has_what_these_tests_need(demo: tuple[TestClient, Session]) -> None:
    _client, db = demo
    newest = db.scalar(select(func.max(Paper.first_announced)))
    assert newest is not None and newest >= dt.date(2026, 8, 1)
