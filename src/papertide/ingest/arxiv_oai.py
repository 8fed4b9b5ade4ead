"""arXiv OAI-PMH harvesting (ListRecords) in the `arXiv`, `arXivRaw` or `oai_dc` format.

Each page is written in one transaction together with its resumption token in `harvest_state`,
so an interrupted harvest resumes exactly after the last page it stored. Deleted records mark
known papers as withdrawn; nothing is ever deleted. Requests go through the polite client
(`ingest/http.py`): 3-second spacing, Retry-After on 503, backoff on network errors.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from xml.etree.ElementTree import Element, ParseError

from defusedxml import ElementTree
from sqlalchemy import Connection, Engine, Table, insert, select, update

from papertide.ingest.files import Skipped
from papertide.ingest.http import FetchError, PoliteClient
from papertide.ingest.pipeline import ImportReport, SkipLog
from papertide.models import PaperRecord, normalize_arxiv_id, parse_datetime
from papertide.store.papers import mark_withdrawn, upsert_papers
from papertide.store.schema import HarvestState, utcnow

OAI = "{http://www.openarchives.org/OAI/2.0/}"
ARXIV = "{http://arxiv.org/OAI/arXiv/}"
ARXIV_RAW = "{http://arxiv.org/OAI/arXivRaw/}"
OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}"
DC = "{http://purl.org/dc/elements/1.1/}"
METADATA_PREFIXES = ("arXiv", "arXivRaw", "oai_dc")


class HarvestError(Exception):
    """The harvest cannot go on; what was stored so far stays, and the message says why."""


@dataclass
class OaiPage:
    """One parsed ListRecords response."""

    records: list[PaperRecord | Skipped] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    token: str | None = None
    complete_size: int | None = None
    last_datestamp: str | None = None
    error_code: str | None = None
    error_message: str = ""


def _text(element: Element | None, path: str) -> str | None:
    if element is None:
        return None
    found = element.find(path)
    if found is None or found.text is None:
        return None
    return found.text


def _split_raw_authors(text: str | None) -> list[str]:
    """arXivRaw authors are one string: "A. One, B. Two and C. Three"."""
    if not text:
        return []
    flat = " ".join(text.split())
    parts: list[str] = []
    for chunk in flat.split(","):
        parts.extend(chunk.split(" and "))
    return [p.strip() for p in parts if p.strip()]


def _date_only(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    day = dt.date.fromisoformat(text.strip())
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def record_from_arxiv(meta: Element) -> PaperRecord:
    """The `arXiv` metadata format: structured authors, `created` is the v1 date."""
    authors = []
    for author in meta.iterfind(f"{ARXIV}authors/{ARXIV}author"):
        parts = [
            _text(author, f"{ARXIV}forenames"),
            _text(author, f"{ARXIV}keyname"),
            _text(author, f"{ARXIV}suffix"),
        ]
        authors.append(" ".join(p.strip() for p in parts if p and p.strip()))
    created = _date_only(_text(meta, f"{ARXIV}created"))
    return PaperRecord.build(
        arxiv_id=_required(meta, f"{ARXIV}id"),
        title=_text(meta, f"{ARXIV}title"),
        abstract=_text(meta, f"{ARXIV}abstract"),
        authors=authors,
        categories=(_text(meta, f"{ARXIV}categories") or "").split(),
        comment=_text(meta, f"{ARXIV}comments"),
        journal_ref=_text(meta, f"{ARXIV}journal-ref"),
        doi=_text(meta, f"{ARXIV}doi"),
        license=_text(meta, f"{ARXIV}license"),
        versions=[(1, created)] if created else [],
        first_announced=created.date() if created else None,
    )


def record_from_arxiv_raw(meta: Element) -> PaperRecord:
    """The `arXivRaw` format: every version with its submission date."""
    versions: list[tuple[int, dt.datetime | None]] = []
    for version in meta.iterfind(f"{ARXIV_RAW}version"):
        label = (version.get("version") or "").lstrip("v")
        if not label.isdigit():
            raise ValueError(f"bad version label {version.get('version')!r}")
        versions.append((int(label), parse_datetime(_text(version, f"{ARXIV_RAW}date"))))
    v1 = next((when for number, when in versions if number == 1), None)
    return PaperRecord.build(
        arxiv_id=_required(meta, f"{ARXIV_RAW}id"),
        title=_text(meta, f"{ARXIV_RAW}title"),
        abstract=_text(meta, f"{ARXIV_RAW}abstract"),
        authors=_split_raw_authors(_text(meta, f"{ARXIV_RAW}authors")),
        categories=(_text(meta, f"{ARXIV_RAW}categories") or "").split(),
        comment=_text(meta, f"{ARXIV_RAW}comments"),
        journal_ref=_text(meta, f"{ARXIV_RAW}journal-ref"),
        doi=_text(meta, f"{ARXIV_RAW}doi"),
        license=_text(meta, f"{ARXIV_RAW}license"),
        versions=versions,
        first_announced=v1.date() if v1 else None,
    )


def record_from_oai_dc(meta: Element, identifier: str) -> PaperRecord:
    """Dublin Core: no category codes; "Last, First" creators; "Comment: …" descriptions."""
    authors = []
    for creator in meta.iterfind(f"{DC}creator"):
        name = " ".join((creator.text or "").split())
        last, _, first = name.partition(", ")
        authors.append(f"{first} {last}".strip() if first else name)
    abstract = None
    comment = None
    for description in meta.iterfind(f"{DC}description"):
        text = (description.text or "").strip()
        if text.startswith("Comment:"):
            comment = text.removeprefix("Comment:").strip()
        elif abstract is None:
            abstract = text
    dates = [d.text.strip() for d in meta.iterfind(f"{DC}date") if d.text]
    v1 = _date_only(dates[0]) if dates else None
    return PaperRecord.build(
        arxiv_id=identifier,
        title=_text(meta, f"{DC}title"),
        abstract=abstract,
        authors=authors,
        comment=comment,
        versions=[(1, v1)] if v1 else [],
        first_announced=v1.date() if v1 else None,
    )


def _required(meta: Element, path: str) -> str:
    value = _text(meta, path)
    if not value or not value.strip():
        raise ValueError(f"record has no {path.rsplit('}', 1)[-1]}")
    return value.strip()


def _add_record(page: OaiPage, record: Element, where: str) -> None:
    """Parse one `<record>` into `page`: a paper, a deleted id, or a `Skipped`."""
    header = record.find(f"{OAI}header")
    identifier = (_text(header, f"{OAI}identifier") or "").strip()
    datestamp = _text(header, f"{OAI}datestamp")
    if datestamp:
        page.last_datestamp = datestamp.strip()
    try:
        if header is not None and header.get("status") == "deleted":
            page.deleted.append(normalize_arxiv_id(identifier))
            return
        metadata = record.find(f"{OAI}metadata")
        meta = next(iter(metadata), None) if metadata is not None else None
        if meta is None:
            raise ValueError("record has no metadata")
        if meta.tag == f"{ARXIV}arXiv":
            page.records.append(record_from_arxiv(meta))
        elif meta.tag == f"{ARXIV_RAW}arXivRaw":
            page.records.append(record_from_arxiv_raw(meta))
        elif meta.tag == f"{OAI_DC}dc":
            page.records.append(record_from_oai_dc(meta, identifier))
        else:
            raise ValueError(f"unsupported metadata format {meta.tag}")
    except (ValueError, TypeError) as exc:
        page.records.append(Skipped(where, str(exc), identifier or "(no identifier)"))


_RECORD = re.compile(rb"<record>.*?</record>", re.DOTALL)
_TOKEN = re.compile(
    rb"<resumptionToken(?P<attrs>[^>]*?)(?:/>|>(?P<token>[^<]*)</resumptionToken>)", re.DOTALL
)
_LIST_SIZE = re.compile(rb'completeListSize="(\d+)"')


def _parse_record_by_record(body: bytes, page_number: int, problem: ParseError) -> OaiPage:
    """A page that is not well-formed as a whole: parse its records one by one.

    One broken record must not cost the other 999 of its page, nor stop the harvest.
    """
    chunks = _RECORD.findall(body)
    if not chunks:
        raise HarvestError(
            f"page {page_number} is not well-formed XML ({problem}); the server may be failing"
        )
    page = OaiPage()
    opening = f'<record xmlns="{OAI[1:-1]}">'.encode()
    for number, chunk in enumerate(chunks, start=1):
        where = f"page {page_number} record {number}"
        try:
            element = ElementTree.fromstring(opening + chunk[len(b"<record>") :])
        except ParseError as exc:
            text = chunk[:300].decode("utf-8", errors="replace")
            page.records.append(Skipped(where, f"malformed XML: {exc}", text))
            continue
        _add_record(page, element, where)
    token = _TOKEN.search(body)
    if token is not None:
        value = (token.group("token") or b"").decode("utf-8", errors="replace").strip()
        page.token = value or None
        size = _LIST_SIZE.search(token.group("attrs") or b"")
        page.complete_size = int(size.group(1)) if size else None
    return page


def parse_list_records(body: bytes, page_number: int = 1) -> OaiPage:
    """Parse one OAI-PMH response; bad records become `Skipped`, OAI errors are returned."""
    try:
        root = ElementTree.fromstring(body)
    except ParseError as exc:
        return _parse_record_by_record(body, page_number, exc)
    page = OaiPage()
    error = root.find(f"{OAI}error")
    if error is not None:
        page.error_code = error.get("code") or "unknown"
        page.error_message = " ".join((error.text or "").split())
        return page
    listing = root.find(f"{OAI}ListRecords")
    if listing is None:
        raise HarvestError(f"page {page_number} is not a ListRecords response")
    for number, record in enumerate(listing.iterfind(f"{OAI}record"), start=1):
        _add_record(page, record, f"page {page_number} record {number}")
    token = listing.find(f"{OAI}resumptionToken")
    if token is not None:
        page.token = (token.text or "").strip() or None
        size = token.get("completeListSize")
        page.complete_size = int(size) if size and size.isdigit() else None
    return page


@dataclass
class HarvestReport(ImportReport):
    """An import report plus what the harvest did page by page."""

    pages: int = 0
    withdrawn: int = 0
    resumed: bool = False
    complete: bool = False
    expected: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data.update(
            pages=self.pages,
            withdrawn=self.withdrawn,
            resumed=self.resumed,
            complete=self.complete,
            expected=self.expected,
        )
        return data


def harvest_key(
    metadata_prefix: str, set_spec: str | None, from_date: str | None, until_date: str | None
) -> str:
    """The `harvest_state` key of one query; `unfinished_from_date` reads the same format."""
    return f"arxiv-oai|{metadata_prefix}|{set_spec or '*'}|{from_date or ''}|{until_date or ''}"


def unfinished_from_date(
    engine: Engine, set_spec: str, metadata_prefix: str = "arXiv"
) -> str | None:
    """The from-date of the newest open-ended harvest of this set that was cut off, if any."""
    prefix = harvest_key(metadata_prefix, set_spec, None, None).removesuffix("||") + "|"
    with engine.connect() as conn:
        keys = conn.execute(
            select(HarvestState.key)
            .where(HarvestState.key.startswith(prefix), HarvestState.status == "running")
            .order_by(HarvestState.updated_at.desc())
        ).scalars()
        for key in keys:
            from_date, _, until_date = key.removeprefix(prefix).partition("|")
            if from_date and not until_date:
                return from_date
    return None


def _load_state(conn: Connection, key: str) -> dict[str, Any] | None:
    row = conn.execute(select(HarvestState.__table__).where(HarvestState.key == key)).first()
    return dict(row._mapping) if row is not None else None


def _save_state(conn: Connection, key: str, **values: Any) -> None:
    table = cast(Table, HarvestState.__table__)
    values["updated_at"] = utcnow()
    if _load_state(conn, key) is None:
        conn.execute(insert(table).values(key=key, **values))
    else:
        conn.execute(update(table).where(table.c.key == key).values(**values))


def harvest(
    settings: Any,
    engine: Engine,
    *,
    set_spec: str | None = None,
    from_date: str | None = None,
    until_date: str | None = None,
    metadata_prefix: str = "arXiv",
    client: PoliteClient | None = None,
    progress: Callable[[HarvestReport], None] | None = None,
    report_dir: Path | None = None,
    max_pages: int | None = None,
) -> HarvestReport:
    """Harvest ListRecords into the database, resuming a stored unfinished run of the same query.

    `max_pages` stops after that many pages and leaves the run resumable. Raises HarvestError
    (or FetchError from the client) when it cannot go on; pages already stored stay stored.
    """
    if metadata_prefix not in METADATA_PREFIXES:
        raise HarvestError(
            f"unknown metadata prefix {metadata_prefix!r}; "
            f"use one of {', '.join(METADATA_PREFIXES)}"
        )
    for label, value in (("from", from_date), ("until", until_date)):
        if value:
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise HarvestError(f"--{label} {value!r} is not a date; use YYYY-MM-DD") from None
    key = harvest_key(metadata_prefix, set_spec, from_date, until_date)
    report = HarvestReport(source=f"{settings.arxiv_oai_url} {key}")
    log = SkipLog(report, report_dir)
    own_client = client is None
    http = client or PoliteClient.for_settings(settings)
    started = time.perf_counter()
    try:
        with engine.begin() as conn:
            state = _load_state(conn, key)
            token = state["resumption_token"] if state and state["status"] == "running" else None
            seen = int(state["records_seen"]) if token and state else 0
            _save_state(conn, key, status="running", resumption_token=token, records_seen=seen)
        report.resumed = token is not None
        page_number = 0
        while True:
            page_number += 1
            if token:
                params = {"verb": "ListRecords", "resumptionToken": token}
            else:
                params = {"verb": "ListRecords", "metadataPrefix": metadata_prefix}
                if set_spec:
                    params["set"] = set_spec
                if from_date:
                    params["from"] = from_date
                if until_date:
                    params["until"] = until_date
            response = http.get(settings.arxiv_oai_url, params=params)
            page = parse_list_records(response.content, page_number)
            if page.error_code == "noRecordsMatch":
                with engine.begin() as conn:
                    _save_state(conn, key, status="done", resumption_token=None)
                report.complete = True
                break
            if page.error_code == "badResumptionToken":
                with engine.begin() as conn:
                    _save_state(conn, key, status="running", resumption_token=None)
                raise HarvestError(
                    "arXiv no longer accepts the saved resumption token (it expires after a "
                    "while); run the same command again to start this harvest over"
                )
            if page.error_code:
                raise HarvestError(
                    f"arXiv OAI-PMH error {page.error_code}: {page.error_message or 'no details'}"
                )
            papers = [r for r in page.records if isinstance(r, PaperRecord)]
            with engine.begin() as conn:
                report.papers.add(upsert_papers(conn, papers))
                report.withdrawn += mark_withdrawn(conn, page.deleted) if page.deleted else 0
                seen += len(page.records) + len(page.deleted)
                _save_state(
                    conn,
                    key,
                    status="running" if page.token else "done",
                    resumption_token=page.token,
                    records_seen=seen,
                    last_datestamp=page.last_datestamp,
                )
            for item in page.records:
                if isinstance(item, Skipped):
                    log.skip(item)
            report.read += len(papers)
            report.pages += 1
            report.expected = page.complete_size or report.expected
            report.seconds = time.perf_counter() - started
            if progress is not None:
                progress(report)
            token = page.token
            if not token:
                report.complete = True
                break
            if max_pages is not None and report.pages >= max_pages:
                break
    except FetchError as exc:
        raise HarvestError(f"{exc}; run the same command again to resume") from None
    finally:
        log.close()
        report.seconds = time.perf_counter() - started
        if own_client:
            http.close()
    return report
