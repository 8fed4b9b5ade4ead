"""Thumbnail the feed's papers that have none: fetch each PDF politely, render it in the child
process, and record the image, or the reason there is none, in the `thumbnails` table.

Only papers on the community feed get one (they are the ones shown as cards), newest feed day
first. A PDF that is missing, too large, encrypted or broken is recorded with its reason and not
fetched again; an error answer from arXiv is tried again after RETRY_AFTER, at most MAX_ATTEMPTS
times. When arXiv does not answer at all the run stops there; that paper waits RETRY_AFTER too,
without using up a try (a long outage gives up on nothing), and the rest waits for the next run.
Nothing here raises for a bad PDF, so one paper never fails the job.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from sqlalchemy import Engine, Select, Table, and_, func, insert, or_, select, update

from papertide.config import Settings
from papertide.ingest.http import PoliteClient
from papertide.store.schema import FeedEntry, Paper, Thumbnail, ThumbStatus, utcnow
from papertide.thumbs.errors import SourceUnreachable, ThumbnailError
from papertide.thumbs.fetch import fetch_pdf, pdf_url
from papertide.thumbs.isolated import IsolatedRenderer
from papertide.thumbs.render import RenderedThumbnail

log = logging.getLogger("papertide.thumbs")
thumbnails_t = cast(Table, Thumbnail.__table__)

RETRY_AFTER = dt.timedelta(hours=6)
MAX_ATTEMPTS = 3
# A thumbnail can wait: two quick retries, not the five the harvester allows itself.
FETCH_RETRIES = 2
FAILURES_LISTED = 20

# (papers done, papers in this run, the arXiv id just done)
Progress = Callable[[int, int, str], None]


class Renderer(Protocol):
    """What turns PDF bytes into a thumbnail: an `IsolatedRenderer` unless the caller has one."""

    def render(self, pdf: bytes) -> RenderedThumbnail: ...


@dataclass
class ThumbnailRun:
    """What one run did: kept with the job's run record and printed by the CLI."""

    made: int = 0
    failed: dict[str, int] = field(default_factory=dict)  # ThumbStatus value -> papers
    failures: list[dict[str, str]] = field(default_factory=list)  # the first FAILURES_LISTED
    stopped: str | None = None  # why the run ended before its last paper
    waiting: int = 0  # feed papers still without a thumbnail or a final reason

    def note_failure(self, arxiv_id: str, exc: ThumbnailError) -> None:
        self.failed[exc.status.value] = self.failed.get(exc.status.value, 0) + 1
        if len(self.failures) < FAILURES_LISTED:
            self.failures.append(
                {"arxiv_id": arxiv_id, "status": exc.status.value, "reason": exc.reason}
            )


def _wanted(now: dt.datetime) -> tuple[Select[int, str], Any]:
    """Feed papers lacking a thumbnail (or due a retry), and the column to sort them by."""
    newest = (
        select(FeedEntry.paper_id, func.max(FeedEntry.feed_date).label("day"))
        .where(FeedEntry.hidden.is_(False))
        .group_by(FeedEntry.paper_id)
        .subquery()
    )
    due_again = and_(
        Thumbnail.status == ThumbStatus.UNREACHABLE,
        Thumbnail.attempts < MAX_ATTEMPTS,
        Thumbnail.updated_at < now - RETRY_AFTER,
    )
    stmt = (
        select(Paper.id, Paper.arxiv_id)
        .join(newest, newest.c.paper_id == Paper.id)
        .outerjoin(Thumbnail, Thumbnail.paper_id == Paper.id)
        .where(Paper.withdrawn.is_(False), or_(Thumbnail.paper_id.is_(None), due_again))
    )
    return stmt, newest.c.day


def papers_needing_thumbnails(
    engine: Engine, limit: int, *, now: dt.datetime | None = None
) -> list[tuple[int, str]]:
    """(paper id, arXiv id) of up to `limit` feed papers to thumbnail, newest feed day first."""
    stmt, day = _wanted(now or utcnow())
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(day.desc(), Paper.id.desc()).limit(limit))
        return [(int(paper_id), str(arxiv_id)) for paper_id, arxiv_id in rows]


def count_needing_thumbnails(engine: Engine, *, now: dt.datetime | None = None) -> int:
    stmt, _ = _wanted(now or utcnow())
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(stmt.subquery())).scalar_one())


def _save(engine: Engine, paper_id: int, values: dict[str, Any], *, tried: bool = True) -> None:
    """One row per paper, written at once: a run cut short keeps what it did."""
    values = {**values, "updated_at": utcnow()}
    step = 1 if tried else 0
    with engine.begin() as conn:
        changed = conn.execute(
            update(thumbnails_t)
            .where(thumbnails_t.c.paper_id == paper_id)
            .values(attempts=thumbnails_t.c.attempts + step, **values)
        ).rowcount
        if not changed:
            conn.execute(insert(thumbnails_t).values(paper_id=paper_id, attempts=step, **values))


