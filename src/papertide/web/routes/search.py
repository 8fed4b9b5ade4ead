"""`/search?q=`: the shared search function with filters, relevance, sorting and paging
(`.json` twin)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from papertide.store.queries import (
    PaperStats,
    category_counts,
    paper_stats,
    papers_by_ids,
    published,
)
from papertide.store.schema import Paper
from papertide.web.deps import CurrentUser, Db, SearchLimit
from papertide.web.params import parse_day
from papertide.web.render import render_page
from papertide.web.routes.common import voted_ids
from papertide.web.searching import MAX_LIMIT, MAX_QUERY_CHARS, run_search
from papertide.web.serialize import listed_paper_json
from papertide.web.state import WebState, web_state

router = APIRouter(tags=["search"])
PAGE_SIZE = 20
# The feed's words for the same orders (`?sort=votes`, `?sort=time`), plus relevance.
SearchSort = Literal["relevance", "time", "votes"]
SORTS: dict[str, str] = {"relevance": "Relevance", "time": "Newest", "votes": "Most upvoted"}


@dataclass(frozen=True)
class SearchForm:
    """The search page's query parameters, shared by the page and its `.json` twin."""

    q: str
    category: list[str]
    date_from: str
    date_to: str
    has_code: bool
    page: int
    sort: SearchSort = "relevance"


def search_form(
    q: str = "",
    category: list[str] = Query([], max_length=20),
    date_from: str = Query("", alias="from", max_length=20),
    date_to: str = Query("", alias="to", max_length=20),
    has_code: bool = False,
    page: int = Query(0, ge=0, le=50),
    sort: SearchSort = Query(
        "relevance",
        description="relevance (default), time (newest first) or votes (most upvoted first); "
        "the papers above the relevance line come first in every order",
    ),
) -> SearchForm:
    return SearchForm(q, category, date_from, date_to, has_code, page, sort)


Form = Annotated[SearchForm, Depends(search_form)]


def held_categories(state: WebState, db: Session) -> list[tuple[str, int]]:
    """The categories this instance's papers are listed in, with counts (cached for minutes)."""
    return state.facets.get_or_set(("categories",), lambda: category_counts(db))


def category_choices(
    held: Sequence[tuple[str, int]], selected: Sequence[str]
) -> list[tuple[str, list[tuple[str, str]]]]:
    """(archive, [(value, label)]) for the filter: each archive's categories with their paper
    counts, "all of cs" first when an archive has several; a selected one is always there."""
    counts = dict(held)
    for category in selected:
        counts.setdefault(category, 0)
    groups: dict[str, list[tuple[str, str]]] = {}
    for category in sorted(counts, key=str.lower):
        archive = category.split(".")[0]
        label = f"{category} ({counts[category]:,})" if counts[category] else category
        groups.setdefault(archive, []).append((category, label))
    out = []
    for archive, options in groups.items():
        if len(options) > 1 and archive not in counts:
            options.insert(0, (archive, f"{archive}: all"))
        out.append((archive, options))
    return out


Row = tuple[Any, Paper]


def sort_rows(
    rows: list[Row], stats: dict[int, PaperStats], sort: SearchSort, cutoff: float | None
) -> list[Row]:
    """Rows in the chosen order: those at or above the line first, then the rest, each part
    newest first or most upvoted first; equal keys keep the relevance order."""
    if sort == "relevance":
        return rows
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)

    def key(row: Row) -> Any:
        paper = row[1]
        if sort == "votes":
            return stats[paper.id].upvotes if paper.id in stats else 0
        when = published(paper) or oldest
        return when if when.tzinfo else when.replace(tzinfo=dt.UTC)

    line = cutoff or 0.0
    above = [r for r in rows if (r[0].relevance or 0.0) >= line]
    below = [r for r in rows if (r[0].relevance or 0.0) < line]
    return sorted(above, key=key, reverse=True) + sorted(below, key=key, reverse=True)


