"""`/docs` (Swagger UI, vendored: works offline and under the CSP), `/docs/trending`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from papertide.rank.trending import (
    COMMENT_WEIGHT,
    HALF_LIFE_DAYS,
    RECENT_VOTE_WEIGHT,
    STAR_WEIGHT,
    VOTE_WEIGHT,
)
from papertide.web.render import render_page

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def api_docs(request: Request) -> Response:
    """Swagger UI in the site's page: navigation, light and dark like every other page."""
    return render_page(request, "api_docs.html")


@router.get("/docs/trending")
def trending_docs(request: Request) -> Response:
    return render_page(
        request,
        "trending_formula.html",
        {
            "weights": {
                "votes": VOTE_WEIGHT,
                "recent": RECENT_VOTE_WEIGHT,
                "stars": STAR_WEIGHT,
                "comments": COMMENT_WEIGHT,
            },
            "half_lives": HALF_LIFE_DAYS,
        },
    )
