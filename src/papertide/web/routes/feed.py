"""The daily feed: `/`, `/papers/date/D`, `/papers/week/YYYY-Www`, `/papers/month/YYYY-MM`.

Each page has a `.json` twin. arXiv announces nothing on weekends, so a weekend (or holiday) day
without entries says so and links to the nearest days that have entries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from papertide.store.queries import (
    FeedItem,
    adjacent_feed_dates,
    count_feed_range,
    feed_for_date,
    feed_for_range,
    latest_feed_date,
    new_papers_on,
)
from papertide.web.deps import CurrentUser, Db, web_session
from papertide.web.params import parse_day, parse_month, parse_week, split_json
from papertide.web.render import render_page
from papertide.web.routes.common import cached_anonymous, voted_ids
from papertide.web.serialize import feed_entry_json
from papertide.web.state import web_state
from papertide.web.suggesting import suggested_for_day

router = APIRouter(tags=["feed"])

SortParam = Literal["votes", "time"]


def _render_feed(
    request: Request,
    db: Db,
    user: CurrentUser,
    *,
    items: list[FeedItem],
    view: str,
    heading: str,
    sort: SortParam,
    as_json: bool,
    json_url: str,
    note: str | None = None,
    prev_url: str | None = None,
    next_url: str | None = None,
    extra: dict[str, object] | None = None,
) -> Response:
    if as_json:
        return JSONResponse([feed_entry_json(item) for item in items])
    context: dict[str, object] = {
        "items": items,
        "view": view,
        "heading": heading,
        "sort": sort,
        "note": note,
        "prev_url": prev_url,
        "next_url": next_url,
        "json_url": json_url,
        "voted": voted_ids(db, user, [i.paper.id for i in items]),
    }
    context.update(extra or {})
    return render_page(request, "feed.html", context)


def _day_feed(request: Request, db: Db, day: dt.date, sort: SortParam) -> list[FeedItem]:
    """A day's entries, shared by every reader for a few seconds (votes clear it at once)."""
    return web_state(request).data.get_or_set(
        ("feed", day, sort), lambda: feed_for_date(db, day, sort)
    )


def _day_page(
    request: Request,
    db: Db,
    user: CurrentUser,
    day: dt.date,
    sort: SortParam,
    as_json: bool,
    *,
    note: str | None = None,
) -> Response:
    items = _day_feed(request, db, day, sort)
    prev_day, next_day = web_state(request).data.get_or_set(
        ("adjacent", day), lambda: adjacent_feed_dates(db, day)
    )
    settings = web_state(request).settings
    new_papers = (
        new_papers_on(db, day, settings.categories, exclude_paper_ids=[i.paper.id for i in items])
        if settings.feed_include_new_papers and not as_json
        else []
    )
    # The model's papers above the line for this day (ranked once per day and model, cached).
    suggested = suggested_for_day(web_state(request), db, day) if not as_json else None
    if not items and note is None:
        if day.weekday() >= 5:
            note = "arXiv does not announce new papers on weekends."
        elif day < settings.today():  # "yet" would promise papers for a day that is over
            note = "There were no papers on this day's feed."
        else:
            note = "No papers on this day's feed yet."
    # Messages a redirect left for a suggested paper's row (e.g. after Submit there) show in it.
    row_notes = (
        web_session(request).take_notes(f"s-{s.paper.arxiv_id}" for s in suggested.items)
        if suggested
        else {}
    )
    suffix = "" if sort == "votes" else "?sort=time"
    return _render_feed(
        request,
        db,
        user,
        items=items,
        view="day",
        heading=day.strftime("%A, %B %-d, %Y"),
        sort=sort,
        as_json=as_json,
        json_url=f"/papers/date/{day.isoformat()}.json{suffix}",
        note=note,
        prev_url=f"/papers/date/{prev_day.isoformat()}{suffix}" if prev_day else None,
        next_url=f"/papers/date/{next_day.isoformat()}{suffix}" if next_day else None,
        extra={
            "day": day,
            "week_url": _week_url(day),
            "month_url": f"/papers/month/{day:%Y-%m}",
            "new_papers": new_papers,
            "suggested": suggested,
            "row_notes": row_notes,
            "suggested_voted": voted_ids(
                db, user, [s.paper.id for s in suggested.items] if suggested else []
            ),
        },
    )


