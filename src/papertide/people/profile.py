"""A person's profile: what they did here, counted, and the papers they upvoted (if public)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from papertide.people.claims import ClaimStatus
from papertide.store.schema import AuthorClaim, Collection, Comment, FeedEntry, Paper, User, Vote


@dataclass(frozen=True, slots=True)
class ProfileCounts:
    """The numbers on a profile; `upvotes` is None when the person keeps their votes private."""

    submissions: int
    comments: int
    collections: int
    authored: int
    upvotes: int | None


def _count(session: Session, stmt: object) -> int:
    return int(session.scalar(stmt) or 0)  # type: ignore[call-overload]


def profile_counts(session: Session, person: User, *, viewer_is_owner: bool) -> ProfileCounts:
    """Counts as the viewer may see them: private collections and votes only for the owner."""
    collections = (
        select(func.count()).select_from(Collection).where(Collection.user_id == person.id)
    )
    if not viewer_is_owner:
        collections = collections.where(Collection.is_public.is_(True))
    show_votes = viewer_is_owner or person.public_upvotes
    return ProfileCounts(
        submissions=_count(
            session,
            select(func.count())
            .select_from(FeedEntry)
            .where(FeedEntry.submitted_by_id == person.id, FeedEntry.hidden.is_(False)),
        ),
        comments=_count(
            session,
            select(func.count())
            .select_from(Comment)
            .where(
                Comment.user_id == person.id,
                Comment.hidden.is_(False),
                Comment.deleted.is_(False),
            ),
        ),
        collections=_count(session, collections),
        authored=_count(
            session,
            select(func.count())
            .select_from(AuthorClaim)
            .where(AuthorClaim.user_id == person.id, AuthorClaim.status == ClaimStatus.CONFIRMED),
        ),
        upvotes=_count(session, select(func.count()).where(Vote.user_id == person.id))
        if show_votes
        else None,
    )


def upvoted_papers(session: Session, user_id: int, *, limit: int = 50) -> list[Paper]:
    """The papers a person upvoted, most recent vote first (callers check `public_upvotes`)."""
    return list(
        session.scalars(
            select(Paper)
            .join(Vote, Vote.paper_id == Paper.id)
            .where(Vote.user_id == user_id)
            .order_by(Vote.created_at.desc(), Vote.id.desc())
            .limit(limit)
        )
    )
