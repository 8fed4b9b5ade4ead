"""The merge policy: how an incoming paper record combines with the stored row and versions.

Pure functions on plain dicts; the upsert in `store.papers` decides what to write from them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from papertide.models import PaperRecord, content_hash

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
STORED_FIELDS = (
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


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def record_row(record: PaperRecord) -> dict[str, Any]:
    """The `papers` row a record alone would give (arxiv_id and the stored fields)."""
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


def merge_record(
    stored: dict[str, Any],
    stored_versions: dict[int, dt.datetime | None],
    record: PaperRecord,
    fill_only: bool = False,
) -> tuple[dict[str, Any], dict[int, dt.datetime | None]]:
    """The row and version history after applying `record` to what is stored (pure).

    - a record with a higher version than the stored one replaces the paper's fields (fields
      the record lacks keep their stored value); a lower or unknown version only fills fields
      that are still empty; an equal version refreshes the fields it carries;
    - with `fill_only`, those fields are only filled where empty, whatever the version;
    - the version history, code links and first-announced/published dates are merged, never
      lost; a withdrawn paper stays withdrawn until a newer version says otherwise.
    """
    incoming = record_row(record)
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
