"""Moderation: hide a comment or a feed entry, ban a user, decide authorship claims; every action
goes to the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from papertide.people.claims import ClaimStatus, decide_claim, pending_claims
from papertide.store.queries import user_by_name
from papertide.store.schema import AuditLog, AuthorClaim, Comment, FeedEntry, Paper, User
from papertide.web.deps import Admin, Csrf, Db, PageUser, require_admin
from papertide.web.errors import WebError
from papertide.web.params import RowId
from papertide.web.render import render_page
from papertide.web.routes.common import audit, redirect, utcnow
from papertide.web.state import web_state

router = APIRouter(prefix="/admin", tags=["admin"], include_in_schema=False)


@router.get("")
def admin_home(request: Request, db: Db, user: PageUser) -> Response:
    require_admin(user)
    rows = db.execute(
        select(AuditLog, User.name)
        .outerjoin(User, User.id == AuditLog.actor_id)
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .limit(200)
    ).all()
    banned = list(db.scalars(select(User).where(User.banned.is_(True)).order_by(User.name)))
    return render_page(
        request, "admin.html", {"log": rows, "banned": banned, "claims": pending_claims(db)}
    )


@router.post("/claims/{claim_id}/{decision}", dependencies=[Csrf])
def decide(request: Request, claim_id: int, decision: str, db: Db, admin: Admin) -> Response:
    """Confirm or reject an authorship claim (pending or not: an admin may change their mind)."""
    if decision not in ("confirm", "reject"):
        raise WebError(404, f"no claim decision {decision!r}; use confirm or reject")
    claim = db.get(AuthorClaim, claim_id)
    if claim is None:
        raise WebError(404, f"no authorship claim {claim_id}", code="not_found")
    decide_claim(db, claim, admin, confirm=decision == "confirm", now=utcnow())
    paper = db.get(Paper, claim.paper_id)
    audit(
        db,
        admin,
        "confirm_claim" if claim.status == ClaimStatus.CONFIRMED else "reject_claim",
        "author_claim",
        claim.id,
        paper=paper.arxiv_id if paper else None,
        author=claim.author_name,
    )
    db.commit()
    web_state(request).invalidate()
    return redirect("/admin#claims")


@router.post("/comments/{comment_id}/hide", dependencies=[Csrf])
def hide_comment(request: Request, comment_id: RowId, db: Db, admin: Admin) -> Response:
    comment = db.get(Comment, comment_id)
    if comment is None:
        raise WebError(404, f"no comment {comment_id}", code="not_found")
    comment.hidden = not comment.hidden
    audit(db, admin, "hide_comment" if comment.hidden else "unhide_comment", "comment", comment.id)
    paper = db.get(Paper, comment.paper_id)
    db.commit()
    web_state(request).invalidate()
    return redirect(f"/papers/{paper.arxiv_id}#comments" if paper else "/admin")


@router.post("/entries/{entry_id}/hide", dependencies=[Csrf])
def hide_entry(request: Request, entry_id: RowId, db: Db, admin: Admin) -> Response:
    entry = db.get(FeedEntry, entry_id)
    if entry is None:
        raise WebError(404, f"no feed entry {entry_id}", code="not_found")
    entry.hidden = not entry.hidden
    paper = db.get(Paper, entry.paper_id)
    audit(
        db,
        admin,
        "hide_entry" if entry.hidden else "unhide_entry",
        "feed_entry",
        entry.id,
        paper=paper.arxiv_id if paper else None,
        date=entry.feed_date.isoformat(),
    )
    db.commit()
    web_state(request).invalidate()
    return redirect(f"/papers/{paper.arxiv_id}" if paper else "/admin")


@router.post("/users/{name}/ban", dependencies=[Csrf])
def ban_user(request: Request, name: str, db: Db, admin: Admin) -> Response:
    person = user_by_name(db, name)
    if person is None:
        raise WebError(404, f"no user {name!r}", code="not_found")
    if person.id == admin.id:
        raise WebError(400, "you cannot ban yourself")
    person.banned = not person.banned
    audit(db, admin, "ban_user" if person.banned else "unban_user", "user", person.id, name=name)
    db.commit()
    return redirect(f"/u/{person.name}")
