"""`/search?q=`: the shared search function with filters, relevance and paging (`.json` twin)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from papertide.store.queries import paper_stats, papers_by_ids
from papertide.web.deps import CurrentUser, Db, SearchLimit
from papertide.web.params import parse_day
from papertide.web.render import render_page
from papertide.web.routes.common import voted_ids
from papertide.web.searching import MAX_QUERY_CHARS, run_search
from papertide.web.serialize import listed_paper_json
from papertide.web.state import web_state

router = APIRouter(tags=["search"])
PAGE_SIZE = 20


@dataclass(frozen=True)
class SearchForm:
    """The search page's query parameters, shared by the page and its `.json` twin."""

    q: str
    category: list[str]
    date_from: str
    date_to: str
    has_code: bool
    page: int


def search_form(
    q: str = "",
    category: list[str] = Query([], max_length=20),
    date_from: str = Query("", alias="from", max_length=20),
    date_to: str = Query("", alias="to", max_length=20),
    has_code: bool = False,
    page: int = Query(0, ge=0, le=50),
) -> SearchForm:
    return SearchForm(q, category, date_from, date_to, has_code, page)


Form = Annotated[SearchForm, Depends(search_form)]


def _search(
    request: Request, db: Db, user: CurrentUser, form: SearchForm, as_json: bool
) -> Response:
    q, category, date_from, date_to = form.q, form.category, form.date_from, form.date_to
    has_code, page = form.has_code, form.page
    state = web_state(request)
    q = q.strip()
    start = parse_day(date_from) if date_from else None
    end = parse_day(date_to) if date_to else None
    categories = [c for c in category if c]
    outcome = None
    rows = []
    if q:
        outcome = run_search(
            state,
            q,
            categories=categories,
            date_from=start,
            date_to=end,
            has_code=True if has_code else None,
            limit=PAGE_SIZE,
            offset=page * PAGE_SIZE,
        )
        papers = papers_by_ids(db, [r.paper_id for r in outcome.results])
        rows = [(r, papers[r.paper_id]) for r in outcome.results if r.paper_id in papers]
    stats = paper_stats(db, [p.id for _, p in rows])
    if as_json:
        return JSONResponse(
            {
                "query": q,
                "total": outcome.total if outcome else 0,
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
    params: dict[str, object] = {"q": q, "category": categories, "from": date_from, "to": date_to}
    if has_code:
        params["has_code"] = "true"

    def page_url(n: int) -> str:
        return "/search?" + urlencode({**params, "page": n}, doseq=True)

    total = outcome.total if outcome else 0
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
            "date_from": date_from,
            "date_to": date_to,
            "has_code": has_code,
            "page": page,
            "prev_url": page_url(page - 1) if page > 0 else None,
            "next_url": page_url(page + 1) if (page + 1) * PAGE_SIZE < total else None,
            "json_url": "/search.json?" + urlencode(params, doseq=True),
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
