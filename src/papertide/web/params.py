"""Parsing of the path, query and form values people type: dates, weeks, months, row ids, text.

arXiv ids are parsed by `papertide.models.parse_arxiv_id`, the one parser every layer shares.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from fastapi import Form, Path

from papertide.web.errors import WebError

# The days a page or a filter can name. Feed pages link to the day, week or month before and
# after, and trending looks a day past the end: both must stay inside Python's calendar
# (years 1-9999), so the last year is 9998; no preprint is older than the first.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(9998, 12, 31)
_RANGE = f"from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}"

# The largest id a row can have on either database (a signed 64-bit integer): a larger number in
# a path or a form names no row, and would overflow the database driver on its way to the query.
MAX_ROW_ID = 2**63 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="a row id")]
FormRowId = Annotated[int, Form(ge=1, le=MAX_ROW_ID)]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def split_json(value: str) -> tuple[str, bool]:
    """`("2026-07-13", True)` for `"2026-07-13.json"`: every page's JSON twin."""
    if value.endswith(".json"):
        return value[: -len(".json")], True
    return value, False


def row_id(value: str) -> int | None:
    """The id in a form field typed as text (`"42"`), or None when it names no possible row."""
    text = value.strip()
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ROW_ID else None


def plain_text(value: str) -> str:
    """What someone typed, without control characters (NUL cannot even be stored on PostgreSQL);
    line breaks and tabs stay."""
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def _in_range(day: dt.date, what: str) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise WebError(400, f"{what} is out of range: use dates {_RANGE}", code="date_out_of_range")


def parse_day(value: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else _bad()
    except ValueError:
        raise WebError(400, f"not a date: {value!r}; use YYYY-MM-DD", code="bad_date") from None
    _in_range(day, f"the date {value}")
    return day


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
    _in_range(start, f"the week {value}")
    end = start + dt.timedelta(days=6)
    _in_range(end, f"the week {value}")
    return start, end


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
    _in_range(start, f"the month {value}")
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return start, following - dt.timedelta(days=1)


def _bad() -> dt.date:
    raise ValueError("bad format")