@router.get("/", summary="Today's feed (the newest day with papers when today has none)")
def home(request: Request, db: Db, user: CurrentUser, sort: SortParam = "votes") -> Response:
    def make() -> Response:
        today = web_state(request).settings.today()
        items_today = _day_feed(request, db, today, sort)
        if items_today:
            return _day_page(request, db, user, today, sort, False)
        latest = web_state(request).data.get_or_set(
            ("latest", today), lambda: latest_feed_date(db, today) or latest_feed_date(db)
        )
        if latest is None:
            return _render_feed(
                request,
                db,
                user,
                items=[],
                view="day",
                heading="Today",
                sort=sort,
                as_json=False,
                json_url="/api/daily_papers",
                note="The feed is empty. Submit a paper, or import a feed (papertide import).",
            )
        note = (
            f"Nothing on today's feed ({today:%B %-d}) yet; "
            f"showing the latest day with papers, {latest:%A, %B %-d, %Y}."
        )
        return _day_page(request, db, user, latest, sort, False, note=note)

    return cached_anonymous(request, make)


@router.get("/papers/date/{day}", summary="One day's feed (append .json for JSON)")
def by_date(
    request: Request, day: str, db: Db, user: CurrentUser, sort: SortParam = "votes"
) -> Response:
    value, as_json = split_json(day)
    parsed = parse_day(value)
    return cached_anonymous(request, lambda: _day_page(request, db, user, parsed, sort, as_json))


def _paging(
    request: Request, db: Db, start: dt.date, end: dt.date, page: int, limit: int
) -> dict[str, object]:
    """Links to the previous and next page of a week or month that has more than `limit`."""
    total = count_feed_range(db, start, end)

    def url(n: int) -> str:
        query = {k: v for k, v in request.query_params.items() if k != "p"}
        return f"{request.url.path}?{urlencode({**query, 'p': n})}"

    return {
        "page_prev_url": url(page - 1) if page > 0 else None,
        "page_next_url": url(page + 1) if (page + 1) * limit < total else None,
        "total": total,
        "rank_offset": page * limit,
    }


@dataclass(frozen=True)
class RangePaging:
    sort: SortParam
    limit: int
    page: int


def range_paging(
    sort: SortParam = "votes",
    limit: int = Query(100, ge=1, le=500),
    p: int = Query(0, ge=0, le=10_000, description="Page number, from 0"),
) -> RangePaging:
    return RangePaging(sort, limit, p)


Paging = Annotated[RangePaging, Depends(range_paging)]


def _range_page(
    request: Request,
    db: Db,
    user: CurrentUser,
    span: tuple[dt.date, dt.date],
    *,
    view: str,
    heading: str,
    links: tuple[str, str, str],  # this span's JSON URL, previous span's page, next span's page
    paging: RangePaging,
    as_json: bool,
) -> Response:
    """A week's or a month's feed, paged; anonymous readers share it through the page cache."""
    start, end = span
    json_url, prev_url, next_url = links
    sort, limit, page = paging.sort, paging.limit, paging.page
    if sort != "votes":  # the previous and next week (month) keep the reader's order
        prev_url, next_url = f"{prev_url}?sort={sort}", f"{next_url}?sort={sort}"
        json_url = f"{json_url}?sort={sort}"

    def make() -> Response:
        items = feed_for_range(db, start, end, sort, limit=limit, offset=page * limit)
        return _render_feed(
            request,
            db,
            user,
            items=items,
            view=view,
            heading=heading,
            sort=sort,
            as_json=as_json,
            json_url=json_url,
            note=None if items else f"No papers on the feed this {view}.",
            prev_url=prev_url,
            next_url=next_url,
            extra=_paging(request, db, start, end, page, limit),
        )

    return cached_anonymous(request, make)


def _week_url(day: dt.date) -> str:
    iso = day.isocalendar()
    return f"/papers/week/{iso.year}-W{iso.week:02d}"


@router.get("/papers/week/{week}", summary="One ISO week's feed (append .json for JSON)")
def by_week(
    request: Request,
    week: str,
    db: Db,
    user: CurrentUser,
    paging: Paging,
) -> Response:
    value, as_json = split_json(week)
    start, end = parse_week(value)
    week_number = start.isocalendar()
    return _range_page(
        request,
        db,
        user,
        (start, end),
        view="week",
        heading=f"Week {week_number.week}, {week_number.year} ({start:%b %-d} – {end:%b %-d})",
        links=(
            f"/papers/week/{value}.json",
            _week_url(start - dt.timedelta(days=7)),
            _week_url(start + dt.timedelta(days=7)),
        ),
        paging=paging,
        as_json=as_json,
    )


@router.get("/papers/month/{month}", summary="One month's feed (append .json for JSON)")
def by_month(
    request: Request,
    month: str,
    db: Db,
    user: CurrentUser,
    paging: Paging,
) -> Response:
    value, as_json = split_json(month)
    start, end = parse_month(value)
    return _range_page(
        request,
        db,
        user,
        (start, end),
        view="month",
        heading=start.strftime("%B %Y"),
        links=(
            f"/papers/month/{value}.json",
            f"/papers/month/{start - dt.timedelta(days=1):%Y-%m}",
            f"/papers/month/{end + dt.timedelta(days=1):%Y-%m}",
        ),
        paging=paging,
        as_json=as_json,
    )
