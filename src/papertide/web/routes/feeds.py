"""Feed URLs (each in `.atom` and `.rss`), all with ETag/Last-Modified and 304 answers:

/feed.atom?date=YYYY-MM-DD            the daily feed (default: the newest day)
/trending.atom?window=day|week|month  trending
/feeds/category/{category}.atom       newest papers of an arXiv category
/search.atom?q=…&category=…&from=…&to=…&has_code=true   any search, same filters as /search
/feeds/u/{name}/c/{slug}.atom         a public collection
/feeds/recommendations/{token}.atom   a reader's recommendations (private, unguessable URL)
/feeds/suggested.atom                 the model's suggested papers of the latest listing days
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from email.utils import format_datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from papertide.feeds.private import owner_for_token
from papertide.feeds.render import (
    MEDIA_TYPES,
    FeedFormat,
    FeedItem,
    FeedMeta,
    etag_for,
    item_from_paper,
    last_modified,
    render_feed,
)
from papertide.rank.trending import WINDOWS, trending_papers
from papertide.store.queries import (
    category_papers,
    collection_by_slug,
    collection_papers,
    feed_for_date,
    first_listings,
    latest_feed_date,
    papers_by_ids,
    published,
    user_by_name,
)
from papertide.store.schema import Paper
from papertide.web.deps import Db, SearchLimit
from papertide.web.errors import WebError
from papertide.web.params import parse_day
from papertide.web.routes.common import remember_page
from papertide.web.searching import run_search
from papertide.web.state import not_modified, web_state
from papertide.web.suggesting import latest_listing_days, suggested_for_day

router = APIRouter(tags=["feeds"])

_CATEGORY = re.compile(r"^[a-z-]{2,16}(?:\.[A-Za-z-]{1,16})?$")
FEED_SIZE = 50
# Suggestions of this many listing days (newest first): a reader polling daily sees each once.
SUGGESTED_DAYS = 3


def _format(fmt: str) -> FeedFormat:
    if fmt == "atom":
        return "atom"
    if fmt == "rss":
        return "rss"
    raise WebError(404, f"no feed format {fmt[:10]!r}; use .atom or .rss")


def feed_response(
    request: Request,
    meta: FeedMeta,
    items: list[FeedItem],
    fmt: FeedFormat,
    *,
    private: bool = False,
) -> Response:
    """The feed, or 304 Not Modified when the reader's copy is current."""
    body = render_feed(meta, items, fmt)
    etag = etag_for(body)
    modified = last_modified(items)
    headers = {
        "ETag": etag,
        "Cache-Control": ("private" if private else "public") + ", max-age=300",
        "Vary": "Accept-Encoding",
    }
    if modified is not None:
        headers["Last-Modified"] = format_datetime(modified.astimezone(dt.UTC), usegmt=True)
    if private:
        headers["X-Robots-Tag"] = "noindex"
    if not_modified(
        request.headers.get("if-none-match"),
        request.headers.get("if-modified-since"),
        etag,
        modified,
    ):
        return Response(status_code=304, headers=headers)
    response = Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)
    if not private:
        # Public feeds are polled by many readers: the next ones, for a few seconds, are
        # answered (or 304'd) from the page cache without running the route again.
        remember_page(request, response)
    return response


def _listing_days(db: Session, papers: Iterable[Paper]) -> dict[int, dt.date]:
    """The first daily-feed day of the papers without an arXiv date, the date their entries
    fall back to in feeds that have no listing date of their own (search, recommendations)."""
    return first_listings(db, [p.id for p in papers if published(p) is None])


def _base(request: Request) -> str:
    return web_state(request).settings.base_url.rstrip("/")


def _site(request: Request) -> str:
    return web_state(request).settings.site_name


