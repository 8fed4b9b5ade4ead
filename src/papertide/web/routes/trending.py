"""`/trending?window=day|week|month`: the formula from docs/trending.md, explained per paper."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from papertide.rank.trending import Window, span_label, trending_papers, trending_span
from papertide.web.deps import CurrentUser, Db
from papertide.web.render import render_page
from papertide.web.routes.common import cached_anonymous, voted_ids
from papertide.web.serialize import feed_entry_json
from papertide.web.state import web_state

router = APIRouter(tags=["trending"])


def _trending(request: Request, db: Db, window: Window) -> list:
    state = web_state(request)
    now = state.settings.now()
    # Scores move slowly; a few seconds of caching spares the DB under load.
    return state.data.get_or_set(
        ("trending", window, now.date()), lambda: trending_papers(db, window, now)
    )


@router.get("/trending", summary="Trending papers with each score term")
def trending_page(request: Request, db: Db, user: CurrentUser, window: Window = "week") -> Response:
    def make() -> Response:
        ranked = _trending(request, db, window)
        now = web_state(request).settings.now()
        span = trending_span(db, window, now)
        return render_page(
            request,
            "trending.html",
            {
                "ranked": ranked,
                "window": window,
                "span": span,
                "span_label": span_label(span[1], window, now.date()),
                "voted": voted_ids(db, user, [t.item.paper.id for t in ranked]),
            },
        )

    return cached_anonymous(request, make)


@router.get("/trending.json", summary="Trending papers as JSON (HF entry shape + trending terms)")
@router.get("/api/trending", summary="Trending papers as JSON (HF entry shape + trending terms)")
def trending_json(request: Request, db: Db, window: Window = "week") -> Response:
    def make() -> Response:
        ranked = _trending(request, db, window)
        return JSONResponse([feed_entry_json(t.item, t) for t in ranked])

    return cached_anonymous(request, make)
