"""Hugging Face daily-papers responses: the raw API `entry` objects, as a JSON list or as JSONL.

Accepted files:
- a JSON list of entries, as `https://huggingface.co/api/daily_papers?date=…` returns it (the
  feed date comes from a YYYY-MM-DD in the file name, else from `submittedOnDailyAt`);
- the snapshot JSONL (plain or gzip) with `{"feed_date", "snapshot_time", "entry": {...}}` lines,
  as in `daily_papers_snapshots.jsonl.gz`;
- the flattened JSONL with `{"feed_date", "arxiv_id", "upvotes", ...}` lines
  (`daily_papers.jsonl.gz`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from papertide.ingest.files import Skipped, SourceError, TextLines
from papertide.models import (
    FeedRecord,
    PaperRecord,
    could_be_v1_date,
    parse_datetime,
    split_arxiv_id,
    web_link,
)

_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


def _int(value: Any) -> int:
    return int(value) if value not in (None, "") else 0


def _opt_int(value: Any) -> int | None:
    return int(value) if value not in (None, "") else None


def _v1_date(arxiv_id: Any, value: Any) -> dt.datetime | None:
    """The Hub's `publishedAt` as the v1 date, unless it names a later version's month."""
    when = parse_datetime(value)
    try:
        canonical = split_arxiv_id(str(arxiv_id))[0]
    except ValueError:
        return when  # PaperRecord.build refuses the id with its own message
    return when if when is None or could_be_v1_date(canonical, when) else None


def _date(value: Any) -> dt.date | None:
    when = parse_datetime(value) if value else None
    return when.date() if when else None


def feed_record_from_entry(
    entry: dict[str, Any],
    *,
    feed_date: dt.date | None = None,
    snapshot_time: dt.datetime | None = None,
) -> FeedRecord:
    """One raw HF daily-papers `entry` as a feed record (ValueError/KeyError when unusable)."""
    paper = entry["paper"]
    if not isinstance(paper, dict):
        raise ValueError("`paper` is not an object")
    submitter = paper.get("submittedOnDailyBy") or entry.get("submittedBy") or {}
    handle = submitter.get("user") or submitter.get("name") if isinstance(submitter, dict) else None
    submitted_at = parse_datetime(paper.get("submittedOnDailyAt"))
    day = feed_date or (submitted_at.date() if submitted_at else None)
    if day is None:
        day = _date(entry.get("publishedAt") or paper.get("publishedAt"))
    if day is None:
        raise ValueError("no feed date: neither given nor in `submittedOnDailyAt`")
    # Links become hrefs on pages, in feeds and mails: only http(s) ones are kept.
    github_repo = web_link(paper.get("githubRepo"))
    github_stars = _opt_int(paper.get("githubStars"))
    project_page = web_link(paper.get("projectPage"))
    record = PaperRecord.build(
        arxiv_id=str(paper["id"]),
        title=paper.get("title") or entry.get("title"),
        abstract=paper.get("summary") or entry.get("summary"),
        authors=[a.get("name", "") for a in paper.get("authors") or [] if isinstance(a, dict)],
        published_at=_v1_date(paper["id"], paper.get("publishedAt") or entry.get("publishedAt")),
        code_links=[github_repo] if github_repo else [],
        project_page=project_page,
        github_stars=github_stars,
    )
    return FeedRecord(
        paper=record,
        feed_date=day,
        upvotes=_int(paper.get("upvotes")),
        num_comments=_int(entry.get("numComments")),
        submitter_handle=str(handle) if handle else None,
        submitter_name=(submitter.get("fullname") if isinstance(submitter, dict) else None),
        submitted_at=submitted_at,
        snapshot_time=snapshot_time,
        github_repo=github_repo,
        github_stars=github_stars,
        project_page=project_page,
    )


def feed_record_from_flat(row: dict[str, Any]) -> FeedRecord:
    """One row of the flattened `daily_papers.jsonl.gz` view."""
    github_repo = web_link(row.get("github_repo"))
    record = PaperRecord.build(
        arxiv_id=str(row["arxiv_id"]),
        title=row.get("title"),
        abstract=row.get("abstract"),
        authors=list(row.get("authors") or []),
        published_at=_v1_date(row["arxiv_id"], row.get("published_at")),
        code_links=[github_repo] if github_repo else [],
        project_page=row.get("project_page"),
        github_stars=_opt_int(row.get("github_stars")),
    )
    return FeedRecord(
        paper=record,
        feed_date=dt.date.fromisoformat(row["feed_date"]),
        upvotes=_int(row.get("upvotes")),
        num_comments=_int(row.get("num_comments")),
        submitter_handle=row.get("submitted_by") or None,
        submitted_at=parse_datetime(row.get("submitted_on_daily_at")),
        snapshot_time=parse_datetime(row.get("snapshot_time")),
        github_repo=github_repo,
        github_stars=_opt_int(row.get("github_stars")),
        project_page=web_link(row.get("project_page")),
    )


def feed_record_from_object(obj: Any, feed_date: dt.date | None = None) -> FeedRecord:
    """Detect which HF shape `obj` has and build its feed record."""
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    if "entry" in obj:
        day = dt.date.fromisoformat(obj["feed_date"]) if obj.get("feed_date") else feed_date
        return feed_record_from_entry(
            obj["entry"], feed_date=day, snapshot_time=parse_datetime(obj.get("snapshot_time"))
        )
    if "paper" in obj:
        return feed_record_from_entry(obj, feed_date=feed_date)
    if "arxiv_id" in obj and "feed_date" in obj:
        return feed_record_from_flat(obj)
    keys = ", ".join(list(obj)[:6])
    raise ValueError(
        f"not a Hugging Face daily-papers entry (keys: {keys}); arXiv metadata files are "
        "imported with `papertide import jsonl`"
    )


def _problem(exc: Exception) -> str:
    return f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)


class HfDailyFile:
    """Iterate an HF daily-papers file: yields `FeedRecord`s and `Skipped` for bad records."""

    kind = "feed"

    def __init__(self, path: str | Path) -> None:
        self.lines = TextLines(path)
        self.path = Path(path)
        self.name = str(path)
        match = _DATE_IN_NAME.search(self.path.name)
        self.name_date = dt.date.fromisoformat(match.group(1)) if match else None

    @property
    def size(self) -> int:
        return self.lines.size

    @property
    def bytes_read(self) -> int:
        return self.lines.bytes_read

    def _first_char(self) -> bytes:
        stream = self.lines.open_binary()
        try:
            head = stream.read(4096).lstrip()
        except (EOFError, OSError):
            head = b""
        finally:
            stream.close()
        return head[:1]

    def __iter__(self) -> Iterator[FeedRecord | Skipped]:
        first = self._first_char()
        if first == b"[":
            yield from self._json_list()
        elif first == b"{":
            yield from self._jsonl()
        else:
            raise SourceError(
                f"{self.name} is neither a JSON list nor JSON Lines; expected a Hugging Face "
                "daily-papers response (.json) or snapshot file (.jsonl / .jsonl.gz)"
            )

    def _json_list(self) -> Iterator[FeedRecord | Skipped]:
        stream = self.lines.open_binary()
        try:
            data = orjson.loads(stream.read())
        except ValueError as exc:
            raise SourceError(f"{self.name} is not valid JSON: {exc}") from None
        except (EOFError, OSError) as exc:
            raise SourceError(f"{self.name} breaks off before its end: {exc}") from None
        finally:
            stream.close()
        for number, entry in enumerate(data, start=1):
            try:
                yield feed_record_from_object(entry, self.name_date)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                yield Skipped(f"record {number}", _problem(exc), json.dumps(entry)[:300])

    def _jsonl(self) -> Iterator[FeedRecord | Skipped]:
        for number, line in self.lines:
            stripped = line.strip()
            if not stripped:
                continue
            excerpt = stripped[:300].decode("utf-8", errors="replace")
            try:
                obj = orjson.loads(stripped)
            except ValueError as exc:
                yield Skipped(f"line {number}", f"malformed JSON: {exc}", excerpt)
                continue
            try:
                yield feed_record_from_object(obj, self.name_date)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                yield Skipped(f"line {number}", _problem(exc), excerpt)