def save_thumbnail(engine: Engine, paper_id: int, image: RenderedThumbnail) -> None:
    """Record the paper's card image."""
    _save(
        engine,
        paper_id,
        {
            "status": ThumbStatus.OK.value,
            "reason": None,
            "digest": hashlib.sha256(image.webp).hexdigest()[:16],
            "width": image.width,
            "height": image.height,
            "webp": image.webp,
        },
    )


def save_failure(engine: Engine, paper_id: int, exc: ThumbnailError) -> None:
    """Record why the paper has no image (the card keeps its placeholder)."""
    _save(
        engine,
        paper_id,
        {
            "status": exc.status.value,
            "reason": exc.reason[:2000],
            "digest": None,
            "width": None,
            "height": None,
            "webp": None,
        },
        tried=not isinstance(exc, SourceUnreachable),
    )


def thumbnail_feed_papers(
    settings: Settings,
    engine: Engine,
    *,
    limit: int | None = None,
    client: PoliteClient | None = None,
    renderer: Renderer | None = None,
    progress: Progress | None = None,
) -> ThumbnailRun:
    """Thumbnail up to `limit` (default settings.thumbnails_per_run) feed papers lacking one."""
    limit = settings.thumbnails_per_run if limit is None else limit
    run = ThumbnailRun()
    todo = papers_needing_thumbnails(engine, limit) if limit > 0 else []
    if todo:
        with ExitStack() as owned:
            if client is None:
                client = owned.enter_context(
                    PoliteClient.for_settings(settings, retries=FETCH_RETRIES)
                )
            if renderer is None:
                renderer = owned.enter_context(IsolatedRenderer())
            for done, (paper_id, arxiv_id) in enumerate(todo, start=1):
                failure = _thumbnail_one(settings, engine, client, renderer, paper_id, arxiv_id)
                if failure is None:
                    run.made += 1
                else:
                    run.note_failure(arxiv_id, failure)
                if progress is not None:
                    progress(done, len(todo), arxiv_id)
                if isinstance(failure, SourceUnreachable):
                    run.stopped = f"arXiv did not answer ({failure}); the rest waits"
                    log.warning("thumbnails stopped: %s", run.stopped)
                    break
    run.waiting = count_needing_thumbnails(engine)
    log.info(
        "thumbnails: %d made, %d without (%s), %d waiting",
        run.made,
        sum(run.failed.values()),
        ", ".join(f"{k} {v}" for k, v in sorted(run.failed.items())) or "none",
        run.waiting,
        extra={"made": run.made, "failed": run.failed, "waiting": run.waiting},
    )
    return run


def _thumbnail_one(
    settings: Settings,
    engine: Engine,
    client: PoliteClient,
    renderer: Renderer,
    paper_id: int,
    arxiv_id: str,
) -> ThumbnailError | None:
    """Fetch, render and record one paper's thumbnail; the failure, recorded, if there is one."""
    try:
        pdf = fetch_pdf(
            client, pdf_url(settings, arxiv_id), max_bytes=settings.thumbnail_max_pdf_bytes
        )
        image = renderer.render(pdf)
    except ThumbnailError as exc:
        save_failure(engine, paper_id, exc)
        log.warning(
            "no thumbnail for %s (%s): %s",
            arxiv_id,
            exc.status.value,
            exc.reason,
            extra={"arxiv_id": arxiv_id, "status": exc.status.value, "reason": exc.reason},
        )
        return exc
    save_thumbnail(engine, paper_id, image)
    return None


def thumbnail_overview(engine: Engine, *, failures: int = FAILURES_LISTED) -> dict[str, Any]:
    """Thumbnails per status, feed papers waiting, and the newest failures with their reasons."""
    with engine.connect() as conn:
        counts = {
            str(status): int(n)
            for status, n in conn.execute(
                select(Thumbnail.status, func.count()).group_by(Thumbnail.status)
            )
        }
        recent = conn.execute(
            select(Paper.arxiv_id, Thumbnail.status, Thumbnail.reason, Thumbnail.updated_at)
            .join(Paper, Paper.id == Thumbnail.paper_id)
            .where(Thumbnail.status != ThumbStatus.OK)
            .order_by(Thumbnail.updated_at.desc(), Thumbnail.paper_id.desc())
            .limit(failures)
        ).all()
    return {
        "statuses": {s.value: counts.get(s.value, 0) for s in ThumbStatus},
        "waiting": count_needing_thumbnails(engine),
        "failures": [
            {
                "arxiv_id": arxiv_id,
                "status": status,
                "reason": reason,
                "at": updated_at.isoformat() if updated_at else None,
            }
            for arxiv_id, status, reason, updated_at in recent
        ],
    }
