"""`/docs` (Swagger UI, vendored: works offline and under the CSP), `/docs/trending`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from papertide.rank.trending import (
    COMMENT_WEIGHT,
    HALF_LIFE_DAYS,
    RECENT_VOTE_WEIGHT,
    STAR_WEIGHT,
    VOTE_WEIGHT,
)
from papertide.web.render import render_page

router = APIRouter(include_in_schema=False)

SWAGGER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>papertide API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">
</head><body><div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script>
</body></html>"""


@router.get("/docs")
def api_docs() -> HTMLResponse:
    return HTMLResponse(SWAGGER_PAGE)


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
