"""One clock: with `demo_today` (what `papertide demo` sets) the data's last day is today
everywhere a reader sees dates: the home feed, submissions, trending, For you and the feeds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.web.conftest import DAY, Mailbox, Seed, sign_in

from papertide.config import Settings
from papertide.store.schema import Collection
from papertide.web.app import create_app


@pytest.fixture
def demo(web_settings: Settings, engine: Engine, seed: Seed) -> Iterator[TestClient]:
    """The seeded site with its clock stopped at DAY, the seed's last feed day, months ago."""
    assert dt.datetime.now(dt.UTC).date() - DAY > dt.timedelta(days=30)
    cfg = web_settings.model_copy(update={"demo_today": DAY})
    with TestClient(create_app(cfg, engine=engine), follow_redirects=False) as client:
        yield client


def test_home_page_shows_the_demo_day_as_today(demo: TestClient) -> None:
    page = demo.get("/").text
    assert "Nothing on today" not in page
    assert "Wednesday, August 19, 2026" in page
    assert "Alpha: attention for all" in page


def test_a_sample_paper_can_be_submitted_in_the_demo(demo: TestClient, mailbox: Mailbox) -> None:
    token = sign_in(demo, mailbox)
    # 2608.00005 was published on DAY and is on no feed: months old by the wall clock.
    response = demo.post("/submit", data={"csrf_token": token, "paper": "2608.00005"})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/papers/2608.00005"
    today = demo.get(f"/papers/date/{DAY}.json").json()
    assert "2608.00005" in [e["paper"]["id"] for e in today]
    submitted = next(e for e in today if e["paper"]["id"] == "2608.00005")
    assert submitted["paper"]["submittedOnDailyAt"].startswith(DAY.isoformat())


def test_trending_says_this_week_in_the_demo_and_names_the_days(demo: TestClient) -> None:
    page = demo.get("/trending?window=week").text
    assert "this week" in page
    assert "Aug 13 – Aug 19, 2026" in page
    day = demo.get("/trending?window=day").text
    assert "<small>today</small>" in day and "Wednesday, August 19, 2026" in day


def test_trending_without_the_demo_clock_names_the_last_day_instead_of_this_week(
    reader: TestClient,
) -> None:
    page = reader.get("/trending?window=week").text
    assert "this week" not in page
    assert "the week to Wednesday, August 19" in page


def test_for_you_recommends_after_a_vote_in_the_demo(demo: TestClient, mailbox: Mailbox) -> None:
    token = sign_in(demo, mailbox)
    assert demo.post("/papers/2608.00001/vote", data={"csrf_token": token}).status_code == 303
    page = demo.get("/recommendations").text
    assert 'href="/papers/2608.00003"' in page or 'href="/papers/2608.00002"' in page


def test_feeds_use_the_demo_clock(demo: TestClient) -> None:
    daily = feedparser.parse(demo.get("/feed.atom").content)
    assert DAY.isoformat() in daily.feed.title
    trending = feedparser.parse(demo.get("/trending.atom?window=day").content)
    assert {e.link.rsplit("/", 1)[1] for e in trending.entries} == {
        "2608.00001",
        "2608.00002",
        "2608.00003",
    }


def test_for_you_recommends_after_saving_to_a_collection(
    demo: TestClient, mailbox: Mailbox, engine: Engine
) -> None:
    token = sign_in(demo, mailbox)
    made = demo.post("/collections", data={"csrf_token": token, "name": "Reading group"})
    assert made.status_code == 303
    with Session(engine) as session:
        collection_id = session.scalars(select(Collection.id)).one()
    assert 'href="/papers/' not in demo.get("/recommendations").text.split("<main")[1]
    demo.post(
        "/collections/add",
        data={"csrf_token": token, "collection_id": collection_id, "arxiv_id": "2608.00001"},
    )
    page = demo.get("/recommendations").text
    assert 'href="/papers/2608.00003"' in page or 'href="/papers/2608.00002"' in page
