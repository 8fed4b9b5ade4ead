"""Collections: create, rename, delete, add/remove papers, public/private, BibTeX and CSV export."""

from __future__ import annotations

import re
import secrets

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import delete

from papertide.models import parse_arxiv_id
from papertide.store.queries import (
    collection_by_slug,
    collection_papers,
    paper_by_arxiv_id,
    paper_stats,
    user_by_name,
    user_collections,
)
from papertide.store.schema import Collection, CollectionItem, User
from papertide.web.bibtex import papers_bibtex, papers_csv
from papertide.web.deps import Csrf, CurrentUser, Db, PageUser, SignedIn, client_ip
from papertide.web.errors import WebError, wants_json
from papertide.web.params import FormRowId, RowId, plain_text
from papertide.web.render import render_page
from papertide.web.routes.common import is_htmx, redirect, utcnow, voted_ids
from papertide.web.security import safe_next
from papertide.web.serialize import listed_paper_json
from papertide.web.state import web_state

router = APIRouter(tags=["collections"])
MAX_NAME = 120


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:80] or "collection"


def _unique_slug(db: Db, user_id: int, name: str, keep: int | None = None) -> str:
    base = _slug(name)
    slug = base
    for n in range(2, 100):
        found = collection_by_slug(db, user_id, slug)
        if found is None or found.id == keep:
            return slug
        slug = f"{base}-{n}"
    return f"{base}-{secrets.token_hex(3)}"


def _clean_name(name: str) -> str:
    text = " ".join(plain_text(name).split())
    if not text:
        raise WebError(400, "a collection needs a name", code="empty_name")
    if len(text) > MAX_NAME:
        raise WebError(400, f"a collection name has at most {MAX_NAME} characters")
    return text


def _mine(db: Db, collection_id: int, user: User) -> Collection:
    found = db.get(Collection, collection_id)
    if found is None or (found.user_id != user.id and not user.is_admin):
        # Someone else's private collection looks exactly like a missing one.
        raise WebError(404, f"no collection {collection_id}", code="not_found")
    return found


def _owner_name(db: Db, collection: Collection) -> str:
    owner = db.get(User, collection.user_id)
    return owner.name if owner else "unknown"


@router.get("/collections", include_in_schema=False)
def my_collections(request: Request, db: Db, user: PageUser) -> Response:
    return render_page(
        request,
        "collections.html",
        {"collections": user_collections(db, user.id, include_private=True), "owner": user},
    )


@router.post("/collections", dependencies=[Csrf], summary="Create a collection")
def create_collection(
    request: Request,
    db: Db,
    user: SignedIn,
    name: str = Form(..., max_length=1000),
    description: str = Form("", max_length=2000),
    is_public: bool = Form(False),
) -> Response:
    web_state(request).limits.hit("collection", ip=client_ip(request), account=str(user.id))
    clean = _clean_name(name)
    now = utcnow()
    collection = Collection(
        user_id=user.id,
        name=clean,
        slug=_unique_slug(db, user.id, clean),
        description=plain_text(description).strip(),
        is_public=is_public,
        created_at=now,
        updated_at=now,
    )
    db.add(collection)
    db.commit()
    return redirect(f"/u/{user.name}/c/{collection.slug}")


@router.post("/collections/add", dependencies=[Csrf], summary="Add a paper to a collection")
def add_paper(
    request: Request,
    db: Db,
    user: SignedIn,
    collection_id: FormRowId,
    arxiv_id: str = Form(..., max_length=300),
    next: str = Form("", max_length=2000),
) -> Response:
    """Add a paper, and stay where the reader was: htmx gets a status line to show in place,
    a plain form post goes back to `next` (the paper) with a flash, JSON gets the outcome."""
    web_state(request).limits.hit("collection", ip=client_ip(request), account=str(user.id))
    collection = _mine(db, collection_id, user)
    parsed = parse_arxiv_id(arxiv_id)
    paper = paper_by_arxiv_id(db, parsed[0]) if parsed else None
    if paper is None:
        raise WebError(404, f"no paper {arxiv_id!r} here", code="not_found")
    present = db.get(CollectionItem, (collection.id, paper.id))
    if present is None:
        db.add(CollectionItem(collection_id=collection.id, paper_id=paper.id, added_at=utcnow()))
        collection.updated_at = utcnow()
    db.commit()
    url = f"/u/{_owner_name(db, collection)}/c/{collection.slug}"
    already = present is not None
    if is_htmx(request):
        return render_page(
            request,
            "_collection_added.html",
            {"paper": paper, "collection": collection, "url": url, "already": already},
        )
    if wants_json(request):
        return JSONResponse(
            {"paper": paper.arxiv_id, "collection": collection.id, "url": url, "added": not already}
        )
    request.state.web_session.add_flash(
        f"{paper.arxiv_id} is {'already' if already else 'now'} in “{collection.name}”."
    )
    return redirect(safe_next(next, url))


