"""Parsing of the path and query values people type: dates, weeks, months.

arXiv ids are parsed by `papertide.models.parse_arxiv_id`, the one parser every layer shares.
"""

from __future__ import annotations

import datetime as dt
import re

from papertide.web.errors import WebError


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
