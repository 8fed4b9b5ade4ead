"""The arXiv search API (Atom) for known ids: used when someone submits a paper we do not have.

`fetch_papers(settings, ids)` returns normalised records for the ids arXiv knows (unknown ids
are simply absent); writing them is the caller's business (`store.papers.upsert_papers`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import ElementTree

from papertide.ingest.http import FetchError, PoliteClient
from papertide.models import PaperRecord, parse_datetime, split_arxiv_id

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
# arXiv serves at most a few hundred ids per query comfortably; stay well below.
_IDS_PER_REQUEST = 100


class ArxivApiError(Exception):
    """The API could not be used (bad ids, unreachable, unreadable answer).

    `unreachable` is True when arXiv gave no answer at all (see `FetchError.unreachable`).
    """

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


def _text(element: Element, path: str) -> str | None:
    found = element.find(path)
    return found.text if found is not None and found.text is not None else None


def record_from_entry(entry: Element) -> PaperRecord | None:
    """One Atom `<entry>` as a record; None for the API's error entries."""
    raw_id = (_text(entry, f"{ATOM}id") or "").strip()
    if "/api/errors" in raw_id:
        return None
    arxiv_id, version = split_arxiv_id(raw_id)
    published = parse_datetime(_text(entry, f"{ATOM}published"))
    updated = parse_datetime(_text(entry, f"{ATOM}updated"))
    versions: list[tuple[int, dt.datetime | None]] = [(1, published)]
    if version and version > 1:
        versions.append((version, updated))
    primary = entry.find(f"{ARXIV}primary_category")
    categories = [c.get("term", "") for c in entry.iterfind(f"{ATOM}category")]
    return PaperRecord.build(
        arxiv_id=arxiv_id,
        title=_text(entry, f"{ATOM}title"),
        abstract=_text(entry, f"{ATOM}summary"),
        authors=[_text(a, f"{ATOM}name") or "" for a in entry.iterfind(f"{ATOM}author")],
        categories=categories,
        primary_category=primary.get("term") if primary is not None else None,
        comment=_text(entry, f"{ARXIV}comment"),
        journal_ref=_text(entry, f"{ARXIV}journal_ref"),
        doi=_text(entry, f"{ARXIV}doi"),
        versions=versions,
        first_announced=published.date() if published else None,
    )


def parse_feed(body: bytes) -> list[PaperRecord]:
    """Records from one Atom response of the arXiv API."""
    try:
        root = ElementTree.fromstring(body)
    except ParseError as exc:
        raise ArxivApiError(
            f"the arXiv API answered something that is not Atom XML ({exc})"
        ) from None
    records = []
    for entry in root.iterfind(f"{ATOM}entry"):
        try:
            record = record_from_entry(entry)
        except ValueError:
            continue  # an entry without a usable id or title: nothing to import
        if record is not None:
            records.append(record)
    return records


def fetch_papers(
    settings: Any, ids: Iterable[str], *, client: PoliteClient | None = None
) -> list[PaperRecord]:
    """Records for `ids` (any common spelling, versions allowed) from the arXiv API.

    Raises ArxivApiError for ids that are not arXiv ids or when the API cannot be reached.
    """
    wanted: list[str] = []
    for raw in ids:
        try:
            arxiv_id = split_arxiv_id(raw)[0]
        except ValueError as exc:
            raise ArxivApiError(f"{exc}; expected e.g. 2401.00001 or hep-th/9901001") from None
        if arxiv_id not in wanted:
            wanted.append(arxiv_id)
    if not wanted:
        return []
    own_client = client is None
    http = client or PoliteClient.for_settings(settings)
    records: list[PaperRecord] = []
    try:
        for start in range(0, len(wanted), _IDS_PER_REQUEST):
            chunk = wanted[start : start + _IDS_PER_REQUEST]
            params = {"id_list": ",".join(chunk), "max_results": str(len(chunk))}
            try:
                response = http.get(settings.arxiv_api_url, params=params)
            except FetchError as exc:
                raise ArxivApiError(str(exc), unreachable=exc.unreachable) from None
            records.extend(r for r in parse_feed(response.content) if r.arxiv_id in chunk)
    finally:
        if own_client:
            http.close()
    return records
