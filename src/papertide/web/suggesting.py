"""Suggested papers as the site shows them: the model's papers above the line for a day, with
what a listing needs next to each (votes, whether it is on the feed, whether it can be submitted).

The ranking itself is `papertide.rank.curate.service.day_suggestions` (cached per day and model);
this module only joins it with the database rows, which change with every vote.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from papertide.rank.curate.service import chance_label, day_suggestions
from papertide.store.queries import PaperStats, paper_stats
from papertide.store.schema import FeedEntry, Paper, PaperCategory
from papertide.web.state import WebState


@dataclass(frozen=True)
class SuggestedPaper:
    paper: Paper
    score: float
    reasons: tuple[str, ...]
    stats: PaperStats
    feed_date: dt.date | None  # its first day on the feed here, None when not on the feed
    submittable: bool  # not on the feed and recent enough for /submit

    @property
    def chance(self) -> str:
        return chance_label(self.score)


@dataclass(frozen=True)
class SuggestedDay:
    day: dt.date
    origin: str
    threshold: float
    considered: int
    items: list[SuggestedPaper]
    problem: str | None
    learnt_until: dt.date | None = None

    @property
    def below(self) -> int:
        return self.considered - len(self.items)

    @property
    def line(self) -> str:
        return chance_label(self.threshold)

    @property
    def message(self) -> str | None:
        """What the page says instead of a list (None when there is a list)."""
        if self.learnt_until is not None:
            return (
                "No suggestions for this day: the model learnt from the picks up to "
                f"{self.learnt_until:%b} {self.learnt_until.day}, {self.learnt_until.year}, "
                "this day's among them, so it would only repeat them."
            )
        if self.problem:
            return "Suggestions are not available right now."
        if self.considered == 0:
            return "No new papers were listed on this day, so there is nothing to suggest."
        if not self.items:
            papers = "paper" if self.considered == 1 else "papers"
            return (
                f"Nothing above the line today: none of the day's {self.considered:,} new "
                f"{papers} reaches a {self.line} chance of being picked."
            )
        return None


def suggested_for_day(state: WebState, db: Session, day: dt.date) -> SuggestedDay:
    """The day's suggestions above the line, with live votes and feed state; never raises."""
    settings = state.settings
    found = day_suggestions(
        state.engine, settings.data_dir, day, categories=tuple(settings.categories)
    )
    ids = [s.paper.arxiv_id for s in found.above]
    papers = (
        {p.arxiv_id: p for p in db.scalars(select(Paper).where(Paper.arxiv_id.in_(ids)))}
        if ids
        else {}
    )
    rows = [p.id for p in papers.values()]
    stats = paper_stats(db, rows)
    on_feed: dict[int, dt.date] = {}
    if rows:
        for paper_id, feed_date in db.execute(
            select(FeedEntry.paper_id, FeedEntry.feed_date)
            .where(FeedEntry.paper_id.in_(rows), FeedEntry.hidden.is_(False))
            .order_by(FeedEntry.feed_date.desc())
        ):
            on_feed[paper_id] = feed_date  # oldest date last: it wins
    today = settings.now().date()
    items = []
    for s in found.above:
        paper = papers.get(s.paper.arxiv_id)
        if paper is None:  # deleted since the day was scored
            continue
        listed = paper.published_at.date() if paper.published_at else paper.first_announced
        recent = listed is None or (today - listed).days <= settings.submission_max_age_days
        items.append(
            SuggestedPaper(
                paper=paper,
                score=s.score,
                reasons=s.reasons,
                stats=stats[paper.id],
                feed_date=on_feed.get(paper.id),
                submittable=paper.id not in on_feed and recent,
            )
        )
    return SuggestedDay(
        day=day,
        origin=found.origin,
        threshold=found.threshold,
        considered=found.considered,
        items=items,
        problem=found.problem,
        learnt_until=found.learnt_until,
    )


def latest_listing_days(
    db: Session, categories: list[str], on_or_before: dt.date, count: int
) -> list[dt.date]:
    """The newest days (at most `count`, newest first) with papers listed in `categories`."""
    stmt = (
        select(Paper.first_announced)
        .where(Paper.first_announced.is_not(None), Paper.first_announced <= on_or_before)
        .distinct()
        .order_by(Paper.first_announced.desc())
        .limit(count)
    )
    if categories:
        stmt = stmt.where(
            Paper.id.in_(
                select(PaperCategory.paper_id).where(PaperCategory.category.in_(categories))
            )
        )
    return [d for d in db.scalars(stmt) if isinstance(d, dt.date)]
