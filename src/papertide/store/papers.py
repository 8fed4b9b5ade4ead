"""The paper upsert: batches of records into `papers`, their versions and categories.

Idempotent (a record equal to what is stored writes nothing, so `updated_at` does not move);
how a record combines with the stored paper is `store.merge`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, bindparam, delete, update
from sqlalchemy.orm import Session

from papertide.models import PaperRecord, split_arxiv_id
from papertide.store.batch import connection_of, in_chunks
from papertide.store.driver_codec import row_codec, same_driver_values
from papertide.store.merge import STORED_FIELDS, merge_record, record_row
from papertide.store.schema import Paper, PaperCategory, PaperVersion, utcnow

papers_t = cast(Table, Paper.__table__)
versions_t = cast(Table, PaperVersion.__table__)
categories_t = cast(Table, PaperCategory.__table__)


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


_INSERT_FIELDS = ("arxiv_id", *STORED_FIELDS)
_VERSION_FIELDS = ("paper_id", "version", "submitted_at")
_CATEGORY_FIELDS = ("paper_id", "category")


def _fetch_existing(
    conn: Connection, arxiv_ids: Sequence[str]
) -> tuple[dict[str, tuple[Any, ...]], dict[int, dict[int, Any]]]:
    """Stored rows (id, arxiv_id, *stored fields, as driver values) and raw version histories."""
    codec = row_codec(conn, papers_t, STORED_FIELDS)
    rows: dict[str, tuple[Any, ...]] = {}
    for chunk in in_chunks(arxiv_ids):
        sql = (
            f"SELECT id, arxiv_id, {codec.columns_sql} FROM {codec.table_sql} "
            f"WHERE arxiv_id IN ({codec.placeholders(len(chunk))})"
        )
        for row in conn.exec_driver_sql(sql, tuple(chunk)):
            rows[row[1]] = tuple(row)
    history: dict[int, dict[int, Any]] = {}
    ids = [row[0] for row in rows.values()]
    for chunk in in_chunks(ids):
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

    Runs inside the caller's transaction: pass a Connection inside `engine.begin()` (or a
    Session) and the batch is written all together or not at all. Records with the same arxiv_id
    in one batch are merged in order (`store.merge`). Maintains `paper_versions`,
    `paper_categories` and `content_hash`. With `fill_only`, known papers only get fields that
    are still empty (for secondary sources such as a community feed, whose copy of the metadata
    must not replace arXiv's).
    """
    conn = connection_of(conn_or_session)
    batch: dict[str, list[PaperRecord]] = {}
    for record in records:
        batch.setdefault(record.arxiv_id, []).append(record)
    counts = UpsertCounts()
    if not batch:
        return counts
    stored_codec = row_codec(conn, papers_t, STORED_FIELDS)
    insert_codec = row_codec(conn, papers_t, _INSERT_FIELDS)
    version_codec = row_codec(conn, versions_t, _VERSION_FIELDS)
    category_codec = row_codec(conn, categories_t, _CATEGORY_FIELDS)
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
            row = record_row(first)
            versions = dict(first.versions)
            for later in group[1:]:
                row, versions = merge_record(row, versions, later, fill_only)
            new_rows.append(row)
            new_versions[arxiv_id] = versions
            continue
        paper_id = raw[0]
        raw_versions = raw_history.get(paper_id, {})
        if len(group) == 1 and _same_as_stored(
            stored_codec.encode(record_row(group[0])), raw[2:], group[0], raw_versions, encode_when
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
            row, versions = merge_record(row, versions, record, fill_only)
        fields_changed = any(row[name] != stored[name] for name in STORED_FIELDS)
        versions_changed = versions != old_versions
        if not fields_changed and not versions_changed:
            counts.unchanged += 1
            continue
        counts.updated += 1
        updates.append({"_id": paper_id, **{n: row[n] for n in STORED_FIELDS}, "updated_at": now})
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
        stamp = row_codec(conn, papers_t, ("created_at",)).encode({"created_at": now})[0]
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
            .values({name: bindparam(name) for name in (*STORED_FIELDS, "updated_at")}),
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
        for chunk in in_chunks(reset_ids):
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


def _same_as_stored(
    encoded: tuple[Any, ...],
    raw: tuple[Any, ...],
    record: PaperRecord,
    raw_versions: dict[int, Any],
    encode_when: Any,
) -> bool:
    """True when `record` would change nothing: same driver values, no new version history."""
    if not same_driver_values(encoded, raw):
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
    return _ids_and_created(connection_of(conn_or_session), wanted)[0]


def _ids_and_created(
    conn: Connection, wanted: Sequence[str]
) -> tuple[dict[str, int], dict[str, Any]]:
    """Database ids and raw `created_at` values for canonical arXiv ids."""
    ids: dict[str, int] = {}
    created: dict[str, Any] = {}
    codec = row_codec(conn, papers_t, ("arxiv_id",))
    for chunk in in_chunks(wanted):
        sql = (
            f"SELECT arxiv_id, id, created_at FROM {codec.table_sql} "
            f"WHERE arxiv_id IN ({codec.placeholders(len(chunk))})"
        )
        for arxiv_id, paper_id, when in conn.exec_driver_sql(sql, tuple(chunk)):
            ids[arxiv_id] = paper_id
            created[arxiv_id] = when
    return ids, created


def mark_withdrawn(conn_or_session: Connection | Session, arxiv_ids: Iterable[str]) -> int:
    """Flag known papers as withdrawn (never deleted); returns how many changed."""
    conn = connection_of(conn_or_session)
    wanted = list(dict.fromkeys(arxiv_ids))
    changed = 0
    for chunk in in_chunks(wanted):
        result = conn.execute(
            update(papers_t)
            .where(papers_t.c.arxiv_id.in_(chunk), papers_t.c.withdrawn.is_(False))
            .values(withdrawn=True, updated_at=utcnow())
        )
        changed += result.rowcount or 0
    return changed