def _self_url(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{_base(request)}{request.url.path}{query}"


@router.get("/feed.{fmt}", summary="The daily feed as Atom or RSS")
def daily_feed(
    request: Request,
    db: Db,
    fmt: str,
    date: str = Query("", max_length=20),
) -> Response:
    kind = _format(fmt)
    if date:
        day: dt.date | None = parse_day(date)
    else:
        day = latest_feed_date(db, web_state(request).settings.today())
    entries = feed_for_date(db, day) if day is not None else []
    base = _base(request)
    items = [item_from_paper(e.paper, base, listed_at=e.submitted_at) for e in entries]
    label = day.isoformat() if day else "no papers yet"
    meta = FeedMeta(
        feed_id=f"{base}/feed.{kind}" + (f"?date={date}" if date else ""),
        title=f"{_site(request)}: daily papers ({label})",
        html_url=f"{base}/papers/date/{day.isoformat()}" if day else f"{base}/",
        self_url=_self_url(request),
        subtitle="Papers the community submitted today, most upvoted first.",
    )
    return feed_response(request, meta, items, kind)


@router.get("/trending.{fmt}", summary="Trending papers as Atom or RSS")
def trending_feed(
    request: Request,
    db: Db,
    fmt: str,
    window: str = Query("day", max_length=10),
) -> Response:
    kind = _format(fmt)
    if window not in WINDOWS:
        raise WebError(400, f"unknown window {window[:10]!r}; use day, week or month")
    ranked = trending_papers(db, window, web_state(request).settings.now(), limit=FEED_SIZE)
    base = _base(request)
    items = [
        item_from_paper(
            t.item.paper,
            base,
            listed_at=t.item.submitted_at,
            reason=f"#{i} trending, {t.item.upvotes} upvotes",
        )
        for i, t in enumerate(ranked, 1)
    ]
    meta = FeedMeta(
        feed_id=f"{base}/trending.{kind}?window={window}",
        title=f"{_site(request)}: trending ({window})",
        html_url=f"{base}/trending?{urlencode({'window': window})}",
        self_url=_self_url(request),
        subtitle=f"The papers trending this {window}.",
    )
    return feed_response(request, meta, items, kind)


@router.get("/feeds/category/{category}.{fmt}", summary="A category's newest papers")
def category_feed(request: Request, db: Db, category: str, fmt: str) -> Response:
    kind = _format(fmt)
    if not _CATEGORY.match(category):
        raise WebError(400, f"not an arXiv category: {category[:40]!r}; e.g. cs.LG")
    papers = category_papers(db, category, limit=FEED_SIZE)
    base = _base(request)
    items = [
        item_from_paper(
            p,
            base,
            listed_at=(
                dt.datetime.combine(p.first_announced, dt.time(), dt.UTC)
                if p.first_announced
                else None
            ),
        )
        for p in papers
    ]
    meta = FeedMeta(
        feed_id=f"{base}/feeds/category/{category}.{kind}",
        title=f"{_site(request)}: new in {category}",
        html_url=f"{base}/c/{category}",
        self_url=_self_url(request),
        subtitle=f"The newest papers listed in {category}.",
    )
    return feed_response(request, meta, items, kind)


@router.get("/search.{fmt}", summary="Any search as a feed", dependencies=[SearchLimit])
def search_feed(
    request: Request,
    db: Db,
    fmt: str,
    q: str = Query("", max_length=1000),
    category: list[str] = Query([], max_length=20),
    date_from: str = Query("", alias="from", max_length=20),
    date_to: str = Query("", alias="to", max_length=20),
    has_code: bool = False,
    min_relevance: float | None = Query(None, ge=0.0, le=1.0),
) -> Response:
    """The results of /search?… with the same filters; only results above the relevance cutoff."""
    if fmt == "json":  # /search.json is the web app's; never shadow it
        raise WebError(404, "not found")
    kind = _format(fmt)
    q = " ".join(q.split())
    if not q:
        raise WebError(400, "a search feed needs a query: /search.atom?q=…")
    outcome = run_search(
        web_state(request),
        q,
        categories=[c for c in category if c],
        date_from=parse_day(date_from) if date_from else None,
        date_to=parse_day(date_to) if date_to else None,
        has_code=True if has_code else None,
        limit=FEED_SIZE,
        min_relevance=min_relevance,  # None: the calibrated default line, as alerts use
    )
    if outcome.unavailable:
        raise WebError(503, outcome.unavailable, code="unavailable")
    results = outcome.results
    papers = papers_by_ids(db, [r.paper_id for r in results])
    listed = _listing_days(db, papers.values())
    base = _base(request)
    items = [
        item_from_paper(
            papers[r.paper_id],
            base,
            reason=f"relevance {r.relevance:.2f}",
            first_listed=listed.get(r.paper_id),
        )
        for r in results
        if r.paper_id in papers
    ]
    params: dict[str, object] = {"q": q, "category": [c for c in category if c]}
    if date_from:
        params["from"] = date_from
    if date_to:
        params["to"] = date_to
    if has_code:
        params["has_code"] = "true"
    query = urlencode(params, doseq=True)
    meta = FeedMeta(
        feed_id=f"{base}/search.{kind}?{query}",
        title=f"{_site(request)}: search “{q[:100]}”",
        html_url=f"{base}/search?{query}",
        self_url=_self_url(request),
        subtitle=f"Papers relevant to “{q[:100]}”.",
    )
    return feed_response(request, meta, items, kind)


@router.get("/feeds/u/{name}/c/{slug}.{fmt}", summary="A public collection as a feed")
def collection_feed(request: Request, db: Db, name: str, slug: str, fmt: str) -> Response:
    kind = _format(fmt)
    user = user_by_name(db, name)
    collection = collection_by_slug(db, user.id, slug) if user is not None else None
    if user is None or collection is None or not collection.is_public:
        raise WebError(404, "no such public collection")
    base = _base(request)
    items = [
        item_from_paper(paper, base, listed_at=entry.added_at, reason=entry.note or None)
        for paper, entry in collection_papers(db, collection.id)[:FEED_SIZE]
    ]
    meta = FeedMeta(
        feed_id=f"{base}/feeds/u/{name}/c/{slug}.{kind}",
        title=f"{_site(request)}: {collection.name} (by {name})",
        html_url=f"{base}/u/{name}/c/{slug}",
        self_url=_self_url(request),
        subtitle=collection.description or f"A collection by {name}.",
    )
    return feed_response(request, meta, items, kind)


@router.get("/feeds/recommendations/{token}.{fmt}", summary="Private recommendations feed")
def recommendations_feed(request: Request, db: Db, token: str, fmt: str) -> Response:
    kind = _format(fmt)
    owner = owner_for_token(db, web_state(request).settings, token)
    if owner is None:
        raise WebError(404, "no such feed")
    recs = web_state(request).recommendations(db, owner, limit=30)
    papers = papers_by_ids(db, [r.paper_id for r in recs])
    listed = _listing_days(db, papers.values())
    base = _base(request)
    items = [
        item_from_paper(
            papers[r.paper_id], base, reason=r.reason, first_listed=listed.get(r.paper_id)
        )
        for r in recs
        if r.paper_id in papers
    ]
    meta = FeedMeta(
        feed_id=f"urn:papertide:recommendations:{etag_for(token.encode()).strip(chr(34))}",
        title=f"{_site(request)}: recommended for you",
        html_url=f"{base}/recommendations",
        self_url=_self_url(request),
        subtitle="New papers close to your library.",
    )
    return feed_response(request, meta, items, kind, private=True)


@router.get("/feeds/suggested.{fmt}", summary="Suggested papers of the latest listing days")
def suggested_feed(request: Request, db: Db, fmt: str) -> Response:
    """The papers above the model's line on the latest listing days (up to today), newest day
    first and best first within a day; a day with nothing above the line adds no entry."""
    kind = _format(fmt)
    state = web_state(request)
    days = latest_listing_days(
        db, state.settings.categories, state.settings.today(), SUGGESTED_DAYS
    )
    base = _base(request)
    items = []
    for day in days:
        listed = dt.datetime.combine(day, dt.time(), dt.UTC)
        for s in suggested_for_day(state, db, day).items:
            reason = f"{s.chance} chance of being picked: " + "; ".join(s.reasons)
            items.append(item_from_paper(s.paper, base, listed_at=listed, reason=reason))
    meta = FeedMeta(
        feed_id=f"{base}/feeds/suggested.{kind}",
        title=f"{_site(request)}: suggested papers",
        html_url=f"{base}/#suggested",
        self_url=_self_url(request),
        subtitle="New papers the community-interest model expects this community to pick, "
        "with its reasons; only those above its line.",
    )
    return feed_response(request, meta, items, kind)
