"""Every kind of feed, fetched over HTTP and parsed with feedparser: valid (no bozo), the right
entries with ids, dates, authors, links, categories and abstracts, and 304 on a repeat fetch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from papertide.config import Settings
from papertide.feeds.private import user_feed_token
from papertide.store.schema import (
    Collection,
    CollectionItem,
    FeedEntry,
    Paper,
    PaperCategory,
    SeedPaper,
    User,
)
from papertide.web.app import create_app

TODAY = dt.datetime.now(dt.UTC).date()

PAPERS = [
    # arxiv id, title, abstract, categories, upvotes (None: not on the feed)
    (
        "2611.00001",
        "Sparse mixture of experts for long context",
        "Experts route tokens \x0b across a million-token context window.",
        ["cs.CL", "cs.LG"],
        40,
    ),
    (
        "2611.00002",
        "Protein diffusion & <backbones>",
        "A diffusion model generates protein backbones.",
        ["q-bio.BM", "cs.LG"],
        12,
    ),
    (
        "2611.00003",
        "Seasonal place recognition",
        "Contrastive features recognise places across seasons.",
        ["cs.CV"],
        None,
    ),
    (
        "2611.00004",
        "Routing experts with load balancing",
        "Load-balanced mixture of experts routing for language models.",
        ["cs.CL"],
        3,
    ),
]


@pytest.fixture
def world(engine: Engine) -> dict[str, Any]:
    with Session(engine, expire_on_commit=False) as db:
        owner = User(email="owner@example.org", name="ada")
        db.add(owner)
        db.flush()
        papers = {}
        for aid, title, abstract, cats, votes in PAPERS:
            paper = Paper(
                arxiv_id=aid,
                title=title,
                abstract=abstract,
                authors=["Ada Lovelace", "Alan Turing"],
                categories=cats,
                primary_category=cats[0],
                first_announced=TODAY,
                published_at=dt.datetime.combine(TODAY, dt.time(1), dt.UTC),
            )
            db.add(paper)
            db.flush()
            papers[aid] = paper
            for cat in cats:
                db.add(PaperCategory(paper_id=paper.id, category=cat))
            if votes is not None:
                db.add(
                    FeedEntry(
                        paper_id=paper.id,
                        feed_date=TODAY,
                        upvotes=votes,
                        submitted_at=dt.datetime.combine(TODAY, dt.time(6), dt.UTC),
                    )
                )
        public = Collection(user_id=owner.id, name="Mixtures", slug="moe", is_public=True)
        private = Collection(user_id=owner.id, name="Secret", slug="secret", is_public=False)
        db.add_all([public, private])
        db.flush()
        db.add(CollectionItem(collection_id=public.id, paper_id=papers["2611.00001"].id))
        db.add(CollectionItem(collection_id=private.id, paper_id=papers["2611.00002"].id))
        db.add(SeedPaper(owner=f"user:{owner.id}", paper_id=papers["2611.00001"].id, source="ids"))
        db.commit()
        return {"owner_id": owner.id, "papers": papers}


@pytest.fixture(autouse=True)
def no_index_follower(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """No background index-sync (embedding) thread in these tests' apps: the search test
    builds its index itself."""
    monkeypatch.setenv("PAPERTIDE_INDEX_SYNC_SECONDS", "0")


@pytest.fixture
def client(settings: Settings, engine: Engine, world: dict[str, Any]) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine=engine)) as test_client:
        yield test_client


def _parse(client: TestClient, url: str, media: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(media)
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


@pytest.mark.parametrize(
    ("fmt", "media"), [("atom", "application/atom+xml"), ("rss", "application/rss+xml")]
)
def test_daily_feed_lists_the_days_papers_most_upvoted_first_with_full_metadata(
    client: TestClient, fmt: str, media: str
) -> None:
    feed = _parse(client, f"/feed.{fmt}", media)
    ids = [e.id for e in feed.entries]
    assert ids == [
        "https://arxiv.org/abs/2611.00001",
        "https://arxiv.org/abs/2611.00002",
        "https://arxiv.org/abs/2611.00004",
    ]
    first = feed.entries[0]
    assert first.title == "Sparse mixture of experts for long context"
    assert [a["name"] for a in first.authors] == ["Ada Lovelace", "Alan Turing"]
    assert first.link == "http://127.0.0.1:8000/papers/2611.00001"
    assert {t["term"] for t in first.tags} == {"cs.CL", "cs.LG"}
    assert "million-token context" in first.summary  # the control character is gone
    assert first.published_parsed[:3] == TODAY.timetuple()[:3]
    assert feed.entries[1].title == "Protein diffusion & <backbones>"


def test_trending_feed_has_reasons(client: TestClient) -> None:
    feed = _parse(client, "/trending.atom?window=week", "application/atom+xml")
    assert feed.entries[0].id.endswith("2611.00001")
    assert "#1 trending" in feed.entries[0].summary
    assert client.get("/trending.atom?window=year").status_code == 400


def test_category_feed_includes_cross_lists(client: TestClient) -> None:
    feed = _parse(client, "/feeds/category/cs.LG.rss", "application/rss+xml")
    assert sorted(e.id[-10:] for e in feed.entries) == ["2611.00001", "2611.00002"]
    assert client.get("/feeds/category/../../etc.atom").status_code in (400, 404)
    assert client.get("/feeds/category/cs.LG.pdf").status_code == 404


def test_public_collection_feed_and_private_collection_hidden(client: TestClient) -> None:
    feed = _parse(client, "/feeds/u/ada/c/moe.atom", "application/atom+xml")
    assert [e.id[-10:] for e in feed.entries] == ["2611.00001"]
    assert client.get("/feeds/u/ada/c/secret.atom").status_code == 404
    assert client.get("/feeds/u/nobody/c/moe.atom").status_code == 404


def test_private_recommendations_feed_explains_each_paper(
    client: TestClient, settings: Settings, world: dict[str, Any]
) -> None:
    token = user_feed_token(settings, world["owner_id"])
    feed = _parse(client, f"/feeds/recommendations/{token}.atom", "application/atom+xml")
    assert feed.entries, "the seed's neighbours should be recommended"
    assert feed.entries[0].id.endswith("2611.00004")  # routing experts: closest to the seed
    assert "close to “Sparse mixture of experts for long context”" in feed.entries[0].summary
    assert all(not e.id.endswith("2611.00001") for e in feed.entries)  # not the seed itself
    forged = token[:-2] + ("xx" if not token.endswith("xx") else "yy")
    assert client.get(f"/feeds/recommendations/{forged}.atom").status_code == 404


def test_search_feed_returns_matching_papers(
    settings: Settings, engine: Engine, world: dict[str, Any]
) -> None:
    from papertide.search.api import get_searcher

    get_searcher(settings).rebuild(engine)  # before the app exists, as `papertide index` would
    with TestClient(create_app(settings, engine=engine)) as client:
        feed = _parse(client, "/search.atom?q=mixture+of+experts", "application/atom+xml")
        found = [e.id[-10:] for e in feed.entries]
        assert set(found[:2]) == {"2611.00001", "2611.00004"}  # the two about experts lead
        assert "relevance" in feed.entries[0].summary
        # Same filters as /search: a category filter keeps only papers listed there.
        rss = _parse(
            client, "/search.rss?q=protein+backbones&category=q-bio.BM", "application/rss+xml"
        )
        assert [e.id[-10:] for e in rss.entries] == ["2611.00002"]
        assert client.get("/search.atom?q=").status_code == 400


def test_search_feed_holds_only_papers_above_the_relevance_line(
    settings: Settings, engine: Engine, world: dict[str, Any]
) -> None:
    from papertide.search.api import get_searcher

    get_searcher(settings).rebuild(engine)
    with TestClient(create_app(settings, engine=engine)) as client:
        # The page may rank papers below a divider; the feed, like an alert, holds only what
        # is likely relevant, so a subscriber to nonsense reads nothing.
        assert (
            _parse(client, "/search.atom?q=qwzx+blorfing+snarkle", "application/atom+xml")[
                "entries"
            ]
            == []
        )
        needle = _parse(client, "/search.atom?q=2611.00004", "application/atom+xml")
        assert [e.id[-10:] for e in needle.entries] == ["2611.00004"]


def test_conditional_get_answers_304(client: TestClient) -> None:
    first = client.get("/feed.atom")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert client.get("/feed.atom", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/feed.atom", headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get("/feed.atom", headers={"If-None-Match": '"stale"'}).status_code == 200
    old = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert client.get("/feed.atom", headers={"If-Modified-Since": old}).status_code == 200


def test_papers_without_a_v1_date_are_dated_by_announcement_or_listing_never_1991(
    settings: Settings, engine: Engine, world: dict[str, Any]
) -> None:
    """Most papers of an arXiv listing import have no v1 date, only their announcement day;
    papers from the Hugging Face feed alone may have neither, only the day they were listed."""
    from papertide.search.api import get_searcher

    # Within the last week, so that the recommendations feed (new papers only) may hold them.
    announced, listed = TODAY - dt.timedelta(days=3), TODAY - dt.timedelta(days=2)
    with Session(engine) as db:
        only_announced = Paper(
            arxiv_id="2611.00005",
            title="Mixture of experts routing with announced dates",
            abstract="Experts route tokens; a mixture of experts for language models.",
            authors=["Ada Lovelace"],
            categories=["cs.CL"],
            primary_category="cs.CL",
            first_announced=announced,
        )
        only_listed = Paper(
            arxiv_id="2611.00006",
            title="Mixture of experts routing known from the daily feed",
            abstract="Experts route tokens; a mixture of experts for language models.",
            authors=["Alan Turing"],
            categories=[],
        )
        db.add_all([only_announced, only_listed])
        db.flush()
        db.add(
            FeedEntry(
                paper_id=only_listed.id,
                feed_date=listed,
                submitted_at=dt.datetime.combine(listed, dt.time(6), dt.UTC),
            )
        )
        db.commit()
    get_searcher(settings).rebuild(engine)
    expected = {
        "2611.00005": dt.datetime.combine(announced, dt.time(), dt.UTC),
        "2611.00006": dt.datetime.combine(listed, dt.time(), dt.UTC),
    }
    with TestClient(create_app(settings, engine=engine)) as client:
        for aid, when in expected.items():
            feed = _parse(client, f"/search.atom?q={aid}", "application/atom+xml")
            assert [e.id[-10:] for e in feed.entries] == [aid]
            entry = feed.entries[0]
            assert dt.datetime(*entry.published_parsed[:6], tzinfo=dt.UTC) == when
            assert dt.datetime(*entry.updated_parsed[:6], tzinfo=dt.UTC) == when
        token = user_feed_token(settings, world["owner_id"])
        recs = _parse(client, f"/feeds/recommendations/{token}.atom", "application/atom+xml")
        dated = {e.id[-10:]: e.published_parsed[:3] for e in recs.entries}
        assert dated["2611.00006"] == (listed.year, listed.month, listed.day), dated
        assert all(day[0] != 1991 for day in dated.values())
