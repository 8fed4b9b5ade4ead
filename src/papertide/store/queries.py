"""Read queries shared by the web app, feeds and digests: feeds, papers, categories, users.

Every function takes a Session and returns plain data (dataclasses or ORM rows already loaded),
so callers can cache results and render them after the session is closed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from papertide.store.schema import (
    Collection,
    CollectionItem,
    Comment,
    FeedEntry,
    Paper,
    PaperCategory,
    Thumbnail,
    ThumbStatus,
    User,
    Vote,
)

FeedSort = Literal["votes", "time"]
# SQLAlchemy 2.1 types a select by its columns; the user name column may be NULL (outer join).
FeedSelect = Select[FeedEntry, Paper, str, str | None]


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One paper on one day's feed, with what a listing shows next to it."""

    entry_id: int
    feed_date: dt.date
    paper: Paper
    upvotes: int
    submitted_by: str | None  # the submitter's handle
    submitted_at: dt.datetime
    source: str
    github_repo: str | None
    github_stars: int | None
    project_page: str | None
    num_comments: int  # visible comments here: the count every page shows (`comment_counts`)
    hidden: bool = False
    submitter_id: int | None = None
    submitter_fullname: str | None = None
    thumbnail: str | None = None  # the version of the card image, when the paper has one
    imported_comments: int = 0  # counted on Hugging Face at import; shown apart, never added


def _feed_select() -> FeedSelect:
    return (
        select(FeedEntry, Paper, User.name, User.display_name)
        .join(Paper, Paper.id == FeedEntry.paper_id)
        .outerjoin(User, User.id == FeedEntry.submitted_by_id)
    )


def comment_counts(session: Session, paper_ids: Iterable[int]) -> dict[int, int]:
    """Visible comments per paper (neither hidden nor deleted): the one count pages show.

    Comments counted on Hugging Face come with imported feed entries (`imported_comments`);
    they cannot be read here, so they are shown apart ("N on Hugging Face"), never added in.
    """
    ids = list(set(paper_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Comment.paper_id, func.count())
        .where(Comment.paper_id.in_(ids), Comment.hidden.is_(False), Comment.deleted.is_(False))
        .group_by(Comment.paper_id)
    )
    return {paper_id: count for paper_id, count in rows}


def thumbnail_versions(session: Session, paper_ids: Iterable[int]) -> dict[int, str]:
    """The image version (its digest) of each of these papers that has a thumbnail."""
    ids = list(set(paper_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Thumbnail.paper_id, Thumbnail.digest).where(
            Thumbnail.paper_id.in_(ids), Thumbnail.status == ThumbStatus.OK
        )
    )
    return {paper_id: digest for paper_id, digest in rows if digest}


@dataclass(frozen=True, slots=True)
class ThumbnailImage:
    webp: bytes
    digest: str
    updated_at: dt.datetime


def thumbnail_image(session: Session, arxiv_id: str) -> ThumbnailImage | None:
    """The card image of the paper `arxiv_id` (canonical id), if it has one."""
    row = session.execute(
        select(Thumbnail.webp, Thumbnail.digest, Thumbnail.updated_at)
        .join(Paper, Paper.id == Thumbnail.paper_id)
        .where(Paper.arxiv_id == arxiv_id, Thumbnail.status == ThumbStatus.OK)
    ).first()
    if row is None or row.webp is None or not row.digest:
        return None
    return ThumbnailImage(bytes(row.webp), row.digest, row.updated_at)


def _items(session: Session, rows: Sequence[Any]) -> list[FeedItem]:
    counts = comment_counts(session, (row[1].id for row in rows))
    thumbnails = thumbnail_versions(session, (row[1].id for row in rows))
    return [
        FeedItem(
            entry_id=entry.id,
            feed_date=entry.feed_date,
            paper=paper,
            upvotes=entry.upvotes,
            submitted_by=name,
            submitted_at=entry.submitted_at,
            source=entry.source,
            github_repo=entry.github_repo or _first_github(paper.code_links),
            github_stars=entry.github_stars
            if entry.github_stars is not None
            else paper.github_stars,
            project_page=entry.project_page or paper.project_page,
            num_comments=counts.get(paper.id, 0),
            hidden=entry.hidden,
            submitter_id=entry.submitted_by_id,
            submitter_fullname=fullname,
            thumbnail=thumbnails.get(paper.id),
            imported_comments=entry.imported_comments,
        )
        for entry, paper, name, fullname in rows
    ]


def _first_github(links: list[str] | None) -> str | None:
    for link in links or []:
        if "github.com/" in link:
            return link
    return None


def _order(stmt: FeedSelect, sort: FeedSort) -> FeedSelect:
    if sort == "time":
        return stmt.order_by(FeedEntry.submitted_at.desc(), FeedEntry.id.desc())
    return stmt.order_by(FeedEntry.upvotes.desc(), FeedEntry.submitted_at.desc(), FeedEntry.id)


