"""A signed-in reader's recommendations: the list with reasons, the library that seeds it (arXiv
ids, a BibTeX file or a collection), "not interested", and the private feed of the list."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import select

from papertide.digest import library as lib
from papertide.feeds.private import user_feed_token
from papertide.latex import latex_to_text
from papertide.models import SeedOwner
from papertide.people.profile import upvoted_papers
from papertide.rank.recommend import short_title
from papertide.store.queries import paper_by_arxiv_id, paper_stats, papers_by_ids
from papertide.store.schema import Collection
from papertide.web.deps import Csrf, Db, PageUser, SignedIn, web_session
from papertide.web.errors import WebError
from papertide.web.params import row_id
from papertide.web.render import render_page
from papertide.web.routes.common import redirect, voted_ids
from papertide.web.routes.subscriptions import upload_bytes
from papertide.web.state import web_state

router = APIRouter(tags=["recommendations"])


@router.get("/recommendations", response_class=HTMLResponse)
def recommendations_page(
    request: Request,
    db: Db,
    user: PageUser,
    dismissed: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """The list; `dismissed` (set by "Not interested") names the paper just dismissed, so the
    page can confirm it and offer to undo."""
    owner = SeedOwner.for_user(user.id)
    settings = web_state(request).settings
    recs = web_state(request).recommendations(db, owner, limit=20)
    upvoted = upvoted_papers(db, user.id)
    library = lib.library(db, owner)
    papers = papers_by_ids(db, [r.paper_id for r in recs])
    shown = [p.id for p in papers.values()] + [p.id for p in upvoted] + [p.id for p, _ in library]
    token = user_feed_token(settings, user.id)
    collections = list(db.scalars(select(Collection).where(Collection.user_id == user.id)))
    undo = next(
        (p for p, seed in library if seed.weight < 0 and p.arxiv_id == dismissed.strip()), None
    )
    return render_page(
        request,
        "recommendations.html",
        {
            "recommendations": [(papers[r.paper_id], r) for r in recs if r.paper_id in papers],
            "library": library,
            "upvoted": upvoted,
            "stats": paper_stats(db, shown),
            "voted": voted_ids(db, user, shown),
            "source_label": lib.source_label,
            "undo": undo,
            "notes": web_session(request).take_notes(["library", "for-you"]),
            "collections": collections,
            "feed_url": f"{settings.base_url.rstrip('/')}/feeds/recommendations/{token}.atom",
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
    # What went in and what did not, next to the form the person used.
    web_session(request).add_note("library", report.details())
    return redirect("/recommendations#library")


@router.post("/recommendations/not-interested/{arxiv_id:path}", dependencies=[Csrf])
def not_interested(request: Request, db: Db, user: SignedIn, arxiv_id: str) -> Response:
    report = lib.not_interested(db, SeedOwner.for_user(user.id), arxiv_id)
    if report.unknown:
        raise WebError(404, f"no paper {arxiv_id[:40]!r} here")
    db.commit()
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"not_interested": arxiv_id})
    # The page confirms it and offers to undo (the paper itself leaves the list).
    return redirect(f"/recommendations?{urlencode({'dismissed': arxiv_id})}#for-you")


@router.post("/recommendations/library/remove/{arxiv_id:path}", dependencies=[Csrf])
def remove_from_library(
    request: Request,
    db: Db,
    user: SignedIn,
    arxiv_id: str,
    back: Annotated[Literal["library", "for-you"], Form()] = "library",
) -> Response:
    """Take a paper out of the library: a liked one stops seeding the list, a "not interested"
    one stops holding similar papers back (the undo of "Not interested"). `back` is the part of
    the page to return to, where the confirmation shows."""
    paper = paper_by_arxiv_id(db, arxiv_id[:40])
    weight = lib.remove_seed(db, SeedOwner.for_user(user.id), paper.arxiv_id) if paper else None
    if paper is None or weight is None:
        raise WebError(404, f"{arxiv_id[:40]!r} is not in your library")
    db.commit()
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"removed": paper.arxiv_id})
    title = short_title(latex_to_text(paper.title))
    web_session(request).add_note(
        back,
        f"“{title}” is no longer marked not interested."
        if weight < 0
        else f"Removed “{title}” from your library.",
    )
    return redirect(f"/recommendations#{back}")
