"""The Atom/RSS feed of suggested papers: the model's papers above its line on the latest
listing days, each entry saying why; a valid feed with no entries when nothing is above the line.
Both databases, parsed with feedparser like every other feed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.feeds.test_feeds import TODAY, client, no_index_follower, world

from papertide.config import Settings
from papertide.rank.curate.service import current_model, day_suggestions, forget_day_suggestions
from papertide.store.schema import Paper, PaperCategory

__all__ = ["client", "no_index_follower", "world"]  # fixtures shared with test_feeds


@pytest.fixture(autouse=True)
def fresh_suggestions() -> Iterator[None]:
    forget_day_suggestions()
    yield
    forget_day_suggestions()


def _parse(client: TestClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.text
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def test_entries_are_the_papers_above_the_line_best_first_with_reasons(
    client: TestClient,
    settings: Settings,
    engine: Engine,
    world: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model, _ = current_model(settings.data_dir)
    monkeypatch.setattr(model, "threshold", 0.0)
    ranked = day_suggestions(engine, settings.data_dir, TODAY, categories=settings.categories)
    assert ranked.considered == 4 and ranked.problem is None and len(ranked.above) == 4
    # A line between the day's best and worst: the feed holds exactly the papers above it.
    best, worst = ranked.above[0].score, ranked.above[-1].score
    assert best > worst
    line = (best + worst) / 2
    monkeypatch.setattr(model, "threshold", line)
    forget_day_suggestions()
    expected = [s for s in ranked.above if s.score >= line]
    assert 0 < len(expected) < 4
    feed = _parse(client, "/feeds/suggested.atom")
    assert [e.id for e in feed.entries] == [
        f"https://arxiv.org/abs/{s.paper.arxiv_id}" for s in expected
    ]
    for entry, s in zip(feed.entries, expected, strict=True):
        assert "chance of being picked" in entry.summary
        for reason in s.reasons:
            assert reason in entry.summary
        assert entry.published_parsed[:3] == TODAY.timetuple()[:3]
    assert feed.feed.title.endswith("suggested papers")
    rss = _parse(client, "/feeds/suggested.rss")
    assert [e.id for e in rss.entries] == [e.id for e in feed.entries]
    again = client.get(
        "/feeds/suggested.atom",
        headers={"if-none-match": client.get("/feeds/suggested.atom").headers["etag"]},
    )
    assert again.status_code == 304
    assert client.get("/feeds/suggested.pdf").status_code == 404


def test_silent_when_nothing_is_above_the_line(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, _ = current_model(settings.data_dir)
    monkeypatch.setattr(model, "threshold", 1.01)
    feed = _parse(client, "/feeds/suggested.atom")
    assert feed.entries == [] and feed.feed.title


def test_covers_the_latest_listing_days_newest_first(
    client: TestClient,
    settings: Settings,
    engine: Engine,
    world: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Papers of earlier listing days follow today's; a day four listing days back is left out."""
    with Session(engine) as db:
        for n, days_back in enumerate((1, 2, 9), start=1):
            day = TODAY - dt.timedelta(days=days_back)  # the 9-days-back day is a 4th day
            paper = Paper(
                arxiv_id=f"2610.0000{n}",
                title=f"Earlier paper {n} on mixture of experts",
                abstract="Experts route tokens.",
                authors=["Grace Hopper"],
                categories=["cs.LG"],
                primary_category="cs.LG",
                first_announced=day,
            )
            db.add(paper)
            db.flush()
            db.add(PaperCategory(paper_id=paper.id, category="cs.LG"))
        db.commit()
    model, _ = current_model(settings.data_dir)
    monkeypatch.setattr(model, "threshold", 0.0)
    ids = [e.id[-10:] for e in _parse(client, "/feeds/suggested.atom").entries]
    assert sorted(ids[:4]) == ["2611.00001", "2611.00002", "2611.00003", "2611.00004"]
    assert ids[4:] == ["2610.00001", "2610.00002"]
