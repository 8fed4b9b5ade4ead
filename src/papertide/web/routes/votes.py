"""One vote per user per paper, as a toggle; feed entries keep imported + local votes."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from papertide.models import parse_arxiv_id
from papertide.store.queries import paper_by_arxiv_id, paper_upvotes
from papertide.store.schema import FeedEntry, Vote
from papertide.web.deps import Csrf, Db, SignedIn, client_ip
from papertide.web.errors import WebError, wants_json
from papertide.web.render import render_page
from papertide.web.routes.common import is_htmx, redirect, utcnow
from papertide.web.security import safe_next
from papertide.web.state import web_state

router = APIRouter(tags=["votes"])


def refresh_upvotes(db: Session, paper_id: int) -> None:
    """feed_entries.upvotes = imported_upvotes + local votes, for every entry of the paper."""
    local = select(func.count()).where(Vote.paper_id == paper_id).scalar_subquery()
    db.execute(
        update(FeedEntry)
        .where(FeedEntry.paper_id == paper_id)
        .values(upvotes=FeedEntry.imported_upvotes + local, updated_at=utcnow())
    )


def toggle_vote(db: Session, user_id: int, paper_id: int) -> bool:
    """Add the user's vote, or remove it when present; True when the paper is now voted."""
    removed = db.execute(delete(Vote).where(Vote.user_id == user_id, Vote.paper_id == paper_id))
    if removed.rowcount:  # type: ignore[attr-defined]
        voted = False
    else:
        try:
            with db.begin_nested():
                db.add(Vote(user_id=user_id, paper_id=paper_id, created_at=utcnow()))
            voted = True
        except IntegrityError:  # a concurrent double click already voted
            voted = True
    refresh_upvotes(db, paper_id)
    return voted


@router.post(
    "/papers/{arxiv_id:path}/vote", dependencies=[Csrf], summary="Toggle your vote on a paper"
)
def vote(request: Request, arxiv_id: str, db: Db, user: SignedIn, next: str = Form("")) -> Response:
    state = web_state(request)
    parsed = parse_arxiv_id(arxiv_id)
    paper = paper_by_arxiv_id(db, parsed[0]) if parsed else None
    if paper is None:
        raise WebError(404, f"no paper {arxiv_id!r} here", code="not_found")
    state.limits.hit("vote", ip=client_ip(request), account=str(user.id))
    voted = toggle_vote(db, user.id, paper.id)
    db.commit()
    state.invalidate()
    upvotes = paper_upvotes(db, paper.id)
    if is_htmx(request):
        return render_page(
            request,
            "_vote.html",
            {"paper": paper, "upvotes": upvotes, "voted": voted, "next_path": safe_next(next)},
        )
    if wants_json(request):
        return JSONResponse({"paper": paper.arxiv_id, "voted": voted, "upvotes": upvotes})
    return redirect(safe_next(next, f"/papers/{paper.arxiv_id}"))
