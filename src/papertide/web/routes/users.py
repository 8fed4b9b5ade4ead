"""`/u/{name}`: a person's profile (counts, papers they wrote, submitted, upvoted if public,
collections); `/c/{category}` listings."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from papertide.people.claims import authored_papers
from papertide.people.profile import profile_counts, upvoted_papers
from papertide.store.queries import (
    category_papers,
    count_category,
    paper_stats,
    user_by_name,
    user_collections,
    user_submissions,
)
from papertide.web.deps import CurrentUser, Db
from papertide.web.errors import WebError
from papertide.web.params import split_json
from papertide.web.render import render_page
from papertide.web.routes.common import cached_anonymous, voted_ids
from papertide.web.serialize import avatar_url, feed_entry_json, listed_paper_json
from papertide.web.state import web_state

router = APIRouter(tags=["users and categories"])
CATEGORY = r"^[A-Za-z\-]+(\.[A-Za-z\-]+)?$"


@router.get("/u/{name}", summary="A person's profile (.json twin)")
def user_page(request: Request, name: str, db: Db, user: CurrentUser) -> Response:
    bare, as_json = split_json(name)
    person = user_by_name(db, bare)
    if person is None:
        raise WebError(404, f"no user {bare!r}", code="not_found")
    owner = user is not None and user.id == person.id
    sees_private = owner or bool(user and user.is_admin)
    submissions = user_submissions(db, person.id)
    collections = user_collections(db, person.id, include_private=sees_private)
    authored = authored_papers(db, person.id)
    # Upvotes are private unless the person chose otherwise; they always see their own.
    upvoted = upvoted_papers(db, person.id) if owner or person.public_upvotes else []
    counts = profile_counts(db, person, viewer_is_owner=owner)
    stats = paper_stats(db, [p.id for p in authored + upvoted])
    if as_json:
        return JSONResponse(
            {
                "name": person.name,
                "fullname": person.display_name or person.name,
                "avatarUrl": avatar_url(person.name),
                "counts": {
                    "submissions": counts.submissions,
                    "comments": counts.comments,
                    "collections": counts.collections,
                    "authored": counts.authored,
                    "upvotes": counts.upvotes,
                },
                "authored": [listed_paper_json(p, stats[p.id]) for p in authored],
                "submissions": [feed_entry_json(item) for item in submissions],
                "upvoted": [listed_paper_json(p, stats[p.id]) for p in upvoted]
                if owner or person.public_upvotes
                else None,
                "collections": [
                    {"name": c.name, "url": f"/u/{person.name}/c/{c.slug}", "public": c.is_public}
                    for c in collections
                ],
            }
        )
    listed = [i.paper.id for i in submissions] + [p.id for p in authored + upvoted]
    return render_page(
        request,
        "user.html",
        {
            "person": person,
            "owner": owner,
            "counts": counts,
            "items": submissions,
            "authored": authored,
            "upvoted": upvoted,
            "stats": stats,
            "collections": collections,
            "voted": voted_ids(db, user, listed),
        },
    )


@router.get("/c/{category}", summary="Newest papers in a category (.json twin)")
def category_page(
    request: Request,
    category: str,
    db: Db,
    user: CurrentUser,
    p: int = Query(0, ge=0, le=10_000),
    limit: int = Query(50, ge=1, le=100),
) -> Response:
    bare, as_json = split_json(category)
    import re

    if not re.match(CATEGORY, bare) or len(bare) > 32:
        raise WebError(404, f"{bare!r} is not an arXiv category (e.g. cs.CL)", code="not_found")

    def make() -> Response:
        total = count_category(db, bare)
        if not total and bare not in web_state(request).settings.categories:
            # No paper here is listed in it and the site does not follow it: a typo, or the
            # "None" of a paper without categories, not an empty category.
            raise WebError(
                404,
                f"no paper here is listed in {bare!r}, and this site does not follow it; "
                "categories are arXiv's, e.g. cs.CL",
                code="not_found",
            )
        papers = category_papers(db, bare, limit=limit, offset=p * limit)
        stats = paper_stats(db, [paper.id for paper in papers])
        if as_json:
            return JSONResponse(
                [listed_paper_json(paper, stats[paper.id]) for paper in papers],
                headers={"X-Total-Count": str(total)},
            )
        return render_page(
            request,
            "category.html",
            {
                "category": bare,
                "papers": papers,
                "stats": stats,
                "voted": voted_ids(db, user, [paper.id for paper in papers]),
                "total": total,
                "page": p,
                "limit": limit,
                "has_next": (p + 1) * limit < total,
            },
        )

    return cached_anonymous(request, make)
