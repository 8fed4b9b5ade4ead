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
from papertide.web.errors import WebError
from papertide.web.params import parse_day
from papertide.web.render import render_page
from papertide.web.routes.common import voted_ids
from papertide.web.searching import (
    MAX_LIMIT,
    MAX_QUERY_CHARS,
    counted_words,
    run_search,
    with_snippets,
)
from papertide.web.serialize import listed_paper_json
from papertide.web.state import WebState, web_state

router = APIRouter(tags=["search"])
PAGE_SIZE = 20
# The feed's words for the same orders (`?sort=votes`, `?sort=time`), plus relevance.
SearchSort = Literal["relevance", "time", "votes"]
SORTS: dict[str, str] = {"relevance": "Relevance", "time": "Newest", "votes": "Most upvoted"}


# Every order pages through the same ranking: the first MAX_LIMIT ranked papers (fewer when fewer
# are found), 20 a page, so pages 0-9 at most; the pages stop where the ranking stops.
LAST_PAGE = MAX_LIMIT // PAGE_SIZE - 1
_TRUE, _FALSE = {"true", "1", "on", "yes"}, {"false", "0", "off", "no", ""}


@dataclass(frozen=True)
class SearchForm:
    """The search page's query parameters, shared by the page and its `.json` twin; `problems`
    says in plain words what was wrong with them (nothing is searched then)."""

    q: str
    category: list[str]
    date_from: str
    date_to: str
    has_code: bool
    page: int
    sort: SearchSort = "relevance"
    problems: tuple[str, ...] = ()
    code: str = "invalid"  # the JSON error code for the problems


def search_form(
    q: str = "",
    category: list[str] = Query([], max_length=20),
    date_from: str = Query("", alias="from"),
    date_to: str = Query("", alias="to"),
    has_code: str = Query("", description="true: only papers with a code link"),
    page: str = Query("0", description=f"the page of results, 0 to {LAST_PAGE}"),
    sort: str = Query(
        "relevance",
        description="relevance (default), time (newest first) or votes (most upvoted first); "
        "the papers above the relevance line come first in every order",
    ),
) -> SearchForm:
    """The parameters, checked here rather than by FastAPI, so that the page can show what was
    wrong next to the form (with the query kept) instead of a bare validation error."""
    problems: list[str] = []
    code = "invalid"
    q = q.strip()
    if len(q) > MAX_QUERY_CHARS:
        problems.append(
            f"Your query is {len(q):,} characters long; at most {MAX_QUERY_CHARS:,} can be "
            f"searched. The box holds its first {MAX_QUERY_CHARS:,}: shorten it and search again."
        )
        q, code = q[:MAX_QUERY_CHARS], "query_too_long"
    number = int(page) if page.isascii() and page.isdigit() and len(page) < 6 else None
    if number is None or number > LAST_PAGE:
        problems.append(
            f"There is no results page {page[:20]!r}: pages go from 0 to {LAST_PAGE} "
            f"(the first {MAX_LIMIT} ranked papers, {PAGE_SIZE} a page)."
        )
    if sort not in SORTS:
        problems.append(f"Unknown order {sort[:20]!r}: sort by relevance, time or votes.")
    if has_code.lower() not in _TRUE | _FALSE:
        problems.append(
            f"has_code is {has_code[:20]!r}: use true (only papers with code) or false."
        )
    return SearchForm(
        q,
        category,
        date_from,
        date_to,
        has_code.lower() in _TRUE,
        min(number or 0, LAST_PAGE),
        sort if sort in SORTS else "relevance",  # type: ignore[arg-type]
        tuple(problems),
        code,
    )


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
    problems = list(form.problems)
    days: list[dt.date | None] = []
    for value in (date_from, date_to):
        try:
            days.append(parse_day(value) if value else None)
        except WebError as exc:
            if as_json:
                raise
            problems.append(f"{exc.message[:1].upper()}{exc.message[1:]}.")
            days.append(None)
    start, end = days
    if problems and as_json:
        raise WebError(422, " ".join(problems), code=form.code)
    categories = [c for c in category if c]
    outcome = None
    rows: list[Row] = []
    ranked = 0  # papers in the ranking the pages go through
    if q and not problems:
        # Every order sorts the same ranking (the first MAX_LIMIT papers) and pages through
        # it, so the pages, and `total`, end at the same place whatever the order and page.
        outcome = run_search(
            state,
            q,
            categories=categories,
            date_from=start,
            date_to=end,
            has_code=True if has_code else None,
            limit=MAX_LIMIT,
            offset=0,
            count_matching=True,
            snippets=False,  # only the page's 20 need one: fetched below
        )
        papers = papers_by_ids(db, [r.paper_id for r in outcome.results])
        rows = [(r, papers[r.paper_id]) for r in outcome.results if r.paper_id in papers]
        ranked = len(rows)
        if sort != "relevance":
            stats = paper_stats(db, [p.id for _, p in rows])
            rows = sort_rows(rows, stats, sort, outcome.cutoff)
        rows = rows[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        shown = with_snippets(state, q, [r for r, _ in rows])
        rows = [(r, p) for r, (_, p) in zip(shown, rows, strict=True)]
    last_page = max(0, (ranked - 1) // PAGE_SIZE)
    stats = paper_stats(db, [p.id for _, p in rows])
    if as_json:
        return JSONResponse(
            {
                "query": q,
                "sort": sort,
                "total": ranked,
                "relevant": outcome.relevant if outcome else 0,
                "relevantAtLeast": outcome.relevant_at_least if outcome else False,
                "matching": outcome.matching if outcome else 0,
                "cutoff": outcome.cutoff if outcome else None,
                "suggestion": outcome.suggestion if outcome else None,
                "unavailable": outcome.unavailable if outcome else None,
                "message": outcome.message if outcome else None,
                "results": [
                    {
                        "paper": listed_paper_json(p, stats[p.id]),
                        "relevance": r.relevance,
                        "score": r.score,
                        "snippet": r.snippet_html,
                        "missing": list(r.missing),
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
        status_code=422 if problems else 200,
        context={
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
            "prev_url": page_url(min(page - 1, last_page)) if page > 0 else None,
            "next_url": page_url(page + 1) if page < last_page else None,
            "past_the_end": bool(ranked) and page > last_page,
            "last_page": last_page,
            "problems": problems,
            "counted_words": counted_words(outcome.counted) if outcome else "",
            "json_url": "/search.json?" + urlencode(sorted_params, doseq=True),
            # The same query as a feed and as an email alert (feeds and digest packages).
            "atom_url": "/search.atom?" + urlencode(params, doseq=True),
            "alert_url": "/subscribe?" + urlencode({"kind": "search", "q": q}),
            # "Did you mean": the same search (filters and order kept) with the corrected words.
            "suggestion_url": "/search?"
            + urlencode({**sorted_params, "q": outcome.suggestion}, doseq=True)
            if outcome and outcome.suggestion
            else None,
        },
    )


@router.get("/search", summary="Search page", dependencies=[SearchLimit])
def search_page(request: Request, db: Db, user: CurrentUser, form: Form) -> Response:
    return _search(request, db, user, form, False)


@router.get("/search.json", summary="Search results as JSON", dependencies=[SearchLimit])
def search_json(request: Request, db: Db, user: CurrentUser, form: Form) -> Response:
    return _search(request, db, user, form, True)
