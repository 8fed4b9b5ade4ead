"""The paper repository: batch upserts of papers and daily-feed entries with SQLAlchemy Core.

Rules (the same for every source):
- idempotent: a record equal to what is stored writes nothing, so `updated_at` does not move;
- version-aware: a record with a higher version than the stored one replaces the paper's fields
  (fields the record lacks keep their stored value); a record with a lower or unknown version only
  fills fields that are still empty; an equal version refreshes the fields it carries;
- the version history, code links and first-announced/published dates are merged, never lost;
- a withdrawn paper is marked, never deleted.

The caller owns the transaction: pass a Connection inside `engine.begin()` (or a Session) and
one batch is written all together or not at all.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from papertide.models import FeedRecord, PaperRecord, content_hash, split_arxiv_id
from papertide.store.schema import FeedEntry, Paper, PaperCategory, PaperVersion, User, utcnow

papers_t = cast(Table, Paper.__table__)
versions_t = cast(Table, PaperVersion.__table__)
categories_t = cast(Table, PaperCategory.__table__)
feed_t = cast(Table, FeedEntry.__table__)
users_t = cast(Table, User.__table__)

# Bound parameters per IN (...) query; far below SQLite's and PostgreSQL's limits.
_CHUNK = 900

# Columns a newer (or equal) version replaces when the record carries a value.
_VERSIONED_FIELDS = (
    "title",
    "abstract",
    "authors",
    "categories",
    "primary_category",
    "comment",
    "journal_ref",
    "doi",
    "license",
)
# Columns compared to decide whether anything changed (besides the version history).
_STORED_FIELDS = (
    *_VERSIONED_FIELDS,
    "latest_version",
    "published_at",
    "revised_at",
    "first_announced",
    "withdrawn",
    "code_links",
    "project_page",
    "github_stars",
    "content_hash",
)


@dataclass(slots=True)
class UpsertCounts:
    """What one upsert did: papers inserted, updated (something changed) and left unchanged."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.inserted + self.updated

    def add(self, other: UpsertCounts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged


def _connection(conn_or_session: Connection | Session) -> Connection:
    if isinstance(conn_or_session, Session):
        return conn_or_session.connection()
    return conn_or_session


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _record_row(record: PaperRecord) -> dict[str, Any]:
    versions = record.versions
    return {
        "arxiv_id": record.arxiv_id,
        "title": record.title,
        "abstract": record.abstract,
        "authors": record.authors,
        "categories": record.categories,
        "primary_category": record.primary_category,
        "comment": record.comment,
        "journal_ref": record.journal_ref,
        "doi": record.doi,
        "license": record.license,
        "latest_version": record.latest_version if versions else 0,
        "published_at": record.published_at,
        "revised_at": record.revised_at if versions else None,
        "first_announced": record.first_announced,
        "withdrawn": record.withdrawn,
        "code_links": record.code_links,
        "project_page": record.project_page,
        "github_stars": record.github_stars,
        "content_hash": record.content_hash,
    }


def _min_present(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _merge_links(old: list[str], new: list[str]) -> list[str]:
    merged = list(old)
    known = {link.lower() for link in old}
    for link in new:
        if link.lower() not in known:
            known.add(link.lower())
            merged.append(link)
    return merged


def _merge(
    stored: dict[str, Any],
    stored_versions: dict[int, dt.datetime | None],
    record: PaperRecord,
    fill_only: bool = False,
) -> tuple[dict[str, Any], dict[int, dt.datetime | None]]:
    """The row and version history after applying `record` to what is stored (pure)."""
    incoming = _record_row(record)
    merged = dict(stored)
    newer_or_same = record.latest_version >= stored["latest_version"] and not fill_only
    if record.latest_version == 0 and stored["latest_version"] > 0:
        newer_or_same = False
    for name in _VERSIONED_FIELDS:
        value = incoming[name]
        if _empty(value):
            continue
        if newer_or_same or _empty(merged[name]):
            merged[name] = value
    versions = dict(stored_versions)
    for number, when in record.versions:
        if versions.get(number) is None:
            versions[number] = when
    merged["latest_version"] = max([stored["latest_version"], *versions.keys()])
    merged["published_at"] = _min_present(stored["published_at"], record.published_at)
    if versions.get(1) is not None:
        merged["published_at"] = versions[1]
    latest = merged["latest_version"]
    merged["revised_at"] = versions.get(latest) if latest else stored["revised_at"]
    merged["first_announced"] = _min_present(stored["first_announced"], record.first_announced)
    if record.latest_version > stored["latest_version"]:
        merged["withdrawn"] = record.withdrawn
    else:
        merged["withdrawn"] = bool(stored["withdrawn"]) or record.withdrawn
    merged["code_links"] = _merge_links(stored["code_links"] or [], record.code_links)
    # Stars and project pages are not tied to a version: the latest import that has them wins.
    if record.project_page:
        merged["project_page"] = record.project_page
    if record.github_stars is not None:
        merged["github_stars"] = record.github_stars
    merged["content_hash"] = content_hash(merged["title"], merged["abstract"])
    return merged, versions


# JSON columns whose values repeat across papers (a few hundred category combinations).
_REPEATING_JSON = frozenset({"categories", "code_links"})


def _memoised_json(proc: Any) -> Any:
    """The JSON bind processor, remembering short lists (categories, code links repeat a lot)."""
    memo: dict[tuple[Any, ...], Any] = {}

    def encode(value: Any) -> Any:
        if type(value) is list and len(value) <= 3:
            key = tuple(value)
            found = memo.get(key)
            if found is None:
                found = proc(value)
                if len(memo) < 50_000:
                    memo[key] = found
            return found
        return proc(value)

    return encode


class _Codec:
    """Rows to and from driver values for one table on one dialect.

    Uses SQLAlchemy's own type processors (JSON, UTC datetimes, dates, booleans) but skips its
    per-row statement machinery, which dominates the cost of bulk imports.
    """

    def __init__(self, conn: Connection, table: Table, names: Sequence[str]) -> None:
        dialect = conn.dialect
        self.table = table
        self.names = tuple(names)
        columns = [table.c[name] for name in self.names]
        # The cached processors are the dialect-specific ones SQLAlchemy itself applies (the
        # public `bind_processor` of a generic type skips the dialect's own conversions).
        self.binds = [col.type._cached_bind_processor(dialect) for col in columns]
        self.results = [col.type._cached_result_processor(dialect, None) for col in columns]
        quote = dialect.identifier_preparer.quote
        self.columns_sql = ", ".join(quote(name) for name in self.names)
        self.table_sql = quote(table.name)
        self.mark = "?" if dialect.paramstyle in ("qmark", "numeric") else "%s"

        for i, col in enumerate(columns):
            if col.name in _REPEATING_JSON and self.binds[i] is not None:
                self.binds[i] = _memoised_json(self.binds[i])
        self.bind_steps = [(i, proc) for i, proc in enumerate(self.binds) if proc is not None]
        self.result_steps = [(i, proc) for i, proc in enumerate(self.results) if proc is not None]

    def encode(self, row: dict[str, Any]) -> tuple[Any, ...]:
        values = [row[name] for name in self.names]
        for i, proc in self.bind_steps:
            if values[i] is not None:
                values[i] = proc(values[i])
        return tuple(values)

    def decode(self, raw: Sequence[Any]) -> dict[str, Any]:
        values = list(raw)
        for i, proc in self.result_steps:
            if values[i] is not None:
                values[i] = proc(values[i])
        return dict(zip(self.names, values, strict=True))

    def placeholders(self, count: int) -> str:
        return ", ".join([self.mark] * count)

    def insert_many(
        self,
        conn: Connection,
        rows: Sequence[tuple[Any, ...]],
        constants: dict[str, Any] | None = None,
        skip_conflicts_on: str | None = None,
    ) -> None:
        """INSERT the encoded `rows`; `constants` (same for every row) are encoded once.

        With `skip_conflicts_on`, rows whose key already exists are left out (ON CONFLICT DO
        NOTHING, the same syntax on SQLite and PostgreSQL).
        """
        if not rows:
            return
        columns = self.columns_sql
        count = len(self.names)
        if constants:
            quote = conn.dialect.identifier_preparer.quote
            encoded = _codec(conn, self.table, tuple(constants)).encode(constants)
            columns += ", " + ", ".join(quote(name) for name in constants)
            count += len(constants)
            rows = [row + encoded for row in rows]
        sql = f"INSERT INTO {self.table_sql} ({columns}) VALUES ({self.placeholders(count)})"
        if skip_conflicts_on:
            sql += f" ON CONFLICT ({skip_conflicts_on}) DO NOTHING"
        conn.exec_driver_sql(sql, list(rows))


_CODECS: dict[tuple[str, str, tuple[str, ...]], _Codec] = {}


def _codec(conn: Connection, table: Table, names: Sequence[str]) -> _Codec:
    key = (conn.dialect.name, table.name, tuple(names))
    codec = _CODECS.get(key)
    if codec is None:
        codec = _CODECS[key] = _Codec(conn, table, names)
    return codec


_INSERT_FIELDS = ("arxiv_id", *_STORED_FIELDS)
_VERSION_FIELDS = ("paper_id", "version", "submitted_at")
_CATEGORY_FIELDS = ("paper_id", "category")


def _fetch_existing(
    conn: Connection, arxiv_ids: Sequence[str]
) -> tuple[dict[str, tuple[Any, ...]], dict[int, dict[int, Any]]]:
    """Stored rows (id, arxiv_id, *stored fields, as driver values) and raw version histories."""
    codec = _codec(conn, papers_t, _STORED_FIELDS)
    rows: dict[str, tuple[Any, ...]] = {}
    for chunk in _chunks(arxiv_ids):
        sql = (
            f"SELECT id, arxiv_id, {codec.columns_sql} FROM {codec.table_sql} "
            f"WHERE arxiv_id IN ({codec.placeholders(len(chunk))})"
        )
        for row in conn.exec_driver_sql(sql, tuple(chunk)):
            rows[row[1]] = tuple(row)
    history: dict[int, dict[int, Any]] = {}
    ids = [row[0] for row in rows.values()]
    for chunk in _chunks(ids):
        sql = (
            "SELECT paper_id, version, submitted_at FROM paper_versions "
            f"WHERE paper_id IN ({codec.placeholders(len(chunk))})"
        )
        for paper_id, version, submitted_at in conn.exec_driver_sql(sql, tuple(chunk)):
            history.setdefault(paper_id, {})[version] = submitted_at
    return rows, history


def upsert_papers(
    conn_or_session: Connection | Session,
    records: Iterable[PaperRecord],
    *,
    fill_only: bool = False,
) -> UpsertCounts:
    """Insert new papers, update changed ones, leave equal ones untouched; one batch at a time.

    Runs inside the caller's transaction. Records with the same arxiv_id in one batch are merged
    in order. Maintains `paper_versions`, `paper_categories` and `content_hash`. With
    `fill_only`, known papers only get fields that are still empty (for secondary sources such
    as a community feed, whose copy of the metadata must not replace arXiv's).
    """
    conn = _connection(conn_or_session)
    batch: dict[str, list[PaperRecord]] = {}
    for record in records:
        batch.setdefault(record.arxiv_id, []).append(record)
    counts = UpsertCounts()
    if not batch:
        return counts
    stored_codec = _codec(conn, papers_t, _STORED_FIELDS)
    insert_codec = _codec(conn, papers_t, _INSERT_FIELDS)
    version_codec = _codec(conn, versions_t, _VERSION_FIELDS)
    category_codec = _codec(conn, categories_t, _CATEGORY_FIELDS)
    encode_when = version_codec.binds[2]
    decode_when = version_codec.results[2]

    existing, raw_history = _fetch_existing(conn, list(batch))
    now = utcnow()

    new_rows: list[dict[str, Any]] = []
    new_versions: dict[str, dict[int, dt.datetime | None]] = {}
    updates: list[dict[str, Any]] = []
    version_inserts: list[dict[str, Any]] = []
    version_updates: list[dict[str, Any]] = []
    category_resets: list[tuple[int, list[str]]] = []

    for arxiv_id, group in batch.items():
        raw = existing.get(arxiv_id)
        if raw is None:
            first = group[0]
            row = _record_row(first)
            versions = dict(first.versions)
            for later in group[1:]:
                row, versions = _merge(row, versions, later, fill_only)
            new_rows.append(row)
            new_versions[arxiv_id] = versions
            continue
        paper_id = raw[0]
        raw_versions = raw_history.get(paper_id, {})
        if len(group) == 1 and _same_as_stored(
            stored_codec.encode(_record_row(group[0])), raw[2:], group[0], raw_versions, encode_when
        ):
            # The common case of a re-import: nothing to decode, nothing to write.
            counts.unchanged += 1
            continue
        stored = stored_codec.decode(raw[2:])
        old_versions = {
            number: (decode_when(when) if decode_when and when is not None else when)
            for number, when in raw_versions.items()
        }
        row, versions = stored, old_versions
        for record in group:
            row, versions = _merge(row, versions, record, fill_only)
        fields_changed = any(row[name] != stored[name] for name in _STORED_FIELDS)
        versions_changed = versions != old_versions
        if not fields_changed and not versions_changed:
            counts.unchanged += 1
            continue
        counts.updated += 1
        updates.append({"_id": paper_id, **{n: row[n] for n in _STORED_FIELDS}, "updated_at": now})
        for number, when in versions.items():
            if number not in old_versions:
                version_inserts.append(
                    {"paper_id": paper_id, "version": number, "submitted_at": when}
                )
            elif old_versions[number] != when:
                version_updates.append(
                    {"_paper_id": paper_id, "_version": number, "submitted_at": when}
                )
        if row["categories"] != stored["categories"]:
            category_resets.append((paper_id, row["categories"]))

    category_inserts: list[dict[str, Any]] = []
    if new_rows:
        # Driver-level executemany and one SELECT for the new ids: several times faster than
        # INSERT … RETURNING through SQLAlchemy's per-row parameter handling.
        # Another writer (the web app fetching a submitted paper, a second import) may have
        # added one of these papers since they were looked up: its row is kept, and the record
        # is merged into it below like any known paper.
        insert_codec.insert_many(
            conn,
            [insert_codec.encode(row) for row in new_rows],
            {"created_at": now, "updated_at": now},
            skip_conflicts_on="arxiv_id",
        )
        ids, created = _ids_and_created(conn, [row["arxiv_id"] for row in new_rows])
        stamp = _codec(conn, papers_t, ("created_at",)).encode({"created_at": now})[0]
        lost = [row["arxiv_id"] for row in new_rows if created[row["arxiv_id"]] != stamp]
        if lost:
            new_rows = [row for row in new_rows if created[row["arxiv_id"]] == stamp]
            again = upsert_papers(
                conn, [r for arxiv_id in lost for r in batch[arxiv_id]], fill_only=fill_only
            )
            counts.updated += again.updated
            counts.unchanged += again.unchanged
        for row in new_rows:
            paper_id = ids[row["arxiv_id"]]
            for number, when in sorted(new_versions[row["arxiv_id"]].items()):
                version_inserts.append(
                    {"paper_id": paper_id, "version": number, "submitted_at": when}
                )
            category_inserts.extend(
                {"paper_id": paper_id, "category": c} for c in row["categories"]
            )
        counts.inserted = len(new_rows)
    if updates:
        conn.execute(
            update(papers_t)
            .where(papers_t.c.id == bindparam("_id"))
            .values({name: bindparam(name) for name in (*_STORED_FIELDS, "updated_at")}),
            updates,
        )
    if version_updates:
        conn.execute(
            update(versions_t)
            .where(
                and_(
                    versions_t.c.paper_id == bindparam("_paper_id"),
                    versions_t.c.version == bindparam("_version"),
                )
            )
            .values(submitted_at=bindparam("submitted_at")),
            version_updates,
        )
    if version_inserts:
        version_codec.insert_many(
            conn,
            [version_codec.encode(r) for r in version_inserts],
            skip_conflicts_on="paper_id, version",
        )
    if category_resets:
        reset_ids = [paper_id for paper_id, _ in category_resets]
        for chunk in _chunks(reset_ids):
            conn.execute(delete(categories_t).where(categories_t.c.paper_id.in_(chunk)))
        for paper_id, cats in category_resets:
            category_inserts.extend({"paper_id": paper_id, "category": c} for c in cats)
    if category_inserts:
        # (paper_id, category) need no conversion: no per-row encoding.
        category_codec.insert_many(
            conn,
            [(r["paper_id"], r["category"]) for r in category_inserts],
            skip_conflicts_on="paper_id, category",
        )
    return counts


def _same_value(encoded: Any, raw: Any) -> bool:
    # psycopg wraps JSON parameters (Json(...)) and hands JSON columns back already parsed.
    return encoded == raw or getattr(encoded, "obj", encoded) == raw


def _same_as_stored(
    encoded: tuple[Any, ...],
    raw: tuple[Any, ...],
    record: PaperRecord,
    raw_versions: dict[int, Any],
    encode_when: Any,
) -> bool:
    """True when `record` would change nothing: same driver values, no new version history."""
    if encoded != raw and not all(_same_value(a, b) for a, b in zip(encoded, raw, strict=True)):
        return False
    for number, when in record.versions:
        if number not in raw_versions:
            return False
        value = encode_when(when) if encode_when and when is not None else when
        if raw_versions[number] != value:
            return False
    return True


def paper_ids(conn_or_session: Connection | Session, arxiv_ids: Iterable[str]) -> dict[str, int]:
    """Database ids of the known papers among `arxiv_ids` (versions and prefixes allowed)."""
    wanted = list(dict.fromkeys(split_arxiv_id(raw)[0] for raw in arxiv_ids))
    return _ids_of(_connection(conn_or_session), wanted)


def _ids_and_created(
    conn: Connection, wanted: Sequence[str]
) -> tuple[dict[str, int], dict[str, Any]]:
    """Database ids and raw `created_at` values for canonical arXiv ids."""
    ids: dict[str, int] = {}
    created: dict[str, Any] = {}
    codec = _codec(conn, papers_t, ("arxiv_id",))
    for chunk in _chunks(wanted):
        sql = (
            f"SELECT arxiv_id, id, created_at FROM {codec.table_sql} "
            f"WHERE arxiv_id IN ({codec.placeholders(len(chunk))})"
        )
        for arxiv_id, paper_id, when in conn.exec_driver_sql(sql, tuple(chunk)):
            ids[arxiv_id] = paper_id
            created[arxiv_id] = when
    return ids, created


def _ids_of(conn: Connection, wanted: Sequence[str]) -> dict[str, int]:
    """Database ids for canonical arXiv ids."""
    return _ids_and_created(conn, wanted)[0]


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
    for chunk in _chunks(emails):
        query = select(users_t.c.email, users_t.c.id).where(users_t.c.email.in_(chunk))
        for email, user_id in conn.execute(query):
            ids[by_email[email]] = user_id
    missing = [handle for handle in people if handle not in ids]
    if not missing:
        return ids, 0
    wanted_names = {handle: _HANDLE_CHARS.sub("-", handle)[:64] for handle in missing}
    taken: set[str] = set()
    names = list(wanted_names.values())
    for chunk in _chunks(names):
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


def upsert_feed_entries(
    conn_or_session: Connection | Session, records: Iterable[FeedRecord]
) -> FeedCounts:
    """Write daily-feed entries (source "hf") for papers on days; creates unknown papers/users.

    The same (paper, day) seen again replaces its imported upvotes with the newest snapshot's
    count (local votes are kept on top), so repeated snapshots never double-count.
    """
    conn = _connection(conn_or_session)
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
    for chunk in _chunks(wanted_ids):
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


def _snapshot_key(record: FeedRecord) -> dt.datetime:
    return record.snapshot_time or dt.datetime.min.replace(tzinfo=dt.UTC)


def mark_withdrawn(conn_or_session: Connection | Session, arxiv_ids: Iterable[str]) -> int:
    """Flag known papers as withdrawn (never deleted); returns how many changed."""
    conn = _connection(conn_or_session)
    wanted = list(dict.fromkeys(arxiv_ids))
    changed = 0
    for chunk in _chunks(wanted):
        result = conn.execute(
            update(papers_t)
            .where(papers_t.c.arxiv_id.in_(chunk), papers_t.c.withdrawn.is_(False))
            .values(withdrawn=True, updated_at=utcnow())
        )
        changed += result.rowcount or 0
    return changed
