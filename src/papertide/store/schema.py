"""The database schema: one SQLAlchemy 2 model per table, shared by SQLite and PostgreSQL.

The database is the source of truth; search indexes are derived from it. Any change here needs a
migration in `store/migrations/versions/` (`alembic revision --autogenerate` against this file).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Stable constraint names so migrations are the same on both databases.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BigInteger keys autoincrement on PostgreSQL and stay INTEGER PRIMARY KEY (rowid) on SQLite.
PK = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)
        # SQLite compares datetimes as text: store them naive so every row has one format.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        list[Any]: JSON,
    }


class Paper(Base):
    """One canonical row per arXiv id (without version)."""

    __tablename__ = "papers"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    arxiv_id: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str] = mapped_column(Text, default="")
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)  # in paper order
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    primary_category: Mapped[str | None] = mapped_column(String(32), index=True)
    comment: Mapped[str | None] = mapped_column(Text)
    journal_ref: Mapped[str | None] = mapped_column(Text)
    doi: Mapped[str | None] = mapped_column(String(255))
    license: Mapped[str | None] = mapped_column(String(255))
    latest_version: Mapped[int] = mapped_column(Integer, default=0)  # 0 = unknown
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # v1
    revised_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # latest
    first_announced: Mapped[dt.date | None] = mapped_column(Date, index=True)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    code_links: Mapped[list[str]] = mapped_column(JSON, default=list)
    project_page: Mapped[str | None] = mapped_column(Text)
    github_stars: Mapped[int | None] = mapped_column(Integer)
    # sha1 of the embedded text (title + abstract): only changed papers are re-embedded.
    content_hash: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The index sync cursor follows (updated_at, id); bumped only when something changed.
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # One index on the whole cursor: a bulk import gives many papers the same updated_at, and
    # an index on updated_at alone makes every next batch re-read and re-sort all of them.
    __table_args__ = (Index("ix_papers_updated_at_id", "updated_at", "id"),)


class PaperVersion(Base):
    __tablename__ = "paper_versions"
    __table_args__ = (UniqueConstraint("paper_id", "version"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    size: Mapped[str | None] = mapped_column(String(32))


class PaperCategory(Base):
    """Denormalised categories so listings and filters are plain indexed SQL on both databases."""

    __tablename__ = "paper_categories"
    __table_args__ = (Index("ix_paper_categories_category_paper", "category", "paper_id"),)

    paper_id: Mapped[int] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(32), primary_key=True)


class Embedding(Base):
    """The stored vector of a paper (float32 bytes), so any vector index can be rebuilt."""

    __tablename__ = "embeddings"

    paper_id: Mapped[int] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(64))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    content_hash: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # The vector sync cursor is (updated_at, paper_id); see Paper.__table_args__.
    __table_args__ = (Index("ix_embeddings_updated_at_paper_id", "updated_at", "paper_id"),)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(64), unique=True)  # public handle, /u/{name}
    display_name: Mapped[str | None] = mapped_column(String(128))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    banned: Mapped[bool] = mapped_column(Boolean, default=False)
    # Imported community handles (pseudonymised) have no email sign-in.
    imported: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The person's choices: show their upvoted papers on their profile; mail them replies.
    public_upvotes: Mapped[bool] = mapped_column(Boolean, default=False)
    notify_replies: Mapped[bool] = mapped_column(Boolean, default=True)


class LoginToken(Base):
    """Single-use sign-in links; only a hash of the token is stored."""

    __tablename__ = "login_tokens"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class UserSession(Base):
    """A signed-in browser. Its cookie carries a random key and only the key's hash is stored, so
    signing out ends the session on every node at once and a copied cookie stops working."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class FeedEntry(Base):
    """A paper on a day's feed: submitted by a user, imported from HF, or added as new."""

    __tablename__ = "feed_entries"
    __table_args__ = (
        UniqueConstraint("paper_id", "feed_date"),
        Index("ix_feed_entries_date_votes", "feed_date", "upvotes"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    feed_date: Mapped[dt.date] = mapped_column(Date)
    submitted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source: Mapped[str] = mapped_column(String(16), default="user")  # user | hf | new
    # Votes counted elsewhere (HF import) plus local votes, kept denormalised for fast feeds.
    imported_upvotes: Mapped[int] = mapped_column(Integer, default=0)
    upvotes: Mapped[int] = mapped_column(Integer, default=0)
    imported_comments: Mapped[int] = mapped_column(Integer, default=0)
    github_repo: Mapped[str | None] = mapped_column(Text)
    github_stars: Mapped[int | None] = mapped_column(Integer)
    project_page: Mapped[str | None] = mapped_column(Text)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the imported counts were observed (HF snapshot time): an older snapshot, imported
    # later or again, never replaces a newer one.
    imported_snapshot_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Vote(Base):
    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("user_id", "paper_id"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)  # Markdown source as typed
    body_html: Mapped[str] = mapped_column(Text)  # sanitised rendering
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    edited_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class AuthorClaim(Base):
    """A person saying "I am this author of this paper"; shown on the paper once confirmed.

    Confirmed by an admin, or at once when the claimant's sign-in address is in one of
    `settings.trusted_author_domains` (see people/claims.py).
    """

    __tablename__ = "author_claims"
    __table_args__ = (UniqueConstraint("user_id", "paper_id"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    author_name: Mapped[str] = mapped_column(Text)  # as it appears in papers.authors
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # ClaimStatus
    method: Mapped[str | None] = mapped_column(String(16))  # ClaimMethod once decided
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Collection(Base):
    __tablename__ = "collections"
    __table_args__ = (UniqueConstraint("user_id", "slug"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CollectionItem(Base):
    __tablename__ = "collection_items"

    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    )
    paper_id: Mapped[int] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    )
    note: Mapped[str] = mapped_column(Text, default="")
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Subscription(Base):
    """An email subscription (double opt-in); works with or without an account."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # daily_trending | weekly_trending | category | search | recommendations
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    frequency: Mapped[str] = mapped_column(String(16), default="daily")  # daily | weekly
    send_hour: Mapped[int] = mapped_column(Integer, default=7)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|active|paused|off
    feed_token: Mapped[str | None] = mapped_column(String(64), unique=True)  # private feed URL
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class SeedPaper(Base):
    """What a person told us they like (+1) or not (-1): the seed of their recommendations."""

    __tablename__ = "seed_papers"
    __table_args__ = (UniqueConstraint("owner", "paper_id"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    owner: Mapped[str] = mapped_column(String(128), index=True)  # SeedOwner.key: "user:12"
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"))
    weight: Mapped[float] = mapped_column(default=1.0)
    source: Mapped[str] = mapped_column(
        String(32)
    )  # bibtex | ids | collection | vote | not_interested
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Delivery(Base):
    """One message for one (subscription, period): recorded before SMTP, confirmed after."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    period: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(
        String(16), default="pending"
    )  # pending|sent|failed|skipped
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class HarvestState(Base):
    """Where an OAI-PMH harvest stands, so an interrupted one resumes where it stopped."""

    __tablename__ = "harvest_state"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)  # source|set|from|until|prefix
    resumption_token: Mapped[str | None] = mapped_column(Text)
    records_seen: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | done
    last_datestamp: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class JobRun(Base):
    """One execution attempt of a background job: what the CLI and admin page show."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_name_started", "name", "started_at"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(16))  # schedule | manual | resume
    task_id: Mapped[str | None] = mapped_column(String(64))  # the queue's id, stable on retries
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    # running | ok | failed | retrying | skipped | interrupted
    status: Mapped[str] = mapped_column(String(16), index=True)
    node: Mapped[str] = mapped_column(String(160))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class JobLock(Base):
    """A lease on a job name, so the same job never runs twice at once across nodes."""

    __tablename__ = "job_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(160))  # host:pid:token
    acquired_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ThumbStatus(StrEnum):
    """A thumbnail row's state; everything but OK leaves the card's placeholder."""

    OK = "ok"
    MISSING = "missing"  # arXiv has no PDF for the paper (404 / 410)
    TOO_LARGE = "too_large"  # more bytes than settings.thumbnail_max_pdf_bytes, or memory
    ENCRYPTED = "encrypted"  # the PDF needs a password to open
    BROKEN = "broken"  # not a PDF, or one PDFium cannot read or render in time
    UNREACHABLE = "unreachable"  # network or server trouble: worth another try later

    @property
    def retryable(self) -> bool:
        """Only trouble on the way is tried again; a PDF that is what it is stays so."""
        return self is ThumbStatus.UNREACHABLE


class Thumbnail(Base):
    """Page one of a paper's PDF as a small WebP for its card, or why there is none.

    In the database rather than in files, so every web node serves it and backups carry it.
    """

    __tablename__ = "thumbnails"

    paper_id: Mapped[int] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16))  # a ThumbStatus value
    reason: Mapped[str | None] = mapped_column(Text)  # why there is no image, for people
    digest: Mapped[str | None] = mapped_column(String(32))  # of the image: ETag and URL version
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Last, so listings that read only the columns above never touch the image bytes.
    webp: Mapped[bytes | None] = mapped_column(LargeBinary)