@router.post("/collections/{collection_id}/remove", dependencies=[Csrf], summary="Remove a paper")
def remove_paper(
    request: Request,
    collection_id: RowId,
    db: Db,
    user: SignedIn,
    arxiv_id: str = Form(..., max_length=300),
) -> Response:
    collection = _mine(db, collection_id, user)
    parsed = parse_arxiv_id(arxiv_id)
    paper = paper_by_arxiv_id(db, parsed[0]) if parsed else None
    if paper is not None:
        db.execute(
            delete(CollectionItem).where(
                CollectionItem.collection_id == collection.id, CollectionItem.paper_id == paper.id
            )
        )
        collection.updated_at = utcnow()
    db.commit()
    return redirect(f"/u/{_owner_name(db, collection)}/c/{collection.slug}")


@router.post(
    "/collections/{collection_id}/edit", dependencies=[Csrf], summary="Rename, describe, publish"
)
def edit_collection(
    request: Request,
    collection_id: RowId,
    db: Db,
    user: SignedIn,
    name: str = Form(..., max_length=1000),
    description: str = Form("", max_length=2000),
    is_public: bool = Form(False),
) -> Response:
    collection = _mine(db, collection_id, user)
    clean = _clean_name(name)
    if clean != collection.name:
        collection.slug = _unique_slug(db, collection.user_id, clean, keep=collection.id)
    collection.name = clean
    collection.description = plain_text(description).strip()
    collection.is_public = is_public
    collection.updated_at = utcnow()
    db.commit()
    return redirect(f"/u/{_owner_name(db, collection)}/c/{collection.slug}")


@router.post(
    "/collections/{collection_id}/delete", dependencies=[Csrf], summary="Delete a collection"
)
def delete_collection(request: Request, collection_id: RowId, db: Db, user: SignedIn) -> Response:
    collection = _mine(db, collection_id, user)
    name = collection.name
    db.execute(delete(CollectionItem).where(CollectionItem.collection_id == collection.id))
    db.delete(collection)
    db.commit()
    request.state.web_session.add_flash(f"Deleted the collection “{name}”.")
    return redirect("/collections")


@router.get("/u/{name}/c/{slug}", summary="A collection (.json, .bib, .csv twins)")
def view_collection(request: Request, name: str, slug: str, db: Db, user: CurrentUser) -> Response:
    suffix = next((s for s in (".json", ".bib", ".csv") if slug.endswith(s)), "")
    bare = slug[: -len(suffix)] if suffix else slug
    owner = user_by_name(db, name)
    collection = collection_by_slug(db, owner.id, bare) if owner else None
    can_see = collection is not None and (
        collection.is_public
        or (user is not None and (user.id == collection.user_id or user.is_admin))
    )
    if collection is None or owner is None or not can_see:
        raise WebError(404, f"no collection {name}/{bare}", code="not_found")
    rows = collection_papers(db, collection.id)
    papers = [paper for paper, _ in rows]
    filename = f"{owner.name}-{collection.slug}"
    if suffix == ".bib":
        return PlainTextResponse(
            papers_bibtex(papers),
            media_type="application/x-bibtex",
            headers={"Content-Disposition": f'attachment; filename="{filename}.bib"'},
        )
    if suffix == ".csv":
        return PlainTextResponse(
            papers_csv(papers),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
        )
    stats = paper_stats(db, [p.id for p in papers])
    if suffix == ".json":
        return JSONResponse(
            {
                "name": collection.name,
                "owner": owner.name,
                "description": collection.description,
                "public": collection.is_public,
                "papers": [listed_paper_json(p, stats[p.id]) for p in papers],
            }
        )
    return render_page(
        request,
        "collection.html",
        {
            "collection": collection,
            "owner": owner,
            "rows": rows,
            "stats": stats,
            "voted": voted_ids(db, user, [p.id for p in papers]),
            "mine": user is not None and (user.id == collection.user_id or user.is_admin),
        },
    )
