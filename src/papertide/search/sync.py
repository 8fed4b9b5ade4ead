"""Index files derived from the database: full rebuild, and incremental sync along cursors.

Layout of `settings.effective_index_dir`:
  keyword/      tantivy index (all papers)
  vectors/      VectorIndex (papers whose vector for the configured model is stored)
  state.json    format, model, and the cursors: papers.updated_at, embeddings.updated_at and
                feed_entries.updated_at already reflected in the files (search/state.py)
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Select, func, select, tuple_

from papertide.embed.job import vector_from_bytes
from papertide.search.keyword import KeywordDoc, KeywordIndex, day_number
from papertide.search.params import SearchParams
from papertide.search.state import (
    EPOCH_CURSOR,
    Cursor,
    IndexState,
    aware,
    read_state,
    write_state,
)
from papertide.search.vectors import RowMeta, VectorIndex
from papertide.store.schema import Embedding, FeedEntry, Paper

BATCH = 2000


@dataclass
class SyncReport:
    papers_indexed: int = 0
    papers_deleted: int = 0
    vectors_indexed: int = 0
    feed_updates: int = 0
    rebuilt: bool = False
    keyword_docs: int = 0
    vectors: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    up_to_date: bool = False  # nothing had changed: no file was touched


def _flags(engine: Engine, paper_ids: list[int]) -> tuple[set[int], set[int]]:
    """(papers on the feed, papers with a code link on a feed entry)."""
    on_feed: set[int] = set()
    code: set[int] = set()
    if not paper_ids:
        return on_feed, code
    with engine.connect() as conn:
        for start in range(0, len(paper_ids), 1000):
            chunk = paper_ids[start : start + 1000]
            rows = conn.execute(
                select(FeedEntry.paper_id, FeedEntry.github_repo).where(
                    FeedEntry.paper_id.in_(chunk), FeedEntry.hidden.is_(False)
                )
            )
            for paper_id, repo in rows:
                on_feed.add(paper_id)
                if repo:
                    code.add(paper_id)
    return on_feed, code


def _paper_batches(
    engine: Engine, after: Cursor, only_ids: list[int] | None = None
) -> Iterator[list[Any]]:
    """Papers with (updated_at, id) after the cursor, in cursor order, a batch at a time."""
    columns = (
        Paper.id,
        Paper.arxiv_id,
        Paper.title,
        Paper.abstract,
        Paper.authors,
        Paper.categories,
        Paper.first_announced,
        Paper.code_links,
        Paper.updated_at,
    )
    if only_ids is not None:
        for start in range(0, len(only_ids), BATCH):
            with engine.connect() as conn:
                yield list(
                    conn.execute(
                        select(*columns).where(Paper.id.in_(only_ids[start : start + BATCH]))
                    )
                )
        return
    yield from _keyset_batches(engine, select(*columns), Paper.updated_at, Paper.id, after)


def _keyset_batches(
    engine: Engine,
    stmt: Select[*tuple[Any, ...]],
    time_col: Any,
    id_col: Any,
    after: Cursor,
) -> Iterator[list[Any]]:
    """Rows of `stmt` past the (time, id) cursor, in cursor order, a batch at a time."""
    since, last_id = after
    while True:
        with engine.connect() as conn:
            rows = list(
                conn.execute(
                    stmt.where(tuple_(time_col, id_col) > tuple_(since, last_id))
                    .order_by(time_col, id_col)
                    .limit(BATCH)
                )
            )
        if not rows:
            return
        yield rows
        since, last_id = getattr(rows[-1], time_col.key), getattr(rows[-1], id_col.key)


def _docs(engine: Engine, rows: list[Any]) -> tuple[list[KeywordDoc], dict[int, RowMeta]]:
    on_feed, code = _flags(engine, [r.id for r in rows])
    docs, metas = [], {}
    for r in rows:
        has_code = bool(r.code_links) or r.id in code
        doc = KeywordDoc(
            paper_id=r.id,
            arxiv_id=r.arxiv_id,
            title=" ".join((r.title or "").split()),
            abstract=r.abstract or "",
            authors=list(r.authors or []),
            categories=list(r.categories or []),
            first_announced=r.first_announced,
            has_code=has_code,
            on_feed=r.id in on_feed,
        )
        docs.append(doc)
        metas[r.id] = RowMeta(
            categories=doc.categories,
            day=day_number(r.first_announced) if r.first_announced else -1,
            has_code=has_code,
            on_feed=doc.on_feed,
        )
    return docs, metas


def _embedding_batches(engine: Engine, model: str, after: Cursor) -> Iterator[list[Any]]:
    e = Embedding
    stmt = select(e.paper_id, e.dim, e.vector, e.updated_at).where(e.model == model)
    return _keyset_batches(engine, stmt, e.updated_at, e.paper_id, after)


class IndexFiles:
    """The keyword and vector indexes of one folder, opened for writing."""

    def __init__(self, index_dir: Path, model: str, dim: int, params: SearchParams) -> None:
        self.index_dir = index_dir
        self.keyword = KeywordIndex(index_dir / "keyword", params.field_boosts)
        self.vectors = VectorIndex.load(index_dir / "vectors") or VectorIndex(
            index_dir / "vectors", model, dim
        )
        self.metas: dict[int, RowMeta] = {}


def _apply_papers(
    files: IndexFiles,
    engine: Engine,
    batches: Iterable[list[Any]],
    report: SyncReport,
    should_stop: Callable[[], bool] = lambda: False,
) -> Cursor | None:
    """Index the batches; stopping early is safe: the cursor returned covers what was done."""
    last = None
    for rows in batches:
        if should_stop():
            break
        docs, metas = _docs(engine, rows)
        files.keyword.upsert(docs)
        for paper_id, meta in metas.items():
            files.vectors.update_meta(paper_id, meta)
        files.metas.update(metas)
        report.papers_indexed += len(docs)
        last = Cursor(aware(rows[-1].updated_at), rows[-1].id)
    return last


def _apply_vectors(
    files: IndexFiles, engine: Engine, model: str, after: Cursor, report: SyncReport
) -> Cursor:
    cursor = after
    for rows in _embedding_batches(engine, model, after):
        ids = [r.paper_id for r in rows]
        missing = [i for i in ids if i not in files.metas]
        if missing:
            for batch in _paper_batches(engine, EPOCH_CURSOR, only_ids=missing):
                files.metas.update(_docs(engine, batch)[1])
        import numpy as np

        vectors = np.stack([vector_from_bytes(r.vector, r.dim) for r in rows])
        if vectors.shape[1] != files.vectors.dim:
            report.notes.append(f"skipped {len(rows)} vectors of dimension {vectors.shape[1]}")
        else:
            files.vectors.upsert(ids, vectors, [files.metas.get(i, RowMeta()) for i in ids])
            report.vectors_indexed += len(rows)
        cursor = Cursor(aware(rows[-1].updated_at), rows[-1].paper_id)
    return cursor


def rebuild_index(
    index_dir: Path,
    engine: Engine,
    model: str,
    dim: int,
    params: SearchParams,
    progress: Callable[[str, int], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> SyncReport:
    """Build both indexes from the database into a fresh folder, then swap it in."""
    started = time.perf_counter()
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    building = index_dir.with_name(index_dir.name + ".building")
    if building.exists():
        shutil.rmtree(building)
    building.mkdir()
    state = IndexState.empty(model)
    report = _sync_into(building, engine, model, dim, params, state, progress, should_stop)
    report.rebuilt = True
    old = index_dir.with_name(index_dir.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if index_dir.exists():
        index_dir.replace(old)
    building.replace(index_dir)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)
    report.seconds = time.perf_counter() - started
    return report


def sync_index(
    index_dir: Path,
    engine: Engine,
    model: str,
    dim: int,
    params: SearchParams,
    progress: Callable[[str, int], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> SyncReport:
    """Bring the folder up to date with the database; rebuild when missing or of another model.

    `should_stop` is asked between batches; a sync stopped early saves what it indexed and its
    cursors, so the next one carries on from there.
    """
    state = read_state(index_dir)
    if not isinstance(state, IndexState) or state.model != model:
        return rebuild_index(index_dir, engine, model, dim, params, progress, should_stop)
    started = time.perf_counter()
    if _files_look_intact(index_dir) and not _has_changes(engine, state, model):
        # Nothing to do: leave the files (and state.json, whose change makes every searcher
        # reopen the indexes) alone. Followers ask this every few seconds on every node.
        return SyncReport(
            keyword_docs=state.papers,
            vectors=state.vectors,
            seconds=time.perf_counter() - started,
            notes=["up to date"],
            up_to_date=True,
        )
    try:
        report = _sync_into(index_dir, engine, model, dim, params, state, progress, should_stop)
    except (OSError, ValueError) as exc:  # damaged files: the database has everything
        report = rebuild_index(index_dir, engine, model, dim, params, progress, should_stop)
        report.notes.append(f"index files were unreadable ({exc}); rebuilt")
        return report
    report.seconds = time.perf_counter() - started
    return report


def _files_look_intact(index_dir: Path) -> bool:
    """The index metadata files parse (a damaged index must be rebuilt even with no changes)."""
    try:
        json.loads((index_dir / "keyword" / "meta.json").read_text())
        vectors_meta = index_dir / "vectors" / "meta.json"
        if vectors_meta.exists():
            json.loads(vectors_meta.read_text())
    except (OSError, ValueError):
        return False
    return True


def _has_changes(engine: Engine, state: IndexState, model: str) -> bool:
    """Has the database moved past the state's cursors? (Index range scans, one row each.)"""
    p_since, p_id = state.papers_cursor
    e_since, e_id = state.embeddings_cursor
    feed_since = state.feed_cursor
    probes = (
        select(Paper.id).where(tuple_(Paper.updated_at, Paper.id) > tuple_(p_since, p_id)),
        select(Embedding.paper_id).where(
            Embedding.model == model,
            tuple_(Embedding.updated_at, Embedding.paper_id) > tuple_(e_since, e_id),
        ),
        select(FeedEntry.id).where(FeedEntry.updated_at > feed_since),
    )
    with engine.connect() as conn:
        if any(conn.execute(probe.limit(1)).first() is not None for probe in probes):
            return True
        # Deleted papers move no cursor; a smaller count than was indexed shows them.
        count = int(conn.execute(select(func.count()).select_from(Paper)).scalar_one())
    return count != state.papers


