"""Reading curation inputs from files: arXiv metadata JSONL and community-feed files.

Several files may be given; each may be plain or gzip (also concatenated gzip members). Bad lines
are counted and described, never fatal; a file that cannot be read at all raises `SourceError`
with a message that says what to do.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from papertide.ingest.files import Skipped, SourceError, TruncatedInput
from papertide.ingest.hf_daily import HfDailyFile
from papertide.ingest.jsonl_snapshot import JsonlSnapshot
from papertide.rank.curate.records import (
    Candidate,
    Pick,
    candidate_from_record,
    pick_from_feed_record,
)

__all__ = ["SourceError", "load_candidates", "load_picks", "split_paths"]


def split_paths(values: Iterable[str]) -> list[Path]:
    """Paths from options that may each hold several comma-separated paths."""
    return [Path(p.strip()) for value in values for p in value.split(",") if p.strip()]


def load_candidates(paths: Iterable[Path]) -> tuple[list[Candidate], list[str]]:
    """Listed papers (those with a listing day) and a description of every skipped line."""
    out: list[Candidate] = []
    skipped: list[str] = []
    for path in paths:
        source = JsonlSnapshot(path)
        try:
            for item in source:
                if isinstance(item, Skipped):
                    skipped.append(f"{path.name} {item.where}: {item.reason}")
                    continue
                candidate = candidate_from_record(item)
                if candidate is None:
                    skipped.append(f"{path.name} {item.arxiv_id}: no listing day (first_seen)")
                    continue
                out.append(candidate)
        except TruncatedInput as exc:
            skipped.append(exc.where)
    return out, skipped


def load_picks(paths: Iterable[Path]) -> tuple[list[Pick], list[str]]:
    """Community picks (feed entries) and a description of every skipped line."""
    out: list[Pick] = []
    skipped: list[str] = []
    for path in paths:
        source = HfDailyFile(path)
        try:
            for item in source:
                if isinstance(item, Skipped):
                    skipped.append(f"{path.name} {item.where}: {item.reason}")
                    continue
                out.append(pick_from_feed_record(item))
        except TruncatedInput as exc:
            skipped.append(exc.where)
    return out, skipped
