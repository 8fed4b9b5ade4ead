"""Parsing of the path and query values people type: dates, weeks, months, arXiv ids."""

from __future__ import annotations

import datetime as dt
import re

from papertide.web.errors import WebError

ARXIV_NEW = re.compile(r"^(?P<id>\d{4}\.\d{4,5})(?:v(?P<v>\d+))?$")
ARXIV_OLD = re.compile(r"^(?P<id>[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(?:v(?P<v>\d+))?$")
ARXIV_URL = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/(?P<rest>.+?)(?:\.pdf)?/?$"
)


def split_json(value: str) -> tuple[str, bool]:
    """`("2026-07-13", True)` for `"2026-07-13.json"`: every page's JSON twin."""
    if value.endswith(".json"):
        return value[: -len(".json")], True
    return value, False


def parse_day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else _bad()
    except ValueError:
        raise WebError(400, f"not a date: {value!r}; use YYYY-MM-DD", code="bad_date") from None


def parse_week(value: str) -> tuple[dt.date, dt.date]:
    match = re.fullmatch(r"(\d{4})-W(\d{2})", value)
    try:
        if not match:
            _bad()
        start = dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)  # type: ignore[union-attr]
    except ValueError:
        raise WebError(
            400, f"not an ISO week: {value!r}; use YYYY-Www, e.g. 2026-W29", code="bad_week"
        ) from None
    return start, start + dt.timedelta(days=6)


def parse_month(value: str) -> tuple[dt.date, dt.date]:
    match = re.fullmatch(r"(\d{4})-(\d{2})", value)
    try:
        if not match:
            _bad()
        year, month = int(match.group(1)), int(match.group(2))  # type: ignore[union-attr]
        start = dt.date(year, month, 1)
    except ValueError:
        raise WebError(
            400, f"not a month: {value!r}; use YYYY-MM, e.g. 2026-07", code="bad_month"
        ) from None
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return start, following - dt.timedelta(days=1)


def _bad() -> dt.date:
    raise ValueError("bad format")


def parse_arxiv_id(value: str) -> tuple[str, int | None] | None:
    """(canonical id, version or None) from an id or an arxiv.org URL; None when it is neither."""
    text = value.strip()
    url = ARXIV_URL.match(text)
    if url:
        text = url.group("rest")
    text = text.removeprefix("arXiv:").removeprefix("arxiv:")
    for pattern in (ARXIV_NEW, ARXIV_OLD):
        match = pattern.match(text)
        if match:
            version = match.group("v")
            return match.group("id"), int(version) if version else None
    return None