def _search(
    request: Request, db: Db, user: CurrentUser, form: SearchForm, as_json: bool
) -> Response:
    q, category, date_from, date_to = form.q, form.category, form.date_from, form.date_to
    has_code, page, sort = form.has_code, form.page, form.sort
    state = web_state(request)
    q = q.strip()
    start = parse_day(date_from) if date_from else None
    end = parse_day(date_to) if date_to else None
    categories = [c for c in category if c]
    outcome = None
    rows: list[Row] = []
    ranked = 0  # how far the pages go
    if q:
        # Another order than relevance sorts the whole ranking (the first MAX_LIMIT papers),
        # then pages through it; relevance pages through the search itself.
        by_relevance = sort == "relevance"
        outcome = run_search(
            state,
            q,
            categories=categories,
            date_from=start,
            date_to=end,
            has_code=True if has_code else None,
            limit=PAGE_SIZE if by_relevance else MAX_LIMIT,
            offset=page * PAGE_SIZE if by_relevance else 0,
            count_matching=True,
        )
        papers = papers_by_ids(db, [r.paper_id for r in outcome.results])
        rows = [(r, papers[r.paper_id]) for r in outcome.results if r.paper_id in papers]
        ranked = outcome.total if by_relevance else len(rows)
        if not by_relevance:
            stats = paper_stats(db, [p.id for _, p in rows])
            rows = sort_rows(rows, stats, sort, outcome.cutoff)
            rows = rows[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    stats = paper_stats(db, [p.id for _, p in rows])
    if as_json:
        return JSONResponse(
            {
                "query": q,
                "sort": sort,
                "total": outcome.total if outcome else 0,
                "relevant": outcome.relevant if outcome else 0,
                "relevantAtLeast": outcome.relevant_at_least if outcome else False,
                "matching": outcome.matching if outcome else 0,
                "cutoff": outcome.cutoff if outcome else None,
                "unavailable": outcome.unavailable if outcome else None,
                "message": outcome.message if outcome else None,
                "results": [
                    {
                        "paper": listed_paper_json(p, stats[p.id]),
                        "relevance": r.relevance,
                        "score": r.score,
                        "snippet": r.snippet_html,
                    }
                    for r, p in rows
                ],
            }
        )
    params: dict[str, object] = {"q": q, "category": categories}
    if date_from:
        params["from"] = date_from
    if date_to:
        params["to"] = date_to
    if has_code:
        params["has_code"] = "true"
    sorted_params = {**params, "sort": sort} if sort != "relevance" else params

    def page_url(n: int) -> str:
        return "/search?" + urlencode({**sorted_params, "page": n}, doseq=True)

    def sort_url(name: str) -> str:
        chosen = {**params, "sort": name} if name != "relevance" else params
        return "/search?" + urlencode(chosen, doseq=True)

    return render_page(
        request,
        "search.html",
        {
            "q": q,
            "rows": rows,
            "stats": stats,
            "voted": voted_ids(db, user, [p.id for _, p in rows]),
            "outcome": outcome,
            "selected": categories,
            "category_choices": category_choices(held_categories(state, db), categories),
            "date_from": date_from,
            "date_to": date_to,
            "has_code": has_code,
            "page": page,
            "sort": sort,
            "sorts": [(name, label, sort_url(name)) for name, label in SORTS.items()],
            "prev_url": page_url(page - 1) if page > 0 else None,
            "next_url": page_url(page + 1) if (page + 1) * PAGE_SIZE < ranked else None,
            "json_url": "/search.json?" + urlencode(sorted_params, doseq=True),
            # The same query as a feed and as an email alert (feeds and digest packages).
            "atom_url": "/search.atom?" + urlencode(params, doseq=True),
            "alert_url": "/subscribe?" + urlencode({"kind": "search", "q": q}),
            "max_query": MAX_QUERY_CHARS,
        },
    )


@router.get("/search", summary="Search page", dependencies=[SearchLimit])
def search_page(request: Request, db: Db, user: CurrentUser, form: Form) -> Response:
    return _search(request, db, user, form, False)


@router.get("/search.json", summary="Search results as JSON", dependencies=[SearchLimit])
def search_json(request: Request, db: Db, user: CurrentUser, form: Form) -> Response:
    return _search(request, db, user, form, True)
