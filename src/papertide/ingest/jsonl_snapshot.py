"""JSONL snapshot files (plain or gzip): the Kaggle arXiv metadata shape and the shared-data shape.

The shape is detected per line, so a file may mix both:
- Kaggle `arxiv-metadata-oai-snapshot.json`: `categories` is a space-separated string, `versions`
  is a list of {"version": "v1", "created": RFC 2822 date}, `authors_parsed`, `update_date`;
- the shared-data shape (`arxiv_papers.jsonl.gz`): lists for authors and categories,
  `primary_category`, `first_seen` (used as the first-announced date), and optionally `versions`
  in the Kaggle form (the bundled sample carries them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from papertide.ingest.files import Skipped, SourceError, TextLines
from papertide.models import PaperRecord, parse_datetime

_HF_KEYS = ("entry", "paper", "feed_date", "upvotes")


def _excerpt(line: bytes) -> str:
    return line[:300].decode("utf-8", errors="replace").rstrip("\n")


def _kaggle_authors(obj: dict[str, Any]) -> list[str]:
    parsed = obj.get("authors_parsed")
    if isinstance(parsed, list) and parsed:
        names = []
        for parts in parsed:
            last, first, suffix = ([*list(parts), "", "", ""])[:3]
            names.append(" ".join(p for p in (first, last, suffix) if p))
        return names
    raw = obj.get("authors") or ""
    if isinstance(raw, list):
        return [str(a) for a in raw]
    raw = raw.replace("\n", " ").replace(" and ", ", ")
    return [name.strip() for name in raw.split(",") if name.strip()]


def _kaggle_versions(obj: dict[str, Any]) -> list[tuple[int, dt.datetime | None]]:
    versions = []
    for item in obj.get("versions") or []:
        if isinstance(item, dict):
            label, created = str(item.get("version", "")), item.get("created")
        else:  # some dumps keep bare "v1" strings
            label, created = str(item), None
        if not label.lstrip("v").isdigit():
            raise ValueError(f"bad version label {label!r}")
        versions.append((int(label.lstrip("v")), parse_datetime(created)))
    return versions


def record_from_kaggle(obj: dict[str, Any]) -> PaperRecord:
    """A paper from one line of the Kaggle `arxiv-metadata-oai-snapshot.json`."""
    versions = _kaggle_versions(obj)
    categories = obj.get("categories") or ""
    cats = categories.split() if isinstance(categories, str) else list(categories)
    v1 = next((when for number, when in versions if number == 1), None)
    return PaperRecord.build(
        arxiv_id=str(obj["id"]),
        title=obj.get("title"),
        abstract=obj.get("abstract"),
        authors=_kaggle_authors(obj),
        categories=cats,
        comment=obj.get("comments", obj.get("comment")),
        journal_ref=obj.get("journal-ref"),
        doi=obj.get("doi"),
        license=obj.get("license"),
        versions=versions,
        # The snapshot has no announcement date; the v1 submission day is the closest we have.
        first_announced=v1.date() if v1 else None,
    )


def record_from_shared(obj: dict[str, Any]) -> PaperRecord:
    """A paper from one line of the shared-data shape (`arxiv_papers.jsonl.gz`)."""
    first_seen = obj.get("first_seen")
    categories = obj.get("categories") or []
    if isinstance(categories, str):
        categories = categories.split()
    authors = obj.get("authors") or []
    if isinstance(authors, str):
        authors = [a.strip() for a in authors.split(",")]
    return PaperRecord.build(
        arxiv_id=str(obj["id"]),
        title=obj.get("title"),
        abstract=obj.get("abstract", obj.get("summary")),
        authors=authors,
        categories=categories,
        primary_category=obj.get("primary_category"),
        comment=obj.get("comment"),
        journal_ref=obj.get("journal_ref"),
        doi=obj.get("doi"),
        license=obj.get("license"),
        versions=_kaggle_versions(obj),
        first_announced=dt.date.fromisoformat(first_seen) if first_seen else None,
    )


def record_from_object(obj: Any) -> PaperRecord:
    """Detect the shape of one decoded JSON line and build its record (ValueError/KeyError)."""
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    if "first_seen" in obj and "id" in obj:
        return record_from_shared(obj)
    if "versions" in obj or "authors_parsed" in obj or "update_date" in obj:
        return record_from_kaggle(obj)
    if "id" in obj and "title" in obj:
        return record_from_shared(obj)
    if any(key in obj for key in _HF_KEYS):
        raise ValueError(
            "a Hugging Face daily-papers record; import it with `papertide import hf-daily`"
        )
    keys = ", ".join(list(obj)[:6])
    raise ValueError(f"unknown record shape (keys: {keys}); expected arXiv paper metadata")


class JsonlSnapshot:
    """Iterate a JSONL snapshot: yields `PaperRecord`s and `Skipped` for lines that are bad."""

    kind = "papers"

    def __init__(self, path: str | Path) -> None:
        self.lines = TextLines(path)
        self.name = str(path)

    @property
    def size(self) -> int:
        return self.lines.size

    @property
    def bytes_read(self) -> int:
        return self.lines.bytes_read

    def __iter__(self) -> Iterator[PaperRecord | Skipped]:
        first = True
        first_object = True
        for number, line in self.lines:
            stripped = line.strip()
            if not stripped:
                continue
            if first:
                first = False
                _check_first_line(self.name, stripped)
            try:
                obj = orjson.loads(stripped)
            except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
                yield Skipped(f"line {number}", f"malformed JSON: {exc}", _excerpt(line))
                continue
            if first_object:
                first_object = False
                _check_first_object(self.name, obj)
            try:
                yield record_from_object(obj)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                reason = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
                yield Skipped(f"line {number}", reason, _excerpt(line))


def _check_first_object(name: str, obj: Any) -> None:
    """A whole file of Hugging Face records is the wrong command, not 10,000 skipped lines."""
    if isinstance(obj, dict) and (
        "entry" in obj or "paper" in obj or ("arxiv_id" in obj and "feed_date" in obj)
    ):
        raise SourceError(
            f"{name} holds Hugging Face daily-papers records; "
            "import it with `papertide import hf-daily`"
        )


def _check_first_line(name: str, line: bytes) -> None:
    """Refuse files that are clearly not JSON Lines (CSV, HTML, a JSON list) with one message."""
    if line.startswith(b"{"):
        return
    if line.startswith(b"["):
        raise SourceError(
            f"{name} holds a JSON list, not JSON Lines; for Hugging Face daily-papers "
            "responses use `papertide import hf-daily`"
        )
    shown = line[:60].decode("utf-8", errors="replace")
    raise SourceError(
        f"{name} is not a JSON Lines file: line 1 starts with {shown!r}; "
        "expected one JSON object per line (.jsonl or .jsonl.gz)"
    )
