"""The JSON API: Hugging Face compatible `/api/daily_papers`, papers and search.

Lists are plain JSON arrays like HF's; paging links travel in the `Link` header (RFC 8288) and
`X-Total-Count`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from papertide.models import parse_arxiv_id
from papertide.rank.trending import Window, score_terms
from papertide.store.queries import (
    FeedItem,
    comment_counts,
    count_feed_range,
    feed_entries_for_paper,
    feed_for_range,
    latest_feed_date,
    paper_by_arxiv_id,
    paper_stats,
    paper_upvotes,
    papers_by_ids,
    published,
)
from papertide.store.schema import PaperVersion
from papertide.web.deps import Db, SearchLimit
from papertide.web.errors import WebError
from papertide.web.params import parse_day, parse_month, parse_week
from papertide.web.routes.common import cached_anonymous, page_links
from papertide.web.searching import MAX_QUERY_CHARS, run_search
from papertide.web.serialize import (
    feed_entry_json,
    iso,
    listed_paper_json,
    paper_json,
    submitter_json,
    versions_json,
)
from papertide.web.state import web_state
from papertide.web.suggesting import latest_listing_days, suggested_for_day

router = APIRouter(prefix="/api", tags=["api"])

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": 'Bad input: `{"error": {"code", "message"}}`'},
    404: {"description": 'Not found: `{"error": {"code", "message"}}`'},
    422: {"description": 'Invalid parameter: `{"error": {"code", "message"}}`'},
}


def _range(
    db: Db, today: dt.date, date: str | None, week: str | None, month: str | None
) -> tuple[dt.date, dt.date, Window]:
    given = [name for name, value in (("date", date), ("week", week), ("month", month)) if value]
    if len(given) > 1:
        raise WebError(400, f"give only one of date, week, month (got {', '.join(given)})")
    if date:
        day = parse_day(date)
        return day, day, "day"
    if week:
        start, end = parse_week(week)
        return start, end, "week"
    if month:
        start, end = parse_month(month)
        return start, end, "month"
    latest = latest_feed_date(db, today) or latest_feed_date(db) or today
    return latest, latest, "day"


def _trending_order(items: list[FeedItem], end: dt.date, window: Window) -> list[FeedItem]:
    reference = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC)

    def score(item: FeedItem) -> float:
        age = (reference - dt.datetime.combine(item.feed_date, dt.time(), dt.UTC)).days
        value, _, _ = score_terms(
            upvotes=item.upvotes,
            recent_votes=0,
            github_stars=item.github_stars,
            comments=item.num_comments,
            imported_comments=item.imported_comments,
            age_days=float(age),
            window=window,
        )
        return value

    return sorted(items, key=lambda i: (-score(i), i.entry_id))


@router.get(
    "/daily_papers",
    summary="Daily papers (Hugging Face compatible)",
    responses=ERROR_RESPONSES,
)
def daily_papers(
    request: Request,
    db: Db,
    date: str | None = Query(None, description="YYYY-MM-DD; default: the newest feed day"),
    week: str | None = Query(None, description="ISO week, YYYY-Www"),
    month: str | None = Query(None, description="YYYY-MM"),
    p: int = Query(0, ge=0, le=10_000, description="Page number, from 0"),
    limit: int = Query(50, ge=1, le=100),
    sort: Literal["publishedAt", "trending"] = Query("trending"),
    submitter: str | None = Query(None, max_length=64, description="Only this user's submissions"),
) -> Response:
    def make() -> Response:
        today = web_state(request).settings.today()
        start, end, window = _range(db, today, date, week, month)
        offset = p * limit
        if sort == "trending":
            # Trending needs every entry of the range scored before paging.
            everything = feed_for_range(db, start, end, "votes", submitter=submitter)
            ordered = _trending_order(everything, end, window)
            total = len(ordered)
            page = ordered[offset : offset + limit]
        else:
            page = feed_for_range(
                db, start, end, "time", limit=limit, offset=offset, submitter=submitter
            )
            page.sort(
                key=lambda i: published(i.paper) or dt.datetime.min.replace(tzinfo=dt.UTC),
                reverse=True,
            )
            total = count_feed_range(db, start, end, submitter=submitter)
        params = {
            "date": date,
            "week": week,
            "month": month,
            "limit": limit,
            "sort": sort,
            "submitter": submitter,
        }
        links = page_links("/api/daily_papers", params, p, offset + limit < total)
        headers = {"X-Total-Count": str(total)}
        if links:
            headers["Link"] = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items())
        return JSONResponse([feed_entry_json(item) for item in page], headers=headers)

    return cached_anonymous(request, make)


@router.get(
    "/papers/search",
    summary="Search papers",
    responses={
        **ERROR_RESPONSES,
        200: {
            "description": "A plain list (Hugging Face's shape), best first: each item's `paper`, "
            "`title`, `summary`, `publishedAt`, calibrated `relevance`, fused `score`, `snippet` "
            "(escaped, <mark> only) and `missing` (the query's words the paper has in none of "
            "its title, abstract and authors)",
            "headers": {
                "X-Total-Count": {"description": "papers ranked", "schema": {"type": "integer"}},
                "X-Search-Message": {
                    "description": "a note such as an empty query (ASCII)",
                    "schema": {"type": "string"},
                },
                "X-Search-Suggestion": {
                    "description": "did you mean: the query with words no paper has corrected",
                    "schema": {"type": "string"},
                },
            },
        },
        429: {"description": "Too many searches; see Retry-After"},
    },
    dependencies=[SearchLimit],
)
def search_papers(
    request: Request,
    q: str = Query("", max_length=MAX_QUERY_CHARS, description="empty: no results, a message"),
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=1000),
    category: list[str] = Query([], max_length=20),
    date_from: dt.date | None = Query(None, alias="from"),
    date_to: dt.date | None = Query(None, alias="to"),
    has_code: bool | None = None,
    mode: Literal["hybrid", "keyword", "semantic"] = "hybrid",
    min_relevance: float = Query(
        0.0,
        ge=0.0,
        le=1.0,
        description="only results whose calibrated probability of relevance is at least this; "
        "0 returns the whole ranking",
    ),
) -> Response:
    state = web_state(request)
    outcome = run_search(
        state,
        q,
        categories=category,
        date_from=date_from,
        date_to=date_to,
        has_code=has_code,
        limit=limit,
        offset=offset,
        mode=mode,
        min_relevance=min_relevance,
    )
    if outcome.unavailable:
        raise WebError(503, outcome.unavailable, code="search_unavailable")
    with state.sessions() as db:
        papers = papers_by_ids(db, [r.paper_id for r in outcome.results])
        stats = paper_stats(db, papers)
    body = []
    for r in outcome.results:
        paper = papers.get(r.paper_id)
        if paper is None:
            continue
        body.append(
            {
                "paper": listed_paper_json(paper, stats[paper.id]),
                "title": paper.title,
                "summary": paper.abstract,
                "publishedAt": iso(published(paper)),
                "relevance": r.relevance,
                "score": r.score,
                "snippet": r.snippet_html,
                "missing": list(r.missing),
            }
        )
    headers = {"X-Total-Count": str(outcome.total)}
    if outcome.message:
        # The body stays a plain list (HF-compatible); notes such as "empty query" ride along.
        headers["X-Search-Message"] = outcome.message.encode("ascii", "replace").decode()
    if outcome.suggestion and outcome.suggestion.isascii():
        headers["X-Search-Suggestion"] = outcome.suggestion  # "did you mean"
    return JSONResponse(body, headers=headers)


@router.get(
    "/suggestions",
    summary="Suggested papers of a listing day (the model's papers above its line)",
    responses=ERROR_RESPONSES,
)
def suggestions(
    request: Request,
    db: Db,
    date: str | None = Query(
        None,
        max_length=20,
        description="Listing day, YYYY-MM-DD; default: the newest day with papers, up to today",
    ),
) -> Response:
    """The day's new papers in the instance's categories that the community-interest model
    puts at or above its line, best first, each with its chance of being picked and its reasons.
    `considered` counts every paper of the day the model ranked; `message` says why the list is
    empty when it is."""
    state = web_state(request)
    if date:
        day = parse_day(date)  # 400 bad_date / date_out_of_range, as for every other date here
    else:
        latest = latest_listing_days(db, state.settings.categories, state.settings.today(), 1)
        day = latest[0] if latest else state.settings.today()

    def make() -> Response:
        found = suggested_for_day(state, db, day)
        return JSONResponse(
            {
                "date": day.isoformat(),
                "model": found.origin or None,
                "threshold": found.threshold,
                "considered": found.considered,
                "aboveLine": len(found.items),
                "message": found.message,
                "suggestions": [
                    {
                        "paper": listed_paper_json(s.paper, s.stats),
                        "title": s.paper.title,
                        "score": round(s.score, 4),
                        "reasons": list(s.reasons),
                        "onFeed": s.feed_date is not None,
                        "feedDate": s.feed_date.isoformat() if s.feed_date else None,
                        "canSubmit": s.submittable,
                    }
                    for s in found.items
                ],
            }
        )

    return cached_anonymous(request, make)


@router.get("/papers/{arxiv_id:path}", summary="One paper", responses=ERROR_RESPONSES)
def paper(request: Request, db: Db, arxiv_id: str) -> Response:
    return cached_anonymous(request, lambda: _paper_json(db, arxiv_id))


def _paper_json(db: Session, arxiv_id: str) -> Response:
    parsed = parse_arxiv_id(arxiv_id)
    if parsed is None:
        raise WebError(404, f"not an arXiv id: {arxiv_id!r}", code="not_found")
    found = paper_by_arxiv_id(db, parsed[0])
    if found is None:
        raise WebError(404, f"no paper {parsed[0]} here", code="not_found")
    versions = list(
        db.scalars(
            select(PaperVersion)
            .where(PaperVersion.paper_id == found.id)
            .order_by(PaperVersion.version)
        )
    )
    body = paper_json(found, upvotes=paper_upvotes(db, found.id))
    body["versions"] = versions_json(versions)
    body["numComments"] = comment_counts(db, [found.id]).get(found.id, 0)
    visible = [item for item in feed_entries_for_paper(db, found.id) if not item.hidden]
    body["numImportedComments"] = visible[-1].imported_comments if visible else 0
    body["feed"] = [
        {
            "date": item.feed_date.isoformat(),
            "upvotes": item.upvotes,
            "submittedBy": submitter_json(item),
        }
        for item in visible
    ]
    return JSONResponse(body)
