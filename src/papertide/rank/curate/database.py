"""The curation inputs as an instance's database holds them: listed papers and community picks.

A pick is a paper on the community feed (submitted here or imported), or a paper someone voted
for or saved to a collection, dated the day it happened. Only the day, the count of votes and
the paper's own metadata are read: never who submitted, voted or collected it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from papertide.rank.curate.records import Candidate, Pick
from papertide.store.schema import CollectionItem, FeedEntry, Paper, PaperCategory, Vote

_CHUNK = 2000


def _candidate(paper: Paper) -> Candidate:
    assert paper.first_announced is not None
    return Candidate(
        arxiv_id=paper.arxiv_id,
        day=paper.first_announced,
        title=paper.title,
        abstract=paper.abstract or "",
        authors=tuple(paper.authors or ()),
        categories=tuple(paper.categories or ()),
        comment=paper.comment or "",
        code_links=tuple(paper.code_links or ()),
    )


def listed_papers(
    session: Session,
    *,
    until: dt.date,
    since: dt.date | None = None,
    categories: Iterable[str] = (),
) -> list[Candidate]:
    """Papers first announced in [since, until] in any of `categories` (all when empty)."""
    stmt = select(Paper).where(
        Paper.first_announced.is_not(None),
        Paper.first_announced <= until,
        Paper.withdrawn.is_(False),
    )
    if since is not None:
        stmt = stmt.where(Paper.first_announced >= since)
    wanted = list(categories)
    if wanted:
        in_category = select(PaperCategory.paper_id).where(PaperCategory.category.in_(wanted))
        stmt = stmt.where(Paper.id.in_(in_category))
    stmt = stmt.order_by(Paper.first_announced, Paper.id).execution_options(yield_per=_CHUNK)
    return [_candidate(paper) for paper in session.scalars(stmt)]


def hidden_papers(session: Session, arxiv_ids: Iterable[str]) -> set[str]:
    """Those of these papers whose feed entry a moderator hid."""
    wanted = list(arxiv_ids)
    if not wanted:
        return set()
    stmt = (
        select(Paper.arxiv_id)
        .join(FeedEntry, FeedEntry.paper_id == Paper.id)
        .where(Paper.arxiv_id.in_(wanted), FeedEntry.hidden.is_(True))
    )
    return set(session.scalars(stmt))


def _pick(paper: Paper, day: dt.date, upvotes: int) -> Pick:
    return Pick(
        arxiv_id=paper.arxiv_id,
        day=day,
        upvotes=upvotes,
        title=paper.title,
        abstract=paper.abstract or "",
        authors=tuple(paper.authors or ()),
    )


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def community_picks(
    session: Session, *, before: dt.date, since: dt.date | None = None
) -> list[Pick]:
    """Picks dated in [since, before), oldest first (a paper may appear more than once)."""
    picks = _picks(session, before)
    if since is not None:
        picks = (p for p in picks if p.day >= since)
    return sorted(picks, key=lambda p: (p.day, p.arxiv_id))


def _picks(session: Session, before: dt.date) -> Iterator[Pick]:
    entries = (
        select(Paper, FeedEntry.feed_date, FeedEntry.upvotes)
        .join(FeedEntry, FeedEntry.paper_id == Paper.id)
        .where(FeedEntry.feed_date < before, FeedEntry.hidden.is_(False))
        .execution_options(yield_per=_CHUNK)
    )
    for paper, day, upvotes in session.execute(entries):
        yield _pick(paper, day, int(upvotes or 0))
    limit = dt.datetime.combine(before, dt.time(), tzinfo=dt.UTC)
    votes = (
        select(Paper, func.min(Vote.created_at), func.count(Vote.id))
        .join(Vote, Vote.paper_id == Paper.id)
        .where(Vote.created_at < limit)
        .group_by(Paper.id)
    )
    for paper, first, count in session.execute(votes):
        yield _pick(paper, _date(first), int(count))
    saved = (
        select(Paper, func.min(CollectionItem.added_at))
        .join(CollectionItem, CollectionItem.paper_id == Paper.id)
        .where(CollectionItem.added_at < limit)
        .group_by(Paper.id)
    )
    for paper, first in session.execute(saved):
        yield _pick(paper, _date(first), 0)
