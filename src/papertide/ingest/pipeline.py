"""Stream records from a source into the database in batches, one transaction per batch.

Sources yield `PaperRecord`s, `FeedRecord`s and `Skipped` markers; this module groups them into
batches, upserts each batch in its own transaction (all of it or nothing), reports progress,
and writes the skipped records with their reasons to a report file in the data folder.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from papertide.ingest.files import Skipped, TruncatedInput
from papertide.models import FeedRecord, PaperRecord
from papertide.store.feed import FeedCounts, upsert_feed_entries
from papertide.store.papers import UpsertCounts, upsert_papers

DEFAULT_BATCH_SIZE = 5000
# Skipped records kept in memory for the summary; all of them go to the report file.
_SKIPS_KEPT = 100

Item = PaperRecord | FeedRecord | Skipped


@dataclass
class ImportReport:
    """What an import did; `ok` is False when anything was skipped or the input broke off."""

    source: str
    papers: UpsertCounts = field(default_factory=UpsertCounts)
    feed: FeedCounts | None = None
    read: int = 0
    skipped: int = 0
    skipped_examples: list[Skipped] = field(default_factory=list)
    error: str | None = None
    report_path: Path | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.skipped == 0 and self.error is None

    @property
    def imported(self) -> int:
        """Records read and written (new, updated or already up to date)."""
        return self.read

    def summary(self) -> str:
        """One line for people: `imported 1,204, skipped 3: see <report file>`."""
        text = f"imported {self.imported:,}, skipped {self.skipped:,}"
        if self.report_path is not None and not self.ok:
            text += f": see {self.report_path}"
        if self.error:
            text += f" ({self.error})"
        return text

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "source": self.source,
            "ok": self.ok,
            "read": self.read,
            "skipped": self.skipped,
            "papers": {
                "inserted": self.papers.inserted,
                "updated": self.papers.updated,
                "unchanged": self.papers.unchanged,
            },
            "error": self.error,
            "report": str(self.report_path) if self.report_path else None,
            "seconds": round(self.seconds, 3),
        }
        if self.feed is not None:
            data["feed_entries"] = {
                "inserted": self.feed.inserted,
                "updated": self.feed.updated,
                "unchanged": self.feed.unchanged,
                "users_created": self.feed.users_created,
            }
        return data


ProgressCallback = Callable[[ImportReport], None]


class SkipLog:
    """Writes skipped records to `<report_dir>/import-<time>.jsonl`, opened on the first skip."""

    def __init__(self, report: ImportReport, report_dir: Path | None) -> None:
        self.report = report
        self.report_dir = report_dir
        self.handle: IO[str] | None = None

    def _open(self) -> IO[str] | None:
        if self.handle is None and self.report_dir is not None:
            self.report_dir.mkdir(parents=True, exist_ok=True)
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
            path = self.report_dir / f"import-{stamp}.jsonl"
            self.report.report_path = path
            self.handle = path.open("w", encoding="utf-8")
            self.handle.write(json.dumps({"source": self.report.source}) + "\n")
        return self.handle

    def skip(self, item: Skipped) -> None:
        self.report.skipped += 1
        if len(self.report.skipped_examples) < _SKIPS_KEPT:
            self.report.skipped_examples.append(item)
        handle = self._open()
        if handle is not None:
            entry = {"where": item.where, "reason": item.reason, "text": item.text}
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def broke(self, message: str) -> None:
        self.report.error = message
        handle = self._open()
        if handle is not None:
            handle.write(json.dumps({"where": "end", "reason": message}) + "\n")

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def import_records(
    engine: Engine,
    records: Iterable[Item],
    *,
    source: str = "records",
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: ProgressCallback | None = None,
    report_dir: Path | None = None,
) -> ImportReport:
    """Upsert everything `records` yields, batch by batch; returns what happened.

    A `TruncatedInput` raised by the source ends the import after keeping what came before it.
    Other source errors (`SourceError`) propagate to the caller, after the batches already
    written stay committed.
    """
    report = ImportReport(source=source)
    log = SkipLog(report, report_dir)
    # Every record allocates a few dozen objects; with the default threshold (700) the cyclic
    # garbage collector runs every few records and costs ~15% of an import. Raise it for the
    # duration (collections still happen, just less often) and restore it afterwards.
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], 100_000), *thresholds[1:])
    papers: list[PaperRecord] = []
    feeds: list[FeedRecord] = []
    started = time.perf_counter()

    def flush() -> None:
        if not papers and not feeds:
            return
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                # A bigger page cache keeps the index B-trees of a bulk import in memory.
                conn.exec_driver_sql("PRAGMA cache_size=-65536")
            if papers:
                report.papers.add(upsert_papers(conn, papers))
            if feeds:
                counts = upsert_feed_entries(conn, feeds)
                if report.feed is None:
                    report.feed = FeedCounts()
                report.feed.add(counts)
                if counts.papers is not None:
                    report.papers.add(counts.papers)
        report.read += len(papers) + len(feeds)
        papers.clear()
        feeds.clear()
        report.seconds = time.perf_counter() - started
        if progress is not None:
            progress(report)

    try:
        for item in records:
            if isinstance(item, Skipped):
                log.skip(item)
            elif isinstance(item, FeedRecord):
                feeds.append(item)
            else:
                papers.append(item)
            if len(papers) + len(feeds) >= batch_size:
                flush()
        flush()
    except TruncatedInput as exc:
        flush()
        log.broke(exc.where)
    except SQLAlchemyError as exc:
        # The failed batch was rolled back whole; the batches before it stay committed.
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        log.broke(
            f"the database refused a batch after {report.read:,} stored records ({reason}); "
            "nothing of that batch was written"
        )
    finally:
        # On any other error the pending batch is dropped whole: nothing is half-written.
        gc.set_threshold(*thresholds)
        log.close()
        report.seconds = time.perf_counter() - started
    return report
