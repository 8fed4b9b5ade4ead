"""The daily-feed upsert: feed entries (source "hf") and the imported users who submitted them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from papertide.models import FeedRecord
from papertide.store.batch import connection_of, in_chunks
from papertide.store.papers import UpsertCounts, paper_ids, upsert_papers
from papertide.store.schema import FeedEntry, User, utcnow

feed_t = cast(Table, FeedEntry.__table__)
users_t = cast(Table, User.__table__)


@dataclass(slots=True)
class FeedCounts:
    """What one feed upsert did (papers are counted separately in `papers`)."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    users_created: int = 0
    papers: UpsertCounts | None = None

    @property
    def changed(self) -> int:
        return self.inserted + self.updated

    def add(self, other: FeedCounts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.users_created += other.users_created
        if other.papers is not None:
            if self.papers is None:
                self.papers = UpsertCounts()
            self.papers.add(other.papers)


_HANDLE_CHARS = re.compile(r"[^A-Za-z0-9_.\-]+")


def imported_user_email(handle: str) -> str:
    """The placeholder address of an imported community handle (never receives mail)."""
    return f"{_HANDLE_CHARS.sub('-', handle).lower()}@imported.invalid"


def _ensure_imported_users(
    conn: Connection, people: dict[str, str | None]
) -> tuple[dict[str, int], int]:
    """User ids for imported handles (handle -> display name), creating the missing ones."""
    by_email = {imported_user_email(handle): handle for handle in people}
    ids: dict[str, int] = {}
    emails = list(by_email)
    for chunk in in_chunks(emails):
        query = select(users_t.c.email, users_t.c.id).where(users_t.c.email.in_(chunk))
        for email, user_id in conn.execute(query):
            ids[by_email[email]] = user_id
    missing = [handle for handle in people if handle not in ids]
    if not missing:
        return ids, 0
    wanted_names = {handle: _HANDLE_CHARS.sub("-", handle)[:64] for handle in missing}
    taken: set[str] = set()
    names = list(wanted_names.values())
    for chunk in in_chunks(names):
        query = select(users_t.c.name).where(users_t.c.name.in_(chunk))
        taken.update(conn.execute(query).scalars())
    rows = []
    for handle in missing:
        name = wanted_names[handle]
        if name in taken:
            # Someone registered this name locally: the imported handle gets a prefix.
            name = f"hf-{name}"[:64]
        taken.add(name)
        rows.append(
            {
                "email": imported_user_email(handle),
                "name": name,
                "display_name": (people[handle] or handle)[:128],
                "imported": True,
                "created_at": utcnow(),
            }
        )
    result = conn.execute(insert(users_t).returning(users_t.c.id, users_t.c.email), rows)
    for user_id, email in result:
        ids[by_email[email]] = user_id
    return ids, len(rows)


def _snapshot_key(record: FeedRecord) -> dt.datetime:
    return record.snapshot_time or dt.datetime.min.replace(tzinfo=dt.UTC)


def upsert_feed_entries(
    conn_or_session: Connection | Session, records: Iterable[FeedRecord]
) -> FeedCounts:
    """Write daily-feed entries (source "hf") for papers on days; creates unknown papers/users.

    The same (paper, day) seen again replaces its imported upvotes with the newest snapshot's
    count (local votes are kept on top), so repeated snapshots never double-count.
    """
    conn = connection_of(conn_or_session)
    latest: dict[tuple[str, dt.date], FeedRecord] = {}
    for record in records:
        key = (record.arxiv_id, record.feed_date)
        seen = latest.get(key)
        if seen is None or _snapshot_key(record) >= _snapshot_key(seen):
            latest[key] = record
    counts = FeedCounts()
    if not latest:
        counts.papers = UpsertCounts()
        return counts
    counts.papers = upsert_papers(conn, [r.paper for r in latest.values()], fill_only=True)
    ids = paper_ids(conn, {arxiv_id for arxiv_id, _ in latest})
    people = {r.submitter_handle: r.submitter_name for r in latest.values() if r.submitter_handle}
    user_ids, counts.users_created = _ensure_imported_users(conn, people) if people else ({}, 0)

    existing: dict[tuple[int, dt.date], dict[str, Any]] = {}
    wanted_ids = sorted({ids[arxiv_id] for arxiv_id, _ in latest})
    for chunk in in_chunks(wanted_ids):
        query = select(feed_t).where(feed_t.c.paper_id.in_(chunk))
        for row in conn.execute(query):
            existing[(row.paper_id, row.feed_date)] = dict(row._mapping)
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for (arxiv_id, feed_date), record in latest.items():
        paper_id = ids[arxiv_id]
        submitter = user_ids.get(record.submitter_handle) if record.submitter_handle else None
        stored = existing.get((paper_id, feed_date))
        if stored is None:
            inserts.append(
                {
                    "paper_id": paper_id,
                    "feed_date": feed_date,
                    "submitted_by_id": submitter,
                    "submitted_at": record.submitted_at or record.snapshot_time or now,
                    "source": "hf",
                    "imported_upvotes": record.upvotes,
                    "upvotes": record.upvotes,
                    "imported_comments": record.num_comments,
                    "github_repo": record.github_repo,
                    "github_stars": record.github_stars,
                    "project_page": record.project_page,
                    "hidden": False,
                    "updated_at": now,
                    "imported_snapshot_at": record.snapshot_time,
                }
            )
            continue
        seen_at = stored["imported_snapshot_at"]
        newer_known = seen_at is not None and record.snapshot_time is not None
        if newer_known and record.snapshot_time < seen_at:
            counts.unchanged += 1  # an older view of the day than the one stored
            continue
        local_votes = stored["upvotes"] - stored["imported_upvotes"]
        wanted = {
            "imported_upvotes": record.upvotes,
            "upvotes": local_votes + record.upvotes,
            "imported_comments": record.num_comments,
            "github_repo": record.github_repo or stored["github_repo"],
            "github_stars": (
                record.github_stars if record.github_stars is not None else stored["github_stars"]
            ),
            "project_page": record.project_page or stored["project_page"],
            "submitted_by_id": stored["submitted_by_id"] or submitter,
            "imported_snapshot_at": record.snapshot_time or seen_at,
        }
        if all(stored[name] == value for name, value in wanted.items()):
            counts.unchanged += 1
            continue
        updates.append({"_id": stored["id"], **wanted, "updated_at": now})
    if inserts:
        conn.execute(insert(feed_t), inserts)
        counts.inserted = len(inserts)
    if updates:
        columns = (*(k for k in updates[0] if not k.startswith("_")),)
        conn.execute(
            update(feed_t)
            .where(feed_t.c.id == bindparam("_id"))
            .values({name: bindparam(name) for name in columns}),
            updates,
        )
        counts.updated = len(updates)
    return counts
