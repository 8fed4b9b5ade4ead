"""Cards and lists: every listing shows votes, comments and the code link; the feed sorts."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session
from tests.web.conftest import DAY, Mailbox, Seed, sign_in

from papertide.config import Settings
from papertide.store.schema import FeedEntry
from papertide.web.app import create_app


def block(html: str, arxiv_id: str) -> str:
    """The listing block (card or row) of one paper."""
    start = html.index(f'href="/papers/{arxiv_id}"')
    start = html.rindex("<article", 0, start)
    return html[start : html.index("</article>", start)]


def assert_listed_with_stats(html: str, arxiv_id: str, votes: int, comments: str) -> None:
    shown = block(html, arxiv_id)
    assert re.search(rf'<span class="count">{votes}</span>', shown), shown
    assert comments in shown, shown
    assert 'href="https://github.com/example/repo"' in shown and "★ 120" in shown


@pytest.fixture
def indexed(web_settings: Settings, engine: Engine, seed: Seed) -> Iterator[TestClient]:
    from papertide.search.api import get_searcher

    get_searcher(web_settings).sync(engine, embed=False)
    with TestClient(create_app(web_settings, engine=engine), follow_redirects=False) as client:
        yield client


def test_search_results_show_votes_comments_and_code(
    indexed: TestClient, mailbox: Mailbox, engine: Engine, seed: Seed
) -> None:
    with Session(engine) as session:
        session.execute(
            update(FeedEntry)
            .where(FeedEntry.paper_id == seed.papers["a"].id)
            .values(imported_comments=3)
        )
        session.commit()
    token = sign_in(indexed, mailbox)
    indexed.post("/papers/2608.00001/comments", data={"csrf_token": token, "body": "good"})
    page = indexed.get("/search?q=attention").text
    assert_listed_with_stats(page, "2608.00001", 5, "1 comment")
    assert "3 on Hugging Face" in block(page, "2608.00001")
    # A vote button that works from the results (signed in: a form back to this page).
    assert 'action="/papers/2608.00001/vote"' in block(page, "2608.00001")
    assert 'name="next" value="/search?q=attention"' in block(page, "2608.00001")
    hit = indexed.get("/search.json?q=attention").json()["results"][0]["paper"]
    assert (hit["id"], hit["upvotes"], hit["numComments"], hit["numImportedComments"]) == (
        "2608.00001",
        5,
        1,
        3,
    )
    api = indexed.get("/api/papers/search?q=attention").json()[0]["paper"]
    assert api["upvotes"] == 5 and api["githubRepo"] == "https://github.com/example/repo"


def test_category_and_collection_lists_show_votes_comments_and_code(
    client: TestClient, mailbox: Mailbox, seed: Seed
) -> None:
    token = sign_in(client, mailbox)
    client.post("/papers/2608.00002/vote", data={"csrf_token": token})
    client.post("/papers/2608.00002/comments", data={"csrf_token": token, "body": "one"})
    client.post("/papers/2608.00002/comments", data={"csrf_token": token, "body": "two"})
    assert_listed_with_stats(client.get("/c/cs.CL").text, "2608.00002", 13, "2 comments")
    listed = {p["id"]: p for p in client.get("/c/cs.CL.json").json()}["2608.00002"]
    assert (listed["upvotes"], listed["numComments"], listed["githubStars"]) == (13, 2, 120)

    url = client.post("/collections", data={"csrf_token": token, "name": "Reading"}).headers[
        "location"
    ]
    page = client.get(url).text
    collection_id = re.search(r'/collections/(\d+)/edit"', page).group(1)  # type: ignore[union-attr]
    client.post(
        "/collections/add",
        data={"csrf_token": token, "collection_id": collection_id, "arxiv_id": "2608.00002"},
    )
    page = client.get(url).text
    assert_listed_with_stats(page, "2608.00002", 13, "2 comments")
    assert "Remove</button>" in block(page, "2608.00002")  # the owner's action stays
    paper = client.get(url + ".json").json()["papers"][0]
    assert (paper["upvotes"], paper["numComments"]) == (13, 2)


def test_feed_cards_show_votes_comments_and_code(reader: TestClient) -> None:
    page = reader.get(f"/papers/date/{DAY}").text
    assert_listed_with_stats(page, "2608.00002", 12, "0 comments")


def test_the_feed_sorts_by_votes_or_newest(client: TestClient, engine: Engine, seed: Seed) -> None:
    # Submission times: c newest, then a, then b (votes: b 12, a 5, c 0).
    with Session(engine) as session:
        for key, hour in (("a", 9), ("b", 8), ("c", 10)):
            session.execute(
                update(FeedEntry)
                .where(FeedEntry.paper_id == seed.papers[key].id)
                .values(submitted_at=dt.datetime.combine(DAY, dt.time(hour), dt.UTC))
            )
        session.commit()

    def order(url: str) -> list[str]:
        return re.findall(r'<article class="card" id="p-([0-9.]+)"', client.get(url).text)

    assert order(f"/papers/date/{DAY}") == ["2608.00002", "2608.00001", "2608.00003"]
    assert order(f"/papers/date/{DAY}?sort=time") == ["2608.00003", "2608.00001", "2608.00002"]
    week = client.get("/papers/week/2026-W34?sort=time").text
    assert re.search(r'href="/papers/week/2026-W33\?sort=time" rel="prev"', week)
    assert re.search(r'href="/papers/week/2026-W35\?sort=time" rel="next"', week)
    assert 'aria-current="true">Newest' in week
    assert client.get(f"/papers/date/{DAY}?sort=random").status_code == 422
