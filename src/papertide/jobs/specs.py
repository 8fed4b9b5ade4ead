"""The periodic jobs: what each does, when it runs, and how it retries.

Each job is a thin adapter onto another part's public function, and every one is idempotent by
design of the part it calls (upserts keyed by arXiv id, an `updated_at` cursor for the index, one
delivery row per recipient and period for digests), so a retry or a crash never duplicates work.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from papertide.config import Settings
from papertide.digest.send import send_due
from papertide.ingest.arxiv_listings import harvest_new_listings
from papertide.rank.curate.service import CurateError, train_from_database
from papertide.search.api import get_searcher
from papertide.thumbs.job import thumbnail_feed_papers

JobFunction = Callable[[Settings, Engine], Any]

# Papers embedded per run of embed_and_sync: about a minute of CPU for the bundled model, so the
# lease stays short and a long backfill is caught up over several runs.
EMBED_BATCH = 2000


@dataclass(frozen=True)
class Schedule:
    """Cron fields (UTC) as huey's crontab takes them; `text` is what people read."""

    minute: str = "*"
    hour: str = "*"
    day_of_week: str = "*"

    @property
    def text(self) -> str:
        return f"{self.minute} {self.hour} * * {self.day_of_week}"


@dataclass(frozen=True)
class JobSpec:
    name: str
    description: str
    schedule: Schedule
    run: JobFunction
    # A lease longer than the slowest normal run; it is renewed while the job is alive anyway.
    lease_seconds: float = 120.0
    retries: int = 3
    retry_delay: float = 60.0  # then x2 per attempt: 60 s, 120 s, 240 s
    retry_backoff: float = 2.0


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def as_result(value: Any) -> dict[str, Any]:
    """What a job returned, as the JSON object stored with its run."""
    out = _jsonable(value)
    return out if isinstance(out, dict) else {"result": out}


def ingest_arxiv(settings: Settings, engine: Engine) -> Any:
    """Harvest new arXiv listings (OAI-PMH) for settings.categories; a cut-off run resumes."""
    today = dt.datetime.now(dt.UTC).date()
    reports = harvest_new_listings(settings, engine, today)
    return {set_spec: report.to_dict() for set_spec, report in reports.items()}


def embed_and_sync(settings: Settings, engine: Engine) -> Any:
    """Index new papers by keyword, embed at most EMBED_BATCH of them, index their vectors."""
    return get_searcher(settings).sync(engine, embed=True, embed_limit=EMBED_BATCH)


def send_digests(settings: Settings, engine: Engine) -> Any:
    """Send the digests and alerts that are due; one delivery row per recipient and period."""
    return send_due(settings, engine, settings.now())


def make_thumbnails(settings: Settings, engine: Engine) -> Any:
    """Fetch feed papers' PDFs (settings.thumbnails_per_run of them) and render card images."""
    return thumbnail_feed_papers(settings, engine)


def retrain_suggestions(settings: Settings, engine: Engine) -> Any:
    """Retrain the suggestion model on the community's picks up to yesterday.

    Too little history is not a failure to retry: the shipped model keeps serving until the
    community has picked enough papers, and the run records why it skipped.
    """
    try:
        return train_from_database(engine, settings.data_dir, categories=settings.categories)
    except CurateError as exc:
        return {"skipped": str(exc)}


def default_jobs() -> list[JobSpec]:
    """The periodic jobs, in the order they feed each other."""
    return [
        JobSpec(
            "ingest_arxiv",
            "harvest new arXiv listings for the configured categories",
            Schedule(minute="20", hour="*/3"),
            ingest_arxiv,
            lease_seconds=600.0,
        ),
        JobSpec(
            "embed_and_sync",
            "embed new papers and sync the worker's search index",
            Schedule(minute="*"),
            embed_and_sync,
            retry_delay=20.0,
        ),
        JobSpec(
            "retrain_suggestions",
            "retrain the suggested-papers model on the community's votes and submissions",
            Schedule(minute="40", hour="4"),
            retrain_suggestions,
            # Measured at about 3 minutes for 100,000 papers on 2 cores (bench/curate_bench.py).
            lease_seconds=900.0,
            retries=1,
        ),
        JobSpec(
            "send_digests",
            "send due digests and alerts",
            Schedule(minute="*/10"),
            send_digests,
            lease_seconds=300.0,
        ),
        JobSpec(
            "make_thumbnails",
            "fetch new feed papers' PDFs and render their card thumbnails",
            Schedule(minute="7-59/15"),
            make_thumbnails,
            lease_seconds=300.0,
        ),
    ]
