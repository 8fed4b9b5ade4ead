"""`/u/{name}`: a person's submissions and public collections; `/c/{category}` listings."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from papertide.store.queries import (
    category_papers,
    count_category,
    user_by_name,
    user_collections,
    user_submissions,
)
from papertide.web.deps import CurrentUser, Db
from papertide.web.errors import WebError
from papertide.web.params import split_json
from papertide.web.render import render_page
from papertide.web.routes.common import cached_anonymous, voted_ids
from papertide.web.serialize import feed_entry_json, paper_json

router = APIRouter(tags=["users and categories"])
CATEGORY = r"^[A-Za-z\-]+(\.[A-Za-z\-]+)?$"


@router.get("/u/{name}", summary="A user's submissions and public collections (.json twin)")
def user_page(request: Request, name: str, db: Db, user: CurrentUser) -> Response:
    bare, as_json = split_json(name)
    person = user_by_name(db, bare)
    if person is None:
        raise WebError(404, f"no user {bare!r}", code="not_found")
    me = user is not None and (user.id == person.id or user.is_admin)
    submissions = user_submissions(db, person.id)
    collections = user_collections(db, person.id, include_private=me)
    if as_json:
        return JSONResponse(
            {
                "name": person.name,
                "submissions": [feed_entry_json(item) for item in submissions],
                "collections": [
                    {"name": c.name, "url": f"/u/{person.name}/c/{c.slug}", "public": c.is_public}
                    for c in collections
                ],
            }
        )
    return render_page(
        request,
        "user.html",
        {
            "person": person,
            "items": submissions,
            "collections": collections,
            "voted": voted_ids(db, user, [i.paper.id for i in submissions]),
        },
    )


@router.get("/c/{category}", summary="Newest papers in a category (.json twin)")
def category_page(
    request: Request,
    category: str,
    db: Db,
    p: int = Query(0, ge=0, le=10_000),
    limit: int = Query(50, ge=1, le=100),
) -> Response:
    bare, as_json = split_json(category)
    import re

    if not re.match(CATEGORY, bare) or len(bare) > 32:
        raise WebError(404, f"{bare!r} is not an arXiv category (e.g. cs.CL)", code="not_found")

    def make() -> Response:
        papers = category_papers(db, bare, limit=limit, offset=p * limit)
        total = count_category(db, bare)
        if as_json:
            return JSONResponse(
                [paper_json(paper) for paper in papers], headers={"X-Total-Count": str(total)}
            )
        return render_page(
            request,
            "category.html",
            {
                "category": bare,
                "papers": papers,
                "total": total,
                "page": p,
                "limit": limit,
                "has_next": (p + 1) * limit < total,
            },
        )

    return cached_anonymous(request, make)