def _sync_into(
    index_dir: Path,
    engine: Engine,
    model: str,
    dim: int,
    params: SearchParams,
    state: IndexState,
    progress: Callable[[str, int], None] | None,
    should_stop: Callable[[], bool],
) -> SyncReport:
    report = SyncReport()
    files = IndexFiles(index_dir, model, dim, params)
    # Papers changed since the cursor.
    papers_cursor = _apply_papers(
        files, engine, _paper_batches(engine, state.papers_cursor), report, should_stop
    )
    if progress is not None:
        progress("papers", report.papers_indexed)
    # Feed entries changed since their cursor: their papers' on-feed / has-code flags.
    feed_cursor = state.feed_cursor
    with engine.connect() as conn:
        changed = conn.execute(
            select(FeedEntry.paper_id, FeedEntry.updated_at).where(
                FeedEntry.updated_at > feed_cursor
            )
        ).all()
    if changed:
        ids = sorted({r.paper_id for r in changed} - {d for d in files.metas})
        _apply_papers(files, engine, _paper_batches(engine, EPOCH_CURSOR, only_ids=ids), report)
        report.feed_updates = len(changed)
        feed_cursor = aware(max(r.updated_at for r in changed))
    files.keyword.commit()
    # Papers gone from the database (deleted rows) leave the indexes too.
    with engine.connect() as conn:
        db_count = int(conn.execute(select(func.count()).select_from(Paper)).scalar_one())
    if files.keyword.num_docs > db_count:
        with engine.connect() as conn:
            alive = {int(i) for (i,) in conn.execute(select(Paper.id))}
        indexed = files.keyword.filtered_ids_all()
        gone = sorted(set(indexed) - alive)
        files.keyword.delete(gone)
        files.keyword.commit()
        files.vectors.delete(gone)
        report.papers_deleted = len(gone)
    # Vectors stored since the cursor.
    embeddings_cursor = _apply_vectors(files, engine, model, state.embeddings_cursor, report)
    if progress is not None:
        progress("vectors", report.vectors_indexed)
    files.vectors.save()
    report.keyword_docs = files.keyword.num_docs
    report.vectors = files.vectors.live_count
    write_state(
        index_dir,
        replace(
            state,
            papers_cursor=state.papers_cursor if papers_cursor is None else papers_cursor,
            embeddings_cursor=embeddings_cursor,
            feed_cursor=feed_cursor,
            papers=report.keyword_docs,
            vectors=report.vectors,
            synced_at=dt.datetime.now(dt.UTC),
        ),
    )
    return report