def feed_for_date(
    session: Session, day: dt.date, sort: FeedSort = "votes", *, include_hidden: bool = False
) -> list[FeedItem]:
    """The papers on `day`'s feed."""
    return feed_for_range(session, day, day, sort, include_hidden=include_hidden)


def feed_for_range(
    session: Session,
    start: dt.date,
    end: dt.date,
    sort: FeedSort = "votes",
    *,
    limit: int | None = None,
    offset: int = 0,
    submitter: str | None = None,
    include_hidden: bool = False,
) -> list[FeedItem]:
    """Feed entries with `start <= feed_date <= end` (a week or a month view)."""
    stmt = _feed_select().where(FeedEntry.feed_date >= start, FeedEntry.feed_date <= end)
    if not include_hidden:
        stmt = stmt.where(FeedEntry.hidden.is_(False))
    if submitter is not None:
        stmt = stmt.where(User.name == submitter)
    stmt = _order(stmt, sort)
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    return _items(session, session.execute(stmt).all())


def count_feed_range(
    session: Session, start: dt.date, end: dt.date, *, submitter: str | None = None
) -> int:
    stmt = (
        select(func.count())
        .select_from(FeedEntry)
        .outerjoin(User, User.id == FeedEntry.submitted_by_id)
        .where(
            FeedEntry.feed_date >= start, FeedEntry.feed_date <= end, FeedEntry.hidden.is_(False)
        )
    )
    if submitter is not None:
        stmt = stmt.where(User.name == submitter)
    return int(session.scalar(stmt) or 0)


def latest_feed_date(session: Session, on_or_before: dt.date | None = None) -> dt.date | None:
    """The newest day with visible feed entries (not after `on_or_before` when given)."""
    stmt = select(func.max(FeedEntry.feed_date)).where(FeedEntry.hidden.is_(False))
    if on_or_before is not None:
        stmt = stmt.where(FeedEntry.feed_date <= on_or_before)
    return session.scalar(stmt)


def adjacent_feed_dates(session: Session, day: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The nearest earlier and later days that have entries (arXiv skips weekends and holidays)."""
    visible = FeedEntry.hidden.is_(False)
    prev = session.scalar(
        select(func.max(FeedEntry.feed_date)).where(visible, FeedEntry.feed_date < day)
    )
    nxt = session.scalar(
        select(func.min(FeedEntry.feed_date)).where(visible, FeedEntry.feed_date > day)
    )
    return prev, nxt


def published(paper: Paper) -> dt.datetime | None:
    """When the paper appeared: its v1 date, or its first announcement when versions are unknown."""
    if paper.published_at is not None:
        return paper.published_at
    if paper.first_announced is not None:
        return dt.datetime.combine(paper.first_announced, dt.time(), dt.UTC)
    return None


def first_listings(session: Session, paper_ids: Iterable[int]) -> dict[int, dt.date]:
    """The first day each paper was on this site's daily feed (papers never listed are absent):
    the one date a paper imported from the Hugging Face feed alone may have."""
    wanted = list(set(paper_ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(FeedEntry.paper_id, func.min(FeedEntry.feed_date))
        .where(FeedEntry.paper_id.in_(wanted))
        .group_by(FeedEntry.paper_id)
    )
    return {int(paper_id): day for paper_id, day in rows if day is not None}


def paper_by_arxiv_id(session: Session, arxiv_id: str) -> Paper | None:
    return session.scalars(select(Paper).where(Paper.arxiv_id == arxiv_id)).one_or_none()


def papers_by_ids(session: Session, ids: Iterable[int]) -> dict[int, Paper]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    return {p.id: p for p in session.scalars(select(Paper).where(Paper.id.in_(wanted)))}


def feed_entries_for_paper(session: Session, paper_id: int) -> list[FeedItem]:
    stmt = _feed_select().where(FeedEntry.paper_id == paper_id).order_by(FeedEntry.feed_date)
    return _items(session, session.execute(stmt).all())


def paper_upvotes(session: Session, paper_id: int) -> int:
    """Votes shown for a paper: its newest feed entry's total, or local votes when not on a feed."""
    entry_votes = session.scalar(
        select(FeedEntry.upvotes)
        .where(FeedEntry.paper_id == paper_id)
        .order_by(FeedEntry.feed_date.desc())
        .limit(1)
    )
    if entry_votes is not None:
        return int(entry_votes)
    return int(session.scalar(select(func.count()).where(Vote.paper_id == paper_id)) or 0)


@dataclass(frozen=True, slots=True)
class PaperStats:
    """What every listing shows next to a paper: the same names as `FeedItem`'s."""

    upvotes: int
    num_comments: int
    imported_comments: int
    github_repo: str | None
    github_stars: int | None


def paper_stats(session: Session, paper_ids: Iterable[int]) -> dict[int, PaperStats]:
    """Votes, comments and code link of many papers at once (search results, lists).

    Votes and imported comments come from each paper's newest feed entry (as on the paper page,
    `paper_upvotes`); a paper never on a feed has its local votes.
    """
    ids = list(set(paper_ids))
    if not ids:
        return {}
    papers = papers_by_ids(session, ids)
    newest: dict[int, FeedEntry] = {}
    for row in session.scalars(
        select(FeedEntry)
        .where(FeedEntry.paper_id.in_(ids))
        .order_by(FeedEntry.paper_id, FeedEntry.feed_date)
    ):
        newest[row.paper_id] = row  # ascending dates: the last one wins
    missing = [i for i in ids if i not in newest]
    local_votes: dict[int, int] = {}
    if missing:
        rows = session.execute(
            select(Vote.paper_id, func.count())
            .where(Vote.paper_id.in_(missing))
            .group_by(Vote.paper_id)
        )
        local_votes = {paper_id: count for paper_id, count in rows}
    comments = comment_counts(session, ids)
    stats = {}
    for paper_id, paper in papers.items():
        entry = newest.get(paper_id)
        stats[paper_id] = PaperStats(
            upvotes=entry.upvotes if entry else local_votes.get(paper_id, 0),
            num_comments=comments.get(paper_id, 0),
            imported_comments=entry.imported_comments if entry else 0,
            github_repo=(entry.github_repo if entry else None) or _first_github(paper.code_links),
            github_stars=entry.github_stars
            if entry and entry.github_stars is not None
            else paper.github_stars,
        )
    return stats


def category_papers(
    session: Session, category: str, *, limit: int = 50, offset: int = 0
) -> list[Paper]:
    """Papers listed in `category` (cross-lists included), newest first."""
    stmt = (
        select(Paper)
        .join(PaperCategory, PaperCategory.paper_id == Paper.id)
        .where(PaperCategory.category == category)
        .order_by(Paper.first_announced.desc().nulls_last(), Paper.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(stmt))


def category_counts(session: Session) -> list[tuple[str, int]]:
    """Every category the papers here are listed in, with its number of papers, by name."""
    rows = session.execute(
        select(PaperCategory.category, func.count())
        .group_by(PaperCategory.category)
        .order_by(PaperCategory.category)
    )
    return [(str(category), int(count)) for category, count in rows]


def count_category(session: Session, category: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(PaperCategory)
            .where(PaperCategory.category == category)
        )
        or 0
    )


def user_by_name(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == name)).one_or_none()


