"""The trending score: its terms, and the ranking it gives on a real database."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.web.conftest import DAY, Seed

from papertide.rank.trending import score_terms, trending_papers


def score(**kwargs: object) -> float:
    base = {"upvotes": 10, "recent_votes": 0, "github_stars": None, "comments": 0, "age_days": 1.0}
    base.update(kwargs)
    return score_terms(window="week", **base)[0]  # type: ignore[arg-type]


def test_more_votes_rank_higher_but_with_diminishing_returns() -> None:
    assert score(upvotes=20) > score(upvotes=10) > score(upvotes=0)
    assert score(upvotes=20) - score(upvotes=10) < score(upvotes=10) - score(upvotes=0)


def test_age_decays_with_the_window_half_life() -> None:
    assert abs(score(age_days=6.0) - score(age_days=1.0) / 2) < 1e-9
    day = score_terms(
        upvotes=10, recent_votes=0, github_stars=None, comments=0, age_days=2, window="day"
    )
    month = score_terms(
        upvotes=10, recent_votes=0, github_stars=None, comments=0, age_days=2, window="month"
    )
    assert day[0] < month[0]


def test_stars_comments_and_recent_votes_add_and_are_itemised() -> None:
    total, decay, terms = score_terms(
        upvotes=10, recent_votes=4, github_stars=1000, comments=3, age_days=0.5, window="day"
    )
    assert total > score(upvotes=10, age_days=0.5)
    parts = {t.name: t.contribution for t in terms}
    assert parts["github stars"] > 0 and parts["comments"] > 0 and parts["recent votes"] > 0
    positive = sum(v for k, v in parts.items() if k != "age")
    assert abs(positive - total) < 1e-3
    assert parts["age"] < 0 and 0 < decay < 1


def test_trending_papers_anchors_on_the_newest_feed_day(engine: Engine, seed: Seed) -> None:
    now = dt.datetime.combine(DAY + dt.timedelta(days=90), dt.time(), dt.UTC)
    with Session(engine) as session:
        day = trending_papers(session, "day", now)
        week = trending_papers(session, "week", now)
    assert [t.item.paper.arxiv_id for t in day] == ["2608.00002", "2608.00001", "2608.00003"]
    # 30 votes from the day before beat 12 from today: a 5-day half-life costs them 13% only
    # (ln 31 x 0.76 = 2.6 against ln 13 x 0.87 = 2.2, plus the same stars term), and 5 fresh
    # votes stay behind both.
    assert [t.item.paper.arxiv_id for t in week] == [
        "2608.00004",
        "2608.00002",
        "2608.00001",
        "2608.00003",
    ]


def test_empty_feed_has_nothing_trending(engine: Engine) -> None:
    with Session(engine) as session:
        assert trending_papers(session, "month", dt.datetime.now(dt.UTC)) == []
