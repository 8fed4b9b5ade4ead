"""Trending: which feed papers are hot now, with every term of the score shown.

The formula (documented in docs/trending.md):

    base  = ln(1 + upvotes) + 0.5 * ln(1 + votes in the last 24 h)
          + 0.25 * log10(1 + github stars) + 0.15 * ln(1 + comments here + on Hugging Face)
    decay = 0.5 ** (age_days / half_life[window])        (half-life: day 1, week 5, month 14 days)
    score = base * decay

Logarithms make the 10th vote worth more than the 200th, so one viral paper does not bury the
rest; the decay lets a newer paper with fewer votes overtake an older one in the week and month
windows. `score_terms` is pure so the replay benchmark and the tests score without a database.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from papertide.store.queries import FeedItem, feed_for_range, latest_feed_date
from papertide.store.schema import Vote

Window = Literal["day", "week", "month"]
WINDOWS: tuple[Window, ...] = ("day", "week", "month")
WINDOW_DAYS: dict[Window, int] = {"day": 1, "week": 7, "month": 30}
HALF_LIFE_DAYS: dict[Window, float] = {"day": 1.0, "week": 5.0, "month": 14.0}

VOTE_WEIGHT = 1.0
RECENT_VOTE_WEIGHT = 0.5
STAR_WEIGHT = 0.25
COMMENT_WEIGHT = 0.15


@dataclass(frozen=True, slots=True)
class TrendingTerm:
    """One term of a trending score: its input, and what it adds after the age decay."""

    name: str
    value: float
    contribution: float
    explanation: str


@dataclass(frozen=True, slots=True)
class TrendingItem:
    item: FeedItem
    score: float
    age_days: float
    decay: float
    terms: list[TrendingTerm]


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _comments_explained(here: int, imported: int) -> str:
    """The same two numbers a card shows: "N comments" and "M on Hugging Face"."""
    text = f"{here} comment{_s(here)}"
    return f"{text} + {imported} on Hugging Face" if imported else text


def score_terms(
    *,
    upvotes: int,
    recent_votes: int,
    github_stars: int | None,
    comments: int,
    age_days: float,
    window: Window,
    imported_comments: int = 0,
) -> tuple[float, float, list[TrendingTerm]]:
    """(score, decay, terms) for one paper; each term's contribution already includes the decay.

    `comments` are the visible comments here, `imported_comments` those counted on Hugging Face
    (an imported feed): discussion anywhere counts, and the explanation names both.
    """
    age = max(age_days, 0.0)
    discussion = max(comments, 0) + max(imported_comments, 0)
    decay = 0.5 ** (age / HALF_LIFE_DAYS[window])
    raw = [
        (
            "votes",
            upvotes,
            VOTE_WEIGHT * math.log1p(max(upvotes, 0)),
            f"{upvotes} upvote{_s(upvotes)}",
        ),
        (
            "recent votes",
            recent_votes,
            RECENT_VOTE_WEIGHT * math.log1p(max(recent_votes, 0)),
            f"{recent_votes} vote{_s(recent_votes)} in the last 24 h",
        ),
        (
            "github stars",
            github_stars or 0,
            STAR_WEIGHT * math.log10(1 + max(github_stars or 0, 0)),
            f"{github_stars:,} stars" if github_stars else "no known repository stars",
        ),
        (
            "comments",
            discussion,
            COMMENT_WEIGHT * math.log1p(discussion),
            _comments_explained(max(comments, 0), max(imported_comments, 0)),
        ),
    ]
    terms = [
        TrendingTerm(name, float(value), round(part * decay, 4), why)
        for name, value, part, why in raw
    ]
    base = sum(part for _, _, part, _ in raw)
    terms.append(
        TrendingTerm(
            "age",
            round(age, 3),
            round(base * decay - base, 4),
            f"{age:.1f} days old: score x {decay:.2f} (half-life {HALF_LIFE_DAYS[window]:g} days)",
        )
    )
    return base * decay, decay, terms


def window_bounds(anchor: dt.date, window: Window) -> tuple[dt.date, dt.date]:
    return anchor - dt.timedelta(days=WINDOW_DAYS[window] - 1), anchor


def trending_span(session: Session, window: Window, now: dt.datetime) -> tuple[dt.date, dt.date]:
    """The first and last feed day a trending window covers at `now` (see `trending_papers`);
    the window ending today when the feed has no day yet."""
    anchor = latest_feed_date(session, now.date()) or now.date()
    return window_bounds(anchor, window)


def span_label(end: dt.date, window: Window, today: dt.date) -> str:
    """How a window whose last feed day is `end` is named: "this week" while it reaches today (a
    weekend still counts for week and month), else by that day: "the week to Friday, August 21"."""
    lag = (today - end).days
    if lag <= 0 or (window != "day" and lag < 3):
        return "today" if window == "day" else f"this {window}"
    if window == "day":
        return f"on {end:%A, %B %-d}"
    return f"the {window} to {end:%A, %B %-d}"


def _recent_votes(session: Session, paper_ids: list[int], since: dt.datetime) -> dict[int, int]:
    if not paper_ids:
        return {}
    rows = session.execute(
        select(Vote.paper_id, func.count())
        .where(Vote.paper_id.in_(paper_ids), Vote.created_at >= since)
        .group_by(Vote.paper_id)
    )
    return {paper_id: count for paper_id, count in rows}


def trending_papers(
    session: Session, window: Window, now: dt.datetime, *, limit: int = 50
) -> list[TrendingItem]:
    """The trending papers of the window ending at the newest feed day on or before `now`.

    Anchoring at the newest feed day (not the calendar day) keeps weekends, holidays and a demo
    with old sample data from showing an empty page.
    """
    if window not in WINDOW_DAYS:
        raise ValueError(f"unknown trending window {window!r}; use day, week or month")
    anchor = latest_feed_date(session, now.date())
    if anchor is None:
        return []
    start, end = window_bounds(anchor, window)
    items = feed_for_range(session, start, end)
    # Ages count from the end of the anchor day at the latest, so old data decays as a whole.
    reference = min(now, dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC))
    recent = _recent_votes(session, [i.paper.id for i in items], reference - dt.timedelta(days=1))
    best: dict[int, TrendingItem] = {}
    for item in items:
        day_start = dt.datetime.combine(item.feed_date, dt.time(), dt.UTC)
        age_days = (reference - day_start).total_seconds() / 86400
        score, decay, terms = score_terms(
            upvotes=item.upvotes,
            recent_votes=recent.get(item.paper.id, 0),
            github_stars=item.github_stars,
            comments=item.num_comments,
            imported_comments=item.imported_comments,
            age_days=age_days,
            window=window,
        )
        ranked = TrendingItem(item, round(score, 4), round(age_days, 3), decay, terms)
        current = best.get(item.paper.id)
        if current is None or ranked.score > current.score:
            best[item.paper.id] = ranked
    ordered = sorted(best.values(), key=lambda t: (-t.score, -t.item.upvotes, t.item.entry_id))
    return ordered[:limit]