def user_submissions(session: Session, user_id: int, *, limit: int = 50) -> list[FeedItem]:
    stmt = (
        _feed_select()
        .where(FeedEntry.submitted_by_id == user_id, FeedEntry.hidden.is_(False))
        .order_by(FeedEntry.feed_date.desc(), FeedEntry.id.desc())
        .limit(limit)
    )
    return _items(session, session.execute(stmt).all())


def user_collections(session: Session, user_id: int, *, include_private: bool) -> list[Collection]:
    stmt = select(Collection).where(Collection.user_id == user_id)
    if not include_private:
        stmt = stmt.where(Collection.is_public.is_(True))
    return list(session.scalars(stmt.order_by(Collection.updated_at.desc(), Collection.id.desc())))


def collection_by_slug(session: Session, user_id: int, slug: str) -> Collection | None:
    return session.scalars(
        select(Collection).where(and_(Collection.user_id == user_id, Collection.slug == slug))
    ).one_or_none()


def collection_papers(session: Session, collection_id: int) -> list[tuple[Paper, CollectionItem]]:
    stmt = (
        select(Paper, CollectionItem)
        .join(CollectionItem, CollectionItem.paper_id == Paper.id)
        .where(CollectionItem.collection_id == collection_id)
        .order_by(CollectionItem.added_at.desc(), Paper.id.desc())
    )
    return [(paper, item) for paper, item in session.execute(stmt)]


def voted_paper_ids(session: Session, user_id: int, paper_ids: Iterable[int]) -> set[int]:
    ids = list(set(paper_ids))
    if not ids:
        return set()
    stmt = select(Vote.paper_id).where(Vote.user_id == user_id, Vote.paper_id.in_(ids))
    return set(session.scalars(stmt))


def new_papers_on(
    session: Session,
    day: dt.date,
    categories: Iterable[str],
    *,
    exclude_paper_ids: Iterable[int] = (),
    limit: int = 200,
) -> list[Paper]:
    """Papers first announced on `day` in any of `categories` (for a feed that lists them all)."""
    wanted = list(categories)
    if not wanted:
        return []
    in_category = (
        select(PaperCategory.paper_id).where(PaperCategory.category.in_(wanted)).distinct()
    )
    stmt = (
        select(Paper)
        .where(Paper.first_announced == day, Paper.id.in_(in_category))
        .order_by(Paper.id.desc())
        .limit(limit)
    )
    excluded = set(exclude_paper_ids)
    if excluded:
        stmt = stmt.where(Paper.id.not_in(excluded))
    return list(session.scalars(stmt))
