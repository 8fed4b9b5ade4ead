"""A signed-in reader's recommendations: the list with reasons, the library that seeds it (arXiv
ids, a BibTeX file or a collection), "not interested", and the private feed of the list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select

from papertide.digest import library as lib
from papertide.feeds.private import user_feed_token
from papertide.models import SeedOwner
from papertide.store.queries import papers_by_ids
from papertide.store.schema import Collection
from papertide.web.deps import Csrf, Db, SignedIn
from papertide.web.errors import WebError
from papertide.web.params import row_id
from papertide.web.render import render_page
from papertide.web.routes.subscriptions import upload_bytes
from papertide.web.state import web_state

router = APIRouter(tags=["recommendations"])


@router.get("/recommendations", response_class=HTMLResponse)
def recommendations_page(request: Request, db: Db, user: SignedIn) -> HTMLResponse:
    owner = SeedOwner.for_user(user.id)
    settings = web_state(request).settings
    recs = web_state(request).recommendations(db, owner, limit=20)
    papers = papers_by_ids(db, [r.paper_id for r in recs])
    token = user_feed_token(settings, user.id)
    collections = list(db.scalars(select(Collection).where(Collection.user_id == user.id)))
    return render_page(
        request,
        "recommendations.html",
        {
            "recommendations": [(papers[r.paper_id], r) for r in recs if r.paper_id in papers],
            "library": lib.library(db, owner),
            "collections": collections,
            "feed_url": f"{settings.base_url.rstrip('/')}/feeds/recommendations/{token}.atom",
            "report": None,
            "error": None,
        },
    )


@router.post("/recommendations/library", response_class=HTMLResponse, dependencies=[Csrf])
async def recommendations_library(
    request: Request,
    db: Db,
    user: SignedIn,
    ids: Annotated[str, Form(max_length=50_000)] = "",
    collection_id: Annotated[str, Form(max_length=20)] = "",
    bibtex: Annotated[UploadFile | None, File()] = None,
) -> Response:
    owner = SeedOwner.for_user(user.id)
    try:
        if collection_id.strip():
            number = row_id(collection_id)
            collection = db.get(Collection, number) if number is not None else None
            if collection is None or collection.user_id != user.id:
                raise lib.LibraryError("no such collection of yours")
            report = lib.import_collection(db, owner, collection.id)
        else:
            report = lib.import_library(db, owner, ids, await upload_bytes(bibtex))
    except lib.LibraryError as exc:
        raise WebError(422, str(exc), code="invalid") from None
    db.commit()
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(
            {
                "added": report.added,
                "already": report.already,
                "unknown": report.unknown,
                "unmatched": report.unmatched,
                "unreadable": report.unreadable,
                "summary": report.summary(),
            }
        )
    return RedirectResponse("/recommendations", status_code=303)


@router.post("/recommendations/not-interested/{arxiv_id:path}", dependencies=[Csrf])
def not_interested(request: Request, db: Db, user: SignedIn, arxiv_id: str) -> Response:
    report = lib.not_interested(db, SeedOwner.for_user(user.id), arxiv_id)
    if report.unknown:
        raise WebError(404, f"no paper {arxiv_id[:40]!r} here")
    db.commit()
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"not_interested": arxiv_id})
    return RedirectResponse("/recommendations", status_code=303)
